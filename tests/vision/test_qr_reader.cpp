// QrReader on generated gate frames (tests/data/qr, made by bench/qr/gen_frames.cpp): every code read, nothing
// read where there is none, every code of an A4 page, duplicates merged, the region of interest, light-on-dark,
// and odd input that must never crash.
#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <set>

#include "vision/qr_reader.h"

namespace vg::vision {
namespace {

const std::string kDir = std::string(VG_TEST_DATA_DIR) + "/qr/";

struct Labelled {
    std::string file, text;
};

std::vector<Labelled> labels() {
    std::ifstream f(kDir + "labels.csv");
    std::vector<Labelled> out;
    std::string line;
    std::getline(f, line);  // header
    while (std::getline(f, line)) {
        const auto a = line.find(','), b = line.find(',', a + 1);
        out.push_back({line.substr(0, a), line.substr(a + 1, b - a - 1)});
    }
    return out;
}

cv::Mat load(const std::string& file) {
    cv::Mat m = cv::imread(kDir + file, cv::IMREAD_COLOR);
    EXPECT_FALSE(m.empty()) << file;
    return m;
}

TEST(QrReader, ReadsEveryGeneratedCardFrameAndNothingElse) {
    const QrReader reader;
    const auto all = labels();
    ASSERT_GE(all.size(), 10u);
    int with_code = 0;
    for (const auto& l : all) {
        const cv::Mat img = load(l.file);
        const auto reads = reader.read(img);
        if (l.text.empty()) {
            EXPECT_TRUE(reads.empty()) << l.file << " has no code but read " << reads.front().text;
            continue;
        }
        ++with_code;
        ASSERT_EQ(reads.size(), 1u) << l.file;
        EXPECT_EQ(reads[0].text, l.text) << l.file;
        EXPECT_EQ(reads[0].text.size(), 43u);
        for (const auto& p : reads[0].corners) {
            EXPECT_GE(p.x, 0);
            EXPECT_GE(p.y, 0);
            EXPECT_LT(p.x, img.cols);
            EXPECT_LT(p.y, img.rows);
        }
    }
    EXPECT_GE(with_code, 8);
}

TEST(QrReader, ReadsEveryCodeOnAPageOfCardsOrOnlyOneWhenAskedTo) {
    std::ifstream f(kDir + "page_4cards.txt");
    std::set<std::string> expected;
    for (std::string line; std::getline(f, line);) expected.insert(line);
    ASSERT_EQ(expected.size(), 4u);
    const cv::Mat page = load("page_4cards.jpg");

    std::set<std::string> got;
    for (const auto& r : QrReader().read(page)) EXPECT_TRUE(got.insert(r.text).second) << "duplicate " << r.text;
    EXPECT_EQ(got, expected);

    QrOptions one;
    one.max_symbols = 1;
    const auto first = QrReader(one).read(page);
    ASSERT_EQ(first.size(), 1u);
    EXPECT_TRUE(expected.contains(first[0].text));
}

TEST(QrReader, SameCodeTwiceInOneFrameIsReportedOnce) {
    const auto l = labels().front();
    cv::Mat twice;
    cv::hconcat(load(l.file), load(l.file), twice);
    const auto reads = QrReader().read(twice);
    ASSERT_EQ(reads.size(), 1u);
    EXPECT_EQ(reads[0].text, l.text);
}

TEST(QrReader, RegionOfInterestLimitsTheSearchAndCornersStayInFrameCoordinates) {
    const auto l = labels().front();
    const cv::Mat img = load(l.file);
    const auto full = QrReader().read(img);
    ASSERT_EQ(full.size(), 1u);
    const cv::Rect code = cv::boundingRect(std::vector<cv::Point2f>(full[0].corners.begin(), full[0].corners.end()));

    QrOptions around;
    around.roi = cv::Rect(code.x - 60, code.y - 60, code.width + 120, code.height + 120);
    const auto inside = QrReader(around).read(img);
    ASSERT_EQ(inside.size(), 1u);
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(cv::norm(inside[0].corners[i] - full[0].corners[i]), 0, 3.0);

    QrOptions elsewhere;
    // The widest strip of the frame left or right of the code.
    elsewhere.roi = code.x > img.cols - (code.x + code.width)
                        ? cv::Rect(0, 0, code.x - 5, img.rows)
                        : cv::Rect(code.x + code.width + 5, 0, img.cols, img.rows);
    EXPECT_TRUE(QrReader(elsewhere).read(img).empty());
}

TEST(QrReader, LightOnDarkCodesNeedTheSecondPass) {
    const auto l = labels().front();
    cv::Mat inverted;
    cv::bitwise_not(load(l.file), inverted);
    const auto reads = QrReader().read(inverted);
    ASSERT_EQ(reads.size(), 1u);
    EXPECT_EQ(reads[0].text, l.text);

    QrOptions single;
    single.second_pass = false;
    EXPECT_TRUE(QrReader(single).read(inverted).empty());
}

TEST(QrReader, PassesTheFrameTimeThrough) {
    const auto l = labels().front();
    const FrameTime t = std::chrono::system_clock::time_point(std::chrono::seconds(1'795'000'000));
    const auto reads = QrReader().read(load(l.file), t);
    ASSERT_EQ(reads.size(), 1u);
    EXPECT_EQ(reads[0].frame_time, t);
}

TEST(QrReader, OddImagesYieldNothingAndNeverThrow) {
    const QrReader reader;
    EXPECT_TRUE(reader.read(cv::Mat()).empty());
    EXPECT_TRUE(reader.read(cv::Mat(1, 1, CV_8UC1, cv::Scalar(0))).empty());
    EXPECT_TRUE(reader.read(cv::Mat(480, 640, CV_8UC3, cv::Scalar(255, 255, 255))).empty());
    EXPECT_TRUE(reader.read(cv::Mat(100, 100, CV_8UC2, cv::Scalar(1, 2))).empty());
    cv::Mat noise(720, 1280, CV_8UC1);
    cv::randu(noise, 0, 256);
    EXPECT_TRUE(reader.read(noise).empty());
    QrOptions outside;
    outside.roi = cv::Rect(5000, 5000, 10, 10);
    EXPECT_TRUE(QrReader(outside).read(noise).empty());

    // Grey, BGRA and 16-bit input read the same code as BGR.
    const auto l = labels().front();
    const cv::Mat bgr = load(l.file);
    cv::Mat grey, bgra;
    cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
    cv::cvtColor(bgr, bgra, cv::COLOR_BGR2BGRA);
    ASSERT_EQ(reader.read(grey).size(), 1u);
    EXPECT_EQ(reader.read(grey)[0].text, l.text);
    ASSERT_EQ(reader.read(bgra).size(), 1u);
}

}  // namespace
}  // namespace vg::vision
