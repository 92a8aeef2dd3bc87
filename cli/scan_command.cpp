#include "cli/scan_command.h"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <optional>
#include <system_error>

#include "config/keys.h"
#include "vision/plate_pipeline.h"
#include "vision/qr_reader.h"

namespace vg::cli {
namespace {

using nlohmann::json;

// Why a path cannot be scanned, or nothing when it can be opened for reading.
std::optional<std::string> unreadableReason(const std::string& path) {
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (ec || !std::filesystem::exists(status)) return "no such file";
    if (std::filesystem::is_directory(status)) return "is a directory, not an image";
    std::ifstream probe(path, std::ios::binary);
    if (!probe) return "cannot open the file (permission denied?)";
    return std::nullopt;
}

json cornersJson(const std::array<cv::Point2f, 4>& corners) {
    json a = json::array();
    for (const auto& p : corners) a.push_back({std::round(p.x * 10) / 10, std::round(p.y * 10) / 10});
    return a;
}

// The confidence the daemon accepts a plate read at: lanes.min_plate_confidence's default from the key table
// (scan needs no config file).
float defaultMinPlateConfidence() {
    float value = 0.8F;
    if (const auto* key = config::findKey("lanes.min_plate_confidence")) {
        const auto text = key->default_toml;
        std::from_chars(text.data(), text.data() + text.size(), value);
    }
    return value;
}

double round3(double v) { return std::round(v * 1000) / 1000; }

// Plates the daemon would accept, best first: text, colour, lowest and per-character confidence, quad (TL TR BR BL).
json platesIn(vision::PlatePipeline* plates, const cv::Mat& image, float minConfidence) {
    json a = json::array();
    if (plates == nullptr) return a;
    for (const auto& r : plates->read(image, {.roi = {}, .min_confidence = minConfidence, .max_reads = 4})) {
        json chars = json::array();
        for (const float c : r.char_confidence) chars.push_back(round3(c));
        a.push_back({{"text", r.text},
                     {"colour", r.colour},
                     {"confidence", round3(r.confidence)},
                     {"char_confidence", chars},
                     {"quad", cornersJson(r.quad)}});
    }
    return a;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

int runScan(const std::vector<std::string>& images, bool json_output, std::ostream& out, std::ostream& err,
            const vision::FrameClock& clock) {
    if (images.empty()) {
        err << "scan: give at least one image file\n";
        return 2;
    }
    const vision::QrReader reader{vision::QrOptions{}};
    // Without the plate model scan still reads QR codes; "plates" stays empty and the reason goes to stderr once.
    auto plate_pipeline = vision::PlatePipeline::loadDefault();
    if (!plate_pipeline) err << "scan: plate reader unavailable: " << plate_pipeline.error() << "\n";
    const float min_plate_confidence = defaultMinPlateConfidence();
    int status = 0;
    for (const auto& path : images) {
        const auto t0 = clock.now();
        std::optional<std::string> error = unreadableReason(path);
        cv::Mat image;
        if (!error) {
            try {
                image = cv::imread(path, cv::IMREAD_COLOR);
            } catch (const cv::Exception&) {
                image.release();
            }
            if (image.empty()) error = "not a readable image (corrupt or unsupported format)";
        }
        std::vector<vision::QrRead> codes;
        json plates = json::array();
        if (!error) {
            codes = reader.read(image);
            plates = platesIn(plate_pipeline ? &*plate_pipeline : nullptr, image, min_plate_confidence);
        }
        const double ms = std::chrono::duration<double, std::milli>(clock.now() - t0).count();
        const double ms_rounded = std::round(ms * 10) / 10;

        if (error) {
            status = 2;
            err << "scan: " << path << ": " << *error << "\n";
        }
        if (json_output) {
            json j;
            j["image"] = path;
            if (error) j["error"] = *error;
            j["qr"] = json::array();
            for (const auto& c : codes) j["qr"].push_back({{"text", c.text}, {"corners", cornersJson(c.corners)}});
            j["plates"] = plates;
            j["ms"] = ms_rounded;
            out << dump(j) << "\n";
        } else if (error) {
            out << path << ": error: " << *error << "\n";
        } else {
            out << path << ": "
                << (codes.empty() ? std::string("no QR code")
                                  : fmt::format("{} QR code{}", codes.size(), codes.size() > 1 ? "s" : ""))
                << fmt::format(" ({:.1f} ms)", ms) << "\n";
            for (const auto& c : codes) {
                out << "  QR " << c.text << "  corners";
                for (const auto& p : c.corners) out << fmt::format(" ({:.0f},{:.0f})", p.x, p.y);
                out << "\n";
            }
            for (const auto& p : plates) {
                out << fmt::format("  plate {} {} confidence {:.2f}\n", p["text"].get<std::string>(),
                                   p["colour"].get<std::string>(), p["confidence"].get<double>());
            }
        }
    }
    return status;
}

}  // namespace vg::cli
