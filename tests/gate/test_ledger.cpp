// The rules end to end on a real SQLite ledger (temp file, injected time): what the committee, the guard and a
// driver would notice. One suite per rule of PRODUCT.md.
#include <gtest/gtest.h>

#include <fstream>

#include "ledger_fixture.h"

namespace vg::gate {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using testing::LedgerTest;

constexpr YearMonth kNov{2026, 11};
constexpr YearMonth kDec{2026, 12};

bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }

// ---- Rule 1: eligibility --------------------------------------------------------------------------------------

class Rule1_Eligibility : public LedgerTest {};

TEST_F(Rule1_Eligibility, IneligibleCategoryIsRefusedByName) {
    const auto r =
        ledger->addHousehold("9-901", "young-family", "", "", settings.eligible_categories, at("2026-11-01T08:00"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, LedgerError::Kind::Refused);
    EXPECT_TRUE(contains(r.error().message, "young-family")) << r.error().message;
    EXPECT_TRUE(contains(r.error().message, "living-alone")) << r.error().message;
    EXPECT_TRUE(ledger->households().value().empty());
}

TEST_F(Rule1_Eligibility, CategoryDroppedFromTheListGetsNoNewVouchers) {
    household("1-101", "elderly-only");
    const auto r = ledger->issue("1-101", kNov, 1, 2, {"living-alone"}, at("2026-11-01T09:00"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, LedgerError::Kind::Refused);
    EXPECT_TRUE(contains(r.error().message, "elderly-only")) << r.error().message;
}

TEST_F(Rule1_Eligibility, UnknownHouseholdGetsNoVouchers) {
    const auto r = ledger->issue("7-707", kNov, 1, 2, settings.eligible_categories, at("2026-11-01T09:00"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, LedgerError::Kind::NotFound);
    EXPECT_TRUE(contains(r.error().message, "7-707"));
}

// ---- Rule 2: quota --------------------------------------------------------------------------------------------

class Rule2_Quota : public LedgerTest {};

TEST_F(Rule2_Quota, ThirdVoucherRefused) {
    household("12-301");
    ASSERT_EQ(issue("12-301", kNov, 2).size(), 2u);
    const auto third = ledger->issue("12-301", kNov, 1, 2, settings.eligible_categories, at("2026-11-02T09:00"));
    ASSERT_FALSE(third.has_value());
    EXPECT_EQ(third.error().kind, LedgerError::Kind::Refused);
    EXPECT_TRUE(contains(third.error().message, "quota")) << third.error().message;
    EXPECT_EQ(ledger->vouchers("12-301", kNov).value().size(), 2u);
}

TEST_F(Rule2_Quota, MoreThanTheQuotaAtOnceIsRefusedWhole) {
    household("12-301");
    ASSERT_FALSE(ledger->issue("12-301", kNov, 3, 2, settings.eligible_categories, at("2026-11-01T09:00")));
    EXPECT_TRUE(ledger->vouchers("12-301", std::nullopt).value().empty());
}

TEST_F(Rule2_Quota, QuotaIsPerHouseholdAndPerMonth) {
    household("1-101");
    household("2-202");
    EXPECT_EQ(issue("1-101", kNov, 2).size(), 2u);
    EXPECT_EQ(issue("2-202", kNov, 2).size(), 2u);
    EXPECT_EQ(issue("1-101", kDec, 2).size(), 2u);  // next month's, issued ahead
    EXPECT_FALSE(ledger->issue("1-101", kDec, 1, 2, settings.eligible_categories, at("2026-11-01T09:00")));
}

TEST_F(Rule2_Quota, ReplacementDoesNotConsumeQuota) {
    household("12-301");
    const auto v = issue("12-301", kNov, 2);
    const auto repl = ledger->replace(v[0].serial, at("2026-11-05T10:00"));
    ASSERT_TRUE(repl.has_value()) << repl.error().message;
    EXPECT_NE(repl->serial, v[0].serial);
    EXPECT_EQ(repl->slot, v[0].slot);
    EXPECT_EQ(repl->month, kNov);
    const auto old = voucherNow(v[0].serial);
    EXPECT_EQ(old.status, VoucherStatus::Revoked);
    EXPECT_EQ(old.replaced_by, repl->serial);
    // still two live vouchers: a third is refused
    EXPECT_FALSE(ledger->issue("12-301", kNov, 1, 2, settings.eligible_categories, at("2026-11-05T10:01")));
    // the lost card no longer opens, the new one does
    EXPECT_EQ(enter("沪A12345", v[0].token, "2026-11-06T10:00").reason, Reason::DenyVoucherRevoked);
    EXPECT_EQ(enter("沪A12345", repl->token, "2026-11-06T10:01").reason, Reason::AdmitVoucher);
}

TEST_F(Rule2_Quota, UsedVoucherCannotBeReplaced) {
    household("12-301");
    const auto v = issue("12-301", kNov, 1);
    ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-06T10:00").reason, Reason::AdmitVoucher);
    const auto r = ledger->replace(v[0].serial, at("2026-11-06T11:00"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, LedgerError::Kind::Refused);
    EXPECT_TRUE(contains(r.error().message, "used")) << r.error().message;
    EXPECT_EQ(ledger->vouchers("12-301", kNov).value().size(), 1u);
}

TEST_F(Rule2_Quota, EndedMonthRefused) {
    household("12-301");
    const auto r =
        ledger->issue("12-301", YearMonth{2026, 10}, 1, 2, settings.eligible_categories, at("2026-11-01T00:00"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, LedgerError::Kind::Refused);
    EXPECT_TRUE(contains(r.error().message, "2026-10")) << r.error().message;
    // the last minute of a month is still that month in Shanghai
    EXPECT_TRUE(ledger->issue("12-301", kNov, 1, 2, settings.eligible_categories, at("2026-11-30T23:59")));
    EXPECT_FALSE(ledger->issue("12-301", kNov, 1, 2, settings.eligible_categories, at("2026-12-01T00:00")));
}

TEST_F(Rule2_Quota, RevokedVoucherStopsOpening) {
    household("12-301");
    const auto v = issue("12-301", kNov, 1);
    const auto r = ledger->revoke(v[0].serial, "card reported stolen", at("2026-11-02T09:00"));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->status, VoucherStatus::Revoked);
    EXPECT_FALSE(ledger->revoke(v[0].serial, "again", at("2026-11-02T09:01")));
    EXPECT_EQ(enter("沪A12345", v[0].token, "2026-11-03T10:00").reason, Reason::DenyVoucherRevoked);
}

// ---- Rule 3: validity -----------------------------------------------------------------------------------------

class Rule3_Validity : public LedgerTest {};

TEST_F(Rule3_Validity, MonthBoundaryInShanghai) {
    household("12-301");
    const auto v = issue("12-301", kNov, 2);
    const auto last_minute = enter("沪A12345", v[0].token, "2026-11-30T23:59");
    EXPECT_EQ(last_minute.reason, Reason::AdmitVoucher) << last_minute.message;
    const auto midnight = enter("沪B22222", v[1].token, "2026-12-01T00:00");
    EXPECT_EQ(midnight.reason, Reason::DenyVoucherExpired) << midnight.message;
    EXPECT_EQ(voucherNow(v[1].serial).status, VoucherStatus::Issued);
    // the visit that began in time runs to its own deadline, past the month's end
    const auto out = leave("沪A12345", "2026-12-01T03:30");
    EXPECT_EQ(out.reason, Reason::ReleaseVisit);
    EXPECT_FALSE(out.overstay);
}

TEST_F(Rule3_Validity, GraceDaysExtendIt) {
    settings.grace_days = 1;
    household("12-301");
    const auto v = issue("12-301", kNov, 2);
    EXPECT_EQ(enter("沪A12345", v[0].token, "2026-12-01T23:59").reason, Reason::AdmitVoucher);
    EXPECT_EQ(enter("沪B22222", v[1].token, "2026-12-02T00:00").reason, Reason::DenyVoucherExpired);
}

TEST_F(Rule3_Validity, NextMonthIssuedAheadIsNotYetValid) {
    household("12-301");
    const auto v = issue("12-301", kDec, 1, "2026-11-25T09:00");
    const auto early = enter("沪A12345", v[0].token, "2026-11-30T23:59");
    EXPECT_EQ(early.reason, Reason::DenyVoucherNotYetValid);
    EXPECT_EQ(voucherNow(v[0].serial).status, VoucherStatus::Issued);
    EXPECT_EQ(enter("沪A12345", v[0].token, "2026-12-01T00:00").reason, Reason::AdmitVoucher);
}

TEST_F(Rule3_Validity, ForgedAndForeignCardsAreRefused) {
    household("12-301");
    issue("12-301", kNov, 1);
    EXPECT_EQ(enter("沪A12345", "VG1:NOTATOKEN", "2026-11-02T10:00").reason, Reason::DenyVoucherForged);
    // a genuine token of another ledger's key
    const KeyRing other = testing::testKeys();
    const auto foreign = encodeToken(TokenPayload{kTokenVersion1, 1, 1, kNov}, other).value();
    EXPECT_EQ(enter("沪A12345", foreign, "2026-11-02T10:01").reason, Reason::DenyVoucherForged);
    // our key, but a serial this ledger never issued
    const auto never = encodeToken(TokenPayload{kTokenVersion1, 1, 777, kNov}, keys).value();
    EXPECT_EQ(enter("沪A12345", never, "2026-11-02T10:02").reason, Reason::DenyVoucherForged);
    EXPECT_EQ(count("SELECT COUNT(*) FROM visits"), 0);
}

// ---- Rule 4: single use, no stacking --------------------------------------------------------------------------

class Rule4_SingleUse : public LedgerTest {};

TEST_F(Rule4_SingleUse, SecondUseNamesTheFirstUse) {
    household("12-301");
    const auto v = issue("12-301", kNov, 1);
    const auto first = enter("沪A12345", v[0].token, "2026-11-20T10:00");
    ASSERT_EQ(first.reason, Reason::AdmitVoucher);
    ASSERT_TRUE(first.visit);
    EXPECT_EQ(first.deadline, at("2026-11-20T14:00"));
    EXPECT_GT(first.audit_seq, 0);
    ASSERT_EQ(leave("沪A12345", "2026-11-20T12:00").reason, Reason::ReleaseVisit);
    const auto copy = enter("沪B99999", v[0].token, "2026-11-21T09:00");  // a photocopy in another car
    EXPECT_EQ(copy.reason, Reason::DenyVoucherUsed);
    EXPECT_FALSE(copy.admit);
    EXPECT_EQ(copy.message, "already used at 2026-11-20 10:00 by 沪A12345");
    EXPECT_EQ(count("SELECT COUNT(*) FROM visits"), 1);
    EXPECT_EQ(voucherNow(v[0].serial).visit, first.visit);
}

TEST_F(Rule4_SingleUse, NoStackingDeniedAlreadyInside) {
    household("12-301");
    const auto v = issue("12-301", kNov, 2);
    ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    const auto second = enter("沪A12345", v[1].token, "2026-11-20T13:50");  // to "extend" the stay
    EXPECT_EQ(second.reason, Reason::DenyAlreadyInside);
    EXPECT_EQ(voucherNow(v[1].serial).status, VoucherStatus::Issued);  // not consumed
    const auto inside = visitsAt("2026-11-20T13:51", VisitFilter{.inside_only = true});
    ASSERT_EQ(inside.size(), 1u);
    EXPECT_EQ(inside[0].deadline, at("2026-11-20T14:00"));
}

TEST_F(Rule4_SingleUse, TheSchemaItselfRefusesASecondVisitPerVoucherAndASecondCarInsidePerPlate) {
    household("12-301");
    const auto v = issue("12-301", kNov, 2);
    ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    auto db = raw();
    const std::string insert =
        "INSERT INTO visits(serial, household_id, plate, entry_lane, entered_at, deadline, month) "
        "SELECT {serial}, household_id, '{plate}', 'x', '2026-11-20T03:00:00.000Z', '2026-11-20T07:00:00.000Z', 322 "
        "FROM vouchers WHERE serial = {serial}";
    auto sql = [&](std::uint32_t serial, const std::string& plate) {
        std::string s = insert;
        for (std::size_t p; (p = s.find("{serial}")) != std::string::npos;) s.replace(p, 8, std::to_string(serial));
        s.replace(s.find("{plate}"), 7, plate);
        return s;
    };
    EXPECT_THROW(db.exec(sql(v[0].serial, "沪B99999")), SQLite::Exception);  // second visit, same voucher
    EXPECT_THROW(db.exec(sql(v[1].serial, "沪A12345")), SQLite::Exception);  // same plate inside twice
    EXPECT_NO_THROW(db.exec(sql(v[1].serial, "沪C33333")));
}

// ---- Rule 4a: re-admission, void ------------------------------------------------------------------------------

class Rule4a_Readmission : public LedgerTest {};

TEST_F(Rule4a_Readmission, WithinTheWindowOpensAgainWithoutANewVisit) {
    household("12-301");
    const auto v = issue("12-301", kNov, 1);
    const auto first = enter("沪A12345", v[0].token, "2026-11-20T10:00");
    ASSERT_EQ(first.reason, Reason::AdmitVoucher);
    const auto again = enter("沪A12345", v[0].token, "2026-11-20T10:10");
    EXPECT_EQ(again.reason, Reason::AdmitRepeat);
    EXPECT_TRUE(again.admit);
    EXPECT_EQ(again.visit, first.visit);
    EXPECT_EQ(again.deadline, first.deadline);
    EXPECT_EQ(count("SELECT COUNT(*) FROM visits"), 1);
}

TEST_F(Rule4a_Readmission, AfterTheWindowItIsUsed) {
    household("12-301");
    const auto v = issue("12-301", kNov, 1);
    ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    EXPECT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:10:01").reason, Reason::DenyVoucherUsed);
}

TEST_F(Rule4a_Readmission, DifferentPlateOrAfterAnExitIsUsed) {
    household("12-301");
    const auto v = issue("12-301", kNov, 1);
    ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    EXPECT_EQ(enter("沪B99999", v[0].token, "2026-11-20T10:01").reason, Reason::DenyVoucherUsed);
    ASSERT_EQ(leave("沪A12345", "2026-11-20T10:02").reason, Reason::ReleaseVisit);
    EXPECT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:03").reason, Reason::DenyVoucherUsed);
}

TEST_F(Rule4a_Readmission, VoidRestoringTheVoucherGivesItBack) {
    household("12-301");
    const auto v = issue("12-301", kNov, 1);
    const auto first = enter("沪A12345", v[0].token, "2026-11-20T10:00");
    ASSERT_TRUE(first.visit);
    const auto voided = ledger->voidVisit(*first.visit, Manual{"guard Li", "car turned back at the barrier"}, true,
                                          at("2026-11-20T10:20"));
    ASSERT_TRUE(voided.has_value()) << voided.error().message;
    EXPECT_TRUE(voided->voided_at);
    EXPECT_EQ(voucherNow(v[0].serial).status, VoucherStatus::Issued);
    EXPECT_TRUE(visitsAt("2026-11-20T10:21", VisitFilter{.inside_only = true}).empty());
    const auto again = enter("沪A12345", v[0].token, "2026-11-20T15:00");
    EXPECT_EQ(again.reason, Reason::AdmitVoucher);
    EXPECT_NE(again.visit, first.visit);
}

TEST_F(Rule4a_Readmission, VoidWithoutRestoringKeepsTheVoucherConsumed) {
    household("12-301");
    const auto v = issue("12-301", kNov, 1);
    const auto first = enter("沪A12345", v[0].token, "2026-11-20T10:00");
    ASSERT_TRUE(first.visit);
    EXPECT_FALSE(ledger->voidVisit(*first.visit, Manual{"", "no operator"}, false, at("2026-11-20T10:20")));
    ASSERT_TRUE(ledger->voidVisit(*first.visit, Manual{"guard Li", "wrong car"}, false, at("2026-11-20T10:20")));
    EXPECT_FALSE(ledger->voidVisit(*first.visit, Manual{"guard Li", "twice"}, true, at("2026-11-20T10:21")));
    EXPECT_EQ(voucherNow(v[0].serial).status, VoucherStatus::Used);
    EXPECT_TRUE(visitsAt("2026-11-20T10:21", VisitFilter{.inside_only = true}).empty());
    EXPECT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:22").reason, Reason::DenyVoucherUsed);
}

// Issue 16: a voided visit stays on record (listed, marked void, with who voided it and why), but is no car
// inside and no overstay.
TEST_F(Rule4a_Readmission, AVoidedVisitStaysListedWithWhoAndWhy) {
    household("12-301");
    const auto v = issue("12-301", kNov, 1);
    const auto first = enter("沪A12345", v[0].token, "2026-11-20T10:00");
    ASSERT_TRUE(first.visit);
    ASSERT_TRUE(ledger->voidVisit(*first.visit, Manual{"guard Li", "wrong car"}, false, at("2026-11-20T10:20")));
    const auto all = visitsAt("2026-11-20T10:21");
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].id, *first.visit);
    EXPECT_EQ(all[0].voided_at, at("2026-11-20T10:20"));
    EXPECT_EQ(all[0].void_operator, "guard Li");
    EXPECT_EQ(all[0].void_reason, "wrong car");
    EXPECT_FALSE(all[0].voucher_restored);
    EXPECT_EQ(visitsAt("2026-11-21T10:21", VisitFilter{.month = kNov}).size(), 1u);
    EXPECT_TRUE(visitsAt("2026-11-21T10:21", VisitFilter{.inside_only = true}).empty());
    EXPECT_TRUE(visitsAt("2026-11-21T10:21", VisitFilter{.overstayed_only = true}).empty());
    EXPECT_FALSE(visitsAt("2026-11-21T10:21")[0].overstay);
}

// ---- Rule 5 / 6: allowed stay, overstay, exit ------------------------------------------------------------------

class Rule5_Overstay : public LedgerTest {
  protected:
    std::vector<Voucher> v;
    void SetUp() override {
        LedgerTest::SetUp();
        settings.per_month = 4;
        household("12-301");
        v = issue("12-301", kNov, 4);
    }
};

TEST_F(Rule5_Overstay, DeadlinePlusGraceExactlyIsNotAnOverstay) {
    ASSERT_EQ(enter("沪A11111", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    ASSERT_EQ(enter("沪B22222", v[1].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    const auto on_time = leave("沪A11111", "2026-11-20T14:15:00");
    EXPECT_EQ(on_time.reason, Reason::ReleaseVisit);
    EXPECT_FALSE(on_time.overstay);
    const auto late = ledger->decide(exitObs("沪B22222"), settings, at("2026-11-20T14:15:00") + Duration(1));
    EXPECT_EQ(late.reason, Reason::ReleaseOverstay);
    EXPECT_TRUE(late.admit);                              // the exit never traps a car by default
    EXPECT_EQ(late.overstay, minutes(15) + Duration(1));  // counted from the deadline
    const auto visits = visitsAt("2026-11-20T15:00");
    ASSERT_EQ(visits.size(), 2u);
    EXPECT_FALSE(visits[0].overstay);
    EXPECT_EQ(visits[1].overstay, minutes(15) + Duration(1));
    EXPECT_EQ(visits[1].exit_lane, "north-out");
}

TEST_F(Rule5_Overstay, FeePerStartedHourIsRecorded) {
    settings.overstay_fee_per_hour = 5;
    ASSERT_EQ(enter("沪A11111", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    const auto out = leave("沪A11111", "2026-11-23T10:00");  // three days later: 68 h past the deadline
    EXPECT_EQ(out.reason, Reason::ReleaseOverstay);
    EXPECT_EQ(out.overstay, hours(68));
    EXPECT_EQ(out.fee, 340.0);
    const auto visits = visitsAt("2026-11-23T10:01");
    ASSERT_EQ(visits.size(), 1u);
    EXPECT_EQ(visits[0].fee, 340.0);
    EXPECT_EQ(visits[0].overstay, hours(68));
}

TEST_F(Rule5_Overstay, HoldThenConfirmReleases) {
    settings.overstay_exit = OnError::Hold;
    ASSERT_EQ(enter("沪A11111", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    const auto held_obs = exitObs("沪A11111");
    const auto held = ledger->decide(held_obs, settings, at("2026-11-20T16:00"));
    EXPECT_EQ(held.reason, Reason::HoldOverstay);
    EXPECT_FALSE(held.admit);
    EXPECT_EQ(visitsAt("2026-11-20T16:00", VisitFilter{.inside_only = true}).size(), 1u);
    const auto refused =
        ledger->confirm(held_obs, settings, at("2026-11-20T16:01"), Manual{"guard Li", "fee unpaid"}, true);
    EXPECT_EQ(refused.reason, Reason::DenyGuardRefused);
    EXPECT_EQ(visitsAt("2026-11-20T16:01", VisitFilter{.inside_only = true}).size(), 1u);
    const auto ok = ledger->confirm(held_obs, settings, at("2026-11-20T16:05"), Manual{"guard Li", "fee paid"}, false);
    EXPECT_EQ(ok.reason, Reason::ReleaseOverstay);
    EXPECT_TRUE(ok.admit);
    EXPECT_EQ(ok.overstay, hours(2) + minutes(5));
    EXPECT_TRUE(visitsAt("2026-11-20T16:06", VisitFilter{.inside_only = true}).empty());
}

TEST_F(Rule5_Overstay, AGuardsCommandThatCannotBeTakenNeverOpensTheExit) {
    // The exit opens on an internal error (the default), but a refusal whose reason cannot be stored, or a plate
    // that is not a plate, is the guard's input: the car stays held, nothing is recorded, the guard is told why.
    settings.overstay_exit = OnError::Hold;
    ASSERT_EQ(settings.exit_on_error, OnError::Open);
    ASSERT_EQ(enter("沪A11111", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    const auto held_obs = exitObs("沪A11111");
    ASSERT_EQ(ledger->decide(held_obs, settings, at("2026-11-20T16:00")).reason, Reason::HoldOverstay);
    const auto bad_reason =
        ledger->confirm(held_obs, settings, at("2026-11-20T16:01"), Manual{"guard Li", "no\nway"}, true);
    EXPECT_FALSE(bad_reason.admit);
    EXPECT_EQ(bad_reason.reason, Reason::HoldOnError);
    EXPECT_NE(bad_reason.message.find("reason"), std::string::npos) << bad_reason.message;
    const auto bad_plate = ledger->confirm(held_obs, settings, at("2026-11-20T16:02"), Manual{"guard Li", "paid"},
                                           false, std::string("hello world"));
    EXPECT_FALSE(bad_plate.admit);
    EXPECT_NE(bad_plate.message.find("province"), std::string::npos) << bad_plate.message;
    EXPECT_EQ(visitsAt("2026-11-20T16:03", VisitFilter{.inside_only = true}).size(), 1u);
    // A typed plate is stored as the grammar's canonical plate.
    const auto ok = ledger->confirm(held_obs, settings, at("2026-11-20T16:05"), Manual{"guard Li", "fee paid"}, false,
                                    std::string("沪a·11111"));
    EXPECT_TRUE(ok.admit);
    EXPECT_EQ(ok.plate, "沪A11111");
    EXPECT_TRUE(visitsAt("2026-11-20T16:06", VisitFilter{.inside_only = true}).empty());
}

TEST_F(Rule5_Overstay, SweepReportsEachOverstayOnce) {
    ASSERT_EQ(enter("沪A11111", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    ASSERT_EQ(enter("沪B22222", v[1].token, "2026-11-20T11:00").reason, Reason::AdmitVoucher);
    EXPECT_TRUE(ledger->sweepOverstays(settings, at("2026-11-20T14:15")).value().empty());
    const auto first = ledger->sweepOverstays(settings, at("2026-11-20T14:16")).value();
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0].plate, "沪A11111");
    EXPECT_EQ(first[0].overstay, minutes(16));
    EXPECT_TRUE(ledger->sweepOverstays(settings, at("2026-11-20T14:17")).value().empty());
    const auto second = ledger->sweepOverstays(settings, at("2026-11-22T09:00")).value();  // days later
    ASSERT_EQ(second.size(), 1u);
    EXPECT_EQ(second[0].plate, "沪B22222");
    EXPECT_TRUE(ledger->sweepOverstays(settings, at("2026-11-22T09:01")).value().empty());
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE kind = 'OVERSTAY_STARTED'"), 2);
    // the --overstayed list shows them while inside, and after they left
    EXPECT_EQ(visitsAt("2026-11-22T09:02", VisitFilter{.overstayed_only = true}).size(), 2u);
    ASSERT_EQ(leave("沪A11111", "2026-11-22T10:00").reason, Reason::ReleaseOverstay);
    EXPECT_EQ(visitsAt("2026-11-22T10:01", VisitFilter{.overstayed_only = true}).size(), 2u);
}

// ---- Exit matching -------------------------------------------------------------------------------------------

class Rule_ExitMatching : public LedgerTest {
  protected:
    std::vector<Voucher> v;
    void SetUp() override {
        LedgerTest::SetUp();
        settings.per_month = 4;
        household("12-301");
        v = issue("12-301", kNov, 4);
    }
};

TEST_F(Rule_ExitMatching, ConfusableReadClosesTheOnlyCandidate) {
    ASSERT_EQ(enter("沪B80Z15", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    const auto out = leave("沪88Q215", "2026-11-20T11:00");  // B->8: one off, then 0/Q and Z/2... two more
    EXPECT_EQ(out.reason, Reason::ReleaseUnmatched);
    const auto one_off = leave("沪B80215", "2026-11-20T11:01");
    EXPECT_EQ(one_off.reason, Reason::ReleaseVisit);
    const auto visits = visitsAt("2026-11-20T11:02");
    ASSERT_EQ(visits.size(), 1u);
    EXPECT_EQ(visits[0].plate, "沪B80Z15");  // the stored plate is kept
    EXPECT_TRUE(visits[0].exited_at);
}

TEST_F(Rule_ExitMatching, NoMatchWhenTwoCarsInsideAreOneCharacterApart) {
    ASSERT_EQ(enter("沪A1234D", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    ASSERT_EQ(enter("沪A1234Q", v[1].token, "2026-11-20T10:01").reason, Reason::AdmitVoucher);
    const auto out = leave("沪A12340", "2026-11-20T11:00");
    EXPECT_EQ(out.reason, Reason::ReleaseUnmatched);
    EXPECT_FALSE(out.visit);
    EXPECT_EQ(visitsAt("2026-11-20T11:01", VisitFilter{.inside_only = true}).size(), 2u);
    EXPECT_EQ(leave("沪A1234Q", "2026-11-20T11:02").reason, Reason::ReleaseVisit);  // exact still works
    EXPECT_EQ(leave("沪A12340", "2026-11-20T11:03").reason, Reason::ReleaseVisit);  // now only one candidate
    EXPECT_TRUE(visitsAt("2026-11-20T11:04", VisitFilter{.inside_only = true}).empty());
}

// ---- Rule 7: residents, blocked, unmatched -------------------------------------------------------------------

class Rule7_Vehicles : public LedgerTest {};

TEST_F(Rule7_Vehicles, ResidentOpensBothWaysWithoutAVisit) {
    ASSERT_TRUE(ledger->addVehicle(Vehicle{"沪r·00001", VehicleKind::Resident, "1-101", {}}, at("2026-11-01T08:00")));
    EXPECT_EQ(enter("沪R00001", std::nullopt, "2026-11-20T10:00").reason, Reason::AdmitResident);
    EXPECT_EQ(leave("沪R00001", "2026-11-20T11:00").reason, Reason::ReleaseResident);
    EXPECT_EQ(count("SELECT COUNT(*) FROM visits"), 0);
}

TEST_F(Rule7_Vehicles, ResidentUntilDateExpires) {
    ASSERT_TRUE(
        ledger->addVehicle(Vehicle{"沪R00001", VehicleKind::Resident, "1-101", "2026-11-20"}, at("2026-11-01T08:00")));
    EXPECT_EQ(enter("沪R00001", std::nullopt, "2026-11-20T23:59").reason, Reason::AdmitResident);
    EXPECT_EQ(enter("沪R00001", std::nullopt, "2026-11-21T00:00").reason, Reason::DenyNeedVoucher);
}

TEST_F(Rule7_Vehicles, UntilMustBeAnIsoDate) {
    for (const std::string bad : {"2026/11/20", "20-11-2026", "2026-11-31", "2026-11-20T10:00", "tomorrow", ""}) {
        const auto r =
            ledger->addVehicle(Vehicle{"沪R00001", VehicleKind::Resident, "1-101", bad}, at("2026-11-01T08:00"));
        ASSERT_FALSE(r.has_value()) << bad;
        EXPECT_EQ(r.error().kind, LedgerError::Kind::Invalid);
        EXPECT_TRUE(contains(r.error().message, "YYYY-MM-DD")) << r.error().message;
    }
    EXPECT_TRUE(ledger->vehicles().value().empty());
}

TEST_F(Rule7_Vehicles, BlockedNeverOpensAndKeepsTheVoucher) {
    household("12-301");
    const auto v = issue("12-301", kNov, 1);
    ASSERT_TRUE(ledger->addVehicle(Vehicle{"沪X00001", VehicleKind::Blocked, "", {}}, at("2026-11-01T08:00")));
    EXPECT_EQ(enter("沪X00001", v[0].token, "2026-11-20T10:00").reason, Reason::DenyBlocked);
    EXPECT_EQ(voucherNow(v[0].serial).status, VoucherStatus::Issued);
    ASSERT_TRUE(ledger->removeVehicle("沪X00001", at("2026-11-20T10:01")));
    EXPECT_EQ(enter("沪X00001", v[0].token, "2026-11-20T10:02").reason, Reason::AdmitVoucher);
    EXPECT_FALSE(ledger->removeVehicle("沪X00001", at("2026-11-20T10:03")));
}

TEST_F(Rule7_Vehicles, UnknownCarAsksForAVoucherAndIsReleasedUnmatchedAtTheExit) {
    const auto in = enter("沪A12345", std::nullopt, "2026-11-20T10:00");
    EXPECT_EQ(in.reason, Reason::DenyNeedVoucher);
    EXPECT_FALSE(in.admit);
    const auto out = leave("沪A12345", "2026-11-20T10:05");
    EXPECT_EQ(out.reason, Reason::ReleaseUnmatched);
    EXPECT_TRUE(out.admit);
}

// ---- Rule 8: fail closed at entry, open at exit, spool ---------------------------------------------------------

class Rule8_FailClosed : public LedgerTest {
  protected:
    std::vector<Voucher> v;
    void SetUp() override {
        LedgerTest::SetUp();
        ledger = open(options(Duration(50)));  // a short busy timeout keeps the lock tests fast
        household("12-301");
        v = issue("12-301", kNov, 2);
    }
    // Another process holding the write lock beyond our busy timeout.
    struct WriteLock {
        SQLite::Database db;
        explicit WriteLock(const std::filesystem::path& p) : db(p.string(), SQLite::OPEN_READWRITE) {
            db.exec("BEGIN EXCLUSIVE");
        }
        ~WriteLock() { db.exec("ROLLBACK"); }
    };
};

TEST_F(Rule8_FailClosed, EntryOnALockedDatabaseIsDeniedAndWritesNothing) {
    const auto rows = count("SELECT COUNT(*) FROM audit_log");
    Decision d;
    {
        WriteLock lock(dbPath());
        d = enter("沪A12345", v[0].token, "2026-11-20T10:00");
    }
    EXPECT_EQ(d.reason, Reason::DenyInternal);
    EXPECT_FALSE(d.admit);
    EXPECT_EQ(d.audit_seq, 0);
    EXPECT_TRUE(contains(d.message, "locked")) << d.message;
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log"), rows);
    EXPECT_EQ(count("SELECT COUNT(*) FROM visits"), 0);
    EXPECT_FALSE(std::filesystem::exists(spoolPath()));  // entries are never spooled
    EXPECT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:01").reason, Reason::AdmitVoucher);
}

TEST_F(Rule8_FailClosed, EntryOnABrokenSchemaIsDenied) {
    raw().exec("ALTER TABLE visits RENAME TO visits_gone");
    const auto d = enter("沪A12345", v[0].token, "2026-11-20T10:00");
    EXPECT_EQ(d.reason, Reason::DenyInternal);
    EXPECT_FALSE(d.admit);
}

TEST_F(Rule8_FailClosed, ExitOnErrorOpensSpoolsAndReplaysExactlyOnce) {
    ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    Decision out;
    {
        WriteLock lock(dbPath());
        out = leave("沪A12345", "2026-11-20T12:00");
    }
    EXPECT_EQ(out.reason, Reason::ReleaseOnError);
    EXPECT_TRUE(out.admit);
    EXPECT_TRUE(out.spooled);
    ASSERT_TRUE(std::filesystem::exists(spoolPath()));
    std::filesystem::copy_file(spoolPath(), dir.path() / "spool.copy");
    EXPECT_EQ(visitsAt("2026-11-20T12:01", VisitFilter{.inside_only = true}).size(), 1u);

    const auto applied = ledger->replaySpool(settings, at("2026-11-20T12:05"));
    ASSERT_TRUE(applied.has_value());
    EXPECT_EQ(*applied, 1);
    auto visits = visitsAt("2026-11-20T12:06");
    ASSERT_EQ(visits.size(), 1u);
    EXPECT_EQ(visits[0].exited_at, at("2026-11-20T12:00"));  // the time the car left, not the replay's
    const auto rows = count("SELECT COUNT(*) FROM audit_log");

    // The same spool again (a crash between commit and removal): nothing happens twice.
    EXPECT_EQ(std::filesystem::file_size(spoolPath()), 0u);  // emptied under its lock, left in place
    std::filesystem::copy_file(dir.path() / "spool.copy", spoolPath(),
                               std::filesystem::copy_options::overwrite_existing);
    EXPECT_EQ(ledger->replaySpool(settings, at("2026-11-20T12:07")).value(), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log"), rows);
    EXPECT_EQ(visitsAt("2026-11-20T12:08")[0].exited_at, at("2026-11-20T12:00"));
    EXPECT_TRUE(ledger->verifyAudit(std::nullopt).ok);
}

TEST_F(Rule8_FailClosed, TheNextDecisionReplaysTheSpoolFirst) {
    ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    settings.exit_on_error = OnError::Hold;
    {
        WriteLock lock(dbPath());
        const auto out = leave("沪A12345", "2026-11-20T12:00");
        EXPECT_EQ(out.reason, Reason::HoldOnError);
        EXPECT_FALSE(out.admit);
        EXPECT_TRUE(out.spooled);
    }
    const auto next = enter("沪B22222", v[1].token, "2026-11-20T12:10");
    EXPECT_EQ(next.reason, Reason::AdmitVoucher);
    EXPECT_EQ(next.spool_replayed, 1);  // said, so the daemon can log SPOOL_REPLAYED whichever path replayed it
    const auto inside = visitsAt("2026-11-20T12:11", VisitFilter{.inside_only = true});
    ASSERT_EQ(inside.size(), 1u);
    EXPECT_EQ(inside[0].plate, "沪B22222");
    EXPECT_FALSE(std::filesystem::exists(spoolPath()) && std::filesystem::file_size(spoolPath()) > 0);
}

TEST_F(Rule8_FailClosed, DryRunExitOnErrorSpoolsNothing) {
    ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    WriteLock lock(dbPath());
    const auto d = ledger->decide(exitObs("沪A12345"), settings, at("2026-11-20T12:00"), /*dry_run=*/true);
    EXPECT_EQ(d.reason, Reason::ReleaseOnError);
    EXPECT_FALSE(d.spooled);
    EXPECT_FALSE(std::filesystem::exists(spoolPath()));
}

TEST_F(Rule8_FailClosed, UnwritableSpoolStillOpensAndSaysWhereNothingWasKept) {
    ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    auto o = options(Duration(50));
    o.spool_path = dir.path() / "no-such-dir" / "spool.jsonl";
    ledger = open(o);
    WriteLock lock(dbPath());
    const auto d = leave("沪A12345", "2026-11-20T12:00");
    EXPECT_EQ(d.reason, Reason::ReleaseOnError);
    EXPECT_TRUE(d.admit);  // the exit still never traps the car
    EXPECT_FALSE(d.spooled);
    EXPECT_TRUE(contains(d.message, "no-such-dir")) << d.message;
}

TEST_F(Rule8_FailClosed, MalformedSpoolLinesAreSkippedAndNeverThrow) {
    ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    {
        WriteLock lock(dbPath());
        ASSERT_TRUE(leave("沪A12345", "2026-11-20T12:00").spooled);
    }
    {
        std::ofstream junk(spoolPath(), std::ios::app);
        junk << "not json at all\n"
             << R"({"event_id":5,"at":"2026-11-20T04:00:00.000Z"})"
             << "\n"
             << R"({"event_id":"e1","at":"2026-11-20T04:00:00.000Z","token":7,"lane":"x"})"
             << "\n"
             << R"({"event_id":"e2","at":"2026-11-20T04:00:00.000Z","plate":"沪A12345"})"
             << "\n"
             << R"({"event_id":"e3","at":"yesterday"})"
             << "\n"
             << R"({"event_id":"e4","at":"2026-11-)";  // torn by a power cut
    }
    Decision d;
    ASSERT_NO_THROW(d = enter("沪B22222", v[1].token, "2026-11-20T12:10"));
    EXPECT_EQ(d.reason, Reason::AdmitVoucher);
    const auto visits = visitsAt("2026-11-20T12:11");
    ASSERT_EQ(visits.size(), 2u);
    EXPECT_EQ(visits[0].exited_at, at("2026-11-20T12:00"));
    EXPECT_TRUE(ledger->verifyAudit(std::nullopt).ok);
}

TEST_F(Rule8_FailClosed, ReplayClosesAnOverstayEvenUnderTheHoldSetting) {
    // The car is gone by the time the spool is replayed: holding it for the guard would leave the visit open
    // for ever.
    settings.overstay_exit = OnError::Hold;
    ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    {
        WriteLock lock(dbPath());
        EXPECT_TRUE(leave("沪A12345", "2026-11-20T16:00").spooled);
    }
    EXPECT_EQ(ledger->replaySpool(settings, at("2026-11-20T16:05")).value(), 1);
    const auto visits = visitsAt("2026-11-20T16:06");
    ASSERT_EQ(visits.size(), 1u);
    EXPECT_EQ(visits[0].exited_at, at("2026-11-20T16:00"));
    EXPECT_EQ(visits[0].overstay, hours(2));
}

// ---- Rule 10: committed before the relay is pulsed ------------------------------------------------------------

class Rule10_Durable : public LedgerTest {};

TEST_F(Rule10_Durable, AnAdmissionIsVisibleToAnotherConnectionWhenDecideReturns) {
    household("12-301");
    const auto v = issue("12-301", kNov, 1);
    const auto d = enter("沪A12345", v[0].token, "2026-11-20T10:00");
    ASSERT_EQ(d.reason, Reason::AdmitVoucher);
    auto other = open();
    const auto visits = other->visits({}, settings, at("2026-11-20T10:00")).value();
    ASSERT_EQ(visits.size(), 1u);
    EXPECT_EQ(visits[0].id, *d.visit);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE seq = " + std::to_string(d.audit_seq) +
                    " AND payload LIKE '%ADMIT_VOUCHER%'"),
              1);
}

TEST_F(Rule10_Durable, DryRunAnswersAndWritesNothing) {
    household("12-301");
    const auto v = issue("12-301", kNov, 1);
    const auto rows = count("SELECT COUNT(*) FROM audit_log");
    const auto d = ledger->decide(entryObs("沪A12345", v[0].token), settings, at("2026-11-20T10:00"), true);
    EXPECT_EQ(d.reason, Reason::AdmitVoucher);
    EXPECT_EQ(d.audit_seq, 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log"), rows);
    EXPECT_EQ(voucherNow(v[0].serial).status, VoucherStatus::Issued);
}

// ---- Rule 11: retention ---------------------------------------------------------------------------------------

class Rule11_Retention : public LedgerTest {};

TEST_F(Rule11_Retention, PurgeDropsOldPlatesKeepsAggregatesAndTheChain) {
    household("1-101");
    household("2-202");
    const auto a = issue("1-101", kNov, 2);
    const auto b = issue("2-202", kNov, 1);
    ASSERT_EQ(enter("沪A11111", a[0].token, "2026-11-10T10:00").reason, Reason::AdmitVoucher);
    ASSERT_EQ(leave("沪A11111", "2026-11-10T12:00").reason, Reason::ReleaseVisit);
    ASSERT_EQ(enter("沪S77777", a[1].token, "2026-11-12T10:00").reason, Reason::AdmitVoucher);
    ASSERT_EQ(leave("沪S77777", "2026-11-12T16:00").reason, Reason::ReleaseOverstay);
    ASSERT_EQ(enter("沪S77777", b[0].token, "2026-11-15T10:00").reason, Reason::AdmitVoucher);
    ASSERT_EQ(leave("沪S77777", "2026-11-15T11:00").reason, Reason::ReleaseVisit);
    const TimePoint later = at("2027-12-15T10:00");
    const auto before = ledger->report(kNov, settings, later).value();
    const auto head_before = ledger->auditHead().value();
    ASSERT_EQ(before.shared_plates.size(), 1u);

    const auto purged = ledger->purge(later);
    ASSERT_TRUE(purged.has_value()) << purged.error().message;
    EXPECT_GT(*purged, 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM visits WHERE plate IS NOT NULL"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_personal p JOIN audit_log a USING(seq) "
                    "WHERE a.at < '2026-12-15T02:00:00.000Z'"),
              0);
    for (const auto& visit : visitsAt("2027-12-15T10:01")) {
        EXPECT_TRUE(visit.plate_purged);
        EXPECT_EQ(visit.plate, "");
    }
    const auto verdict = ledger->verifyAudit(std::nullopt);
    EXPECT_TRUE(verdict.ok) << verdict.problem;
    EXPECT_TRUE(ledger->verifyAudit(head_before).ok);  // the head printed before the purge still matches

    const auto after = ledger->report(kNov, settings, later).value();
    ASSERT_EQ(after.households.size(), before.households.size());
    for (std::size_t i = 0; i < after.households.size(); ++i) {
        const auto& x = before.households[i];
        const auto& y = after.households[i];
        EXPECT_EQ(y.unit, x.unit);
        EXPECT_EQ(y.issued, x.issued);
        EXPECT_EQ(y.used, x.used);
        EXPECT_EQ(y.unused, x.unused);
        EXPECT_EQ(y.visits, x.visits);
        EXPECT_EQ(y.overstays, x.overstays);
        EXPECT_EQ(y.total_stay, x.total_stay);
        EXPECT_EQ(y.longest_stay, x.longest_stay);
    }
}

TEST_F(Rule11_Retention, RecentPlatesAndCarsInsideAreKept) {
    household("1-101");
    const auto a = issue("1-101", kNov, 2);
    ASSERT_EQ(enter("沪A11111", a[0].token, "2026-11-10T10:00").reason, Reason::AdmitVoucher);
    ASSERT_EQ(enter("沪B22222", a[1].token, "2026-11-11T10:00").reason, Reason::AdmitVoucher);
    ASSERT_EQ(leave("沪B22222", "2026-11-11T11:00").reason, Reason::ReleaseVisit);
    ASSERT_TRUE(ledger->purge(at("2026-12-01T10:00")));
    EXPECT_EQ(count("SELECT COUNT(*) FROM visits WHERE plate IS NOT NULL"), 2);
    // a car still inside a year later keeps its plate, so that it can still leave
    ASSERT_TRUE(ledger->purge(at("2027-11-12T10:00")));
    EXPECT_EQ(count("SELECT COUNT(*) FROM visits WHERE plate IS NOT NULL"), 1);
    EXPECT_EQ(leave("沪A11111", "2027-11-12T11:00").reason, Reason::ReleaseOverstay);
}

// ---- Rule 12: the clock going backwards -----------------------------------------------------------------------

class Rule12_ClockBehind : public LedgerTest {};

TEST_F(Rule12_ClockBehind, EntryDeniedUntilTheClockCatchesUp) {
    household("12-301");
    const auto v = issue("12-301", kNov, 2);
    ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    // the box reboots without its RTC and reads an hour early
    const auto first = enter("沪B22222", v[1].token, "2026-11-20T09:00");
    EXPECT_EQ(first.reason, Reason::DenyClockBehind);
    EXPECT_FALSE(first.admit);
    // the refusal is itself recorded at the wrong time; that must not make the next car look "in time"
    const auto second = enter("沪B22222", v[1].token, "2026-11-20T09:01");
    EXPECT_EQ(second.reason, Reason::DenyClockBehind);
    EXPECT_EQ(voucherNow(v[1].serial).status, VoucherStatus::Issued);
    EXPECT_EQ(enter("沪B22222", v[1].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
}

// ---- Rule 13: unread plates ----------------------------------------------------------------------------------

class Rule13_UnreadPlate : public LedgerTest {
  protected:
    std::vector<Voucher> v;
    void SetUp() override {
        LedgerTest::SetUp();
        household("12-301");
        v = issue("12-301", kNov, 2);
    }
};

TEST_F(Rule13_UnreadPlate, GuardHoldsThenConfirmAdmitsAndConsumes) {
    const auto held_obs = entryObs(std::nullopt, v[0].token);
    const auto held = ledger->decide(held_obs, settings, at("2026-11-20T10:00"));
    EXPECT_EQ(held.reason, Reason::HoldPlateUnread);
    EXPECT_FALSE(held.admit);
    EXPECT_EQ(voucherNow(v[0].serial).status, VoucherStatus::Issued);
    const auto ok = ledger->confirm(held_obs, settings, at("2026-11-20T10:01"), Manual{"guard Li", "car seen"}, false);
    EXPECT_EQ(ok.reason, Reason::AdmitVoucherPlateUnread);
    EXPECT_TRUE(ok.admit);
    EXPECT_EQ(voucherNow(v[0].serial).status, VoucherStatus::Used);
    const auto visits = visitsAt("2026-11-20T10:02");
    ASSERT_EQ(visits.size(), 1u);
    EXPECT_TRUE(visits[0].plate_unread);  // flagged "plate unread"
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE payload LIKE '%\"manual\":true%'"), 1);
}

TEST_F(Rule13_UnreadPlate, GuardCanTypeThePlateOrRefuse) {
    const auto held_obs = entryObs("沪?1234", v[0].token, Presence::Unknown, 0.3);
    ASSERT_EQ(ledger->decide(held_obs, settings, at("2026-11-20T10:00")).reason, Reason::HoldPlateUnread);
    const auto refused =
        ledger->confirm(held_obs, settings, at("2026-11-20T10:01"), Manual{"guard Li", "no car"}, true);
    EXPECT_EQ(refused.reason, Reason::DenyGuardRefused);
    EXPECT_FALSE(refused.admit);
    EXPECT_EQ(voucherNow(v[0].serial).status, VoucherStatus::Issued);
    const auto typed = ledger->confirm(held_obs, settings, at("2026-11-20T10:02"), Manual{"guard Li", "read it"}, false,
                                       std::string("沪A12345"));
    EXPECT_EQ(typed.reason, Reason::AdmitVoucher);
    const auto visits = visitsAt("2026-11-20T10:03");
    ASSERT_EQ(visits.size(), 1u);
    EXPECT_EQ(visits[0].plate, "沪A12345");
    EXPECT_FALSE(visits[0].plate_unread);
}

TEST_F(Rule13_UnreadPlate, PresencePolicy) {
    settings.unread_plate = UnreadPlatePolicy::Presence;
    EXPECT_EQ(enter(std::nullopt, v[0].token, "2026-11-20T10:00", Presence::Absent).reason, Reason::DenyPlateUnread);
    EXPECT_EQ(voucherNow(v[0].serial).status, VoucherStatus::Issued);
    const auto ok = enter(std::nullopt, v[0].token, "2026-11-20T10:01", Presence::Present);
    EXPECT_EQ(ok.reason, Reason::AdmitVoucherPlateUnread);
    EXPECT_TRUE(ok.visit);
    EXPECT_EQ(voucherNow(v[0].serial).status, VoucherStatus::Used);
    // both unread, within the window: the same car coming round again
    EXPECT_EQ(enter(std::nullopt, v[0].token, "2026-11-20T10:05", Presence::Present).reason, Reason::AdmitRepeat);
}

TEST_F(Rule13_UnreadPlate, NeverPolicy) {
    settings.unread_plate = UnreadPlatePolicy::Never;
    EXPECT_EQ(enter(std::nullopt, v[0].token, "2026-11-20T10:00", Presence::Present).reason, Reason::DenyPlateUnread);
    EXPECT_EQ(voucherNow(v[0].serial).status, VoucherStatus::Issued);
    EXPECT_EQ(count("SELECT COUNT(*) FROM visits"), 0);
}

// ---- Rule 14: the card at the exit ----------------------------------------------------------------------------

class Rule14_CardAtExit : public LedgerTest {
  protected:
    std::vector<Voucher> v;
    void SetUp() override {
        LedgerTest::SetUp();
        settings.unread_plate = UnreadPlatePolicy::Presence;
        household("12-301");
        v = issue("12-301", kNov, 2);
    }
};

TEST_F(Rule14_CardAtExit, UnreadVisitClosedByAPlateReadWhichIsRecorded) {
    ASSERT_EQ(enter(std::nullopt, v[0].token, "2026-11-20T10:00", Presence::Present).reason,
              Reason::AdmitVoucherPlateUnread);
    const auto out = leave("沪A12345", "2026-11-20T11:00", v[0].token);
    EXPECT_EQ(out.reason, Reason::ReleaseVisit);
    const auto visits = visitsAt("2026-11-20T11:01");
    ASSERT_EQ(visits.size(), 1u);
    EXPECT_EQ(visits[0].plate, "沪A12345");
    EXPECT_TRUE(visits[0].exited_at);
}

TEST_F(Rule14_CardAtExit, UnreadVisitClosedByPresenceOnly) {
    ASSERT_EQ(enter(std::nullopt, v[0].token, "2026-11-20T10:00", Presence::Present).reason,
              Reason::AdmitVoucherPlateUnread);
    const auto on_foot = leave(std::nullopt, "2026-11-20T10:30", v[0].token, Presence::Absent);
    EXPECT_EQ(on_foot.reason, Reason::ExitQrMismatch);
    EXPECT_EQ(visitsAt("2026-11-20T10:31", VisitFilter{.inside_only = true}).size(), 1u);
    EXPECT_EQ(leave(std::nullopt, "2026-11-20T11:00", v[0].token, Presence::Present).reason, Reason::ReleaseVisit);
    EXPECT_TRUE(visitsAt("2026-11-20T11:01", VisitFilter{.inside_only = true}).empty());
}

TEST_F(Rule14_CardAtExit, KnownPlateVisitIsNotClosedByTheCard) {
    ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    const auto out = leave(std::nullopt, "2026-11-20T11:00", v[0].token, Presence::Present);
    EXPECT_EQ(out.reason, Reason::ExitQrMismatch);
    EXPECT_FALSE(out.admit);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE payload LIKE '%EXIT_QR_MISMATCH%'"), 1);
    const auto inside = visitsAt("2026-11-20T11:01", VisitFilter{.inside_only = true});
    ASSERT_EQ(inside.size(), 1u);
    EXPECT_EQ(inside[0].plate, "沪A12345");
}

// ---- Households, report, backup ------------------------------------------------------------------------------

class Households : public LedgerTest {};

TEST_F(Households, RemovalRevokesUnusedVouchersAndKeepsHistory) {
    household("12-301");
    const auto v = issue("12-301", kNov, 2);
    ASSERT_EQ(enter("沪A12345", v[0].token, "2026-11-20T10:00").reason, Reason::AdmitVoucher);
    ASSERT_TRUE(ledger->removeHousehold("12-301", at("2026-11-20T12:00")));
    EXPECT_EQ(voucherNow(v[0].serial).status, VoucherStatus::Used);
    const auto unused = voucherNow(v[1].serial);
    EXPECT_EQ(unused.status, VoucherStatus::Revoked);
    EXPECT_EQ(unused.revoke_reason, "household removed");
    EXPECT_EQ(enter("沪B22222", v[1].token, "2026-11-20T12:01").reason, Reason::DenyVoucherRevoked);
    EXPECT_TRUE(ledger->households().value().empty());
    ASSERT_EQ(ledger->households(true).value().size(), 1u);
    EXPECT_TRUE(ledger->households(true).value()[0].removed);
    EXPECT_FALSE(ledger->removeHousehold("12-301", at("2026-11-20T12:02")));
    // the car inside still leaves normally
    EXPECT_EQ(leave("沪A12345", "2026-11-20T13:00").reason, Reason::ReleaseVisit);
    // registering the unit again starts afresh
    household("12-301", "elderly-only", "2026-11-21T08:00");
    EXPECT_EQ(issue("12-301", kNov, 2, "2026-11-21T09:00").size(), 2u);
}

class Report : public LedgerTest {};

TEST_F(Report, FiguresPerHouseholdSharedPlatesAndTheAuditHead) {
    settings.overstay_fee_per_hour = 5;
    household("1-101");
    household("2-202");
    household("3-303");
    household("4-404");
    const auto a = issue("1-101", kNov, 2);
    const auto b = issue("2-202", kNov, 2);
    const auto c = issue("3-303", kNov, 2);
    const auto d = issue("4-404", kNov, 1);
    issue("1-101", kDec, 2, "2026-11-02T09:00");  // another month: not in November's figures
    ASSERT_TRUE(ledger->revoke(c[0].serial, "lost", at("2026-11-03T09:00")));
    ASSERT_TRUE(ledger->replace(c[1].serial, at("2026-11-03T09:01")));
    ASSERT_EQ(enter("沪A11111", a[0].token, "2026-11-10T10:00").reason, Reason::AdmitVoucher);
    ASSERT_EQ(leave("沪A11111", "2026-11-10T12:00").reason, Reason::ReleaseVisit);
    ASSERT_EQ(enter("沪S77777", a[1].token, "2026-11-12T10:00").reason, Reason::AdmitVoucher);
    ASSERT_EQ(leave("沪S77777", "2026-11-12T16:00").reason, Reason::ReleaseOverstay);
    ASSERT_EQ(enter("沪S77777", b[0].token, "2026-11-15T10:00").reason, Reason::AdmitVoucher);
    ASSERT_EQ(leave("沪S77777", "2026-11-15T11:30").reason, Reason::ReleaseVisit);
    const auto dv = enter("沪D44444", d[0].token, "2026-11-20T10:00");
    ASSERT_EQ(dv.reason, Reason::AdmitVoucher);
    ASSERT_TRUE(ledger->voidVisit(*dv.visit, Manual{"guard Li", "wrong car"}, false, at("2026-11-20T10:30")));

    const auto r = ledger->report(kNov, settings, at("2026-12-02T09:00"));
    ASSERT_TRUE(r.has_value()) << r.error().message;
    ASSERT_EQ(r->households.size(), 4u);
    const auto& ha = r->households[0];
    EXPECT_EQ(ha.unit, "1-101");
    EXPECT_EQ(ha.issued, 2);
    EXPECT_EQ(ha.used, 2);
    EXPECT_EQ(ha.unused, 0);
    EXPECT_EQ(ha.visits, 2);
    EXPECT_EQ(ha.total_stay, hours(8));
    EXPECT_EQ(ha.longest_stay, hours(6));
    EXPECT_EQ(ha.overstays, 1);
    EXPECT_EQ(ha.fees, 10.0);
    const auto& hb = r->households[1];
    EXPECT_EQ(hb.unit, "2-202");
    EXPECT_EQ(hb.issued, 2);
    EXPECT_EQ(hb.used, 1);
    EXPECT_EQ(hb.unused, 1);
    EXPECT_EQ(hb.visits, 1);
    EXPECT_EQ(hb.total_stay, minutes(90));
    EXPECT_EQ(hb.longest_stay, minutes(90));
    EXPECT_EQ(hb.overstays, 0);
    const auto& hc = r->households[2];
    EXPECT_EQ(hc.unit, "3-303");
    EXPECT_EQ(hc.issued, 2);  // the replaced card is counted once, through its replacement
    EXPECT_EQ(hc.revoked, 1);
    EXPECT_EQ(hc.replaced, 1);  // issue 16: ... and as replaced
    EXPECT_EQ(hc.unused, 1);
    EXPECT_EQ(hc.used, 0);
    const auto& hd = r->households[3];
    EXPECT_EQ(hd.unit, "4-404");
    EXPECT_EQ(hd.issued, 1);
    EXPECT_EQ(hd.used, 1);  // a visit voided without giving the voucher back still consumed it
    EXPECT_EQ(hd.unused, 0);
    EXPECT_EQ(hd.visits, 0);
    for (const auto& h : r->households) EXPECT_EQ(h.issued, h.used + h.unused + h.revoked) << h.unit;
    ASSERT_EQ(r->shared_plates.size(), 1u);
    EXPECT_EQ(r->shared_plates[0].plate, "沪S77777");
    EXPECT_EQ(r->shared_plates[0].units, (std::vector<std::string>{"1-101", "2-202"}));
    EXPECT_EQ(r->cars_inside_now, 0);
    EXPECT_EQ(r->audit_head, ledger->auditHead().value());
    EXPECT_EQ(r->audit_head.count, count("SELECT COUNT(*) FROM audit_log"));
}

TEST_F(Report, ACarStillInsideCountsUpToNow) {
    household("1-101");
    const auto a = issue("1-101", kNov, 1);
    ASSERT_EQ(enter("沪A11111", a[0].token, "2026-11-30T20:00").reason, Reason::AdmitVoucher);
    const auto r = ledger->report(kNov, settings, at("2026-12-01T02:00")).value();
    ASSERT_EQ(r.households.size(), 1u);
    EXPECT_EQ(r.households[0].total_stay, hours(6));
    EXPECT_EQ(r.households[0].overstays, 1);
    EXPECT_EQ(r.cars_inside_now, 1);
}

// Issue 16: what the daemon and the CLI check before opening a ledger (everything but `init`): a missing, empty or
// never-initialised file is an error naming the path and `voucher-gate init`, and the check changes nothing.
class LedgerInitialised : public LedgerTest {};

namespace fs = std::filesystem;

TEST_F(LedgerInitialised, AMissingEmptyOrForeignFileIsNotALedgerAndIsLeftAsItWas) {
    EXPECT_TRUE(checkLedgerInitialised(dbPath()).has_value());
    const fs::path missing = dir.path() / "elsewhere" / "ledger.db";
    auto r = checkLedgerInitialised(missing);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().kind, LedgerError::Kind::NotFound);
    EXPECT_NE(r.error().message.find(missing.string()), std::string::npos) << r.error().message;
    EXPECT_NE(r.error().message.find("voucher-gate init"), std::string::npos) << r.error().message;
    EXPECT_FALSE(fs::exists(missing));

    const fs::path empty = dir.path() / "empty.db";
    std::ofstream(empty).close();
    r = checkLedgerInitialised(empty);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("empty"), std::string::npos) << r.error().message;
    EXPECT_EQ(fs::file_size(empty), 0u);

    const fs::path foreign = dir.path() / "foreign.db";
    {
        SQLite::Database db(foreign.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
        db.exec("CREATE TABLE notes(x TEXT)");
    }
    r = checkLedgerInitialised(foreign);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("never set up"), std::string::npos) << r.error().message;

    const fs::path text = dir.path() / "notes.txt";
    std::ofstream(text) << "not a database at all, just some text that is long enough to have a header\n";
    r = checkLedgerInitialised(text);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().message.find("voucher-gate init"), std::string::npos) << r.error().message;

    EXPECT_FALSE(checkLedgerInitialised(dir.path()).has_value()) << "a directory is no ledger";
}

class Backup : public LedgerTest {};

TEST_F(Backup, ProducesALedgerThatOpensAndVerifies) {
    household("1-101");
    const auto a = issue("1-101", kNov, 2);
    ASSERT_EQ(enter("沪A11111", a[0].token, "2026-11-10T10:00").reason, Reason::AdmitVoucher);
    const auto dest = dir.path() / "backup" / "ledger.db";
    std::filesystem::create_directories(dest.parent_path());
    const auto ok = ledger->backup(dest, at("2026-11-10T11:00"));
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    auto o = options();
    o.path = dest;
    o.spool_path.clear();
    auto copy = open(o);
    const auto verdict = copy->verifyAudit(std::nullopt);
    EXPECT_TRUE(verdict.ok) << verdict.problem;
    EXPECT_EQ(copy->households().value(), ledger->households().value());
    EXPECT_EQ(copy->vouchers(std::nullopt, std::nullopt).value(), ledger->vouchers(std::nullopt, std::nullopt).value());
    // the copy is a prefix of the live chain (the BACKUP event came after it)
    EXPECT_TRUE(ledger->verifyAudit(verdict.head).ok);
    EXPECT_EQ(copy->visits({}, settings, at("2026-11-10T11:00")).value().size(), 1u);
}

}  // namespace
}  // namespace vg::gate
