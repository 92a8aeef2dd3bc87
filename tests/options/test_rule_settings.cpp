// The one mapping of the config onto the rules: every site-wide value from the file, every lane-level value from
// the lane given (its effective values), so the daemon and the CLI decide under the same rules.
#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "options/rule_settings.h"

namespace vg::options {
namespace {

using namespace std::chrono_literals;

TEST(RuleSettings, EveryValueComesFromTheFileAndTheLaneItIsFor) {
    auto s = config::loadFromString(R"(
[vouchers]
per_month = 3
eligible_categories = ["elderly-only"]
grace_days = 2
[stay]
max = "2h"
grace = "5m"
overstay_exit = "hold"
overstay_fee_per_hour = 4.5
[lanes]
readmit_window = "3m"
unread_plate = "never"
min_plate_confidence = 0.6
exit_on_error = "hold"
[[lane]]
name = "exit-1"
direction = "exit"
plate_camera = "rtsp://cam/1"
readmit_window = "7m"
unread_plate = "guard"
min_plate_confidence = 0.9
exit_on_error = "open"
[lane.relay]
driver = "sim"
file = "/tmp/relay.jsonl"
)",
                                    "test.toml");
    ASSERT_TRUE(s.has_value()) << s.error().str();
    const gate::RuleSettings site = ruleSettingsFor(*s, s->lanes);
    EXPECT_EQ(site.per_month, 3);
    EXPECT_EQ(site.eligible_categories, std::vector<std::string>{"elderly-only"});
    EXPECT_EQ(site.grace_days, 2);
    EXPECT_EQ(site.stay_max, 2h);
    EXPECT_EQ(site.stay_grace, 5min);
    EXPECT_EQ(site.overstay_exit, gate::OnError::Hold);
    EXPECT_EQ(site.overstay_fee_per_hour, 4.5);
    EXPECT_EQ(site.readmit_window, 3min);
    EXPECT_EQ(site.unread_plate, gate::UnreadPlatePolicy::Never);
    EXPECT_EQ(site.min_plate_confidence, 0.6);
    EXPECT_EQ(site.exit_on_error, gate::OnError::Hold);

    const gate::RuleSettings lane = ruleSettingsFor(*s, s->lane.at(0));
    EXPECT_EQ(lane.stay_max, 2h);
    EXPECT_EQ(lane.readmit_window, 7min);
    EXPECT_EQ(lane.unread_plate, gate::UnreadPlatePolicy::Guard);
    EXPECT_EQ(lane.min_plate_confidence, 0.9);
    EXPECT_EQ(lane.exit_on_error, gate::OnError::Open);
}

}  // namespace
}  // namespace vg::options
