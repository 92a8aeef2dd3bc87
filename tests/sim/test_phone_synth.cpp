#include <gtest/gtest.h>

#include <opencv2/core.hpp>

#include "sim/phone_synth.h"
#include "vision/qr_reader.h"

namespace vg::sim {
namespace {

cards::CardSheetOptions options() {
    cards::CardSheetOptions o;
    o.site_name = "和平花园";
    o.phone = "021-62345678";
    return o;
}

bool same(const PhonePass& a, const PhonePass& b) {
    if (a.text != b.text || a.description != b.description || a.frames.size() != b.frames.size()) return false;
    for (std::size_t i = 0; i < a.frames.size(); ++i)
        if (cv::norm(a.frames[i].image, b.frames[i].image, cv::NORM_INF) != 0) return false;
    return true;
}

TEST(PhoneSynth, APassDependsOnlyOnTheSeedIndexSizeAndKind) {
    auto synth = PhoneSynth::make(7, options(), 2);
    ASSERT_TRUE(synth) << synth.error();
    const cv::Size size(640, 360);
    const PhonePass first = synth->pass(3, size, true);
    const PhonePass other = synth->pass(4, size, true);  // anything generated in between changes nothing
    const PhonePass again = synth->pass(3, size, true);
    EXPECT_TRUE(same(first, again));
    EXPECT_FALSE(same(first, other));
    auto twin = PhoneSynth::make(7, options(), 2);
    ASSERT_TRUE(twin);
    EXPECT_TRUE(same(first, twin->pass(3, size, true)));
    auto other_seed = PhoneSynth::make(8, options(), 2);
    ASSERT_TRUE(other_seed);
    EXPECT_NE(other_seed->tokens(), synth->tokens());
}

TEST(PhoneSynth, APassIsTenToTwentyFiveFramesOfTheTokenOrOfNoCode) {
    auto synth = PhoneSynth::make(7, options(), 2);
    ASSERT_TRUE(synth);
    for (std::uint64_t i = 0; i < 3; ++i) {
        const PhonePass with = synth->pass(i, {640, 360}, true);
        EXPECT_TRUE(with.text == synth->tokens()[0] || with.text == synth->tokens()[1]);
        EXPECT_GE(with.frames.size(), 10U);
        EXPECT_LE(with.frames.size(), 25U);
        for (const auto& f : with.frames) {
            EXPECT_EQ(f.image.size(), cv::Size(640, 360));
            EXPECT_EQ(f.image.type(), CV_8UC3);
            EXPECT_LE(f.thumb_on_code, 0.12);  // the hand's bound
        }
        EXPECT_TRUE(synth->pass(i, {640, 360}, false).text.empty());
    }
}

// The code is where the pass says it is: the reader finds it there (within a module) on the frames it reads.
TEST(PhoneSynth, TheCodesCornersAreWhereThePassSaysTheyAre) {
    auto synth = PhoneSynth::make(2026, options(), 2);
    ASSERT_TRUE(synth);
    const vision::QrReader reader{vision::QrOptions{.max_symbols = 1}};
    int checked = 0;
    for (std::uint64_t i = 0; i < 4 && checked < 3; ++i) {
        const PhonePass pass = synth->pass(i, {1280, 720}, true);
        for (const auto& f : pass.frames) {
            const auto reads = reader.read(f.image);
            if (reads.empty()) continue;
            ASSERT_EQ(reads[0].text, pass.text);
            for (std::size_t k = 0; k < 4; ++k)
                EXPECT_LT(cv::norm(reads[0].corners[k] - f.code[k]), 1.5 * f.px_per_module + 2)
                    << "pass " << i << " corner " << k << ": " << pass.description << "; " << f.description;
            ++checked;
            break;
        }
    }
    EXPECT_GE(checked, 2);
}

}  // namespace
}  // namespace vg::sim
