// Rule 9 on the real database file: whoever edits the ledger with sqlite3 but lacks the audit key is found out
// (any column of any row, a deleted middle row, a cut tail given the printed head, the clear personal values),
// while the retention purge is not flagged. Personal data never enters the chain in clear.
#include <gtest/gtest.h>

#include "ledger_fixture.h"

namespace vg::gate {
namespace {

using testing::LedgerTest;

constexpr YearMonth kNov{2026, 11};

class Rule9_Audit : public LedgerTest {
  protected:
    void SetUp() override {
        LedgerTest::SetUp();
        household("12-301");
        household("5-502", "elderly-only");
        const auto v = issue("12-301", kNov, 2);
        ASSERT_TRUE(
            ledger->addVehicle(Vehicle{"沪R00001", VehicleKind::Resident, "5-502", {}}, at("2026-11-01T10:00")));
        ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
        ASSERT_EQ(enter("沪A12345", v[1].token, "2026-11-20T10:05").reason, Reason::DenyAlreadyInside);
        ASSERT_EQ(leave("沪A12345", "2026-11-20T12:00").reason, Reason::ReleaseVisit);
        ASSERT_TRUE(ledger->revoke(v[1].serial, "lost", at("2026-11-21T09:00")));
        ASSERT_TRUE(ledger->recordEvent("MANUAL_OPEN", R"({"lane":"north-in","reason":"ambulance"})",
                                        at("2026-11-21T10:00"), R"({"operator":"guard Li"})"));
        ASSERT_EQ(enter("沪R00001", std::nullopt, "2026-11-21T11:00").reason, Reason::AdmitResident);
        rows = count("SELECT COUNT(*) FROM audit_log");
        ASSERT_GE(rows, 10);
        const auto v0 = ledger->verifyAudit(std::nullopt);
        ASSERT_TRUE(v0.ok) << v0.problem;
    }

    void expectBrokenAt(std::int64_t seq, const std::string& what) {
        const auto verdict = ledger->verifyAudit(std::nullopt);
        EXPECT_FALSE(verdict.ok) << what;
        EXPECT_EQ(verdict.first_bad_seq, seq) << what << ": " << verdict.problem;
        EXPECT_FALSE(verdict.problem.empty()) << what;
    }

    std::int64_t rows = 0;
};

// A different value of the same type, as a tamperer would write it.
std::string altered(const std::string& value) {
    if (value.empty()) return "0";
    std::string out = value;
    char& c = out[out.size() / 2];
    c = c == '0' ? '1' : c == '{' ? '[' : '0';
    return out;
}

TEST_F(Rule9_Audit, EditingAnyColumnOfAnyRowIsDetected) {
    auto db = raw();
    const std::vector<std::string> columns{"at", "kind", "payload", "subject_commitment", "prev_hash", "hash"};
    for (std::int64_t seq = 1; seq <= rows; ++seq) {
        for (const auto& column : columns) {
            SQLite::Statement get(db, "SELECT " + column + " FROM audit_log WHERE seq = ?");
            get.bind(1, seq);
            ASSERT_TRUE(get.executeStep());
            const std::string original = get.getColumn(0).getString();
            SQLite::Statement set(db, "UPDATE audit_log SET " + column + " = ? WHERE seq = ?");
            set.bind(1, altered(original));
            set.bind(2, seq);
            ASSERT_EQ(set.exec(), 1);
            expectBrokenAt(seq, "row " + std::to_string(seq) + " column " + column);
            set.reset();
            set.bind(1, original);
            set.bind(2, seq);
            ASSERT_EQ(set.exec(), 1);
        }
        // and the sequence number itself: the row moves away from its place
        db.exec("UPDATE audit_log SET seq = seq + 1000 WHERE seq = " + std::to_string(seq));
        expectBrokenAt(seq, "row " + std::to_string(seq) + " column seq");
        db.exec("UPDATE audit_log SET seq = seq - 1000 WHERE seq = " + std::to_string(seq + 1000));
    }
    const auto restored = ledger->verifyAudit(std::nullopt);
    EXPECT_TRUE(restored.ok) << restored.problem;
}

TEST_F(Rule9_Audit, DeletingAMiddleRowIsDetected) {
    const std::int64_t middle = rows / 2;
    raw().exec("DELETE FROM audit_log WHERE seq = " + std::to_string(middle));
    expectBrokenAt(middle, "deleted row");
}

TEST_F(Rule9_Audit, CuttingTheTailIsDetectedWithTheHead) {
    const auto head = ledger->auditHead().value();
    EXPECT_EQ(head.count, rows);
    // a careful cut takes the personal rows of the cut rows with it
    raw().exec("DELETE FROM audit_personal WHERE seq > " + std::to_string(rows - 3) +
               "; DELETE FROM audit_log WHERE seq > " + std::to_string(rows - 3));
    // without the printed head a clean cut looks like a shorter log ...
    EXPECT_TRUE(ledger->verifyAudit(std::nullopt).ok);
    // ... with it (audit verify --head N:HASH) it is found, naming the first missing row
    const auto parsed = AuditHead::parse(head.str());
    ASSERT_TRUE(parsed);
    const auto verdict = ledger->verifyAudit(*parsed);
    EXPECT_FALSE(verdict.ok);
    EXPECT_EQ(verdict.first_bad_seq, rows - 2) << verdict.problem;
}

TEST_F(Rule9_Audit, RechainingWithoutTheKeyIsDetected) {
    // Delete a row and rebuild the whole chain with a key of one's own: every hash is wrong for the real key.
    auto db = raw();
    db.exec("DELETE FROM audit_log WHERE seq = 3");
    std::vector<AuditRow> chain;
    {
        SQLite::Statement q(db, "SELECT at, kind, payload, subject_commitment FROM audit_log ORDER BY seq");
        while (q.executeStep()) {
            chain.push_back(AuditRow{.at = q.getColumn(0).getString(),
                                     .kind = q.getColumn(1).getString(),
                                     .payload = q.getColumn(2).getString(),
                                     .subject_commitment = q.getColumn(3).getString()});
        }
    }
    db.exec("DELETE FROM audit_log");
    const AuditKey forger = AuditKey::generate();
    std::string prev = kAuditGenesisHash;
    for (std::size_t i = 0; i < chain.size(); ++i) {
        auto& r = chain[i];
        r.seq = static_cast<std::int64_t>(i) + 1;
        r.prev_hash = prev;
        r.hash = auditRowHash(forger, r);
        prev = r.hash;
        SQLite::Statement ins(db, "INSERT INTO audit_log VALUES(?,?,?,?,?,?,?)");
        ins.bind(1, r.seq);
        ins.bind(2, r.at);
        ins.bind(3, r.kind);
        ins.bind(4, r.payload);
        ins.bind(5, r.subject_commitment);
        ins.bind(6, r.prev_hash);
        ins.bind(7, r.hash);
        ins.exec();
    }
    expectBrokenAt(1, "re-chained");
}

TEST_F(Rule9_Audit, EditingTheClearPersonalValuesIsDetected) {
    const auto seq = count("SELECT p.seq FROM audit_personal p WHERE p.clear LIKE '%沪A12345%' ORDER BY p.seq LIMIT 1");
    raw().exec("UPDATE audit_personal SET clear = replace(clear, '沪A12345', '沪A99999') WHERE seq = " +
               std::to_string(seq));
    expectBrokenAt(seq, "personal clear value");
}

TEST_F(Rule9_Audit, EditingThePersonalSaltIsDetected) {
    const auto seq = count("SELECT MIN(seq) FROM audit_personal");
    raw().exec("UPDATE audit_personal SET salt = '00000000000000000000000000000000' WHERE seq = " +
               std::to_string(seq));
    expectBrokenAt(seq, "personal salt");
}

TEST_F(Rule9_Audit, RetentionPurgeIsNotFlagged) {
    const auto head = ledger->auditHead().value();
    const auto n = ledger->purge(at("2027-12-31T10:00"));
    ASSERT_TRUE(n.has_value()) << n.error().message;
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_personal"), 0);
    const auto verdict = ledger->verifyAudit(std::nullopt);
    EXPECT_TRUE(verdict.ok) << verdict.problem;
    EXPECT_EQ(verdict.head.count, rows + 1);  // the purge itself is an audited event
    EXPECT_TRUE(ledger->verifyAudit(head).ok);
}

TEST_F(Rule9_Audit, PersonalDataNeverEntersTheChainInClear) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE payload LIKE '%沪A12345%' OR payload LIKE '%沪R00001%' "
                    "OR payload LIKE '%王阿姨%' OR payload LIKE '%13800000000%' OR payload LIKE '%guard Li%'"),
              0);
    EXPECT_GT(count("SELECT COUNT(*) FROM audit_personal WHERE clear LIKE '%沪A12345%'"), 0);
    EXPECT_GT(count("SELECT COUNT(*) FROM audit_personal WHERE clear LIKE '%guard Li%'"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_personal p JOIN audit_log a USING(seq) "
                    "WHERE a.subject_commitment = ''"),
              0);
}

TEST_F(Rule9_Audit, EveryDecisionIssuanceAndRevocationIsLogged) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE kind = 'VOUCHER_ISSUE'"), 2);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE kind = 'VOUCHER_REVOKE'"), 1);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE kind = 'HOUSEHOLD_ADD'"), 2);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE kind = 'DECISION'"), 4);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE kind = 'DECISION' AND payload LIKE "
                    "'%\"reason\":\"DENY_ALREADY_INSIDE\"%'"),
              1);
}

}  // namespace
}  // namespace vg::gate
