#include "vision/plate_pipeline.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <opencv2/imgproc.hpp>
#include <optional>
#include <utility>
#include <vector>

namespace vg::vision {
namespace {

// Outline hypotheses per candidate, as (width, height) growth about its centre. An edge band's height is only an
// estimate of the plate's (characters are 64% of it), so it gets a second, tighter hypothesis, and a third drawn
// around its character band (refineByCharacterBand); the reader's confidence picks. Colour blobs are the plate
// background itself.
struct Variant {
    float sx;
    float sy;
};
constexpr Variant kEdgeVariants[] = {{1.0F, 1.0F}, {1.0F, 0.8F}};
constexpr Variant kColourVariants[] = {{1.0F, 1.0F}};
// A detector blob is the plate itself, but its edge is quantised to the network's stride: a second, slightly wider
// hypothesis covers a blob that stopped short of the plate's ends.
constexpr Variant kDetectorVariants[] = {{1.0F, 1.0F}, {1.06F, 1.12F}};
// The detector outlines (best first) that may get a closer look when unsure: each costs a small network run (about
// 2 ms).
constexpr int kDetectorRefinements = 3;
// A read at or above this lowest character confidence *after the second looks* settles the frame: once a detector
// outline's read does, the classical proposals are not searched (they cost more than the detector and its reads
// together); once a classical one does, the remaining proposals are not read.
constexpr float kSettledConfidence = 0.9F;
// The classical proposals are read this many at a time, best-scored first, until a confirmed read settles the frame.
constexpr std::size_t kProposalsPerBatch = 3;
// settle(): the outlines of one plate that get the second looks, and the overlap above which two outlines are one.
constexpr std::size_t kOutlinesPerPlate = 2;
constexpr double kSameOutline = 0.85;
// A raw read at or above this (or the caller's minimum, when lower) goes on to the second looks and the province look,
// which may lift it over the caller's minimum; the minimum is applied after them. Before 2026-12-06 the minimum was
// applied to the raw read, so a caller asking for 0.8 (the daemon, `voucher-gate scan`) never saw a read the looks
// would have lifted, while the bench (asking for 0) counted it: the bench's figures at 0.8 were not the daemon's.
constexpr float kLookFloor = 0.3F;

// Confidences as evidence (confirmBySecondLooks' agreement, confirmByProvinceLook): log-odds, clamped so that a 0 or
// a 1 stays finite, and back.
double logit(float p) {
    const double q = std::clamp(static_cast<double>(p), 1e-4, 1.0 - 1e-4);
    return std::log(q / (1.0 - q));
}
float sigmoid(double z) { return static_cast<float>(1.0 / (1.0 + std::exp(-z))); }

PlateQuad growQuad(const PlateQuad& q, float sx, float sy) {
    const cv::Point2f u = ((q[1] - q[0]) + (q[2] - q[3])) * 0.5F;  // full width vector
    const cv::Point2f v = ((q[3] - q[0]) + (q[2] - q[1])) * 0.5F;  // full height vector
    PlateQuad out;
    const float su[4] = {-1, 1, 1, -1};
    const float sv[4] = {-1, -1, 1, 1};
    for (std::size_t i = 0; i < 4; ++i) {
        // Keep each corner's own perspective offset and add the growth along the plate's axes.
        out[i] = q[i] + u * (0.5F * su[i] * (sx - 1.0F)) + v * (0.5F * sv[i] * (sy - 1.0F));
    }
    return out;
}

// GA 36-2014 table 1: the background colour of each special plate. A special read on a plate of another colour is
// a misread (e.g. 警 read into a blue plate's last character), and declined.
bool colourFits(PlateKind kind, const std::string& colour) {
    if (!isSpecialPlateKind(kind) || colour == "unknown") return true;
    switch (kind) {
        case PlateKind::Coach:
        case PlateKind::Trailer:
            return colour == "yellow";
        case PlateKind::Police:
            return colour == "white";
        case PlateKind::HongKong:
        case PlateKind::Macau:
        case PlateKind::Embassy:
        case PlateKind::Consulate:
            return colour == "black";
        default:
            return true;
    }
}

// Second looks (confirmBySecondLooks): the crop's margins as fractions of the plate's width and height. The
// training crops' margins ranged over -0.05..0.14 and -0.08..0.25, so each look is a crop the reader was trained on.
// Two more looks, the outline shifted by 3% of the width either way, took confident wrong reads lower still
// (lprnet_crops 0.8% instead of 1.5%) but cost voted passes with the voter of the time (116 of 120 generated passes
// instead of 119), so they are not taken.
struct Look {
    float margin_x;
    float margin_y;
};
constexpr Look kSecondLooks[] = {{0.02F, 0.05F}, {0.11F, 0.20F}};

// The plate outline that PlateReader::crop (which adds the model's margins) turns into the look's crop.
PlateQuad lookQuad(const PlateQuad& q, const Look& look, const ReaderMetadata& meta) {
    return growQuad(q, static_cast<float>((1 + 2 * look.margin_x) / (1 + 2 * meta.margin_x)),
                    static_cast<float>((1 + 2 * look.margin_y) / (1 + 2 * meta.margin_y)));
}

cv::Mat warpPlateColour(const cv::Mat& frame, const PlateQuad& quad) {
    const std::array<cv::Point2f, 4> dst{{{0, 0}, {63, 0}, {63, 19}, {0, 19}}};
    const cv::Mat m = cv::getPerspectiveTransform(quad.data(), dst.data());
    cv::Mat out;
    cv::warpPerspective(frame, out, m, cv::Size(64, 20), cv::INTER_AREA, cv::BORDER_REPLICATE);
    return out;
}

}  // namespace

void confirmBySecondLooks(PlateRead& read, std::span<const std::expected<PlateDecode, DecodeError>> looks,
                          const PlateGrammar& grammar, const LookAgreement& agreement) {
    constexpr float kOverturnedCap = 0.5F;
    const std::vector<std::string> own = splitUtf8(read.text);
    const std::size_t n = own.size();
    if (read.char_confidence.size() != n) return;  // not a read this pipeline made
    struct Seen {
        std::vector<std::string> chars;
        const std::vector<float>* conf;
    };
    std::vector<Seen> seen;
    bool unreadable = false;
    for (const auto& look : looks) {
        std::vector<std::string> chars = look ? splitUtf8(look->text) : std::vector<std::string>{};
        if (!look || chars.size() != n || look->char_confidence.size() != n) {
            unreadable = true;
            continue;
        }
        seen.push_back({std::move(chars), &look->char_confidence});
    }

    // The settled text: per position the character with the most summed confidence (ties keep the read's own).
    std::vector<std::string> settled = own;
    for (std::size_t i = 0; i < n; ++i) {
        const auto summed = [&](const std::string& ch) {
            float sum = ch == own[i] ? read.char_confidence[i] : 0.0F;
            for (const Seen& b : seen) sum += b.chars[i] == ch ? (*b.conf)[i] : 0.0F;
            return sum;
        };
        float best = summed(own[i]);
        for (const Seen& a : seen) {
            if (a.chars[i] == own[i]) continue;
            const float sum = summed(a.chars[i]);
            if (sum > best) {
                best = sum;
                settled[i] = a.chars[i];
            }
        }
    }
    if (settled != own) {
        std::string text;
        for (const std::string& c : settled) text += c;
        if (const auto kind = grammar.classify(text)) {
            read.text = std::move(text);
            read.kind = *kind;
        } else {
            settled = own;
        }
    }

    for (std::size_t i = 0; i < n; ++i) {
        float c = read.char_confidence[i];
        // A character the looks overturned is a better guess, never a confident one (the read itself saw another), and
        // never more confident than the character it replaces.
        if (settled[i] != own[i]) c = std::min({c, 1.0F - c, kOverturnedCap});
        for (const Seen& s : seen) {
            if (s.chars[i] != settled[i]) c = std::min(c, 1.0F - (*s.conf)[i]);
        }
        if (unreadable) c = std::min(c, 0.5F);
        const bool allAgree = !unreadable && !seen.empty() && settled[i] == own[i] &&
                              std::ranges::all_of(seen, [&](const Seen& s) { return s.chars[i] == own[i]; });
        if (agreement.on && allAgree && (i > 0 || agreement.lift_province)) {
            double sum = logit(read.char_confidence[i]);
            for (const Seen& s : seen) sum += logit((*s.conf)[i]);
            const double mean = sum / static_cast<double>(seen.size() + 1);
            const double z = i == 0 ? agreement.province_slope * mean + agreement.province_offset
                                    : agreement.slope * mean + agreement.offset;
            c = std::max(c, sigmoid(z));
        }
        read.char_confidence[i] = c;
    }
    if (n > 0) read.confidence = std::ranges::min(read.char_confidence);
}

void confirmByProvinceLook(PlateRead& read, std::span<const float> probs, const std::vector<std::string>& provinces,
                           const ProvinceAgreement& agreement) {
    if (!agreement.on || probs.empty() || probs.size() != provinces.size() || read.char_confidence.empty()) return;
    const std::vector<std::string> chars = splitUtf8(read.text);
    if (chars.size() != read.char_confidence.size()) return;
    if (std::ranges::find(provinces, chars[0]) == provinces.end()) return;
    const auto best = static_cast<std::size_t>(std::ranges::max_element(probs) - probs.begin());
    float& c = read.char_confidence[0];
    if (provinces[best] == chars[0]) {
        const double z = agreement.slope * (logit(c) + logit(probs[best])) / 2.0;
        c = std::max(c, sigmoid(z));
    } else if (agreement.cap) {
        c = std::min(c, 1.0F - probs[best]);
    }
    read.confidence = std::ranges::min(read.char_confidence);
}

PlatePipeline::PlatePipeline(PlateReader reader, FinderOptions finder, std::optional<PlateDetector> detector,
                             std::optional<PlateProvince> province)
    : reader_(std::move(reader)), finder_(finder), detector_(std::move(detector)), province_(std::move(province)) {}

std::expected<PlatePipeline, std::string> PlatePipeline::load(const std::filesystem::path& dir) {
    auto reader = PlateReader::load(dir / "plate_reader.onnx", dir / "plate_reader.json");
    if (!reader) return std::unexpected(reader.error());
    auto detector = PlateDetector::load(dir / "plate_detector.onnx", dir / "plate_detector.json");
    if (!detector) return std::unexpected(detector.error());
    auto province = PlateProvince::load(dir / "plate_province.onnx", dir / "plate_province.json");
    if (!province) return std::unexpected(province.error());
    return PlatePipeline(std::move(*reader), {}, std::move(*detector), std::move(*province));
}

std::expected<PlatePipeline, std::string> PlatePipeline::loadDefault(FinderOptions finder, GrammarOptions grammar) {
    auto reader = PlateReader::loadDefault(grammar);
    if (!reader) return std::unexpected(reader.error());
    auto detector = PlateDetector::loadDefault();
    if (!detector) return std::unexpected(detector.error());
    auto province = PlateProvince::loadDefault();
    if (!province) return std::unexpected(province.error());
    return PlatePipeline(std::move(*reader), finder, std::move(*detector), std::move(*province));
}

std::expected<PlateRead, DecodeError> PlatePipeline::readCrop(const cv::Mat& plateImage, bool tight) {
    if (plateImage.empty()) return std::unexpected(DecodeError::BadShape);
    cv::Mat padded = plateImage;
    if (tight) {
        const int mx = static_cast<int>(std::lround(reader_.metadata().margin_x * plateImage.cols));
        const int my = static_cast<int>(std::lround(reader_.metadata().margin_y * plateImage.rows));
        cv::copyMakeBorder(plateImage, padded, my, my, mx, mx, cv::BORDER_REPLICATE);
    }
    const cv::Mat crop = reader_.prepare(padded);
    auto decoded = reader_.read(std::span<const cv::Mat>(&crop, 1)).front();
    if (!decoded) return std::unexpected(decoded.error());
    PlateRead r{decoded->text, "unknown", decoded->confidence, decoded->char_confidence, {}, decoded->kind};
    const auto w = static_cast<float>(plateImage.cols);
    const auto h = static_cast<float>(plateImage.rows);
    // The plate's own outline for the second looks: the whole image when it is cut at the plate, else the image
    // less the model's margins.
    const double marginX = reader_.metadata().margin_x;
    const double marginY = reader_.metadata().margin_y;
    const auto mx = static_cast<float>(tight ? 0.0 : marginX / (1 + 2 * marginX));
    const auto my = static_cast<float>(tight ? 0.0 : marginY / (1 + 2 * marginY));
    r.quad = {{{w * mx, h * my}, {w * (1 - mx), h * my}, {w * (1 - mx), h * (1 - my)}, {w * mx, h * (1 - my)}}};
    PlateRead* one = &r;
    secondLooks(plateImage, std::span<PlateRead*>(&one, 1));
    r.quad = {{{0, 0}, {w, 0}, {w, h}, {0, h}}};
    if (plateImage.channels() == 3) r.colour = plateColour(plateImage);
    if (plateKindLength(r.kind) == 8) r.colour = "green";
    return r;
}

std::vector<PlateRead> PlatePipeline::read(const cv::Mat& frame, const PlateReadOptions& options) {
    if (frame.empty() || (frame.type() != CV_8UC3 && frame.type() != CV_8UC1)) return {};
    try {
        return readUnchecked(frame, options);
    } catch (const cv::Exception&) {
        // A degenerate candidate (e.g. a collinear quad) must not cost the lane its frame loop; the frame reads
        // nothing.
        return {};
    }
}

std::vector<PlateRead> PlatePipeline::readUnchecked(const cv::Mat& frame, const PlateReadOptions& options) {
    timings_ = {};
    const auto msSince = [](std::int64_t t0) {
        return static_cast<double>(cv::getTickCount() - t0) * 1000.0 / cv::getTickFrequency();
    };
    std::vector<Pending> reads;
    // The frame's monochrome test and each read's plate colour are taken once, when the read is made: settle() runs
    // again after each batch of classical proposals.
    const cv::Rect area = options.roi.area() > 0 ? (options.roi & cv::Rect(0, 0, frame.cols, frame.rows))
                                                 : cv::Rect(0, 0, frame.cols, frame.rows);
    const bool mono = frame.channels() == 1 || isMonochrome(frame(area));
    // Reads every outline hypothesis of `candidates` in one batch and keeps each grammatical decode. Returns, per
    // candidate, the highest confidence among its decodes (0 when none decoded).
    const auto readAll = [&](const std::vector<PlateCandidate>& candidates) {
        std::vector<cv::Mat> crops;
        std::vector<std::pair<std::size_t, PlateQuad>> owner;  // crop -> (candidate, outline)
        for (std::size_t i = 0; i < candidates.size(); ++i) {
            const PlateCandidate& c = candidates[i];
            const std::span<const Variant> variants =
                c.source == CandidateSource::Edge       ? std::span<const Variant>(kEdgeVariants)
                : c.source == CandidateSource::Detector ? std::span<const Variant>(kDetectorVariants)
                                                        : std::span<const Variant>(kColourVariants);
            std::vector<PlateQuad> outlines;
            for (const Variant& v : variants) outlines.push_back(growQuad(c.quad, v.sx, v.sy));
            // An edge candidate's last hypothesis: the outline around its character band, unless it nearly repeats one
            // of the grown ones (a reader call is most of a candidate's cost).
            if (c.source == CandidateSource::Edge) {
                const std::optional<PlateQuad> refined = refineByCharacterBand(frame, c.quad);
                const auto repeats = [&](const PlateQuad& q) { return quadOverlap(*refined, q) >= 0.85; };
                if (refined && std::ranges::none_of(outlines, repeats)) {
                    outlines.push_back(*refined);
                }
            }
            for (const PlateQuad& q : outlines) {
                crops.push_back(reader_.crop(frame, q));
                owner.emplace_back(i, q);
            }
        }
        const std::int64_t t0 = cv::getTickCount();
        const std::vector<cv::Mat> probs = reader_.probabilities(crops);
        timings_.read_ms += msSince(t0);
        timings_.crops += static_cast<int>(crops.size());
        std::vector<float> best(candidates.size(), 0.0F);
        for (std::size_t k = 0; k < probs.size(); ++k) {
            if (probs[k].empty()) continue;
            const auto d = reader_.grammar().decode(probs[k]);
            // Low reads stay in for now: the plate's colour below may call for the other length.
            if (!d) continue;
            best[owner[k].first] = std::max(best[owner[k].first], d->confidence);
            const std::string colour = mono ? "unknown" : plateColour(warpPlateColour(frame, owner[k].second));
            reads.push_back(
                {PlateRead{d->text, colour, d->confidence, d->char_confidence, owner[k].second, d->kind}, probs[k]});
        }
        return best;
    };

    std::vector<LookedRead> looked;  // the second looks already taken in this frame
    // The learned detector's outlines first. An outline that the reader finds unsure (no read at kSettledConfidence)
    // gets a closer look (PlateDetector::refine): the same network at the plate's own scale draws its edges finer than
    // the whole-region search, whose map has a quarter of its input's resolution; that outline is read too.
    if (detector_) {
        std::int64_t t0 = cv::getTickCount();
        const std::vector<DetectedPlate> outlines = detector_->detect(frame, options.roi);
        timings_.detect_ms = msSince(t0);
        std::vector<PlateCandidate> learned;
        for (const DetectedPlate& d : outlines) learned.push_back({d.quad, CandidateSource::Detector, {}, d.score});
        const std::vector<float> best = readAll(learned);
        std::vector<PlateCandidate> closer;
        t0 = cv::getTickCount();
        for (std::size_t i = 0; i < learned.size() && static_cast<int>(i) < kDetectorRefinements; ++i) {
            if (best[i] >= kSettledConfidence) continue;
            if (const auto c = detector_->refine(frame, learned[i].quad)) {
                if (quadOverlap(c->quad, learned[i].quad) < 0.95)
                    closer.push_back({c->quad, CandidateSource::Colour, {}, c->score});
            }
        }
        timings_.refine_ms = msSince(t0);
        // Read as they are (one hypothesis each, like a colour blob's outline: the closer look is the plate itself).
        if (!closer.empty()) readAll(closer);
    }
    // The detector's reads are settled first (one per plate, confirmed by the second looks). A settled read at
    // kSettledConfidence ends the search: the classical proposals cost more than the detector and its reads together.
    // The test is on the confirmed confidence, not the raw one: a raw read the looks overturn has not settled the
    // frame, and the classical proposals may draw that plate's outline better.
    const auto settled = [](const std::vector<PlateRead>& out) {
        return std::ranges::any_of(out, [](const PlateRead& r) { return r.confidence >= kSettledConfidence; });
    };
    if (detector_) {
        std::vector<PlateRead> out = settle(frame, reads, options, looked);
        if (settled(out)) return out;
    }
    // The classical colour and edge proposals are a second source: they find what the detector missed and give other
    // outlines of what it found; settle() lets the confirmed confidence pick among them. They come best-scored first
    // and are read a few at a time, with the same end as above: once a confirmed read settles the frame, the weaker
    // proposals are not read (each costs a reader call per outline hypothesis).
    const std::int64_t t0 = cv::getTickCount();
    const std::vector<PlateCandidate> proposals = finder_.find(frame, options.roi);
    timings_.find_ms = msSince(t0);
    timings_.classical = true;
    for (std::size_t first = 0; first < proposals.size(); first += kProposalsPerBatch) {
        const std::size_t last = std::min(proposals.size(), first + kProposalsPerBatch);
        readAll({proposals.begin() + static_cast<std::ptrdiff_t>(first),
                 proposals.begin() + static_cast<std::ptrdiff_t>(last)});
        if (last == proposals.size()) break;
        std::vector<PlateRead> out = settle(frame, reads, options, looked);
        if (settled(out)) return out;
    }
    return settle(frame, reads, options, looked);
}

std::vector<PlateRead> PlatePipeline::settle(const cv::Mat& frame, std::vector<Pending> reads,
                                             const PlateReadOptions& options, std::vector<LookedRead>& cache) {
    if (reads.empty()) return {};
    std::ranges::stable_sort(reads,
                             [](const Pending& a, const Pending& b) { return a.read.confidence > b.read.confidence; });

    // One read per plate: a weaker read overlapping a kept one, or repeating its text, is the same plate. Each plate
    // keeps its best kOutlinesPerPlate reads of distinct outlines, and the one that comes out of the second looks most
    // confident speaks for the plate (a raw read is only the reader's first impression of one crop).
    struct Plate {
        std::vector<PlateRead> outlines;
    };
    std::vector<Plate> plates;
    for (Pending& p : reads) {
        PlateRead& r = p.read;  // its colour was taken when it was read
        // Green new-energy plates have eight characters and blue ones seven (GA 36-2014): a read of the other length
        // lost or invented a character, so read the same crop again at the plate's length and keep the better.
        const int want = r.colour == "green" ? 8 : r.colour == "blue" ? 7 : 0;
        if (want != 0 && static_cast<int>(splitUtf8(r.text).size()) != want) {
            const auto again = reader_.grammar().decode(p.probs, want);
            if (again && (r.colour == "green" || again->confidence > r.confidence)) {
                r.text = again->text;
                r.kind = again->kind;
                r.char_confidence = again->char_confidence;
                r.confidence = again->confidence;
            } else if (r.colour == "green") {
                continue;
            }
        }
        if (r.confidence < std::min(options.min_confidence, kLookFloor) || !colourFits(r.kind, r.colour)) continue;
        const auto same = std::ranges::find_if(plates, [&](const Plate& k) {
            const PlateRead& first = k.outlines.front();
            return first.text == r.text || quadOverlap(first.quad, r.quad) > 0.3;
        });
        if (same != plates.end()) {
            const bool distinct = std::ranges::none_of(
                same->outlines, [&](const PlateRead& o) { return quadOverlap(o.quad, r.quad) > kSameOutline; });
            if (distinct && same->outlines.size() < kOutlinesPerPlate) same->outlines.push_back(std::move(r));
            continue;
        }
        if (static_cast<int>(plates.size()) >= options.max_reads) continue;
        plates.push_back({{std::move(r)}});
    }
    // The second looks, cached for the frame: the classical stage settles the detector's reads again.
    const auto look = [&](const std::vector<PlateRead*>& batch) {
        std::vector<PlateRead*> fresh;
        for (PlateRead* r : batch) {
            const auto hit = std::ranges::find_if(cache, [&](const LookedRead& c) {
                return c.raw.quad == r->quad && c.raw.text == r->text && c.raw.confidence == r->confidence;
            });
            if (hit != cache.end()) {
                *r = hit->looked;
            } else {
                fresh.push_back(r);
            }
        }
        std::vector<PlateRead> raw;
        for (const PlateRead* r : fresh) raw.push_back(*r);
        const std::int64_t t0 = cv::getTickCount();
        secondLooks(frame, fresh);
        timings_.read_ms += static_cast<double>(cv::getTickCount() - t0) * 1000.0 / cv::getTickFrequency();
        timings_.crops += static_cast<int>(fresh.size() * std::size(kSecondLooks));
        for (std::size_t i = 0; i < fresh.size(); ++i) cache.push_back({std::move(raw[i]), *fresh[i]});
    };
    // Each plate's first outline is looked at; its other outlines only when the first did not come out settled.
    std::vector<PlateRead*> firsts;
    for (Plate& k : plates) firsts.push_back(&k.outlines.front());
    look(firsts);
    std::vector<PlateRead*> others;
    for (Plate& k : plates) {
        if (k.outlines.front().confidence >= kSettledConfidence) continue;
        for (std::size_t i = 1; i < k.outlines.size(); ++i) others.push_back(&k.outlines[i]);
    }
    look(others);
    std::vector<PlateRead> kept;
    for (Plate& k : plates) {
        std::erase_if(k.outlines, [&](const PlateRead& r) {
            return r.confidence < options.min_confidence || !colourFits(r.kind, r.colour);
        });
        if (k.outlines.empty()) continue;
        PlateRead& best = *std::ranges::max_element(
            k.outlines, [](const PlateRead& a, const PlateRead& b) { return a.confidence < b.confidence; });
        if (plateKindLength(best.kind) == 8) best.colour = "green";  // only new-energy plates have eight characters
        kept.push_back(std::move(best));
    }
    // Settling can make two outlines' reads the same text: that is one plate, reported once.
    std::ranges::stable_sort(kept, [](const PlateRead& a, const PlateRead& b) { return a.confidence > b.confidence; });
    std::vector<PlateRead> once;
    for (PlateRead& r : kept) {
        if (std::ranges::none_of(once, [&](const PlateRead& o) { return o.text == r.text; }))
            once.push_back(std::move(r));
    }
    return once;
}

void PlatePipeline::secondLooks(const cv::Mat& image, std::span<PlateRead*> reads) {
    if (reads.empty()) return;
    constexpr std::size_t kLooks = std::size(kSecondLooks);
    std::vector<cv::Mat> crops;
    crops.reserve(reads.size() * kLooks);
    for (const PlateRead* r : reads) {
        for (const Look& look : kSecondLooks) {
            crops.push_back(reader_.crop(image, lookQuad(r->quad, look, reader_.metadata())));
        }
    }
    const std::vector<cv::Mat> probs = reader_.probabilities(crops);
    std::vector<std::expected<PlateDecode, DecodeError>> decoded;
    for (std::size_t i = 0; i < reads.size(); ++i) {
        const int length = static_cast<int>(splitUtf8(reads[i]->text).size());
        decoded.clear();
        for (std::size_t k = 0; k < kLooks; ++k) {
            const cv::Mat& p = probs[i * kLooks + k];
            decoded.push_back(p.empty() ? std::unexpected(DecodeError::BadShape) : reader_.grammar().decode(p, length));
        }
        confirmBySecondLooks(*reads[i], decoded, reader_.grammar(), agreement_);
    }
    if (!province_ || !provinceAgreement_.on) return;
    const std::int64_t t0 = cv::getTickCount();
    for (PlateRead* r : reads) {
        const cv::Mat crop = province_->crop(image, r->quad, static_cast<int>(splitUtf8(r->text).size()));
        if (crop.empty()) continue;
        const std::vector<float> provinceProbs = province_->probabilities(crop);
        confirmByProvinceLook(*r, provinceProbs, province_->metadata().provinces, provinceAgreement_);
    }
    timings_.province_ms += static_cast<double>(cv::getTickCount() - t0) * 1000.0 / cv::getTickFrequency();
}

}  // namespace vg::vision
