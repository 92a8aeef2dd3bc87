// PlateProvince: the province look (vision/models/plate_province.onnx + .json, trained by
// vision/training/province.py) run through cv::dnn. The reader sees a whole plate at 96x32, so a plate of the gate
// camera's size (200-360 px wide) reaches it with its province about 9 px wide, and the province is the character
// that holds right reads under the daemon's confidence. The province look cuts the province cell alone out of the
// frame through the plate's outline (GA 36-2014 layout, with a margin; the regions are in the metadata), at up to
// 32x48 pixels, and gives probabilities over the 31 provinces. Owns a cv::dnn::Net (not thread-safe: one per
// thread; movable, not copyable). load() reports a missing or malformed model as a value; probabilities() never
// throws for a frame OpenCV can hold.
#pragma once

#include <expected>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <string>
#include <vector>

#include "vision/plate_finder.h"
#include "vision/plate_reader.h"

namespace vg::vision {

// The province region in the plate's own frame: fractions of the outline's width (x) and height (y).
struct ProvinceRegion {
    double x0 = 0, x1 = 0, y0 = 0, y1 = 0;
};

struct ProvinceMetadata {
    std::string version;
    int width = 32;  // network input, grey
    int height = 48;
    double scale = 1.0 / 127.5;  // x = pixel * scale - mean
    double mean = 1.0;
    std::vector<std::string> provinces;  // the output's classes, in order (UTF-8)
    ProvinceRegion region7;              // a 7-character plate (440 mm)
    ProvinceRegion region8;              // an 8-character new-energy plate (480 mm)
};

std::expected<ProvinceMetadata, std::string> parseProvinceMetadata(const std::string& jsonText);

class PlateProvince {
  public:
    static std::expected<PlateProvince, std::string> load(const std::filesystem::path& onnxPath,
                                                          const std::filesystem::path& metadataPath);
    // The committed model, found as PlateReader::loadDefault finds the reader's.
    static std::expected<PlateProvince, std::string> loadDefault();

    PlateProvince(PlateProvince&&) noexcept = default;
    PlateProvince& operator=(PlateProvince&&) noexcept = default;
    PlateProvince(const PlateProvince&) = delete;
    PlateProvince& operator=(const PlateProvince&) = delete;
    ~PlateProvince() = default;

    const ProvinceMetadata& metadata() const { return meta_; }

    // The network's input for the plate outlined by `quad` (frame pixels, TL TR BR BL) with `length` characters: the
    // province region warped at its own size, then resized to width x height (area averaging when shrinking), grey.
    // Empty when the region is degenerate.
    cv::Mat crop(const cv::Mat& frame, const PlateQuad& quad, int length) const;
    // Softmax probabilities over metadata().provinces for a ready crop (grey, width x height); empty on an OpenCV
    // error or a crop of another size.
    std::vector<float> probabilities(const cv::Mat& grey);
    // The raw logits, for the model test.
    std::vector<float> logits(const cv::Mat& grey);

  private:
    PlateProvince(cv::dnn::Net net, ProvinceMetadata meta);
    cv::dnn::Net net_;
    ProvinceMetadata meta_;
};

}  // namespace vg::vision
