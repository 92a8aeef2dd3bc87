// Ledger::decisions (gate/ledger_decisions.cpp): every decision found by plate, unit, lane, reason and time,
// newest first, from the audit rows decide() writes; the plate is gone after the retention purge.
#include <gtest/gtest.h>

#include "ledger_fixture.h"

namespace vg::gate::testing {
namespace {

constexpr YearMonth kNov{2026, 11};

class LedgerDecisions : public LedgerTest {
  protected:
    std::vector<Voucher> a, b;
    void SetUp() override {
        LedgerTest::SetUp();
        household("12-301");
        household("5-602", "elderly-only");
        a = issue("12-301", kNov, 2);
        b = issue("5-602", kNov, 1);
        ASSERT_EQ(enter("沪A12345", a[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
        ASSERT_EQ(enter("沪B54321", a[0].token, "2026-11-20T11:00").reason, Reason::DenyVoucherUsed);
        ASSERT_EQ(enter("沪C11111", std::nullopt, "2026-11-20T12:00").reason, Reason::DenyNeedVoucher);
        ASSERT_EQ(leave("沪A12345", "2026-11-20T18:05").reason, Reason::ReleaseOverstay);
        ASSERT_EQ(enter("沪D22222", b[0].token, "2026-11-21T09:00").reason, Reason::AdmitVoucher);
        ASSERT_TRUE(ledger->recordEvent("MANUAL_OPEN", R"({"lane":"north-out","reason":"ambulance"})",
                                        at("2026-11-21T10:00"), R"({"operator":"guard Li"})"));
    }
    std::vector<DecisionRecord> find(const DecisionFilter& f) {
        auto r = ledger->decisions(f);
        if (!r) throw std::runtime_error(r.error().message);
        return *r;
    }
};

TEST_F(LedgerDecisions, EveryDecisionNewestFirstWithWhatItRecorded) {
    const auto all = find({});
    ASSERT_EQ(all.size(), 6u);
    for (std::size_t i = 1; i < all.size(); ++i) EXPECT_GT(all[i - 1].seq, all[i].seq);
    EXPECT_EQ(all[0].reason, Reason::AdmitManual);
    EXPECT_TRUE(all[0].admit);
    EXPECT_EQ(all[0].lane, "north-out");
    EXPECT_EQ(all[0].operator_name, "guard Li");
    EXPECT_EQ(all[0].message, "ambulance");
    EXPECT_EQ(all[0].at, at("2026-11-21T10:00"));

    const auto& used = all[4];
    EXPECT_EQ(used.reason, Reason::DenyVoucherUsed);
    EXPECT_FALSE(used.admit);
    EXPECT_EQ(used.plate, "沪B54321");
    EXPECT_EQ(used.unit, "12-301");
    EXPECT_EQ(used.serial, a[0].serial);
    EXPECT_EQ(used.direction, "entry");
    EXPECT_EQ(used.lane, "north-in");
    EXPECT_EQ(used.at, at("2026-11-20T11:00"));
    EXPECT_NE(used.message.find("already used at 2026-11-20 10:00 by 沪A12345"), std::string::npos) << used.message;

    const auto& admitted = all[5];
    EXPECT_EQ(admitted.reason, Reason::AdmitVoucher);
    EXPECT_TRUE(admitted.visit.has_value());
    EXPECT_EQ(admitted.seq, count("SELECT MIN(seq) FROM audit_log WHERE kind = 'DECISION'"));
}

TEST_F(LedgerDecisions, FiltersCombineAndThePlateIsNormalised) {
    auto plate = find({.plate = "沪a·12345"});
    ASSERT_EQ(plate.size(), 2u);
    EXPECT_EQ(plate[0].reason, Reason::ReleaseOverstay);
    EXPECT_EQ(plate[0].direction, "exit");
    EXPECT_EQ(plate[1].reason, Reason::AdmitVoucher);

    EXPECT_EQ(find({.unit = "12-301"}).size(), 3u);
    EXPECT_EQ(find({.unit = "5-602"}).size(), 1u);
    EXPECT_EQ(find({.lane = "north-out"}).size(), 2u);
    EXPECT_EQ(find({.reason = Reason::DenyNeedVoucher}).at(0).plate, "沪C11111");
    EXPECT_EQ(find({.reason = Reason::AdmitManual}).size(), 1u);
    EXPECT_EQ(find({.lane = "north-in", .reason = Reason::AdmitVoucher}).size(), 2u);

    const auto day = find({.since = at("2026-11-20T00:00"), .until = at("2026-11-20T18:05")});
    ASSERT_EQ(day.size(), 3u) << "until is exclusive";
    EXPECT_EQ(day[0].reason, Reason::DenyNeedVoucher);
    EXPECT_EQ(find({.since = at("2026-11-20T18:05")}).size(), 3u) << "since is inclusive";

    const auto page1 = find({.limit = 4});
    ASSERT_EQ(page1.size(), 4u);
    const auto page2 = find({.limit = 4, .before_seq = page1.back().seq});
    ASSERT_EQ(page2.size(), 2u);
    EXPECT_LT(page2[0].seq, page1.back().seq);

    EXPECT_TRUE(find({.plate = "沪Z99999"}).empty());
    EXPECT_EQ(ledger->decisions({.limit = 0}).error().kind, LedgerError::Kind::Invalid);
    EXPECT_EQ(ledger->decisions({.plate = " "}).error().kind, LedgerError::Kind::Invalid);
}

TEST_F(LedgerDecisions, ABackDatedDecisionIsFoundAtItsOwnTime) {
    auto obs = entryObs("沪E33333", std::nullopt);
    obs.at = at("2026-11-19T08:00");
    const auto d = ledger->decide(obs, settings, at("2026-11-22T09:00"), false, Manual{"guard Li", "camera down"});
    ASSERT_EQ(d.reason, Reason::DenyNeedVoucher);
    const auto found = find({.until = at("2026-11-19T09:00")});
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].plate, "沪E33333");
    EXPECT_EQ(found[0].operator_name, "guard Li");
    EXPECT_EQ(found[0].seq, d.audit_seq);
}

TEST_F(LedgerDecisions, AfterTheRetentionPurgeThePlateIsGoneAndNotFound) {
    ASSERT_TRUE(ledger->purge(at("2027-12-15T10:00")));
    const auto all = find({});
    ASSERT_EQ(all.size(), 6u) << "the decisions stay";
    for (const auto& r : all) {
        EXPECT_EQ(r.plate, "");
        EXPECT_EQ(r.message, r.reason == Reason::AdmitManual ? "ambulance" : "");
    }
    EXPECT_EQ(all[4].reason, Reason::DenyVoucherUsed);
    EXPECT_EQ(all[4].unit, "12-301") << "the payload stays";
    EXPECT_TRUE(find({.plate = "沪A12345"}).empty());
}

}  // namespace
}  // namespace vg::gate::testing
