// QR benchmark: decode rate, false decodes and per-frame time (one thread) of vg::vision::QrReader against plain
// zxing-cpp ReadBarcode (default hints) on the same frames in the same run: generated card-camera frames at 720p
// and 1080p (plus frames without a code and plate-camera frames), phone-screen passes at 720p and 1080p (the
// console's voucher image on a phone held to the camera for 10-25 frames, read as a lane reads them), and the real
// photos of ../shared/data/qr.
// Usage: qr_bench [--frames N] [--no-code N] [--plate N] [--phone N] [--phone-no-code N] [--seed S] [--photos DIR]
//                 [--only card|phone] [--misses DIR]
// --misses writes every frame of a phone pass that was not read as PNG (pass_III_FF.png), as it was decoded.
#include <ZXing/ReadBarcode.h>
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <string>
#include <vector>

#include "bench/option_number.h"
#include "bench/qr/bench_card_options.h"
#include "sim/frame_synth.h"
#include "sim/phone_synth.h"
#include "vision/qr_reader.h"

namespace {

using Clock = std::chrono::steady_clock;

// CPU time of this thread: on a box shared with other jobs (load 8 on 2 cores while this was measured) wall time
// mostly measures the queue for a core; CPU time is what one free core would need.
double threadCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Sample {
    cv::Mat image;
    std::string expected;  // empty: no code (any decode is false)
    std::string name;
};

using Decoder = std::function<std::vector<std::string>(const cv::Mat&)>;

struct Tally {
    int with_code = 0, decoded = 0, false_decodes = 0, without_code = 0;
    std::vector<double> ms, ms_no_code, wall;
    std::vector<std::string> misses;
};

// Line endings inside payloads differ between the label files and what encoders put in the symbol.
std::string normalise(const std::string& s) {
    std::string o;
    for (char c : s)
        if (c != '\r') o += c;
    return o;
}

Tally run(const std::vector<Sample>& samples, const Decoder& decode) {
    Tally t;
    for (const auto& s : samples) {
        const auto t0 = Clock::now();
        const double c0 = threadCpuMs();
        const auto texts = decode(s.image);
        const double ms = threadCpuMs() - c0;
        t.wall.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        t.ms.push_back(ms);
        if (s.expected.empty()) {
            ++t.without_code;
            t.ms_no_code.push_back(ms);
            t.false_decodes += static_cast<int>(texts.size());
            continue;
        }
        ++t.with_code;
        bool hit = false;
        for (const auto& x : texts) {
            if (normalise(x) == normalise(s.expected))
                hit = true;
            else
                ++t.false_decodes;
        }
        t.decoded += hit;
        if (!hit) t.misses.push_back(s.name);
    }
    return t;
}

// Camera mode over the frame sequence: a held card stays in view for several frames, so each frame with a code is
// shown up to `hold` times in a row (the same image: a still hand, the hardest case for a rotation) and counts as
// decoded if any of those frames reads it; every call is one frame in the time columns. `first_frame` counts the
// cards read on the first frame they were shown.
Tally runCamera(const std::vector<Sample>& samples, const vg::vision::QrReader& reader, int hold, int& first_frame,
                std::vector<int>& frames_to_read) {
    Tally t;
    first_frame = 0;
    for (const auto& s : samples) {
        const int shows = s.expected.empty() ? 1 : hold;
        bool hit = false;
        for (int k = 0; k < shows && !hit; ++k) {
            const auto t0 = Clock::now();
            const double c0 = threadCpuMs();
            const auto reads = reader.read(s.image);
            const double ms = threadCpuMs() - c0;
            t.wall.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
            t.ms.push_back(ms);
            if (s.expected.empty()) {
                t.ms_no_code.push_back(ms);
                t.false_decodes += static_cast<int>(reads.size());
                continue;
            }
            for (const auto& q : reads) {
                if (normalise(q.text) == normalise(s.expected))
                    hit = true;
                else
                    ++t.false_decodes;
            }
            if (hit) {
                frames_to_read.push_back(k + 1);
                if (k == 0) ++first_frame;
            }
        }
        if (s.expected.empty()) {
            ++t.without_code;
            continue;
        }
        ++t.with_code;
        t.decoded += hit;
        if (!hit) t.misses.push_back(s.name);
    }
    return t;
}

// Which second-pass variant read the frames the first pass missed (still mode, all variants).
std::map<std::string, int> rescues(const std::vector<Sample>& samples, const vg::vision::QrReader& reader) {
    std::map<std::string, int> by;
    for (const auto& s : samples) {
        if (s.expected.empty()) continue;
        vg::vision::QrTrace trace;
        const auto reads = reader.read(s.image, {}, &trace);
        const bool hit = std::any_of(reads.begin(), reads.end(),
                                     [&](const auto& q) { return normalise(q.text) == normalise(s.expected); });
        if (hit && !trace.variants.empty()) ++by[trace.variants.back()];
    }
    return by;
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(
        std::min<double>(static_cast<double>(v.size() - 1), p * static_cast<double>(v.size() - 1) + 0.5));
    return v[i];
}

void row(const std::string& set, const std::string& who, const Tally& t) {
    const double rate = t.with_code ? 100.0 * t.decoded / t.with_code : 0;
    std::printf("| %s | %s | %d/%d (%.1f%%) | %d | %.2f | %.2f | %.2f | %.2f |\n", set.c_str(), who.c_str(), t.decoded,
                t.with_code, rate, t.false_decodes, percentile(t.ms, 0.5), percentile(t.ms, 0.95),
                percentile(t.ms_no_code, 0.95), percentile(t.wall, 0.95));
    std::fflush(stdout);
}

std::vector<std::pair<std::string, std::string>> readLabels(const std::filesystem::path& csv) {
    std::ifstream f(csv, std::ios::binary);
    const std::string s((std::istreambuf_iterator<char>(f)), {});
    std::vector<std::pair<std::string, std::string>> out;
    std::vector<std::string> fields;
    std::string cur;
    bool quoted = false, header = true;
    const auto endRow = [&] {
        fields.push_back(cur);
        cur.clear();
        if (!header && fields.size() >= 2) out.emplace_back(fields[0], fields[1]);
        header = false;
        fields.clear();
    };
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (quoted) {
            if (c == '"' && i + 1 < s.size() && s[i + 1] == '"')
                cur += '"', ++i;
            else if (c == '"')
                quoted = false;
            else
                cur += c;
        } else if (c == '"')
            quoted = true;
        else if (c == ',')
            fields.push_back(cur), cur.clear();
        else if (c == '\n')
            endRow();
        else if (c != '\r')
            cur += c;
    }
    if (!cur.empty() || !fields.empty()) endRow();
    return out;
}

// Phone-screen passes: each pass is 10-25 consecutive frames of one phone held to the camera, read frame by frame
// with ONE camera-mode reader for the whole set (as a lane reads pass after pass) and by plain zxing. A pass is read
// if any of its frames gives the token; every frame is read (the time columns count every call).
struct PassTally {
    int passes = 0, read = 0, false_decodes = 0, frames = 0, frames_read = 0, no_code_passes = 0;
    std::vector<double> ms, ms_no_code, wall;
    std::vector<int> until;  // frames until the first read, per read pass
    std::vector<std::string> misses;
};

struct PhoneDecoder {
    std::string name;
    Decoder decode;
    PassTally t;
};

void passRow(const std::string& set, const PhoneDecoder& d) {
    const PassTally& t = d.t;
    std::vector<double> until(t.until.begin(), t.until.end());
    std::printf("| %s | %s | %d/%d (%.1f%%) | %d | %d/%d (%.1f%%) | %.0f / %.0f / %.0f | %.2f | %.2f | %.2f | %.2f |\n",
                set.c_str(), d.name.c_str(), t.read, t.passes, t.passes ? 100.0 * t.read / t.passes : 0,
                t.false_decodes, t.frames_read, t.frames, t.frames ? 100.0 * t.frames_read / t.frames : 0,
                percentile(until, 0.5), percentile(until, 0.95), until.empty() ? 0 : percentile(until, 1.0),
                percentile(t.ms, 0.5), percentile(t.ms, 0.95), percentile(t.ms_no_code, 0.95),
                percentile(t.wall, 0.95));
    std::fflush(stdout);
}

void runPass(const vg::sim::PhonePass& pass, PhoneDecoder& d) {
    PassTally& t = d.t;
    const bool code = !pass.text.empty();
    int first = 0;
    for (std::size_t k = 0; k < pass.frames.size(); ++k) {
        const auto t0 = Clock::now();
        const double c0 = threadCpuMs();
        const auto texts = d.decode(pass.frames[k].image);
        const double ms = threadCpuMs() - c0;
        t.wall.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
        t.ms.push_back(ms);
        if (!code) t.ms_no_code.push_back(ms);
        bool hit = false;
        for (const auto& x : texts) {
            if (code && x == pass.text)
                hit = true;
            else
                ++t.false_decodes;
        }
        if (!code) continue;
        ++t.frames;
        t.frames_read += hit;
        if (hit && first == 0) first = static_cast<int>(k) + 1;
    }
    if (!code) {
        ++t.no_code_passes;
        return;
    }
    ++t.passes;
    if (first > 0) {
        ++t.read;
        t.until.push_back(first);
    }
}

}  // namespace

int main(int argc, char** argv) {
    int frames = 500, no_code = 100, plate = 100;
    std::uint64_t seed = 2026;
    std::filesystem::path photos = "/work/shared/data/qr", misses_dir;
    int phone = 300, phone_no_code = 60;
    std::string only;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i], v = argv[i + 1];
        if (a == "--frames")
            frames = vg::bench::optionNumber<int>(a, v);
        else if (a == "--no-code")
            no_code = vg::bench::optionNumber<int>(a, v);
        else if (a == "--plate")
            plate = vg::bench::optionNumber<int>(a, v);
        else if (a == "--seed")
            seed = vg::bench::optionNumber<std::uint64_t>(a, v);
        else if (a == "--photos")
            photos = v;
        else if (a == "--phone")
            phone = vg::bench::optionNumber<int>(a, v);
        else if (a == "--phone-no-code")
            phone_no_code = vg::bench::optionNumber<int>(a, v);
        else if (a == "--only")
            only = v;
        else if (a == "--misses")
            misses_dir = v;
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    cv::setNumThreads(1);
    auto synth = vg::sim::FrameSynth::make(seed);
    if (!synth) {
        std::fprintf(stderr, "%s\n", synth.error().c_str());
        return 1;
    }

    const vg::vision::QrReader all_codes{vg::vision::QrOptions{}};
    vg::vision::QrOptions first_opt;
    first_opt.max_symbols = 1;
    const vg::vision::QrReader first_code{first_opt};
    std::vector<std::string> notes;
    vg::vision::QrOptions camera_opt = first_opt;
    camera_opt.mode = vg::vision::QrScanMode::Camera;
    constexpr int kHold = 6;
    const auto cameraRow = [&](const std::string& set, const std::vector<Sample>& samples) {
        const vg::vision::QrReader camera{camera_opt};  // one reader per camera, as the daemon has
        int first_frame = 0;
        std::vector<int> frames_to_read;
        const Tally t = runCamera(samples, camera, kHold, first_frame, frames_to_read);
        row(set, fmt::format("QrReader camera mode (first code, held {} frames)", kHold), t);
        std::sort(frames_to_read.begin(), frames_to_read.end());
        notes.push_back(fmt::format(
            "{}: camera mode read {}/{} on the first frame shown, {} within {} frames, worst {} frames", set,
            first_frame, t.with_code, t.decoded, kHold, frames_to_read.empty() ? 0 : frames_to_read.back()));
        for (const auto& m : t.misses) notes.push_back(fmt::format("{}: camera mode miss {}", set, m));
    };
    const auto rescueNote = [&](const std::string& set, const std::vector<Sample>& samples) {
        std::string line = set + ": second-pass rescues (still mode):";
        for (const auto& [v, n] : rescues(samples, first_code)) line += fmt::format(" {} x{};", v, n);
        notes.push_back(line);
    };
    const auto ours = [](const vg::vision::QrReader& reader) {
        return Decoder([&reader](const cv::Mat& img) {
            std::vector<std::string> texts;
            for (auto& q : reader.read(img)) texts.push_back(q.text);
            return texts;
        });
    };
    const Decoder plain = [](const cv::Mat& img) {
        std::vector<std::string> texts;
        const auto r =
            ZXing::ReadBarcode({img.data, img.cols, img.rows, ZXing::ImageFormat::BGR, static_cast<int>(img.step)});
        if (r.isValid()) texts.push_back(r.text());
        return texts;
    };
    const std::vector<std::pair<std::string, Decoder>> decoders = {{"QrReader (all codes)", ours(all_codes)},
                                                                   {"QrReader (first code)", ours(first_code)},
                                                                   {"plain ReadBarcode", plain}};

    if (only == "phone") frames = no_code = plate = 0, photos.clear();
    if (only == "card") phone = phone_no_code = 0;
    if (frames + no_code > 0) {
        std::printf(
            "| set | decoder | decoded | false decodes | median ms | p95 ms | p95 ms (no code) | p95 wall ms |\n");
        std::printf("|---|---|---|---|---|---|---|---|\n");
    }
    for (const cv::Size size : {cv::Size(1280, 720), cv::Size(1920, 1080)}) {
        if (frames + no_code == 0) break;
        std::vector<Sample> samples;
        for (int i = 0; i < frames + no_code; ++i) {
            auto f = synth->frame(static_cast<std::uint64_t>(i), size, vg::sim::CameraKind::Card, i < frames);
            samples.push_back({f.image, f.text, fmt::format("#{} {}", i, f.description)});
        }
        const std::string set = fmt::format("card camera {}p ({} + {} no code)", size.height, frames, no_code);
        for (const auto& [who, dec] : decoders) {
            const Tally t = run(samples, dec);
            row(set, who, t);
            if (who == decoders.front().first)
                for (const auto& m : t.misses) notes.push_back(fmt::format("{}p miss {}", size.height, m));
        }
        cameraRow(set, samples);
        rescueNote(set, samples);
    }
    if (plate > 0) {
        std::vector<Sample> samples;
        for (int i = 0; i < plate; ++i) {
            auto f = synth->frame(static_cast<std::uint64_t>(i), {1920, 1080}, vg::sim::CameraKind::Plate, true);
            samples.push_back({f.image, f.text, f.description});
        }
        for (const auto& [who, dec] : decoders)
            row(fmt::format("plate camera 1080p, 3-6 m ({})", plate), who, run(samples, dec));
    }

    if (!photos.empty() && std::filesystem::is_directory(photos)) {
        std::vector<Sample> real, negatives;
        for (const char* set : {"zxing-java", "zxing-cpp"}) {
            for (const auto& [file, text] : readLabels(photos / set / "labels.csv")) {
                cv::Mat img = cv::imread((photos / set / file).string(), cv::IMREAD_COLOR);
                if (img.empty()) {
                    std::fprintf(stderr, "cannot read %s/%s\n", set, file.c_str());
                    continue;
                }
                real.push_back({img, text, std::string(set) + "/" + file});
            }
        }
        for (const auto& e : std::filesystem::directory_iterator(photos / "zxing-java-negatives")) {
            cv::Mat img = cv::imread(e.path().string(), cv::IMREAD_COLOR);
            if (!img.empty()) negatives.push_back({img, "", e.path().filename().string()});
        }
        for (const auto& [who, dec] : decoders) {
            const Tally t = run(real, dec);
            row(fmt::format("real photos ({})", real.size()), who, t);
            if (who == decoders.front().first)
                for (const auto& m : t.misses) notes.push_back("real miss " + m);
        }
        cameraRow(fmt::format("real photos ({})", real.size()), real);
        rescueNote("real photos", real);
        for (const auto& [who, dec] : decoders)
            row(fmt::format("real negatives ({})", negatives.size()), who, run(negatives, dec));
        cameraRow(fmt::format("real negatives ({})", negatives.size()), negatives);
    }

    if (phone + phone_no_code > 0) {
        auto passes = vg::sim::PhoneSynth::make(seed, vg::bench::benchCardOptions());
        if (!passes) {
            std::fprintf(stderr, "%s\n", passes.error().c_str());
            return 1;
        }
        std::printf(
            "\n| set | decoder | passes read | false decodes | frames read | frames until read (median / p95 / "
            "max) | median ms | p95 ms | p95 ms (no code) | p95 wall ms |\n");
        std::printf("|---|---|---|---|---|---|---|---|---|---|\n");
        if (!misses_dir.empty()) std::filesystem::create_directories(misses_dir);
        for (const cv::Size size : {cv::Size(1280, 720), cv::Size(1920, 1080)}) {
            const vg::vision::QrReader camera{camera_opt};  // one reader for the whole set, as a lane has
            std::vector<PhoneDecoder> decs;
            decs.push_back({"QrReader camera mode", ours(camera), {}});
            decs.push_back({"plain ReadBarcode", plain, {}});
            std::vector<double> gen_ms;
            // The passes with and without a code interleaved (one without after every few with), as at a lane.
            const int total = phone + phone_no_code;
            int with = 0, without = 0;
            for (int i = 0; i < total; ++i) {
                const bool code =
                    without >= phone_no_code || (with < phone && (with + 1) * phone_no_code > without * phone);
                const int index = code ? with++ : without++;
                const double g0 = threadCpuMs();
                const auto pass = passes->pass(static_cast<std::uint64_t>(index), size, code);
                gen_ms.push_back((threadCpuMs() - g0) / static_cast<double>(pass.frames.size()));
                const int before = decs.front().t.read;
                for (auto& d : decs) runPass(pass, d);
                if (code && decs.front().t.read == before) {
                    notes.push_back(fmt::format("phone {}p: camera mode missed pass #{} ({} frames): {}; frame 1: {}",
                                                size.height, index, pass.frames.size(), pass.description,
                                                pass.frames.front().description));
                    for (std::size_t k = 0; !misses_dir.empty() && k < pass.frames.size(); ++k)
                        cv::imwrite(
                            (misses_dir / fmt::format("{}p_pass_{:03}_{:02}.png", size.height, index, k)).string(),
                            pass.frames[k].image);
                }
            }
            const std::string set =
                fmt::format("phone screen {}p ({} passes + {} without a code)", size.height, phone, phone_no_code);
            for (const auto& d : decs) passRow(set, d);
            notes.push_back(fmt::format("phone {}p: generating took {:.0f} ms per frame (median)", size.height,
                                        percentile(gen_ms, 0.5)));
        }
    }
    for (const auto& n : notes) std::printf("%s\n", n.c_str());
    return 0;
}
