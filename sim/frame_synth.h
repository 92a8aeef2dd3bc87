// Synthetic gate frames (vg_sim) for the QR tests and benchmark: voucher cards exactly as `voucher-gate cards` draws
// them (cards/cards_pdf.h), carrying real tokens (gate/token.h, a key ring made from the seed), seen by a card camera
// 0.3-1.2 m away (or a plate camera 3-6 m away), tilted up to 45 degrees, with motion and defocus blur, glare,
// low light and noise, JPEG 30-95, on a phone screen or paper, on generated backgrounds; and frames with no code.
// Deterministic: the same seed and index give the same frame. Not thread-safe (one synthesiser per thread).
#pragma once

#include <cstdint>
#include <expected>
#include <map>
#include <opencv2/core.hpp>
#include <random>
#include <string>
#include <vector>

namespace vg::sim {

enum class CameraKind {
    Card,   // card camera at window height: lens such that the code gets >= 4.5 px/module at 1.2 m
    Plate,  // plate camera framing a whole car front, 3-6 m: the code gets about 1 px/module (expected to fail)
};

struct SynthFrame {
    cv::Mat image;             // BGR, after the JPEG round trip
    std::string text;          // the token on the card; empty for a frame without a code
    std::string description;   // "d=0.74m tilt=31deg px/module=6.1 blur=... jpeg=55 phone"
    double px_per_module = 0;  // at the code's centre, before blur
};

class FrameSynth {
  public:
    // Makes `token_count` real tokens (serials 1..n, month 2026-11) under a key derived from `seed`.
    static std::expected<FrameSynth, std::string> make(std::uint64_t seed, int token_count = 8);

    // Frame `index` of a sequence: with_code=false gives a frame with no QR code (clutter, a card-sized blank).
    SynthFrame frame(std::uint64_t index, cv::Size size, CameraKind camera, bool with_code) const;

    const std::vector<std::string>& tokens() const { return tokens_; }

  private:
    std::uint64_t seed_ = 0;
    std::vector<std::string> tokens_;
    std::vector<cv::Mat> cards_;           // one card per token at kCardPxPerMm
    std::vector<cv::Point2f> qr_corners_;  // the code's corners on the card raster (same for every card)
};

}  // namespace vg::sim
