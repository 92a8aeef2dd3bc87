// StillScene: a lane camera's noisy, compressed view of an empty lane is still; a plate-sized change, a car, a new
// exposure are changes; the lane region limits what counts.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "vision/still_scene.h"

namespace vg::vision {
namespace {

// An empty lane at 1080p: a shaded road with kerb lines and a wall, the same each call.
cv::Mat emptyLane() {
    cv::Mat img(1080, 1920, CV_8UC3);
    for (int y = 0; y < img.rows; ++y) img.row(y).setTo(cv::Scalar::all(70 + y * 80 / img.rows));
    cv::rectangle(img, {0, 0}, {1919, 300}, cv::Scalar(150, 160, 170), cv::FILLED);
    cv::line(img, {200, 1079}, {800, 400}, cv::Scalar::all(230), 12);
    cv::line(img, {1720, 1079}, {1120, 400}, cv::Scalar::all(230), 12);
    return img;
}

// What the camera delivers of `scene`: fresh sensor noise (sigma 6 grey levels) and JPEG at quality 75.
cv::Mat captured(const cv::Mat& scene, int frame) {
    cv::RNG rng(1000 + frame);
    cv::Mat noise(scene.size(), CV_16SC3);
    rng.fill(noise, cv::RNG::NORMAL, 0, 6);
    cv::Mat noisy;
    scene.convertTo(noisy, CV_16SC3);
    noisy += noise;
    noisy.convertTo(noisy, CV_8UC3);
    std::vector<uchar> jpeg;
    cv::imencode(".jpg", noisy, jpeg, {cv::IMWRITE_JPEG_QUALITY, 75});
    return cv::imdecode(jpeg, cv::IMREAD_COLOR);
}

TEST(StillScene, NoiseAndCompressionOfAnEmptyLaneAreNoChange) {
    StillScene still;
    const cv::Mat lane = emptyLane();
    still.remember(still.thumbnail(captured(lane, 0)));
    for (int f = 1; f <= 8; ++f) EXPECT_FALSE(still.changed(still.thumbnail(captured(lane, f)))) << "frame " << f;
}

TEST(StillScene, APlateComingIntoViewIsAChange) {
    StillScene still;
    const cv::Mat lane = emptyLane();
    still.remember(still.thumbnail(captured(lane, 0)));
    // A blue plate 100 px wide (the smallest a lane camera is set up for) with white characters, nothing else moved.
    cv::Mat with_plate = lane.clone();
    cv::rectangle(with_plate, cv::Rect(900, 700, 100, 32), cv::Scalar(160, 60, 20), cv::FILLED);
    for (int i = 0; i < 7; ++i) cv::rectangle(with_plate, cv::Rect(905 + 13 * i, 706, 8, 20), cv::Scalar::all(240), 2);
    EXPECT_TRUE(still.changed(still.thumbnail(captured(with_plate, 1))));
    // A car's body (a dark shape of a few hundred pixels) is a change many times over.
    cv::Mat with_car = lane.clone();
    cv::rectangle(with_car, cv::Rect(600, 450, 700, 500), cv::Scalar(40, 40, 45), cv::FILLED);
    EXPECT_TRUE(still.changed(still.thumbnail(captured(with_car, 2))));
}

TEST(StillScene, ANewExposureIsAChange) {
    StillScene still;
    const cv::Mat lane = emptyLane();
    still.remember(still.thumbnail(captured(lane, 0)));
    cv::Mat darker;
    lane.convertTo(darker, -1, 0.8);  // the camera's auto exposure after a cloud, or the lights at dusk
    EXPECT_TRUE(still.changed(still.thumbnail(captured(darker, 1))));
}

TEST(StillScene, NothingRememberedOrAnotherSizeIsAChange) {
    StillScene still;
    const cv::Mat lane = captured(emptyLane(), 0);
    EXPECT_TRUE(still.changed(still.thumbnail(lane)));
    still.remember(still.thumbnail(lane));
    EXPECT_FALSE(still.changed(still.thumbnail(lane)));
    cv::Mat smaller;
    cv::resize(lane, smaller, {1280, 720});
    EXPECT_TRUE(still.changed(still.thumbnail(smaller)));  // the camera was reconfigured
    still.forget();
    EXPECT_TRUE(still.changed(still.thumbnail(lane)));
    EXPECT_TRUE(still.thumbnail(cv::Mat()).empty());
    EXPECT_TRUE(still.changed(cv::Mat()));
}

TEST(StillScene, OnlyTheLaneRegionCounts) {
    StillScene still;
    const cv::Rect region(480, 400, 960, 680);
    const cv::Mat lane = emptyLane();
    still.remember(still.thumbnail(captured(lane, 0), region));
    cv::Mat outside = lane.clone();  // someone walking past on the pavement, left of the lane
    cv::rectangle(outside, cv::Rect(50, 500, 200, 500), cv::Scalar(20, 20, 120), cv::FILLED);
    EXPECT_FALSE(still.changed(still.thumbnail(captured(outside, 1), region)));
    cv::Mat inside = lane.clone();
    cv::rectangle(inside, cv::Rect(900, 700, 100, 32), cv::Scalar(160, 60, 20), cv::FILLED);
    EXPECT_TRUE(still.changed(still.thumbnail(captured(inside, 2), region)));
    // A region partly outside the frame is clipped to it, as the plate search clips it.
    EXPECT_EQ(still.thumbnail(lane, cv::Rect(1800, 1000, 400, 400)).size(), cv::Size(7, 5));
}

}  // namespace
}  // namespace vg::vision
