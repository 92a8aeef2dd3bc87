#include "vision/still_scene.h"

#include <algorithm>
#include <opencv2/imgproc.hpp>

namespace vg::vision {

cv::Mat StillScene::thumbnail(const cv::Mat& frame, cv::Rect roi) const {
    const cv::Rect whole(0, 0, frame.cols, frame.rows);
    const cv::Rect area = roi.area() > 0 ? (roi & whole) : whole;
    if (area.area() <= 0) return {};
    const int cell = std::max(1, options_.cell);
    const cv::Size size(std::max(1, area.width / cell), std::max(1, area.height / cell));
    // Shrink first, then grey: the colour conversion then costs a thumbnail's pixels, not a frame's.
    cv::Mat small;
    cv::resize(frame(area), small, size, 0, 0, cv::INTER_AREA);
    if (small.channels() == 3) {
        cv::cvtColor(small, small, cv::COLOR_BGR2GRAY);
    } else if (small.channels() == 4) {
        cv::cvtColor(small, small, cv::COLOR_BGRA2GRAY);
    }
    if (small.depth() != CV_8U) small.convertTo(small, CV_8U);
    return small;
}

bool StillScene::changed(const cv::Mat& thumb) const {
    if (reference_.empty() || thumb.empty() || reference_.size() != thumb.size() || reference_.type() != thumb.type()) {
        return true;
    }
    cv::Mat diff;
    cv::absdiff(thumb, reference_, diff);
    const int moved = cv::countNonZero(diff > options_.cell_change);
    return moved >= options_.changed_cells;
}

}  // namespace vg::vision
