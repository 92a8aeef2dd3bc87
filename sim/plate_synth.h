// Synthetic plate scenes (vg_sim), for bench/plates and the demo's lane clips: plates drawn to the GA 36-2014 layout
// with Debian fonts (OSP-DIN for letters and digits by default, Noto Sans CJK for provinces) into a 1920x1080 lane
// scene. Deliberately a different renderer from the trainer's generator (vision/training/plate_synth.py), so the bench
// does not only measure the training distribution. Not thread-safe (one FreeType face per instance).
#pragma once

#include <filesystem>
#include <opencv2/core.hpp>
#include <opencv2/freetype.hpp>
#include <random>
#include <string>
#include <vector>

#include "vision/plate_finder.h"

namespace vg::sim {

enum class SynthStyle { Blue, Yellow, Green };

// How letters and digits are drawn: OSP-DIN (a font the plate reader was not trained on: the plate benchmark's
// generated scenes), or the plate font's strokes (plate_font_glyphs.inc, exported from the trainer's generator:
// the lane clips of the demo, the daemon's tests and its benchmark, which measure the daemon, not the reader).
enum class GlyphFont { Din, PlateFont };

struct SynthScene {
    cv::Mat image;           // 1920x1080 BGR, or grey for night scenes
    cv::Rect roi;            // the lane's region of interest (contains the plate)
    vision::PlateQuad quad;  // plate outline
    std::string text;
    std::string colour;  // blue, yellow, green
};

struct SynthFrameParams {
    double plate_width = 220;  // px in the 1920x1080 frame
    bool night = false;
    double blur = 0.5;  // Gaussian sigma
    double noise = 4;   // Gaussian sigma
    int jpeg_quality = 80;
    double tilt = 0.04;   // perspective jitter as a fraction of the plate width
    double rotation = 3;  // degrees
};

// Flat plates written by flat_plates.py (the trainer's glyphs): labels.csv + PNGs.
struct FlatPlate {
    cv::Mat image;
    std::string text;
    std::string colour;  // blue, yellow, green
};
std::vector<FlatPlate> loadFlatPlates(const std::filesystem::path& dir);

class PlateSynth {
  public:
    explicit PlateSynth(unsigned seed, GlyphFont font = GlyphFont::Din);
    // A plausible plate text for a style (沪 prior 30%, issuer letters, at most two serial letters).
    std::string randomText(SynthStyle style);
    // The flat plate at 2 px/mm (880x280, green 960x280).
    cv::Mat renderPlate(const std::string& text, SynthStyle style);
    SynthScene scene(const std::string& text, SynthStyle style, const SynthFrameParams& p);
    // The same with a ready flat plate image (BGR, the plate's outer extent), e.g. one from flat_plates.py.
    SynthScene scene(const cv::Mat& plate, const std::string& text, const std::string& colour,
                     const SynthFrameParams& p);
    SynthFrameParams randomParams(bool night);
    std::mt19937& rng() { return rng_; }

  private:
    cv::Mat glyph(const std::string& ch, int cellW, int cellH);
    std::mt19937 rng_;
    GlyphFont font_;
    cv::Ptr<cv::freetype::FreeType2> din_;
    cv::Ptr<cv::freetype::FreeType2> cjk_;
};

}  // namespace vg::sim
