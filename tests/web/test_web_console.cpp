// The console over HTTP with a real Beast client: login, wrong passwords, rate limiting, roles, CSRF, the report
// CSV against the CLI's, writes audited under the account's name, idle sessions.
#include <gtest/gtest.h>
#include <sodium.h>

#include <nlohmann/json.hpp>

#include "web/console_site.h"

namespace vg::testing {
namespace {

class WebConsole : public ::testing::Test {
  protected:
    static void SetUpTestSuite() { ASSERT_GE(sodium_init(), 0); }
};

TEST_F(WebConsole, TheLoginPageIsChineseWithTheContractFields) {
    ConsoleSite site;
    const auto r = site.request("GET", "/");
    EXPECT_EQ(r.status, 200);
    EXPECT_NE(r.header("content-type").find("text/html"), std::string::npos);
    EXPECT_NE(r.body.find("登录"), std::string::npos);
    EXPECT_NE(r.body.find("name=\"username\""), std::string::npos);
    EXPECT_NE(r.body.find("name=\"password\""), std::string::npos);
    EXPECT_FALSE(ConsoleSite::field(r.body, "csrf").empty());
    EXPECT_NE(r.body.find("021-62345678"), std::string::npos);  // site.phone
}

TEST_F(WebConsole, ALoginAnswers303WithAnHttpOnlyStrictSessionCookie) {
    ConsoleSite site;
    site.addUser("li", "committee");
    const auto csrf = ConsoleSite::field(site.request("GET", "/").body, "csrf");
    const auto r = site.request("POST", "/login", "username=li&password=correct-horse&csrf=" + csrf);
    EXPECT_EQ(r.status, 303);
    const auto cookie = r.header("set-cookie");
    EXPECT_TRUE(cookie.starts_with("vg_session=")) << cookie;
    EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
    EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
    const auto inside = site.request("GET", "/inside", "", cookie.substr(0, cookie.find(';')));
    EXPECT_EQ(inside.status, 200);
    EXPECT_NE(inside.body.find("在场车辆"), std::string::npos);
}

TEST_F(WebConsole, AWrongPasswordOrAForgedLoginFormGivesNoSession) {
    ConsoleSite site;
    site.addUser("li", "committee");
    int status = 0;
    EXPECT_EQ(site.login("li", "wrong-password", &status), "");
    EXPECT_EQ(status, 401);
    EXPECT_EQ(site.login("nobody", "correct-horse", &status), "");
    EXPECT_EQ(status, 401);
    const auto forged = site.request("POST", "/login", "username=li&password=correct-horse&csrf=abc.1.def");
    EXPECT_EQ(forged.status, 403);
    EXPECT_TRUE(forged.header("set-cookie").empty());
}

TEST_F(WebConsole, FiveWrongPasswordsLockTheAccountEvenForTheRightOne) {
    ConsoleSite site;
    site.addUser("li", "committee");
    for (int i = 0; i < 5; ++i) EXPECT_EQ(site.login("li", "wrong-password"), "");
    int status = 0;
    EXPECT_EQ(site.login("li", "correct-horse", &status), "");
    EXPECT_EQ(status, 429);
    site.clock.advance(std::chrono::minutes(16));
    EXPECT_NE(site.login("li", "correct-horse"), "");
}

TEST_F(WebConsole, WithoutASessionPagesGoToTheLoginAndFilesAnswer401) {
    ConsoleSite site;
    const auto page = site.request("GET", "/inside");
    EXPECT_EQ(page.status, 303);
    EXPECT_EQ(page.header("location"), "/?next=/inside");
    for (const char* target : {"/report.csv?month=2026-11", "/report.xlsx?month=2026-11", "/cards.pdf",
                               "/evidence/1.jpg", "/voucher/1.png"}) {
        EXPECT_EQ(site.request("GET", target).status, 401) << target;
    }
    EXPECT_EQ(site.request("POST", "/households/add", "unit=12-301").status, 401);
    EXPECT_EQ(site.request("GET", "/report", "", "vg_session=0123").status, 303);  // an unknown session
}

TEST_F(WebConsole, EachRoleSeesItsPagesAndIsRefusedTheOthers) {
    ConsoleSite site;
    for (const char* role : {"viewer", "committee", "management", "guard", "admin"}) site.addUser(role, role);
    struct Case {
        const char* role;
        std::vector<std::string> allowed, refused;
    };
    const std::vector<Case> cases{
        {"viewer",
         {"/inside", "/report", "/report.csv?month=2026-11", "/audit"},
         {"/decisions", "/households", "/vehicles", "/gate", "/users"}},
        {"committee", {"/inside", "/decisions", "/report", "/households", "/audit"}, {"/vehicles", "/gate", "/users"}},
        {"management", {"/inside", "/decisions", "/report", "/vehicles", "/audit"}, {"/households", "/users"}},
        {"guard",
         {"/inside", "/decisions"},
         {"/report", "/report.csv?month=2026-11", "/households", "/vehicles", "/audit", "/users"}},
        {"admin", {"/inside", "/decisions", "/report", "/households", "/vehicles", "/audit", "/users"}, {}},
    };
    for (const auto& c : cases) {
        const auto cookie = site.login(c.role);
        ASSERT_NE(cookie, "") << c.role;
        for (const auto& p : c.allowed) EXPECT_EQ(site.request("GET", p, "", cookie).status, 200) << c.role << p;
        for (const auto& p : c.refused) EXPECT_EQ(site.request("GET", p, "", cookie).status, 403) << c.role << p;
    }
    // Actions, not only pages: a guard cannot register a household, a committee member cannot add an account.
    const auto guard = site.login("guard");
    EXPECT_EQ(
        site.request("POST", "/households/add", "unit=9-901&category=living-alone&csrf=" + site.csrf(guard), guard)
            .status,
        403);
    const auto committee = site.login("committee");
    EXPECT_EQ(site.request("POST", "/users/add",
                           "name=eve&role=admin&password=long-enough-1&csrf=" + site.csrf(committee), committee)
                  .status,
              403);
    EXPECT_EQ(site.cli("user list").out.find("eve"), std::string::npos);
}

TEST_F(WebConsole, AFormWithoutTheSessionsCsrfTokenChangesNothing) {
    ConsoleSite site;
    site.addUser("li", "committee");
    const auto cookie = site.login("li");
    const auto r = site.request("POST", "/households/add", "unit=12-301&category=living-alone&csrf=wrong", cookie);
    EXPECT_EQ(r.status, 403);
    EXPECT_EQ(site.request("POST", "/households/add", "unit=12-301&category=living-alone", cookie).status, 403);
    EXPECT_EQ(site.cli("--json household list").out, "");
    const auto ok =
        site.request("POST", "/households/add", "unit=12-301&category=living-alone&csrf=" + site.csrf(cookie), cookie);
    EXPECT_EQ(ok.status, 303);
    EXPECT_NE(site.cli("--json household list").out.find("12-301"), std::string::npos);
}

TEST_F(WebConsole, AFormFieldCannotAddAHeaderToTheAnswer) {
    // The households form's month goes back into the redirect's Location: a line break in it once started a
    // header of the sender's choosing.
    ConsoleSite site;
    site.addUser("li", "committee");
    const auto cookie = site.login("li");
    const auto r = site.request(
        "POST", "/households/add",
        "unit=12-301&category=living-alone&month=2026-12%0D%0AX-Evil:%201&csrf=" + site.csrf(cookie), cookie);
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(r.header("x-evil"), "");
    EXPECT_EQ(r.header("location"), "/households");  // not a month: back to the page's own month
    const auto ok = site.request("POST", "/households/add",
                                 "unit=12-302&category=living-alone&month=2026-12&csrf=" + site.csrf(cookie), cookie);
    EXPECT_EQ(ok.header("location"), "/households?month=2026-12");
}

TEST_F(WebConsole, TheProgramRefusesToStartWithoutALedgerMadeByInit) {
    // Exit 78 (EX_CONFIG) is what the unit's RestartPreventExitStatus= names: no restart loop on a missing ledger,
    // and nothing created at the mistyped path.
    const fs::path dir = fs::temp_directory_path() / fmt::format("vg-web-noledger-{}", ::getpid());
    fs::remove_all(dir);
    fs::create_directories(dir);
    const fs::path config = dir / "voucher-gate.toml";
    std::ofstream(config) << fmt::format(
        "[vouchers]\nkey_file = \"{0}/voucher.keys\"\n[database]\npath = \"{0}/ledger.db\"\n"
        "[audit]\nkey_file = \"{0}/audit.key\"\n",
        dir.string());
    const auto run = shell(fmt::format("{} --config {} 2>&1", VG_WEB_BIN, config.string()));
    EXPECT_EQ(run.rc, 78) << run.out;
    EXPECT_NE(run.out.find((dir / "ledger.db").string()), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("voucher-gate init"), std::string::npos) << run.out;
    EXPECT_FALSE(fs::exists(dir / "ledger.db"));
    fs::remove_all(dir);
}

TEST_F(WebConsole, TheCommitteesWorkIsAuditedUnderItsAccountName) {
    ConsoleSite site;
    site.addUser("li", "committee");
    const auto cookie = site.login("li");
    const auto csrf = site.csrf(cookie);
    ASSERT_EQ(site.request("POST", "/households/add",
                           "unit=12-301&category=living-alone&contact=%E7%8E%8B&phone=13812345678&csrf=" + csrf, cookie)
                  .status,
              303);
    ASSERT_EQ(site.request("POST", "/vouchers/issue", "unit=12-301&month=2026-11&csrf=" + csrf, cookie).status, 303);
    const auto page = site.request("GET", "/households?month=2026-11", "", cookie);
    EXPECT_NE(page.body.find("已给 12-301 发放 2 张"), std::string::npos) << page.body;
    const auto vouchers = site.cli("--json voucher list --unit 12-301 --month 2026-11");
    EXPECT_EQ(std::count(vouchers.out.begin(), vouchers.out.end(), '\n'), 2) << vouchers.out;
    // The audit rows name the account.
    auto ledger = site.pool->borrow();
    auto rows = ledger->auditEntries({.without_decisions = true});
    ASSERT_TRUE(rows);
    int by_li = 0;
    for (const auto& e : *rows) by_li += e.payload.find("\"by\":\"li\"") != std::string::npos ? 1 : 0;
    EXPECT_GE(by_li, 2) << (rows->empty() ? "" : rows->front().payload);
    // And the page shows a card image for a voucher that can still be used.
    const auto first = nlohmann::json::parse(vouchers.out.substr(0, vouchers.out.find('\n')));
    const auto png = site.request("GET", fmt::format("/voucher/{}.png", first["serial"].get<int>()), "", cookie);
    EXPECT_EQ(png.status, 200);
    EXPECT_EQ(png.header("content-type"), "image/png");
    EXPECT_TRUE(png.body.starts_with("\x89PNG"));
    const auto pdf = site.request("GET", "/cards.pdf?month=2026-11", "", cookie);
    EXPECT_EQ(pdf.status, 200);
    EXPECT_TRUE(pdf.body.starts_with("%PDF"));
}

TEST_F(WebConsole, TheReportCsvIsTheClisCsvForTheSameMonth) {
    ConsoleSite site;
    site.addUser("li", "committee");
    ASSERT_EQ(site.cli("household add 12-301 --category living-alone").rc, 0);
    ASSERT_EQ(site.cli("household add 3-2-1201 --category elderly-only").rc, 0);
    const auto issued = site.cli("--json issue 12-301 --month 2026-11 --count 2");
    ASSERT_EQ(issued.rc, 0) << issued.out;
    const auto token = nlohmann::json::parse(issued.out.substr(0, issued.out.find('\n')))["token"].get<std::string>();
    ASSERT_EQ(site.cli("enter --lane entry-1 --plate 沪A12345 --voucher " + token).rc, 0);
    const auto cookie = site.login("li");
    const auto web = site.request("GET", "/report.csv?month=2026-11", "", cookie);
    EXPECT_EQ(web.status, 200);
    EXPECT_NE(web.header("content-type").find("text/csv"), std::string::npos);
    EXPECT_NE(web.header("content-disposition").find("report-2026-11.csv"), std::string::npos);
    const auto cli = site.cli("report --month 2026-11 --format csv");
    ASSERT_EQ(cli.rc, 0);
    EXPECT_EQ(web.body, cli.out);
    EXPECT_TRUE(web.body.starts_with("\xEF\xBB\xBF"));
    const auto xlsx = site.request("GET", "/report.xlsx?month=2026-11", "", cookie);
    EXPECT_EQ(xlsx.status, 200);
    EXPECT_TRUE(xlsx.body.starts_with("PK"));  // a zip: the .xlsx container
    const auto print = site.request("GET", "/report/print?month=2026-11", "", cookie);
    EXPECT_NE(print.body.find("签字"), std::string::npos);
    EXPECT_NE(print.body.find("12-301"), std::string::npos);
}

TEST_F(WebConsole, TheInsidePageShowsTheCarAndFlagsAnOverstay) {
    ConsoleSite site;
    site.addUser("zhang", "guard");
    ASSERT_EQ(site.cli("household add 12-301 --category living-alone").rc, 0);
    const auto issued = site.cli("--json issue 12-301 --month 2026-11 --count 1");
    const auto token = nlohmann::json::parse(issued.out.substr(0, issued.out.find('\n')))["token"].get<std::string>();
    ASSERT_EQ(site.cli("enter --lane entry-1 --plate 沪A12345 --voucher " + token).rc, 0);
    const auto cookie = site.login("zhang");
    auto page = site.request("GET", "/inside", "", cookie);
    EXPECT_NE(page.body.find("沪A12345"), std::string::npos);
    EXPECT_EQ(page.body.find("class=\"over\""), std::string::npos);
    EXPECT_EQ(page.header("refresh"), "30");
    site.clock.advance(std::chrono::hours(4) + std::chrono::minutes(16));
    page = site.request("GET", "/inside", "", site.login("zhang"));
    EXPECT_NE(page.body.find("class=\"over\""), std::string::npos);
    EXPECT_NE(page.body.find("已超时"), std::string::npos);
    // 通行记录 says each decision in Chinese, built from its fields (the stored English sentence is not shown).
    const auto decisions = site.request("GET", "/decisions", "", site.login("zhang"));
    EXPECT_NE(decisions.body.find("放行：车辆 沪A12345 凭停车券 1（12-301）入场，限停至"), std::string::npos)
        << decisions.body;
    EXPECT_EQ(decisions.body.find("admits"), std::string::npos) << decisions.body;
}

TEST_F(WebConsole, ASessionEndsAfterWebSessionIdle) {
    ConsoleSite site;
    site.addUser("li", "committee");
    const auto cookie = site.login("li");
    site.clock.advance(std::chrono::minutes(29));
    EXPECT_EQ(site.request("GET", "/report", "", cookie).status, 200);
    site.clock.advance(std::chrono::minutes(31));
    EXPECT_EQ(site.request("GET", "/report", "", cookie).status, 303);
}

TEST_F(WebConsole, AGbkSpreadsheetImportsAndABadOneImportsNothing) {
    ConsoleSite site;
    site.addUser("wu", "management");
    const auto cookie = site.login("wu");
    const auto csrf = site.csrf(cookie);
    auto upload = [&](const std::string& bytes) {
        const std::string b = "XyZbOuNdArY";
        const std::string body = "--" + b + "\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n" + csrf +
                                 "\r\n--" + b +
                                 "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"cars.csv\"\r\n"
                                 "Content-Type: text/csv\r\n\r\n" +
                                 bytes + "\r\n--" + b + "--\r\n";
        return site.request("POST", "/vehicles/import", body, cookie, "multipart/form-data; boundary=" + b);
    };
    // "沪A12345,resident,12-301" in GBK: 沪 is 0xBB 0xA6.
    EXPECT_EQ(upload("\xBB\xA6"
                     "A12345,resident,12-301\r\n")
                  .status,
              303);
    auto page = site.request("GET", "/vehicles", "", cookie);
    EXPECT_NE(page.body.find("沪A12345"), std::string::npos) << page.body;
    EXPECT_NE(page.body.find("GB18030"), std::string::npos);
    EXPECT_EQ(upload("沪B11111,resident,12-301\nhello world,resident\n").status, 303);
    page = site.request("GET", "/vehicles", "", cookie);
    EXPECT_EQ(page.body.find("沪B11111"), std::string::npos);
    EXPECT_NE(page.body.find("没有导入任何车辆"), std::string::npos);
}

}  // namespace
}  // namespace vg::testing
