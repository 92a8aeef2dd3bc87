// What a lane's camera workers and inputs report to the lane, posted to the lane's own loop. Plain values; the
// frame is a cv::Mat sharing the camera frame's pixels (a copy is a reference count, never a pixel copy).
#pragma once

#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gate/site_time.h"

namespace vg::daemon {

struct LaneObservation {
    // PlateFrame: the plate reader finished a frame (frame_time), after posting its `reads` plate reads. It is how
    // the lane tells a car that has gone (frames looked at without its plate) from a reader that is behind (no
    // frames looked at: an overloaded box, a camera that stalls), which must not end a vote.
    enum class Kind { Plate, Qr, Presence, PlateFrame };
    Kind kind = Kind::Qr;
    std::string text;                    // plate text (UTF-8) or QR text
    std::vector<float> char_confidence;  // plate: per character
    double confidence = 1.0;             // plate: lowest per-character confidence
    gate::TimePoint frame_time{};        // capture time of the frame it was read from
    bool present = false;                // presence
    int reads = 0;                       // plate frame: plate reads posted from it
    cv::Mat frame;                       // plate, QR: the frame it was read from (evidence); may be empty
    std::optional<cv::Rect> plate_box;   // plate: where in `frame` the plate is
};

}  // namespace vg::daemon
