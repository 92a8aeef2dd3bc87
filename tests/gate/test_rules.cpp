// The admission rules as a pure function (rules 3-8, 12-14), on hand-built LedgerFacts: no database, no clock.
// The same rules are exercised end to end on a real SQLite file in test_ledger.cpp.
#include <gtest/gtest.h>

#include "gate/rules.h"

namespace vg::gate {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

constexpr YearMonth kNov{2026, 11};

class RulesFixture : public ::testing::Test {
  protected:
    SiteZone zone = SiteZone::make("Asia/Shanghai").value();
    RuleSettings settings;

    TimePoint at(std::string_view local) const { return zone.parse(local).value(); }

    // A verified token for an issued, unused voucher of unit 3-101.
    static LedgerFacts voucherFacts(std::uint32_t serial = 7, YearMonth month = kNov) {
        LedgerFacts f;
        f.token = TokenPayload{kTokenVersion1, 1, serial, month};
        f.voucher = VoucherFacts{.serial = serial, .unit = "3-101", .category = "living-alone", .month = month};
        return f;
    }
    // The voucher was consumed by visit 41 of `plate` ("" = unread) at `entered`.
    void used(LedgerFacts& f, const std::string& plate, TimePoint entered, bool still_inside = true) const {
        f.voucher->visit_id = 41;
        f.voucher->visit_plate = plate;
        f.voucher->visit_plate_unread = plate.empty();
        f.voucher->visit_entered_at = entered;
        f.voucher->visit_deadline = entered + settings.stay_max;
        if (still_inside) {
            f.inside.push_back(OpenVisitFacts{.id = 41,
                                              .serial = f.voucher->serial,
                                              .unit = f.voucher->unit,
                                              .plate = plate,
                                              .plate_unread = plate.empty(),
                                              .entered_at = entered,
                                              .deadline = entered + settings.stay_max});
        } else {
            f.voucher->visit_exited_at = entered + hours(1);
        }
    }
    static Observation entry(std::optional<std::string> plate, bool card = true, double confidence = 0.95) {
        Observation o{.lane = "north-in", .direction = Direction::Entry};
        if (plate) o.plate = PlateSeen{*plate, confidence};
        if (card) o.token = "VG1:CARD";
        return o;
    }
    static Observation exitObs(std::optional<std::string> plate, bool card = false,
                               Presence presence = Presence::Unknown) {
        Observation o{.lane = "north-out", .direction = Direction::Exit, .presence = presence};
        if (plate) o.plate = PlateSeen{*plate, 0.95};
        if (card) o.token = "VG1:CARD";
        return o;
    }
    static OpenVisitFacts insideCar(std::int64_t id, std::string plate, TimePoint entered, Duration stay = hours(4)) {
        return OpenVisitFacts{.id = id,
                              .serial = static_cast<std::uint32_t>(100 + id),
                              .unit = "5-202",
                              .plate = plate,
                              .plate_unread = plate.empty(),
                              .entered_at = entered,
                              .deadline = entered + stay};
    }
    Ruling run(const Observation& o, const LedgerFacts& f, TimePoint now) const {
        return decide(o, f, settings, zone, now);
    }
};

// ---- Rule 3: validity month, in the site's zone -------------------------------------------------------------

class PureRule3_Validity : public RulesFixture {};

TEST_F(PureRule3_Validity, LastMinuteOfTheMonthInShanghaiIsValid) {
    const auto r = run(entry("沪A12345"), voucherFacts(), at("2026-11-30T23:59"));
    EXPECT_EQ(r.decision.reason, Reason::AdmitVoucher) << r.decision.message;
    EXPECT_TRUE(r.decision.admit);
    EXPECT_EQ(r.effect.kind, EffectKind::StartVisit);
    EXPECT_EQ(r.effect.plate, "沪A12345");
    EXPECT_EQ(r.decision.deadline, at("2026-12-01T03:59"));  // the visit runs past the month's end
}

TEST_F(PureRule3_Validity, MidnightStartingTheNextMonthIsExpired) {
    // 2026-12-01 00:00 Shanghai is still 2026-11-30 in UTC: the month is the site's, not UTC's.
    const auto r = run(entry("沪A12345"), voucherFacts(), at("2026-12-01T00:00"));
    EXPECT_EQ(r.decision.reason, Reason::DenyVoucherExpired);
    EXPECT_FALSE(r.decision.admit);
    EXPECT_EQ(r.effect.kind, EffectKind::None);
    EXPECT_NE(r.decision.message.find("2026-12-01 00:00"), std::string::npos) << r.decision.message;
}

TEST_F(PureRule3_Validity, GraceDaysExtendTheMonth) {
    settings.grace_days = 2;
    EXPECT_EQ(run(entry("沪A12345"), voucherFacts(), at("2026-12-02T23:59")).decision.reason, Reason::AdmitVoucher);
    EXPECT_EQ(run(entry("沪A12345"), voucherFacts(), at("2026-12-03T00:00")).decision.reason,
              Reason::DenyVoucherExpired);
}

TEST_F(PureRule3_Validity, NextMonthsVoucherIsNotYetValid) {
    const auto f = voucherFacts(8, YearMonth{2026, 12});
    const auto r = run(entry("沪A12345"), f, at("2026-11-30T23:59"));
    EXPECT_EQ(r.decision.reason, Reason::DenyVoucherNotYetValid);
    EXPECT_NE(r.decision.message.find("2026-12-01 00:00"), std::string::npos) << r.decision.message;
    EXPECT_EQ(run(entry("沪A12345"), f, at("2026-12-01T00:00")).decision.reason, Reason::AdmitVoucher);
}

TEST_F(PureRule3_Validity, CardWhoseMonthDisagreesWithTheLedgerIsForged) {
    auto f = voucherFacts();
    f.token->month = YearMonth{2026, 12};
    EXPECT_EQ(run(entry("沪A12345"), f, at("2026-11-20T10:00")).decision.reason, Reason::DenyVoucherForged);
}

TEST_F(PureRule3_Validity, RevokedReplacedAndRemovedHouseholdsVouchersAreRefused) {
    auto f = voucherFacts();
    f.voucher->revoked = true;
    EXPECT_EQ(run(entry("沪A12345"), f, at("2026-11-20T10:00")).decision.reason, Reason::DenyVoucherRevoked);
    f.voucher->replaced = true;
    const auto r = run(entry("沪A12345"), f, at("2026-11-20T10:00"));
    EXPECT_EQ(r.decision.reason, Reason::DenyVoucherRevoked);
    EXPECT_NE(r.decision.message.find("replaced"), std::string::npos);
    auto g = voucherFacts();
    g.voucher->household_removed = true;
    EXPECT_EQ(run(entry("沪A12345"), g, at("2026-11-20T10:00")).decision.reason, Reason::DenyVoucherRevoked);
}

TEST_F(PureRule3_Validity, TokensThatDoNotVerifyAreForgedAndRetiredKeysRevoked) {
    LedgerFacts f;
    f.token_error = TokenError::BadMac;
    EXPECT_EQ(run(entry("沪A12345"), f, at("2026-11-20T10:00")).decision.reason, Reason::DenyVoucherForged);
    f.token_error = TokenError::Malformed;
    EXPECT_EQ(run(entry("沪A12345"), f, at("2026-11-20T10:00")).decision.reason, Reason::DenyVoucherForged);
    f.token_error = TokenError::RetiredKey;
    EXPECT_EQ(run(entry("沪A12345"), f, at("2026-11-20T10:00")).decision.reason, Reason::DenyVoucherRevoked);
    LedgerFacts never_issued;
    never_issued.token = TokenPayload{kTokenVersion1, 1, 999, kNov};
    never_issued.token_unknown_serial = true;
    EXPECT_EQ(run(entry("沪A12345"), never_issued, at("2026-11-20T10:00")).decision.reason, Reason::DenyVoucherForged);
}

// ---- Rule 4: single use, no stacking; 4a re-admission --------------------------------------------------------

class PureRule4_SingleUse : public RulesFixture {};

TEST_F(PureRule4_SingleUse, SecondUseNamesTheFirstUseInSiteTime) {
    auto f = voucherFacts();
    used(f, "沪A12345", at("2026-11-20T10:00"), /*still_inside=*/false);
    const auto r = run(entry("沪B99999"), f, at("2026-11-21T09:00"));
    EXPECT_EQ(r.decision.reason, Reason::DenyVoucherUsed);
    EXPECT_FALSE(r.decision.admit);
    EXPECT_EQ(r.effect.kind, EffectKind::None);
    EXPECT_EQ(r.decision.message, "already used at 2026-11-20 10:00 by 沪A12345");
    EXPECT_EQ(r.decision.first_used_at, at("2026-11-20T10:00"));
    EXPECT_EQ(r.decision.first_used_plate, "沪A12345");
}

TEST_F(PureRule4_SingleUse, SameCarAfterItLeftIsStillASecondUse) {
    auto f = voucherFacts();
    used(f, "沪A12345", at("2026-11-20T10:00"), /*still_inside=*/false);
    EXPECT_EQ(run(entry("沪A12345"), f, at("2026-11-20T10:05")).decision.reason, Reason::DenyVoucherUsed);
}

TEST_F(PureRule4_SingleUse, NoStackingAnotherVoucherForACarAlreadyInside) {
    auto f = voucherFacts(9);
    f.inside.push_back(insideCar(3, "沪A12345", at("2026-11-20T09:00")));
    const auto r = run(entry("沪a·12345"), f, at("2026-11-20T10:00"));
    EXPECT_EQ(r.decision.reason, Reason::DenyAlreadyInside);
    EXPECT_EQ(r.effect.kind, EffectKind::None);
    EXPECT_NE(r.decision.message.find("103"), std::string::npos) << r.decision.message;  // names its voucher
}

class PureRule4a_Readmission : public RulesFixture {};

TEST_F(PureRule4a_Readmission, SamePlateWithinTheWindowOpensAgainWithoutANewVisit) {
    auto f = voucherFacts();
    used(f, "沪A12345", at("2026-11-20T10:00"));
    const auto r = run(entry("沪A12345"), f, at("2026-11-20T10:10"));  // exactly the 10 min window
    EXPECT_EQ(r.decision.reason, Reason::AdmitRepeat);
    EXPECT_TRUE(r.decision.admit);
    EXPECT_EQ(r.effect.kind, EffectKind::None);
    EXPECT_EQ(r.decision.visit, 41);
    EXPECT_EQ(r.decision.deadline, at("2026-11-20T14:00"));  // the first visit's deadline, not extended
}

TEST_F(PureRule4a_Readmission, AfterTheWindowItIsASecondUse) {
    auto f = voucherFacts();
    used(f, "沪A12345", at("2026-11-20T10:00"));
    const auto r = run(entry("沪A12345"), f, at("2026-11-20T10:10:01"));
    EXPECT_EQ(r.decision.reason, Reason::DenyVoucherUsed);
}

TEST_F(PureRule4a_Readmission, DifferentPlateWithinTheWindowIsASecondUse) {
    auto f = voucherFacts();
    used(f, "沪A12345", at("2026-11-20T10:00"));
    EXPECT_EQ(run(entry("沪B99999"), f, at("2026-11-20T10:01")).decision.reason, Reason::DenyVoucherUsed);
    // read now, unread the first time (or the reverse): not the same car as far as anyone can tell
    EXPECT_EQ(run(entry(std::nullopt), f, at("2026-11-20T10:01")).decision.reason, Reason::DenyVoucherUsed);
}

TEST_F(PureRule4a_Readmission, BothUnreadWithinTheWindowIsARepeat) {
    auto f = voucherFacts();
    used(f, "", at("2026-11-20T10:00"));
    EXPECT_EQ(run(entry(std::nullopt), f, at("2026-11-20T10:03")).decision.reason, Reason::AdmitRepeat);
    EXPECT_EQ(run(entry("沪A12345"), f, at("2026-11-20T10:03")).decision.reason, Reason::DenyVoucherUsed);
}

TEST_F(PureRule4a_Readmission, AVoucherNeverExtendsAVisit) {
    settings.readmit_window = hours(48);
    auto f = voucherFacts();
    used(f, "沪A12345", at("2026-11-20T10:00"));
    const auto r = run(entry("沪A12345"), f, at("2026-11-20T13:00"));
    ASSERT_EQ(r.decision.reason, Reason::AdmitRepeat);
    EXPECT_EQ(r.decision.deadline, at("2026-11-20T14:00"));
    EXPECT_EQ(r.effect.kind, EffectKind::None);
}

// ---- Rule 5/6: allowed stay, overstay, fee, hold --------------------------------------------------------------

class PureRule5_Overstay : public RulesFixture {};

TEST_F(PureRule5_Overstay, GraceBoundaryIsExact) {
    const TimePoint deadline = at("2026-11-20T14:00");
    EXPECT_FALSE(overstayAt(deadline, deadline, settings));
    EXPECT_FALSE(overstayAt(deadline, deadline + minutes(15), settings));
    const auto over = overstayAt(deadline, deadline + minutes(15) + Duration(1), settings);
    ASSERT_TRUE(over);
    EXPECT_EQ(*over, minutes(15) + Duration(1));  // counted from the deadline, not from deadline + grace
}

TEST_F(PureRule5_Overstay, FeeIsPerStartedHour) {
    EXPECT_FALSE(feeFor(hours(3), settings));  // no fee configured
    settings.overstay_fee_per_hour = 5;
    EXPECT_EQ(feeFor(Duration(1), settings), 5.0);
    EXPECT_EQ(feeFor(hours(1), settings), 5.0);
    EXPECT_EQ(feeFor(hours(1) + Duration(1), settings), 10.0);
    EXPECT_EQ(feeFor(hours(72) + minutes(16), settings), 73 * 5.0);
}

TEST_F(PureRule5_Overstay, ExitWithinGraceReleasesWithoutOverstay) {
    LedgerFacts f;
    f.inside.push_back(insideCar(3, "沪A12345", at("2026-11-20T10:00")));
    const auto r = run(exitObs("沪A12345"), f, at("2026-11-20T14:15"));
    EXPECT_EQ(r.decision.reason, Reason::ReleaseVisit);
    EXPECT_EQ(r.effect.kind, EffectKind::CloseVisit);
    EXPECT_EQ(r.effect.visit, 3);
    EXPECT_FALSE(r.effect.overstay);
}

TEST_F(PureRule5_Overstay, ExitPastGraceRecordsOverstayAndFee) {
    settings.overstay_fee_per_hour = 10;
    LedgerFacts f;
    f.inside.push_back(insideCar(3, "沪A12345", at("2026-11-20T10:00")));
    const auto r = run(exitObs("沪A12345"), f, at("2026-11-23T10:00"));  // three days later
    EXPECT_EQ(r.decision.reason, Reason::ReleaseOverstay);
    EXPECT_TRUE(r.decision.admit);  // rule 6: the exit never traps a car by default
    EXPECT_EQ(r.effect.kind, EffectKind::CloseVisit);
    EXPECT_EQ(r.effect.overstay, hours(68));
    EXPECT_EQ(r.effect.fee, 680.0);
    EXPECT_EQ(r.decision.fee, 680.0);
}

TEST_F(PureRule5_Overstay, HoldSettingMakesTheOverstayedCarWaitForTheGuard) {
    settings.overstay_exit = OnError::Hold;
    LedgerFacts f;
    f.inside.push_back(insideCar(3, "沪A12345", at("2026-11-20T10:00")));
    const auto r = run(exitObs("沪A12345"), f, at("2026-11-20T15:00"));
    EXPECT_EQ(r.decision.reason, Reason::HoldOverstay);
    EXPECT_FALSE(r.decision.admit);
    EXPECT_EQ(r.effect.kind, EffectKind::None);  // the visit stays open until the guard answers
    EXPECT_EQ(r.decision.visit, 3);
    EXPECT_EQ(r.decision.overstay, hours(1));
    // within the limit the hold setting changes nothing
    EXPECT_EQ(run(exitObs("沪A12345"), f, at("2026-11-20T14:00")).decision.reason, Reason::ReleaseVisit);
}

// ---- Exit matching with OCR confusions -----------------------------------------------------------------------

class PureRule_ExitMatching : public RulesFixture {};

TEST_F(PureRule_ExitMatching, ExactMatchWins) {
    const TimePoint t = at("2026-11-20T10:00");
    const std::vector<OpenVisitFacts> inside{insideCar(1, "沪A12345", t), insideCar(2, "沪A1234S", t)};
    EXPECT_EQ(matchInside("沪A12345", inside), 0u);
    EXPECT_EQ(matchInside("沪A1234S", inside), 1u);
}

TEST_F(PureRule_ExitMatching, EachConfusionPairMatchesOneOffBothWays) {
    const TimePoint t = at("2026-11-20T10:00");
    const std::vector<std::pair<char, char>> pairs{{'0', 'D'}, {'0', 'Q'}, {'D', 'Q'}, {'8', 'B'},
                                                   {'2', 'Z'}, {'5', 'S'}, {'1', 'I'}, {'A', '4'}};
    for (const auto& [a, b] : pairs) {
        const std::string stored = std::string("沪C9") + a + "77";
        const std::string read = std::string("沪C9") + b + "77";
        const std::vector<OpenVisitFacts> inside{insideCar(1, "沪E66666", t), insideCar(2, stored, t)};
        EXPECT_EQ(matchInside(read, inside), 1u) << a << "/" << b;
        const std::vector<OpenVisitFacts> reversed{insideCar(2, read, t)};
        EXPECT_EQ(matchInside(stored, reversed), 0u) << b << "/" << a;
    }
}

TEST_F(PureRule_ExitMatching, NonConfusableOrTwoOffOrProvinceDifferenceNeverMatches) {
    const TimePoint t = at("2026-11-20T10:00");
    const std::vector<OpenVisitFacts> inside{insideCar(1, "沪A12345", t)};
    EXPECT_FALSE(matchInside("沪A12346", inside));  // 5/6 is not a known confusion
    EXPECT_FALSE(matchInside("沪A1Z34S", inside));  // two characters off
    EXPECT_FALSE(matchInside("苏A12345", inside));  // another province
    EXPECT_FALSE(matchInside("沪A123456", inside));
    EXPECT_FALSE(matchInside("", inside));
}

TEST_F(PureRule_ExitMatching, TwoCarsInsideOneCharacterApartAreNeverGuessed) {
    const TimePoint t = at("2026-11-20T10:00");
    const std::vector<OpenVisitFacts> inside{insideCar(1, "沪A1234D", t), insideCar(2, "沪A1234Q", t)};
    EXPECT_FALSE(matchInside("沪A12340", inside));
    LedgerFacts f;
    f.inside = inside;
    const auto r = run(exitObs("沪A12340"), f, at("2026-11-20T11:00"));
    EXPECT_EQ(r.decision.reason, Reason::ReleaseUnmatched);  // opens, closes nothing: the guard sees it
    EXPECT_EQ(r.effect.kind, EffectKind::None);
}

TEST_F(PureRule_ExitMatching, OneOffMatchClosesTheVisitAndKeepsItsStoredPlate) {
    LedgerFacts f;
    f.inside.push_back(insideCar(7, "沪B88888", at("2026-11-20T10:00")));
    const auto one = run(exitObs("沪B888B8"), f, at("2026-11-20T11:00"));
    EXPECT_EQ(one.decision.reason, Reason::ReleaseVisit);
    EXPECT_EQ(one.effect.visit, 7);
    EXPECT_EQ(one.effect.plate, "");  // the stored plate is not overwritten by a misread
}

TEST_F(PureRule_ExitMatching, NormalizePlate) {
    EXPECT_EQ(normalizePlate("沪a·12345"), "沪A12345");
    EXPECT_EQ(normalizePlate(" 沪A 123-45. "), "沪A12345");
    EXPECT_EQ(normalizePlate("沪A・12345"), "沪A12345");
    EXPECT_EQ(normalizePlate(""), "");
    // What checkPlate() accepts and stores, a lookup finds: a bullet, full-width letters and digits.
    EXPECT_EQ(normalizePlate("沪G•12345"), "沪G12345");
    EXPECT_EQ(normalizePlate("沪ａ１２３４５"), "沪A12345");
    EXPECT_EQ(normalizePlate("\xff\xfe"), "");
}

// ---- Rule 7: residents, blocked, unmatched -------------------------------------------------------------------

class PureRule7_Vehicles : public RulesFixture {};

TEST_F(PureRule7_Vehicles, ResidentOpensWithoutVoucherBothWays) {
    LedgerFacts f;
    f.plate_resident = true;
    const auto in = run(entry("沪R00001", /*card=*/false), f, at("2026-11-20T10:00"));
    EXPECT_EQ(in.decision.reason, Reason::AdmitResident);
    EXPECT_EQ(in.effect.kind, EffectKind::None);
    EXPECT_EQ(run(exitObs("沪R00001"), f, at("2026-11-20T11:00")).decision.reason, Reason::ReleaseResident);
}

TEST_F(PureRule7_Vehicles, ResidentShowingACardDoesNotConsumeIt) {
    auto f = voucherFacts();
    f.plate_resident = true;
    const auto r = run(entry("沪R00001"), f, at("2026-11-20T10:00"));
    EXPECT_EQ(r.decision.reason, Reason::AdmitResident);
    EXPECT_EQ(r.effect.kind, EffectKind::None);
}

TEST_F(PureRule7_Vehicles, BlockedNeverOpensEvenWithAValidVoucher) {
    auto f = voucherFacts();
    f.plate_resident = false;
    EXPECT_EQ(run(entry("沪X00001"), f, at("2026-11-20T10:00")).decision.reason, Reason::DenyBlocked);
    LedgerFacts g;
    g.plate_resident = false;
    EXPECT_EQ(run(exitObs("沪X00001"), g, at("2026-11-20T10:00")).decision.reason, Reason::DenyBlocked);
}

TEST_F(PureRule7_Vehicles, UnknownCarWithoutVoucherIsAskedForOne) {
    const auto r = run(entry("沪A12345", /*card=*/false), LedgerFacts{}, at("2026-11-20T10:00"));
    EXPECT_EQ(r.decision.reason, Reason::DenyNeedVoucher);
    EXPECT_FALSE(r.decision.admit);
}

TEST_F(PureRule7_Vehicles, UnmatchedCarAtTheExitIsReleased) {
    const auto r = run(exitObs("沪A12345"), LedgerFacts{}, at("2026-11-20T10:00"));
    EXPECT_EQ(r.decision.reason, Reason::ReleaseUnmatched);
    EXPECT_TRUE(r.decision.admit);
    EXPECT_EQ(r.effect.kind, EffectKind::None);
}

class PureRule6_ExitNeverTraps : public RulesFixture {};

TEST_F(PureRule6_ExitNeverTraps, PlateSeenBelowConfidenceIsReleasedUnmatched) {
    auto o = exitObs("沪A1?3?5");
    o.plate->confidence = 0.4;
    const auto r = run(o, LedgerFacts{}, at("2026-11-20T10:00"));
    EXPECT_EQ(r.decision.reason, Reason::ReleaseUnmatched);
    EXPECT_TRUE(r.decision.admit);
    EXPECT_EQ(r.effect.kind, EffectKind::None);
    o.presence = Presence::Absent;  // the loop sees nobody: nothing to open for
    EXPECT_EQ(run(o, LedgerFacts{}, at("2026-11-20T10:00")).decision.reason, Reason::DenyPlateUnread);
    const auto loop_only = run(exitObs(std::nullopt, false, Presence::Present), LedgerFacts{}, at("2026-11-20T10:00"));
    EXPECT_EQ(loop_only.decision.reason, Reason::ReleaseUnmatched);
}

// ---- Rule 12: the clock going backwards ---------------------------------------------------------------------

class PureRule12_ClockBehind : public RulesFixture {};

TEST_F(PureRule12_ClockBehind, EntryFailsClosedWhenTheClockReadsEarlierThanTheLedger) {
    auto f = voucherFacts();
    f.newest_record = at("2026-11-20T10:00");
    const auto r = run(entry("沪A12345"), f, at("2026-11-20T09:59"));
    EXPECT_EQ(r.decision.reason, Reason::DenyClockBehind);
    EXPECT_FALSE(r.decision.admit);
    EXPECT_EQ(r.effect.kind, EffectKind::None);
    LedgerFacts resident;
    resident.plate_resident = true;
    resident.newest_record = at("2026-11-20T10:00");
    EXPECT_EQ(run(entry("沪R00001", false), resident, at("2026-11-20T09:00")).decision.reason, Reason::DenyClockBehind);
    EXPECT_EQ(run(entry("沪A12345"), f, at("2026-11-20T10:00")).decision.reason, Reason::AdmitVoucher);
}

// ---- Rule 13: unreadable plates ------------------------------------------------------------------------------

class PureRule13_UnreadPlate : public RulesFixture {};

TEST_F(PureRule13_UnreadPlate, GuardPolicyHoldsForTheGuard) {
    const auto r = run(entry(std::nullopt), voucherFacts(), at("2026-11-20T10:00"));
    EXPECT_EQ(r.decision.reason, Reason::HoldPlateUnread);
    EXPECT_FALSE(r.decision.admit);
    EXPECT_EQ(r.effect.kind, EffectKind::None);  // not consumed until the guard admits
    EXPECT_FALSE(r.decision.deadline);           // nobody is told "leave by" before being let in
}

TEST_F(PureRule13_UnreadPlate, LowConfidenceCountsAsUnread) {
    const auto r = run(entry("沪A12345", true, 0.79), voucherFacts(), at("2026-11-20T10:00"));
    EXPECT_EQ(r.decision.reason, Reason::HoldPlateUnread);
    EXPECT_TRUE(r.decision.plate_unread);
    EXPECT_EQ(r.decision.plate, "");
    EXPECT_EQ(run(entry("沪A12345", true, 0.8), voucherFacts(), at("2026-11-20T10:00")).decision.reason,
              Reason::AdmitVoucher);
}

TEST_F(PureRule13_UnreadPlate, PresencePolicyAdmitsOnlyWithAVehicleOnTheLoop) {
    settings.unread_plate = UnreadPlatePolicy::Presence;
    auto o = entry(std::nullopt);
    o.presence = Presence::Present;
    const auto r = run(o, voucherFacts(), at("2026-11-20T10:00"));
    EXPECT_EQ(r.decision.reason, Reason::AdmitVoucherPlateUnread);
    EXPECT_TRUE(r.decision.admit);
    EXPECT_EQ(r.effect.kind, EffectKind::StartVisit);
    EXPECT_TRUE(r.effect.plate_unread);
    EXPECT_EQ(r.effect.plate, "");
    EXPECT_EQ(r.decision.deadline, at("2026-11-20T14:00"));
    o.presence = Presence::Absent;
    EXPECT_EQ(run(o, voucherFacts(), at("2026-11-20T10:00")).decision.reason, Reason::DenyPlateUnread);
    o.presence = Presence::Unknown;
    EXPECT_EQ(run(o, voucherFacts(), at("2026-11-20T10:00")).decision.reason, Reason::DenyPlateUnread);
}

TEST_F(PureRule13_UnreadPlate, NeverPolicyRefuses) {
    settings.unread_plate = UnreadPlatePolicy::Never;
    auto o = entry(std::nullopt);
    o.presence = Presence::Present;
    const auto r = run(o, voucherFacts(), at("2026-11-20T10:00"));
    EXPECT_EQ(r.decision.reason, Reason::DenyPlateUnread);
    EXPECT_EQ(r.effect.kind, EffectKind::None);
    EXPECT_FALSE(r.decision.deadline);
}

TEST_F(PureRule13_UnreadPlate, NoPlateAndNoCardAsksForAVoucher) {
    EXPECT_EQ(run(entry(std::nullopt, false), LedgerFacts{}, at("2026-11-20T10:00")).decision.reason,
              Reason::DenyNeedVoucher);
}

// ---- Rule 14: the card at the exit ---------------------------------------------------------------------------

class PureRule14_CardAtExit : public RulesFixture {};

TEST_F(PureRule14_CardAtExit, UnreadVisitClosesWithAPlateReadWhichIsRecorded) {
    auto f = voucherFacts();
    used(f, "", at("2026-11-20T10:00"));
    const auto r = run(exitObs("沪A12345", /*card=*/true), f, at("2026-11-20T11:00"));
    EXPECT_EQ(r.decision.reason, Reason::ReleaseVisit);
    EXPECT_EQ(r.effect.kind, EffectKind::CloseVisit);
    EXPECT_EQ(r.effect.visit, 41);
    EXPECT_EQ(r.effect.plate, "沪A12345");
}

TEST_F(PureRule14_CardAtExit, UnreadVisitClosesWithPresence) {
    auto f = voucherFacts();
    used(f, "", at("2026-11-20T10:00"));
    const auto r = run(exitObs(std::nullopt, true, Presence::Present), f, at("2026-11-20T11:00"));
    EXPECT_EQ(r.decision.reason, Reason::ReleaseVisit);
    EXPECT_EQ(r.effect.visit, 41);
}

TEST_F(PureRule14_CardAtExit, UnreadVisitStaysOpenWithoutAVehicle) {
    auto f = voucherFacts();
    used(f, "", at("2026-11-20T10:00"));
    for (const auto presence : {Presence::Unknown, Presence::Absent}) {
        const auto r = run(exitObs(std::nullopt, true, presence), f, at("2026-11-20T11:00"));
        EXPECT_EQ(r.decision.reason, Reason::ExitQrMismatch);
        EXPECT_FALSE(r.decision.admit);
        EXPECT_EQ(r.effect.kind, EffectKind::None);
    }
}

TEST_F(PureRule14_CardAtExit, KnownPlateVisitIsNotClosedByTheCardAlone) {
    auto f = voucherFacts();
    used(f, "沪A12345", at("2026-11-20T10:00"));
    // a card carried out on foot, with the loop seeing someone: closes nothing
    const auto r = run(exitObs(std::nullopt, true, Presence::Present), f, at("2026-11-20T11:00"));
    EXPECT_EQ(r.decision.reason, Reason::ExitQrMismatch);
    EXPECT_EQ(r.effect.kind, EffectKind::None);
    EXPECT_EQ(r.decision.visit, 41);
    // another car holding the card: that car goes (it is unmatched), the visit stays open
    const auto other = run(exitObs("沪B99999", true), f, at("2026-11-20T11:00"));
    EXPECT_EQ(other.decision.reason, Reason::ReleaseUnmatched);
    EXPECT_EQ(other.effect.kind, EffectKind::None);
    EXPECT_NE(other.decision.message.find("card of visit 41"), std::string::npos) << other.decision.message;
    // the visit's own plate closes it
    const auto own = run(exitObs("沪A12345", true), f, at("2026-11-20T11:00"));
    EXPECT_EQ(own.decision.reason, Reason::ReleaseVisit);
    EXPECT_EQ(own.effect.visit, 41);
}

// ---- Decision names are a contract ---------------------------------------------------------------------------

TEST(Decisions, ReasonNamesRoundTripAndExitStatusFollowsThePrefix) {
    for (int i = 0; i <= static_cast<int>(Reason::ExitQrMismatch); ++i) {
        const auto r = static_cast<Reason>(i);
        const auto name = toString(r);
        ASSERT_NE(name, "UNKNOWN") << i;
        EXPECT_EQ(reasonFromString(name), r) << name;
        const bool opens = name.starts_with("ADMIT_") || name.starts_with("RELEASE_");
        EXPECT_EQ(opensBarrier(r), opens) << name;
        EXPECT_EQ(exitStatusFor(r), opens ? 0 : 3) << name;
    }
    EXPECT_EQ(toString(Reason::DenyVoucherUsed), "DENY_VOUCHER_USED");
    EXPECT_EQ(toString(Reason::HoldPlateUnread), "HOLD_PLATE_UNREAD");
    EXPECT_FALSE(reasonFromString("ADMIT_EVERYONE"));
}

}  // namespace
}  // namespace vg::gate
