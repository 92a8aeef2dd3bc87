// The grammar-constrained CTC decoder of the plate reader, built on the text grammar of plates (plate/plate_text.h:
// provinces, issuing authorities, kinds). PlateGrammar is immutable after construction and may be shared between
// threads; decode() is const and allocates only locals. Nothing here throws except the constructor
// (std::invalid_argument on a malformed charset).
#pragma once

#include <cstdint>
#include <expected>
#include <opencv2/core.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "plate/plate_text.h"

namespace vg::vision {

// The plate kinds, their names and lengths and splitUtf8() moved to the pure text grammar in plate/plate_text.h
// (shared with `gate`, which checks what people type); they stay reachable here under their old names.
using plate::isSpecialPlateKind;
using plate::PlateKind;
using plate::plateKindLength;
using plate::plateKindName;
using plate::splitUtf8;

struct GrammarOptions {
    // Restrict the letter after the province to the issuing-authority codes of GA 36-2014 Appendix A (plus the
    // historical 皖Q and the provincial police code O). Off: any letter but I.
    bool issuer_letters = true;
    // Accept the special plates (学 警 挂 港 澳 领 使) when the reader's charset has their characters. Off: they are
    // never produced, so such a plate reads with a low confidence or not at all (declined, never forced).
    bool accept_special = true;
    // CTC prefix-beam width. 8-16 is plenty for plates: the grammar prunes most of the space.
    int beam_width = 12;
};

struct PlateDecode {
    std::string text;  // UTF-8, no separator dot
    PlateKind kind = PlateKind::Standard;
    // Per character: the highest softmax probability its class reaches on the timesteps assigned to it by the best
    // (Viterbi) CTC alignment of `text`. A character the grammar forced in against the network gets a low value.
    std::vector<float> char_confidence;
    float confidence = 0.0F;  // the lowest of char_confidence: one bad character makes a bad read
    double log_prob = 0.0;    // log P(text | frame) summed over alignments (beam estimate)
};

enum class DecodeError : std::uint8_t {
    BadShape,  // matrix is not T x classes, CV_32F
    NoPlate,   // no grammatical text survived the beam (e.g. a special plate the grammar declines)
};

std::string_view decodeErrorName(DecodeError error);

class PlateGrammar {
  public:
    // charset[i] is the UTF-8 text of class i (one code point, or empty for the blank); blank is the CTC blank class.
    // Classes whose text is not a plate character (padding, "-", ...) are simply never emitted.
    PlateGrammar(std::vector<std::string> charset, int blank, GrammarOptions options = {});

    // probs: T x C (rows = timesteps), CV_32F, each row a softmax distribution over the C classes. onlyLength > 0
    // restricts the read to plates of that many characters (e.g. 8 when the plate is green).
    std::expected<PlateDecode, DecodeError> decode(const cv::Mat& probs, int onlyLength = 0) const;

    // Unconstrained best path (argmax per step, collapse repeats, drop blanks): for diagnostics and tests.
    std::string greedy(const cv::Mat& probs) const;

    // Whether `text` is a plate this grammar accepts, and as what.
    std::expected<PlateKind, DecodeError> classify(std::string_view text) const;

    const std::vector<std::string>& charset() const { return charset_; }
    int blank() const { return blank_; }

  private:
    struct Template {
        PlateKind kind;
        std::vector<std::vector<std::uint8_t>> slots;  // per position: allowed[class]
        bool issuer_at_second;                         // position 1 checked against the province's issuer letters
        int max_serial_letters;                        // letters allowed in positions 2.. (-1: no limit)
    };

    bool allows(const Template& tpl, const std::vector<int>& prefix, int cls) const;
    std::vector<float> alignConfidence(const cv::Mat& probs, const std::vector<int>& labels) const;

    std::vector<std::string> charset_;
    int blank_;
    GrammarOptions options_;
    std::vector<Template> templates_;
    std::vector<std::uint8_t> isLetter_;             // per class: A-Z
    std::vector<std::vector<std::uint8_t>> issuer_;  // per class (a province): allowed second-letter classes
};

}  // namespace vg::vision
