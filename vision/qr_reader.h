// Reads QR codes from a frame with zxing-cpp 1.4 (Debian's OpenCV cannot decode QR: VISION.md).
// Returns the text and the four corners (in the full frame's pixels) of every distinct QR code found; it knows
// nothing of vouchers. read() is const and may be called from several threads at once; the only state a reader
// keeps is the camera mode's rotation counter (an atomic, see QrScanMode). Never throws on any image (an empty or
// odd image simply yields nothing).
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

namespace vg::vision {

// Capture time of a frame, passed through unchanged (system clock, as the camera stamped it).
using FrameTime = std::chrono::system_clock::time_point;

// How much of the second pass one read() may spend when the first pass finds nothing.
enum class QrScanMode {
    // A still image (`scan`, a page of cards): every second-pass variant, one after another.
    Still,
    // A camera stream: at most one second-pass variant per frame, the next one on the next frame that needs it
    // (a card held to the camera is seen in 5-30 frames, so every variant is still tried while it is there).
    // A frame without a code then costs the first pass plus one variant instead of all of them. The rotation is
    // an atomic counter inside the reader, advanced once per frame that reaches the second pass: give each camera
    // its own reader, so that one camera's frames visit every variant in turn (readers shared between threads stay
    // safe, their rotation just interleaves).
    Camera,
};

struct QrOptions {
    std::optional<cv::Rect> roi;  // only this part of the frame is searched (clipped to the frame)
    bool try_harder = true;       // zxing's slower, more thorough finder search (rotated and small codes)
    bool second_pass = true;  // full-size / threshold / inverted / brightened retries, only when pass 1 finds nothing
    // 0 = every code in the image (a page of cards); 1 = stop at the first code (a card camera: one card at a
    // time, the cheapest setting). Other values cap the count.
    int max_symbols = 0;
    QrScanMode mode = QrScanMode::Still;
};

// What one read() did, for tests and the benchmark (optional out-parameter of read()).
struct QrTrace {
    int zxing_calls = 0;                // decoder runs over the whole region, both passes
    std::vector<std::string> variants;  // second-pass variants tried, in order (names: secondPassVariants())
};

struct QrRead {
    std::string text;                    // UTF-8 as zxing decoded it
    std::array<cv::Point2f, 4> corners;  // top-left, top-right, bottom-right, bottom-left of the symbol
    FrameTime frame_time{};              // the frame's capture time, passed through

    bool operator==(const QrRead&) const = default;
};

class QrReader {
  public:
    explicit QrReader(QrOptions options = {});

    // Accepts 8-bit grey, BGR or BGRA images. Identical texts are reported once.
    std::vector<QrRead> read(const cv::Mat& image, FrameTime frame_time = {}, QrTrace* trace = nullptr) const;

    // The second-pass variants tried on an image of this size (after the region), in the order a still image
    // tries them and a camera rotates through them.
    static std::vector<std::string> secondPassVariants(cv::Size region);

    const QrOptions& options() const { return options_; }

  private:
    QrOptions options_;
    mutable std::atomic<std::uint64_t> rotation_{0};  // camera mode: frames that reached the second pass
};

}  // namespace vg::vision
