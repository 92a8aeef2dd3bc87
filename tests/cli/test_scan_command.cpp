// `scan`: good, corrupt and missing images, one JSON object per image in order, exit status 2 when any input
// could not be read, readable text without --json.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/scan_command.h"
#include "vision/test_frame_fakes.h"

namespace vg::cli {
namespace {

const vision::testing::ManualFrameClock kClock;  // scan's "ms" reads 0

namespace fs = std::filesystem;

const std::string kQr = std::string(VG_TEST_DATA_DIR) + "/qr/";

std::string firstLabelledCode(std::string* file) {
    std::ifstream f(kQr + "labels.csv");
    std::string line;
    std::getline(f, line);
    std::getline(f, line);
    const auto a = line.find(','), b = line.find(',', a + 1);
    *file = kQr + line.substr(0, a);
    return line.substr(a + 1, b - a - 1);
}

std::vector<nlohmann::json> lines(const std::string& text) {
    std::vector<nlohmann::json> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) out.push_back(nlohmann::json::parse(l));
    return out;
}

TEST(ScanCommand, ReportsEveryImageInOrderAndGoesOnPastBadOnes) {
    std::string good;
    const std::string token = firstLabelledCode(&good);
    const fs::path dir = fs::temp_directory_path() / ("vg_scan_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const fs::path corrupt = dir / "corrupt.jpg";
    std::ofstream(corrupt, std::ios::binary) << "\xff\xd8\xff\xe0 this is not really a JPEG";
    const fs::path missing = dir / "missing.png";

    std::ostringstream out, err;
    const int status = runScan({good, corrupt.string(), missing.string(), kQr + "nocode_008.jpg", dir.string()}, true,
                               out, err, kClock);
    fs::remove_all(dir);

    EXPECT_EQ(status, 2);
    const auto js = lines(out.str());
    ASSERT_EQ(js.size(), 5u) << out.str();
    EXPECT_EQ(js[0]["image"], good);
    EXPECT_FALSE(js[0].contains("error"));
    ASSERT_EQ(js[0]["qr"].size(), 1u);
    EXPECT_EQ(js[0]["qr"][0]["text"], token);
    EXPECT_EQ(js[0]["qr"][0]["corners"].size(), 4u);
    EXPECT_EQ(js[0]["qr"][0]["corners"][0].size(), 2u);
    EXPECT_TRUE(js[0]["plates"].is_array());
    EXPECT_TRUE(js[0]["ms"].is_number());

    EXPECT_EQ(js[1]["image"], corrupt.string());
    EXPECT_NE(js[1]["error"].get<std::string>().find("not a readable image"), std::string::npos);
    EXPECT_EQ(js[2]["image"], missing.string());
    EXPECT_EQ(js[2]["error"], "no such file");
    EXPECT_FALSE(js[3].contains("error"));
    EXPECT_TRUE(js[3]["qr"].empty());
    EXPECT_NE(js[4]["error"].get<std::string>().find("directory"), std::string::npos);
    EXPECT_NE(err.str().find("missing.png: no such file"), std::string::npos) << err.str();
}

TEST(ScanCommand, AllReadableIsExitZeroAndTextModeIsReadable) {
    std::string good;
    const std::string token = firstLabelledCode(&good);
    std::ostringstream out, err;
    EXPECT_EQ(runScan({good, kQr + "nocode_009.jpg"}, false, out, err, kClock), 0);
    EXPECT_TRUE(err.str().empty()) << err.str();
    EXPECT_NE(out.str().find(good + ": 1 QR code"), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("QR " + token), std::string::npos);
    EXPECT_NE(out.str().find("nocode_009.jpg: no QR code"), std::string::npos);
}

TEST(ScanCommand, NoImagesIsABadCommandLine) {
    std::ostringstream out, err;
    EXPECT_EQ(runScan({}, true, out, err, kClock), 2);
    EXPECT_TRUE(out.str().empty());
}

}  // namespace
}  // namespace vg::cli
