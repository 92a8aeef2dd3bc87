// PlateDetector with the committed model (vision/models/plate_detector.onnx): cv::dnn gives what the training
// script's torch model gave on its reference inputs (tests/data/plates/detector_reference, written by
// vision/training/detector.py export), the metadata is checked, and outlines come back in frame pixels.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "vision/plate_detector.h"

namespace vg::vision {
namespace {

const std::filesystem::path kRefDir = std::filesystem::path(VG_TEST_DATA_DIR) / "plates" / "detector_reference";

PlateDetector loadOrFail() {
    auto d = PlateDetector::loadDefault();
    if (!d) throw std::runtime_error(d.error());
    return std::move(*d);
}

TEST(PlateDetector, CommittedModelMatchesTheTrainingScriptsOutputs) {
    PlateDetector det = loadOrFail();
    std::ifstream in(kRefDir / "expected.json");
    ASSERT_TRUE(in) << "missing " << (kRefDir / "expected.json");
    const nlohmann::json expected = nlohmann::json::parse(in);
    const float tol = expected.at("tolerance").get<float>();
    ASSERT_GE(expected.at("samples").size(), 3U);
    for (const auto& s : expected.at("samples")) {
        const cv::Mat img = cv::imread((kRefDir / s.at("file").get<std::string>()).string(), cv::IMREAD_COLOR);
        ASSERT_FALSE(img.empty()) << s.at("file");
        ASSERT_EQ(img.cols, s.at("width").get<int>());
        const cv::Mat out = det.logits(img);
        ASSERT_EQ(out.cols, img.cols / det.metadata().stride);
        ASSERT_EQ(out.rows, img.rows / det.metadata().stride);
        for (const auto& p : s.at("probes")) {
            EXPECT_NEAR(out.at<float>(p[0].get<int>(), p[1].get<int>()), p[2].get<float>(), tol) << s.at("file");
        }
        double maxV = 0;
        cv::minMaxLoc(out, nullptr, &maxV);
        EXPECT_NEAR(maxV, s.at("max").get<double>(), tol);
        EXPECT_NEAR(cv::sum(out)[0], s.at("sum").get<double>(), tol * out.total());
    }
}

TEST(PlateDetector, FindsTheReferencePlatesInFramePixelsWhereverTheRegionIs) {
    PlateDetector det = loadOrFail();
    const cv::Mat ref = cv::imread((kRefDir / "ref_0.png").string(), cv::IMREAD_COLOR);
    ASSERT_FALSE(ref.empty());
    // The picture placed in a bigger grey frame, searched whole and through a region around it: a region is
    // searched at its frame's scale, so the outlines are the same (in frame pixels) either way, only cheaper.
    cv::Mat frame(ref.rows + 200, ref.cols + 300, CV_8UC3, cv::Scalar(90, 90, 90));
    ref.copyTo(frame(cv::Rect(300, 200, ref.cols, ref.rows)));
    const auto whole = det.detect(frame);
    const auto inRegion = det.detect(frame, cv::Rect(300, 200, ref.cols, ref.rows));
    ASSERT_FALSE(whole.empty());
    ASSERT_EQ(whole.size(), inRegion.size());
    // The outline is the quadrilateral of lines fitted to the blob's sides (fitPlateQuad), and the two maps' blobs
    // differ by their rounding, so a fitted corner may move by two cells of the map (about 6 frame pixels each here)
    // while the outline's centre stays put; a region reported in its own pixels would be off by the region's origin
    // (300, 200).
    const auto centre = [](const PlateQuad& q) { return (q[0] + q[1] + q[2] + q[3]) * 0.25F; };
    for (std::size_t i = 0; i < whole.size(); ++i) {
        EXPECT_NEAR(centre(inRegion[i].quad).x, centre(whole[i].quad).x, 5.0);
        EXPECT_NEAR(centre(inRegion[i].quad).y, centre(whole[i].quad).y, 5.0);
        for (std::size_t k = 0; k < 4; ++k) {
            EXPECT_NEAR(inRegion[i].quad[k].x, whole[i].quad[k].x, 14.0);
            EXPECT_NEAR(inRegion[i].quad[k].y, whole[i].quad[k].y, 14.0);
            EXPECT_GE(inRegion[i].quad[k].x, 300.0F - 4.0F);
            EXPECT_GE(inRegion[i].quad[k].y, 200.0F - 4.0F);
        }
    }
}

TEST(PlateDetector, EmptyOddOrTinyFramesGiveNoOutlines) {
    PlateDetector det = loadOrFail();
    EXPECT_TRUE(det.detect(cv::Mat()).empty());
    EXPECT_TRUE(det.detect(cv::Mat(100, 100, CV_32FC1, cv::Scalar(0))).empty());
    EXPECT_TRUE(det.detect(cv::Mat(8, 8, CV_8UC3, cv::Scalar(0, 0, 0))).empty());
    EXPECT_TRUE(det.detect(cv::Mat(480, 640, CV_8UC1, cv::Scalar(128))).empty());
    EXPECT_TRUE(det.logits(cv::Mat(30, 30, CV_8UC3)).empty()) << "not a multiple of the input multiple";
}

TEST(PlateDetector, MetadataIsCheckedAndAMissingModelIsAnError) {
    EXPECT_FALSE(parseDetectorMetadata("[]"));
    EXPECT_FALSE(parseDetectorMetadata(R"({"input": {"scale": 0.1}})"));
    EXPECT_FALSE(
        parseDetectorMetadata(R"({"input": {"scale": 0.0039, "mean": 0.5, "channels": 1}, "output": {"stride": 4}})"));
    EXPECT_FALSE(
        parseDetectorMetadata(R"({"input": {"scale": 0.0039, "mean": 0.5, "multiple": 16}, "output": {"stride": 5}})"));
    const auto ok = parseDetectorMetadata(
        R"({"input": {"scale": 0.0039, "mean": 0.5, "multiple": 16}, "output": {"stride": 4, "threshold": 0.4}})");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->stride, 4);
    EXPECT_FLOAT_EQ(ok->threshold, 0.4F);
    const auto missing = PlateDetector::load(
        "/nonexistent/plate_detector.onnx", std::filesystem::path(VG_SOURCE_DIR) / "vision/models/plate_detector.json");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().find("not found"), std::string::npos) << missing.error();
}

}  // namespace
}  // namespace vg::vision
