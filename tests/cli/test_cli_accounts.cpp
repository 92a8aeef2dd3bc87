// `voucher-gate user`: console accounts from the CLI, passwords only on standard input, changes audited with
// the Unix user who ran the command.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sqlite3.h>
#include <unistd.h>

#include <fstream>

#include "cli_runner.h"

namespace {

using vg::test::CliSandbox;

std::string me() {
    const passwd* pw = ::getpwuid(::geteuid());
    return pw != nullptr ? pw->pw_name : "uid " + std::to_string(::geteuid());
}

TEST(CliAccounts, AddListPasswdDisableWithThePasswordOnStandardInput) {
    CliSandbox box;
    ASSERT_EQ(box.run("init").status, 0);
    std::ofstream(box.dir() / "pw1") << "first password\n";
    std::ofstream(box.dir() / "pw2") << "second password\r\n";

    auto added = box.run("--now 2026-11-02T09:00 user add wang.li --role committee --password-stdin --json < pw1");
    ASSERT_EQ(added.status, 0) << added.out;
    EXPECT_EQ(added.json()["account"]["role"], "committee");
    EXPECT_EQ(box.run("user add wang.li --role admin --password-stdin < pw1").status, 3) << "exists already";
    EXPECT_EQ(box.run("user add bad --role root --password-stdin < pw1").status, 2) << "no such role";
    EXPECT_EQ(box.run("user add quiet --role viewer --password-stdin < /dev/null").status, 2) << "no password";
    EXPECT_EQ(box.run("user add Upper --role viewer --password-stdin < pw1").status, 2) << "a bad name is usage";

    auto listed = box.run("user list --json");
    ASSERT_EQ(listed.status, 0);
    EXPECT_EQ(listed.json()["name"], "wang.li");
    EXPECT_TRUE(listed.json()["disabled_at"].is_null());

    EXPECT_EQ(box.run("--now 2026-11-03T09:00 user passwd wang.li < pw2").status, 0);
    EXPECT_EQ(box.run("user passwd nobody < pw2").status, 2) << "no such account";
    EXPECT_EQ(box.run("--now 2026-11-04T09:00 user disable wang.li").status, 0);
    EXPECT_EQ(box.run("user disable wang.li").status, 3) << "disabled already";
    EXPECT_EQ(box.run("user list --json").json()["disabled_at"], "2026-11-04T09:00:00+08:00");

    // Who did it: the Unix user, in every audit row; the chain still verifies.
    auto audit = box.run("audit verify");
    EXPECT_EQ(audit.status, 0) << audit.out;
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(box.db().c_str(), &db), SQLITE_OK);
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, "SELECT kind, payload FROM audit_log WHERE kind LIKE 'ACCOUNT_%' ORDER BY seq", -1, &q,
                       nullptr);
    std::vector<std::string> kinds;
    while (sqlite3_step(q) == SQLITE_ROW) {
        kinds.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(q, 0)));
        const auto payload = nlohmann::json::parse(reinterpret_cast<const char*>(sqlite3_column_text(q, 1)));
        EXPECT_EQ(payload["by"], me());
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    EXPECT_EQ(kinds, (std::vector<std::string>{"ACCOUNT_ADD", "ACCOUNT_PASSWORD", "ACCOUNT_DISABLE"}));
}

}  // namespace
