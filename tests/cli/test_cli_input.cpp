// Every input validated where it enters (issue 16): plates by the plate grammar, units and phones by the estate's
// patterns, no invalid UTF-8 stored, CSV imports in UTF-8 or GBK reported row by row, and no registration changed
// without --replace. Each test drives the real CLI binary and then looks into the ledger it wrote.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <fstream>
#include <sstream>
#include <string>

#include "cli_runner.h"

namespace {

using vg::test::CliSandbox;

std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// The one number a query answers.
long long scalar(const CliSandbox& box, const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(box.db().c_str(), &db), SQLITE_OK);
    long long out = -1;
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
        out = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return out;
}

void writeFile(const std::filesystem::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary) << bytes;
}

class CliInput : public ::testing::Test {
  protected:
    void SetUp() override { ASSERT_EQ(box.run("init").status, 0); }
    std::string stderrText() const { return slurp(box.dir() / "stderr.log"); }
    long long auditRows(const std::string& kind) const {
        return scalar(box, "SELECT COUNT(*) FROM audit_log WHERE kind = '" + kind + "'");
    }
    CliSandbox box;
};

TEST_F(CliInput, VehicleAddThatWouldChangeARegistrationNeedsReplace) {
    ASSERT_EQ(box.run("vehicle add 沪A12345 --kind resident --unit 1-101").status, 0);
    // The defect: this silently turned the resident car of 1-101 into a blocked car.
    auto blocked = box.run("vehicle add 沪a12345 --kind blocked");
    EXPECT_EQ(blocked.status, 3);
    EXPECT_NE(stderrText().find("沪A12345 已登记为住户车辆（户号 1-101）：登记为禁入车辆会替换原来的登记"),
              std::string::npos)
        << stderrText();
    EXPECT_NE(stderrText().find("--replace"), std::string::npos);
    EXPECT_EQ(box.run("--lang en vehicle add 沪a12345 --kind blocked").status, 3);
    EXPECT_NE(stderrText().find("沪A12345 is already registered as resident of unit 1-101"), std::string::npos)
        << stderrText();
    EXPECT_EQ(scalar(box, "SELECT COUNT(*) FROM vehicles WHERE kind = 'resident' AND unit = '1-101'"), 1);
    EXPECT_EQ(auditRows("VEHICLE_ADD"), 1);

    auto again = box.run("vehicle add 沪A12345 --kind resident --unit 1-101 --json");
    EXPECT_EQ(again.status, 0) << "the same registration again changes nothing and needs no --replace";
    EXPECT_TRUE(again.json().value("unchanged", false));

    auto replaced = box.run("vehicle add 沪a12345 --kind blocked --replace --json");
    ASSERT_EQ(replaced.status, 0) << replaced.out;
    EXPECT_EQ(replaced.json()["plate"], "沪A12345");
    EXPECT_EQ(replaced.json()["replaced"]["kind"], "resident");
    EXPECT_EQ(replaced.json()["replaced"]["unit"], "1-101");
    EXPECT_EQ(scalar(box, "SELECT COUNT(*) FROM vehicles WHERE kind = 'blocked'"), 1);
    EXPECT_EQ(scalar(box,
                     "SELECT COUNT(*) FROM audit_log WHERE kind = 'VEHICLE_ADD' AND payload LIKE "
                     "'%\"replaced\":{%resident%'"),
              1);
    auto text = box.run("--lang en vehicle add 沪A12345 --kind resident --unit 1-101 --replace");
    EXPECT_EQ(text.out, "沪A12345 registered as resident of unit 1-101 (replaced: blocked)\n") << text.out;
    auto zh = box.run("vehicle add 沪A12345 --kind blocked --replace");
    EXPECT_EQ(zh.out, "沪A12345 已登记为禁入车辆（原为住户车辆（户号 1-101））\n") << zh.out;
}

TEST_F(CliInput, HelloWorldIsRefusedNotTurnedIntoAPlate) {
    EXPECT_EQ(box.run("vehicle add 'hello world' --kind blocked").status, 2);
    EXPECT_NE(stderrText().find("plate 'hello world': the first character must be a province abbreviation"),
              std::string::npos)
        << stderrText();
    EXPECT_EQ(box.run("enter --lane entry-1 --plate 'hello world'").status, 2);
    EXPECT_EQ(scalar(box, "SELECT COUNT(*) FROM vehicles"), 0);
    EXPECT_EQ(auditRows("DECISION"), 0);
    // What a clerk types is normalised without changing its meaning: full width, lower case, the printed dot.
    auto ok = box.run("vehicle add '沪ａ·１２３４５' --kind blocked --json");
    ASSERT_EQ(ok.status, 0) << stderrText();
    EXPECT_EQ(ok.json()["plate"], "沪A12345");
}

TEST_F(CliInput, InvalidUtf8IsRefusedNamingTheFieldAndNeverStored) {
    const long long audit_before = scalar(box, "SELECT COUNT(*) FROM audit_log");
    EXPECT_EQ(box.run("enter --lane entry-1 --plate '\xff\xfe'").status, 2);
    EXPECT_NE(stderrText().find("--plate: not valid UTF-8 at byte 0 (0xFF)"), std::string::npos) << stderrText();
    // vehicle add stored the raw bytes while its audit row said U+FFFD.
    EXPECT_EQ(box.run("vehicle add 沪A12345 --kind resident --unit '1-1\xff'").status, 2);
    EXPECT_NE(stderrText().find("unit: not valid UTF-8 at byte 3 (0xFF)"), std::string::npos) << stderrText();
    EXPECT_EQ(box.run("household add '12-30\xc0' --category living-alone").status, 2);
    EXPECT_EQ(box.run("household add 12-301 --category living-alone --contact '\xe7\x8e'").status, 2);
    EXPECT_NE(stderrText().find("--contact: not valid UTF-8 at byte 0 (0xE7)"), std::string::npos) << stderrText();
    EXPECT_EQ(box.run("household add 12-301 --category living-alone --contact '王\n秀英'").status, 2)
        << "a line break is not a name";
    EXPECT_NE(stderrText().find("--contact: control character U+000A at byte 3"), std::string::npos) << stderrText();
    EXPECT_EQ(scalar(box, "SELECT COUNT(*) FROM vehicles"), 0);
    EXPECT_EQ(scalar(box, "SELECT COUNT(*) FROM households"), 0);
    EXPECT_EQ(scalar(box, "SELECT COUNT(*) FROM audit_log"), audit_before) << "no audit row for anything refused";

    EXPECT_EQ(box.run("visit void 1 --operator '\xff' --reason test").status, 2);
    EXPECT_EQ(box.run("confirm --lane entry-1 --operator guard --reason '\xa0x'").status, 2)
        << "refused before the daemon is asked";
    EXPECT_NE(stderrText().find("--reason: not valid UTF-8 at byte 0 (0xA0)"), std::string::npos) << stderrText();
}

TEST_F(CliInput, PhoneNumbersAndUnitsFollowTheEstatesPatterns) {
    EXPECT_EQ(box.run("household add 12-301 --category living-alone --phone abc").status, 2);
    EXPECT_NE(stderrText().find("--phone 'abc' is not a phone number"), std::string::npos) << stderrText();
    EXPECT_EQ(box.run("household add 'twelve three oh one' --category living-alone").status, 2);
    EXPECT_NE(stderrText().find("site.unit_pattern"), std::string::npos) << stderrText();
    EXPECT_EQ(scalar(box, "SELECT COUNT(*) FROM households"), 0);
    auto folded = box.run("household add １２-３０１ --category living-alone --phone １３８１２３４５６７８ --json");
    ASSERT_EQ(folded.status, 0);
    EXPECT_EQ(folded.json()["unit"], "12-301");
    EXPECT_EQ(folded.json()["phone"], "13812345678");
    EXPECT_EQ(box.run("--now 2026-11-02T09:00 issue １２-３０１ --month 2026-11").status, 0)
        << "a unit is found however it is typed";

    // The estate's own unit format, from the config.
    box.writeConfig("[site]\nunit_pattern = '^[0-9]{1,3}号楼[0-9]{3,4}$'\n");
    EXPECT_EQ(box.run("household add 3号楼301 --category living-alone").status, 0) << stderrText();
    EXPECT_EQ(box.run("household add 3-302 --category living-alone").status, 2);
    EXPECT_EQ(box.run("vehicle add 沪B54321 --kind resident --unit 3-302").status, 2);
    box.writeConfig("[site]\nunit_pattern = '^([0-9]+'\n");
    EXPECT_EQ(box.run("household list").status, 2);
    EXPECT_NE(stderrText().find("site.unit_pattern"), std::string::npos) << stderrText();
}

TEST_F(CliInput, GbkCsvImportsWithTheRightPlates) {
    // 沪A12345,resident,1-101 / 京B54321,blocked as Excel on a Chinese Windows saves them: GBK, 沪 = BB A6, 京 = BE A9.
    writeFile(box.dir() / "cars.csv",
              "plate,kind,unit\r\n\xbb\xa6"
              "A12345,resident,1-101\r\n\xbe\xa9"
              "B54321,blocked\r\n");
    auto r = box.run("vehicle import cars.csv --json");
    ASSERT_EQ(r.status, 0) << stderrText();
    EXPECT_EQ(r.json()["imported"], 2);
    EXPECT_EQ(r.json()["encoding"], "GB18030");
    EXPECT_EQ(scalar(box, "SELECT COUNT(*) FROM vehicles WHERE plate = '沪A12345' AND unit = '1-101'"), 1);
    EXPECT_EQ(scalar(box, "SELECT COUNT(*) FROM vehicles WHERE plate = '京B54321' AND kind = 'blocked'"), 1);

    CliSandbox utf8;
    ASSERT_EQ(utf8.run("init").status, 0);
    writeFile(utf8.dir() / "bom.csv", "\xEF\xBB\xBFplate,kind\n沪C55555,blocked\n");
    auto bom = utf8.run("vehicle import bom.csv --json");
    ASSERT_EQ(bom.status, 0);
    EXPECT_EQ(bom.json()["encoding"], "UTF-8 with BOM");
    EXPECT_EQ(scalar(utf8, "SELECT COUNT(*) FROM vehicles WHERE plate = '沪C55555'"), 1);
}

TEST_F(CliInput, ImportRefusesAnEncodingItCannotReadNamingIt) {
    writeFile(box.dir() / "utf16.csv", std::string("\xFF\xFEp\0l\0a\0t\0e\0", 12));
    EXPECT_EQ(box.run("vehicle import utf16.csv").status, 2);
    EXPECT_NE(stderrText().find("UTF-16"), std::string::npos) << stderrText();
    writeFile(box.dir() / "junk.csv", "\x80\xff\xfe,blocked\n");
    EXPECT_EQ(box.run("vehicle import junk.csv").status, 2);
    EXPECT_NE(stderrText().find("neither UTF-8 (byte 0, 0x80, is not UTF-8) nor GBK/GB18030"), std::string::npos)
        << stderrText();
    EXPECT_EQ(scalar(box, "SELECT COUNT(*) FROM vehicles"), 0);
}

TEST_F(CliInput, ImportReportsEveryRefusedRowAndImportsNothing) {
    ASSERT_EQ(box.run("vehicle add 沪A12345 --kind resident --unit 1-101").status, 0);
    writeFile(box.dir() / "cars.csv",
              "plate,kind,unit,until\n"
              "沪B54321,resident,2-202\n"               // row 2: fine
              "hello world,blocked\n"                   // row 3: not a plate
              "沪C55555,parked\n"                       // row 4: kind
              "沪D44444,resident,1 0 1\n"               // row 5: unit pattern
              "沪a12345,blocked\n"                      // row 6: would replace 1-101's resident car
              "沪B54321,blocked\n"                      // row 7: twice in the file
              "沪E66666,resident,3-303,2026/12/31\n");  // row 8: date
    auto r = box.run("vehicle import cars.csv");
    EXPECT_EQ(r.status, 2);
    const std::string err = stderrText();
    EXPECT_NE(err.find("row 3: plate 'hello world': the first character must be a province abbreviation"),
              std::string::npos)
        << err;
    EXPECT_NE(err.find("row 4: kind 'parked' must be resident or blocked"), std::string::npos) << err;
    EXPECT_NE(err.find("row 5: unit '1 0 1' does not match"), std::string::npos) << err;
    EXPECT_NE(err.find("row 6: 沪A12345 is already registered as resident of unit 1-101"), std::string::npos) << err;
    EXPECT_NE(err.find("row 7: plate 沪B54321 is already on row 2"), std::string::npos) << err;
    EXPECT_NE(err.find("row 8: until '2026/12/31' must be a date YYYY-MM-DD"), std::string::npos) << err;
    EXPECT_NE(err.find("cars.csv：7 行中有 6 行不能导入（按 UTF-8 读取）；一辆也没有导入"), std::string::npos) << err;
    EXPECT_EQ(box.run("--lang en vehicle import cars.csv").status, 2);
    EXPECT_NE(stderrText().find("6 of 7 rows refused", err.size()), std::string::npos) << stderrText();
    EXPECT_EQ(scalar(box, "SELECT COUNT(*) FROM vehicles"), 1) << "all or nothing: row 2 is not imported either";

    writeFile(box.dir() / "fixed.csv", "沪B54321,resident,2-202\n沪a12345,blocked\n");
    EXPECT_EQ(box.run("vehicle import fixed.csv").status, 3) << "the conflict alone still needs --replace";
    auto replaced = box.run("vehicle import fixed.csv --replace --json");
    ASSERT_EQ(replaced.status, 0) << stderrText();
    EXPECT_EQ(replaced.json()["replaced"][0]["plate"], "沪A12345");
    EXPECT_EQ(replaced.json()["replaced"][0]["was"]["unit"], "1-101");
    EXPECT_EQ(scalar(box, "SELECT COUNT(*) FROM vehicles WHERE kind = 'blocked'"), 1);
}

}  // namespace
