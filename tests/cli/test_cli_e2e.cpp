// The scripted end-to-end run of issue 2: the CLI contract (commands, --now, --json, exit statuses).
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <vector>

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
    auto text = box.run("--now 2026-11-20T12:06 --lang en enter --lane entry-1 --plate 沪B54321");
    EXPECT_EQ(text.out.rfind("DENY_NEED_VOUCHER: ", 0), 0u) << text.out;
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

nlohmann::json lineOf(const vg::test::CliRun& r, int line) {
    std::size_t start = 0;
    for (int i = 0; i < line; ++i) start = r.out.find('\n', start) + 1;
    return nlohmann::json::parse(r.out.substr(start, r.out.find('\n', start) - start));
}

// Issue 16: `verify` of a card the gate refuses (revoked, or replaced by a new card) is a refusal (exit 3) that
// says so first; it used to print "valid token ... revoked" and exit 0.
TEST(CliEndToEnd, VerifyOfARevokedOrReplacedCardIsARefusalThatSaysSoFirst) {
    CliSandbox box;
    ASSERT_EQ(box.run("init").status, 0);
    ASSERT_EQ(box.run("--now 2026-11-02T09:00 household add 12-301 --category living-alone").status, 0);
    auto issued = box.run("--now 2026-11-02T09:05 --json issue 12-301 --month 2026-11 --count 2");
    ASSERT_EQ(issued.status, 0) << issued.out;
    const auto lost = lineOf(issued, 0);
    const auto old = lineOf(issued, 1);
    ASSERT_EQ(box.run("--now 2026-11-03T09:00 voucher revoke " + std::to_string(lost["serial"].get<int>()) +
                      " --reason 'lost at the market'")
                  .status,
              0);
    auto revoked = box.run("--now 2026-11-03T10:00 --lang en verify " + lost["token"].get<std::string>());
    EXPECT_EQ(revoked.status, 3) << revoked.out;
    EXPECT_EQ(revoked.out.rfind("REVOKED: voucher " + std::to_string(lost["serial"].get<int>()), 0), 0u) << revoked.out;
    EXPECT_NE(revoked.out.find("lost at the market"), std::string::npos) << revoked.out;
    auto revoked_json = box.run("--now 2026-11-03T10:00 --json verify " + lost["token"].get<std::string>());
    EXPECT_EQ(revoked_json.status, 3);
    EXPECT_EQ(revoked_json.json()["valid"], false) << revoked_json.out;
    EXPECT_EQ(revoked_json.json()["error"], "revoked") << revoked_json.out;
    EXPECT_EQ(revoked_json.json()["status"], "revoked") << revoked_json.out;
    EXPECT_EQ(revoked_json.json()["revoke_reason"], "lost at the market") << revoked_json.out;

    auto replaced =
        box.run("--now 2026-11-03T11:00 --json voucher replace " + std::to_string(old["serial"].get<int>()));
    ASSERT_EQ(replaced.status, 0) << replaced.out;
    const auto fresh = replaced.json();
    auto old_card = box.run("--now 2026-11-03T12:00 --lang en verify " + old["token"].get<std::string>());
    EXPECT_EQ(old_card.status, 3) << old_card.out;
    EXPECT_EQ(old_card.out.rfind("REPLACED: voucher " + std::to_string(old["serial"].get<int>()), 0), 0u)
        << old_card.out;
    EXPECT_NE(old_card.out.find("replaced by voucher " + std::to_string(fresh["serial"].get<int>())), std::string::npos)
        << old_card.out;
    auto old_json = box.run("--now 2026-11-03T12:00 --json verify " + old["token"].get<std::string>());
    EXPECT_EQ(old_json.json()["error"], "replaced") << old_json.out;
    EXPECT_EQ(old_json.json()["replaced_by"], fresh["serial"]) << old_json.out;

    auto new_card = box.run("--now 2026-11-03T12:00 --lang en verify " + fresh["token"].get<std::string>());
    EXPECT_EQ(new_card.status, 0) << new_card.out;
    EXPECT_EQ(new_card.out.rfind("valid token", 0), 0u) << new_card.out;

    // The same in Chinese, the default.
    const auto serial = [](const nlohmann::json& v) { return std::to_string(v["serial"].get<int>()); };
    auto revoked_zh = box.run("--now 2026-11-03T10:00 verify " + lost["token"].get<std::string>());
    EXPECT_EQ(revoked_zh.status, 3);
    EXPECT_EQ(revoked_zh.out,
              "已作废：停车券 " + serial(lost) +
                  "（2026-11，户号 12-301）已于 2026-11-03 09:00 作废（lost at the market）：这张券在道闸"
                  "会被拒绝\n");
    auto old_zh = box.run("--now 2026-11-03T12:00 verify " + old["token"].get<std::string>());
    EXPECT_EQ(old_zh.out.rfind("已补办：停车券 " + serial(old), 0), 0u) << old_zh.out;
    EXPECT_NE(old_zh.out.find("补办为停车券 " + serial(fresh)), std::string::npos) << old_zh.out;
    auto new_zh = box.run("--now 2026-11-03T12:00 verify " + fresh["token"].get<std::string>());
    EXPECT_EQ(new_zh.out.rfind("有效：停车券 " + serial(fresh) + "，2026-11", 0), 0u) << new_zh.out;
    EXPECT_NE(new_zh.out.find("，户号 12-301，未使用"), std::string::npos) << new_zh.out;
    auto forged = box.run("verify VG1:AAAA");
    EXPECT_EQ(forged.out, "无效（malformed）：不是停车券的二维码内容（格式不对）\n");

    // A clerk's refusals in Chinese on stderr, in English under --lang en and in the JSON.
    const auto err_before = box.stderrText().size();
    EXPECT_EQ(box.run("--now 2026-11-03T12:00 voucher revoke " + serial(lost) + " --reason again").status, 3);
    EXPECT_EQ(box.run("--now 2026-11-03T12:00 voucher replace " + serial(old)).status, 3);
    EXPECT_EQ(box.run("--now 2026-11-03T12:00 issue 9-999 --month 2026-11").status, 2);
    EXPECT_EQ(box.run("--now 2026-12-03T12:00 issue 12-301 --month 2026-11").status, 3);
    EXPECT_EQ(box.run("--now 2026-11-03T12:00 issue 12-301 --month 2026-11").status, 3);
    const auto said = box.stderrText().substr(err_before);
    EXPECT_NE(said.find("停车券 " + serial(lost) + " 已经作废"), std::string::npos) << said;
    EXPECT_NE(said.find("停车券 " + serial(old) + " 已经补办为 " + serial(fresh) + "，不能再补办"), std::string::npos)
        << said;
    EXPECT_NE(said.find("没有登记的住户 9-999"), std::string::npos) << said;
    EXPECT_NE(said.find("2026-11 已经过去"), std::string::npos) << said;
    EXPECT_NE(said.find("住户 12-301 的 2026-11 停车券已有 2 张（每月 2 张）"), std::string::npos) << said;
    EXPECT_EQ(said.find("already"), std::string::npos) << said;
    auto en = box.run("--now 2026-11-03T12:00 --json voucher revoke " + serial(lost) + " --reason again");
    EXPECT_EQ(en.json()["error"], "voucher " + serial(lost) + " is already revoked") << en.out;
    box.run("--now 2026-11-03T12:00 --lang en voucher revoke " + serial(lost) + " --reason again");
    EXPECT_NE(box.stderrText().rfind("voucher-gate: voucher " + serial(lost) + " is already revoked"),
              std::string::npos);
}

// Issue 16: a replaced card is counted in the month report (text, csv, json); it used to count nowhere.
TEST(CliEndToEnd, TheReportCountsReplacedCards) {
    CliSandbox box;
    ASSERT_EQ(box.run("init").status, 0);
    ASSERT_EQ(box.run("--now 2026-11-02T09:00 household add 12-301 --category living-alone").status, 0);
    auto issued = box.run("--now 2026-11-02T09:05 --json issue 12-301 --month 2026-11 --count 2");
    ASSERT_EQ(issued.status, 0) << issued.out;
    ASSERT_EQ(
        box.run("--now 2026-11-03T11:00 voucher replace " + std::to_string(lineOf(issued, 0)["serial"].get<int>()))
            .status,
        0);
    auto json = box.run("--now 2026-11-04T09:00 report --month 2026-11 --format json");
    ASSERT_EQ(json.status, 0) << json.out;
    const auto h = json.json()["households"][0];
    EXPECT_EQ(h["replaced"], 1) << json.out;
    EXPECT_EQ(h["revoked"], 0) << json.out;
    EXPECT_EQ(h["issued"], 2) << json.out;  // the slot is counted once, through the new card
    EXPECT_EQ(h["unused"], 2) << json.out;
    auto csv = box.run("--now 2026-11-04T09:00 --lang en report --month 2026-11 --format csv");
    EXPECT_NE(csv.out.find("month,unit,category,issued,used,unused,revoked,replaced,visits,"), std::string::npos)
        << csv.out;
    EXPECT_NE(csv.out.find("2026-11,12-301,living-alone,2,0,2,0,1,0,"), std::string::npos) << csv.out;
    auto text = box.run("--now 2026-11-04T09:00 --lang en report --month 2026-11");
    std::istringstream lines(text.out);
    std::string header, row;
    while (std::getline(lines, header) && header.rfind("unit", 0) != 0) {
    }
    std::getline(lines, row);
    EXPECT_NE(header.find("replaced"), std::string::npos) << text.out;
    std::istringstream cells(row);
    std::vector<std::string> c;
    for (std::string w; cells >> w;) c.push_back(w);
    ASSERT_GE(c.size(), 8u) << row;
    EXPECT_EQ(c[0], "12-301");
    EXPECT_EQ(c[6], "1") << "the replaced column: " << row;
}

// Issue 16: `visit void` keeps the visit on record: `visits` lists it, marked void, with who voided it and why (it
// used to disappear). A voided visit is no car inside.
TEST(CliEndToEnd, AVoidedVisitStaysListedMarkedVoidWithWhoAndWhy) {
    CliSandbox box;
    ASSERT_EQ(box.run("init").status, 0);
    ASSERT_EQ(box.run("--now 2026-11-02T09:00 household add 12-301 --category living-alone").status, 0);
    auto issued = box.run("--now 2026-11-02T09:05 --json issue 12-301 --month 2026-11 --count 1");
    ASSERT_EQ(issued.status, 0) << issued.out;
    auto entered =
        box.run("--now 2026-11-20T10:00 --json enter --lane entry-1 --plate 沪A12345 --voucher " + tokenOf(issued, 0));
    ASSERT_EQ(entered.status, 0) << entered.out;
    const int visit_id = entered.json()["visit"].get<int>();
    const auto visit = std::to_string(visit_id);
    ASSERT_EQ(box.run("--now 2026-11-20T10:05 visit void " + visit +
                      " --operator 'guard Li' --reason 'car turned back at the barrier'")
                  .status,
              0);
    auto listed = box.run("--now 2026-11-20T10:10 --json visits");
    ASSERT_EQ(listed.status, 0) << listed.out;
    ASSERT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 1) << listed.out;
    const auto v = listed.json();
    EXPECT_EQ(v["visit"].get<int>(), visit_id);
    EXPECT_EQ(v["voided"], true) << listed.out;
    EXPECT_EQ(v["void_operator"], "guard Li") << listed.out;
    EXPECT_EQ(v["void_reason"], "car turned back at the barrier") << listed.out;
    EXPECT_EQ(v["voided_at"], "2026-11-20T10:05:00+08:00") << listed.out;
    EXPECT_EQ(v["voucher_restored"], false) << listed.out;
    EXPECT_EQ(v["inside"], false) << listed.out;
    auto text = box.run("--now 2026-11-20T10:10 visits --lang en");
    EXPECT_NE(text.out.find("VOID 2026-11-20 10:05 by guard Li: car turned back at the barrier"), std::string::npos)
        << text.out;
    auto zh = box.run("--now 2026-11-20T10:10 visits");
    EXPECT_NE(zh.out.find("作废 2026-11-20 10:05，guard Li：car turned back at the barrier"), std::string::npos)
        << zh.out;
    EXPECT_EQ(box.run("--now 2026-11-20T10:10 --json visits --inside").out, "");
    EXPECT_EQ(box.run("--now 2026-11-21T10:10 --json visits --overstayed").out, "");
    auto month = box.run("--now 2026-11-20T10:10 --json visits --month 2026-11");
    EXPECT_EQ(std::count(month.out.begin(), month.out.end(), '\n'), 1) << month.out;
}

TEST(CliEndToEnd, ReportCsvOpensInASpreadsheet) {
    CliSandbox box;
    ASSERT_EQ(box.run("init").status, 0);
    ASSERT_EQ(box.run("--now 2026-11-02T09:00 household add 12-301 --category living-alone").status, 0);
    auto csv = box.run("--now 2026-11-02T09:00 report --month 2026-11 --format csv --lang en");
    ASSERT_EQ(csv.status, 0);
    EXPECT_EQ(csv.out.rfind("\xEF\xBB\xBF"
                            "month,unit,",
                            0),
              0u)
        << "UTF-8 with BOM";
    EXPECT_NE(csv.out.find("2026-11,12-301,living-alone,0,0,0,0,0,0,0,0,0,0.00\r\n"), std::string::npos);
}

// Issue 15: the committee reads Chinese by default: the report's text and CSV, and the lists; JSON keys never
// change; `--format xlsx` writes a spreadsheet to --out and is refused without one.
TEST(CliEndToEnd, TextAndSpreadsheetsAreInChineseByDefault) {
    CliSandbox box;
    box.writeConfig("[site]\nname = \"田林十二村\"\n");
    ASSERT_EQ(box.run("init").status, 0);
    ASSERT_EQ(box.run("--now 2026-11-02T09:00 household add 12-301 --category living-alone --contact 王秀英").status,
              0);
    auto issued = box.run("--now 2026-11-02T09:05 --json issue 12-301 --month 2026-11 --count 2");
    ASSERT_EQ(issued.status, 0) << issued.out;
    ASSERT_EQ(
        box.run("--now 2026-11-20T10:00 enter --lane entry-1 --plate 沪A12345 --voucher " + tokenOf(issued, 0)).status,
        0);
    ASSERT_EQ(box.run("--now 2026-11-20T12:05 exit --lane exit-1 --plate 沪A12345").status, 0);
    ASSERT_EQ(box.run("vehicle add 沪B00000 --kind blocked").status, 0);

    auto csv = box.run("--now 2026-11-21T09:00 report --month 2026-11 --format csv");
    ASSERT_EQ(csv.status, 0) << csv.out;
    EXPECT_EQ(csv.out.rfind("\xEF\xBB\xBF月份,户号,类别,发放,已用,未用,作废,补办,来访次数,", 0), 0u) << csv.out;
    EXPECT_NE(csv.out.find("\r\n2026-11,12-301,独居老人,2,1,1,0,0,1,125,125,0,0.00\r\n"), std::string::npos) << csv.out;
    auto text = box.run("--now 2026-11-21T09:00 report --month 2026-11");
    EXPECT_EQ(text.out.rfind("田林十二村 亲情停车券月报 2026-11", 0), 0u) << text.out;
    EXPECT_NE(text.out.find("2小时5分"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("审计链头："), std::string::npos) << text.out;
    auto json = box.run("--now 2026-11-21T09:00 report --month 2026-11 --format json");
    EXPECT_EQ(json.json()["households"][0]["category"], "living-alone") << "JSON is never translated";

    EXPECT_EQ(box.run("--now 2026-11-21T09:00 report --month 2026-11 --format xlsx").status, 2) << "xlsx needs --out";
    EXPECT_FALSE(std::filesystem::exists(box.dir() / "r.xlsx"));
    auto xlsx = box.run("--now 2026-11-21T09:00 report --month 2026-11 --format xlsx --out r.xlsx");
    ASSERT_EQ(xlsx.status, 0) << xlsx.out;
    std::ifstream file(box.dir() / "r.xlsx", std::ios::binary);
    std::string head(4, '\0');
    file.read(head.data(), 4);
    EXPECT_EQ(head, "PK\x03\x04") << "an .xlsx is a zip";
    EXPECT_EQ(box.run("--lang fr household list").status, 2);

    auto households = box.run("household list");
    EXPECT_EQ(households.out.rfind("户号", 0), 0u) << households.out;
    EXPECT_NE(households.out.find("独居老人"), std::string::npos) << households.out;
    auto vouchers = box.run("voucher list");
    EXPECT_NE(vouchers.out.find("已使用"), std::string::npos) << vouchers.out;
    EXPECT_NE(vouchers.out.find("未使用"), std::string::npos) << vouchers.out;
    auto vehicles = box.run("vehicle list");
    EXPECT_NE(vehicles.out.find("禁入车辆"), std::string::npos) << vehicles.out;
    EXPECT_EQ(box.run("--lang en vehicle list").out.find("禁入车辆"), std::string::npos);
    auto visits = box.run("--now 2026-11-21T09:00 visits");
    EXPECT_EQ(visits.out.rfind("来访", 0), 0u) << visits.out;
    EXPECT_EQ(box.run("--json vehicle list").json()["kind"], "blocked");
}

// Issue 15: a person reads the gate's decisions and the CLI's answers in Chinese by default, built from the
// decision's fields; --lang en keeps the English sentence of the log, and the JSON never changes.
TEST(CliEndToEnd, DecisionsAndAnswersAreInChineseByDefault) {
    CliSandbox box;
    ASSERT_EQ(box.run("init").status, 0);
    auto added = box.run("--now 2026-11-02T09:00 household add 12-301 --category living-alone");
    EXPECT_EQ(added.out, "住户 12-301 已登记（独居老人）\n");
    auto issued = box.run("--now 2026-11-02T09:05 --json issue 12-301 --month 2026-11 --count 1");
    ASSERT_EQ(issued.status, 0) << issued.out;
    const auto token = tokenOf(issued, 0);
    const std::string serial = std::to_string(lineOf(issued, 0)["serial"].get<int>());

    auto dry = box.run("--now 2026-11-20T10:00 enter --dry-run --lane entry-1 --plate 沪A12345 --voucher " + token);
    EXPECT_EQ(dry.out, "放行：车辆 沪A12345 凭停车券 " + serial + "（12-301）入场，限停至 14:00（试运行：没有记录）\n");
    auto in = box.run("--now 2026-11-20T10:00 enter --lane entry-1 --plate 沪A12345 --voucher " + token);
    EXPECT_EQ(in.status, 0);
    EXPECT_EQ(in.out, "放行：车辆 沪A12345 凭停车券 " + serial + "（12-301）入场，限停至 14:00（来访 1）\n");
    auto twice = box.run("--now 2026-11-20T11:00 enter --lane entry-1 --plate 沪B54321 --voucher " + token);
    EXPECT_EQ(twice.status, 3) << "exit statuses do not change with the language";
    EXPECT_EQ(twice.out, "不放行：停车券 " + serial + "（12-301）已于 10:00 由 沪A12345 使用过，每张券只能用一次\n");
    auto twice_en =
        box.run("--now 2026-11-20T11:00 --lang en enter --lane entry-1 --plate 沪B54321 --voucher " + token);
    EXPECT_EQ(twice_en.out, "DENY_VOUCHER_USED: already used at 2026-11-20 10:00 by 沪A12345\n");
    auto twice_json = box.run("--now 2026-11-20T11:00 --json enter --lane entry-1 --plate 沪B54321 --voucher " + token);
    EXPECT_EQ(twice_json.json()["message"], "already used at 2026-11-20 10:00 by 沪A12345") << "the JSON stays English";
    auto none = box.run("--now 2026-11-20T11:30 enter --lane entry-1 --plate 沪C11111");
    EXPECT_EQ(none.out, "不放行：车辆 沪C11111 不是登记车辆，请出示停车券\n");
    auto out = box.run("--now 2026-11-20T16:30 exit --lane exit-1 --plate 沪A12345");
    EXPECT_EQ(out.out, "放行：车辆 沪A12345 离场，停车券 " + serial +
                           "（12-301），超时 2小时30分（限停至 14:00）已记录（来访 1）\n");

    // The stored decisions say the same, the refusal with its first use (kept in the row's personal part).
    auto text = box.run("decisions --plate 沪B54321 --limit 1");
    EXPECT_NE(text.out.find("不放行：停车券 " + serial + "（12-301）已于 10:00 由 沪A12345 使用过"), std::string::npos)
        << text.out;
    EXPECT_EQ(text.out.find("already"), std::string::npos) << text.out;
    auto text_en = box.run("--lang en decisions --plate 沪B54321 --limit 1");
    EXPECT_NE(text_en.out.find("already used at 2026-11-20 10:00 by 沪A12345"), std::string::npos) << text_en.out;

    // Voiding, vehicles, households.
    EXPECT_EQ(box.run("--now 2026-11-20T17:00 visit void 1 --operator 老王 --reason 测试").out, "来访 1 已作废\n");
    EXPECT_EQ(box.run("vehicle add 沪D22222 --kind resident --unit 12-301 --until 2027-06-30").out,
              "沪D22222 已登记为住户车辆（户号 12-301），有效期至 2027-06-30\n");
    EXPECT_EQ(box.run("vehicle remove 沪D22222").out, "沪D22222 已从车辆名单中删除\n");
    EXPECT_EQ(box.run("--now 2026-11-21T09:00 household remove 12-301").out,
              "住户 12-301 已注销；它未使用的停车券不再有效\n");
    const auto err_before = box.stderrText().size();
    EXPECT_EQ(box.run("enter --lane entry-1").status, 2);
    EXPECT_NE(box.stderrText().find("请给出 --plate 或 --voucher", err_before), std::string::npos) << box.stderrText();
}

// Issue 15: `decisions` finds why a car was refused, by plate as typed, with the reason in words and the frame.
TEST(CliEndToEnd, DecisionsFindsARefusalByPlateWithItsReasonAndFrame) {
    CliSandbox box;
    ASSERT_EQ(box.run("init").status, 0);
    ASSERT_EQ(box.run("--now 2026-11-02T09:00 household add 12-301 --category living-alone").status, 0);
    auto issued = box.run("--now 2026-11-02T09:05 --json issue 12-301 --month 2026-11 --count 1");
    ASSERT_EQ(issued.status, 0) << issued.out;
    const auto token = tokenOf(issued, 0);
    ASSERT_EQ(box.run("--now 2026-11-20T10:00 enter --lane entry-1 --plate 沪A12345 --voucher " + token).status, 0);
    auto refused = box.run("--now 2026-11-20T18:05 --json enter --lane entry-1 --plate 沪B54321 --voucher " + token);
    ASSERT_EQ(refused.status, 3) << refused.out;
    const auto seq = refused.json()["audit_seq"].get<std::int64_t>();
    std::filesystem::create_directories(box.dir() / "evidence");
    std::ofstream(box.dir() / "evidence" / (std::to_string(seq) + ".jpg")) << "jpeg";

    auto found = box.run("--json decisions --plate 沪b54321");
    ASSERT_EQ(found.status, 0) << found.out;
    ASSERT_EQ(std::count(found.out.begin(), found.out.end(), '\n'), 1) << found.out;
    const auto j = found.json();
    EXPECT_EQ(j["seq"], seq);
    EXPECT_EQ(j["reason"], "DENY_VOUCHER_USED");
    EXPECT_EQ(j["reason_words"], "停车券已使用过");
    EXPECT_EQ(j["admit"], false);
    EXPECT_EQ(j["lane"], "entry-1");
    EXPECT_EQ(j["direction"], "entry");
    EXPECT_EQ(j["plate"], "沪B54321");
    EXPECT_EQ(j["unit"], "12-301");
    EXPECT_EQ(j["at"], "2026-11-20T18:05:00+08:00");
    EXPECT_NE(j["message"].get<std::string>().find("already used"), std::string::npos) << found.out;
    // The frame beside the ledger (database.path is relative here: ./evidence).
    EXPECT_TRUE(j["evidence"].get<std::string>().ends_with("evidence/" + std::to_string(seq) + ".jpg")) << found.out;

    auto all = box.run("--json decisions");
    ASSERT_EQ(std::count(all.out.begin(), all.out.end(), '\n'), 2) << all.out;
    EXPECT_EQ(all.json()["seq"], seq) << "newest first";
    EXPECT_EQ(lineOf(all, 1)["reason"], "ADMIT_VOUCHER");
    EXPECT_FALSE(lineOf(all, 1).contains("evidence")) << "no frame on disk: no path";
    const auto since = box.run("--json decisions --since 2026-11-20T12:00");
    EXPECT_EQ(std::count(since.out.begin(), since.out.end(), '\n'), 1) << since.out;
    EXPECT_EQ(box.run("--json decisions --reason ADMIT_VOUCHER --unit 12-301").json()["plate"], "沪A12345");
    EXPECT_EQ(box.run("--json decisions --lane exit-1").out, "");

    auto text = box.run("decisions --limit 1");
    EXPECT_EQ(text.out.rfind("记录", 0), 0u) << text.out;
    EXPECT_NE(text.out.find("停车券已使用过"), std::string::npos) << text.out;
    EXPECT_NE(text.out.find("evidence/" + std::to_string(seq) + ".jpg"), std::string::npos) << text.out;
    EXPECT_EQ(std::count(text.out.begin(), text.out.end(), '\n'), 2) << "header and one row: " << text.out;
    EXPECT_NE(box.run("--lang en decisions --limit 1").out.find("voucher already used"), std::string::npos);

    EXPECT_EQ(box.run("decisions --reason NOPE").status, 2);
    EXPECT_EQ(box.run("decisions --plate 'hello world'").status, 2);
    EXPECT_EQ(box.run("decisions --since yesterday").status, 2);
    EXPECT_EQ(box.run("decisions --limit 0").status, 2);
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
