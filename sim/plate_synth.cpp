#include "sim/plate_synth.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <numbers>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "vision/plate_grammar.h"

namespace vg::sim {
namespace {

constexpr std::array<const char*, 31> kProvinces{"京", "津", "沪", "渝", "冀", "豫", "云", "辽", "黑", "湘", "皖",
                                                 "鲁", "新", "苏", "浙", "赣", "鄂", "桂", "甘", "晋", "蒙", "陕",
                                                 "吉", "闽", "贵", "粤", "青", "藏", "川", "宁", "琼"};
constexpr std::string_view kLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ";
constexpr std::string_view kDigits = "0123456789";

struct Stroke {
    bool thin;
    std::vector<cv::Point2d> points;  // mm, centre line
};
struct StrokeGlyph {
    const char* ch;
    bool alternative;
    std::vector<Stroke> strokes;
};

const std::vector<StrokeGlyph>& plateFontGlyphs() {
    static const std::vector<StrokeGlyph> glyphs{
#include "sim/plate_font_glyphs.inc"
    };
    return glyphs;
}

// The plate font's glyph at 10 mm stroke, drawn the way the trainer draws it (plate_synth.render_stroke_glyph):
// the centre-line box is mapped so that the stroke's outer edge touches the cell, anti-aliased at 8x, shrunk.
cv::Mat strokeGlyph(const std::string& ch, int cellW, int cellH) {
    const auto& all = plateFontGlyphs();
    const auto it =
        std::find_if(all.begin(), all.end(), [&](const StrokeGlyph& g) { return ch == g.ch && !g.alternative; });
    if (it == all.end()) return {};
    constexpr int ss = 8;
    constexpr double strokeMm = 10.0;
    const double pxPerMm = static_cast<double>(cellH) / 90.0 * ss;
    const double cellWmm = cellW * 90.0 / cellH;
    cv::Mat big(cellH * ss, cellW * ss, CV_8U, cv::Scalar(0));
    for (const auto& stroke : it->strokes) {
        std::vector<cv::Point> pts;
        for (const auto& p : stroke.points) {
            const double x = (p.x - 5) / 35.0 * (cellWmm - strokeMm) + strokeMm / 2;
            const double y = (p.y - 5) / 80.0 * (90 - strokeMm) + strokeMm / 2;
            pts.emplace_back(static_cast<int>(std::lround(x * pxPerMm * 16)),
                             static_cast<int>(std::lround(y * pxPerMm * 16)));
        }
        const int thickness =
            std::max(1, static_cast<int>(std::lround(strokeMm * pxPerMm * (stroke.thin ? 0.88 : 1.0))));
        cv::polylines(big, pts, false, cv::Scalar(255), thickness, cv::LINE_AA, 4);
    }
    cv::Mat out;
    cv::resize(big, out, {cellW, cellH}, 0, 0, cv::INTER_AREA);
    return out;
}

}  // namespace

PlateSynth::PlateSynth(unsigned seed, GlyphFont font) : rng_(seed), font_(font) {
    if (font_ == GlyphFont::Din) {  // fonts-opendin; the plate font needs no font file
        din_ = cv::freetype::createFreeType2();
        din_->loadFontData("/usr/share/fonts/truetype/opendin/OSP-DIN.ttf", 0);
    }
    cjk_ = cv::freetype::createFreeType2();
    cjk_->loadFontData("/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc", 2);
}

std::string PlateSynth::randomText(SynthStyle style) {
    std::uniform_real_distribution<double> u(0, 1);
    auto pick = [&](std::string_view s) { return std::string(1, s[static_cast<std::size_t>(u(rng_) * s.size())]); };
    // The second letter is drawn from the letters most provinces issue (A-H), so the text passes the grammar.
    const std::string province = u(rng_) < 0.3 ? "沪" : kProvinces[static_cast<std::size_t>(u(rng_) * 31)];
    std::string text = province + pick("ABCDE");
    if (style == SynthStyle::Green) {
        if (u(rng_) < 0.6) {
            text += pick("DF");
            text += u(rng_) < 0.3 ? pick(kLetters) : pick(kDigits);
            for (int i = 0; i < 4; ++i) text += pick(kDigits);
        } else {
            for (int i = 0; i < 5; ++i) text += pick(kDigits);
            text += pick("DF");
        }
        return text;
    }
    int letters = 0;
    for (int i = 0; i < 5; ++i) {
        if (letters < 2 && u(rng_) < 0.18) {
            text += pick(kLetters);
            ++letters;
        } else {
            text += pick(kDigits);
        }
    }
    return text;
}

cv::Mat PlateSynth::glyph(const std::string& ch, int cellW, int cellH) {
    const bool ascii = ch.size() == 1;
    if (ascii && font_ == GlyphFont::PlateFont) {
        if (cv::Mat g = strokeGlyph(ch, cellW, cellH); !g.empty()) return g;
    }
    auto& font = ascii && din_ ? din_ : cjk_;               // a character the plate font lacks: Noto's
    cv::Mat colour(320, 320, CV_8UC3, cv::Scalar::all(0));  // FreeType2 draws on 3-channel images only
    font->putText(colour, ch, {40, 250}, 200, cv::Scalar::all(255), -1, cv::LINE_AA, true);
    cv::Mat canvas;
    cv::cvtColor(colour, canvas, cv::COLOR_BGR2GRAY);
    std::vector<cv::Point> pts;
    cv::findNonZero(canvas, pts);
    if (pts.empty()) return cv::Mat(cellH, cellW, CV_8U, cv::Scalar(0));
    const cv::Rect box = cv::boundingRect(pts);
    cv::Mat out;
    if (ch == "1") {  // the plate 1 is a bar centred in its cell, not stretched to the cell's width
        cv::Mat bar;
        cv::resize(canvas(box), bar, {std::max(4, cellW / 4), cellH}, 0, 0, cv::INTER_AREA);
        out = cv::Mat(cellH, cellW, CV_8U, cv::Scalar(0));
        bar.copyTo(out(cv::Rect((cellW - bar.cols) / 2, 0, bar.cols, cellH)));
        return out;
    }
    cv::resize(canvas(box), out, {cellW, cellH}, 0, 0, cv::INTER_AREA);
    return out;
}

cv::Mat PlateSynth::renderPlate(const std::string& text, SynthStyle style) {
    const auto chars = vision::splitUtf8(text);
    const bool eight = chars.size() == 8;
    const double k = 2.0;  // px per mm
    const int w = static_cast<int>((eight ? 480 : 440) * k);
    const int h = static_cast<int>(140 * k);
    cv::Mat plate(h, w, CV_8UC3);
    cv::Scalar ink;
    switch (style) {
        case SynthStyle::Blue:
            plate.setTo(cv::Scalar(170, 70, 15));
            ink = cv::Scalar(245, 245, 245);
            break;
        case SynthStyle::Yellow:
            plate.setTo(cv::Scalar(25, 180, 235));
            ink = cv::Scalar(15, 15, 15);
            break;
        case SynthStyle::Green:
            for (int y = 0; y < h; ++y) {
                const double t = std::clamp((static_cast<double>(y) / h - 0.2) / 0.7, 0.0, 1.0);
                plate.row(y).setTo(cv::Scalar(235 - 165 * t, 245 - 45 * t, 235 - 175 * t));
            }
            ink = cv::Scalar(15, 15, 15);
            break;
    }
    cv::rectangle(plate, {int(3 * k), int(3 * k)}, {w - int(3 * k), h - int(3 * k)}, ink, int(2 * k), cv::LINE_AA);
    const double cw = eight ? 43 : 45;
    const double gap = eight ? 9 : 12;
    const double sepGap = eight ? 49 : 34;
    double x = eight ? 15.5 : 15.5;
    for (std::size_t i = 0; i < chars.size(); ++i) {
        const cv::Mat g = glyph(chars[i], static_cast<int>(cw * k), static_cast<int>(90 * k));
        const cv::Rect cell(static_cast<int>(x * k), static_cast<int>(25 * k), g.cols, g.rows);
        cv::Mat region = plate(cell);
        cv::Mat inkImg(region.size(), CV_8UC3, ink);
        cv::Mat alpha;
        cv::cvtColor(g, alpha, cv::COLOR_GRAY2BGR);
        alpha.convertTo(alpha, CV_32FC3, 1.0 / 255);
        cv::Mat r32;
        cv::Mat i32;
        region.convertTo(r32, CV_32FC3);
        inkImg.convertTo(i32, CV_32FC3);
        cv::Mat blended = i32.mul(alpha) + r32.mul(cv::Scalar::all(1.0) - alpha);
        blended.convertTo(region, CV_8UC3);
        x += cw + (i == 1 ? sepGap : gap);
        if (i == 1) {
            cv::circle(plate, {static_cast<int>((x - sepGap / 2) * k), h / 2}, static_cast<int>(5 * k), ink, cv::FILLED,
                       cv::LINE_AA);
        }
    }
    return plate;
}

SynthFrameParams PlateSynth::randomParams(bool night) {
    std::uniform_real_distribution<double> u(0, 1);
    SynthFrameParams p;
    p.plate_width = 150 + 170 * u(rng_);
    p.night = night;
    p.blur = 1.2 * u(rng_);
    p.noise = 2 + 6 * u(rng_) + (night ? 4 : 0);
    p.jpeg_quality = 50 + static_cast<int>(40 * u(rng_));
    p.tilt = 0.06 * u(rng_);
    p.rotation = 10 * (u(rng_) - 0.5);
    return p;
}

std::vector<FlatPlate> loadFlatPlates(const std::filesystem::path& dir) {
    std::vector<FlatPlate> out;
    std::ifstream in(dir / "labels.csv");
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
        std::stringstream row(line);
        std::string file;
        std::string text;
        std::string colour;
        std::getline(row, file, ',');
        std::getline(row, text, ',');
        std::getline(row, colour, ',');
        if (!colour.empty() && colour.back() == '\r') colour.pop_back();
        cv::Mat img = cv::imread((dir / file).string(), cv::IMREAD_COLOR);
        if (!img.empty()) out.push_back({img, text, colour});
    }
    return out;
}

SynthScene PlateSynth::scene(const std::string& text, SynthStyle style, const SynthFrameParams& p) {
    const char* colour = style == SynthStyle::Blue ? "blue" : style == SynthStyle::Yellow ? "yellow" : "green";
    return scene(renderPlate(text, style), text, colour, p);
}

SynthScene PlateSynth::scene(const cv::Mat& plate, const std::string& text, const std::string& colour,
                             const SynthFrameParams& p) {
    std::uniform_real_distribution<double> u(0, 1);
    std::uniform_int_distribution<int> px(0, 255);
    cv::Mat img(1080, 1920, CV_8UC3);
    const cv::Scalar sky(px(rng_), px(rng_), px(rng_));
    for (int y = 0; y < img.rows; ++y) img.row(y).setTo(sky * (0.5 + 0.5 * y / img.rows));
    for (int i = 0; i < 40; ++i) {
        const cv::Point a(px(rng_) * 8, px(rng_) * 4);
        cv::rectangle(img, a, a + cv::Point(px(rng_) + 10, px(rng_) / 2 + 10), cv::Scalar(px(rng_), px(rng_), px(rng_)),
                      i % 2 == 0 ? cv::FILLED : 3);
    }
    // Lane region (1100 x 620) somewhere in the frame; the car's rear and the plate inside it.
    const cv::Rect roi(static_cast<int>(u(rng_) * 800), static_cast<int>(u(rng_) * 440), 1100, 620);
    const double pw = p.plate_width * (plate.cols * 140.0 / plate.rows / 440.0);  // green plates are 480 mm wide
    const double ph = pw * plate.rows / plate.cols;
    const cv::Point2f c(static_cast<float>(roi.x + roi.width * (0.3 + 0.4 * u(rng_))),
                        static_cast<float>(roi.y + roi.height * (0.35 + 0.35 * u(rng_))));
    const cv::Scalar car(px(rng_), px(rng_), px(rng_));
    cv::rectangle(img,
                  cv::Rect(static_cast<int>(c.x - pw * 2.5), static_cast<int>(c.y - ph * 4), static_cast<int>(pw * 5),
                           static_cast<int>(ph * 6)),
                  car, cv::FILLED);
    cv::rectangle(img,
                  cv::Rect(static_cast<int>(c.x - pw * 2.5), static_cast<int>(c.y - ph * 4.2), static_cast<int>(pw * 5),
                           static_cast<int>(ph * 1.2)),
                  car * 0.4, cv::FILLED);  // rear window
    cv::rectangle(img,
                  cv::Rect(static_cast<int>(c.x - pw * 0.58), static_cast<int>(c.y - ph * 0.7),
                           static_cast<int>(pw * 1.16), static_cast<int>(ph * 1.4)),
                  cv::Scalar(30, 30, 30), cv::FILLED);  // plate holder
    const double a = p.rotation * std::numbers::pi / 180;
    const cv::Point2f ux(static_cast<float>(std::cos(a) * pw / 2), static_cast<float>(std::sin(a) * pw / 2));
    const cv::Point2f uy(static_cast<float>(-std::sin(a) * ph / 2), static_cast<float>(std::cos(a) * ph / 2));
    vision::PlateQuad q{c - ux - uy, c + ux - uy, c + ux + uy, c - ux + uy};
    for (auto& pt : q) {
        pt += cv::Point2f(static_cast<float>((u(rng_) - 0.5) * 2 * p.tilt * pw),
                          static_cast<float>((u(rng_) - 0.5) * 2 * p.tilt * pw));
    }
    const std::array<cv::Point2f, 4> src{{{0, 0},
                                          {static_cast<float>(plate.cols), 0},
                                          {static_cast<float>(plate.cols), static_cast<float>(plate.rows)},
                                          {0, static_cast<float>(plate.rows)}}};
    // Warp and blend only inside the plate's bounding box: full-frame float images cost seconds per scene.
    std::vector<cv::Point2f> qv(q.begin(), q.end());
    const cv::Rect box = (cv::boundingRect(qv) + cv::Size(4, 4) - cv::Point(2, 2)) & cv::Rect(0, 0, img.cols, img.rows);
    std::array<cv::Point2f, 4> local;
    for (std::size_t i = 0; i < 4; ++i)
        local[i] = q[i] - cv::Point2f(static_cast<float>(box.x), static_cast<float>(box.y));
    const cv::Mat m = cv::getPerspectiveTransform(src.data(), local.data());
    cv::Mat warped;
    cv::Mat mask;
    cv::warpPerspective(plate, warped, m, box.size(), cv::INTER_AREA);
    cv::warpPerspective(cv::Mat(plate.size(), CV_8U, cv::Scalar(255)), mask, m, box.size(), cv::INTER_AREA);
    cv::Mat mask3;
    cv::cvtColor(mask, mask3, cv::COLOR_GRAY2BGR);
    cv::Mat a32;
    mask3.convertTo(a32, CV_32FC3, 1.0 / 255);
    cv::Mat w32;
    cv::Mat i32;
    warped.convertTo(w32, CV_32FC3);
    img(box).convertTo(i32, CV_32FC3);
    // IR at night: the retro-reflective plate stays bright while the rest of the scene goes dark and grey.
    const double sceneGain = p.night ? 0.25 : 0.6 + 0.6 * u(rng_);
    const double plateGain = p.night ? 1.15 : sceneGain;
    cv::Mat blended = w32.mul(a32) * plateGain + i32.mul(cv::Scalar::all(1.0) - a32) * sceneGain;
    img.convertTo(img, CV_8UC3, sceneGain);
    blended.convertTo(img(box), CV_8UC3);
    if (p.night) cv::cvtColor(img, img, cv::COLOR_BGR2GRAY);
    if (p.blur > 0.2) cv::GaussianBlur(img, img, {0, 0}, p.blur);
    cv::Mat signedImg;
    img.convertTo(signedImg, CV_16S);
    cv::Mat noise16(img.size(), CV_16SC(img.channels()));
    cv::randn(noise16, cv::Scalar::all(0), cv::Scalar::all(p.noise));
    signedImg += noise16;
    signedImg.convertTo(img, img.type());
    std::vector<uchar> jpg;
    cv::imencode(".jpg", img, jpg, {cv::IMWRITE_JPEG_QUALITY, p.jpeg_quality});
    img = cv::imdecode(jpg, p.night ? cv::IMREAD_GRAYSCALE : cv::IMREAD_COLOR);
    return {img, roi, q, text, colour};
}

}  // namespace vg::sim
