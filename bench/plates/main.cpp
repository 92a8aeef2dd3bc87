// bench/plates: accuracy and speed of plate finding and reading (not a CI test). See bench/README.md "## Plates".
//   bench_plates [--data DIR] [--model-dir DIR] [--sets lprnet,easypr,ccpd,gen,passes] [--gen N] [--passes N]
//                [--no-detector] [--scenes DIR] [--seed N] [--agree off|SLOPE,OFFSET]
//                [--confidence 0.8] [--dump DIR] [--errors]
// Real sets are evaluation only: nothing here is tuned to them. Generated scenes come from sim/plate_synth.cpp (in
// memory; --dump writes them as JPEG for inspection, e.g. to /tmp). Sets for fitting choices: `lprnet_train` (the
// `train` part of lprnet_crops), generated scenes with another --seed, and --scenes of kind_scenes.py with its own
// seed.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <numeric>
#include <opencv2/core/utility.hpp>
#include <opencv2/imgcodecs.hpp>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/option_number.h"
#include "gate/parse_number.h"
#include "sim/plate_synth.h"
#include "vision/plate_pipeline.h"
#include "vision/plate_voter.h"

namespace fs = std::filesystem;
using vg::vision::PlateRead;

namespace {

// A number field of a labels CSV row; a malformed one is an error that names the field.
float csvNumber(const std::map<std::string, std::string>& row, const std::string& field) {
    const std::string& text = row.at(field);
    if (const auto v = vg::gate::parseNumber<float>(text)) return *v;
    throw std::runtime_error("labels: field " + field + " is not a number: '" + text + "'");
}

struct Args {
    fs::path data = "/work/shared/data/plates";
    fs::path model_dir = VG_MODEL_DIR;
    std::string sets = "lprnet,easypr,ccpd,gen,passes";
    int gen = 150;
    int passes = 100;
    int frames_per_pass = 8;
    float confidence = 0.8F;
    fs::path dump;
    fs::path flat;  // flat plates from flat_plates.py; without it the bench draws its own (DIN glyphs)
    bool errors = false;
    bool detector = true;          // --no-detector: the classical finder alone, as before the learned detector
    std::vector<fs::path> scenes;  // --scenes: generated full scenes (kind_scenes.py), ccpd_dev's label format
    unsigned seed = 0;             // added to the generated sets' seeds: another seed for fitting
    std::optional<vg::vision::LookAgreement> agree;
    // --province off|SLOPE: the province look (plate_province.onnx in the model directory) off, or counted with
    // another slope (vision::ProvinceAgreement).
    std::optional<vg::vision::ProvinceAgreement> province;
};

std::vector<std::string> splitCsvLine(const std::string& line) {
    std::vector<std::string> out;
    std::string cur;
    bool quoted = false;
    for (char ch : line) {
        if (ch == '"') {
            quoted = !quoted;
        } else if (ch == ',' && !quoted) {
            out.push_back(cur);
            cur.clear();
        } else if (ch != '\r') {
            cur += ch;
        }
    }
    out.push_back(cur);
    return out;
}

std::vector<std::map<std::string, std::string>> readCsv(const fs::path& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    const auto header = splitCsvLine(line);
    std::vector<std::map<std::string, std::string>> rows;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        const auto cells = splitCsvLine(line);
        std::map<std::string, std::string> row;
        for (std::size_t i = 0; i < header.size() && i < cells.size(); ++i) row[header[i]] = cells[i];
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string firstChar(const std::string& s) {
    const auto chars = vg::vision::splitUtf8(s);
    return chars.empty() ? std::string() : chars.front();
}

// Thread CPU time, not wall time: the shared box runs builds and training beside the bench, and wall time then
// measures the neighbours. Both are printed.
double threadCpuMs() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Stopwatch {
    std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
    double cpu = threadCpuMs();
};

struct Elapsed {
    double cpu = 0.0;
    double wall = 0.0;
};
Elapsed msSince(const Stopwatch& t0) {
    return {threadCpuMs() - t0.cpu,
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0.wall).count()};
}

struct Tally {
    int n = 0;
    int exact = 0;            // labelled plate among the reads (any confidence)
    int exact_confident = 0;  // ... among the reads at >= threshold
    int province = 0;         // province of the read closest to the label is right
    int confident_wrong = 0;  // an image with a read at >= threshold that is no plate in it
    int no_read = 0;
    std::vector<double> ms;    // thread CPU time per frame
    std::vector<double> wall;  // wall time per frame
};

// Per-stage time of PlatePipeline::read (PipelineTimings), summed over a set's frames.
struct Stages {
    int frames = 0;
    int classical = 0;
    double detect_ms = 0, refine_ms = 0, find_ms = 0, read_ms = 0;
    long crops = 0;
};

void addStages(Stages& s, const vg::vision::PipelineTimings& t) {
    ++s.frames;
    s.classical += t.classical ? 1 : 0;
    s.detect_ms += t.detect_ms;
    s.refine_ms += t.refine_ms;
    s.find_ms += t.find_ms;
    s.read_ms += t.read_ms;
    s.crops += t.crops;
}

struct Report {
    std::string name;
    Tally all;
    std::map<std::string, Tally> by_colour;
    Stages stages;
};

// Closest read to the label: most equal characters at equal positions.
const PlateRead* closest(const std::vector<PlateRead>& reads, const std::string& label) {
    const auto want = vg::vision::splitUtf8(label);
    const PlateRead* best = nullptr;
    int bestScore = -1;
    for (const auto& r : reads) {
        const auto got = vg::vision::splitUtf8(r.text);
        int score = 0;
        for (std::size_t i = 0; i < std::min(got.size(), want.size()); ++i) score += got[i] == want[i] ? 1 : 0;
        if (score > bestScore) {
            bestScore = score;
            best = &r;
        }
    }
    return best;
}

void score(Report& rep, const std::string& colour, const std::vector<PlateRead>& reads, const std::string& label,
           const std::vector<std::string>& allPlates, float threshold, Elapsed ms, bool printErrors,
           const std::string& what) {
    for (Tally* t : {&rep.all, &rep.by_colour[colour]}) {
        ++t->n;
        t->ms.push_back(ms.cpu);
        t->wall.push_back(ms.wall);
        const bool any = std::ranges::any_of(reads, [&](const PlateRead& r) { return r.text == label; });
        const bool conf = std::ranges::any_of(
            reads, [&](const PlateRead& r) { return r.text == label && r.confidence >= threshold; });
        const bool wrong = std::ranges::any_of(reads, [&](const PlateRead& r) {
            return r.confidence >= threshold && std::ranges::find(allPlates, r.text) == allPlates.end();
        });
        const PlateRead* near = closest(reads, label);
        t->exact += any;
        t->exact_confident += conf;
        t->confident_wrong += wrong;
        t->no_read += reads.empty();
        t->province += near != nullptr && firstChar(near->text) == firstChar(label);
        if (printErrors && t == &rep.all && (!conf || wrong)) {
            std::cerr << rep.name << " " << what << " label " << label << " reads:";
            for (const auto& r : reads) {
                std::cerr << " " << r.text << "(" << r.confidence << "," << r.colour << ";";
                for (const float c : r.char_confidence) std::cerr << " " << std::lround(c * 100);
                std::cerr << ")";
            }
            std::cerr << "\n";
        }
    }
}

std::string pct(int a, int n) {
    std::ostringstream o;
    o.setf(std::ios::fixed);
    o.precision(1);
    o << (n > 0 ? 100.0 * a / n : 0.0) << "%";
    return o.str();
}

std::string msStats(std::vector<double> ms) {
    if (ms.empty()) return "-";
    std::ranges::sort(ms);
    const double mean = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
    std::ostringstream o;
    o.setf(std::ios::fixed);
    o.precision(1);
    o << mean << " / " << ms[ms.size() * 95 / 100];
    return o.str();
}

void print(const Report& r, float threshold) {
    auto row = [&](const std::string& name, const Tally& t) {
        std::cout << "| " << name << " | " << t.n << " | " << pct(t.exact, t.n) << " | " << pct(t.exact_confident, t.n)
                  << " | " << pct(t.province, t.n) << " | " << t.confident_wrong << " (" << pct(t.confident_wrong, t.n)
                  << ") | " << t.no_read << " | " << msStats(t.ms) << " | " << msStats(t.wall) << " |\n";
    };
    row(r.name, r.all);
    for (const auto& [colour, t] : r.by_colour) {
        if (r.by_colour.size() > 1) row("  " + r.name + " / " + colour, t);
    }
    (void)threshold;
}

}  // namespace

int main(int argc, char** argv) {
    Args a;
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        auto next = [&]() { return i + 1 < argc ? std::string(argv[++i]) : std::string(); };
        if (k == "--data")
            a.data = next();
        else if (k == "--model-dir")
            a.model_dir = next();
        else if (k == "--sets")
            a.sets = next();
        else if (k == "--gen")
            a.gen = vg::bench::optionNumber<int>(k, next());
        else if (k == "--passes")
            a.passes = vg::bench::optionNumber<int>(k, next());
        else if (k == "--confidence")
            a.confidence = vg::bench::optionNumber<float>(k, next());
        else if (k == "--dump")
            a.dump = next();
        else if (k == "--flat")
            a.flat = next();
        else if (k == "--errors")
            a.errors = true;
        else if (k == "--no-detector")
            a.detector = false;
        else if (k == "--scenes")
            a.scenes.emplace_back(next());
        else if (k == "--seed")
            a.seed = vg::bench::optionNumber<unsigned>(k, next());
        else if (k == "--agree") {
            const std::string v = next();
            vg::vision::LookAgreement g;
            if (v == "off") {
                g.on = false;
            } else {
                // SLOPE,OFFSET[,PROVINCE_SLOPE,PROVINCE_OFFSET]
                std::vector<float> f;
                std::stringstream fields(v);
                for (std::string x; std::getline(fields, x, ',');) f.push_back(vg::bench::optionNumber<float>(k, x));
                if (f.size() != 2 && f.size() != 4) throw std::runtime_error("--agree: want 2 or 4 numbers: " + v);
                g.slope = f[0];
                g.offset = f[1];
                g.lift_province = f.size() == 4;
                g.province_slope = f.size() == 4 ? f[2] : f[0];
                g.province_offset = f.size() == 4 ? f[3] : f[1];
            }
            a.agree = g;
        } else if (k == "--province") {
            const std::string v = next();
            vg::vision::ProvinceAgreement g;
            if (v == "off") {
                g.on = false;
            } else {
                // SLOPE or SLOPE,nocap
                const auto comma = v.find(',');
                g.slope = vg::bench::optionNumber<float>(k, v.substr(0, comma));
                if (comma != std::string::npos) {
                    if (v.substr(comma + 1) != "nocap") throw std::runtime_error("--province: SLOPE[,nocap]: " + v);
                    g.cap = false;
                }
            }
            a.province = g;
        } else {
            std::cerr << "unknown argument " << k << "\n";
            return 2;
        }
    }
    cv::setNumThreads(1);
    auto reader = vg::vision::PlateReader::load(a.model_dir / "plate_reader.onnx", a.model_dir / "plate_reader.json");
    if (!reader) {
        std::cerr << reader.error() << "\n";
        return 1;
    }
    std::optional<vg::vision::PlateDetector> detector;
    if (a.detector) {
        auto d =
            vg::vision::PlateDetector::load(a.model_dir / "plate_detector.onnx", a.model_dir / "plate_detector.json");
        if (!d) {
            std::cerr << d.error() << "\n";
            return 1;
        }
        detector.emplace(std::move(*d));
    }
    auto detectorCopy = a.detector ? vg::vision::PlateDetector::load(a.model_dir / "plate_detector.onnx",
                                                                     a.model_dir / "plate_detector.json")
                                   : std::unexpected(std::string("off"));
    std::optional<vg::vision::PlateProvince> province;
    if (!a.province || a.province->on) {
        auto p =
            vg::vision::PlateProvince::load(a.model_dir / "plate_province.onnx", a.model_dir / "plate_province.json");
        if (!p) {
            std::cerr << p.error() << "\n";
            return 1;
        }
        province.emplace(std::move(*p));
    }
    vg::vision::PlatePipeline pipeline(std::move(*reader), {}, std::move(detector), std::move(province));
    if (a.agree) pipeline.setLookAgreement(*a.agree);
    if (a.province) pipeline.setProvinceAgreement(*a.province);
    std::set<std::string> setNames;
    {
        std::stringstream names(a.sets);
        for (std::string n; std::getline(names, n, ',');) setNames.insert(n);
    }
    const auto wants = [&](const std::string& s) { return setNames.contains(s); };
    std::vector<Report> reports;

    for (const auto& [part, tight] :
         {std::pair{"eval", false}, std::pair{"eval", true}, std::pair{"train", false}, std::pair{"train", true}}) {
        if (!wants(std::string(part) == "eval" ? "lprnet" : "lprnet_train")) continue;
        Report rep{std::string("lprnet_crops ") + part +
                       (tight ? " (reader only, margins added)" : " (reader only, resized as is)"),
                   {},
                   {}};
        // The `eval` part of split.csv is for measuring; the `train` part is in the reader's training and is the one
        // real set on which choices may be fitted.
        std::set<std::string> evalPart;
        for (const auto& row : readCsv(a.data / "lprnet_crops" / "split.csv")) {
            if (row.at("split") == part) evalPart.insert(row.at("filename"));
        }
        for (const auto& row : readCsv(a.data / "lprnet_crops" / "labels.csv")) {
            if (!evalPart.contains(row.at("filename"))) continue;
            const cv::Mat img = cv::imread((a.data / "lprnet_crops" / row.at("filename")).string(), cv::IMREAD_COLOR);
            if (img.empty()) continue;
            const Stopwatch t0;
            auto r = pipeline.readCrop(img, tight);
            const Elapsed ms = msSince(t0);
            std::vector<PlateRead> reads;
            if (r) reads.push_back(*r);
            const std::string label = row.at("plate_text");
            score(rep, "all", reads, label, {label}, a.confidence, ms, a.errors, row.at("filename"));
        }
        reports.push_back(std::move(rep));
    }

    std::vector<std::string> finderLines;
    std::vector<std::pair<std::string, fs::path>> sceneSets;  // (kind, folder)
    for (const std::string set : {"easypr", "ccpd"}) {
        if (wants(set)) sceneSets.emplace_back(set, a.data / (set == "easypr" ? "easypr_dev" : "ccpd_dev"));
    }
    for (const fs::path& p : a.scenes) sceneSets.emplace_back("scenes", p);
    for (const auto& [set, folder] : sceneSets) {
        const std::string dir = folder.filename().string();
        Report rep{dir + " (full scene)", {}, {}};
        Report onBox{dir + " (reader on labelled box)", {}, {}};
        int found = 0;
        int foundDetector = 0;
        int images = 0;
        std::size_t candidates = 0;
        for (const auto& row : readCsv(folder / "labels.csv")) {
            const cv::Mat img = cv::imread((folder / row.at("filename")).string(), cv::IMREAD_COLOR);
            if (img.empty()) continue;
            const std::string label = row.at("plate_text");
            std::vector<std::string> plates{label};
            if (row.contains("other_plates")) {
                std::stringstream others(row.at("other_plates"));
                for (std::string p; std::getline(others, p, ';');) {
                    if (!p.empty()) plates.push_back(p);
                }
            }
            const Stopwatch t0;
            const auto reads = pipeline.read(img);
            const Elapsed ms = msSince(t0);
            addStages(rep.stages, pipeline.lastTimings());
            const std::string group = row.contains("kind") ? row.at("kind") : row.at("plate_colour");
            score(rep, group, reads, label, plates, a.confidence, ms, a.errors, row.at("filename"));

            // Localisation recall against the labelled outline, and the reader alone on that outline.
            vg::vision::PlateQuad truth;
            if (set == "easypr") {
                truth = vg::vision::quadFromRotatedRect(cv::RotatedRect(
                    {csvNumber(row, "plate_cx"), csvNumber(row, "plate_cy")},
                    {csvNumber(row, "plate_w"), csvNumber(row, "plate_h")}, csvNumber(row, "rotation_deg")));
            } else {
                std::array<cv::Point2f, 4> pts;
                std::stringstream vs(row.at("four_vertices"));
                std::string v;
                for (std::size_t k = 0; k < 4 && std::getline(vs, v, ';'); ++k) {
                    const auto amp = v.find('&');
                    const auto x = vg::gate::parseNumber<float>(v.substr(0, amp));
                    const auto y =
                        amp == std::string::npos ? std::nullopt : vg::gate::parseNumber<float>(v.substr(amp + 1));
                    if (!x || !y) throw std::runtime_error("labels: four_vertices is not x&y;...: '" + v + "'");
                    pts[k] = cv::Point2f(*x, *y);
                }
                truth = vg::vision::orderQuad(pts);
            }
            const auto cands = pipeline.finder().find(img);
            candidates += cands.size();
            ++images;
            found += std::ranges::any_of(cands,
                                         [&](const auto& c) { return vg::vision::quadOverlap(c.quad, truth) >= 0.5; });
            if (detectorCopy) {
                const auto outlines = detectorCopy->detect(img);
                candidates += outlines.size();
                foundDetector += std::ranges::any_of(
                    outlines, [&](const auto& d) { return vg::vision::quadOverlap(d.quad, truth) >= 0.5; });
            }
            const cv::Mat crop = pipeline.reader().crop(img, truth);
            const auto d = pipeline.reader().read(std::span<const cv::Mat>(&crop, 1)).front();
            std::vector<PlateRead> boxReads;
            if (d) boxReads.push_back(PlateRead{d->text, "", d->confidence, d->char_confidence, truth, d->kind});
            score(onBox, group, boxReads, label, plates, a.confidence, Elapsed{}, false, row.at("filename"));
        }
        reports.push_back(std::move(rep));
        reports.push_back(std::move(onBox));
        finderLines.push_back(
            dir + ": recall (a candidate with box IoU >= 0.5 to the labelled plate): classical finder " +
            pct(found, images) + ", learned detector " + (detectorCopy ? pct(foundDetector, images) : "off") + ", " +
            std::to_string(images > 0 ? static_cast<double>(candidates) / images : 0.0).substr(0, 4) +
            " candidates per image");
    }

    const auto flat = a.flat.empty() ? std::vector<vg::sim::FlatPlate>{} : vg::sim::loadFlatPlates(a.flat);
    if (!a.flat.empty() && flat.empty()) {
        std::cerr << "no flat plates in " << a.flat << "\n";
        return 1;
    }
    // The i-th flat plate of a colour (cycling), for style-driven generation.
    auto flatOf = [&](const std::string& colour, int i) -> const vg::sim::FlatPlate* {
        std::vector<const vg::sim::FlatPlate*> pool;
        for (const auto& f : flat) {
            if (f.colour == colour) pool.push_back(&f);
        }
        return pool.empty() ? nullptr : pool[static_cast<std::size_t>(i) % pool.size()];
    };
    auto makeScene = [&](vg::sim::PlateSynth& synth, vg::sim::SynthStyle style, int i,
                         const vg::sim::SynthFrameParams& p, const std::string& fixedText) {
        const std::string colour = style == vg::sim::SynthStyle::Blue     ? "blue"
                                   : style == vg::sim::SynthStyle::Yellow ? "yellow"
                                                                          : "green";
        if (const auto* f = flatOf(colour, i)) return synth.scene(f->image, f->text, f->colour, p);
        return synth.scene(fixedText.empty() ? synth.randomText(style) : fixedText, style, p);
    };

    if (wants("gen")) {
        using vg::sim::SynthStyle;
        struct GenSet {
            const char* name;
            bool night;
        };
        for (const GenSet g : {GenSet{"generated green", false}, GenSet{"generated yellow", false},
                               GenSet{"generated blue", false}, GenSet{"generated night (IR, grey)", true}}) {
            vg::sim::PlateSynth synth(static_cast<unsigned>(std::hash<std::string>{}(g.name) & 0xffff) + a.seed);
            Report rep{std::string(g.name) + " 1080p, lane ROI", {}, {}};
            for (int i = 0; i < a.gen; ++i) {
                const std::string gname = g.name;
                SynthStyle style = gname.find("green") != std::string::npos    ? SynthStyle::Green
                                   : gname.find("yellow") != std::string::npos ? SynthStyle::Yellow
                                                                               : SynthStyle::Blue;
                if (g.night) style = static_cast<SynthStyle>(i % 3);
                const auto scene = makeScene(synth, style, i + (g.night ? 1000 : 0), synth.randomParams(g.night), {});
                const std::string text = scene.text;
                if (!a.dump.empty()) {
                    fs::create_directories(a.dump);
                    cv::imwrite((a.dump / (gname.substr(10, 5) + "_" + std::to_string(i) + ".jpg")).string(),
                                scene.image);
                }
                const Stopwatch t0;
                const auto reads =
                    pipeline.read(scene.image, {.roi = scene.roi, .min_confidence = 0.0F, .max_reads = 4});
                const Elapsed ms = msSince(t0);
                addStages(rep.stages, pipeline.lastTimings());
                score(rep, g.night ? scene.colour + " (night)" : scene.colour, reads, text, {text}, a.confidence, ms,
                      a.errors, std::to_string(i));
            }
            reports.push_back(std::move(rep));
        }
        // The gate's whole 1080p frame, no region: the per-frame cost when a lane has no roi configured.
        vg::sim::PlateSynth synth(977 + a.seed);
        Report full{"generated blue/yellow/green 1080p, whole frame", {}, {}};
        for (int i = 0; i < a.gen; ++i) {
            const auto style = static_cast<SynthStyle>(i % 3);
            const auto scene = makeScene(synth, style, i + 3000, synth.randomParams(false), {});
            const Stopwatch t0;
            const auto reads = pipeline.read(scene.image, {.roi = {}, .min_confidence = 0.0F, .max_reads = 4});
            const Elapsed ms = msSince(t0);
            addStages(full.stages, pipeline.lastTimings());
            score(full, scene.colour, reads, scene.text, {scene.text}, a.confidence, ms, a.errors,
                  "full" + std::to_string(i));
        }
        reports.push_back(std::move(full));
    }

    std::cout << "\n| set | n | exact (any conf.) | exact at >= " << a.confidence
              << " | province | confident wrong at >= " << a.confidence
              << " | no read | CPU ms/frame mean / p95 | wall ms mean / p95 |\n|---|---|---|---|---|---|---|---|---|\n";
    for (const auto& r : reports) print(r, a.confidence);
    std::cout
        << "\nStages per frame (mean wall ms): detector search / closer looks / classical proposals (share of frames "
           "that searched them) / reader (crops)\n";
    for (const auto& r : reports) {
        const Stages& s = r.stages;
        if (s.frames == 0) continue;
        const double n = s.frames;
        std::cout << "- " << r.name << ": " << std::fixed << std::setprecision(1) << s.detect_ms / n << " / "
                  << s.refine_ms / n << " / " << s.find_ms / n << " (" << pct(s.classical, s.frames) << ") / "
                  << s.read_ms / n << " (" << s.crops / n << ")\n";
        std::cout.unsetf(std::ios::floatfield);
        std::cout << std::setprecision(6);
    }
    for (const auto& l : finderLines) std::cout << "\n" << l << "\n";

    if (wants("passes")) {
        // Passes: one car, several frames (approaching: the plate grows), each frame's reads fed to a PlateVoter.
        vg::sim::PlateSynth synth(4242 + a.seed);
        vg::vision::VoterOptions vo;
        vo.min_confidence = a.confidence;
        int exact = 0;
        int wrong = 0;
        int none = 0;
        for (int i = 0; i < a.passes; ++i) {
            const auto style = static_cast<vg::sim::SynthStyle>(i % 3);
            const bool night = i % 5 == 4;
            const std::string ownText = synth.randomText(style);
            std::string text;
            vg::vision::PlateVoter voter(vo);
            for (int f = 0; f < a.frames_per_pass; ++f) {
                auto p = synth.randomParams(night);
                p.plate_width = 130 + 20.0 * f;
                const auto scene = makeScene(synth, style, i + 2000, p, ownText);
                text = scene.text;
                const auto reads =
                    pipeline.read(scene.image, {.roi = scene.roi, .min_confidence = 0.0F, .max_reads = 1});
                if (!reads.empty()) voter.add(reads.front().text, reads.front().char_confidence, reads.front().colour);
            }
            const auto v = voter.voted();
            if (!v) {
                ++none;
            } else if (v->text == text) {
                ++exact;
            } else {
                ++wrong;
                if (a.errors) std::cerr << "pass " << i << " label " << text << " voted " << v->text << "\n";
            }
        }
        std::cout << "\nPasses (" << a.passes << " x " << a.frames_per_pass << " frames, voter minFrames "
                  << vo.min_frames << ", minAgreement " << vo.min_agreement << ", minConfidence " << vo.min_confidence
                  << "): exact " << pct(exact, a.passes) << ", wrong " << wrong << ", no plate " << none << "\n";
    }
    return 0;
}
