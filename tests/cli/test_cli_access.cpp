// The CLI for people who are not root (issue 15): a member of the service group, neither root nor the ledger's
// owner, runs the read commands against files with the installed modes (directory 0750, ledger, -wal, -shm and
// keys 0640, all owned by the service user and group), with the daemon's connection open and without; changes
// are refused with the fix. And every change the CLI makes is audited with the Unix user who made it.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli_runner.h"

namespace {

using vg::test::CliSandbox;
namespace fs = std::filesystem;

// Stand-ins for the service user and group: ids no account on a test machine uses.
constexpr unsigned kServiceUid = 47311;
constexpr unsigned kServiceGid = 47311;

// The payloads (or what `sql` selects) of the audit rows of `kind`, oldest first.
std::vector<nlohmann::json> auditPayloads(
    const fs::path& db_path, const std::string& kind,
    const char* sql = "SELECT payload FROM audit_log WHERE kind = ? ORDER BY seq") {
    std::vector<nlohmann::json> out;
    sqlite3* db = nullptr;
    if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
        sqlite3_close(db);
        return out;
    }
    sqlite3_stmt* q = nullptr;
    sqlite3_prepare_v2(db, sql, -1, &q, nullptr);
    sqlite3_bind_text(q, 1, kind.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(q) == SQLITE_ROW) {
        out.push_back(nlohmann::json::parse(reinterpret_cast<const char*>(sqlite3_column_text(q, 0))));
    }
    sqlite3_finalize(q);
    sqlite3_close(db);
    return out;
}

class CliAccess : public ::testing::Test {
  protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root to run the CLI as another user";
        if (std::system("command -v setpriv >/dev/null 2>&1") != 0) GTEST_SKIP() << "no setpriv (util-linux)";
        ASSERT_EQ(box.run("init").status, 0);
        ASSERT_EQ(box.run("--now 2026-11-02T09:00 household add 12-301 --category living-alone").status, 0);
        auto issued = box.run("--now 2026-11-02T09:05 --json issue 12-301 --month 2026-11 --count 2");
        ASSERT_EQ(issued.status, 0);
        ASSERT_EQ(box.run("--now 2026-11-20T10:00 enter --lane entry-1 --plate 沪A12345 --voucher " +
                          issued.json().at("token").get<std::string>())
                      .status,
                  0);
        // The installed modes: what systemd/voucher-gate.tmpfiles.conf, `init` and the daemon leave.
        ASSERT_EQ(::chown(box.dir().c_str(), kServiceUid, kServiceGid), 0);
        fs::permissions(box.dir(), fs::perms(0750));
        for (const auto& entry : fs::directory_iterator(box.dir())) {
            const auto name = entry.path().filename().string();
            if (name == "vg.toml" || name == "stderr.log") continue;
            ASSERT_EQ(::chown(entry.path().c_str(), kServiceUid, kServiceGid), 0);
            struct stat st {};
            ASSERT_EQ(::stat(entry.path().c_str(), &st), 0);
            EXPECT_EQ(st.st_mode & 0777, 0640u) << name << " as the CLI left it";
        }
        for (const char* f : {"ledger.db-wal", "ledger.db-shm"}) {
            EXPECT_TRUE(fs::exists(box.dir() / f)) << f << " must stay for readers who cannot create it";
        }
    }
    void TearDown() override {
        std::error_code ec;
        if (!box.dir().empty()) fs::permissions(box.dir(), fs::perms(0755), ec);
    }
    // A member of the service group: uid nobody, its only group the service group.
    vg::test::CliRun asMember(const std::string& args) const {
        return box.runWith("setpriv --reuid=65534 --regid=" + std::to_string(kServiceGid) + " --clear-groups --", args);
    }
    void expectReads() {
        auto report = asMember("--now 2026-11-20T11:00 report --month 2026-11 --format json");
        ASSERT_EQ(report.status, 0) << box.stderrText();
        EXPECT_EQ(report.json()["households"][0]["used"], 1);
        auto visits = asMember("--now 2026-11-20T11:00 --json visits");
        EXPECT_EQ(visits.status, 0) << box.stderrText();
        EXPECT_NE(visits.out.find("沪A12345"), std::string::npos);
        EXPECT_EQ(asMember("audit verify").status, 0) << box.stderrText();
        for (const char* cmd : {"household list", "voucher list", "vehicle list", "user list"}) {
            EXPECT_EQ(asMember(cmd).status, 0) << cmd << ": " << box.stderrText();
        }
    }
    CliSandbox box;
};

TEST_F(CliAccess, GroupMemberReadsWithTheDaemonsConnectionOpen) {
    // The daemon's connection: open, with a read transaction's worth of live -wal and -shm.
    sqlite3* daemon = nullptr;
    ASSERT_EQ(sqlite3_open_v2(box.db().c_str(), &daemon, SQLITE_OPEN_READWRITE, nullptr), SQLITE_OK);
    ASSERT_EQ(
        sqlite3_exec(daemon, "PRAGMA wal_autocheckpoint=0; SELECT COUNT(*) FROM visits", nullptr, nullptr, nullptr),
        SQLITE_OK);
    expectReads();
    sqlite3_close(daemon);
}

TEST_F(CliAccess, GroupMemberReadsWithNobodyElseOpen) { expectReads(); }

TEST_F(CliAccess, GroupMemberCannotChangeTheLedgerAndIsToldWhy) {
    const auto before = auditPayloads(box.db(), "HOUSEHOLD_ADD").size();
    auto add = asMember("--now 2026-11-21T09:00 household add 12-302 --category living-alone");
    EXPECT_EQ(add.status, 1);
    EXPECT_NE(box.stderrText().find("cannot be written by nobody"), std::string::npos) << box.stderrText();
    EXPECT_EQ(auditPayloads(box.db(), "HOUSEHOLD_ADD").size(), before);
}

TEST_F(CliAccess, WithoutItsWalFilesTheReaderSaysWhatIsMissing) {
    fs::remove(box.dir() / "ledger.db-wal");
    fs::remove(box.dir() / "ledger.db-shm");
    EXPECT_EQ(asMember("--now 2026-11-20T11:00 report --month 2026-11").status, 1);
    EXPECT_NE(box.stderrText().find("-wal and -shm files are missing"), std::string::npos) << box.stderrText();
}

TEST(CliAudit, EveryChangeNamesTheUnixUserAndWhoRanSudo) {
    CliSandbox box;
    const std::string sudo = "SUDO_USER=alice";
    ASSERT_EQ(box.runWith(sudo, "init").status, 0);
    ASSERT_EQ(box.runWith(sudo, "--now 2026-11-02T09:00 household add 12-301 --category living-alone").status, 0);
    ASSERT_EQ(box.runWith(sudo, "--now 2026-11-02T09:05 issue 12-301 --month 2026-11 --count 2").status, 0);
    ASSERT_EQ(box.runWith(sudo, "--now 2026-11-02T09:06 voucher revoke 2 --reason lost").status, 0);
    ASSERT_EQ(box.runWith(sudo, "--now 2026-11-02T09:07 vehicle add 沪R00001 --kind resident --unit 12-301").status, 0);
    // Without sudo: the Unix user alone, with the guard's --operator kept beside it (not instead).
    const auto manual = box.run(
        "--now 2026-11-20T10:00 --json enter --lane entry-1 --plate 沪A12345 --operator "
        "'guard Li' --reason 'card forgotten' --at 2026-11-20T09:58");
    ASSERT_TRUE(manual.status == 0 || manual.status == 3) << manual.out;
    for (const char* kind : {"HOUSEHOLD_ADD", "VOUCHER_ISSUE", "VOUCHER_REVOKE", "VEHICLE_ADD"}) {
        const auto rows = auditPayloads(box.db(), kind);
        ASSERT_FALSE(rows.empty()) << kind;
        for (const auto& p : rows) {
            const std::string by = p.value("by", "");
            if (::geteuid() == 0) {
                EXPECT_EQ(by, "root (sudo: alice)") << kind;
            } else {
                EXPECT_FALSE(by.empty()) << kind;
                EXPECT_EQ(by.find("sudo"), std::string::npos) << "SUDO_USER is not trusted unless root: " << by;
            }
        }
    }
    const auto decisions = auditPayloads(box.db(), "DECISION");
    ASSERT_FALSE(decisions.empty());
    EXPECT_EQ(decisions.back().value("by", "?").find("sudo"), std::string::npos) << decisions.back().dump();
    EXPECT_FALSE(decisions.back().value("by", "").empty()) << decisions.back().dump();
    const auto personal = auditPayloads(box.db(), "DECISION",
                                        "SELECT p.clear FROM audit_log a JOIN audit_personal p "
                                        "ON p.seq = a.seq WHERE a.kind = ? ORDER BY a.seq");
    ASSERT_FALSE(personal.empty());
    EXPECT_EQ(personal.back().value("operator", ""), "guard Li");
}

}  // namespace
