// Who may read and who wrote: a ledger opened read-only reads everything and changes nothing (no migration, no
// spool replay, every change refused by name), a writable one keeps its -wal and -shm files for such readers, and
// every audit row for a change names its author (Ledger::setActor) as "by".
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <nlohmann/json.hpp>
#include <set>

#include "gate/exit_spool.h"
#include "ledger_fixture.h"

namespace vg::gate {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;
using testing::LedgerTest;

constexpr YearMonth kNov{2026, 11};

class LedgerAccess : public LedgerTest {
  protected:
    LedgerOptions readOnly() const {
        auto o = options();
        o.read_only = true;
        return o;
    }
    // Every audit row's kind and payload, oldest first.
    std::vector<std::pair<std::string, json>> auditRows() const {
        auto db = raw();
        SQLite::Statement q(db, "SELECT kind, payload FROM audit_log ORDER BY seq");
        std::vector<std::pair<std::string, json>> out;
        while (q.executeStep()) out.emplace_back(q.getColumn(0).getString(), json::parse(q.getColumn(1).getString()));
        return out;
    }
    void fillMonth() {
        household("12-301");
        const auto v = issue("12-301", kNov, 2);
        token = v[1].token;
        ASSERT_TRUE(
            ledger->addVehicle(Vehicle{"沪R00001", VehicleKind::Resident, "12-301", {}}, at("2026-11-01T10:00")));
        ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    }
    std::string token;
};

TEST_F(LedgerAccess, ReadOnlyReadsEverythingAndChangesNothing) {
    fillMonth();
    const auto rows = count("SELECT COUNT(*) FROM audit_log");
    // Both with the writer still open (its -wal live) and after it closed.
    for (bool writer_open : {true, false}) {
        SCOPED_TRACE(writer_open ? "writer open" : "writer closed");
        if (!writer_open) ledger.reset();
        auto ro = open(readOnly());
        EXPECT_TRUE(ro->readOnly());
        ASSERT_TRUE(ro->report(kNov, settings, at("2026-11-20T11:00")));
        EXPECT_EQ(ro->report(kNov, settings, at("2026-11-20T11:00"))->households.at(0).used, 1);
        EXPECT_EQ(ro->visits({}, settings, at("2026-11-20T11:00")).value().size(), 1u);
        EXPECT_EQ(ro->households().value().size(), 1u);
        EXPECT_EQ(ro->vouchers(std::nullopt, kNov).value().size(), 2u);
        EXPECT_EQ(ro->vehicles().value().size(), 1u);
        EXPECT_TRUE(ro->accounts());
        EXPECT_TRUE(ro->verifyAudit(std::nullopt).ok);

        const auto now = at("2026-11-21T09:00");
        auto refusedByName = [](const auto& result, const std::string& what) {
            ASSERT_FALSE(result) << what;
            EXPECT_NE(result.error().message.find(what), std::string::npos) << result.error().message;
            EXPECT_NE(result.error().message.find("read-only"), std::string::npos) << result.error().message;
        };
        refusedByName(ro->addHousehold("12-302", "living-alone", "", "", settings.eligible_categories, now),
                      "adding a household");
        refusedByName(ro->removeHousehold("12-301", now), "removing a household");
        refusedByName(ro->issue("12-301", YearMonth{2026, 12}, 1, 2, settings.eligible_categories, now),
                      "issuing vouchers");
        refusedByName(ro->revoke(2, "lost", now), "revoking a voucher");
        refusedByName(ro->replace(2, now), "replacing a voucher");
        refusedByName(ro->addVehicle(Vehicle{"沪B00002", VehicleKind::Blocked, "", {}}, now), "registering a vehicle");
        refusedByName(ro->importVehicles({Vehicle{"沪B00002", VehicleKind::Blocked, "", {}}}, now),
                      "importing vehicles");
        refusedByName(ro->removeVehicle("沪R00001", now), "removing a vehicle");
        refusedByName(ro->voidVisit(1, Manual{"guard Li", "test"}, true, now), "voiding a visit");
        refusedByName(ro->sweepOverstays(settings, now), "the overstay sweep");
        refusedByName(ro->purge(now), "the retention purge");
        refusedByName(ro->recordEvent("MANUAL_OPEN", "{}", now), "recording an event");
        refusedByName(ro->replaySpool(settings, now), "replaying the exit spool");
        refusedByName(ro->addAccount("clerk", Role::Committee, "correct horse battery", "root", now),
                      "adding an account");
        refusedByName(ro->disableAccount("clerk", "root", now), "disabling an account");

        const auto d = ro->decide(entryObs("沪C33333", token), settings, now);
        EXPECT_EQ(d.reason, Reason::DenyInternal);
        EXPECT_NE(d.message.find("nothing was recorded"), std::string::npos) << d.message;
        const auto dry = ro->decide(entryObs("沪C33333", token), settings, now, true);
        EXPECT_EQ(dry.reason, Reason::AdmitVoucher) << "a dry run only reads: " << dry.message;
        const auto held = ro->confirm(exitObs("沪A12345"), settings, now, Manual{"guard Li", "ok"}, false);
        EXPECT_FALSE(held.audit_seq > 0);

        EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log"), rows);
        EXPECT_EQ(count("SELECT COUNT(*) FROM visits"), 1);
    }
}

TEST_F(LedgerAccess, ReadOnlyNeverReplaysTheSpool) {
    fillMonth();
    // An exit decided while the ledger was unavailable, waiting in the spool.
    ASSERT_TRUE(ExitSpool(spoolPath()).append(exitObs("沪A12345"), at("2026-11-20T12:00")));
    ledger.reset();
    const auto size_before = fs::file_size(spoolPath());
    auto ro = open(readOnly());
    (void)ro->decide(exitObs("沪B99999"), settings, at("2026-11-20T12:05"));
    (void)ro->decide(exitObs("沪B99999"), settings, at("2026-11-20T12:05"), true);
    ASSERT_TRUE(ro->report(kNov, settings, at("2026-11-20T12:05")));
    EXPECT_EQ(fs::file_size(spoolPath()), size_before) << "a read-only ledger spools nothing either";
    EXPECT_EQ(count("SELECT COUNT(*) FROM visits WHERE exited_at IS NOT NULL"), 0);
}

TEST_F(LedgerAccess, ReadOnlyNeverMigratesAndSaysToRunInit) {
    ledger.reset();
    raw().exec("DROP TABLE accounts; UPDATE meta SET value = '2' WHERE key = 'schema_version'");
    try {
        open(readOnly());
        FAIL() << "an older schema opened read-only";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("voucher-gate init"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("older"), std::string::npos) << e.what();
    }
    EXPECT_EQ(count("SELECT value FROM meta WHERE key = 'schema_version'"), 2) << "not migrated";
    EXPECT_EQ(open()->schemaVersion(), 3) << "a writable open migrates";
}

TEST_F(LedgerAccess, WritableLedgerKeepsItsWalFilesWithTheLedgersMode) {
    fillMonth();
    ledger.reset();  // the last connection closes
    const std::string db = dbPath().string();
    for (const std::string& f : {db, db + "-wal", db + "-shm"}) {
        struct stat st {};
        ASSERT_EQ(::stat(f.c_str(), &st), 0) << f << " is gone: a reader without write access cannot read";
        EXPECT_EQ(st.st_mode & 0777, 0640u) << f;
    }
}

TEST_F(LedgerAccess, ReadOnlyWithoutWalFilesSaysWhatIsMissing) {
    if (::geteuid() == 0) GTEST_SKIP() << "root may create the files anyway";
    fillMonth();
    ledger.reset();
    const std::string db = dbPath().string();
    fs::remove(db + "-wal");
    fs::remove(db + "-shm");
    fs::permissions(dir.path(), fs::perms(0500));
    try {
        open(readOnly());
        ADD_FAILURE() << "opened without -wal and -shm in a read-only directory";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("-wal and -shm files are missing"), std::string::npos) << e.what();
    }
    fs::permissions(dir.path(), fs::perms(0700));
}

TEST_F(LedgerAccess, EveryChangeNamesItsAuthor) {
    ledger->setActor("root (sudo: alice)");
    fillMonth();
    const auto now = at("2026-11-21T09:00");
    ASSERT_TRUE(ledger->revoke(2, "lost", now));
    household("12-302", "living-alone", "2026-11-21T09:00");
    const auto v = issue("12-302", kNov, 1, "2026-11-21T09:01");
    ASSERT_TRUE(ledger->replace(v[0].serial, at("2026-11-21T09:02")));
    ASSERT_TRUE(ledger->importVehicles({Vehicle{"沪B00002", VehicleKind::Blocked, "", {}}}, now));
    ASSERT_TRUE(ledger->removeVehicle("沪B00002", now));
    ASSERT_TRUE(ledger->voidVisit(1, Manual{"guard Li", "test"}, true, now));
    ASSERT_TRUE(ledger->removeHousehold("12-302", now));
    ASSERT_TRUE(ledger->recordEvent("MANUAL_OPEN", R"({"lane":"north-in"})", now, R"({"operator":"guard Li"})"));
    ASSERT_TRUE(ledger->addAccount("clerk", Role::Committee, "correct horse battery", "root (sudo: alice)", now));
    const auto manual = ledger->decide(entryObs("沪D44444", std::nullopt), settings, at("2026-11-21T09:10"), false,
                                       Manual{"guard Li", "delivery"});
    EXPECT_GT(manual.audit_seq, 0);

    std::set<std::string> kinds;
    for (const auto& [kind, payload] : auditRows()) {
        kinds.insert(kind);
        EXPECT_EQ(payload.value("by", ""), "root (sudo: alice)") << kind << " " << payload.dump();
    }
    for (const char* k : {"HOUSEHOLD_ADD", "HOUSEHOLD_REMOVE", "VOUCHER_ISSUE", "VOUCHER_REVOKE", "VOUCHER_REPLACE",
                          "VEHICLE_ADD", "VEHICLE_REMOVE", "VISIT_VOID", "MANUAL_OPEN", "ACCOUNT_ADD", "DECISION"}) {
        EXPECT_TRUE(kinds.contains(k)) << k << " not written";
    }
    EXPECT_TRUE(ledger->verifyAudit(std::nullopt).ok);
}

TEST_F(LedgerAccess, WithoutAnActorNoRowClaimsOne) {
    fillMonth();  // the daemon's lanes set no actor
    for (const auto& [kind, payload] : auditRows()) EXPECT_FALSE(payload.contains("by")) << kind;
}

}  // namespace
}  // namespace vg::gate
