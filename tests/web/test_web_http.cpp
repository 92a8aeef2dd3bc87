// The console's URL text helpers: what a paging link encodes, the form parser decodes to the same value.
#include <gtest/gtest.h>

#include "web/http.h"

namespace vg::web {
namespace {

TEST(WebHttpText, AnEncodedQueryValueDecodesToItself) {
    for (const std::string v : {"沪A12345", "a&b=c", "50% off", "x+y z", "2026-11-20 18:00", "?#/"}) {
        const auto enc = percentEncode(v);
        EXPECT_EQ(enc.find('&'), std::string::npos) << enc;
        const auto parsed = parseUrlEncoded("k=" + enc + "&next=1");
        ASSERT_EQ(parsed.count("k"), 1U);
        EXPECT_EQ(parsed.at("k"), v) << enc;
        EXPECT_EQ(parsed.at("next"), "1");
    }
}

TEST(WebHttpText, CookiesAndABrokenEscapeAreReadAsTheyCome) {
    const auto c = parseCookies("a=1; vg_session=abc; broken; =x");
    EXPECT_EQ(c.at("vg_session"), "abc");
    EXPECT_EQ(c.size(), 2U);
    EXPECT_EQ(percentDecode("100%", false), "100%");
    EXPECT_EQ(percentDecode("%E6%B2%AA%zz", false), "沪%zz");
}

TEST(WebHttpText, ARedirectNeverCarriesALineBreak) {
    const auto r = Response::redirect("/households?month=1\r\nX-Evil: 1");
    ASSERT_EQ(r.headers.size(), 1U);
    EXPECT_EQ(r.headers[0].second, "/households?month=1%0D%0AX-Evil: 1");
}

}  // namespace
}  // namespace vg::web
