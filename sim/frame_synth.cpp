#include "sim/frame_synth.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <opencv2/imgproc.hpp>

#include "cards/cards_pdf.h"
#include "sim/synth_parts.h"

namespace vg::sim {

using namespace parts;

namespace {

constexpr double kCardPxPerMm = 10.0;

// The object shown to the camera: a card, or a phone displaying the code zoomed in.
struct Prop {
    cv::Mat image;                // BGR raster at kCardPxPerMm
    std::vector<cv::Point2f> qr;  // the symbol's corners on the raster
    bool emissive = false;        // a screen: not affected by ambient light the same way
};

Prop phoneProp(const cv::Mat& card, const std::vector<cv::Point2f>& qr, Rng& r) {
    // A screenshot of the card, zoomed so that the code (with its quiet zone) fills most of the screen width.
    const double ppm = kCardPxPerMm;
    const cv::Size phone(static_cast<int>(72 * ppm), static_cast<int>(150 * ppm));
    const cv::Rect screen(static_cast<int>(4 * ppm), static_cast<int>(12 * ppm), static_cast<int>(64 * ppm),
                          static_cast<int>(126 * ppm));
    cv::Mat img(phone, CV_8UC3, cv::Scalar::all(12));
    const float side = qr[1].x - qr[0].x;
    const float quiet = side * 4 / 29;
    const cv::Rect crop(static_cast<int>(qr[0].x - quiet * 1.5f), static_cast<int>(qr[0].y - side * 0.6f),
                        static_cast<int>(side + 3 * quiet), static_cast<int>(side * 1.9f));
    const cv::Rect valid = crop & cv::Rect(0, 0, card.cols, card.rows);
    cv::Mat shown;
    const double zoom = uni(r, 0.85, 1.0) * screen.width / double(valid.width);
    cv::resize(card(valid), shown, {}, zoom, zoom, cv::INTER_AREA);
    const bool dark_mode = chance(r, 0.3);
    if (dark_mode) cv::bitwise_not(shown, shown);
    cv::Mat screen_img(screen.size(), CV_8UC3, dark_mode ? cv::Scalar::all(0) : cv::Scalar::all(255));
    const cv::Rect place((screen.width - shown.cols) / 2, std::max(0, (screen.height - shown.rows) / 2),
                         std::min(shown.cols, screen.width), std::min(shown.rows, screen.height));
    shown(cv::Rect(0, 0, place.width, place.height)).copyTo(screen_img(place));
    // Screen white is bluish and not paper-white; a dimmed screen keeps little contrast.
    const double level = uni(r, 0.55, 1.0);
    screen_img.convertTo(screen_img, -1, level, uni(r, 0, 25));
    cv::multiply(screen_img, cv::Scalar(1.0, uni(r, 0.9, 1.0), uni(r, 0.8, 0.95)), screen_img);
    screen_img.copyTo(img(screen));
    Prop p;
    p.image = img;
    const cv::Point2f off(static_cast<float>(screen.x + place.x - valid.x * zoom),
                          static_cast<float>(screen.y + place.y - valid.y * zoom));
    for (const auto& c : qr)
        p.qr.push_back(cv::Point2f(static_cast<float>(c.x * zoom), static_cast<float>(c.y * zoom)) + off);
    p.emissive = true;
    return p;
}

}  // namespace

std::expected<FrameSynth, std::string> FrameSynth::make(std::uint64_t seed, int token_count) {
    FrameSynth s;
    s.seed_ = seed;
    auto specs = parts::synthCards(seed, token_count);
    if (!specs) return std::unexpected(specs.error());
    cards::CardSheetOptions opt;
    opt.site_name = "和平花园居民委员会";
    for (const auto& card : *specs) {
        std::vector<cv::Point2f> corners;
        auto img = cards::renderCardImage(card, opt, kCardPxPerMm, &corners);
        if (!img) return std::unexpected("card: " + img.error());
        s.tokens_.push_back(card.token);
        s.cards_.push_back(*img);
        s.qr_corners_ = corners;
    }
    return s;
}

SynthFrame FrameSynth::frame(std::uint64_t index, cv::Size size, CameraKind camera, bool with_code) const {
    Rng r(seed_ * 0x9E3779B97F4A7C15ULL + index * 0xBF58476D1CE4E5B9ULL + (with_code ? 1 : 2) +
          (camera == CameraKind::Plate ? 7 : 0) + static_cast<std::uint64_t>(size.width));
    SynthFrame out;
    cv::Mat frame = background(size, r, !with_code || chance(r, 0.3), cv::theRNG());

    const std::size_t which = static_cast<std::size_t>(r() % cards_.size());
    Prop prop;
    const bool phone = chance(r, 0.2);
    if (phone) {
        prop = phoneProp(cards_[which], qr_corners_, r);
    } else {
        prop.image = cards_[which].clone();
        prop.qr = qr_corners_;
    }
    const bool show_prop = with_code || chance(r, 0.6);
    if (!with_code) {
        // The same card or phone without its code: everything around it stays.
        std::vector<cv::Point> poly;
        const float q = (prop.qr[1].x - prop.qr[0].x) * 4 / 29;
        poly = {cv::Point(prop.qr[0] + cv::Point2f(-q, -q)), cv::Point(prop.qr[1] + cv::Point2f(q, -q)),
                cv::Point(prop.qr[2] + cv::Point2f(q, q)), cv::Point(prop.qr[3] + cv::Point2f(-q, q))};
        const cv::Vec3b paper = prop.image.at<cv::Vec3b>(cv::Point(prop.qr[0] + cv::Point2f(-q / 2, -q / 2)));
        cv::fillConvexPoly(prop.image, poly, cv::Scalar(paper));
    }

    // Camera: the card camera's lens gives 4.5-5.5 px per module at 1.2 m whatever the resolution; the plate
    // camera frames a car front with a 55-65 degree lens.
    double f = 0, dist = 0;
    if (camera == CameraKind::Card) {
        f = cardCameraFocalPx(r);
        dist = uni(r, 0.3, 1.2);
    } else {
        f = (size.width / 2.0) / std::tan(uni(r, 55, 65) * kPi / 360);
        dist = uni(r, 3, 6);
    }
    const double tilt = uni(r, 0, 45) * kPi / 180;
    const double dir = uni(r, 0, 2 * kPi);
    const double roll = (chance(r, 0.2) ? uni(r, -180, 180) : uni(r, -30, 30)) * kPi / 180;
    const cv::Matx33d R = rotation(tilt * std::cos(dir), tilt * std::sin(dir), roll);

    // Object points (metres, centred on the code's centre) -> pixels, for a translation t.
    const double ppm = kCardPxPerMm * 1000;  // raster px per metre
    const cv::Point2f qr_centre = (prop.qr[0] + prop.qr[2]) * 0.5f;
    const auto project = [&](cv::Point2f raster, const cv::Vec3d& t) {
        const cv::Vec3d p = R * cv::Vec3d((raster.x - qr_centre.x) / ppm, (raster.y - qr_centre.y) / ppm, 0) + t;
        return cv::Point2f(static_cast<float>(f * p[0] / p[2] + size.width / 2.0),
                           static_cast<float>(f * p[1] / p[2] + size.height / 2.0));
    };
    cv::Vec3d t(0, 0, 0);
    // Where the code appears: anywhere that keeps it (and its quiet zone) inside the frame. A code that cannot fit
    // (very close and steeply tilted) is held a little farther away, as a driver does who watches the screen.
    for (int attempt = 0; attempt < 60; ++attempt) {
        if (attempt > 0 && attempt % 10 == 0) dist *= 1.15;
        const double half_w = dist * size.width / 2.0 / f, half_h = dist * size.height / 2.0 / f;
        const cv::Vec3d cand(uni(r, -0.8, 0.8) * half_w, uni(r, -0.8, 0.8) * half_h, dist);
        bool inside = true;
        const float q = (prop.qr[1].x - prop.qr[0].x) * 5 / 29;
        for (const auto& c : {prop.qr[0] + cv::Point2f(-q, -q), prop.qr[1] + cv::Point2f(q, -q),
                              prop.qr[2] + cv::Point2f(q, q), prop.qr[3] + cv::Point2f(-q, q)}) {
            const auto p = project(c, cand);
            inside = inside && p.x >= 0 && p.y >= 0 && p.x < size.width && p.y < size.height;
        }
        if (inside) {
            t = cand;
            break;
        }
    }
    if (t[2] == 0) t = cv::Vec3d(0, 0, dist);
    const cv::Point2f corners_src[4] = {{0, 0},
                                        {float(prop.image.cols), 0},
                                        {float(prop.image.cols), float(prop.image.rows)},
                                        {0, float(prop.image.rows)}};
    cv::Point2f corners_dst[4];
    for (int i = 0; i < 4; ++i) corners_dst[i] = project(corners_src[i], t);
    std::vector<cv::Point2f> qr_frame;
    for (const auto& c : prop.qr) qr_frame.push_back(project(c, t));
    double side = 0;
    for (int i = 0; i < 4; ++i) side += cv::norm(qr_frame[i] - qr_frame[(i + 1) % 4]);
    out.px_per_module = side / 4 / 29;

    // Shrink the raster to about 1.5x its size in the frame first: a plain warp would alias.
    const double scale = std::min(1.0, 1.5 * out.px_per_module / (cards::kQrModuleMm * kCardPxPerMm));
    cv::Mat src = prop.image;
    if (scale < 1.0) cv::resize(prop.image, src, {}, scale, scale, cv::INTER_AREA);
    cv::Point2f scaled_src[4];
    for (int i = 0; i < 4; ++i) scaled_src[i] = corners_src[i] * static_cast<float>(src.cols / double(prop.image.cols));
    const cv::Mat H = cv::getPerspectiveTransform(scaled_src, corners_dst);

    // Light: ambient gain with a gradient across the frame; screens keep their own brightness.
    const bool low_light = chance(r, 0.25);
    const double gain = low_light ? uni(r, 0.2, 0.4) : uni(r, 0.6, 1.1);
    if (show_prop) {
        cv::Mat warped, mask;
        cv::warpPerspective(src, warped, H, size, cv::INTER_LINEAR, cv::BORDER_CONSTANT);
        cv::warpPerspective(cv::Mat(src.size(), CV_8U, cv::Scalar(255)), mask, H, size, cv::INTER_LINEAR,
                            cv::BORDER_CONSTANT);
        cv::Mat wf, mf, ff;
        warped.convertTo(wf, CV_32FC3);
        // Paper under a gradient of light; a screen emits its own.
        const double lo = uni(r, 0.65, 1.0);
        cv::Mat shade(size, CV_32F);
        const double a = uni(r, 0, 2 * kPi);
        for (int y = 0; y < size.height; ++y)
            for (int x = 0; x < size.width; ++x)
                shade.at<float>(y, x) = static_cast<float>(
                    lo + (1 - lo) * (0.5 + 0.5 * std::sin(a + (x * std::cos(a) + y * std::sin(a)) / size.width * kPi)));
        cv::Mat shade3;
        cv::merge(std::vector<cv::Mat>{shade, shade, shade}, shade3);
        if (!prop.emissive) cv::multiply(wf, shade3, wf);
        if (prop.emissive && chance(r, 0.6)) {
            // Moire between the screen's pixel grid and the sensor's.
            const double period = uni(r, 2.5, 7), amp = uni(r, 0.04, 0.15), ang = uni(r, 0, kPi);
            for (int y = 0; y < size.height; ++y) {
                auto* row = wf.ptr<cv::Vec3f>(y);
                for (int x = 0; x < size.width; ++x)
                    row[x] *= static_cast<float>(
                        1 + amp * std::sin(2 * kPi * (x * std::cos(ang) + y * std::sin(ang)) / period));
            }
        }
        mask.convertTo(mf, CV_32F, 1 / 255.0);
        cv::Mat mf3;
        cv::merge(std::vector<cv::Mat>{mf, mf, mf}, mf3);
        frame.convertTo(ff, CV_32FC3);
        ff = ff.mul(cv::Scalar::all(1) - mf3) + wf.mul(mf3);
        ff.convertTo(frame, CV_8UC3);
    }

    // Glare: a soft bright spot (diffuse on matte stock; brighter on a screen).
    const bool glare = show_prop && chance(r, 0.3);
    if (glare) {
        const cv::Point2f c = qr_frame[static_cast<std::size_t>(r() % 4)] * 0.5f + (qr_frame[0] + qr_frame[2]) * 0.25f;
        const double rad = uni(r, 0.1, 0.35) * side / 4;
        const double peak = uni(r, 40, 140);
        cv::Mat spot(size, CV_32F, cv::Scalar(0));
        cv::circle(spot, c, static_cast<int>(rad), cv::Scalar(peak), cv::FILLED);
        cv::GaussianBlur(spot, spot, {0, 0}, rad / 2 + 1);
        cv::Mat spot3, ff;
        cv::merge(std::vector<cv::Mat>{spot, spot, spot}, spot3);
        frame.convertTo(ff, CV_32FC3);
        ff += spot3;
        ff.convertTo(frame, CV_8UC3);
    }

    const double res = size.width / 1920.0;
    double defocus = 0, motion = 0;
    if (chance(r, 0.4)) {
        defocus = uni(r, 0.5, 2.5) * res;
        defocusBlur(frame, defocus);
    }
    if (chance(r, 0.4)) {
        motion = uni(r, 2, 8) * res;
        motionBlur(frame, motion, uni(r, 0, kPi));
    }
    frame.convertTo(frame, -1, gain, 0);
    const double sigma = low_light ? uni(r, 4, 12) : uni(r, 0, 4);
    if (sigma > 0) addNoise(frame, sigma, cv::theRNG());
    const int quality = static_cast<int>(uni(r, 30, 95));
    out.image = jpegRoundTrip(frame, quality);
    out.text = with_code ? tokens_[which] : std::string();
    out.description = fmt::format(
        "{} d={:.2f}m tilt={:.0f}deg roll={:.0f}deg px/module={:.1f} defocus={:.1f} motion={:.1f} "
        "gain={:.2f} noise={:.1f} glare={} jpeg={}{}",
        camera == CameraKind::Card ? "card" : "plate", dist, tilt * 180 / kPi, roll * 180 / kPi, out.px_per_module,
        defocus, motion, gain, sigma, glare ? "yes" : "no", quality, phone ? " phone" : "");
    if (!with_code) out.px_per_module = 0;
    return out;
}

}  // namespace vg::sim
