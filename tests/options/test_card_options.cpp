#include <gtest/gtest.h>

#include "config/config_loader.h"
#include "options/card_options.h"

namespace vg::options {
namespace {

using namespace std::chrono_literals;

TEST(CardOptions, EveryValueComesFromTheFile) {
    auto s = config::loadFromString(R"(
[site]
name = "和平花园"
phone = "021-55550101"
[vouchers]
per_month = 3
grace_days = 2
[stay]
max = "2h"
overstay_exit = "hold"
overstay_fee_per_hour = 4.5
)",
                                    "test");
    ASSERT_TRUE(s) << s.error().str();
    const auto o = cardSheetOptions(*s);
    EXPECT_EQ(o.site_name, "和平花园");
    EXPECT_EQ(o.phone, "021-55550101");
    EXPECT_EQ(o.stay_max, 120min);
    EXPECT_EQ(o.per_month, 3);
    EXPECT_EQ(o.grace_days, 2);
    EXPECT_DOUBLE_EQ(o.overstay_fee_per_hour, 4.5);
    EXPECT_TRUE(o.overstay_hold);
}

}  // namespace
}  // namespace vg::options
