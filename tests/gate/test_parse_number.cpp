#include <gtest/gtest.h>

#include <cstdint>

#include "gate/parse_number.h"

namespace vg::gate {
namespace {

TEST(ParseNumber, TakesOnlyAWholeNumberInRange) {
    EXPECT_EQ(parseNumber<int>("42"), 42);
    EXPECT_EQ(parseNumber<int>("-7"), -7);
    EXPECT_EQ(parseNumber<std::uint64_t>("18446744073709551615"), UINT64_MAX);
    EXPECT_FLOAT_EQ(*parseNumber<float>("0.85"), 0.85F);
    EXPECT_FALSE(parseNumber<int>("")) << "empty";
    EXPECT_FALSE(parseNumber<int>("12abc")) << "std::stoi would take this as 12";
    EXPECT_FALSE(parseNumber<int>(" 12")) << "no leading blanks";
    EXPECT_FALSE(parseNumber<int>("abc"));
    EXPECT_FALSE(parseNumber<int>("99999999999")) << "out of int's range";
    EXPECT_FALSE(parseNumber<std::uint64_t>("-1"));
}

}  // namespace
}  // namespace vg::gate
