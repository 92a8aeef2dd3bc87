#include "vision/qr_reader.h"

#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <climits>
#include <exception>
#include <opencv2/imgproc.hpp>

namespace vg::vision {
namespace {

// One zxing call over an 8-bit grey image. `scale` maps the image's pixels back to the frame's, `offset` is the
// region's origin in the frame.
void readInto(const cv::Mat& grey, const ZXing::DecodeHints& hints, double scale, cv::Point2f offset,
              FrameTime frame_time, std::vector<QrRead>& out) {
    if (grey.empty() || grey.cols < 21 || grey.rows < 21) return;
    CV_Assert(grey.type() == CV_8UC1);
    ZXing::ImageView view(grey.data, grey.cols, grey.rows, ZXing::ImageFormat::Lum, static_cast<int>(grey.step));
    ZXing::Results results;
    try {
        results = ZXing::ReadBarcodes(view, hints);
    } catch (const std::exception&) {
        return;  // zxing throws only on absurd sizes; an unreadable frame is simply "no code"
    }
    for (const auto& r : results) {
        // zxing has already checked the Reed-Solomon blocks and the format; anything else is not ours.
        if (!r.isValid() || r.format() != ZXing::BarcodeFormat::QRCode) continue;
        std::string text = r.text();
        if (text.empty()) continue;
        if (std::any_of(out.begin(), out.end(), [&](const QrRead& q) { return q.text == text; })) continue;
        QrRead q;
        q.text = std::move(text);
        q.frame_time = frame_time;
        const auto& pos = r.position();
        for (std::size_t i = 0; i < 4; ++i) {
            // zxing's corner coordinates are pixel indices; +0.5 puts them on pixel centres before rescaling.
            q.corners[i] = cv::Point2f(static_cast<float>((pos[i].x + 0.5) * scale - 0.5) + offset.x,
                                       static_cast<float>((pos[i].y + 0.5) * scale - 0.5) + offset.y);
        }
        out.push_back(std::move(q));
    }
}

ZXing::DecodeHints baseHints(const QrOptions& opt) {
    ZXing::DecodeHints h;
    h.setFormats(ZXing::BarcodeFormat::QRCode);
    h.setTryHarder(opt.try_harder);
    h.setTryRotate(false);  // QR finder patterns are rotation invariant; rotation only helps linear codes
    return h;
}

cv::Mat toGrey(const cv::Mat& image) {
    cv::Mat grey;
    switch (image.channels()) {
        case 1:
            grey = image;
            break;
        case 3:
            cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY);
            break;
        case 4:
            cv::cvtColor(image, grey, cv::COLOR_BGRA2GRAY);
            break;
        default:
            return {};
    }
    if (grey.depth() != CV_8U) {
        cv::Mat converted;
        grey.convertTo(converted, CV_8U);
        grey = converted;
    }
    return grey;
}

// Second-pass variant names (QrTrace, secondPassVariants()).
const std::string kFullSize = "full size, local threshold";
const std::string kFullSizeGlobal = "full size, global threshold";
const std::string kFullSizeInvertedLocal = "full size, inverted, local threshold";
const std::string kBrightenedInverted = "brightened x3, inverted, local threshold";
const std::string kBrightened = "brightened x3, local threshold";
const std::string kGlobal = "global threshold";
const std::string kInvertedGlobal = "inverted, global threshold";
const std::string kInvertedLocal = "inverted, local threshold";
const std::string kRescaledLocal = "rescaled, local threshold";
const std::string kRescaledGlobal = "rescaled, global threshold";
constexpr int kHalveFrom = 1000;   // short side from which the first pass searches a half-size copy
constexpr int kDoubleBelow = 400;  // short side below which the rescaled variants double the image

}  // namespace

QrReader::QrReader(QrOptions options) : options_(options) {}

std::vector<QrRead> QrReader::read(const cv::Mat& image, FrameTime frame_time, QrTrace* trace) const {
    std::vector<QrRead> out;
    if (image.empty() || image.dims != 2) return out;

    cv::Rect region(0, 0, image.cols, image.rows);
    if (options_.roi) region &= *options_.roi;
    if (region.area() <= 0) return out;
    const cv::Mat grey = toGrey(image(region));
    if (grey.empty()) return out;
    const cv::Point2f offset(static_cast<float>(region.x), static_cast<float>(region.y));
    const std::size_t limit = options_.max_symbols <= 0 ? SIZE_MAX : static_cast<std::size_t>(options_.max_symbols);

    const auto call = [&](const cv::Mat& img, const ZXing::DecodeHints& h, double s) {
        if (trace) ++trace->zxing_calls;
        readInto(img, h, s, offset, frame_time, out);
    };

    // Pass 1. A large frame (short side >= kHalveFrom: 1080p and up) is first searched at half size: a card
    // camera puts >= 4.5 px per module on the card at 1.2 m (PRODUCT.md "Deployment"), still >= 2 px at half size,
    // and area averaging removes sensor noise, so this reads as many generated card-camera frames as the full
    // frame does at a quarter of the cost (bench/README.md "QR"). The full-size search is the first second-pass
    // variant. Smaller frames are searched at full size, where zxing 1.4 with one symbol requested also searches
    // its downscaled pyramid (large, soft codes are found there). Either way it stops at the first code.
    const bool halve = std::min(grey.cols, grey.rows) >= kHalveFrom;
    cv::Mat half;
    auto hints = baseHints(options_);
    hints.setMaxNumberOfSymbols(1);
    if (halve) {
        cv::resize(grey, half, cv::Size(), 0.5, 0.5, cv::INTER_AREA);  // exact 2x2 averaging: OpenCV's fast path
        call(half, hints, 2.0);
    } else {
        auto pyramid = hints;
        pyramid.setTryDownscale(true);
        call(grey, pyramid, 1.0);
    }

    // Every code on a page: the multi-symbol search at full size, only once a first code proved there is a
    // code to look for (a frame without any code does not pay for it).
    if (!out.empty() && limit > 1) {
        auto multi = baseHints(options_);
        multi.setMaxNumberOfSymbols(static_cast<std::uint8_t>(std::min<std::size_t>(limit, 255)));
        call(grey, multi, 1.0);
    }
    if (!out.empty() || !options_.second_pass) {
        if (out.size() > limit) out.resize(limit);
        return out;
    }

    // Pass 2, only when pass 1 found nothing: the variants of secondPassVariants(), each one zxing call; a still
    // tries them all until one reads, a camera frame tries the next one in its rotation.
    auto retry = baseHints(options_);
    retry.setMaxNumberOfSymbols(static_cast<std::uint8_t>(std::min<std::size_t>(limit, 255)));
    auto global = retry;
    global.setBinarizer(ZXing::Binarizer::GlobalHistogram);
    // The full-size search of a large frame: a camera frame skips zxing's every-row try-harder scan there (its
    // finder search steps a few rows at a time, which still finds codes of >= 4 px per module and keeps a frame
    // without a code near the half-size pass's cost); a still image gets the thorough search.
    auto full = retry;
    if (options_.mode == QrScanMode::Camera) full.setTryHarder(false);
    const auto variants = secondPassVariants(grey.size());
    std::size_t first = 0, count = variants.size();
    if (options_.mode == QrScanMode::Camera && !variants.empty()) {
        first = static_cast<std::size_t>(rotation_.fetch_add(1, std::memory_order_relaxed) % variants.size());
        count = 1;
    }
    // A large frame's thresholds and inversions work on the half-size image (as its first pass did); a small
    // frame's on the frame itself, plus a doubled copy (codes of 1-2 px per module) for the smallest.
    const cv::Mat& base = halve ? half : grey;
    const double base_scale = halve ? 2.0 : 1.0;
    cv::Mat inverted, full_inverted, doubled;
    const auto getInverted = [&]() -> const cv::Mat& {
        if (inverted.empty()) cv::bitwise_not(base, inverted);
        return inverted;
    };
    const auto getFullInverted = [&]() -> const cv::Mat& {
        if (full_inverted.empty()) cv::bitwise_not(grey, full_inverted);
        return full_inverted;
    };
    const auto getDoubled = [&]() -> const cv::Mat& {
        if (doubled.empty()) cv::resize(grey, doubled, cv::Size(), 2.0, 2.0, cv::INTER_CUBIC);
        return doubled;
    };
    for (std::size_t k = 0; k < count && out.empty(); ++k) {
        const std::string& v = variants[first + k];
        if (trace) trace->variants.push_back(v);
        if (v == kFullSize)
            call(grey, full, 1.0);
        else if (v == kFullSizeGlobal)
            call(grey, global, 1.0);
        else if (v == kFullSizeInvertedLocal)
            call(getFullInverted(), full, 1.0);
        else if (v == kGlobal)
            call(base, global, base_scale);
        else if (v == kInvertedGlobal)
            call(getInverted(), global, base_scale);
        else if (v == kInvertedLocal)
            call(getInverted(), retry, base_scale);
        else if (v == kBrightened) {
            // A dimmed screen (light mode): its white a few tens of grey levels above its black, which after blur
            // and JPEG leaves less than zxing's minimum local contrast between modules. Three times the gain above
            // the darkest pixel (3 (x - min), saturated).
            double lo = 0, hi = 0;
            cv::minMaxLoc(base, &lo, &hi);
            cv::Mat bright;
            base.convertTo(bright, CV_8U, 3.0, -3.0 * lo);
            call(bright, halve ? retry : full, base_scale);
        } else if (v == kBrightenedInverted) {
            // A dimmed phone screen in dark mode: its light modules differ from the dark ones by less than zxing's
            // minimum local contrast (24 grey levels), so every block counts as flat. Three times the gain above the
            // darkest pixel, inverted in the same step (255 - 3 (x - min), saturated).
            double lo = 0, hi = 0;
            cv::minMaxLoc(base, &lo, &hi);
            cv::Mat bright;
            base.convertTo(bright, CV_8U, -3.0, 255.0 + 3.0 * lo);
            call(bright, halve ? retry : full, base_scale);
        } else if (v == kRescaledLocal)
            call(getDoubled(), retry, 0.5);
        else if (v == kRescaledGlobal)
            call(getDoubled(), global, 0.5);
    }
    if (out.size() > limit) out.resize(limit);
    return out;
}

std::vector<std::string> QrReader::secondPassVariants(cv::Size region) {
    // Cheapest and most productive first. A large frame: its full-size search with either threshold (small or
    // blurred codes the half-size first pass could not resolve; zxing's global-histogram threshold reads soft,
    // unevenly lit codes the local 8x8-block threshold breaks up), then light-on-dark codes (phone dark mode,
    // negative prints; zxing 1.4 has no try-invert): globally thresholded at half size, locally at full size (a
    // dark-mode screen at arm's length has too few pixels per module at half size). A smaller image: the global
    // threshold and the inversions at full size, and the smallest a doubled copy (codes of 1-2 px per module).
    // Then for both a dimmed screen brightened three times (a phone showing the console's voucher image at low
    // brightness: bench/README.md "QR", phone screens). Last for both, a dimmed dark-mode screen: brightened three
    // times, inverted, local threshold (half size for a large frame; a camera frame below 1080p skips the try-harder
    // scan there, which costs 4x on the noise it amplifies). Measured on the generated and real sets (bench/README.md):
    // CLAHE, a Gaussian or median blur (for dim noisy screens) and a global threshold of the halved frame rescued next
    // to nothing and were dropped.
    const int short_side = std::min(region.width, region.height);
    std::vector<std::string> v;
    if (short_side >= kHalveFrom)
        v = {kFullSize, kFullSizeGlobal, kBrightened, kInvertedGlobal, kFullSizeInvertedLocal};
    else
        v = {kGlobal, kBrightened, kInvertedGlobal, kInvertedLocal};
    v.push_back(kBrightenedInverted);  // last: it only ever reads dimmed dark-mode screens
    if (short_side < kDoubleBelow) {
        v.push_back(kRescaledLocal);
        v.push_back(kRescaledGlobal);
    }
    return v;
}

}  // namespace vg::vision
