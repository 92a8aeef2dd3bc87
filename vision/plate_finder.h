// PlateFinder: candidate plate quadrilaterals in a frame's region of interest, from plate colours (blue, yellow,
// green incl. the new-energy white-to-green gradient, when the frame has colour) and from vertical-edge density
// (which also works on monochrome IR frames). It over-proposes on purpose: the reader's confidence and the plate
// grammar decide what is a plate. Keeps its working images between calls (allocation was the largest cost), so it is
// not thread-safe: one instance per worker thread. Nothing throws for any frame OpenCV can hold (an empty frame
// gives no candidates).
#pragma once

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <string>
#include <vector>

#include "vision/plate_reader.h"

namespace vg::vision {

struct FinderOptions {
    cv::Rect roi;                           // in frame pixels; empty = the whole frame
    int work_width = 960;                   // the region is shrunk to at most this width before searching
    double min_plate_width = 48;            // in frame pixels: smaller plates cannot be read at 96 px input anyway
    double max_plate_width_fraction = 0.9;  // of the region's width
    double min_aspect = 1.6;  // width / height of the candidate's box (440x140 mm = 3.1; perspective shrinks it)
    double max_aspect = 7.0;
    int max_candidates = 8;  // best-scored candidates kept after merging
};

// Colour and Edge come from PlateFinder, Detector from the learned PlateDetector (plate_detector.h).
enum class CandidateSource { Colour, Edge, Detector };

struct PlateCandidate {
    PlateQuad quad;  // in frame pixels, TL TR BR BL, the plate's own outline (no reader margins)
    CandidateSource source = CandidateSource::Edge;
    std::string colour_hint;  // "blue", "yellow", "green" for colour candidates
    float score = 0.0F;       // ranking only: edge density and shape
};

// An edge candidate's outline refined around its character band (see plate_finder.cpp); nothing when no
// plausible band is found. `frame` BGR or grey, `quad` in frame pixels.
std::optional<PlateQuad> refineByCharacterBand(const cv::Mat& frame, const PlateQuad& quad);

class PlateFinder {
  public:
    explicit PlateFinder(FinderOptions options = {}) : options_(options) {}
    // frame: BGR (CV_8UC3) or grey (CV_8UC1). Candidates best-scored first.
    std::vector<PlateCandidate> find(const cv::Mat& frame);
    std::vector<PlateCandidate> find(const cv::Mat& frame, const cv::Rect& roi);
    const FinderOptions& options() const { return options_; }

  private:
    struct Scratch {
        cv::Mat work, grey, equalised, blurred, gx, edges, binary, integral, closed, opened, colour_work, hsv, mask;
        cv::Ptr<cv::CLAHE> clahe;
    };
    FinderOptions options_;
    Scratch scratch_;
};

// Corners of a rotated rectangle as TL TR BR BL with the long side horizontal.
PlateQuad quadFromRotatedRect(const cv::RotatedRect& rect);
// The rectifying step for a blob of plate pixels (the learned detector's mask): a sheared or foreshortened plate is no
// rectangle, so a line is fitted to the middle of each of the blob's four sides (away from its rounded corners) and
// the outline is the quadrilateral where they meet, TL TR BR BL. `rect` is the blob's minAreaRect; it is the outline
// when the sides are not clear (too few points on one, not convex, corners far from the rectangle's, or an area
// unlike the blob's).
PlateQuad fitPlateQuad(const std::vector<cv::Point>& blob, const cv::RotatedRect& rect);
// Reorders any four corners to TL TR BR BL (by angle around the centre, TL nearest the top-left).
PlateQuad orderQuad(const std::array<cv::Point2f, 4>& corners);
// Area of intersection over union of the two quads' bounding boxes.
double quadOverlap(const PlateQuad& a, const PlateQuad& b);

// Plate colour from a BGR crop of the plate (background hue; "green" covers the new-energy gradient):
// "blue", "yellow", "green", "white", "black", or "unknown" for a grey crop or an undecidable one.
std::string plateColour(const cv::Mat& bgrPlate);
// Whether a frame region carries no colour (IR night mode or a grey camera): then plate colour is "unknown".
bool isMonochrome(const cv::Mat& frame);

}  // namespace vg::vision
