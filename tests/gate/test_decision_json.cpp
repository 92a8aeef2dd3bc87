// The JSON of a decision that the CLI and the daemon both print: PRODUCT.md's fields in site time and the names
// README.md documents, with one name for the overstay (overstay_minutes).
#include <gtest/gtest.h>

#include "gate/decision_json.h"

namespace vg::gate {
namespace {

using namespace std::chrono_literals;

TimePoint utc(int hour, int minute) {
    return TimePoint{std::chrono::sys_days{std::chrono::year{2026} / 11 / 20}.time_since_epoch() +
                     std::chrono::hours(hour) + std::chrono::minutes(minute)};
}

TEST(DecisionJson, AnOverstayedExitHasEveryFieldInSiteTime) {
    const auto zone = SiteZone::make("Asia/Shanghai");
    ASSERT_TRUE(zone.has_value());
    Decision d;
    d.reason = Reason::ReleaseOverstay;
    d.admit = true;
    d.lane = "exit-1";
    d.direction = Direction::Exit;
    d.at = utc(8, 30);
    d.plate = "沪A12345";
    d.message = "overstay";
    d.visit = 7;
    d.deadline = utc(6, 0);
    d.serial = 42;
    d.unit = "12-301";
    d.overstay = 150min + 30s;
    d.fee = 9.0;
    d.audit_seq = 812;
    const auto j = decisionJson(d, *zone);
    EXPECT_EQ(j["reason"], "RELEASE_OVERSTAY");
    EXPECT_EQ(j["admit"], true);
    EXPECT_EQ(j["lane"], "exit-1");
    EXPECT_EQ(j["direction"], "exit");
    EXPECT_EQ(j["at"], "2026-11-20T16:30:00+08:00");
    EXPECT_EQ(j["plate"], "沪A12345");
    EXPECT_EQ(j["plate_unread"], false);
    EXPECT_EQ(j["visit"], 7);
    EXPECT_EQ(j["deadline"], "2026-11-20T14:00:00+08:00");
    EXPECT_EQ(j["serial"], 42);
    EXPECT_EQ(j["unit"], "12-301");
    EXPECT_EQ(j["overstay_minutes"], 150);
    EXPECT_FALSE(j.contains("overstay_s"));
    EXPECT_EQ(j["fee"], 9.0);
    EXPECT_EQ(j["audit_seq"], 812);
    EXPECT_FALSE(j.contains("spooled"));
}

TEST(DecisionJson, UnsetFieldsAreLeftOut) {
    const auto zone = SiteZone::make("Asia/Shanghai");
    ASSERT_TRUE(zone.has_value());
    Decision d;
    d.reason = Reason::DenyVoucherUsed;
    d.at = utc(2, 0);
    const auto j = decisionJson(d, *zone);
    for (const char* key : {"visit", "deadline", "serial", "unit", "first_used_at", "first_used_plate",
                            "overstay_minutes", "fee", "audit_seq", "spooled"}) {
        EXPECT_FALSE(j.contains(key)) << key;
    }
    EXPECT_EQ(j["admit"], false);
}

TEST(DecisionJson, ReadsBackWhatItWrote) {
    const auto zone = SiteZone::make("Asia/Shanghai");
    ASSERT_TRUE(zone.has_value());
    Decision d;
    d.reason = Reason::DenyVoucherUsed;
    d.lane = "entry-1";
    d.at = utc(10, 5);
    d.plate = "沪B99999";
    d.message = "already used";
    d.serial = 3;
    d.unit = "12-301";
    d.first_used_at = utc(2, 0);
    d.first_used_plate = "沪A12345";
    d.audit_seq = 9;
    EXPECT_EQ(decisionFromJson(decisionJson(d, *zone), *zone), d);

    Decision out;
    out.reason = Reason::HoldOverstay;
    out.direction = Direction::Exit;
    out.at = utc(8, 30);
    out.visit = 7;
    out.deadline = utc(6, 0);
    out.overstay = std::chrono::minutes(150);
    out.fee = 9.0;
    out.spooled = true;
    EXPECT_EQ(decisionFromJson(decisionJson(out, *zone), *zone), out);
}

TEST(DecisionJson, ReadingRefusesWhatIsNoDecision) {
    const auto zone = SiteZone::make("Asia/Shanghai");
    ASSERT_TRUE(zone.has_value());
    EXPECT_FALSE(decisionFromJson(nlohmann::json::array(), *zone));
    EXPECT_FALSE(decisionFromJson(nlohmann::json{{"reason", "NOT_A_CODE"}}, *zone));
    const auto d = decisionFromJson(
        nlohmann::json{{"reason", "ADMIT_MANUAL"}, {"admit", "yes"}, {"visit", "7"}, {"deadline", "never"}}, *zone);
    ASSERT_TRUE(d);
    EXPECT_FALSE(d->admit);
    EXPECT_FALSE(d->visit);
    EXPECT_FALSE(d->deadline);
}

}  // namespace
}  // namespace vg::gate
