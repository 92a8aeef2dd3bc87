// PlateDetector: the learned plate finder (vision/models/plate_detector.onnx + .json, trained by
// vision/training/detector.py) run through cv::dnn. The network marks the pixels of a frame that are on a
// plate, at a quarter of its input's resolution; each blob of the thresholded map becomes a plate outline
// (the quadrilateral its four sides meet in, fitPlateQuad; its rotated rectangle when the sides are not clear). It is
// fully convolutional, so the frame's region is searched
// at one scale chosen from a pixel budget for the whole frame: small frames are enlarged (small plates get
// more pixels), large ones shrunk, and a region of the frame is searched at its frame's scale (it costs its
// share of the budget). Owns a cv::dnn::Net, which is not thread-safe: one PlateDetector per thread; movable,
// not copyable. load() reports a missing or malformed model as a value; detect() never throws for a frame
// OpenCV can hold (OpenCV errors give no outlines).
#pragma once

#include <expected>
#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>
#include <optional>
#include <string>
#include <vector>

#include "vision/plate_reader.h"

namespace vg::vision {

struct DetectorMetadata {
    std::string version;
    double scale = 1.0 / 255.0;  // network input = pixel * scale - mean, per BGR channel
    double mean = 0.5;
    int multiple = 16;       // input width and height must be multiples of this
    int stride = 4;          // output map pixels per input pixel
    float threshold = 0.5F;  // probability above which a pixel is on a plate
};

std::expected<DetectorMetadata, std::string> parseDetectorMetadata(const std::string& jsonText);

struct DetectorOptions {
    // The frame is scaled so that the network would see about this many pixels of it: 384 x 288, about 11 ms
    // on one core of this box (cost grows with the pixels; a lane region costs its share). A 1080p frame is
    // searched at 0.24, where a gate's 200-360 px plates are 48-86 px wide; the network was trained on plates
    // 18-200 px wide.
    double pixel_budget = 384.0 * 288.0;
    double max_upscale = 2.0;     // small frames are enlarged at most this much
    double min_plate_width = 24;  // in frame pixels
    double min_aspect = 1.3;      // the blob's rotated rectangle, long side over short side
    double max_aspect = 8.0;
    int max_outlines = 4;
};

struct DetectedPlate {
    PlateQuad quad;      // frame pixels, TL TR BR BL, long side horizontal
    float score = 0.0F;  // the blob's highest plate probability
};

class PlateDetector {
  public:
    static std::expected<PlateDetector, std::string> load(const std::filesystem::path& onnxPath,
                                                          const std::filesystem::path& metadataPath,
                                                          DetectorOptions options = {});
    // The committed model, found as PlateReader::loadDefault finds the reader's.
    static std::expected<PlateDetector, std::string> loadDefault(DetectorOptions options = {});

    PlateDetector(PlateDetector&&) noexcept = default;
    PlateDetector& operator=(PlateDetector&&) noexcept = default;
    PlateDetector(const PlateDetector&) = delete;
    PlateDetector& operator=(const PlateDetector&) = delete;
    ~PlateDetector() = default;

    const DetectorMetadata& metadata() const { return meta_; }
    const DetectorOptions& options() const { return options_; }

    // Plate outlines in `frame` (BGR or grey) inside `roi` (empty: the whole frame), best first.
    std::vector<DetectedPlate> detect(const cv::Mat& frame, const cv::Rect& roi = {});
    // A second, closer look at one outline: the window around it (twice its width, as tall as it is wide)
    // searched again at a fixed input of kRefineInput, where the plate is about half the input wide, which
    // draws its edges finer than a whole-frame search of a small plate. The blob nearest the outline's
    // centre, or nothing when the closer look finds no plate there.
    std::optional<DetectedPlate> refine(const cv::Mat& frame, const PlateQuad& quad);
    static constexpr int kRefineWidth = 192;
    static constexpr int kRefineHeight = 96;
    // The network's raw output (logits, CV_32F, input size / stride) for an input already of a valid size:
    // for the reference test.
    cv::Mat logits(const cv::Mat& bgrInput);

  private:
    PlateDetector(cv::dnn::Net net, cv::dnn::Net refineNet, DetectorMetadata meta, DetectorOptions options);
    // Outlines in `area` of `frame` resized to `input` (multiples of the input multiple), unsorted, through
    // `net`.
    std::vector<DetectedPlate> detectAt(cv::dnn::Net& net, const cv::Mat& frame, const cv::Rect& area, cv::Size input);
    cv::Mat logitsOf(cv::dnn::Net& net, const cv::Mat& bgrInput);

    // Two copies of the network: cv::dnn re-plans a net whenever its input shape changes, so the whole-region
    // search (one size per lane) and the closer looks (always kRefineWidth x kRefineHeight) each keep their
    // own.
    cv::dnn::Net net_;
    cv::dnn::Net refineNet_;
    DetectorMetadata meta_;
    DetectorOptions options_;
};

}  // namespace vg::vision
