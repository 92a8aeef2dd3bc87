// The month report's renderings (reports/month_report.h): the CSV, the text and the .xlsx show the same numbers,
// in Chinese by default; the .xlsx is a real spreadsheet (a zip with one sheet whose numbers are numbers).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "reports/month_report.h"
#include "reports/words.h"

namespace {

using namespace vg;
using namespace std::chrono_literals;

gate::MonthReport sample() {
    gate::MonthReport r;
    r.month = gate::YearMonth{2026, 11};
    r.households.push_back(gate::HouseholdReport{.unit = "12-301",
                                                 .category = "living-alone",
                                                 .issued = 2,
                                                 .used = 1,
                                                 .unused = 1,
                                                 .revoked = 0,
                                                 .replaced = 1,
                                                 .visits = 1,
                                                 .overstays = 1,
                                                 .total_stay = 72h + 5min,
                                                 .longest_stay = 72h + 5min,
                                                 .fees = 340});
    r.households.push_back(gate::HouseholdReport{.unit = "3-2-1201",
                                                 .category = "elderly-only",
                                                 .issued = 2,
                                                 .used = 2,
                                                 .unused = 0,
                                                 .revoked = 0,
                                                 .replaced = 0,
                                                 .visits = 2,
                                                 .overstays = 0,
                                                 .total_stay = 3h + 30min,
                                                 .longest_stay = 2h + 5min,
                                                 .fees = 0});
    r.shared_plates.push_back({"沪A12345", {"12-301", "3-2-1201"}});
    r.cars_inside_now = 1;
    r.audit_head = gate::AuditHead{42, std::string(64, 'a')};
    return r;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, sep)) out.push_back(cur);
    return out;
}

std::string shell(const std::string& cmd, int* status = nullptr) {
    std::string out;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) return out;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    const int raw = ::pclose(p);
    if (status) *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return out;
}

TEST(Words, EveryReasonCodeHasWordsInBothLanguages) {
    for (int i = 0; i <= static_cast<int>(gate::Reason::ExitQrMismatch); ++i) {
        const auto r = static_cast<gate::Reason>(i);
        const auto code = gate::toString(r);
        EXPECT_NE(reports::reasonWords(r, reports::Lang::Zh), code);
        EXPECT_NE(reports::reasonWords(r, reports::Lang::En), code);
        EXPECT_FALSE(reports::reasonWords(r, reports::Lang::Zh).empty());
    }
    EXPECT_EQ(reports::reasonWords(gate::Reason::AdmitVoucher, reports::Lang::Zh), "凭券入场");
    EXPECT_EQ(reports::reasonWords(gate::Reason::AdmitVoucher, reports::Lang::En), "admitted on a voucher");
}

TEST(Words, LanguagesStaysAndWidths) {
    EXPECT_EQ(reports::parseLang("zh"), reports::Lang::Zh);
    EXPECT_EQ(reports::parseLang("en"), reports::Lang::En);
    EXPECT_FALSE(reports::parseLang("fr").has_value());
    EXPECT_EQ(reports::formatStay(2h + 5min, reports::Lang::Zh), "2小时5分");
    EXPECT_EQ(reports::formatStay(3h, reports::Lang::Zh), "3小时");      // not "3小时0分"
    EXPECT_EQ(reports::formatStay(15min, reports::Lang::Zh), "15分钟");  // not "0小时15分"
    EXPECT_EQ(reports::formatStay(0min, reports::Lang::Zh), "0分钟");
    EXPECT_EQ(reports::formatStay(2h + 5min, reports::Lang::En), "2h05m");
    EXPECT_EQ(reports::displayWidth("12-301"), 6);
    EXPECT_EQ(reports::displayWidth("独居老人"), 8);
    EXPECT_EQ(reports::displayWidth("沪A12345"), 8);
    EXPECT_EQ(reports::displayWidth("（分钟）"), 8);
}

TEST(MonthReport, CsvHasABomCrlfAndAChineseHeaderByDefault) {
    const auto csv = reports::monthCsv(sample(), reports::Lang::Zh);
    ASSERT_EQ(csv.rfind("\xEF\xBB\xBF月份,户号,类别,发放,已用,未用,作废,补办,来访次数,", 0), 0u) << csv;
    EXPECT_NE(csv.find("\r\n2026-11,12-301,独居老人,2,1,1,0,1,1,4325,4325,1,340.00\r\n"), std::string::npos) << csv;
    EXPECT_NE(csv.find("# 审计链头,42:"), std::string::npos) << csv;
    const auto en = reports::monthCsv(sample(), reports::Lang::En);
    EXPECT_EQ(en.rfind("\xEF\xBB\xBFmonth,unit,category,issued,used,unused,revoked,replaced,visits,"
                       "total_stay_minutes,longest_stay_minutes,overstays,fees\r\n",
                       0),
              0u)
        << en;
    EXPECT_NE(en.find("2026-11,3-2-1201,elderly-only,2,2,0,0,0,2,210,125,0,0.00\r\n"), std::string::npos) << en;
}

TEST(MonthReport, TextColumnsLineUpWithChineseInThem) {
    const auto text = reports::monthText(sample(), "田林十二村", reports::Lang::Zh);
    EXPECT_EQ(text.rfind("田林十二村 亲情停车券月报 2026-11\n", 0), 0u) << text;
    const auto lines = split(text, '\n');
    std::vector<std::string> table;
    for (const auto& l : lines) {
        if (l.rfind("户号", 0) == 0 || l.rfind("12-301", 0) == 0 || l.rfind("3-2-1201", 0) == 0 ||
            l.rfind("合计", 0) == 0) {
            table.push_back(l);
        }
    }
    ASSERT_EQ(table.size(), 4u) << text;
    // Right-aligned number columns: every row ends in the same terminal column.
    for (const auto& l : table) EXPECT_EQ(reports::displayWidth(l), reports::displayWidth(table[0])) << text;
    EXPECT_NE(table[3].find("2户"), std::string::npos) << text;
    EXPECT_NE(table[3].find("75小时35分"), std::string::npos) << text;
    EXPECT_NE(text.find("超时费合计：340.00元"), std::string::npos) << text;
    EXPECT_NE(text.find("沪A12345：12-301、3-2-1201"), std::string::npos) << text;
    EXPECT_NE(text.find("voucher-gate audit verify --head 42:"), std::string::npos) << text;
    const auto en = reports::monthText(sample(), "", reports::Lang::En);
    EXPECT_NE(en.find("Audit chain head: 42:"), std::string::npos) << en;
    EXPECT_NE(en.find("total"), std::string::npos) << en;
}

TEST(MonthReport, JsonKeysAreTheContract) {
    const auto j = reports::monthJson(sample());
    EXPECT_EQ(j["month"], "2026-11");
    EXPECT_EQ(j["audit_rows"], 42);
    EXPECT_EQ(j["households"][0]["category"], "living-alone") << "JSON is never translated";
    EXPECT_EQ(j["households"][0]["total_stay_minutes"], 4325);
    EXPECT_EQ(j["shared_plates"][0]["units"].size(), 2u);
}

// The numbers of a worksheet row: each <c> with a <v> whose cell is not a shared string (t="s").
std::vector<std::string> numbersOfRow(const std::string& sheet, int row) {
    std::vector<std::string> out;
    const std::regex row_re("<row r=\"" + std::to_string(row) + "\"[^>]*>(.*?)</row>");
    std::smatch m;
    if (!std::regex_search(sheet, m, row_re)) return out;
    const std::string cells = m[1];
    const std::regex cell_re("<c r=\"[A-Z]+[0-9]+\"([^>]*)>(?:<f>[^<]*</f>)?<v>([^<]*)</v></c>");
    for (auto it = std::sregex_iterator(cells.begin(), cells.end(), cell_re); it != std::sregex_iterator(); ++it) {
        if ((*it)[1].str().find("t=\"s\"") == std::string::npos) out.push_back((*it)[2]);
    }
    return out;
}

TEST(MonthReport, XlsxIsOneSheetWhoseNumbersAreTheCsvs) {
    const auto r = sample();
    const auto bytes = reports::monthXlsx(r, "田林十二村", reports::Lang::Zh);
    ASSERT_TRUE(bytes.has_value()) << bytes.error();
    ASSERT_EQ(bytes->rfind("PK\x03\x04", 0), 0u) << "a zip";
    std::string dir = (std::filesystem::temp_directory_path() / "vg-xlsx-XXXXXX").string();
    ASSERT_NE(::mkdtemp(dir.data()), nullptr);
    const auto file = std::filesystem::path(dir) / "report.xlsx";
    std::ofstream(file, std::ios::binary) << *bytes;
    int status = -1;
    shell("unzip -tq '" + file.string() + "'", &status);
    EXPECT_EQ(status, 0) << "unzip -t: a valid zip";
    const auto list = shell("unzip -Z1 '" + file.string() + "'");
    EXPECT_NE(list.find("xl/worksheets/sheet1.xml"), std::string::npos) << list;
    EXPECT_EQ(list.find("xl/worksheets/sheet2.xml"), std::string::npos) << "one sheet: " << list;
    const auto sheet = shell("unzip -p '" + file.string() + "' xl/worksheets/sheet1.xml");
    const auto strings = shell("unzip -p '" + file.string() + "' xl/sharedStrings.xml");
    std::filesystem::remove_all(dir);
    EXPECT_NE(strings.find("田林十二村 亲情停车券月报 2026-11"), std::string::npos) << "the title row";
    EXPECT_NE(strings.find("累计停留（分钟）"), std::string::npos) << "Chinese headers";
    EXPECT_NE(strings.find("合计"), std::string::npos) << "a totals row";
    EXPECT_NE(sheet.find("<cols>"), std::string::npos) << "column widths set";

    // Each household's numbers (rows 3 and 4) equal the CSV's, as numbers.
    const auto csv = split(reports::monthCsv(r, reports::Lang::Zh), '\n');
    for (int i = 0; i < 2; ++i) {
        auto fields = split(csv[static_cast<std::size_t>(i + 1)], ',');
        fields.back().pop_back();  // the '\r'
        const auto cells = numbersOfRow(sheet, 3 + i);
        ASSERT_EQ(cells.size(), 10u) << sheet;
        for (std::size_t c = 0; c < cells.size(); ++c) {
            EXPECT_DOUBLE_EQ(std::strtod(cells[c].c_str(), nullptr), std::strtod(fields[3 + c].c_str(), nullptr))
                << "row " << i << " column " << c;
        }
    }
    const auto totals = numbersOfRow(sheet, 5);
    ASSERT_EQ(totals.size(), 10u) << sheet;
    EXPECT_EQ(totals[0], "4") << "issued in all";
    EXPECT_EQ(totals[6], "4535") << "total stay in minutes";
    EXPECT_EQ(totals[9], "340") << "fees";
}

}  // namespace
