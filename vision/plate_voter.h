// Multi-frame voting of plate reads over one pass of a car, and the exit-side "which car inside is this" match.
// A PlateVoter belongs to one lane (one pass at a time) and is not thread-safe: call it from the lane's thread.
// Nothing here throws.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vg::vision {

struct VoterOptions {
    int min_frames = 3;                 // frames that must agree on every character before a plate is declared
    float min_agreement = 0.6F;         // ... and as a fraction of the frames that gave a read in this pass
    float min_confidence = 0.8F;        // lowest voted per-character confidence for a declared plate
    float min_frame_confidence = 0.2F;  // reads below this are ignored (they still do not count as disagreement)
};

struct VotedPlate {
    std::string text;
    std::string colour;  // majority colour of the frames that read `text` exactly ("" if none given)
    std::vector<float>
        char_confidence;      // per character: mean confidence of the best min_frames frames that voted for it
    float confidence = 0.0F;  // lowest of char_confidence
    int frames = 0;           // reads counted in this pass
    int agreeing = 0;         // frames agreeing with the winner at its least agreed character
};

class PlateVoter {
  public:
    explicit PlateVoter(VoterOptions options = {});

    // One frame's read: UTF-8 text and its per-character confidences (same count as characters; missing entries
    // count as the read's lowest). colour is optional ("" when unknown).
    void add(std::string_view text, std::span<const float> charConfidence, std::string_view colour = {});

    // The plate this pass has settled on, if the options are met. Cheap enough to ask after every frame.
    std::optional<VotedPlate> voted() const;
    // The current leader even if it does not meet the options yet (for logs and the status page).
    std::optional<VotedPlate> leader() const;

    void reset();  // end of a pass
    int frames() const { return static_cast<int>(reads_.size()); }
    const VoterOptions& options() const { return options_; }

  private:
    struct Read {
        std::vector<std::string> chars;
        std::vector<float> conf;
        std::string colour;
    };
    VoterOptions options_;
    std::vector<Read> reads_;
};

// Exit-side match of one read against the plates of the cars currently inside: the exact plate if present, else
// the single plate that differs from the read in exactly one character by a common OCR confusion (0/D/Q, 8/B, 2/Z,
// 5/S, 1/I/7, A/4). Two or more such plates: no match (guessing between cars is worse than asking the guard).
std::optional<std::string> matchInside(std::string_view read, std::span<const std::string> inside);

// Whether two single characters are a known OCR confusion pair (exposed for tests and the ledger's own rule).
bool confusable(std::string_view a, std::string_view b);

}  // namespace vg::vision
