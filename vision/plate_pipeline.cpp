#include "vision/plate_pipeline.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>
#include <vector>

#include <opencv2/imgproc.hpp>

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
    case PlateKind::Trailer: return colour == "yellow";
    case PlateKind::Police: return colour == "white";
    case PlateKind::HongKong:
    case PlateKind::Macau:
    case PlateKind::Embassy:
    case PlateKind::Consulate: return colour == "black";
    default: return true;
  }
}

cv::Mat warpPlateColour(const cv::Mat& frame, const PlateQuad& quad) {
  const std::array<cv::Point2f, 4> dst{{{0, 0}, {63, 0}, {63, 19}, {0, 19}}};
  const cv::Mat m = cv::getPerspectiveTransform(quad.data(), dst.data());
  cv::Mat out;
  cv::warpPerspective(frame, out, m, cv::Size(64, 20), cv::INTER_AREA, cv::BORDER_REPLICATE);
  return out;
}

}  // namespace

PlatePipeline::PlatePipeline(PlateReader reader, FinderOptions finder)
    : reader_(std::move(reader)), finder_(finder) {}

std::expected<PlatePipeline, std::string> PlatePipeline::loadDefault(FinderOptions finder, GrammarOptions grammar) {
  auto reader = PlateReader::loadDefault(grammar);
  if (!reader) return std::unexpected(reader.error());
  return PlatePipeline(std::move(*reader), finder);
}

std::expected<PlateRead, DecodeError> PlatePipeline::readCrop(const cv::Mat& plateImage, bool tight) {
  if (plateImage.empty()) return std::unexpected(DecodeError::BadShape);
  cv::Mat padded = plateImage;
  if (tight) {
    const int mx = static_cast<int>(std::lround(reader_.metadata().marginX * plateImage.cols));
    const int my = static_cast<int>(std::lround(reader_.metadata().marginY * plateImage.rows));
    cv::copyMakeBorder(plateImage, padded, my, my, mx, mx, cv::BORDER_REPLICATE);
  }
  const cv::Mat crop = reader_.prepare(padded);
  auto decoded = reader_.read(std::span<const cv::Mat>(&crop, 1)).front();
  if (!decoded) return std::unexpected(decoded.error());
  PlateRead r{decoded->text, "unknown", decoded->confidence, decoded->charConfidence, {}, decoded->kind};
  const auto w = static_cast<float>(plateImage.cols);
  const auto h = static_cast<float>(plateImage.rows);
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
    // A degenerate candidate (e.g. a collinear quad) must not cost the lane its frame loop; the frame reads nothing.
    return {};
  }
}

std::vector<PlateRead> PlatePipeline::readUnchecked(const cv::Mat& frame, const PlateReadOptions& options) {
  const std::vector<PlateCandidate> candidates = finder_.find(frame, options.roi);
  if (candidates.empty()) return {};

  std::vector<cv::Mat> crops;
  std::vector<std::pair<std::size_t, PlateQuad>> owner;  // crop -> (candidate, outline)
  for (std::size_t i = 0; i < candidates.size(); ++i) {
    const auto& c = candidates[i];
    const std::span<const Variant> variants =
        c.source == CandidateSource::Edge ? std::span<const Variant>(kEdgeVariants) : std::span<const Variant>(kColourVariants);
    std::vector<PlateQuad> outlines;
    for (const Variant& v : variants) outlines.push_back(growQuad(c.quad, v.sx, v.sy));
    // An edge candidate's last hypothesis: the outline around its character band, unless it nearly repeats one of
    // the grown ones (a reader call is most of a candidate's cost).
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
  const std::vector<cv::Mat> probs = reader_.probabilities(crops);

  struct Pending {
    PlateRead read;
    std::size_t crop;
  };
  std::vector<Pending> reads;
  for (std::size_t k = 0; k < probs.size(); ++k) {
    if (probs[k].empty()) continue;
    const auto d = reader_.grammar().decode(probs[k]);
    // Low reads stay in for now: the plate's colour below may call for the other length.
    if (!d) continue;
    reads.push_back({PlateRead{d->text, {}, d->confidence, d->charConfidence, owner[k].second, d->kind}, k});
  }
  std::ranges::stable_sort(reads, [](const Pending& a, const Pending& b) { return a.read.confidence > b.read.confidence; });

  // One read per plate: a weaker read overlapping a kept one, or repeating its text, is the same plate.
  std::vector<PlateRead> kept;
  const cv::Rect area = options.roi.area() > 0 ? (options.roi & cv::Rect(0, 0, frame.cols, frame.rows))
                                                : cv::Rect(0, 0, frame.cols, frame.rows);
  const bool mono = frame.channels() == 1 || isMonochrome(frame(area));
  for (Pending& p : reads) {
    PlateRead& r = p.read;
    r.colour = mono ? "unknown" : plateColour(warpPlateColour(frame, r.quad));
    // Green new-energy plates have eight characters and blue ones seven (GA 36-2014): a read of the other length
    // lost or invented a character, so read the same crop again at the plate's length and keep the better.
    const int want = r.colour == "green" ? 8 : r.colour == "blue" ? 7 : 0;
    if (want != 0 && static_cast<int>(splitUtf8(r.text).size()) != want) {
      const auto again = reader_.grammar().decode(probs[p.crop], want);
      if (again && (r.colour == "green" || again->confidence > r.confidence)) {
        r.text = again->text;
        r.kind = again->kind;
        r.charConfidence = again->charConfidence;
        r.confidence = again->confidence;
      } else if (r.colour == "green") {
        continue;
      }
    }
    if (r.confidence < options.minConfidence || !colourFits(r.kind, r.colour)) continue;
    const bool same = std::ranges::any_of(kept, [&](const PlateRead& k) {
      return k.text == r.text || quadOverlap(k.quad, r.quad) > 0.3;
    });
    if (same) continue;
    if (plateKindLength(r.kind) == 8) r.colour = "green";  // only new-energy plates have eight characters
    kept.push_back(std::move(r));
    if (static_cast<int>(kept.size()) >= options.maxReads) break;
  }
  std::ranges::stable_sort(kept, [](const PlateRead& a, const PlateRead& b) { return a.confidence > b.confidence; });
  return kept;
}

}  // namespace vg::vision
