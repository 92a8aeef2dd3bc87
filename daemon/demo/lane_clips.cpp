// vg-lane-clips: writes a lane camera clip as a folder of numbered JPEG frames (like an MJPEG USB camera: every
// frame a JPEG to decode) or, when OUT ends in .mkv or .mp4, as an H.264 video at --fps (default 25; like an IP
// camera's RTSP stream), for the daemon's integration tests, its benchmark and the demo. Each line of the scene file
// (or stdin with "-") adds frames:
//   frames=40 plate=沪A12345 card=VG1:... card_from=5 card_to=40
//   frames=20                      (an empty lane)
// The plate is drawn by the scene generator (sim/plate_synth.h, also the plate benchmark's: GA 36-2014 layout into a
// 1920x1080 lane scene), its letters and digits in the plate font's strokes as on a real plate; the card is the
// real printed card (cards/cards_pdf.h renderCardImage) carrying the token, held at window height, so one camera
// serves both (the card gets ~6 px per module). Deterministic.
//   vg-lane-clips OUT_DIR|OUT.mkv SCENE_FILE [--start N] [--fps F]
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>
#include <sstream>
#include <string>

#include "cards/cards_pdf.h"
#include "gate/parse_number.h"
#include "sim/plate_synth.h"

namespace {

// The number an option or scene field was given, or exit 2 naming it ("12abc" is not 12).
template <typename T>
T numberOrExit(const std::string& what, const std::string& text) {
    if (const auto v = vg::gate::parseNumber<T>(text)) return *v;
    std::fprintf(stderr, "%s: not a number: '%s'\n", what.c_str(), text.c_str());
    std::exit(2);
}

std::map<std::string, std::string> parseLine(const std::string& line) {
    std::map<std::string, std::string> out;
    std::istringstream in(line);
    std::string word;
    while (in >> word) {
        const auto eq = word.find('=');
        if (eq != std::string::npos) out[word.substr(0, eq)] = word.substr(eq + 1);
    }
    return out;
}

int toInt(const std::map<std::string, std::string>& m, const std::string& key, int fallback) {
    const auto it = m.find(key);
    return it == m.end() ? fallback : numberOrExit<int>("scene field " + key, it->second);
}

cv::Mat emptyLane(std::mt19937& rng) {
    cv::Mat img(1080, 1920, CV_8UC3);
    for (int y = 0; y < img.rows; ++y) {
        const auto shade = static_cast<unsigned char>(90 + y * 60 / img.rows);
        img.row(y).setTo(cv::Scalar(shade, shade, shade - 5));
    }
    cv::Mat noise(img.size(), CV_8UC3);
    cv::randn(noise, 0, 3);
    img += noise;
    (void)rng;
    return img;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: vg-lane-clips OUT_DIR|OUT.mkv SCENE_FILE|- [--start N] [--fps F]\n");
        return 2;
    }
    const std::filesystem::path out = argv[1];
    const std::string scene_path = argv[2];
    int index = 0;
    double fps = 25;
    for (int i = 3; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--start")
            index = numberOrExit<int>(a, argv[i + 1]);
        else if (a == "--fps")
            fps = numberOrExit<double>(a, argv[i + 1]);
        else {
            std::fprintf(stderr, "vg-lane-clips: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    const bool video = out.extension() == ".mkv" || out.extension() == ".mp4";
    cv::VideoWriter writer;
    if (video) {
        if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
        writer.open(out.string(), cv::CAP_FFMPEG, cv::VideoWriter::fourcc('a', 'v', 'c', '1'), fps, {1920, 1080});
        if (!writer.isOpened()) {
            std::fprintf(stderr, "vg-lane-clips: cannot open an H.264 writer for %s (FFmpeg with libx264)\n",
                         out.c_str());
            return 1;
        }
    } else {
        std::filesystem::create_directories(out);
    }
    std::ifstream file;
    if (scene_path != "-") {
        file.open(scene_path);
        if (!file) {
            std::fprintf(stderr, "vg-lane-clips: cannot read %s\n", scene_path.c_str());
            return 2;
        }
    }
    std::istream& in = scene_path == "-" ? std::cin : file;
    vg::sim::PlateSynth synth(7, vg::sim::GlyphFont::PlateFont);
    std::mt19937 rng(11);
    std::map<std::string, cv::Mat> plate_scenes;  // the same car looks the same each time it comes back
    std::string line;
    int scene_no = 0;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        const auto m = parseLine(line);
        const int frames = toInt(m, "frames", 10);
        cv::Mat base;
        if (const auto it = m.find("plate"); it != m.end() && plate_scenes.contains(it->second)) {
            base = plate_scenes[it->second];
        } else if (it != m.end()) {
            vg::sim::SynthFrameParams p;
            p.plate_width = 260;
            p.blur = 0.4;
            p.noise = 2;
            p.jpeg_quality = 90;
            p.tilt = 0.02;
            p.rotation = 1;
            base = synth.scene(it->second, vg::sim::SynthStyle::Blue, p).image;
            plate_scenes[it->second] = base;
        } else {
            base = emptyLane(rng);
        }
        if (base.channels() == 1) cv::cvtColor(base, base, cv::COLOR_GRAY2BGR);
        cv::Mat with_card;
        const auto card_it = m.find("card");
        if (card_it != m.end()) {
            vg::cards::CardSpec spec;
            spec.unit = "demo";
            spec.month = {2026, 11};
            spec.serial = static_cast<std::uint32_t>(scene_no + 1);
            spec.token = card_it->second;
            auto card = vg::cards::renderCardImage(spec, vg::cards::CardSheetOptions{}, 3.5);
            if (!card) {
                std::fprintf(stderr, "vg-lane-clips: %s\n", card.error().c_str());
                return 1;
            }
            with_card = base.clone();
            // Held out of the driver's window on the left of the frame, clear of the plate.
            const cv::Rect where(60, 120, card->cols, card->rows);
            card->copyTo(with_card(where));
        }
        const int card_from = toInt(m, "card_from", 0);
        const int card_to = toInt(m, "card_to", frames);
        for (int f = 0; f < frames; ++f) {
            const bool card_visible = !with_card.empty() && f >= card_from && f < card_to;
            if (video) {
                writer.write(card_visible ? with_card : base);
                ++index;
                continue;
            }
            char name[64];
            std::snprintf(name, sizeof(name), "frame_%05d.jpg", index++);
            cv::imwrite((out / name).string(), card_visible ? with_card : base, {cv::IMWRITE_JPEG_QUALITY, 90});
        }
        ++scene_no;
    }
    std::printf("%d\n", index);
    return 0;
}
