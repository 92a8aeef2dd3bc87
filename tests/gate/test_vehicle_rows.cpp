// Vehicle registrations as typed or imported: the rules the CLI and the console share.
#include <gtest/gtest.h>

#include "gate/vehicle_rows.h"

namespace vg::gate {
namespace {

InputChecker checker() { return InputChecker({"^[0-9A-Za-z]{1,6}(-[0-9A-Za-z]{1,6}){0,3}$", "^[0-9-]{7,20}$"}); }

TEST(VehicleRows, UntilMustBeADateThatExists) {
    EXPECT_TRUE(vehicleFrom(checker(), "", "沪A12345", "resident", "12-301", "2028-02-29"));
    for (const char* bad :
         {"2026-02-29", "2026-02-31", "2026-04-31", "2026-13-01", "2026-00-10", "2026-1-1", "26-01-01", "2026-01-00"}) {
        const auto v = vehicleFrom(checker(), "row 2: ", "沪A12345", "resident", "12-301", bad);
        ASSERT_FALSE(v) << bad;
        EXPECT_NE(v.error().find("row 2: until"), std::string::npos) << v.error();
    }
}

TEST(VehicleRows, AGbkFileIsReadAndEveryBadRowIsNamed) {
    // 沪 in GBK is 0xBB 0xA6; the header is skipped; a plate twice is refused on its second line.
    const std::string file =
        "plate,kind,unit\r\n\xBB\xA6"
        "A12345,resident,12-301\r\nhello world,resident\r\n"
        "\xBB\xA6"
        "A12345,blocked\r\n\xBB\xA6"
        "B11111,parked\r\n";
    const auto parsed = parseVehicleFile(file, checker());
    ASSERT_TRUE(parsed) << parsed.error();
    EXPECT_EQ(parsed->encoding, "GB18030");
    EXPECT_EQ(parsed->data_rows, 4);
    ASSERT_EQ(parsed->rows.size(), 1U);
    EXPECT_EQ(parsed->rows[0].plate, "沪A12345");
    EXPECT_EQ(parsed->row_numbers, std::vector<int>{2});
    ASSERT_EQ(parsed->refused.size(), 3U);
    EXPECT_EQ(parsed->refused[0].first, 3);
    EXPECT_NE(parsed->refused[1].second.find("already on row 2"), std::string::npos);
    EXPECT_NE(parsed->refused[2].second.find("kind 'parked'"), std::string::npos);
}

TEST(VehicleRows, BytesThatAreNeitherUtf8NorGb18030AreRefused) {
    EXPECT_FALSE(parseVehicleFile(std::string("\xFF\xFE\x00\x41", 4), checker()));
}

}  // namespace
}  // namespace vg::gate
