// The scripted end-to-end run of issue 2: the CLI contract (commands, --now, --json, exit statuses).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "cli_runner.h"

namespace {

using vg::test::CliSandbox;

std::string tokenOf(const vg::test::CliRun& r, int line) {
    std::size_t start = 0;
    for (int i = 0; i < line; ++i) start = r.out.find('\n', start) + 1;
    return nlohmann::json::parse(r.out.substr(start, r.out.find('\n', start) - start)).at("token");
}

TEST(CliEndToEnd, MonthOfOneHousehold) {
    CliSandbox box;
    ASSERT_EQ(box.run("init").status, 0);
    ASSERT_EQ(box.run("init").status, 0) << "init is idempotent";
    ASSERT_EQ(box.run("--now 2026-11-02T09:00 household add 12-301 --category living-alone --contact 王秀英").status,
              0);
    EXPECT_EQ(box.run("--now 2026-11-02T09:00 household add 12-302 --category tenant").status, 3)
        << "an ineligible category is a refusal by rule 1";

    auto issued = box.run("--now 2026-11-02T09:05 issue 12-301 --month 2026-11 --count 2 --json");
    ASSERT_EQ(issued.status, 0);
    const std::string token = tokenOf(issued, 0);
    EXPECT_EQ(token.size(), 43u);
    EXPECT_EQ(token.rfind("VG1:", 0), 0u);
    EXPECT_EQ(box.run("--now 2026-11-02T09:06 issue 12-301 --month 2026-11").status, 3) << "third voucher refused";

    // Global options also after the command.
    auto entered =
        box.run("enter --lane entry-1 --plate 沪A12345 --voucher " + token + " --now 2026-11-20T10:00 --json");
    ASSERT_EQ(entered.status, 0) << entered.out;
    auto e = entered.json();
    EXPECT_EQ(e["reason"], "ADMIT_VOUCHER");
    EXPECT_EQ(e["admit"], true);
    EXPECT_EQ(e["deadline"], "2026-11-20T14:00:00+08:00");
    EXPECT_TRUE(e.contains("visit"));

    auto again = box.run("--now 2026-11-20T11:00 --json enter --lane entry-1 --plate 沪B54321 --voucher " + token);
    EXPECT_EQ(again.status, 3);
    EXPECT_EQ(again.json()["reason"], "DENY_VOUCHER_USED");
    EXPECT_NE(again.json()["message"].get<std::string>().find("already used at 2026-11-20 10:00 by 沪A12345"),
              std::string::npos);

    auto left = box.run("--now 2026-11-23T10:00 --json exit --lane exit-1 --plate 沪A12345");
    ASSERT_EQ(left.status, 0);
    EXPECT_EQ(left.json()["reason"], "RELEASE_OVERSTAY");
    EXPECT_EQ(left.json()["overstay_minutes"], 3 * 24 * 60 - 4 * 60);

    auto report = box.run("--now 2026-11-23T10:05 report --month 2026-11 --format json");
    ASSERT_EQ(report.status, 0);
    auto r = report.json();
    ASSERT_EQ(r["households"].size(), 1u);
    EXPECT_EQ(r["households"][0]["unit"], "12-301");
    EXPECT_EQ(r["households"][0]["used"], 1);
    EXPECT_EQ(r["households"][0]["unused"], 1);
    EXPECT_EQ(r["households"][0]["overstays"], 1);
    EXPECT_EQ(r["households"][0]["longest_stay_minutes"], 3 * 24 * 60);
    const std::string head = r["audit_head"];

    auto overstayed = box.run("--now 2026-11-23T10:05 --json visits --overstayed");
    EXPECT_NE(overstayed.out.find("沪A12345"), std::string::npos);

    EXPECT_EQ(box.run("audit verify").status, 0);
    EXPECT_EQ(box.run("audit verify --head " + head).status, 0);

    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(box.db().c_str(), &db), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(db, "UPDATE audit_log SET payload = replace(payload, 'exit-1', 'exit-2') WHERE kind = 'DECISION'",
                     nullptr, nullptr, nullptr),
        SQLITE_OK);
    sqlite3_close(db);
    auto broken = box.run("--json audit verify");
    EXPECT_EQ(broken.status, 3);
    EXPECT_EQ(broken.json()["ok"], false);
}

TEST(CliEndToEnd, ExitStatusesForBadInput) {
    CliSandbox box;
    EXPECT_EQ(box.run("no-such-command").status, 2);
    EXPECT_EQ(box.run("issue 12-301").status, 2) << "--month missing";
    EXPECT_EQ(box.run("household list").status, 1) << "no ledger yet: an internal/setup error naming init";
    ASSERT_EQ(box.run("init").status, 0);
    EXPECT_EQ(box.run("issue 12-301 --month 2026-13").status, 2);
    EXPECT_EQ(box.run("--now yesterday report --month 2026-11").status, 2);
    EXPECT_EQ(box.run("verify VG1:AAAA").status, 3) << "a token that fails to verify is a refusal";
    EXPECT_EQ(box.run("vehicle import missing.csv").status, 2);
    EXPECT_EQ(box.run("enter --lane entry-1").status, 2) << "nothing seen";
    EXPECT_EQ(box.run("enter --lane entry-1 --plate 沪A1 --at 2026-11-01T10:00").status, 2) << "--at needs operator";
}

// Rule 8 through the CLI: an exit recorded while another process holds the ledger opens and is spooled; the next
// decision replays it into the ledger first and says how many it replayed.
TEST(CliEndToEnd, AnExitSpooledWhileTheLedgerIsLockedIsReplayedAndCountedByTheNextDecision) {
    CliSandbox box;
    std::ofstream(box.dir() / "vg.toml") << "[vouchers]\nkey_file = \"keys\"\n[database]\npath = \"ledger.db\"\n"
                                            "spool_path = \"spool.jsonl\"\nbusy_timeout = \"100ms\"\n"
                                            "[audit]\nkey_file = \"audit.key\"\n";
    ASSERT_EQ(box.run("init").status, 0);
    ASSERT_EQ(box.run("--now 2026-11-02T09:00 household add 12-301 --category living-alone").status, 0);
    auto issued = box.run("--now 2026-11-02T09:05 issue 12-301 --month 2026-11 --count 1 --json");
    ASSERT_EQ(issued.status, 0);
    ASSERT_EQ(
        box.run("--now 2026-11-20T10:00 enter --lane entry-1 --plate 沪A12345 --voucher " + tokenOf(issued, 0)).status,
        0);

    sqlite3* locker = nullptr;
    ASSERT_EQ(sqlite3_open(box.db().c_str(), &locker), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(locker, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
    auto spooled = box.run("--now 2026-11-20T12:00 --json exit --lane exit-1 --plate 沪A12345");
    sqlite3_exec(locker, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(locker);
    ASSERT_EQ(spooled.status, 0) << spooled.out;
    EXPECT_EQ(spooled.json()["reason"], "RELEASE_ON_ERROR");
    EXPECT_FALSE(spooled.json().contains("spool_replayed"));

    auto next = box.run("--now 2026-11-20T12:05 --json enter --lane entry-1 --plate 沪B54321");
    EXPECT_EQ(next.json()["reason"], "DENY_NEED_VOUCHER");
    EXPECT_EQ(next.json()["spool_replayed"], 1) << next.out;
    auto text = box.run("--now 2026-11-20T12:06 enter --lane entry-1 --plate 沪B54321");
    EXPECT_EQ(text.out.find("replayed"), std::string::npos) << "nothing left to replay: " << text.out;
    auto inside = box.run("--now 2026-11-20T12:07 --json visits --inside");
    ASSERT_EQ(inside.status, 0);
    EXPECT_EQ(inside.out.find("沪A12345"), std::string::npos) << "the spooled exit closed the visit: " << inside.out;
}

TEST(CliEndToEnd, EndedMonthAndBadConfig) {
    CliSandbox box;
    ASSERT_EQ(box.run("init").status, 0);
    ASSERT_EQ(box.run("--now 2026-11-02T09:00 household add 3-101 --category elderly-only").status, 0);
    EXPECT_EQ(box.run("--now 2026-12-01T00:00 issue 3-101 --month 2026-11").status, 3) << "an ended month";
    EXPECT_EQ(box.run("--now 2026-11-30T23:59 issue 3-101 --month 2026-12").status, 0) << "next month ahead";
    box.writeConfig("[stay]\nmax = \"4x\"\n");
    EXPECT_EQ(box.run("household list").status, 2) << "a corrupt config is a bad input";
}

TEST(CliEndToEnd, ReportCsvOpensInASpreadsheet) {
    CliSandbox box;
    ASSERT_EQ(box.run("init").status, 0);
    ASSERT_EQ(box.run("--now 2026-11-02T09:00 household add 12-301 --category living-alone").status, 0);
    auto csv = box.run("--now 2026-11-02T09:00 report --month 2026-11 --format csv");
    ASSERT_EQ(csv.status, 0);
    EXPECT_EQ(csv.out.rfind("\xEF\xBB\xBF"
                            "month,unit,",
                            0),
              0u)
        << "UTF-8 with BOM";
    EXPECT_NE(csv.out.find("2026-11,12-301,living-alone,0,0,0,0,0,0,0,0,0.00"), std::string::npos);
}

}  // namespace

namespace {

TEST(CliEndToEnd, CardsOfTheMonthReadBackThroughScan) {
    CliSandbox box;
    box.writeConfig("[site]\nname = \"田林十二村\"\n");
    ASSERT_EQ(box.run("init").status, 0);
    ASSERT_EQ(box.run("--now 2026-11-25T09:00 household add 5-602 --category elderly-only --contact 李建国").status, 0);
    ASSERT_EQ(box.run("--now 2026-11-25T09:00 household add 12-301 --category living-alone").status, 0);
    auto a = box.run("--now 2026-11-25T09:00 --json issue 5-602 --month 2026-12 --count 2");
    auto b = box.run("--now 2026-11-25T09:00 --json issue 12-301 --month 2026-12 --count 2");
    ASSERT_EQ(a.status, 0);
    ASSERT_EQ(b.status, 0);
    std::set<std::string> issued;
    for (const auto* r : {&a, &b}) {
        std::istringstream lines(r->out);
        for (std::string line; std::getline(lines, line);) issued.insert(nlohmann::json::parse(line).at("token"));
    }
    ASSERT_EQ(issued.size(), 4u);
    // A used voucher's card is not printed.
    ASSERT_EQ(
        box.run("--now 2026-12-02T10:00 enter --lane entry-1 --plate 沪A11111 --voucher " + *issued.begin()).status, 0);
    auto cards = box.run("--now 2026-12-02T10:05 --json cards --month 2026-12 --out cards.pdf");
    ASSERT_EQ(cards.status, 0) << cards.out;
    EXPECT_EQ(cards.json()["cards"], 3);
    EXPECT_EQ(box.run("cards --month 2026-12 --out x.pdf 9-999").status, 2) << "a unit without vouchers";

    const auto png = (box.dir() / "page").string();
    ASSERT_EQ(
        std::system(
            ("pdftoppm -r 150 -png -f 1 -l 1 '" + (box.dir() / "cards.pdf").string() + "' '" + png + "'").c_str()),
        0);
    auto scan = box.run("scan page-1.png --json");
    ASSERT_EQ(scan.status, 0) << scan.out;
    ASSERT_FALSE(scan.out.empty());
    std::multiset<std::string> read;
    const auto scanned = scan.json();
    for (const auto& q : scanned["qr"]) read.insert(q["text"].get<std::string>());
    std::multiset<std::string> expected(std::next(issued.begin()), issued.end());
    EXPECT_EQ(read, expected) << "every unused token exactly once, the used one not at all: " << scan.out;
}

}  // namespace
