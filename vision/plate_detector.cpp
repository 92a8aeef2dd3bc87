#include "vision/plate_detector.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "vision/plate_finder.h"

namespace vg::vision {
namespace {

int roundTo(double v, int multiple) {
    return std::max(multiple, static_cast<int>(std::lround(v / multiple)) * multiple);
}

}  // namespace

std::expected<DetectorMetadata, std::string> parseDetectorMetadata(const std::string& jsonText) {
    const nlohmann::json j = nlohmann::json::parse(jsonText, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::unexpected("plate detector metadata is not a JSON object");
    try {
        DetectorMetadata m;
        m.version = j.value("version", "");
        const auto& in = j.at("input");
        const auto& out = j.at("output");
        m.scale = in.at("scale").get<double>();
        m.mean = in.at("mean").get<double>();
        m.multiple = in.value("multiple", 16);
        m.stride = out.at("stride").get<int>();
        m.threshold = out.value("threshold", 0.5F);
        if (in.value("channels", 3) != 3 || in.value("colour", "BGR") != "BGR") {
            return std::unexpected("plate detector metadata: the input must be 3-channel BGR");
        }
        if (m.multiple <= 0 || m.stride <= 0 || m.multiple % m.stride != 0 || m.threshold <= 0 || m.threshold >= 1) {
            return std::unexpected("plate detector metadata: bad multiple, stride or threshold");
        }
        return m;
    } catch (const nlohmann::json::exception& e) {
        return std::unexpected(std::string("plate detector metadata: ") + e.what());
    }
}

PlateDetector::PlateDetector(cv::dnn::Net net, cv::dnn::Net refineNet, DetectorMetadata meta, DetectorOptions options)
    // cv::dnn::Net is a shared handle without a move constructor: copying it is the cheap way.
    : net_(net), refineNet_(refineNet), meta_(std::move(meta)), options_(options) {}

std::expected<PlateDetector, std::string> PlateDetector::load(const std::filesystem::path& onnxPath,
                                                              const std::filesystem::path& metadataPath,
                                                              DetectorOptions options) {
    std::ifstream in(metadataPath);
    if (!in) return std::unexpected("cannot read plate detector metadata " + metadataPath.string());
    std::stringstream text;
    text << in.rdbuf();
    auto meta = parseDetectorMetadata(text.str());
    if (!meta) return std::unexpected(meta.error() + " (" + metadataPath.string() + ")");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(onnxPath, ec)) {
        return std::unexpected("plate detector model not found: " + onnxPath.string());
    }
    try {
        cv::dnn::Net net = cv::dnn::readNetFromONNX(onnxPath.string());
        cv::dnn::Net refineNet = cv::dnn::readNetFromONNX(onnxPath.string());
        if (net.empty() || refineNet.empty())
            return std::unexpected("plate detector model is empty: " + onnxPath.string());
        for (cv::dnn::Net* n : {&net, &refineNet}) {
            n->setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
            n->setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        }
        if (kRefineWidth % meta->multiple != 0 || kRefineHeight % meta->multiple != 0) {
            return std::unexpected("plate detector metadata: input multiple " + std::to_string(meta->multiple) +
                                   " does not divide the closer look's input");
        }
        PlateDetector d(net, refineNet, std::move(*meta), options);
        // One run at the smallest size proves the graph works before a lane relies on it.
        const cv::Mat probe(d.meta_.multiple * 2, d.meta_.multiple * 2, CV_8UC3, cv::Scalar(128, 128, 128));
        if (d.logits(probe).empty()) return std::unexpected("plate detector model does not run: " + onnxPath.string());
        return d;
    } catch (const cv::Exception& e) {
        return std::unexpected("cannot load plate detector " + onnxPath.string() + ": " + e.what());
    }
}

std::expected<PlateDetector, std::string> PlateDetector::loadDefault(DetectorOptions options) {
    std::filesystem::path dir = VG_MODEL_DIR;
    std::error_code ec;
    if (!std::filesystem::exists(dir / "plate_detector.onnx", ec)) dir = VG_INSTALLED_MODEL_DIR;
    return load(dir / "plate_detector.onnx", dir / "plate_detector.json", options);
}

cv::Mat PlateDetector::logits(const cv::Mat& bgrInput) { return logitsOf(net_, bgrInput); }

cv::Mat PlateDetector::logitsOf(cv::dnn::Net& net, const cv::Mat& bgrInput) {
    if (bgrInput.empty() || bgrInput.type() != CV_8UC3 || bgrInput.cols % meta_.multiple != 0 ||
        bgrInput.rows % meta_.multiple != 0) {
        return {};
    }
    try {
        const double mean = meta_.mean / meta_.scale;
        const cv::Mat blob = cv::dnn::blobFromImage(bgrInput, meta_.scale, bgrInput.size(),
                                                    cv::Scalar(mean, mean, mean), false, false, CV_32F);
        net.setInput(blob);
        const cv::Mat out = net.forward();
        if (out.dims != 4 || out.size[1] != 1) return {};
        return cv::Mat(out.size[2], out.size[3], CV_32F, const_cast<float*>(out.ptr<float>())).clone();
    } catch (const cv::Exception&) {
        return {};
    }
}

std::vector<DetectedPlate> PlateDetector::detect(const cv::Mat& frame, const cv::Rect& roi) {
    if (frame.empty() || (frame.type() != CV_8UC3 && frame.type() != CV_8UC1)) return {};
    const cv::Rect full(0, 0, frame.cols, frame.rows);
    const cv::Rect area = roi.area() > 0 ? (roi & full) : full;
    if (area.width < meta_.multiple || area.height < meta_.multiple) return {};
    // The scale is the whole frame's, whatever the region: a plate is searched at the same size with or
    // without a lane region, and a region costs its share of the budget.
    const double s = std::min(options_.max_upscale, std::sqrt(options_.pixel_budget / full.area()));
    const cv::Size input(roundTo(area.width * s, meta_.multiple), roundTo(area.height * s, meta_.multiple));
    std::vector<DetectedPlate> out = detectAt(net_, frame, area, input);
    std::ranges::sort(out, [](const DetectedPlate& a, const DetectedPlate& b) { return a.score > b.score; });
    if (static_cast<int>(out.size()) > options_.max_outlines)
        out.resize(static_cast<std::size_t>(options_.max_outlines));
    return out;
}

std::optional<DetectedPlate> PlateDetector::refine(const cv::Mat& frame, const PlateQuad& quad) {
    if (frame.empty() || (frame.type() != CV_8UC3 && frame.type() != CV_8UC1)) return std::nullopt;
    const cv::Point2f c = (quad[0] + quad[1] + quad[2] + quad[3]) * 0.25F;
    const double width = std::hypot(quad[1].x - quad[0].x, quad[1].y - quad[0].y);
    const double height = std::hypot(quad[3].x - quad[0].x, quad[3].y - quad[0].y);
    if (width < 4 || height < 2) return std::nullopt;
    // The window has the closer look's aspect (2:1) and is twice the plate's width, so the plate fills half
    // of it; a plate near the frame's edge gets a window cut by the frame, resized to the same input (a
    // little stretched).
    const double ww = std::max(width * 2.0, height * 6.0);
    const double wh = ww * kRefineHeight / kRefineWidth;
    const cv::Rect window =
        cv::Rect(static_cast<int>(std::lround(c.x - ww / 2)), static_cast<int>(std::lround(c.y - wh / 2)),
                 static_cast<int>(std::lround(ww)), static_cast<int>(std::lround(wh))) &
        cv::Rect(0, 0, frame.cols, frame.rows);
    if (window.width < 8 || window.height < 8) return std::nullopt;
    std::optional<DetectedPlate> best;
    double bestDist = std::max(width, height) * 0.5;
    for (const DetectedPlate& d : detectAt(refineNet_, frame, window, cv::Size(kRefineWidth, kRefineHeight))) {
        const cv::Point2f dc = (d.quad[0] + d.quad[1] + d.quad[2] + d.quad[3]) * 0.25F;
        const double dist = std::hypot(dc.x - c.x, dc.y - c.y);
        if (dist < bestDist) {
            bestDist = dist;
            best = d;
        }
    }
    return best;
}

std::vector<DetectedPlate> PlateDetector::detectAt(cv::dnn::Net& net, const cv::Mat& frame, const cv::Rect& area,
                                                   cv::Size inputSize) {
    const int w = inputSize.width;
    const int h = inputSize.height;
    const double sx = static_cast<double>(w) / area.width;
    const double sy = static_cast<double>(h) / area.height;

    // Shrinking: halve with pyrDown (anti-aliased, cheap) while more than halving remains, then a linear
    // resize; area averaging at a non-integer ratio costs several times more.
    cv::Mat work = frame(area);
    while (work.cols > 2 * w && work.rows > 2 * h) {
        cv::Mat half;
        cv::pyrDown(work, half);
        work = half;
    }
    cv::Mat input;
    cv::resize(work, input, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
    if (input.channels() == 1) cv::cvtColor(input, input, cv::COLOR_GRAY2BGR);
    const cv::Mat raw = logitsOf(net, input);
    if (raw.empty()) return {};

    // Probabilities at the input's resolution (the map is smooth, so linear interpolation), then blobs.
    cv::Mat prob;
    cv::exp(-raw, prob);
    prob = 1.0 / (1.0 + prob);
    cv::Mat up;
    cv::resize(prob, up, cv::Size(w, h), 0, 0, cv::INTER_LINEAR);
    cv::Mat mask = up > meta_.threshold;
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(mask, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);  // every point: the sides are fitted

    std::vector<DetectedPlate> out;
    const double minArea = 3.0 * meta_.stride * meta_.stride;
    for (const auto& c : contours) {
        if (cv::contourArea(c) < minArea) continue;
        cv::RotatedRect rr = cv::minAreaRect(c);
        const double longSide = std::max(rr.size.width, rr.size.height);
        const double shortSide = std::max(1.0F, std::min(rr.size.width, rr.size.height));
        const double aspect = longSide / shortSide;
        if (aspect < options_.min_aspect || aspect > options_.max_aspect) continue;
        const cv::Rect box = cv::boundingRect(c) & cv::Rect(0, 0, w, h);
        double maxProb = 0;
        cv::minMaxLoc(up(box), nullptr, &maxProb, nullptr, nullptr, mask(box));
        PlateQuad q = fitPlateQuad(c, rr);
        for (cv::Point2f& p : q) {
            p.x = static_cast<float>(p.x / sx + area.x);
            p.y = static_cast<float>(p.y / sy + area.y);
        }
        const double width = std::hypot(q[1].x - q[0].x, q[1].y - q[0].y);
        if (width < options_.min_plate_width) continue;
        out.push_back({q, static_cast<float>(maxProb)});
    }
    return out;
}

}  // namespace vg::vision
