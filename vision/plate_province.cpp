#include "vision/plate_province.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "vision/plate_grammar.h"

namespace vg::vision {
namespace {

ProvinceRegion regionFrom(const nlohmann::json& j) {
    ProvinceRegion r{j.at("x0").get<double>(), j.at("x1").get<double>(), j.at("y0").get<double>(),
                     j.at("y1").get<double>()};
    if (!(r.x0 < r.x1 && r.y0 < r.y1 && r.x0 > -0.5 && r.x1 < 0.6 && r.y0 > -0.5 && r.y1 < 1.5)) {
        throw nlohmann::json::other_error::create(501, "a province region is not a region of a plate's left part", &j);
    }
    return r;
}

}  // namespace

std::expected<ProvinceMetadata, std::string> parseProvinceMetadata(const std::string& jsonText) {
    const nlohmann::json j = nlohmann::json::parse(jsonText, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return std::unexpected("plate province metadata is not a JSON object");
    try {
        ProvinceMetadata m;
        m.version = j.value("version", "");
        const auto& in = j.at("input");
        const auto shape = in.at("shape").get<std::vector<int>>();
        if (shape.size() != 4 || shape[0] != 1 || shape[1] != 1 || shape[2] <= 0 || shape[3] <= 0) {
            return std::unexpected("plate province metadata: the input must be 1x1xHxW grey");
        }
        m.height = shape[2];
        m.width = shape[3];
        m.scale = in.at("scale").get<double>();
        m.mean = in.at("mean").get<double>();
        m.provinces = splitUtf8(j.at("provinces").get<std::string>());
        const auto outShape = j.at("output").at("shape").get<std::vector<int>>();
        if (outShape.size() != 2 || outShape[1] != static_cast<int>(m.provinces.size()) || m.provinces.empty()) {
            return std::unexpected("plate province metadata: the output does not have one class per province");
        }
        m.region7 = regionFrom(j.at("region_7"));
        m.region8 = regionFrom(j.at("region_8"));
        return m;
    } catch (const nlohmann::json::exception& e) {
        return std::unexpected(std::string("plate province metadata: ") + e.what());
    }
}

PlateProvince::PlateProvince(cv::dnn::Net net, ProvinceMetadata meta)
    // cv::dnn::Net is a shared handle without a move constructor: copying it is the cheap way.
    : net_(net), meta_(std::move(meta)) {}

std::expected<PlateProvince, std::string> PlateProvince::load(const std::filesystem::path& onnxPath,
                                                              const std::filesystem::path& metadataPath) {
    std::ifstream in(metadataPath);
    if (!in) return std::unexpected("cannot read plate province metadata " + metadataPath.string());
    std::stringstream text;
    text << in.rdbuf();
    auto meta = parseProvinceMetadata(text.str());
    if (!meta) return std::unexpected(meta.error() + " (" + metadataPath.string() + ")");
    std::error_code ec;
    if (!std::filesystem::is_regular_file(onnxPath, ec)) {
        return std::unexpected("plate province model not found: " + onnxPath.string());
    }
    try {
        cv::dnn::Net net = cv::dnn::readNetFromONNX(onnxPath.string());
        if (net.empty()) return std::unexpected("plate province model is empty: " + onnxPath.string());
        net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        PlateProvince p(net, std::move(*meta));
        // One run proves the graph works and has one output per province before a lane relies on it.
        const cv::Mat probe(p.meta_.height, p.meta_.width, CV_8UC1, cv::Scalar(128));
        if (p.logits(probe).size() != p.meta_.provinces.size()) {
            return std::unexpected("plate province model does not give one output per province: " + onnxPath.string());
        }
        return p;
    } catch (const cv::Exception& e) {
        return std::unexpected("cannot load plate province model " + onnxPath.string() + ": " + e.what());
    }
}

std::expected<PlateProvince, std::string> PlateProvince::loadDefault() {
    std::filesystem::path dir = VG_MODEL_DIR;
    std::error_code ec;
    if (!std::filesystem::exists(dir / "plate_province.onnx", ec)) dir = VG_INSTALLED_MODEL_DIR;
    return load(dir / "plate_province.onnx", dir / "plate_province.json");
}

cv::Mat PlateProvince::crop(const cv::Mat& frame, const PlateQuad& quad, int length) const {
    if (frame.empty() || (frame.channels() != 1 && frame.channels() != 3)) return {};
    const ProvinceRegion& r = length == 8 ? meta_.region8 : meta_.region7;
    try {
        const cv::Mat cell = warpPlateRegion(frame, quad, {static_cast<float>(r.x0), static_cast<float>(r.y0)},
                                             {static_cast<float>(r.x1), static_cast<float>(r.y1)}, cv::Size(4, 6));
        cv::Mat out;
        cv::resize(cell, out, cv::Size(meta_.width, meta_.height), 0, 0,
                   cell.cols > meta_.width ? cv::INTER_AREA : cv::INTER_LINEAR);
        return out;
    } catch (const cv::Exception&) {
        return {};
    }
}

std::vector<float> PlateProvince::logits(const cv::Mat& grey) {
    if (grey.empty() || grey.type() != CV_8UC1 || grey.cols != meta_.width || grey.rows != meta_.height) return {};
    try {
        const double mean = meta_.mean / meta_.scale;
        net_.setInput(cv::dnn::blobFromImage(grey, meta_.scale, grey.size(), cv::Scalar(mean), false, false));
        const cv::Mat out = net_.forward();
        if (out.total() != meta_.provinces.size()) return {};
        const auto* p = out.ptr<float>();
        return {p, p + out.total()};
    } catch (const cv::Exception&) {
        return {};
    }
}

std::vector<float> PlateProvince::probabilities(const cv::Mat& grey) {
    std::vector<float> z = logits(grey);
    if (z.empty()) return z;
    const float top = *std::ranges::max_element(z);
    double sum = 0;
    for (float& v : z) {
        v = std::exp(v - top);
        sum += v;
    }
    for (float& v : z) v = static_cast<float>(v / sum);
    return z;
}

}  // namespace vg::vision
