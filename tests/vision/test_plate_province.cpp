// PlateProvince with the committed model (vision/models/plate_province.onnx): cv::dnn gives what the training script's
// torch model gave on its reference crops (tests/data/plates/province_reference, written by
// vision/training/province.py export), the metadata is checked, and the crop is the province cell of the outline.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <numeric>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "vision/plate_province.h"

namespace vg::vision {
namespace {

const std::filesystem::path kRefDir = std::filesystem::path(VG_TEST_DATA_DIR) / "plates" / "province_reference";
const std::filesystem::path kModelDir = VG_MODEL_DIR;

PlateProvince loadOrFail() {
    auto p = PlateProvince::loadDefault();
    if (!p) throw std::runtime_error(p.error());
    return std::move(*p);
}

TEST(PlateProvince, CommittedModelMatchesTheTrainingScriptsOutputs) {
    PlateProvince look = loadOrFail();
    ASSERT_EQ(look.metadata().provinces.size(), 31U);
    EXPECT_EQ(look.metadata().provinces.front(), "京");
    std::ifstream in(kRefDir / "expected.json");
    ASSERT_TRUE(in) << "missing " << (kRefDir / "expected.json");
    const nlohmann::json expected = nlohmann::json::parse(in);
    const float tol = expected.at("tolerance").get<float>();
    ASSERT_GE(expected.at("samples").size(), 3U);
    for (const auto& s : expected.at("samples")) {
        const cv::Mat grey = cv::imread((kRefDir / s.at("file").get<std::string>()).string(), cv::IMREAD_GRAYSCALE);
        ASSERT_FALSE(grey.empty()) << s.at("file");
        const std::vector<float> z = look.logits(grey);
        const auto want = s.at("logits").get<std::vector<float>>();
        ASSERT_EQ(z.size(), want.size());
        for (std::size_t i = 0; i < z.size(); ++i) EXPECT_NEAR(z[i], want[i], tol) << s.at("file") << " class " << i;
        const std::vector<float> p = look.probabilities(grey);
        const auto best = static_cast<std::size_t>(std::ranges::max_element(p) - p.begin());
        EXPECT_EQ(look.metadata().provinces[best], s.at("argmax").get<std::string>());
        EXPECT_NEAR(std::accumulate(p.begin(), p.end(), 0.0), 1.0, 1e-4);
    }
    // A crop of another size or type is no input.
    EXPECT_TRUE(look.logits(cv::Mat(10, 10, CV_8UC1, cv::Scalar(0))).empty());
    EXPECT_TRUE(look.probabilities(cv::Mat()).empty());
}

TEST(PlateProvince, TheCropIsTheProvinceCellOfTheOutlineWhateverItsSizeAndTilt) {
    PlateProvince look = loadOrFail();
    const ProvinceRegion r = look.metadata().region7;
    // A 440 x 140 mm plate drawn at 0.8 px/mm, sheared: dark plate, one bright block where GA 36-2014 puts the
    // province (15.5-60.5 mm across, 25-115 mm down) and nothing bright elsewhere.
    const cv::Mat plate(112, 352, CV_8UC1, cv::Scalar(40));
    cv::rectangle(plate, cv::Rect(cv::Point(12, 20), cv::Point(48, 92)), cv::Scalar(230), cv::FILLED);
    cv::Mat frame(400, 640, CV_8UC3, cv::Scalar(40, 40, 40));
    const std::array<cv::Point2f, 4> src{{{0, 0}, {352, 0}, {352, 112}, {0, 112}}};
    const PlateQuad quad{{{100, 120}, {452, 130}, {470, 242}, {118, 232}}};
    cv::Mat warped;
    cv::warpPerspective(plate, warped, cv::getPerspectiveTransform(src.data(), quad.data()), frame.size());
    cv::cvtColor(warped, frame, cv::COLOR_GRAY2BGR);
    const cv::Mat crop = look.crop(frame, quad, 7);
    ASSERT_EQ(crop.cols, look.metadata().width);
    ASSERT_EQ(crop.rows, look.metadata().height);
    // The bright block fills the middle of the crop (the region is the cell with a margin round it).
    const auto at = [&](double fx, double fy) {
        return crop.at<std::uint8_t>(static_cast<int>(fy * crop.rows), static_cast<int>(fx * crop.cols));
    };
    EXPECT_GT(at(0.5, 0.5), 180);
    const double cellX0 = (15.5 / 440 - r.x0) / (r.x1 - r.x0);  // the cell's left edge within the crop
    EXPECT_LT(at(cellX0 * 0.4, 0.5), 90);                       // margin left of the cell: plate
    EXPECT_LT(at(0.5, 0.03), 90);                               // above the character: plate
    // An outline with no area gives no crop; a frame OpenCV cannot hold gives none.
    EXPECT_TRUE(look.crop(cv::Mat(), quad, 7).empty());
}

TEST(PlateProvince, MetadataThatDoesNotDescribeTheModelIsRefusedWithTheReason) {
    EXPECT_FALSE(parseProvinceMetadata("not json"));
    const std::string good = R"({"input": {"shape": [1, 1, 48, 32], "scale": 0.0078431, "mean": 1.0},
        "output": {"shape": [1, 2]}, "provinces": "京沪",
        "region_7": {"x0": 0.01, "x1": 0.16, "y0": 0.1, "y1": 0.9},
        "region_8": {"x0": 0.01, "x1": 0.15, "y0": 0.1, "y1": 0.9}})";
    const auto m = parseProvinceMetadata(good);
    ASSERT_TRUE(m) << m.error();
    EXPECT_EQ(m->provinces, (std::vector<std::string>{"京", "沪"}));
    EXPECT_EQ(m->width, 32);
    EXPECT_EQ(m->height, 48);
    std::string threeClasses = good;
    threeClasses.replace(threeClasses.find("[1, 2]"), 6, "[1, 3]");
    const auto bad = parseProvinceMetadata(threeClasses);
    ASSERT_FALSE(bad);
    EXPECT_NE(bad.error().find("one class per province"), std::string::npos) << bad.error();
    std::string region = good;
    region.replace(region.find("\"x1\": 0.16"), 10, "\"x1\": 0.00");
    EXPECT_FALSE(parseProvinceMetadata(region));

    const auto missing = PlateProvince::load("/nonexistent/plate_province.onnx", kModelDir / "plate_province.json");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().find("/nonexistent/plate_province.onnx"), std::string::npos) << missing.error();
}

}  // namespace
}  // namespace vg::vision
