#include "vision/qr_reader.h"

#include <algorithm>
#include <climits>
#include <exception>

#include <ZXing/ReadBarcode.h>
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
        case 1: grey = image; break;
        case 3: cv::cvtColor(image, grey, cv::COLOR_BGR2GRAY); break;
        case 4: cv::cvtColor(image, grey, cv::COLOR_BGRA2GRAY); break;
        default: return {};
    }
    if (grey.depth() != CV_8U) {
        cv::Mat converted;
        grey.convertTo(converted, CV_8U);
        grey = converted;
    }
    return grey;
}

// Second-pass variant names (QrTrace, secondPassVariants()).
const std::string kGlobal = "global threshold";
const std::string kInvertedGlobal = "inverted, global threshold";
const std::string kInvertedLocal = "inverted, local threshold";
const std::string kRescaledLocal = "rescaled, local threshold";
const std::string kRescaledGlobal = "rescaled, global threshold";
constexpr int kHalveFrom = 1000;   // short side from which the rescaled variants halve the image
constexpr int kDoubleBelow = 400;  // short side below which they double it

}  // namespace

QrReader::QrReader(QrOptions options) : options_(std::move(options)) {}

std::vector<QrRead> QrReader::read(const cv::Mat& image, FrameTime frame_time, QrTrace* trace) const {
    std::vector<QrRead> out;
    if (image.empty() || image.dims != 2) return out;

    cv::Rect region(0, 0, image.cols, image.rows);
    if (options_.roi) region &= *options_.roi;
    if (region.area() <= 0) return out;
    const cv::Mat grey = toGrey(image(region));
    if (grey.empty()) return out;
    const cv::Point2f offset(static_cast<float>(region.x), static_cast<float>(region.y));
    const std::size_t limit =
        options_.max_symbols <= 0 ? SIZE_MAX : static_cast<std::size_t>(options_.max_symbols);

    const auto call = [&](const cv::Mat& img, const ZXing::DecodeHints& h, double s) {
        if (trace) ++trace->zxing_calls;
        readInto(img, h, s, offset, frame_time, out);
    };

    // Pass 1: with one symbol requested, zxing 1.4 also searches its downscaled pyramid (large, soft codes in a
    // 1080p frame are found there); it stops at the first code, which is all a card camera needs.
    auto hints = baseHints(options_);
    hints.setMaxNumberOfSymbols(1).setTryDownscale(true);
    call(grey, hints, 1.0);

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
    const auto variants = secondPassVariants(grey.size());
    std::size_t first = 0, count = variants.size();
    if (options_.mode == QrScanMode::Camera && !variants.empty()) {
        first = static_cast<std::size_t>(rotation_.fetch_add(1, std::memory_order_relaxed) % variants.size());
        count = 1;
    }
    cv::Mat inverted, rescaled;
    const auto getInverted = [&]() -> const cv::Mat& {
        if (inverted.empty()) cv::bitwise_not(grey, inverted);
        return inverted;
    };
    // Halved for 1080p and larger (area averaging removes noise and blur), doubled for small images (codes of 1-2
    // px per module); secondPassVariants() lists the rescaled variants only for those sizes.
    const bool halve = std::min(grey.cols, grey.rows) >= kHalveFrom;
    const double scale = halve ? 2.0 : 0.5;
    const auto getRescaled = [&]() -> const cv::Mat& {
        if (rescaled.empty()) {
            if (halve) cv::resize(grey, rescaled, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
            else cv::resize(grey, rescaled, cv::Size(), 2.0, 2.0, cv::INTER_CUBIC);
        }
        return rescaled;
    };
    for (std::size_t k = 0; k < count && out.empty(); ++k) {
        const std::string& v = variants[first + k];
        if (trace) trace->variants.push_back(v);
        if (v == kGlobal) call(grey, global, 1.0);
        else if (v == kInvertedGlobal) call(getInverted(), global, 1.0);
        else if (v == kInvertedLocal) call(getInverted(), hints, 1.0);
        else if (v == kRescaledLocal) call(getRescaled(), retry, scale);
        else if (v == kRescaledGlobal) call(getRescaled(), global, scale);
    }
    if (out.size() > limit) out.resize(limit);
    return out;
}

std::vector<std::string> QrReader::secondPassVariants(cv::Size region) {
    // Cheapest and most productive first: zxing's local 8x8-block threshold breaks up big, soft or unevenly lit
    // codes (a global threshold does not); light-on-dark codes (phone dark mode, negative prints; zxing 1.4 has
    // no try-invert); then the rescaled copies. Measured on the generated and real sets (bench/README.md): CLAHE and
    // a light Gaussian blur (for dim noisy screens) rescued no frame and were dropped.
    std::vector<std::string> v{kGlobal, kInvertedGlobal, kInvertedLocal};
    const int short_side = std::min(region.width, region.height);
    if (short_side >= kHalveFrom || short_side < kDoubleBelow) {
        v.push_back(kRescaledLocal);
        v.push_back(kRescaledGlobal);
    }
    return v;
}

}  // namespace vg::vision
