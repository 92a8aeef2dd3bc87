// PlatePipeline: frame -> plate reads. Finds candidates in the region of interest (PlateFinder), reads each with
// the trained reader under the plate grammar (PlateReader), names the plate colour, and returns the grammatical
// reads best first. A special plate (警 学 挂 港 澳 使 领) whose background colour contradicts its kind (GA 36-2014
// table 1) is declined; an 8-character read is reported green whatever the hue says. Owns its PlateReader (a
// cv::dnn::Net): not thread-safe, one instance per worker thread; movable. read() does not throw for any frame (empty
// or odd-typed frames give no reads); load() reports a bad model as a value.
#pragma once

#include <expected>
#include <opencv2/core.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vision/plate_detector.h"
#include "vision/plate_finder.h"
#include "vision/plate_grammar.h"
#include "vision/plate_reader.h"

namespace vg::vision {

struct PlateRead {
    std::string text;                    // UTF-8, e.g. "沪AD12345"
    std::string colour;                  // blue, yellow, green, white, black, unknown (monochrome frame)
    float confidence = 0.0F;             // lowest per-character confidence
    std::vector<float> char_confidence;  // one per character (see PlateDecode)
    PlateQuad quad;                      // plate outline in frame pixels, TL TR BR BL
    PlateKind kind = PlateKind::Standard;
};

struct PlateReadOptions {
    cv::Rect roi;                 // frame pixels; empty = whole frame
    float min_confidence = 0.0F;  // reads below are dropped (the daemon uses lanes.min_plate_confidence)
    int max_reads = 4;
};

// Second looks: every read the pipeline reports is read again from two other crops of the same outline, one with
// tighter margins and one with wider, and settled here. Each look is decoded at the read's length. Per position, the
// character is the one with the most confidence summed over the read and the looks; the settled text is taken only
// when the grammar accepts it (else the read keeps its own). A character the read itself had keeps its confidence;
// one the looks overturned gets the lowest of 0.5, the confidence of the character it replaces and 1 - that
// confidence: a better guess, never a confident one. Every look that reads another character at a position caps
// that position at 1 - the look's confidence in its character (the network cannot give ours more than it left), and
// a look that cannot be decoded at the read's length caps every character at 0.5. The read's confidence is the lowest
// character confidence again. So a character any look contradicts never ends more confident than it was, and a
// confident read that a small change of the crop overturns is not confident (bench/README.md, "Second looks"); only a
// character that every look reads alike may gain, by agreement, below.
//
// Agreement as evidence (issue 14): a character that the read and every look read alike, with no look unreadable, is
// seen three times, from three crops, and that is more evidence than any one of them. Such a character's confidence
// becomes at least sigmoid(slope * m + offset), m the mean logit of the read's and the looks' confidences in it (each
// clamped to 1e-4..1-1e-4): slope 1 and offset 0 is their mean in logit space, a larger slope counts the agreement as
// more evidence (3 would treat the three crops as independent; they are not: one network, overlapping crops). The
// defaults were chosen on data we may fit on (the `train` part of lprnet_crops, generated lane scenes and passes with
// another seed, kind_scenes.py's scenes with their own seed; never easypr_dev, ccpd_dev or lprnet's eval part) as the
// largest lift that brought no confident wrong read on them: letters and digits slope 2. The first character (a
// province, or 使) gets no lift: a province lift (slope 3 on the fitting scenes, even slope 1 on the generated night
// scenes) made generated 川 plates read confidently as 冀 and 湘; the province is the reader's least sure character
// and its looks agree on wrong provinces too (bench/README.md, "Plates", "Agreement as evidence"). A character any
// look disagrees with gets no lift.
struct LookAgreement {
    bool on = true;
    float slope = 2.0F;  // letters and digits
    float offset = 0.0F;
    bool lift_province = false;   // the bench's experiments only
    float province_slope = 1.0F;  // used when lift_province
    float province_offset = 0.0F;
};
void confirmBySecondLooks(PlateRead& read, std::span<const std::expected<PlateDecode, DecodeError>> looks,
                          const PlateGrammar& grammar, const LookAgreement& agreement = {});

// Where the last read() spent its time (thread-agnostic wall milliseconds from cv::getTickCount) and what it did:
// for the bench, which reports the stages separately.
struct PipelineTimings {
    double detect_ms = 0;    // the learned detector's whole-region search
    double refine_ms = 0;    // its closer looks at outlines
    double find_ms = 0;      // the classical proposals
    double read_ms = 0;      // the reader over every outline hypothesis and the second looks
    int crops = 0;           // reader inputs
    bool classical = false;  // the classical proposals were searched (no settled read from the detector's outlines)
};

class PlatePipeline {
  public:
    // Without a detector the classical finder alone proposes plates.
    explicit PlatePipeline(PlateReader reader, FinderOptions finder = {}, std::optional<PlateDetector> detector = {});
    // The committed models (VG_MODEL_DIR): the reader and the learned detector; either one missing or broken is an
    // error.
    static std::expected<PlatePipeline, std::string> loadDefault(FinderOptions finder = {},
                                                                 GrammarOptions grammar = {});

    // frame: BGR or grey, any size. Best (highest confidence) first; at most one read per plate in the frame.
    std::vector<PlateRead> read(const cv::Mat& frame, const PlateReadOptions& options = {});
    // A ready crop of one plate (no search): the read or why not. tight: the crop is cut at the plate's outline, so
    // the reader's margins are added (edge pixels repeated) before resizing.
    std::expected<PlateRead, DecodeError> readCrop(const cv::Mat& plateImage, bool tight = false);

    PlateReader& reader() { return reader_; }
    PlateFinder& finder() { return finder_; }
    bool hasDetector() const { return detector_.has_value(); }
    const PipelineTimings& lastTimings() const { return timings_; }
    // How agreeing looks lift a character's confidence (confirmBySecondLooks); the bench varies it.
    void setLookAgreement(const LookAgreement& agreement) { agreement_ = agreement; }
    const LookAgreement& lookAgreement() const { return agreement_; }

  private:
    struct Pending {
        PlateRead read;
        cv::Mat probs;  // the reader's output for the read's crop (read again at another length in settle())
    };
    struct LookedRead {
        PlateRead raw;     // as the reader first read the outline
        PlateRead looked;  // after confirmBySecondLooks
    };
    std::vector<PlateRead> readUnchecked(const cv::Mat& frame, const PlateReadOptions& options);
    // The raw reads of a frame -> the reported ones: one per plate, confirmed by the second looks, best first. Each
    // plate keeps up to two outlines; the second is looked at only when the first does not come out settled. `cache`
    // holds the looks already taken in this frame (settle runs again when the classical proposals add reads).
    std::vector<PlateRead> settle(const cv::Mat& frame, std::vector<Pending> reads, const PlateReadOptions& options,
                                  std::vector<LookedRead>& cache);
    // Reads each of `reads` (at their outlines in `image`) again through the second-look crops and confirms
    // them.
    void secondLooks(const cv::Mat& image, std::span<PlateRead*> reads);

    PlateReader reader_;
    PlateFinder finder_;
    std::optional<PlateDetector> detector_;
    PipelineTimings timings_;
    LookAgreement agreement_;
};

}  // namespace vg::vision
