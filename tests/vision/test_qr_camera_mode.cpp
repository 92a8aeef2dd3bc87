// QrReader's camera mode: a frame without a code costs the first pass and one second-pass variant, the variants
// rotate across frames so that every one is tried within a few frames, and hard frames (light-on-dark, a dim
// noisy phone screen) are still read while the card is held up. Frames from tests/data/qr (our own generator).
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

#include "vision/qr_reader.h"

namespace vg::vision {
namespace {

const std::string kDir = std::string(VG_TEST_DATA_DIR) + "/qr/";

cv::Mat load(const std::string& file) {
    cv::Mat m = cv::imread(kDir + file, cv::IMREAD_COLOR);
    EXPECT_FALSE(m.empty()) << file;
    return m;
}

std::string textOf(const std::string& file) {
    std::ifstream f(kDir + "labels.csv");
    for (std::string line; std::getline(f, line);)
        if (line.starts_with(file + ",")) {
            const auto a = line.find(','), b = line.find(',', a + 1);
            return line.substr(a + 1, b - a - 1);
        }
    return {};
}

QrOptions cameraOptions() {
    QrOptions o;
    o.max_symbols = 1;
    o.mode = QrScanMode::Camera;
    return o;
}

// Frames until the camera-mode reader reads `expected`, or 0 if it never does within `limit` frames.
int framesToRead(const QrReader& reader, const cv::Mat& frame, const std::string& expected, int limit) {
    for (int k = 1; k <= limit; ++k) {
        const auto reads = reader.read(frame);
        if (!reads.empty()) return reads.front().text == expected ? k : -1;
    }
    return 0;
}

TEST(QrCameraMode, AFrameWithoutACodeCostsOneSecondPassVariantAndTheRotationVisitsThemAll) {
    for (const cv::Size size : {cv::Size(1280, 720), cv::Size(1920, 1080)}) {
        cv::Mat frame;
        cv::resize(load("nocode_008.jpg"), frame, size);
        const auto variants = QrReader::secondPassVariants(size);
        ASSERT_GE(variants.size(), 3u);

        const QrReader camera(cameraOptions());
        std::vector<std::string> seen;
        for (std::size_t i = 0; i < variants.size(); ++i) {
            QrTrace trace;
            EXPECT_TRUE(camera.read(frame, {}, &trace).empty());
            EXPECT_EQ(trace.zxing_calls, 2) << "first pass + one variant";
            ASSERT_EQ(trace.variants.size(), 1u);
            seen.push_back(trace.variants.front());
        }
        EXPECT_EQ(seen, variants) << "every variant once, in order, within " << variants.size() << " frames";

        // A still image pays for all of them.
        QrOptions still_opt = cameraOptions();
        still_opt.mode = QrScanMode::Still;
        QrTrace still;
        EXPECT_TRUE(QrReader(still_opt).read(frame, {}, &still).empty());
        EXPECT_EQ(still.variants, variants);
        EXPECT_EQ(still.zxing_calls, 1 + static_cast<int>(variants.size()));
    }
}

TEST(QrCameraMode, AFrameTheFirstPassReadsNeverTouchesTheSecondPass) {
    const QrReader camera(cameraOptions());
    QrTrace trace;
    const auto reads = camera.read(load("code_003.jpg"), {}, &trace);
    ASSERT_EQ(reads.size(), 1u);
    EXPECT_EQ(reads[0].text, textOf("code_003.jpg"));
    EXPECT_EQ(trace.zxing_calls, 1);
    EXPECT_TRUE(trace.variants.empty());
}

TEST(QrCameraMode, HardFramesAreReadWithinOneRotation) {
    // Light-on-dark (a phone in dark mode) needs an inverted variant, which the first frames may not get.
    cv::Mat inverted;
    cv::bitwise_not(load("code_003.jpg"), inverted);
    const auto n = static_cast<int>(QrReader::secondPassVariants(inverted.size()).size());
    {
        const QrReader camera(cameraOptions());
        const int k = framesToRead(camera, inverted, textOf("code_003.jpg"), n);
        EXPECT_GE(k, 2) << "the first variant is a non-inverted one";
        EXPECT_LE(k, n);
    }
    // A phone screen dimmed further in low light, with more sensor noise (fixed seed).
    cv::Mat dim = load("code_000.jpg");
    dim.convertTo(dim, -1, 0.7, 0);
    cv::Mat noise(dim.size(), CV_16SC3);
    cv::RNG rng(7);
    rng.fill(noise, cv::RNG::NORMAL, 0, 6);
    cv::Mat noisy;
    cv::add(dim, noise, noisy, cv::noArray(), CV_8UC3);
    const QrReader camera(cameraOptions());
    const int k = framesToRead(camera, noisy, textOf("code_000.jpg"), n);
    EXPECT_GE(k, 1);
    EXPECT_LE(k, n);
}

TEST(QrStill, ADimDarkModeScreenIsReadByTheBrightenedInvertedVariant) {
    // Light modules on a dark screen, dimmed so that the whole frame spans 30 grey levels (less inside the code):
    // below what zxing's thresholds need, plain or inverted (checked: they read it from a span of 60 on).
    cv::Mat grey;
    cv::cvtColor(load("code_003.jpg"), grey, cv::COLOR_BGR2GRAY);
    cv::Mat dim;
    cv::normalize(grey, grey, 0, 255, cv::NORM_MINMAX);
    grey.convertTo(dim, CV_8U, -30.0 / 255.0, 38.0);  // dark modules -> ~38, light background -> ~8
    const QrReader still(QrOptions{.max_symbols = 1});
    QrTrace trace;
    const auto reads = still.read(dim, {}, &trace);
    ASSERT_EQ(reads.size(), 1u) << "variants tried: " << trace.variants.size();
    EXPECT_EQ(reads[0].text, textOf("code_003.jpg"));
    ASSERT_FALSE(trace.variants.empty());
    EXPECT_EQ(trace.variants.back(), "brightened x3, inverted, local threshold");
}

TEST(QrCameraMode, A1080pFrameIsReadAtHalfSizeWithCornersInFramePixels) {
    // The same frame at its own size and scaled to 1080p: the half-size first pass reads the large one in a
    // single zxing call, and its corners land where the smaller frame's corners land, scaled.
    const cv::Mat small = load("code_003.jpg");
    const double f = 1080.0 / small.rows;
    cv::Mat large;
    cv::resize(small, large, cv::Size(), f, f, cv::INTER_CUBIC);
    ASSERT_GE(std::min(large.cols, large.rows), 1000);
    const QrReader camera(cameraOptions());
    QrTrace trace;
    const auto big = camera.read(large, {}, &trace);
    const auto ref = QrReader(cameraOptions()).read(small);
    ASSERT_EQ(big.size(), 1u);
    ASSERT_EQ(ref.size(), 1u);
    EXPECT_EQ(trace.zxing_calls, 1) << "read by the half-size first pass";
    for (std::size_t i = 0; i < 4; ++i) {
        EXPECT_NEAR(big[0].corners[i].x, ref[0].corners[i].x * f, 4.0) << i;
        EXPECT_NEAR(big[0].corners[i].y, ref[0].corners[i].y * f, 4.0) << i;
    }
}

}  // namespace
}  // namespace vg::vision
