// What a lane's camera workers and inputs report to the lane, posted to the lane's strand. Plain values.
#pragma once

#include <string>
#include <vector>

#include "gate/site_time.h"

namespace vg::daemon {

struct LaneObservation {
    enum class Kind { Plate, Qr, Presence };
    Kind kind = Kind::Qr;
    std::string text;                    // plate text (UTF-8) or QR text
    std::vector<float> char_confidence;  // plate: per character
    double confidence = 1.0;             // plate: lowest per-character confidence
    gate::TimePoint frame_time{};        // capture time of the frame it was read from
    bool present = false;                // presence
};

}  // namespace vg::daemon
