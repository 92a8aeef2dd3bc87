// The daemon's plate reader (makePlateSeer, the committed models): a still empty lane is searched once and then
// only once a second, a car coming into view is searched at once and on every frame until a second after its last
// read, and only the lane region's view counts.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <string>

#include "daemon/camera_feed.h"

namespace vg::daemon {
namespace {

using namespace std::chrono_literals;

const std::filesystem::path kRefDir = std::filesystem::path(VG_TEST_DATA_DIR) / "plates" / "reference";

struct RefPlate {
    cv::Mat grey;
    std::string text;
};

// The first reference crop the committed reader reads confidently by itself.
RefPlate confidentReference() {
    std::ifstream in(kRefDir / "expected.json");
    const auto ref = nlohmann::json::parse(in);
    for (const auto& item : ref["items"]) {
        if (item["min_char_confidence"].get<double>() < 0.9 || item["greedy_text"] != item["label"]) continue;
        return {cv::imread((kRefDir / item["file"].get<std::string>()).string(), cv::IMREAD_GRAYSCALE),
                item["label"].get<std::string>()};
    }
    return {};
}

// An empty 1280x720 lane with fresh sensor noise each frame; `plate` (when given) 300 px wide at (500, 380).
cv::Mat laneFrame(int frame, const cv::Mat& plate = {}) {
    cv::Mat scene(720, 1280, CV_8U);
    for (int y = 0; y < scene.rows; ++y) scene.row(y).setTo(70 + y * 80 / scene.rows);
    cv::line(scene, {100, 719}, {500, 300}, cv::Scalar(220), 10);
    if (!plate.empty()) {
        cv::Mat big;
        cv::resize(plate, big, {300, 300 * plate.rows / plate.cols}, 0, 0, cv::INTER_CUBIC);
        big.copyTo(scene(cv::Rect({500, 380}, big.size())));
    }
    cv::Mat noise(scene.size(), CV_16S);
    cv::RNG(500 + frame).fill(noise, cv::RNG::NORMAL, 0, 5);
    cv::Mat noisy;
    scene.convertTo(noisy, CV_16S);
    noisy += noise;
    noisy.convertTo(noisy, CV_8U);
    cv::cvtColor(noisy, noisy, cv::COLOR_GRAY2BGR);
    return noisy;
}

TEST(PlateSeer, AStillEmptyLaneIsSearchedOnceASecondAndACarAtOnce) {
    auto seer = makePlateSeer("entry-1");
    ASSERT_TRUE(seer) << seer.error();
    const RefPlate ref = confidentReference();
    ASSERT_FALSE(ref.grey.empty()) << "the committed reader reads no reference crop confidently";
    const gate::TimePoint t0{std::chrono::sys_days{std::chrono::year{2026} / 12 / 6}};
    int frame = 0;
    const auto at = [&](int k) { return t0 + k * 40ms; };  // 25 fps

    PlateLook look = (*seer)->read(laneFrame(frame), at(frame));
    EXPECT_TRUE(look.searched);
    EXPECT_TRUE(look.reads.empty());
    // The next second of the same empty lane (new noise each frame) is not searched...
    for (frame = 1; frame < 25; ++frame) {
        look = (*seer)->read(laneFrame(frame), at(frame));
        EXPECT_FALSE(look.searched) << "frame " << frame;
        EXPECT_TRUE(look.reads.empty());
    }
    // ...and a second after the last search it is, however still.
    EXPECT_TRUE((*seer)->read(laneFrame(frame), at(frame)).searched);
    ++frame;
    EXPECT_FALSE((*seer)->read(laneFrame(frame), at(frame)).searched);
    ++frame;
    // A car comes into view: searched in its first frame, and in every frame while its plate is read.
    for (int k = 0; k < 3; ++k, ++frame) {
        look = (*seer)->read(laneFrame(frame, ref.grey), at(frame));
        EXPECT_TRUE(look.searched) << "car frame " << k;
        ASSERT_EQ(look.reads.size(), 1U) << "car frame " << k;
        EXPECT_EQ(look.reads.front().text, ref.text);
        EXPECT_EQ(look.reads.front().frame_time, at(frame));
    }
    // It leaves, or its plate is missed in a frame: for a second after the last read every frame is searched, still
    // or not (a marginal plate read in every other frame keeps all its frames); then the still lane is skipped again.
    const int last_read = frame - 1;
    for (; frame - last_read < 25; ++frame) {
        look = (*seer)->read(laneFrame(frame), at(frame));
        EXPECT_TRUE(look.searched) << (frame - last_read) << " frames after the last read";
        EXPECT_TRUE(look.reads.empty());
    }
    EXPECT_FALSE((*seer)->read(laneFrame(frame), at(frame)).searched);
    // A clock that went back (the camera was reopened) is not trusted: searched.
    EXPECT_TRUE((*seer)->read(laneFrame(frame), at(0)).searched);
}

TEST(PlateSeer, OnlyTheLaneRegionWakesTheSearch) {
    auto seer = makePlateSeer("entry-1", cv::Rect(300, 200, 800, 480));
    ASSERT_TRUE(seer) << seer.error();
    const gate::TimePoint t0{std::chrono::sys_days{std::chrono::year{2026} / 12 / 6}};
    EXPECT_TRUE((*seer)->read(laneFrame(0), t0).searched);
    cv::Mat outside = laneFrame(1);  // a pedestrian beside the lane, left of its region
    cv::rectangle(outside, cv::Rect(20, 300, 150, 400), cv::Scalar(30, 30, 140), cv::FILLED);
    EXPECT_FALSE((*seer)->read(outside, t0 + 40ms).searched);
    cv::Mat inside = laneFrame(2);
    cv::rectangle(inside, cv::Rect(500, 380, 300, 100), cv::Scalar(30, 30, 140), cv::FILLED);
    EXPECT_TRUE((*seer)->read(inside, t0 + 80ms).searched);
}

}  // namespace
}  // namespace vg::daemon
