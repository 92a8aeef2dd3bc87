// PlatePipeline: frame -> plate reads. Finds candidates in the region of interest (PlateFinder), reads each with
// the trained reader under the plate grammar (PlateReader), names the plate colour, and returns the grammatical
// reads best first. A special plate (警 学 挂 港 澳 使 领) whose background colour contradicts its kind (GA 36-2014
// table 1) is declined; an 8-character read is reported green whatever the hue says. Owns its PlateReader (a cv::dnn::Net): not thread-safe, one instance per worker thread; movable.
// read() does not throw for any frame (empty or odd-typed frames give no reads); load() reports a bad model as a
// value.
#pragma once

#include <expected>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "vision/plate_finder.h"
#include "vision/plate_grammar.h"
#include "vision/plate_reader.h"

namespace vg::vision {

struct PlateRead {
  std::string text;                   // UTF-8, e.g. "沪AD12345"
  std::string colour;                 // blue, yellow, green, white, black, unknown (monochrome frame)
  float confidence = 0.0F;            // lowest per-character confidence
  std::vector<float> charConfidence;  // one per character (see PlateDecode)
  PlateQuad quad;                     // plate outline in frame pixels, TL TR BR BL
  PlateKind kind = PlateKind::Standard;
};

struct PlateReadOptions {
  cv::Rect roi;                // frame pixels; empty = whole frame
  float minConfidence = 0.0F;  // reads below are dropped (the daemon uses lanes.min_plate_confidence)
  int maxReads = 4;
  // Reads at or above this confidence get second looks (see confirmBySecondLooks), and so does every read at or
  // above minConfidence when that is set; reads below both keep their one-look confidence.
  float secondLookFrom = 0.5F;
};

// One read's character confidences confronted with the same plate read again from two other crops, one with
// tighter margins and one with wider: a look that reads another character at position i caps that character's
// confidence at 1 - the look's confidence in its own character (the network cannot give ours more than what
// is left); a look that cannot be decoded at the read's length caps every character at 0.5. Looks that agree
// change nothing, and the text is never rewritten. The read's confidence becomes the lowest character
// confidence again. A confident read that a small change of the crop overturns is not confident
// (bench/README.md, "Second looks").
void confirmBySecondLooks(PlateRead& read, std::span<const std::expected<PlateDecode, DecodeError>> looks);

class PlatePipeline {
 public:
  explicit PlatePipeline(PlateReader reader, FinderOptions finder = {});
  // The committed model (VG_MODEL_DIR).
  static std::expected<PlatePipeline, std::string> loadDefault(FinderOptions finder = {},
                                                               GrammarOptions grammar = {});

  // frame: BGR or grey, any size. Best (highest confidence) first; at most one read per plate in the frame.
  std::vector<PlateRead> read(const cv::Mat& frame, const PlateReadOptions& options = {});
  // A ready crop of one plate (no search): the read or why not. tight: the crop is cut at the plate's outline, so
  // the reader's margins are added (edge pixels repeated) before resizing.
  std::expected<PlateRead, DecodeError> readCrop(const cv::Mat& plateImage, bool tight = false);

  PlateReader& reader() { return reader_; }
  PlateFinder& finder() { return finder_; }

 private:
  std::vector<PlateRead> readUnchecked(const cv::Mat& frame, const PlateReadOptions& options);
  // Reads each of `reads` (at their outlines in `image`) again through the second-look crops and confirms
  // them.
  void secondLooks(const cv::Mat& image, std::span<PlateRead*> reads);

  PlateReader reader_;
  PlateFinder finder_;
};

}  // namespace vg::vision
