#include "vision/plate_reader.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>
#include <utility>

namespace vg::vision {
namespace {

// Reads `key` at one of a few spellings, so a renamed key in the trainer's JSON fails loudly rather than silently.
template <typename T>
bool fetch(const nlohmann::json& obj, std::initializer_list<const char*> keys, T& out) {
    for (const char* k : keys) {
        if (obj.is_object() && obj.contains(k) && !obj[k].is_null()) {
            out = obj[k].get<T>();
            return true;
        }
    }
    return false;
}

}  // namespace

std::expected<ReaderMetadata, std::string> parseReaderMetadata(const std::string& jsonText) {
    ReaderMetadata m;
    try {
        const auto j = nlohmann::json::parse(jsonText);
        const auto& in = j.contains("input") ? j["input"] : j;
        const auto& out = j.contains("output") ? j["output"] : j;
        const auto& crop = j.contains("crop") ? j["crop"] : j;
        if (!fetch(in, {"width", "w"}, m.width) || !fetch(in, {"height", "h"}, m.height)) {
            return std::unexpected("metadata: input.width/height missing");
        }
        fetch(in, {"channels", "c"}, m.channels);
        if (!fetch(in, {"scale"}, m.scale) || !fetch(in, {"mean"}, m.mean)) {
            return std::unexpected("metadata: input.scale/mean missing");
        }
        fetch(out, {"name", "output_name"}, m.output_name);
        std::string layout = "CT";
        fetch(out, {"layout"}, layout);
        if (layout != "CT" && layout != "TC") return std::unexpected("metadata: output.layout must be CT or TC");
        m.classes_first = layout == "CT";
        fetch(out, {"timesteps", "T"}, m.timesteps);
        std::string kind;
        if (fetch(out, {"values", "activation", "kind"}, kind)) {
            m.output_is_probability = kind == "softmax" || kind == "probabilities" || kind == "prob";
        }
        if (!fetch(j, {"charset"}, m.charset) && !fetch(out, {"charset"}, m.charset)) {
            return std::unexpected("metadata: charset missing");
        }
        if (!fetch(j, {"blank"}, m.blank)) fetch(out, {"blank", "blank_index"}, m.blank);
        if (!fetch(out, {"classes", "C"}, m.classes)) m.classes = static_cast<int>(m.charset.size());
        if (m.classes != static_cast<int>(m.charset.size())) {
            return std::unexpected("metadata: output.classes does not match the charset size");
        }
        if (!fetch(crop, {"margin_x"}, m.margin_x) || !fetch(crop, {"margin_y"}, m.margin_y)) {
            return std::unexpected("metadata: crop.margin_x/margin_y missing");
        }
    } catch (const nlohmann::json::exception& e) {
        return std::unexpected(std::string("metadata: ") + e.what());
    }
    if (m.width < 8 || m.height < 4 || m.channels != 1 || m.timesteps < 8 || m.blank < 0 || m.blank >= m.classes) {
        return std::unexpected("metadata: unsupported input or output shape");
    }
    return m;
}

PlateReader::PlateReader(cv::dnn::Net net, ReaderMetadata meta, GrammarOptions grammar)
    : net_(net), meta_(std::move(meta)), grammar_(meta_.charset, meta_.blank, grammar) {}

std::expected<PlateReader, std::string> PlateReader::load(const std::filesystem::path& onnxPath,
                                                          const std::filesystem::path& metadataPath,
                                                          GrammarOptions grammar) {
    std::ifstream in(metadataPath);
    if (!in) return std::unexpected("cannot open " + metadataPath.string());
    std::stringstream text;
    text << in.rdbuf();
    auto meta = parseReaderMetadata(text.str());
    if (!meta) return std::unexpected(meta.error() + " (" + metadataPath.string() + ")");
    try {
        cv::dnn::Net net = cv::dnn::readNetFromONNX(onnxPath.string());
        if (net.empty()) return std::unexpected("empty network in " + onnxPath.string());
        net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
        net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
        PlateReader reader(net, std::move(*meta), grammar);
        // One dry run: a model that loads but cannot run (unsupported layer shapes) should fail at start-up.
        const cv::Mat probe(reader.meta_.height, reader.meta_.width, CV_8U, cv::Scalar(128));
        const cv::Mat out = reader.rawOutput(probe);
        if (out.total() != static_cast<std::size_t>(reader.meta_.classes * reader.meta_.timesteps)) {
            return std::unexpected("network output does not match the metadata's classes x timesteps");
        }
        return reader;
    } catch (const cv::Exception& e) {
        return std::unexpected("cannot load " + onnxPath.string() + ": " + e.what());
    } catch (const std::invalid_argument& e) {
        return std::unexpected(e.what());
    }
}

std::expected<PlateReader, std::string> PlateReader::loadDefault(GrammarOptions grammar) {
    // The source tree's model for programs run from a build tree; the installed copy (cmake --install) otherwise.
    std::filesystem::path dir = VG_MODEL_DIR;
    std::error_code ec;
    if (!std::filesystem::exists(dir / "plate_reader.onnx", ec)) dir = VG_INSTALLED_MODEL_DIR;
    return load(dir / "plate_reader.onnx", dir / "plate_reader.json", grammar);
}

cv::Mat PlateReader::prepare(const cv::Mat& plateImage) const {
    cv::Mat grey;
    if (plateImage.channels() == 3) {
        cv::cvtColor(plateImage, grey, cv::COLOR_BGR2GRAY);
    } else if (plateImage.channels() == 4) {
        cv::cvtColor(plateImage, grey, cv::COLOR_BGRA2GRAY);
    } else {
        grey = plateImage;
    }
    cv::Mat out;
    cv::resize(grey, out, cv::Size(meta_.width, meta_.height), 0, 0, cv::INTER_LINEAR);
    return out;
}

cv::Mat warpPlateRegion(const cv::Mat& image, const PlateQuad& quad, cv::Point2f topLeft, cv::Point2f bottomRight,
                        cv::Size minSize) {
    const std::array<cv::Point2f, 4> unit{{{0, 0}, {1, 0}, {1, 1}, {0, 1}}};
    const cv::Mat toQuad = cv::getPerspectiveTransform(unit.data(), quad.data());
    std::vector<cv::Point2f> region{topLeft, {bottomRight.x, topLeft.y}, bottomRight, {topLeft.x, bottomRight.y}};
    cv::perspectiveTransform(region, region, toQuad);
    auto dist = [](cv::Point2f a, cv::Point2f b) { return std::hypot(a.x - b.x, a.y - b.y); };
    const int w =
        std::clamp(static_cast<int>(std::lround(std::max(dist(region[0], region[1]), dist(region[3], region[2])))),
                   minSize.width, 2000);
    const int h =
        std::clamp(static_cast<int>(std::lround(std::max(dist(region[0], region[3]), dist(region[1], region[2])))),
                   minSize.height, 1000);
    const std::array<cv::Point2f, 4> dst{{{0, 0},
                                          {static_cast<float>(w), 0},
                                          {static_cast<float>(w), static_cast<float>(h)},
                                          {0, static_cast<float>(h)}}};
    const cv::Mat warp = cv::getPerspectiveTransform(region.data(), dst.data());
    cv::Mat upright;
    cv::warpPerspective(image, upright, warp, cv::Size(w, h), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
    if (upright.channels() == 1) return upright;
    cv::Mat grey;
    cv::cvtColor(upright, grey, upright.channels() == 4 ? cv::COLOR_BGRA2GRAY : cv::COLOR_BGR2GRAY);
    return grey;
}

cv::Mat PlateReader::crop(const cv::Mat& image, const PlateQuad& quad) const {
    // Same construction as the training script's evaluation crop: the plate grown by the margins in its own frame,
    // warped upright at native resolution so that the final resize can average (INTER_AREA).
    const auto mx = static_cast<float>(meta_.margin_x);
    const auto my = static_cast<float>(meta_.margin_y);
    const cv::Mat grey = warpPlateRegion(image, quad, {-mx, -my}, {1 + mx, 1 + my}, cv::Size(8, 4));
    cv::Mat out;
    cv::resize(grey, out, cv::Size(meta_.width, meta_.height), 0, 0, cv::INTER_AREA);
    return out;
}

cv::Mat PlateReader::blobOf(std::span<const cv::Mat> crops) const {
    std::vector<cv::Mat> floats;
    floats.reserve(crops.size());
    for (const cv::Mat& c : crops) {
        cv::Mat f;
        c.convertTo(f, CV_32F, meta_.scale, -meta_.mean);
        floats.push_back(f);
    }
    return cv::dnn::blobFromImages(floats, 1.0, cv::Size(), cv::Scalar(), false, false, CV_32F);
}

cv::Mat PlateReader::rawOutput(const cv::Mat& crop) {
    net_.setInput(blobOf(std::span<const cv::Mat>(&crop, 1)));
    cv::Mat out = meta_.output_name.empty() ? net_.forward() : net_.forward(meta_.output_name);
    const int rows = meta_.classes_first ? meta_.classes : meta_.timesteps;
    return out.reshape(1, rows).clone();
}

cv::Mat PlateReader::toProbabilities(const cv::Mat& raw) const {
    // raw: one sample, classes*timesteps floats in the metadata layout -> T x C, softmax per timestep.
    cv::Mat m = raw.reshape(1, meta_.classes_first ? meta_.classes : meta_.timesteps);
    cv::Mat tc = meta_.classes_first ? cv::Mat(m.t()) : m.clone();
    if (meta_.output_is_probability) return tc;
    for (int t = 0; t < tc.rows; ++t) {
        float* row = tc.ptr<float>(t);
        const float top = *std::max_element(row, row + tc.cols);
        float sum = 0.0F;
        for (int c = 0; c < tc.cols; ++c) {
            row[c] = std::exp(row[c] - top);
            sum += row[c];
        }
        for (int c = 0; c < tc.cols; ++c) row[c] /= sum;
    }
    return tc;
}

std::vector<cv::Mat> PlateReader::probabilities(std::span<const cv::Mat> crops) {
    std::vector<cv::Mat> result(crops.size());
    if (crops.empty()) return result;
    const auto perSample = static_cast<std::size_t>(meta_.classes * meta_.timesteps);
    if (crops.size() > 1 && batchWorks_) {
        try {
            net_.setInput(blobOf(crops));
            cv::Mat out = meta_.output_name.empty() ? net_.forward() : net_.forward(meta_.output_name);
            if (out.isContinuous() && out.total() == perSample * crops.size()) {
                const cv::Mat flat = out.reshape(1, static_cast<int>(crops.size()));
                for (std::size_t i = 0; i < crops.size(); ++i) {
                    result[i] = toProbabilities(flat.row(static_cast<int>(i)).clone());
                }
                return result;
            }
        } catch (const cv::Exception&) {
            // A static-shape export may refuse a batch: fall back to one crop at a time from now on.
        }
        batchWorks_ = false;
    }
    for (std::size_t i = 0; i < crops.size(); ++i) {
        try {
            result[i] = toProbabilities(rawOutput(crops[i]));
        } catch (const cv::Exception&) {
            result[i] = cv::Mat();
        }
    }
    return result;
}

std::vector<std::expected<PlateDecode, DecodeError>> PlateReader::read(std::span<const cv::Mat> crops) {
    std::vector<std::expected<PlateDecode, DecodeError>> out;
    for (const cv::Mat& p : probabilities(crops)) {
        if (p.empty()) {
            out.emplace_back(std::unexpected(DecodeError::BadShape));
        } else {
            out.push_back(grammar_.decode(p));
        }
    }
    return out;
}

}  // namespace vg::vision
