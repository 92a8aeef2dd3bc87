// Writes synthetic gate frames (see sim/frame_synth.h) as JPEG files plus labels.csv (file,expected_text,description).
// Usage: qr_gen_frames OUT_DIR [--count N] [--no-code N] [--seed S] [--size 1280x720] [--plate] [--quality Q] [--page]
//                      [--only I,J,...] [--phone]
// --only writes just those frame indices of the sequence (e.g. the misses qr_bench lists, with its --seed and size;
// the PNG keeps the frame exactly as the bench decoded it).
// --phone writes phone-screen passes instead (sim/phone_synth.h): --count passes with a code and --no-code without,
// each frame as pass_III_FF.jpg (PNG with --only, exactly as qr_bench decodes it), labels.csv one row per frame.
// --page also writes page.pdf: the generator's tokens as `voucher-gate cards` prints them (4 cards on one A4 page).
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "bench/option_number.h"
#include "bench/qr/bench_card_options.h"
#include "cards/cards_pdf.h"
#include "sim/frame_synth.h"
#include "sim/phone_synth.h"

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr,
                     "usage: %s OUT_DIR [--count N] [--no-code N] [--seed S] [--size WxH] [--plate] [--quality Q] "
                     "[--page] [--only I,J,...] [--phone]\n",
                     argv[0]);
        return 2;
    }
    const std::filesystem::path out = argv[1];
    int count = 20, no_code = 4, quality = 90;
    std::uint64_t seed = 1;
    cv::Size size(1280, 720);
    auto camera = vg::sim::CameraKind::Card;
    bool page = false, phone = false;
    std::vector<int> only;
    for (int i = 2; i < argc; ++i) {
        const std::string a = argv[i];
        const std::string v = i + 1 < argc ? argv[i + 1] : "";
        if (a == "--count")
            count = vg::bench::optionNumber<int>(a, v), ++i;
        else if (a == "--no-code")
            no_code = vg::bench::optionNumber<int>(a, v), ++i;
        else if (a == "--seed")
            seed = vg::bench::optionNumber<std::uint64_t>(a, v), ++i;
        else if (a == "--quality")
            quality = vg::bench::optionNumber<int>(a, v), ++i;
        else if (a == "--size") {
            std::sscanf(v.c_str(), "%dx%d", &size.width, &size.height);
            ++i;
        } else if (a == "--plate")
            camera = vg::sim::CameraKind::Plate;
        else if (a == "--phone")
            phone = true;
        else if (a == "--page")
            page = true;
        else if (a == "--only") {
            std::stringstream list(v);
            for (std::string item; std::getline(list, item, ',');)
                only.push_back(vg::bench::optionNumber<int>(a, item));
            ++i;
        } else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    std::filesystem::create_directories(out);
    std::ofstream labels(out / "labels.csv");
    labels << "file,expected_text,description\n";
    // A listed frame as PNG, exactly as the bench decoded it; a whole set as JPEG.
    const auto write = [&](const std::string& stem, const cv::Mat& image) {
        const std::string name = stem + (only.empty() ? ".jpg" : ".png");
        if (only.empty())
            cv::imwrite((out / name).string(), image, {cv::IMWRITE_JPEG_QUALITY, quality});
        else
            cv::imwrite((out / name).string(), image);
        return name;
    };
    if (phone) {
        auto passes = vg::sim::PhoneSynth::make(seed, vg::bench::benchCardOptions());
        if (!passes) {
            std::fprintf(stderr, "%s\n", passes.error().c_str());
            return 1;
        }
        int written = 0;
        for (int i = 0; i < count + no_code; ++i) {
            if (!only.empty() && std::find(only.begin(), only.end(), i) == only.end()) continue;
            const auto p = passes->pass(static_cast<std::uint64_t>(i), size, i < count);
            for (std::size_t k = 0; k < p.frames.size(); ++k) {
                const std::string name = write(fmt::format("pass_{:03}_{:02}", i, k), p.frames[k].image);
                labels << name << "," << p.text << ",\"" << p.description << "; " << p.frames[k].description << "\"\n";
                ++written;
            }
        }
        std::printf("wrote %d frames to %s\n", written, out.c_str());
        return 0;
    }
    auto synth = vg::sim::FrameSynth::make(seed);
    if (!synth) {
        std::fprintf(stderr, "%s\n", synth.error().c_str());
        return 1;
    }
    for (int i = 0; i < count + no_code; ++i) {
        if (!only.empty() && std::find(only.begin(), only.end(), i) == only.end()) continue;
        const bool with_code = i < count;
        const auto f = synth->frame(static_cast<std::uint64_t>(i), size, camera, with_code);
        const std::string name = write(fmt::format("{}_{:03}", with_code ? "code" : "nocode", i), f.image);
        labels << name << "," << f.text << ",\"" << f.description << "\"\n";
    }
    if (page) {
        std::vector<vg::cards::CardSpec> cards;
        for (std::size_t i = 0; i < 4 && i < synth->tokens().size(); ++i)
            cards.push_back({fmt::format("{}-{}01", i + 1, i + 3),
                             {2026, 11},
                             static_cast<std::uint32_t>(i + 1),
                             synth->tokens()[i],
                             std::nullopt});
        vg::cards::CardSheetOptions opt;
        opt.site_name = "和平花园";
        if (auto r = vg::cards::renderCardsPdf(cards, opt, out / "page.pdf"); !r) {
            std::fprintf(stderr, "%s\n", r.error().c_str());
            return 1;
        }
        std::ofstream(out / "page.txt") << synth->tokens()[0] << "\n"
                                        << synth->tokens()[1] << "\n"
                                        << synth->tokens()[2] << "\n"
                                        << synth->tokens()[3] << "\n";
    }
    std::printf("wrote %d frames to %s\n", only.empty() ? count + no_code : static_cast<int>(only.size()), out.c_str());
    return 0;
}
