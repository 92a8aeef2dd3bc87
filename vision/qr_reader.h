// Reads QR codes from a frame with zxing-cpp 1.4 (Debian's OpenCV cannot decode QR: VISION.md).
// Returns the text and the four corners (in the full frame's pixels) of every distinct QR code found; it knows
// nothing of vouchers. A QrReader is immutable after construction: read() is const and may be called from
// several threads at once. Never throws on any image (an empty or odd image simply yields nothing).
#pragma once

#include <array>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace vg::vision {

// Capture time of a frame, passed through unchanged (system clock, as the camera stamped it).
using FrameTime = std::chrono::system_clock::time_point;

struct QrOptions {
    std::optional<cv::Rect> roi;  // only this part of the frame is searched (clipped to the frame)
    bool try_harder = true;       // zxing's slower, more thorough finder search (rotated and small codes)
    bool second_pass = true;      // rescaled / CLAHE / inverted retries, only when the first pass finds nothing
    // 0 = every code in the image (a page of cards); 1 = stop at the first code (a card camera: one card at a
    // time, the cheapest setting). Other values cap the count.
    int max_symbols = 0;
};

struct QrRead {
    std::string text;                     // UTF-8 as zxing decoded it
    std::array<cv::Point2f, 4> corners;   // top-left, top-right, bottom-right, bottom-left of the symbol
    FrameTime frame_time{};               // the frame's capture time, passed through

    bool operator==(const QrRead&) const = default;
};

class QrReader {
public:
    explicit QrReader(QrOptions options = {});

    // Accepts 8-bit grey, BGR or BGRA images. Identical texts are reported once.
    std::vector<QrRead> read(const cv::Mat& image, FrameTime frame_time = {}) const;

    const QrOptions& options() const { return options_; }

private:
    QrOptions options_;
};

}  // namespace vg::vision
