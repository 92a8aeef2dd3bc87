// Site time: months in the site's zone (rule 12), the --now/--at forms, stored UTC text.
#include <gtest/gtest.h>

#include "gate/site_time.h"

namespace vg::gate {
namespace {

TimePoint utc(std::string_view s) { return parseIsoUtc(s).value(); }

SiteZone shanghai() { return SiteZone::make("Asia/Shanghai").value(); }

TEST(SiteTime, ShanghaiMonthBoundaries) {
    const SiteZone z = shanghai();
    EXPECT_EQ(z.monthStart({2026, 12}), utc("2026-11-30T16:00:00.000Z"));
    EXPECT_EQ(z.monthEnd({2026, 11}), utc("2026-11-30T16:00:00.000Z"));
    EXPECT_EQ(z.monthStart({2027, 1}), utc("2026-12-31T16:00:00.000Z"));
    EXPECT_EQ(z.monthOf(z.parse("2026-11-30T23:59").value()), (YearMonth{2026, 11}));
    EXPECT_EQ(z.monthOf(z.parse("2026-11-30T23:59:59.999").value()), (YearMonth{2026, 11}));
    EXPECT_EQ(z.monthOf(z.parse("2026-12-01T00:00").value()), (YearMonth{2026, 12}));
    // The same instant is still November in UTC: months follow the site, not the box's UTC clock.
    EXPECT_EQ(z.monthOf(utc("2026-11-30T16:30:00.000Z")), (YearMonth{2026, 12}));
    EXPECT_EQ(z.monthOf(utc("2026-11-30T15:59:59.999Z")), (YearMonth{2026, 11}));
}

TEST(SiteTime, ZoneWithDaylightSavingUsesTheRightOffsetEachMonth) {
    const SiteZone ny = SiteZone::make("America/New_York").value();
    EXPECT_EQ(ny.monthStart({2026, 7}), utc("2026-07-01T04:00:00.000Z"));
    EXPECT_EQ(ny.monthStart({2026, 12}), utc("2026-12-01T05:00:00.000Z"));
    const auto gap = ny.parse("2026-03-08T02:30");
    ASSERT_FALSE(gap.has_value());
    EXPECT_NE(gap.error().find("does not exist"), std::string::npos);
    const auto twice = ny.parse("2026-11-01T01:30");
    ASSERT_FALSE(twice.has_value());
    EXPECT_NE(twice.error().find("explicit offset"), std::string::npos);
    EXPECT_EQ(ny.parse("2026-11-01T01:30-05:00").value(), utc("2026-11-01T06:30:00.000Z"));
}

TEST(SiteTime, UnknownZoneIsAnError) {
    const auto bad = SiteZone::make("Mars/Olympus_Mons");
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().find("Mars/Olympus_Mons"), std::string::npos);
    EXPECT_FALSE(SiteZone::make("").has_value());
    EXPECT_FALSE(SiteZone::make("../../etc/passwd").has_value());
    EXPECT_EQ(SiteZone::make("Asia/Shanghai")->name(), "Asia/Shanghai");
}

TEST(SiteTime, ParseForms) {
    const SiteZone z = shanghai();
    const TimePoint ten = utc("2026-11-20T02:00:00.000Z");
    EXPECT_EQ(z.parse("2026-11-20T10:00:00").value(), ten);
    EXPECT_EQ(z.parse("2026-11-20T10:00").value(), ten);
    EXPECT_EQ(z.parse("2026-11-20 10:00:00").value(), ten);
    EXPECT_EQ(z.parse("  2026-11-20 10:00\n").value(), ten);
    EXPECT_EQ(z.parse("2026-11-20T10:00:00+08:00").value(), ten);
    EXPECT_EQ(z.parse("2026-11-20T10:00:00+0800").value(), ten);
    EXPECT_EQ(z.parse("2026-11-20T10:00+08").value(), ten);
    EXPECT_EQ(z.parse("2026-11-20T02:00:00Z").value(), ten);
    EXPECT_EQ(z.parse("2026-11-20T03:00:00+01:00").value(), ten);
    EXPECT_EQ(z.parse("2026-11-19T21:00:00-05:00").value(), ten);
    EXPECT_EQ(z.parse("2026-11-20T02:00:00.000Z").value(), ten);  // our own stored form
    EXPECT_EQ(z.parse("2026-11-20T10:00:00.25").value(), ten + Duration{250});
    EXPECT_EQ(z.parse("2026-11-20").value(), utc("2026-11-19T16:00:00.000Z"));
}

TEST(SiteTime, ParseErrorsNameTheExpectedForms) {
    const SiteZone z = shanghai();
    for (std::string_view bad :
         {"", "now", "2026-11", "2026-13-01", "2026-02-30", "2026-11-20T24:00", "2026-11-20T10:60",
          "2026-11-20T10:00:61", "2026-11-20T10", "2026/11/20 10:00", "20-11-2026", "2026-11-20T10:00:00+8",
          "2026-11-20T10:00:00+15:00", "2026-11-20T10:00:00 UTC", "2026-11-20Z", "2026-11-20T10:00:00.", "1969-12-31",
          "2026-11-20x"}) {
        const auto r = z.parse(bad);
        ASSERT_FALSE(r.has_value()) << bad;
        EXPECT_NE(r.error().find("2026-11-20T10:00:00"), std::string::npos) << r.error();
        EXPECT_NE(r.error().find("Asia/Shanghai"), std::string::npos) << r.error();
    }
    EXPECT_NE(z.parse("yesterday").error().find("'yesterday'"), std::string::npos);
    EXPECT_LT(z.parse(std::string(10000, '9')).error().size(), 600u);
}

TEST(SiteTime, FormattingInTheSiteZone) {
    const SiteZone z = shanghai();
    const TimePoint t = utc("2026-11-20T10:30:45.678Z");
    EXPECT_EQ(z.formatLocal(t), "2026-11-20 18:30");
    EXPECT_EQ(z.formatLocal(t, "%H:%M:%S"), "18:30:45");
    EXPECT_EQ(z.formatLocal(utc("2026-11-30T16:00:00.000Z"), "%Y-%m"), "2026-12");
    EXPECT_EQ(z.isoLocal(t), "2026-11-20T18:30:45+08:00");
    EXPECT_EQ(z.parse(z.isoLocal(t)).value(), utc("2026-11-20T10:30:45.000Z"));
    EXPECT_EQ(SiteZone::make("America/St_Johns")->isoLocal(t), "2026-11-20T07:00:45-03:30");
}

TEST(SiteTime, IsoUtcRoundTripAndStrictParse) {
    for (std::string_view s : {"2026-11-20T02:00:00.000Z", "1970-01-01T00:00:00.000Z", "2000-02-29T23:59:59.999Z",
                               "2099-12-31T23:59:59.001Z"}) {
        EXPECT_EQ(isoUtc(utc(s)), s);
    }
    const TimePoint t = TimePoint{Duration{1'795'000'123'456}};
    EXPECT_EQ(parseIsoUtc(isoUtc(t)).value(), t);
    EXPECT_EQ(isoUtc(t).size(), 24u);
    EXPECT_LT(isoUtc(utc("2026-11-20T02:00:00.000Z")), isoUtc(utc("2026-11-20T10:00:00.000Z")));
    for (std::string_view bad : {"2026-11-20T02:00:00Z", "2026-11-20T02:00:00.000", "2026-11-20 02:00:00.000Z",
                                 "2026-11-20T02:00:00.000+00:00", "2026-02-30T02:00:00.000Z",
                                 "2026-11-20T02:00:00,000Z", "", "2026-11-20T02:00:0a.000Z"}) {
        const auto r = parseIsoUtc(bad);
        ASSERT_FALSE(r.has_value()) << bad;
        EXPECT_NE(r.error().find("YYYY-MM-DDTHH:MM:SS.mmmZ"), std::string::npos);
    }
}

TEST(SiteTime, YearMonthParseIndexAndNextOverYearEnds) {
    EXPECT_EQ(YearMonth::parse("2026-11"), (YearMonth{2026, 11}));
    EXPECT_EQ(YearMonth::parse("2026-11")->str(), "2026-11");
    EXPECT_EQ((YearMonth{2000, 1}).index(), 0);
    EXPECT_EQ((YearMonth{2026, 11}).index(), 322);
    EXPECT_EQ(YearMonth::fromIndex(322), (YearMonth{2026, 11}));
    EXPECT_EQ((YearMonth{2026, 12}).next(), (YearMonth{2027, 1}));
    EXPECT_EQ((YearMonth{2026, 11}).next(), (YearMonth{2026, 12}));
    EXPECT_LT((YearMonth{2026, 12}), (YearMonth{2027, 1}));
    for (int i = 0; i < 1200; ++i) EXPECT_EQ(YearMonth::fromIndex(i).index(), i);
    for (std::string_view bad : {"2026-13", "2026-00", "2026-1", "26-11", "2026/11", "1999-12", "7001-01", "2026-11-01",
                                 " 2026-11", "２０２６-11", "+026-11"}) {
        EXPECT_FALSE(YearMonth::parse(bad).has_value()) << bad;
    }
}

}  // namespace
}  // namespace vg::gate
