#include "sim/synth_parts.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "gate/key_ring.h"
#include "gate/token.h"

namespace vg::sim::parts {

cv::Mat background(cv::Size size, Rng& r, bool finder_like_clutter, cv::RNG& noise) {
    cv::Mat bg(size, CV_32FC3);
    const cv::Scalar a = colour(r), b = colour(r);
    const double ang = uni(r, 0, 2 * kPi);
    for (int y = 0; y < size.height; ++y) {
        auto* row = bg.ptr<cv::Vec3f>(y);
        for (int x = 0; x < size.width; ++x) {
            const double t = 0.5 + 0.5 * std::sin(ang) * (x / double(size.width) - 0.5) * 2 +
                             0.5 * std::cos(ang) * (y / double(size.height) - 0.5);
            const double u = std::clamp(t, 0.0, 1.0);
            for (int c = 0; c < 3; ++c) row[x][c] = static_cast<float>(a[c] * (1 - u) + b[c] * u);
        }
    }
    // Value noise in a few octaves.
    for (int octave = 0; octave < 3; ++octave) {
        const int cells = 4 << (octave * 2);
        cv::Mat small(cells * size.height / size.width + 2, cells + 2, CV_32FC3);
        noise.fill(small, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(uni(r, 5, 35)));
        cv::Mat big;
        cv::resize(small, big, size, 0, 0, cv::INTER_CUBIC);
        bg += big;
    }
    cv::Mat out;
    bg.convertTo(out, CV_8UC3);
    const int shapes = static_cast<int>(uni(r, 3, 25));
    for (int i = 0; i < shapes; ++i) {
        const cv::Point p(static_cast<int>(uni(r, 0, size.width)), static_cast<int>(uni(r, 0, size.height)));
        const int s = static_cast<int>(uni(r, 10, size.width / 4.0));
        switch (static_cast<int>(uni(r, 0, 4))) {
            case 0:
                cv::rectangle(out, {p, cv::Size(s, static_cast<int>(s * uni(r, 0.2, 2)))}, colour(r), cv::FILLED);
                break;
            case 1:
                cv::ellipse(out, p, {s / 2, s / 3}, uni(r, 0, 180), 0, 360, colour(r), cv::FILLED);
                break;
            case 2:
                cv::line(out, p, p + cv::Point(s, static_cast<int>(uni(r, -s, s))), colour(r),
                         static_cast<int>(uni(r, 1, 12)));
                break;
            default:
                cv::putText(out, fmt::format("{:X}", r() % 0xFFFFFF), p, cv::FONT_HERSHEY_SIMPLEX, uni(r, 0.5, 3),
                            colour(r), static_cast<int>(uni(r, 1, 5)));
        }
    }
    if (finder_like_clutter) {
        // Nested squares and checkerboards: what a QR finder pattern search can mistake for a code.
        const int n = static_cast<int>(uni(r, 2, 6));
        for (int i = 0; i < n; ++i) {
            const int s = static_cast<int>(uni(r, 14, 120));
            const cv::Point p(static_cast<int>(uni(r, 0, size.width - s)),
                              static_cast<int>(uni(r, 0, size.height - s)));
            if (chance(r, 0.5)) {
                cv::rectangle(out, {p, cv::Size(s, s)}, cv::Scalar::all(20), cv::FILLED);
                cv::rectangle(out, {p + cv::Point(s / 7, s / 7), cv::Size(5 * s / 7, 5 * s / 7)}, cv::Scalar::all(235),
                              cv::FILLED);
                cv::rectangle(out, {p + cv::Point(2 * s / 7, 2 * s / 7), cv::Size(3 * s / 7, 3 * s / 7)},
                              cv::Scalar::all(20), cv::FILLED);
            } else {
                const int cell = std::max(2, s / 8);
                for (int y = 0; y < 8; ++y)
                    for (int x = 0; x < 8; ++x)
                        if (((x + y) & 1) != 0 || chance(r, 0.2))
                            cv::rectangle(out, {p + cv::Point(x * cell, y * cell), cv::Size(cell, cell)},
                                          cv::Scalar::all(15), cv::FILLED);
            }
        }
    }
    return out;
}

cv::Matx33d rotation(double pitch, double yaw, double roll) {
    const cv::Matx33d rx(1, 0, 0, 0, std::cos(pitch), -std::sin(pitch), 0, std::sin(pitch), std::cos(pitch));
    const cv::Matx33d ry(std::cos(yaw), 0, std::sin(yaw), 0, 1, 0, -std::sin(yaw), 0, std::cos(yaw));
    const cv::Matx33d rz(std::cos(roll), -std::sin(roll), 0, std::sin(roll), std::cos(roll), 0, 0, 0, 1);
    return rz * rx * ry;
}

double cardCameraFocalPx(Rng& r) { return uni(r, 4.5, 5.5) * 1.2 / (cards::kQrModuleMm / 1000.0); }

void defocusBlur(cv::Mat& img, double radius) {
    cv::Mat k = cv::Mat::zeros(static_cast<int>(2 * std::ceil(radius) + 1), static_cast<int>(2 * std::ceil(radius) + 1),
                               CV_32F);
    cv::circle(k, {k.cols / 2, k.rows / 2}, static_cast<int>(std::round(radius)), cv::Scalar(1), cv::FILLED);
    k /= cv::sum(k)[0];
    cv::filter2D(img, img, -1, k);
}

void motionBlur(cv::Mat& img, double length, double angle) {
    const int len = std::max(2, static_cast<int>(std::round(length)));
    cv::Mat k = cv::Mat::zeros(len * 2 + 1, len * 2 + 1, CV_32F);
    const cv::Point half(static_cast<int>(len / 2.0 * std::cos(angle)), static_cast<int>(len / 2.0 * std::sin(angle)));
    cv::line(k, cv::Point(len, len) - half, cv::Point(len, len) + half, cv::Scalar(1));
    k /= cv::sum(k)[0];
    cv::filter2D(img, img, -1, k);
}

void addNoise(cv::Mat& img, double sigma, cv::RNG& noise) {
    cv::Mat n(img.size(), CV_16SC3);
    noise.fill(n, cv::RNG::NORMAL, cv::Scalar::all(0), cv::Scalar::all(sigma));
    cv::Mat f16;
    img.convertTo(f16, CV_16SC3);
    f16 += n;
    f16.convertTo(img, CV_8UC3);
}

cv::Mat jpegRoundTrip(const cv::Mat& img, int quality) {
    std::vector<std::uint8_t> jpeg;
    cv::imencode(".jpg", img, jpeg, {cv::IMWRITE_JPEG_QUALITY, quality});
    return cv::imdecode(jpeg, cv::IMREAD_COLOR);
}

std::expected<std::vector<cards::CardSpec>, std::string> synthCards(std::uint64_t seed, int count) {
    // A deterministic key ring: the key file format of gate/key_ring.cpp with a secret drawn from the seed.
    Rng r(seed ^ 0x5eed5eedULL);
    std::string hex;
    for (int i = 0; i < 32; ++i) hex += fmt::format("{:02x}", static_cast<unsigned>(r() & 0xff));
    const auto key_file = std::filesystem::temp_directory_path() / fmt::format("vg-synth-{}-{}.keys", seed, ::getpid());
    std::ofstream(key_file) << "vg-token-keys 1\n1 2026-11-01T00:00:00.000Z - " << hex << "\n";
    auto ring = gate::KeyRing::load(key_file);
    std::filesystem::remove(key_file);
    if (!ring) return std::unexpected("key ring: " + ring.error());
    const char* units[] = {"12-301", "3-1502", "7号楼402", "21-101", "5-603", "9-1201", "16-204", "2-302"};
    std::vector<cards::CardSpec> out;
    for (int i = 0; i < count; ++i) {
        const auto serial = static_cast<std::uint32_t>(1000 + i * 37 + (seed % 1000));
        auto token = gate::encodeToken({gate::kTokenVersion1, 1, serial, gate::YearMonth{2026, 11}}, *ring);
        if (!token) return std::unexpected(std::string("token: ") + std::string(gate::toString(token.error())));
        out.push_back(cards::CardSpec{units[i % 8], {2026, 11}, serial, *token, std::nullopt});
    }
    return out;
}

}  // namespace vg::sim::parts
