#include "sim/phone_synth.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "sim/synth_parts.h"

namespace vg::sim {

using namespace parts;

namespace {

constexpr int kModules = 29;
constexpr double kDeg = kPi / 180;

// A finger seen from the front: a capsule on the phone's plane (mm, the code's centre at the origin); `tip` is the
// centre of its rounded end, `base` lies far outside the phone (the rest of the hand).
struct Capsule {
    cv::Point2d tip, base;
    double radius = 0;
};

double capsuleDistance(cv::Point2d p, const Capsule& c) {
    const cv::Point2d ab = c.base - c.tip, ap = p - c.tip;
    const double t = std::clamp(ap.dot(ab) / ab.dot(ab), 0.0, 1.0);
    return cv::norm(ap - t * ab) - c.radius;
}

// Signed distance to a rounded rectangle (negative inside).
double roundedRectDistance(cv::Point2d p, const cv::Rect2d& r, double radius) {
    const double qx = std::abs(p.x - (r.x + r.width / 2)) - (r.width / 2 - radius);
    const double qy = std::abs(p.y - (r.y + r.height / 2)) - (r.height / 2 - radius);
    const double ox = std::max(qx, 0.0), oy = std::max(qy, 0.0);
    return std::sqrt(ox * ox + oy * oy) + std::min(std::max(qx, qy), 0.0) - radius;
}

// Coverage of a pixel by a shape from its signed distance, anti-aliased over one pixel (`aa` mm).
double coverage(double signed_distance, double aa) { return std::clamp(0.5 - signed_distance / aa, 0.0, 1.0); }

// What the hand hides of a symbol of side `side` mm centred at the origin: module centres under any finger.
struct Hidden {
    int finders_touched = 0;
    double worst_finder = 0;     // share of the most hidden finder pattern's 49 modules
    bool finder_centre = false;  // a module of a finder pattern's 3x3 centre hidden
    double symbol = 0;           // share of all modules
};

Hidden hiddenBy(const std::vector<Capsule>& hand, double side) {
    Hidden h;
    const double m = side / kModules;
    int finder[3] = {0, 0, 0}, all = 0;
    for (int j = 0; j < kModules; ++j) {
        for (int i = 0; i < kModules; ++i) {
            const cv::Point2d p(-side / 2 + (i + 0.5) * m, -side / 2 + (j + 0.5) * m);
            const bool hidden =
                std::any_of(hand.begin(), hand.end(), [&](const Capsule& c) { return capsuleDistance(p, c) < 0; });
            if (!hidden) continue;
            ++all;
            const int fi = i < 7 ? i : i - (kModules - 7), fj = j < 7 ? j : j - (kModules - 7);
            const bool in_finder = (i < 7 || i >= kModules - 7) && (j < 7 || j >= kModules - 7) &&
                                   !(i >= kModules - 7 && j >= kModules - 7);
            h.finder_centre = h.finder_centre || (in_finder && fi >= 2 && fi <= 4 && fj >= 2 && fj <= 4);
            if (i < 7 && j < 7) ++finder[0];
            if (i >= kModules - 7 && j < 7) ++finder[1];
            if (i < 7 && j >= kModules - 7) ++finder[2];
        }
    }
    for (int f : finder) {
        h.finders_touched += f > 0;
        h.worst_finder = std::max(h.worst_finder, f / 49.0);
    }
    h.symbol = all / double(kModules * kModules);
    return h;
}

// The bound on the hand: a person would still expect the code to read. A finder pattern's centre stays visible:
// zxing-cpp 1.4 needs all three finder patterns (bench/README.md "QR" says what this leaves out).
bool acceptable(const Hidden& h) {
    return h.finders_touched <= 1 && h.worst_finder <= 0.5 && !h.finder_centre && h.symbol <= 0.12;
}

struct Pose {
    cv::Vec3d t;  // the code's centre in camera coordinates, metres
    double pitch = 0, yaw = 0, roll = 0;
};

// Phone plane (mm, code centre at the origin) -> frame pixels.
cv::Matx33d homography(const Pose& p, double f, cv::Size size) {
    const cv::Matx33d R = rotation(p.pitch, p.yaw, p.roll);
    const cv::Matx33d K(f, 0, size.width / 2.0, 0, f, size.height / 2.0, 0, 0, 1);
    const cv::Matx33d M(R(0, 0) / 1000, R(0, 1) / 1000, p.t[0], R(1, 0) / 1000, R(1, 1) / 1000, p.t[1], R(2, 0) / 1000,
                        R(2, 1) / 1000, p.t[2]);
    return K * M;
}

cv::Point2f project(const cv::Matx33d& H, cv::Point2d p) {
    const cv::Vec3d v = H * cv::Vec3d(p.x, p.y, 1);
    return {static_cast<float>(v[0] / v[2]), static_cast<float>(v[1] / v[2])};
}

// Bilinear sample of an 8-bit BGR image at (x, y) in its pixels (clamped to the border).
cv::Vec3f sample(const cv::Mat& img, double x, double y) {
    x = std::clamp(x, 0.0, img.cols - 1.001);
    y = std::clamp(y, 0.0, img.rows - 1.001);
    const int x0 = static_cast<int>(x), y0 = static_cast<int>(y);
    const float fx = static_cast<float>(x - x0), fy = static_cast<float>(y - y0);
    const auto* r0 = img.ptr<cv::Vec3b>(y0);
    const auto* r1 = img.ptr<cv::Vec3b>(y0 + 1);
    cv::Vec3f out;
    for (int c = 0; c < 3; ++c)
        out[c] =
            (1 - fy) * ((1 - fx) * r0[x0][c] + fx * r0[x0 + 1][c]) + fy * ((1 - fx) * r1[x0][c] + fx * r1[x0 + 1][c]);
    return out;
}

// cos(2 pi x) from a table: the moire term is evaluated for every screen pixel of every frame.
class CosTable {
  public:
    CosTable() {
        for (std::size_t i = 0; i < table_.size(); ++i) table_[i] = static_cast<float>(std::cos(2 * kPi * i / kSize));
    }
    float operator()(double x) const {
        const double frac = x - std::floor(x);
        return table_[static_cast<std::size_t>(frac * kSize) & (kSize - 1)];
    }

  private:
    static constexpr std::size_t kSize = 4096;
    std::array<float, kSize> table_{};
};

// Motion blur along `angle`: a short streak with the exact line kernel, a long one (an arriving phone) as a box
// filter along the rows of a rotated copy (a line kernel of 100 px would go through the DFT on every frame).
void streakBlur(cv::Mat& img, double length, double angle) {
    if (length < 8) {
        motionBlur(img, length, angle);
        return;
    }
    // Rotated onto a canvas large enough for every corner, blurred along its rows, rotated back.
    const int diag = static_cast<int>(std::ceil(std::hypot(img.cols, img.rows))) + 2;
    cv::Mat rot = cv::getRotationMatrix2D({img.cols / 2.0f, img.rows / 2.0f}, angle / kDeg, 1.0);
    rot.at<double>(0, 2) += (diag - img.cols) / 2.0;
    rot.at<double>(1, 2) += (diag - img.rows) / 2.0;
    cv::Mat turned;
    cv::warpAffine(img, turned, rot, {diag, diag}, cv::INTER_LINEAR, cv::BORDER_CONSTANT);
    cv::blur(turned, turned, {static_cast<int>(std::round(length)), 1}, {-1, -1}, cv::BORDER_CONSTANT);
    cv::warpAffine(turned, img, rot, img.size(), cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT);
}

// The screen's content in screen pixels and where the code is on it.
struct Screen {
    cv::Mat pixels;        // BGR, what the phone displays
    double px_per_mm = 0;  // the screen's pixel density
    cv::Size2d mm;         // the screen's size
    cv::Point2d code_mm;   // the code's centre on the screen (mm from its top-left corner)
    double code_side = 0;  // the symbol's side on the screen, mm
    std::string display;   // "fit" / "zoom 1.4x", light/dark, ...
};

Screen showOnScreen(const cv::Mat& image, const std::vector<cv::Point2f>& qr, bool landscape, Rng& r) {
    Screen s;
    double w = uni(r, 62, 71), h = w * uni(r, 2.05, 2.22);
    if (landscape) std::swap(w, h);
    s.px_per_mm = uni(r, 15, 18.5);  // 380-470 ppi
    const cv::Size px(static_cast<int>(w * s.px_per_mm), static_cast<int>(h * s.px_per_mm));
    s.mm = {px.width / s.px_per_mm, px.height / s.px_per_mm};
    const bool dark = chance(r, 0.5);
    const double surround = dark ? uni(r, 0, 35) : uni(r, 215, 255);
    s.pixels = cv::Mat(px, CV_8UC3, cv::Scalar::all(surround));
    // The viewer's bars: a status bar (portrait), and tool bars at the top and bottom when the user tapped.
    const bool bars = chance(r, 0.5);
    const int status = landscape ? 0 : static_cast<int>(5 * s.px_per_mm);
    const int bar = bars ? static_cast<int>(8 * s.px_per_mm) : 0;
    const cv::Rect content(0, status + bar, px.width, px.height - status - 2 * bar);
    // Fitted to the screen, or zoomed by the user so that the code is bigger (with >= 2 modules of quiet zone left
    // on the screen) and panned somewhere it stays whole.
    const double fit = std::min(content.width / double(image.cols), content.height / double(image.rows));
    const float side_img = qr[1].x - qr[0].x;
    const cv::Point2f qc = (qr[0] + qr[2]) * 0.5f;
    const double max_zoom = std::min(content.width, content.height) / (side_img * (kModules + 4.0) / kModules * fit);
    const bool zoomed = chance(r, 0.5) && max_zoom > 1.1;
    const double zoom = zoomed ? uni(r, 1.1, max_zoom) : 1.0;
    const double scale = fit * zoom;
    cv::Point2d centre(content.x + content.width / 2.0, content.y + content.height / 2.0);
    if (zoomed) {
        const double half = side_img * scale * (kModules / 2.0 + 2) / kModules;
        centre.x += uni(r, -1, 1) * std::max(0.0, content.width / 2.0 - half);
        centre.y += uni(r, -1, 1) * std::max(0.0, content.height / 2.0 - half);
    } else {
        centre += cv::Point2d((qc.x - image.cols / 2.0) * scale, (qc.y - image.rows / 2.0) * scale);
    }
    const cv::Matx23d M(scale, 0, centre.x - qc.x * scale, 0, scale, centre.y - qc.y * scale);
    cv::Mat shown = s.pixels(content);
    const cv::Matx23d Mc(M(0, 0), 0, M(0, 2) - content.x, 0, M(1, 1), M(1, 2) - content.y);
    cv::warpAffine(image, shown, Mc, shown.size(), cv::INTER_LINEAR, cv::BORDER_TRANSPARENT);
    const cv::Scalar ui_ink = dark ? cv::Scalar::all(235) : cv::Scalar::all(25);
    const cv::Scalar ui_fill = dark ? cv::Scalar::all(uni(r, 15, 40)) : cv::Scalar::all(uni(r, 235, 250));
    if (bars) {
        for (const cv::Rect b : {cv::Rect(0, status, px.width, bar), cv::Rect(0, px.height - bar, px.width, bar)}) {
            cv::rectangle(s.pixels, b, ui_fill, cv::FILLED);
            for (int i = 0; i < 4; ++i)
                cv::circle(s.pixels, {b.x + (2 * i + 1) * b.width / 8, b.y + b.height / 2}, bar / 5, ui_ink, 2);
        }
    }
    if (!landscape) {
        const double fs = s.px_per_mm * 0.12;
        cv::putText(s.pixels, fmt::format("{}:{:02}", 7 + r() % 14, r() % 60),
                    {static_cast<int>(4 * s.px_per_mm), static_cast<int>(3.8 * s.px_per_mm)}, cv::FONT_HERSHEY_SIMPLEX,
                    fs, ui_ink, 2);
        cv::rectangle(s.pixels,
                      cv::Rect(px.width - static_cast<int>(9 * s.px_per_mm), static_cast<int>(1.6 * s.px_per_mm),
                               static_cast<int>(5 * s.px_per_mm), static_cast<int>(2.2 * s.px_per_mm)),
                      ui_ink, cv::FILLED);
        cv::circle(s.pixels, {px.width / 2, static_cast<int>(2.6 * s.px_per_mm)}, static_cast<int>(1.6 * s.px_per_mm),
                   cv::Scalar::all(0), cv::FILLED);  // the punch-hole camera
    }
    s.code_mm = cv::Point2d(centre.x / s.px_per_mm, centre.y / s.px_per_mm);
    s.code_side = side_img * scale / s.px_per_mm;
    s.display = zoomed ? fmt::format("zoom {:.2f}x", zoom) : std::string("fit");
    s.display +=
        fmt::format("{} {} {:.0f}ppi", landscape ? " landscape" : "", dark ? "dark" : "light", s.px_per_mm * 25.4);
    return s;
}

}  // namespace

std::expected<PhoneSynth, std::string> PhoneSynth::make(std::uint64_t seed, const cards::CardSheetOptions& card_options,
                                                        int token_count) {
    PhoneSynth s;
    s.seed_ = seed;
    auto specs = synthCards(seed, token_count);
    if (!specs) return std::unexpected(specs.error());
    for (const auto& card : *specs) {
        std::vector<cv::Point2f> corners;
        auto img = cards::renderCardImage(card, card_options, cards::kVoucherImagePxPerMm, &corners);
        if (!img) return std::unexpected("card: " + img.error());
        s.tokens_.push_back(card.token);
        s.images_.push_back(*img);
        s.qr_corners_ = corners;
    }
    return s;
}

PhonePass PhoneSynth::pass(std::uint64_t index, cv::Size size, bool with_code) const {
    Rng r(seed_ * 0xD1B54A32D192ED03ULL + index * 0x9E3779B97F4A7C15ULL + (with_code ? 3 : 4) +
          static_cast<std::uint64_t>(size.width) * 0x94D049BB133111EBULL);
    cv::RNG noise(r());
    PhonePass out;
    const double res = size.width / 1920.0;

    // The scene behind the phone and its light.
    const bool low_light = chance(r, 0.3);
    const double gain = low_light ? uni(r, 0.25, 0.45) : uni(r, 0.6, 1.1);
    cv::Mat scene;
    background(size, r, !with_code || chance(r, 0.3), noise).convertTo(scene, CV_32FC3, gain);

    // What the phone shows.
    const std::size_t which = static_cast<std::size_t>(r() % images_.size());
    cv::Mat image = images_[which];
    std::string content = "voucher image";
    if (!with_code) {
        if (chance(r, 0.6)) {
            // Something else: a picture with finder-like clutter.
            image = background(images_[which].size(), r, true, noise);
            content = "another picture";
        } else {
            // The same card with its code blanked.
            image = images_[which].clone();
            const float q = (qr_corners_[1].x - qr_corners_[0].x) * 4 / kModules;
            cv::rectangle(image, cv::Rect(qr_corners_[0] - cv::Point2f(q, q), qr_corners_[2] + cv::Point2f(q, q)),
                          cv::Scalar::all(255), cv::FILLED);
            content = "card without its code";
        }
    }
    const bool landscape = chance(r, 0.12);
    Screen screen = showOnScreen(image, qr_corners_, landscape, r);
    if (chance(r, 0.2)) {  // night shift: the screen's white turns warm
        cv::multiply(screen.pixels, cv::Scalar(uni(r, 0.55, 0.85), uni(r, 0.85, 0.95), 1.0), screen.pixels);
        screen.display += " night-shift";
    } else {  // a screen's white is bluish
        cv::multiply(screen.pixels, cv::Scalar(1.0, uni(r, 0.93, 1.0), uni(r, 0.85, 0.97)), screen.pixels);
    }
    const double S = screen.code_side, m = S / kModules;
    // The phone in its plane, mm, the code's centre at the origin.
    const cv::Rect2d scr(-screen.code_mm.x, -screen.code_mm.y, screen.mm.width, screen.mm.height);
    const double screen_radius = uni(r, 3, 8);
    const double bezel = uni(r, 1.5, 4), chin = bezel + uni(r, 0, 4);
    const cv::Rect2d body = landscape
                                ? cv::Rect2d(scr.x - chin, scr.y - bezel, scr.width + 2 * chin, scr.height + 2 * bezel)
                                : cv::Rect2d(scr.x - bezel, scr.y - chin, scr.width + 2 * bezel, scr.height + 2 * chin);
    const double body_radius = screen_radius + bezel;
    const cv::Vec3f body_colour =
        chance(r, 0.6) ? cv::Vec3f::all(static_cast<float>(uni(r, 12, 60)))
                       : cv::Vec3f(static_cast<float>(uni(r, 20, 200)), static_cast<float>(uni(r, 20, 200)),
                                   static_cast<float>(uni(r, 20, 200)));

    // Brightness: the screen's setting (dimmed to full) against the camera's exposure for the scene. A screen too dim
    // to see at all is not something a driver holds up: its white stays >= 40-55 grey levels.
    const double level = std::exp(uni(r, std::log(0.12), 0.0));
    const double exposure = low_light ? uni(r, 1.0, 2.2) : uni(r, 0.5, 1.4);
    const double white = std::max(255 * level * exposure, uni(r, 40, 55));
    const double black = white * uni(r, 0.003, 0.02);
    const double bloom = uni(r, 1.5, 4) * res;
    // The glass reflects the surroundings (a soft, low-contrast picture moving with the phone).
    cv::Mat veil;
    background({24, 48}, r, false, noise).convertTo(veil, CV_8UC3);
    cv::GaussianBlur(veil, veil, {0, 0}, 2);
    const double reflect = uni(r, 0.02, 0.10) * (low_light ? 0.4 : 1.0) * gain;
    // Moire: the screen's pixel grid sampled by the sensor's (subpixel stripes give it colour).
    const double moire = uni(r, 0.03, 0.25);

    // Glare: a window's or a lamp's reflection on the glass, a soft streak or spot that moves as the phone turns.
    const bool glare = chance(r, 0.5), streak = chance(r, 0.6);
    cv::Point2d glare_at = chance(r, 0.4) ? cv::Point2d(uni(r, -S / 2, S / 2), uni(r, -S / 2, S / 2))
                                          : cv::Point2d(scr.x + uni(r, 0, scr.width), scr.y + uni(r, 0, scr.height));
    const double glare_angle = uni(r, 0, kPi);
    const double glare_width = streak ? uni(r, 1.5, 6) : uni(r, 3, 10);
    // No brighter than the screen's own white: a reflection that outshines the screen hides the code from a person too.
    const double glare_peak = std::min(uni(r, 40, 200) * (low_light ? 0.5 : 1.0), std::max(40.0, 0.9 * white));
    const double glare_speed = uni(r, 0, 2.5);
    const double glare_dir = uni(r, 0, 2 * kPi);

    // A hand: the thumb over an edge of the screen (its edge, the quiet zone or a corner of the code), other fingers
    // at the opposite edge.
    const bool hand = chance(r, 0.5);
    const double kind = uni(r, 0, 1);
    const std::string thumb_kind = !hand ? "none" : kind < 0.45 ? "edge" : kind < 0.75 ? "quiet zone" : "code";
    std::vector<Capsule> fingers;
    Capsule thumb;
    cv::Point2d thumb_in;  // unit vector from the base towards the tip
    if (hand) {
        const int side = static_cast<int>(r() % 3);  // 0 left, 1 right, 2 bottom
        thumb.radius = uni(r, 7.5, 10.5);
        // How far in from the entry edge the thumb's front reaches, in the code's frame (depth from the symbol's edge
        // on that side, positive into the symbol).
        const double screen_edge = side == 0   ? -scr.x - S / 2
                                   : side == 1 ? scr.x + scr.width - S / 2
                                               : scr.y + scr.height - S / 2;
        double depth = 0;
        if (thumb_kind == "edge")
            depth = -uni(r, std::max(4 * m + 1, screen_edge - 8), std::max(4 * m + 1, screen_edge + 2));
        else if (thumb_kind == "quiet zone")
            depth = -uni(r, 0, 4 * m);
        else
            depth = uni(r, 0.5, 5) * m;
        const double along = uni(r, -S / 2 - 6 * m, S / 2 + 6 * m);
        const double tilt = uni(r, -40, 40) * kDeg;
        cv::Point2d front, in;
        if (side == 0)
            front = {-S / 2 + depth, along}, in = {std::cos(tilt), std::sin(tilt)};
        else if (side == 1)
            front = {S / 2 - depth, along}, in = {-std::cos(tilt), std::sin(tilt)};
        else
            front = {along, S / 2 - depth}, in = {std::sin(tilt), -std::cos(tilt)};
        thumb_in = in;
        thumb.tip = front - in * thumb.radius;
        thumb.base = thumb.tip - in * 90.0;
        if (chance(r, 0.5)) {
            // The fingers holding the phone from behind, showing at the opposite edge.
            const int n = 2 + static_cast<int>(r() % 2);
            const double start = uni(r, -20, 10);
            for (int i = 0; i < n; ++i) {
                Capsule f;
                f.radius = uni(r, 7, 9);
                const double reach = uni(r, 0, 2.5);
                const double pos = start + i * uni(r, 18, 22);
                cv::Point2d edge_pt, out_dir;
                if (side == 0)
                    edge_pt = {body.x + body.width - reach, pos}, out_dir = {1, 0};
                else if (side == 1)
                    edge_pt = {body.x + reach, pos}, out_dir = {-1, 0};
                else
                    edge_pt = {pos, body.y + reach}, out_dir = {0, -1};
                f.tip = edge_pt + out_dir * f.radius;
                f.base = f.tip + out_dir * 60.0;
                fingers.push_back(f);
            }
            if (hiddenBy(fingers, S).symbol > 0) fingers.clear();
        }
    }
    const double skin_tone = uni(r, 0, 1);
    const cv::Vec3f skin = cv::Vec3f(175, 195, 235) * static_cast<float>(1 - skin_tone) +
                           cv::Vec3f(60, 85, 125) * static_cast<float>(skin_tone);

    // The camera and the pass: where the phone rests, how it arrives, how it drifts.
    const double f = cardCameraFocalPx(r);
    const int n = 10 + static_cast<int>(r() % 16);
    const double dist = uni(r, 0.3, 1.0);
    const double tilt = uni(r, 0, 35) * kDeg, tilt_dir = uni(r, 0, 2 * kPi);
    const double roll = uni(r, -30, 30) * kDeg;
    const double shutter = low_light ? uni(r, 0.5, 1.0) : uni(r, 0.15, 0.7);  // exposure / frame interval
    const double focus = uni(r, 0.45, 0.8), focus_k = uni(r, 0.8, 2.0);
    const int quality = static_cast<int>(uni(r, 40, 95));
    const double sigma = low_light ? uni(r, 4, 10) : uni(r, 0.5, 3);
    const double tremor = uni(r, 0.3, 1.5) / 1000, wobble = uni(r, 0.2, 1.2) * kDeg;
    const bool arrives = chance(r, 0.4);
    const int arrival = 3 + static_cast<int>(r() % 4);
    const double arrival_dir = uni(r, 0, 2 * kPi);
    const cv::Vec3d arrival_offset(std::cos(arrival_dir) * uni(r, 0.03, 0.09),
                                   std::sin(arrival_dir) * uni(r, 0.03, 0.09), uni(r, 0, 0.15));
    Pose rest{{0, 0, dist}, tilt * std::cos(tilt_dir), tilt * std::sin(tilt_dir), roll};
    const auto codeInside = [&](const Pose& p, double margin_modules) {
        const cv::Matx33d H = homography(p, f, size);
        const double h = S / 2 + margin_modules * m;
        for (const cv::Point2d c : {cv::Point2d(-h, -h), cv::Point2d(h, -h), cv::Point2d(h, h), cv::Point2d(-h, h)}) {
            const auto q = project(H, c);
            if (q.x < 0 || q.y < 0 || q.x >= size.width || q.y >= size.height) return false;
        }
        return true;
    };
    for (int attempt = 0; attempt < 60; ++attempt) {
        if (attempt > 0 && attempt % 10 == 0) rest.t[2] *= 1.1;  // too close to fit: held a little farther away
        const double hw = rest.t[2] * size.width / 2.0 / f, hh = rest.t[2] * size.height / 2.0 / f;
        Pose cand = rest;
        cand.t = {uni(r, -0.7, 0.7) * hw, uni(r, -0.7, 0.7) * hh, rest.t[2]};
        if (codeInside(cand, 6)) {
            rest = cand;
            break;
        }
    }
    std::vector<Pose> poses;
    cv::Vec3d drift(0, 0, 0), velocity(0, 0, 0);
    cv::Vec3d spin(0, 0, 0), angles(0, 0, 0);
    std::normal_distribution<double> gauss(0, 1);
    for (int i = 0; i <= n; ++i) {  // pose 0 is the frame before the first: motion blur of frame 1
        for (int k = 0; k < 3; ++k) {
            velocity[k] = 0.8 * velocity[k] + gauss(r) * tremor * (k == 2 ? 0.5 : 1.0) - 0.1 * drift[k];
            spin[k] = 0.8 * spin[k] + gauss(r) * wobble - 0.1 * angles[k];
        }
        Pose p = rest;
        for (int shrink = 0; shrink < 6; ++shrink) {
            p.t = rest.t + drift + velocity;
            if (codeInside(p, 2)) break;
            velocity *= -0.5;
            drift *= 0.5;
        }
        drift += velocity;
        angles += spin;
        p.t = rest.t + drift;
        p.pitch += angles[0];
        p.yaw += angles[1];
        p.roll += angles[2];
        if (arrives && i < arrival) p.t += arrival_offset * (double(arrival - i) / arrival);
        poses.push_back(p);
    }

    // The screen's pixels at about 1.5x their size in the nearest frame (a plain warp of the full screen would alias:
    // the moire is added separately from the screen's pixel pitch).
    double nearest = dist;
    for (const auto& p : poses) nearest = std::min(nearest, p.t[2]);
    const double tex_ppm = std::min(screen.px_per_mm, 1.5 * f / (nearest * 1000));
    cv::Mat tex;
    cv::resize(screen.pixels, tex, {}, tex_ppm / screen.px_per_mm, tex_ppm / screen.px_per_mm, cv::INTER_AREA);
    const double tex_scale = tex.cols / screen.mm.width;
    static const CosTable cosine;

    out.text = with_code ? tokens_[which] : std::string();
    out.description = fmt::format(
        "{}, {}; white {:.0f} black {:.1f} (brightness {:.2f}){}; moire {:.2f}; glare {}; hand {}{}; "
        "d={:.2f}m tilt={:.0f}deg roll={:.0f}deg shutter={:.2f} jpeg={} noise={:.1f}{}",
        content, screen.display, white, black, level, low_light ? " low light" : "", moire,
        glare ? fmt::format("{} {:.0f}", streak ? "streak" : "spot", glare_peak) : std::string("no"), thumb_kind,
        fingers.empty() ? "" : " + fingers", rest.t[2], tilt / kDeg, roll / kDeg, shutter, quality, sigma,
        arrives ? " arriving" : "");

    std::vector<Capsule> hand_now;
    cv::Point2d thumb_shift(0, 0), thumb_vel(0, 0),
        glare_vel(std::cos(glare_dir) * glare_speed, std::sin(glare_dir) * glare_speed);
    const cv::Point2d glare_axis(std::cos(glare_angle), std::sin(glare_angle));
    cv::Mat scene8, layer, region;
    scene.convertTo(scene8, CV_8UC3);
    for (int i = 1; i <= n; ++i) {
        const Pose& p = poses[static_cast<std::size_t>(i)];
        const cv::Matx33d H = homography(p, f, size);
        const cv::Matx33d Hinv = H.inv();
        PhoneFrame fr;
        // The hand shifts a little from frame to frame; it never hides more than the bound.
        hand_now = fingers;
        double hidden_share = 0;
        if (hand) {
            thumb_vel = thumb_vel * 0.7 + cv::Point2d(gauss(r), gauss(r)) * 0.4;
            thumb_shift += thumb_vel;
            thumb_shift.x = std::clamp(thumb_shift.x, -3.0, 3.0);
            thumb_shift.y = std::clamp(thumb_shift.y, -3.0, 3.0);
            Capsule t = thumb;
            t.tip += thumb_shift;
            t.base += thumb_shift;
            hand_now.push_back(t);
            Hidden h = hiddenBy(hand_now, S);
            for (int k = 0; k < 40 && !acceptable(h); ++k) {
                hand_now.back().tip -= thumb_in * (m / 2);
                hand_now.back().base -= thumb_in * (m / 2);
                h = hiddenBy(hand_now, S);
            }
            hidden_share = h.symbol;
        }
        glare_vel = glare_vel * 0.8 + cv::Point2d(gauss(r), gauss(r)) * 0.5;
        glare_at += glare_vel;

        // Blur: the phone's own movement during the exposure and the distance to the focus plane.
        const cv::Point2f c0 = project(homography(poses[static_cast<std::size_t>(i - 1)], f, size), {0, 0});
        const cv::Point2f c1 = project(H, {0, 0});
        const double motion = cv::norm(c1 - c0) * shutter;
        const double motion_angle = std::atan2(c1.y - c0.y, c1.x - c0.x);
        const double defocus = std::min(3.5, focus_k * std::abs(1 / p.t[2] - 1 / focus)) * res;
        const double moire_now = moire / (1 + defocus * defocus + 0.2 * motion);

        // The region of the frame the phone and hand can cover.
        std::vector<cv::Point2f> extent;
        for (const cv::Point2d c : {body.tl(), cv::Point2d(body.x + body.width, body.y), body.br(),
                                    cv::Point2d(body.x, body.y + body.height)})
            extent.push_back(project(H, c));
        for (const auto& c : hand_now)
            for (const cv::Point2d e : {c.tip, c.base})
                for (const cv::Point2d d :
                     {cv::Point2d(-1, -1), cv::Point2d(1, -1), cv::Point2d(1, 1), cv::Point2d(-1, 1)})
                    extent.push_back(project(H, e + d * c.radius));
        const int pad = static_cast<int>(std::ceil(motion + defocus + 3 * bloom)) + 3;
        cv::Rect roi = cv::boundingRect(extent);
        roi = cv::Rect(roi.x - pad, roi.y - pad, roi.width + 2 * pad, roi.height + 2 * pad) &
              cv::Rect(0, 0, size.width, size.height);

        // The phone's layer: colour (grey levels, may exceed 255 before the sensor clips) premultiplied, and alpha.
        layer.create(roi.size(), CV_32FC4);
        layer.setTo(cv::Scalar::all(0));
        // Only pixels the phone or a finger can touch are evaluated: their outlines, a few pixels wider.
        cv::Mat touched(roi.size(), CV_8U, cv::Scalar(0));
        const auto outline = [&](const std::vector<cv::Point2d>& pts) {
            std::vector<cv::Point> poly;
            for (const auto& q : pts) poly.push_back(cv::Point(project(H, q)) - roi.tl());
            std::vector<cv::Point> hull;
            cv::convexHull(poly, hull);
            cv::fillConvexPoly(touched, hull, cv::Scalar(255));
            cv::polylines(touched, hull, true, cv::Scalar(255), 5);
        };
        outline({body.tl(), {body.x + body.width, body.y}, body.br(), {body.x, body.y + body.height}});
        for (const auto& c : hand_now) {
            const cv::Point2d ax = (c.base - c.tip) / cv::norm(c.base - c.tip), nx(-ax.y, ax.x);
            const double rr = c.radius * 1.05;
            outline({c.tip - ax * rr + nx * rr, c.tip - ax * rr - nx * rr, c.base + nx * rr, c.base - nx * rr});
        }
        const double aa = p.t[2] * 1000 / f;  // mm per pixel near the code
        for (int y = 0; y < roi.height; ++y) {
            auto* row = layer.ptr<cv::Vec4f>(y);
            const auto* mask = touched.ptr<std::uint8_t>(y);
            for (int x = 0; x < roi.width; ++x) {
                if (mask[x] == 0) continue;
                const cv::Vec3d hp = Hinv * cv::Vec3d(roi.x + x + 0.5, roi.y + y + 0.5, 1);
                const cv::Point2d q(hp[0] / hp[2], hp[1] / hp[2]);
                const double body_cov = coverage(roundedRectDistance(q, body, body_radius), aa);
                double hand_cov = 0;
                const Capsule* finger = nullptr;
                for (const auto& c : hand_now) {
                    const double cov = coverage(capsuleDistance(q, c), aa * 1.5);
                    if (cov > hand_cov) hand_cov = cov, finger = &c;
                }
                if (body_cov <= 0 && hand_cov <= 0) continue;
                cv::Vec3f colour(0, 0, 0);
                if (body_cov > 0) {
                    const double screen_cov = coverage(roundedRectDistance(q, scr, screen_radius), aa);
                    cv::Vec3f lit = body_colour * static_cast<float>(gain);
                    if (screen_cov > 0) {
                        const double sx = q.x - scr.x, sy = q.y - scr.y;
                        const cv::Vec3f v = sample(tex, sx * tex_scale - 0.5, sy * tex_scale - 0.5);
                        const double gx = sx * screen.px_per_mm, gy = sy * screen.px_per_mm;
                        const float rows = cosine(gy);
                        cv::Vec3f e;
                        for (int c = 0; c < 3; ++c) {
                            const double mo = 1 + moire_now * 0.5 * (cosine(gx + c / 3.0) + rows);
                            e[c] = static_cast<float>((black + (white - black) * v[c] / 255) * mo);
                        }
                        lit = e * static_cast<float>(screen_cov) + lit * static_cast<float>(1 - screen_cov);
                    }
                    // The glass: the surroundings' reflection and the glare.
                    const cv::Vec3f refl = sample(veil, (q.x - body.x) / body.width * (veil.cols - 1),
                                                  (q.y - body.y) / body.height * (veil.rows - 1));
                    lit += refl * static_cast<float>(reflect);
                    if (glare) {
                        const cv::Point2d d = q - glare_at;
                        double g = 0;
                        if (streak) {
                            const double across = d.x * -glare_axis.y + d.y * glare_axis.x;
                            const double len = d.dot(glare_axis);
                            g = std::exp(-across * across / (2 * glare_width * glare_width) -
                                         len * len / (2 * 45.0 * 45.0));
                        } else {
                            g = std::exp(-d.dot(d) / (2 * glare_width * glare_width));
                        }
                        lit += cv::Vec3f::all(static_cast<float>(glare_peak * g));
                    }
                    colour = lit;
                }
                if (hand_cov > 0) {
                    // A finger: rounded shading across it, the nail near its tip, lit by the scene.
                    const cv::Point2d axis = (finger->base - finger->tip) / cv::norm(finger->base - finger->tip);
                    const cv::Point2d d = q - finger->tip;
                    const double lateral = std::abs(d.x * -axis.y + d.y * axis.x) / finger->radius;
                    const double shade = 0.55 + 0.45 * std::sqrt(std::max(0.0, 1 - lateral * lateral));
                    const double along = d.dot(axis) / finger->radius;
                    cv::Vec3f s = skin * static_cast<float>(shade * gain);
                    if (along > -0.6 && along < 0.7 && lateral < 0.55)
                        s = s * 0.6f + cv::Vec3f(200, 205, 235) * static_cast<float>(0.4 * shade * gain);
                    colour = s * static_cast<float>(hand_cov) + colour * static_cast<float>(1 - hand_cov);
                }
                const double alpha = hand_cov + (1 - hand_cov) * body_cov;
                const auto a = static_cast<float>(alpha);
                row[x] = cv::Vec4f(colour[0] * a, colour[1] * a, colour[2] * a, a);
            }
        }
        if (defocus >= 0.5) defocusBlur(layer, defocus);
        if (motion >= 1.0) streakBlur(layer, motion, motion_angle);
        // Compose over the scene, then the sensor: light beyond full scale blooms into its neighbours and clips.
        region.create(roi.size(), CV_32FC3);
        bool over = false;
        for (int y = 0; y < roi.height; ++y) {
            const auto* l = layer.ptr<cv::Vec4f>(y);
            const auto* b = scene.ptr<cv::Vec3f>(roi.y + y) + roi.x;
            auto* o = region.ptr<cv::Vec3f>(y);
            for (int x = 0; x < roi.width; ++x) {
                const float keep = 1 - l[x][3];
                for (int c = 0; c < 3; ++c) {
                    o[x][c] = b[x][c] * keep + l[x][c];
                    over = over || o[x][c] > 255;
                }
            }
        }
        if (over) {
            cv::Mat excess;
            cv::max(region - cv::Scalar::all(255), 0, excess);
            cv::GaussianBlur(excess, excess, {0, 0}, bloom);
            region += excess * 0.25;
        }
        cv::Mat frame = scene8.clone();
        cv::Mat frame_roi = frame(roi);
        region.convertTo(frame_roi, CV_8UC3);
        if (sigma > 0) addNoise(frame, sigma, noise);
        fr.image = jpegRoundTrip(frame, quality);

        const double h = S / 2;
        const cv::Point2d corners[4] = {{-h, -h}, {h, -h}, {h, h}, {-h, h}};
        double side = 0;
        for (int k = 0; k < 4; ++k) fr.code[static_cast<std::size_t>(k)] = project(H, corners[k]);
        for (int k = 0; k < 4; ++k)
            side += cv::norm(fr.code[static_cast<std::size_t>(k)] - fr.code[static_cast<std::size_t>((k + 1) % 4)]);
        fr.px_per_module = side / 4 / kModules;
        fr.thumb_on_code = hidden_share;
        fr.description = fmt::format("d={:.2f}m px/module={:.1f} motion={:.1f}px defocus={:.1f}px hand on code={:.0f}%",
                                     p.t[2], fr.px_per_module, motion, defocus, 100 * hidden_share);
        out.frames.push_back(std::move(fr));
    }
    return out;
}

}  // namespace vg::sim
