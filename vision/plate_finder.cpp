#include "vision/plate_finder.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <utility>

namespace vg::vision {
namespace {

// GA 36-2014: the characters are 90 mm tall on a 140 mm plate (0.64); edges of the characters is what the
// vertical-edge proposal sees, so its box is grown to the plate's height. 440 / 140 and 480 / 140 (green).
constexpr double kEdgeHeightGrowth = 1.4;
constexpr double kEdgeWidthGrowth = 1.04;
constexpr double kGreenAspect = 480.0 / 140.0;

struct Proposal {
    cv::RotatedRect rect;  // in work (shrunk region) pixels
    PlateQuad quad;        // in work pixels
    CandidateSource source;
    std::string colour;
    float score;
};

float dist(cv::Point2f a, cv::Point2f b) { return std::hypot(a.x - b.x, a.y - b.y); }

// Long side and short side of a rotated rect, and the long side's angle from horizontal in degrees (-90, 90].
struct Shape {
    double width;
    double height;
    double angle;
};
Shape shapeOf(const cv::RotatedRect& r) {
    cv::Point2f p[4];
    r.points(p);
    const cv::Point2f e1 = p[1] - p[0];
    const cv::Point2f e2 = p[2] - p[1];
    const cv::Point2f longEdge = std::hypot(e1.x, e1.y) >= std::hypot(e2.x, e2.y) ? e1 : e2;
    double angle = std::atan2(longEdge.y, longEdge.x) * 180.0 / std::numbers::pi;
    if (angle > 90) angle -= 180;
    if (angle <= -90) angle += 180;
    return {std::max(r.size.width, r.size.height), std::min(r.size.width, r.size.height), angle};
}

// Grows a quad about its centre along its own axes.
PlateQuad grow(const PlateQuad& q, double sx, double sy) {
    const cv::Point2f c = (q[0] + q[1] + q[2] + q[3]) * 0.25F;
    const cv::Point2f u = ((q[1] - q[0]) + (q[2] - q[3])) * 0.25F;  // half the width, along the top/bottom edges
    const cv::Point2f v = ((q[3] - q[0]) + (q[2] - q[1])) * 0.25F;  // half the height
    const auto fx = static_cast<float>(sx);
    const auto fy = static_cast<float>(sy);
    // Each corner keeps its own offset from the centre (perspective), scaled along u and v.
    PlateQuad out;
    for (std::size_t i = 0; i < 4; ++i) {
        const cv::Point2f d = q[i] - c;
        const float du = (d.x * u.x + d.y * u.y) / std::max(1e-6F, u.x * u.x + u.y * u.y);
        const float dv = (d.x * v.x + d.y * v.y) / std::max(1e-6F, v.x * v.x + v.y * v.y);
        out[i] = c + u * (du * fx) + v * (dv * fy);
    }
    return out;
}

// A colour blob's outline: the four-corner polygon of its hull when there is one that fills its minAreaRect
// (perspective makes plates trapezoids), else the rectangle.
PlateQuad outlineOf(const std::vector<cv::Point>& contour, const cv::RotatedRect& rect) {
    std::vector<cv::Point> hull;
    cv::convexHull(contour, hull);
    const double perimeter = cv::arcLength(hull, true);
    for (double eps : {0.02, 0.04, 0.06}) {
        std::vector<cv::Point> poly;
        cv::approxPolyDP(hull, poly, eps * perimeter, true);
        if (poly.size() == 4) {
            const double ratio = cv::contourArea(poly) / std::max(1.0, static_cast<double>(rect.size.area()));
            if (ratio > 0.85 && ratio <= 1.02) {
                return orderQuad(
                    {cv::Point2f(poly[0]), cv::Point2f(poly[1]), cv::Point2f(poly[2]), cv::Point2f(poly[3])});
            }
            break;
        }
    }
    return quadFromRotatedRect(rect);
}

class Proposer {
  public:
    Proposer(const FinderOptions& o, double scale, cv::Size work)
        : minWidth_(std::max(16.0, o.min_plate_width * scale)),
          maxWidth_(o.max_plate_width_fraction * work.width),
          minAspect_(o.min_aspect),
          maxAspect_(o.max_aspect) {}

    // Contours of a binary mask that look like a plate (or the character band of one).
    // edgeIntegral is the integral of the 0/1 edge map at `integralScale` times the mask's resolution.
    void collect(const cv::Mat& mask, const cv::Mat& edgeIntegral, double integralScale, CandidateSource source,
                 const std::string& colour, std::vector<Proposal>& out) const {
        // Every blob's outer boundary, also of blobs inside another's hole: a plate inside a car body or a surround of
        // its own colour (a green plate on a green car, behind its dark bezel) is such a blob.
        std::vector<std::vector<cv::Point>> contours;
        std::vector<cv::Vec4i> hierarchy;
        cv::findContours(mask, contours, hierarchy, cv::RETR_CCOMP, cv::CHAIN_APPROX_SIMPLE);
        for (std::size_t i = 0; i < contours.size(); ++i) {
            if (hierarchy[i][3] >= 0) continue;  // a hole's boundary
            const auto& contour = contours[i];
            if (contour.size() < 4) continue;
            const cv::Rect box = cv::boundingRect(contour);
            if (box.width < minWidth_ * 0.8 || box.height < 6) continue;
            const cv::RotatedRect rect = cv::minAreaRect(contour);
            const Shape s = shapeOf(rect);
            const double aspect = s.width / std::max(1.0, s.height);
            const double maxAspect = colour == "green" ? maxAspect_ * 1.5 : maxAspect_;
            if (s.width < minWidth_ || s.width > maxWidth_ || aspect < minAspect_ || aspect > maxAspect) continue;
            if (std::abs(s.angle) > 40) continue;
            const double fill = cv::contourArea(contour) / std::max(1.0, s.width * s.height);
            if (fill < 0.45) continue;
            const cv::Rect scaledBox(static_cast<int>(box.x * integralScale), static_cast<int>(box.y * integralScale),
                                     static_cast<int>(box.width * integralScale),
                                     static_cast<int>(box.height * integralScale));
            const double density = meanIn(edgeIntegral, scaledBox);
            if (density < 0.08) continue;  // flat patches (a blue wall) carry no characters

            Proposal p{rect, {}, source, colour, 0.0F};
            if (source == CandidateSource::Edge) {
                p.quad = grow(quadFromRotatedRect(rect), kEdgeWidthGrowth, kEdgeHeightGrowth);
            } else {
                p.quad = outlineOf(contour, rect);
                if (colour == "green" && aspect > kGreenAspect * 1.25) {
                    // Only the green lower part of a gradient plate passed the mask: extend upwards to the plate's
                    // height.
                    const double h = s.width / kGreenAspect;
                    PlateQuad& q = p.quad;
                    const cv::Point2f upL = q[0] - q[3];
                    const cv::Point2f upR = q[1] - q[2];
                    const auto kl = static_cast<float>(h / std::max(1.0F, dist(q[0], q[3])));
                    const auto kr = static_cast<float>(h / std::max(1.0F, dist(q[1], q[2])));
                    q[0] = q[3] + upL * kl;
                    q[1] = q[2] + upR * kr;
                }
            }
            // Characters make a band of dense vertical edges; aspect near a real plate's helps break ties.
            const double aspectFit = std::exp(-std::pow(std::log(aspect / 3.4), 2) / 0.5);
            const double sourceBonus = source == CandidateSource::Colour ? 1.2 : 1.0;
            p.score = static_cast<float>(density * fill * aspectFit * sourceBonus);
            out.push_back(std::move(p));
        }
    }

    static double meanIn(const cv::Mat& integral, cv::Rect r) {
        r &= cv::Rect(0, 0, integral.cols - 1, integral.rows - 1);
        if (r.area() <= 0) return 0.0;
        const int sum = integral.at<int>(r.y + r.height, r.x + r.width) - integral.at<int>(r.y, r.x + r.width) -
                        integral.at<int>(r.y + r.height, r.x) + integral.at<int>(r.y, r.x);
        return static_cast<double>(sum) / r.area();
    }

  private:
    double minWidth_;
    double maxWidth_;
    double minAspect_;
    double maxAspect_;
};

}  // namespace

PlateQuad orderQuad(const std::array<cv::Point2f, 4>& corners) {
    const cv::Point2f c = (corners[0] + corners[1] + corners[2] + corners[3]) * 0.25F;
    std::array<cv::Point2f, 4> p = corners;
    std::ranges::sort(p, [c](cv::Point2f a, cv::Point2f b) {
        return std::atan2(a.y - c.y, a.x - c.x) < std::atan2(b.y - c.y, b.x - c.x);
    });
    const auto tl = std::ranges::min_element(p, [](cv::Point2f a, cv::Point2f b) { return a.x + a.y < b.x + b.y; });
    std::ranges::rotate(p, tl);
    return p;
}

PlateQuad quadFromRotatedRect(const cv::RotatedRect& rect) {
    std::array<cv::Point2f, 4> p;
    rect.points(p.data());
    PlateQuad q = orderQuad(p);
    if (dist(q[0], q[1]) < dist(q[0], q[3])) {
        // Long side came out vertical (rect near 45 degrees): start one corner later so that TL-TR is the long side.
        q = {q[3], q[0], q[1], q[2]};
    }
    return q;
}

PlateQuad fitPlateQuad(const std::vector<cv::Point>& blob, const cv::RotatedRect& rect) {
    constexpr float kMaxLeanCos = 0.766F;  // cos 40 degrees
    const PlateQuad box = quadFromRotatedRect(rect);
    const float width = dist(box[0], box[1]);
    const float height = dist(box[0], box[3]);
    if (width < 8.0F || height < 4.0F) return box;
    const cv::Point2f u = (box[1] - box[0]) / width;   // along the plate
    const cv::Point2f v = (box[3] - box[0]) / height;  // down the plate
    std::array<std::vector<cv::Point2f>, 4> sides;     // top, right, bottom, left
    for (const cv::Point& q : blob) {
        const cv::Point2f p(static_cast<float>(q.x), static_cast<float>(q.y));
        const cv::Point2f d = p - rect.center;
        const float s = d.dot(u);
        const float t = d.dot(v);
        if (std::abs(s) < 0.3F * width) {
            sides[t < 0 ? 0 : 2].push_back(p);
        } else if (std::abs(t) < 0.25F * height) {
            sides[s < 0 ? 3 : 1].push_back(p);
        }
    }
    std::array<cv::Vec4f, 4> lines;  // (vx, vy, x0, y0)
    for (std::size_t i = 0; i < 4; ++i) {
        // Enough points that a line through them is the side, not the noise of a small blob's edge.
        if (sides[i].size() < (i % 2 == 0 ? 8U : 5U)) return box;
        cv::fitLine(sides[i], lines[i], cv::DIST_HUBER, 0, 0.01, 0.01);
        // A plate's sides lean by its shear or roll, never by much more than 40 degrees from the rectangle's: a side
        // that does was fitted to a rounded end, not to an edge.
        const cv::Point2f dir(lines[i][0], lines[i][1]);
        if (std::abs(dir.dot(i % 2 == 0 ? u : v)) < kMaxLeanCos) return box;
    }
    const auto meet = [](const cv::Vec4f& a, const cv::Vec4f& b) -> std::optional<cv::Point2f> {
        const float den = a[0] * b[1] - a[1] * b[0];
        if (std::abs(den) < 1e-3F) return std::nullopt;
        const float k = ((b[2] - a[2]) * b[1] - (b[3] - a[3]) * b[0]) / den;
        return cv::Point2f(a[2] + k * a[0], a[3] + k * a[1]);
    };
    PlateQuad quad;
    const std::array<std::pair<std::size_t, std::size_t>, 4> corners{{{0, 3}, {0, 1}, {2, 1}, {2, 3}}};
    for (std::size_t i = 0; i < 4; ++i) {
        const auto p = meet(lines[corners[i].first], lines[corners[i].second]);
        // A shear or a foreshortening moves a corner by a fraction of the plate's height, never by more than it.
        if (!p || dist(*p, box[i]) > 0.8F * height) return box;
        quad[i] = *p;
    }
    const std::vector<cv::Point2f> poly(quad.begin(), quad.end());
    if (!cv::isContourConvex(poly)) return box;
    const double blobArea = cv::contourArea(blob);
    const double quadArea = cv::contourArea(poly);
    if (blobArea <= 0 || quadArea < 0.85 * blobArea || quadArea > 1.12 * blobArea) return box;
    return quad;
}

double quadOverlap(const PlateQuad& a, const PlateQuad& b) {
    const cv::Rect2f ra = cv::boundingRect(std::vector<cv::Point2f>(a.begin(), a.end()));
    const cv::Rect2f rb = cv::boundingRect(std::vector<cv::Point2f>(b.begin(), b.end()));
    const float inter = (ra & rb).area();
    const float uni = ra.area() + rb.area() - inter;
    return uni > 0 ? inter / uni : 0.0;
}

// An edge candidate's outline is the closed band of vertical edges grown by a fixed factor, so it is often loose
// (a plate holder's or a bumper's edges join the band). The characters are what the plate is drawn around: in the
// candidate seen upright, the rows whose vertical-edge strength is at least 40% of the strongest row's, contiguous
// around it, are the character band (90 mm of the 140 mm plate), and its columns with any real edge strength span
// the characters (15.5 to 424.5 mm of 440). The outline that follows, mapped back into the frame; nothing when the
// band is implausible (too thin, too flat, or as tall as the whole candidate).
std::optional<PlateQuad> refineByCharacterBand(const cv::Mat& frame, const PlateQuad& quad) {
    constexpr int W = 192;
    constexpr int H = 96;
    const std::array<cv::Point2f, 4> dst{{{0, 0}, {W - 1.0F, 0}, {W - 1.0F, H - 1.0F}, {0, H - 1.0F}}};
    const cv::Mat m = cv::getPerspectiveTransform(quad.data(), dst.data());
    cv::Mat up;
    cv::warpPerspective(frame, up, m, cv::Size(W, H), cv::INTER_AREA, cv::BORDER_REPLICATE);
    if (up.channels() == 3) cv::cvtColor(up, up, cv::COLOR_BGR2GRAY);
    cv::Mat gx;
    cv::Sobel(up, gx, CV_32F, 1, 0, 3);
    gx = cv::abs(gx);
    cv::Mat rows;
    cv::reduce(gx, rows, 1, cv::REDUCE_SUM);
    cv::GaussianBlur(rows, rows, cv::Size(1, 5), 0);
    double lo = 0, hi = 0;
    cv::Point peak;
    cv::minMaxLoc(rows, &lo, &hi, nullptr, &peak);
    if (hi <= 0) return std::nullopt;
    int r0 = peak.y, r1 = peak.y;
    while (r0 > 0 && rows.at<float>(r0 - 1) >= 0.4 * hi) --r0;
    while (r1 < H - 1 && rows.at<float>(r1 + 1) >= 0.4 * hi) ++r1;
    const int band = r1 - r0 + 1;
    if (band < H / 6 || band > H * 9 / 10) return std::nullopt;
    cv::Mat cols;
    cv::reduce(gx.rowRange(r0, r1 + 1), cols, 0, cv::REDUCE_SUM);
    cv::GaussianBlur(cols, cols, cv::Size(5, 1), 0);
    double cmax = 0;
    cv::minMaxLoc(cols, nullptr, &cmax);
    int c0 = 0, c1 = W - 1;
    while (c0 < W - 1 && cols.at<float>(c0) < 0.15 * cmax) ++c0;
    while (c1 > 0 && cols.at<float>(c1) < 0.15 * cmax) --c1;
    if (c1 - c0 < W / 3) return std::nullopt;
    const double cy = (r0 + r1) / 2.0;
    const double ph = band * 140.0 / 90.0;
    const double cx = (c0 + c1) / 2.0;
    const double pw = (c1 - c0 + 1) * 440.0 / 409.0;
    const double aspect = (pw / W) / (ph / H);  // relative to the candidate's own aspect
    if (aspect < 0.4 || aspect > 4.0) return std::nullopt;
    std::vector<cv::Point2f> corners{{static_cast<float>(cx - pw / 2), static_cast<float>(cy - ph / 2)},
                                     {static_cast<float>(cx + pw / 2), static_cast<float>(cy - ph / 2)},
                                     {static_cast<float>(cx + pw / 2), static_cast<float>(cy + ph / 2)},
                                     {static_cast<float>(cx - pw / 2), static_cast<float>(cy + ph / 2)}};
    std::vector<cv::Point2f> back;
    cv::perspectiveTransform(corners, back, m.inv());
    return PlateQuad{back[0], back[1], back[2], back[3]};
}

bool isMonochrome(const cv::Mat& frame) {
    if (frame.empty() || frame.channels() == 1) return true;
    cv::Mat small;
    const double s = std::min(1.0, 200.0 / std::max(1, frame.cols));
    cv::resize(frame, small, cv::Size(), s, s, cv::INTER_NEAREST);  // a sample of pixels is enough for a statistic
    cv::Mat hsv;
    cv::cvtColor(small, hsv, cv::COLOR_BGR2HSV);
    cv::Mat coloured;
    cv::inRange(hsv, cv::Scalar(0, 40, 40), cv::Scalar(180, 255, 255), coloured);
    return cv::countNonZero(coloured) < static_cast<int>(0.005 * static_cast<double>(coloured.total()));
}

std::string plateColour(const cv::Mat& bgrPlate) {
    if (bgrPlate.empty() || bgrPlate.channels() != 3) return "unknown";
    // Inner part only: the crop may carry the frame, screws and a bit of car around the plate.
    const cv::Rect inner(bgrPlate.cols / 10, bgrPlate.rows / 8, bgrPlate.cols * 8 / 10, bgrPlate.rows * 6 / 8);
    cv::Mat hsv;
    cv::cvtColor(bgrPlate(inner), hsv, cv::COLOR_BGR2HSV);
    auto fraction = [&](cv::Scalar lo, cv::Scalar hi) {
        cv::Mat m;
        cv::inRange(hsv, lo, hi, m);
        return static_cast<double>(cv::countNonZero(m)) / static_cast<double>(m.total());
    };
    const double blue = fraction({95, 70, 40}, {130, 255, 255});
    const double yellow = fraction({11, 70, 60}, {35, 255, 255});
    const double green = fraction({36, 40, 50}, {90, 255, 255});
    const double white = fraction({0, 0, 140}, {180, 50, 255});
    const double black = fraction({0, 0, 0}, {180, 255, 70});
    // The green plate's upper part is nearly white, so a smaller green share already means green.
    if (green >= 0.15 && green > blue && green > yellow * 0.8) return "green";
    if (blue >= 0.25 && blue >= yellow) return "blue";
    if (yellow >= 0.25) return "yellow";
    if (white >= 0.4) return "white";
    if (black >= 0.4) return "black";
    const double best = std::max({blue, yellow, green});
    if (best < 0.1) return "unknown";
    return best == blue ? "blue" : best == yellow ? "yellow" : "green";
}

std::vector<PlateCandidate> PlateFinder::find(const cv::Mat& frame) { return find(frame, options_.roi); }

std::vector<PlateCandidate> PlateFinder::find(const cv::Mat& frame, const cv::Rect& roi) {
    if (frame.empty() || (frame.type() != CV_8UC3 && frame.type() != CV_8UC1)) return {};
    const cv::Rect full(0, 0, frame.cols, frame.rows);
    const cv::Rect area = roi.area() > 0 ? (roi & full) : full;
    if (area.width < 16 || area.height < 8) return {};
    // Every image below lives in scratch_ and keeps its buffer from frame to frame: fresh multi-megabyte
    // allocations cost more in page faults than the image processing itself.
    Scratch& w = scratch_;
    const cv::Mat region = frame(area);
    const double scale = std::min(1.0, static_cast<double>(options_.work_width) / area.width);
    cv::Mat work = region;
    if (scale < 1.0) {
        // Linear is several times cheaper than area averaging at non-integer ratios and aliases little above 1/2.
        cv::resize(region, w.work, cv::Size(), scale, scale, scale > 0.5 ? cv::INTER_LINEAR : cv::INTER_AREA);
        work = w.work;
    }
    cv::Mat grey = work;
    if (work.channels() == 3) {
        cv::cvtColor(work, w.grey, cv::COLOR_BGR2GRAY);
        grey = w.grey;
    }
    const Proposer proposer(options_, scale, work.size());

    // Vertical edges: characters are dense vertical strokes; closing joins them into one band per plate. Twice: on
    // the frame as it is, and with its local contrast equalised (CLAHE), where a dim or dirty plate's characters are
    // no longer weak edges next to a chrome grille's that one global threshold on the edge strength would drop.
    // The plain pass goes last: its edge integral also scores the colour proposals below.
    if (!w.clahe) w.clahe = cv::createCLAHE(2.0, cv::Size(8, 8));
    w.clahe->apply(grey, w.equalised);
    std::vector<Proposal> proposals;
    const double minW = std::max(16.0, options_.min_plate_width * scale);
    for (const cv::Mat* source : {&w.equalised, &grey}) {
        cv::GaussianBlur(*source, w.blurred, cv::Size(3, 3), 0);
        cv::Sobel(w.blurred, w.gx, CV_16S, 1, 0, 3);
        cv::convertScaleAbs(w.gx, w.edges);
        const double otsu = cv::threshold(w.edges, w.binary, 0, 1, cv::THRESH_BINARY | cv::THRESH_OTSU);
        if (otsu < 30) cv::threshold(w.edges, w.binary, 30, 1, cv::THRESH_BINARY);
        cv::integral(w.binary, w.integral, CV_32S);
        // Three closing sizes: the character pitch is about 1/8 of the plate width, and plates in a region vary in
        // size (the largest also bridges the wide gap after the second character of a big new-energy plate).
        for (const double plateWidth : {minW * 1.6, minW * 4.0, minW * 8.0}) {
            const int kw = std::max(5, static_cast<int>(plateWidth / 8) | 1);
            const int kh = std::max(3, static_cast<int>(plateWidth / 40) | 1);
            cv::morphologyEx(w.binary, w.closed, cv::MORPH_CLOSE, cv::getStructuringElement(cv::MORPH_RECT, {kw, kh}));
            cv::morphologyEx(w.closed, w.opened, cv::MORPH_OPEN,
                             cv::getStructuringElement(cv::MORPH_RECT, {kw / 2 | 1, kh}));
            proposer.collect(w.opened, w.integral, 1.0, CandidateSource::Edge, {}, proposals);
        }
    }

    if (work.channels() == 3 && !isMonochrome(work)) {
        // Plate colour is a large, flat area: half the work resolution finds it as well at a quarter of the cost.
        const bool half = minW >= 40;
        const double colourScale = half ? 0.5 : 1.0;
        cv::Mat colourWork = work;
        if (half) {
            cv::resize(work, w.colour_work, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
            colourWork = w.colour_work;
        }
        const Proposer colourProposer(options_, scale * colourScale, colourWork.size());
        cv::cvtColor(colourWork, w.hsv, cv::COLOR_BGR2HSV);
        struct Band {
            const char* name;
            cv::Scalar lo;
            cv::Scalar hi;
        };
        for (const Band& b :
             {Band{"blue", {100, 80, 40}, {124, 255, 255}}, Band{"yellow", {15, 80, 80}, {34, 255, 255}},
              Band{"green", {35, 40, 60}, {85, 255, 255}}}) {
            cv::inRange(w.hsv, b.lo, b.hi, w.mask);
            // Close over the light characters inside the plate, then drop speckle.
            const int kw = std::max(5, static_cast<int>(minW * colourScale / 6) | 1);
            cv::morphologyEx(w.mask, w.closed, cv::MORPH_CLOSE,
                             cv::getStructuringElement(cv::MORPH_RECT, {kw, kw / 2 | 1}));
            cv::morphologyEx(w.closed, w.opened, cv::MORPH_OPEN, cv::getStructuringElement(cv::MORPH_RECT, {3, 3}));
            const std::size_t first = proposals.size();
            colourProposer.collect(w.opened, w.integral, 1.0 / colourScale, CandidateSource::Colour, b.name, proposals);
            for (std::size_t i = first; i < proposals.size(); ++i) {
                for (auto& pt : proposals[i].quad) pt *= static_cast<float>(1.0 / colourScale);
            }
        }
    }

    // Merge: best score first, drop a proposal overlapping a kept one of the same source; colour and edge proposals
    // of one plate are both kept (their outlines differ, and the reader picks).
    std::ranges::sort(proposals, [](const Proposal& a, const Proposal& b) { return a.score > b.score; });
    std::vector<PlateCandidate> out;
    const auto toFrame = [&](const PlateQuad& q) {
        PlateQuad f;
        for (std::size_t i = 0; i < 4; ++i) {
            f[i] =
                cv::Point2f(static_cast<float>(q[i].x / scale + area.x), static_cast<float>(q[i].y / scale + area.y));
        }
        return f;
    };
    for (const Proposal& p : proposals) {
        PlateCandidate c{toFrame(p.quad), p.source, p.colour, p.score};
        const bool duplicate = std::ranges::any_of(
            out, [&](const PlateCandidate& k) { return k.source == c.source && quadOverlap(k.quad, c.quad) > 0.5; });
        if (duplicate) continue;
        out.push_back(std::move(c));
        if (static_cast<int>(out.size()) >= options_.max_candidates) break;
    }
    return out;
}

}  // namespace vg::vision
