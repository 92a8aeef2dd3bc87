// PlatePipeline: frame -> plate reads. Finds candidates in the region of interest (PlateFinder), reads each with
// the trained reader under the plate grammar (PlateReader), names the plate colour, and returns the grammatical
// reads best first. A special plate (警 学 挂 港 澳 使 领) whose background colour contradicts its kind (GA 36-2014
// table 1) is declined; an 8-character read is reported green whatever the hue says. Owns its PlateReader (a
// cv::dnn::Net): not thread-safe, one instance per worker thread; movable. read() does not throw for any frame (empty
// or odd-typed frames give no reads); load() reports a bad model as a value.
#pragma once

#include <expected>
#include <filesystem>
#include <opencv2/core.hpp>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "vision/plate_detector.h"
#include "vision/plate_finder.h"
#include "vision/plate_grammar.h"
#include "vision/plate_province.h"
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

// The province look (PlateProvince) as evidence for a read's first character, after the second looks. When the look's
// most probable province is the read's, with probability q, the province's confidence c becomes at least
// sigmoid(slope * (logit(c) + logit(q)) / 2): slope 2 multiplies the two odds (two independent witnesses), slope 1 is
// their mean in logit space (no more evidence than the two on average). A look that prefers another province changes
// nothing by default; with `cap` it caps the read's province at 1 - its probability for its own (as a second look that
// reads another character does). The text is never changed, and nothing happens when the first character is not a
// province or the look gave no probabilities. Chosen on data we may fit on (bench/README.md, "The province look"):
// slope 2, no cap. The look cuts a small cell out of the outline, and the finder's outlines are off by about 4% of a
// plate's width and 10% of its height, so where it disagrees it is as often the outline's fault as the read's: the cap
// cost right reads (generated green lane scenes 96.7% -> 90.0% at 0.8) and brought no confident wrong read down.
struct ProvinceAgreement {
    bool on = true;
    float slope = 2.0F;
    bool cap = false;
};
void confirmByProvinceLook(PlateRead& read, std::span<const float> probs, const std::vector<std::string>& provinces,
                           const ProvinceAgreement& agreement = {});

// Where the last read() spent its time (thread-agnostic wall milliseconds from cv::getTickCount) and what it did:
// for the bench, which reports the stages separately.
struct PipelineTimings {
    double detect_ms = 0;    // the learned detector's whole-region search
    double refine_ms = 0;    // its closer looks at outlines
    double find_ms = 0;      // the classical proposals
    double read_ms = 0;      // the reader over every outline hypothesis and the second looks
    double province_ms = 0;  // the province look over the looked-at reads (part of read_ms)
    int crops = 0;           // reader inputs
    bool classical = false;  // the classical proposals were searched (no settled read from the detector's outlines)
};

class PlatePipeline {
  public:
    // Without a detector the classical finder alone proposes plates; without a province look the reader's province
    // stands alone.
    explicit PlatePipeline(PlateReader reader, FinderOptions finder = {}, std::optional<PlateDetector> detector = {},
                           std::optional<PlateProvince> province = {});
    // The committed models (VG_MODEL_DIR): the reader, the learned detector and the province look; any one missing
    // or broken is an error.
    static std::expected<PlatePipeline, std::string> loadDefault(FinderOptions finder = {},
                                                                 GrammarOptions grammar = {});
    // The same three models by their committed file names in another directory (the daemon's
    // VOUCHER_GATE_MODEL_DIR).
    static std::expected<PlatePipeline, std::string> load(const std::filesystem::path& dir);

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
    // How the province look counts (confirmByProvinceLook); the bench varies it.
    void setProvinceAgreement(const ProvinceAgreement& agreement) { provinceAgreement_ = agreement; }
    bool hasProvinceLook() const { return province_.has_value(); }

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
    std::optional<PlateProvince> province_;
    PipelineTimings timings_;
    LookAgreement agreement_;
    ProvinceAgreement provinceAgreement_;
};

}  // namespace vg::vision
