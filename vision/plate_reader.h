// PlateReader: our trained CTC plate reader (vision/models/plate_reader.onnx + .json) run through cv::dnn, with the
// grammar-constrained decode. Owns a cv::dnn::Net, which is not thread-safe: one PlateReader per thread; it is
// movable, not copyable. load() returns an error value for a missing or malformed model; nothing else throws
// (OpenCV errors while running a batch are caught and reported as unreadable crops).
#pragma once

#include <array>
#include <expected>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <span>
#include <string>
#include <vector>

#include "vision/plate_grammar.h"

namespace vg::vision {

// The metadata the training script writes beside the model (vision/models/plate_reader.json).
struct ReaderMetadata {
    int width = 96;  // input crop size, grey
    int height = 32;
    int channels = 1;
    double scale = 1.0 / 127.5;  // network input = pixel * scale - mean
    double mean = 1.0;
    std::string output_name;    // empty: the net's default output
    bool classes_first = true;  // output layout "CT" (N x C x T) rather than "TC"
    int timesteps = 24;
    int classes = 0;
    int blank = 0;
    bool output_is_probability = false;  // false: logits or log-softmax, softmax applied here
    std::vector<std::string> charset;
    double margin_x = 0.06;  // fraction of plate width added on each side of the plate quadrilateral
    double margin_y = 0.12;  // fraction of plate height added above and below
};

std::expected<ReaderMetadata, std::string> parseReaderMetadata(const std::string& jsonText);

// Quadrilateral corners in image pixels: top-left, top-right, bottom-right, bottom-left of the plate itself.
using PlateQuad = std::array<cv::Point2f, 4>;

// A region of a plate, given in the plate's own frame (the outline TL TR BR BL is the unit square; x across, y down;
// values outside 0..1 reach beyond the outline), mapped through the outline's perspective onto `image` (BGR, BGRA or
// grey) and warped upright at its native resolution, grey, CV_8U. Its size is the region's longer top/bottom and
// left/right edges, at least minSize, at most 2000 x 1000. The reader's crop (the plate grown by its margins) and the
// province look's (the province cell) are both cut so; each resizes the result to its network's input.
cv::Mat warpPlateRegion(const cv::Mat& image, const PlateQuad& quad, cv::Point2f topLeft, cv::Point2f bottomRight,
                        cv::Size minSize);

class PlateReader {
  public:
    static std::expected<PlateReader, std::string> load(const std::filesystem::path& onnxPath,
                                                        const std::filesystem::path& metadataPath,
                                                        GrammarOptions grammar = {});
    // The committed model: VG_MODEL_DIR/plate_reader.{onnx,json} (the source tree), or the installed copy under
    // <prefix>/share/voucher-gate/models when the source tree is not there.
    static std::expected<PlateReader, std::string> loadDefault(GrammarOptions grammar = {});

    PlateReader(PlateReader&&) noexcept = default;
    PlateReader& operator=(PlateReader&&) noexcept = default;
    PlateReader(const PlateReader&) = delete;
    PlateReader& operator=(const PlateReader&) = delete;
    ~PlateReader() = default;

    const ReaderMetadata& metadata() const { return meta_; }
    const PlateGrammar& grammar() const { return grammar_; }

    // The network input for a plate quad in `image` (BGR or grey): the quad grown by the model's margins in the
    // plate's own frame, warped upright at native resolution (warpPlateRegion), resized (area) to width x height.
    // CV_8U.
    cv::Mat crop(const cv::Mat& image, const PlateQuad& quad) const;
    // A ready crop of any size (e.g. a dataset's tight crop): grey and resized (linear) only.
    cv::Mat prepare(const cv::Mat& plateImage) const;

    // Per crop (CV_8U, width x height, as from crop()/prepare()): T x C softmax probabilities. Several crops run as one
    // batch when the network accepts it. An empty Mat for a crop the network could not run.
    std::vector<cv::Mat> probabilities(std::span<const cv::Mat> crops);
    // Raw network output for one crop, reshaped to the metadata layout (C x T for "CT"): for the reference test.
    cv::Mat rawOutput(const cv::Mat& crop);

    std::vector<std::expected<PlateDecode, DecodeError>> read(std::span<const cv::Mat> crops);

  private:
    PlateReader(cv::dnn::Net net, ReaderMetadata meta, GrammarOptions grammar);
    cv::Mat blobOf(std::span<const cv::Mat> crops) const;
    cv::Mat toProbabilities(const cv::Mat& raw) const;  // one sample's output -> T x C softmax

    cv::dnn::Net net_;
    ReaderMetadata meta_;
    PlateGrammar grammar_;
    bool batchWorks_ = true;
};

}  // namespace vg::vision
