// Passes of a phone held to the card camera (vg_sim), for the QR bench's phone-screen set: a driver holds up a phone
// showing "a voucher as an image" for 10-25 frames (0.4-1 s at 25 fps) while the phone drifts a little.
//
// The image shown is exactly what the console sends (cards::renderCardImage at cards::kVoucherImagePxPerMm with
// the CardSheetOptions given; the bench takes them from options::cardSheetOptions), carrying real tokens (a key ring
// derived from the seed, as frame_synth.h). The phone fits the whole image to its screen or is zoomed by the user
// (the code with >= 2 modules of quiet zone still on the screen), in light or dark surroundings, screen brightness
// from dimmed to full against the camera's exposure (clipped highlights with bloom), the glass reflecting the
// surroundings, moire between the screen's pixel grid and the sensor's (computed from the screen's pixel pitch
// through the pose, so its scale and angle follow distance and tilt), specular glare on the glass (a soft streak
// or spot that moves across the screen), a hand in the way (a thumb in a skin tone over an edge of the screen,
// sometimes over the quiet zone or a corner of the code: at most one finder pattern touched, at most half of it and
// never its 3x3 centre, at most 12 % of the symbol's modules hidden; other fingers at the opposite edge), tilt,
// distance 0.3-1.0 m, motion blur from the phone's actual movement between frames, defocus from the distance to the
// focus plane, sensor noise and JPEG. A pass without a code shows something else on the phone (a generated picture with
// finder-like clutter, or the card with its code blanked). Deterministic: the same seed, index, size and kind give the
// same pass, whatever was generated before. Not thread-safe (one synthesiser per thread).
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <opencv2/core.hpp>
#include <string>
#include <vector>

#include "cards/cards_pdf.h"

namespace vg::sim {

struct PhoneFrame {
    cv::Mat image;                      // BGR, after the JPEG round trip
    std::array<cv::Point2f, 4> code{};  // the symbol's outer corners in the frame (TL, TR, BR, BL as displayed)
    double px_per_module = 0;           // mean side of the symbol in the frame / 29
    double thumb_on_code = 0;           // share of the symbol's modules under the hand
    std::string description;            // "d=0.52m px/module=3.1 motion=2.4px defocus=0.8px thumb=0.04"
};

struct PhonePass {
    std::string text;         // the token shown; empty for a pass without a code
    std::string description;  // what is fixed over the pass: display, brightness, hand, glare, camera
    std::vector<PhoneFrame> frames;
};

class PhoneSynth {
  public:
    // Makes `token_count` real tokens (as FrameSynth::make) and the console's image of each card under `card_options`.
    static std::expected<PhoneSynth, std::string> make(std::uint64_t seed, const cards::CardSheetOptions& card_options,
                                                       int token_count = 8);

    // Pass `index` at `size` (the card camera's resolution): with_code=false shows something else on the phone.
    PhonePass pass(std::uint64_t index, cv::Size size, bool with_code) const;

    const std::vector<std::string>& tokens() const { return tokens_; }

  private:
    std::uint64_t seed_ = 0;
    std::vector<std::string> tokens_;
    std::vector<cv::Mat> images_;          // the console's image of each card
    std::vector<cv::Point2f> qr_corners_;  // the code's corners on those images (the same for every card)
};

}  // namespace vg::sim
