// The committed plate reader (vision/models/plate_reader.onnx) loads in OpenCV 4.6 dnn and reproduces the outputs
// the training script computed with torch for the reference crops in tests/data/plates/reference.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "vision/plate_reader.h"

namespace vg::vision {
namespace {

const std::filesystem::path kModelDir = VG_MODEL_DIR;
const std::filesystem::path kRefDir = std::filesystem::path(VG_TEST_DATA_DIR) / "plates" / "reference";

bool modelCommitted() { return std::filesystem::exists(kModelDir / "plate_reader.onnx"); }

nlohmann::json expected() {
    std::ifstream in(kRefDir / "expected.json");
    return nlohmann::json::parse(in);
}

TEST(PlateReaderModel, LoadsAndReproducesTheTrainingScriptsReferenceOutputs) {
    if (!modelCommitted()) GTEST_SKIP() << "no model committed yet in " << kModelDir;
    auto reader = PlateReader::loadDefault();
    ASSERT_TRUE(reader) << reader.error();
    const auto& meta = reader->metadata();
    const auto ref = expected();
    const double tolerance = ref.value("tolerance", 1e-3);
    ASSERT_FALSE(ref["items"].empty());
    for (const auto& item : ref["items"]) {
        const std::string file = item["file"];
        const cv::Mat grey = cv::imread((kRefDir / file).string(), cv::IMREAD_GRAYSCALE);
        ASSERT_FALSE(grey.empty()) << file;
        ASSERT_EQ(grey.size(), cv::Size(meta.width, meta.height)) << file;
        const cv::Mat out = reader->rawOutput(grey);
        const auto& want = item["output"];
        ASSERT_EQ(out.total(), want.size()) << file;
        double worst = 0.0;
        const auto* got = out.ptr<float>();
        for (std::size_t i = 0; i < want.size(); ++i) {
            worst = std::max(worst, std::abs(static_cast<double>(got[i]) - want[i].get<double>()));
        }
        EXPECT_LE(worst, tolerance) << file;
        const auto probs = reader->probabilities(std::span<const cv::Mat>(&grey, 1));
        EXPECT_EQ(reader->grammar().greedy(probs.front()), item["greedy_text"].get<std::string>()) << file;
    }
}

TEST(PlateReaderModel, ABatchGivesTheSameProbabilitiesAsSingleCrops) {
    if (!modelCommitted()) GTEST_SKIP() << "no model committed yet in " << kModelDir;
    auto reader = PlateReader::loadDefault();
    ASSERT_TRUE(reader) << reader.error();
    std::vector<cv::Mat> crops;
    const auto ref = expected();  // kept: a range-for over expected()["items"] would outlive its temporary
    for (const auto& item : ref["items"]) {
        crops.push_back(cv::imread((kRefDir / item["file"].get<std::string>()).string(), cv::IMREAD_GRAYSCALE));
    }
    const auto batch = reader->probabilities(crops);
    ASSERT_EQ(batch.size(), crops.size());
    for (std::size_t i = 0; i < crops.size(); ++i) {
        const auto single = reader->probabilities(std::span<const cv::Mat>(&crops[i], 1));
        ASSERT_FALSE(batch[i].empty());
        EXPECT_LT(cv::norm(batch[i], single.front(), cv::NORM_INF), 1e-4);
        // Rows are distributions over the classes.
        EXPECT_NEAR(cv::sum(batch[i].row(0))[0], 1.0, 1e-4);
    }
}

TEST(PlateReaderModel, ReportsAMissingOrMalformedModelAsAnError) {
    const auto missing = PlateReader::load("/nonexistent/plate_reader.onnx", "/nonexistent/plate_reader.json");
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().find("cannot open"), std::string::npos);
    EXPECT_FALSE(parseReaderMetadata("{\"input\": {\"width\": 96}}"));
    EXPECT_FALSE(parseReaderMetadata("not json"));
}

TEST(PlateReaderMetadata, ParsesTheTrainingScriptsFields) {
    const auto m = parseReaderMetadata(R"({"input": {"width": 96, "height": 32, "channels": 1, "scale": 0.0078431373,
      "mean": 1.0}, "output": {"name": "logits", "layout": "CT", "timesteps": 24, "classes": 3, "kind": "raw logits"},
      "blank": 0, "charset": ["", "沪", "A"], "crop": {"margin_x": 0.06, "margin_y": 0.12}})");
    ASSERT_TRUE(m) << m.error();
    EXPECT_EQ(m->width, 96);
    EXPECT_TRUE(m->classes_first);
    EXPECT_FALSE(m->output_is_probability);
    EXPECT_EQ(m->charset.at(1), "沪");
    EXPECT_DOUBLE_EQ(m->margin_y, 0.12);
    EXPECT_EQ(m->output_name, "logits");
}

}  // namespace
}  // namespace vg::vision
