// Print-ready voucher cards: an A4 PDF (cairo, Noto Sans CJK SC through fontconfig), four cards per page with cut
// marks. Each card carries the estate's name, 亲情停车券, the unit, the month, the serial, the token as a QR code
// (level Q, version 3 for a 43-character token, drawn as vector squares, the symbol >= 4.5 cm wide plus a
// 4-module quiet zone) and the rules in plain Chinese from the live config: the stay limit, the month, the quota,
// the overstay fee and what an overstay means at the exit, and the office's phone number. The vg_cards library: used by
// `voucher-gate cards`, and (renderCardImage) by the scene generators of sim/ and the demo's lane clips. Pure functions
// of their inputs; thread-safe; never throw for bad input (errors are values).
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <vector>

#include "gate/site_time.h"

namespace vg::cards {

struct CardSpec {
    std::string unit;       // e.g. "12-301"
    gate::YearMonth month;  // validity month
    std::uint32_t serial = 0;
    std::string token;                   // the token text, printed as the QR code (VG1:... 43 characters)
    std::optional<std::string> contact;  // the household's contact name, printed small if set
};

struct CardSheetOptions {
    std::string site_name;               // site.name
    std::chrono::minutes stay_max{240};  // stay.max
    int per_month = 2;                   // vouchers.per_month
    int grace_days = 0;                  // vouchers.grace_days
    double overstay_fee_per_hour = 0;    // stay.overstay_fee_per_hour: yuan per started hour, 0 = none
    bool overstay_hold = false;          // stay.overstay_exit = "hold": an overstayed car waits for the guard
    std::string phone;                   // site.phone: the management office's number; empty = not printed
};

// Card and code geometry (millimetres at 100% scale). The code is centred horizontally on the card.
inline constexpr double kCardWidthMm = 95.0;
inline constexpr double kCardHeightMm = 135.0;
inline constexpr double kQrModuleMm = 1.75;  // 29 modules -> 50.75 mm symbol, 64.75 mm with the quiet zone
inline constexpr int kQrQuietModules = 4;
// "A voucher as an image" (the console's /voucher/<serial>.png, sent to a visitor's phone): renderCardImage at
// 12 px/mm, a 1140 x 1620 image with the code about 600 px wide, sharp on any phone screen. The QR bench's
// phone-screen frames show this image.
inline constexpr double kVoucherImagePxPerMm = 12.0;

// The QR modules of a text at level Q (true = dark), row-major, side*side; an error for text the QR writer
// refuses (too long, ...).
struct QrMatrix {
    int side = 0;
    std::vector<bool> dark;
    bool at(int x, int y) const { return dark[static_cast<std::size_t>(y * side + x)]; }
};
std::expected<QrMatrix, std::string> encodeQr(const std::string& text);

// Writes the PDF (overwrites `out`). Errors: no cards, a token the QR writer refuses, a file cairo cannot write.
std::expected<void, std::string> renderCardsPdf(const std::vector<CardSpec>& cards, const CardSheetOptions& opt,
                                                const std::filesystem::path& out);

// One card rasterised at `px_per_mm` (e.g. 12 for ~300 dpi), white card on a transparent-free BGR image of
// kCardWidthMm x kCardHeightMm. `qr_corners_px`, if given, receives the symbol's outer corners (TL, TR, BR, BL).
std::expected<cv::Mat, std::string> renderCardImage(const CardSpec& card, const CardSheetOptions& opt, double px_per_mm,
                                                    std::vector<cv::Point2f>* qr_corners_px = nullptr);

// The rule lines printed on a card (plain Chinese), exposed so that tests and docs can show them.
std::vector<std::string> cardRuleLines(const CardSpec& card, const CardSheetOptions& opt);

}  // namespace vg::cards
