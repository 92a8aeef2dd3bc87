// The printed cards: a month of real tokens rendered to an A4 PDF, rasterised with pdftoppm and read back through
// `scan` — every token exactly once, each code at least 4.5 cm wide at 100% scale; level Q, version 3 for a
// token; the rules printed from the config.
#include <ZXing/ReadBarcode.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>
#include <sstream>

#include "cards/cards_pdf.h"
#include "cli/scan_command.h"
#include "gate/key_ring.h"
#include "gate/token.h"
#include "vision/test_frame_fakes.h"

namespace vg::cli {
namespace {

using cards::cardRuleLines;
using cards::CardSheetOptions;
using cards::CardSpec;
using cards::encodeQr;
using cards::kQrModuleMm;
using cards::kQrQuietModules;
using cards::renderCardsPdf;

const vision::testing::ManualFrameClock kClock;  // scan's "ms" reads 0

namespace fs = std::filesystem;

struct TempDir {
    fs::path path = fs::temp_directory_path() / ("vg_cards_" + std::to_string(::getpid()));
    TempDir() { fs::create_directories(path); }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
};

std::vector<CardSpec> monthOfCards(int households) {
    gate::KeyRing ring;
    const auto id = ring.addKey(gate::SystemClock().now());
    EXPECT_TRUE(id);
    std::vector<CardSpec> cards;
    std::uint32_t serial = 500;
    for (int h = 0; h < households; ++h) {
        for (int v = 0; v < 2; ++v) {
            const auto token = gate::encodeToken({gate::kTokenVersion1, *id, serial, {2026, 11}}, ring);
            EXPECT_TRUE(token);
            cards.push_back({std::to_string(h + 1) + "-" + std::to_string(101 + h * 100),
                             {2026, 11},
                             serial++,
                             *token,
                             h % 3 == 0 ? std::optional<std::string>("王阿姨") : std::nullopt});
        }
    }
    return cards;
}

TEST(CardsPdf, AMonthOfCardsReadsBackEveryTokenOnceAtFullSize) {
    TempDir dir;
    const auto cards = monthOfCards(9);  // 18 cards: four full pages and a half one
    CardSheetOptions opt;
    opt.site_name = "和平花园";
    const fs::path pdf = dir.path / "cards.pdf";
    ASSERT_TRUE(renderCardsPdf(cards, opt, pdf));

    constexpr int kDpi = 150;
    const std::string cmd = "pdftoppm -r " + std::to_string(kDpi) + " -gray -png '" + pdf.string() + "' '" +
                            (dir.path / "page").string() + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::vector<std::string> pages;
    for (const auto& e : fs::directory_iterator(dir.path))
        if (e.path().extension() == ".png") pages.push_back(e.path().string());
    std::sort(pages.begin(), pages.end());
    ASSERT_EQ(pages.size(), 5u);

    std::ostringstream out, err;
    ASSERT_EQ(runScan(pages, true, out, err, kClock), 0) << err.str();
    std::map<std::string, int> seen;
    std::istringstream lines(out.str());
    double smallest_mm = 1e9;
    for (std::string line; std::getline(lines, line);) {
        const auto j = nlohmann::json::parse(line);
        for (const auto& q : j["qr"]) {
            ++seen[q["text"].get<std::string>()];
            const auto& c = q["corners"];
            for (int i = 0; i < 4; ++i) {
                const double dx = c[i][0].get<double>() - c[(i + 1) % 4][0].get<double>();
                const double dy = c[i][1].get<double>() - c[(i + 1) % 4][1].get<double>();
                smallest_mm = std::min(smallest_mm, std::hypot(dx, dy) / kDpi * 25.4);
            }
        }
    }
    ASSERT_EQ(seen.size(), cards.size()) << out.str();
    for (const auto& card : cards) EXPECT_EQ(seen[card.token], 1) << card.token;
    // 29 modules of 1.75 mm = 50.75 mm; the corners zxing reports sit on the symbol's outline (+- a pixel).
    EXPECT_GE(smallest_mm, 45.0);
    EXPECT_NEAR(smallest_mm, 29 * kQrModuleMm, 1.5);
}

TEST(CardsPdf, TokenIsVersion3AtLevelQ) {
    const auto cards = monthOfCards(1);
    const auto qr = encodeQr(cards[0].token);
    ASSERT_TRUE(qr);
    // 29 x 29 modules is version 3; 43 characters fit version 3-Q only in alphanumeric mode (byte mode: 32 max).
    EXPECT_EQ(qr->side, 29);
    const int scale = 4, quiet = kQrQuietModules, side = (qr->side + 2 * quiet) * scale;
    std::vector<std::uint8_t> img(static_cast<std::size_t>(side * side), 255);
    for (int y = 0; y < qr->side; ++y)
        for (int x = 0; x < qr->side; ++x)
            if (qr->at(x, y))
                for (int dy = 0; dy < scale; ++dy)
                    for (int dx = 0; dx < scale; ++dx)
                        img[static_cast<std::size_t>(((y + quiet) * scale + dy) * side + (x + quiet) * scale + dx)] = 0;
    const auto r = ZXing::ReadBarcode({img.data(), side, side, ZXing::ImageFormat::Lum});
    ASSERT_TRUE(r.isValid());
    EXPECT_EQ(r.text(), cards[0].token);
    EXPECT_EQ(r.ecLevel(), "Q");
}

TEST(CardsPdf, RulesComeFromTheConfig) {
    CardSpec card{"3-502", {2026, 11}, 7, "VG1:X", std::nullopt};
    CardSheetOptions opt;
    auto rules = cardRuleLines(card, opt);
    ASSERT_GE(rules.size(), 3u);
    EXPECT_NE(rules[0].find("每次限用一张"), std::string::npos);
    EXPECT_NE(rules[0].find("限停4小时"), std::string::npos);
    EXPECT_NE(rules[1].find("仅限本月（2026年11月）"), std::string::npos);
    EXPECT_NE(rules[2].find("每户每月2张"), std::string::npos);

    opt.stay_max = std::chrono::minutes(150);
    opt.grace_days = 3;
    opt.per_month = 4;
    rules = cardRuleLines(card, opt);
    EXPECT_NE(rules[0].find("限停2小时30分钟"), std::string::npos) << rules[0];
    EXPECT_NE(rules[1].find("最迟12月3日入场"), std::string::npos) << rules[1];
    EXPECT_NE(rules[2].find("每户每月4张"), std::string::npos);
}

std::string joined(const std::vector<std::string>& lines) {
    std::string all;
    for (const auto& l : lines) all += l + "\n";
    return all;
}

TEST(CardsPdf, TheCardSaysWhatAnOverstayMeansAndWhomToCall) {
    CardSpec card{"3-502", {2026, 11}, 7, "VG1:X", std::nullopt};
    CardSheetOptions opt;
    auto all = joined(cardRuleLines(card, opt));
    EXPECT_EQ(all.find("收费"), std::string::npos) << "no fee configured, none printed: " << all;
    EXPECT_NE(all.find("超时车辆照常放行，但超时记录在案，居委可查。"), std::string::npos) << all;
    EXPECT_EQ(all.find("电话"), std::string::npos) << "no site.phone, no phone line: " << all;

    opt.overstay_fee_per_hour = 2.5;
    opt.overstay_hold = true;
    opt.phone = "021-62345678";
    all = joined(cardRuleLines(card, opt));
    EXPECT_NE(all.find("超时每小时收费2.5元，不满1小时按1小时计。"), std::string::npos) << all;
    EXPECT_NE(all.find("超时车辆出场须等保安放行；超时记录在案，居委可查。"), std::string::npos) << all;
    EXPECT_NE(all.find("物业电话：021-62345678"), std::string::npos) << all;
    EXPECT_LE(cardRuleLines(card, opt).size(), 7u) << "seven lines is what fits under the code";
}

// The PDF itself carries the new lines whole (pdftotext from poppler-utils), and the code still reads at full size
// with the most text the card holds.
TEST(CardsPdf, TheLongestRulesFitOnThePrintedCard) {
    if (std::system("command -v pdftotext >/dev/null 2>&1") != 0) GTEST_SKIP() << "no pdftotext (poppler-utils)";
    TempDir dir;
    auto cards = monthOfCards(1);
    cards[0].contact = "王秀英";
    CardSheetOptions opt{.site_name = "静安区康乐小区",
                         .stay_max = std::chrono::minutes(150),
                         .per_month = 2,
                         .grace_days = 3,
                         .overstay_fee_per_hour = 5,
                         .overstay_hold = true,
                         .phone = "021-62345678"};
    const auto pdf = dir.path / "rules.pdf";
    ASSERT_TRUE(renderCardsPdf(cards, opt, pdf));
    const auto txt = dir.path / "rules.txt";
    ASSERT_EQ(std::system(("pdftotext -layout '" + pdf.string() + "' '" + txt.string() + "'").c_str()), 0);
    std::ifstream in(txt);
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    for (const auto& line : cardRuleLines(cards[0], opt)) {
        EXPECT_NE(text.find(line), std::string::npos) << "not printed whole: " << line << "\n" << text;
    }
    EXPECT_NE(text.find("编号 No.000500"), std::string::npos) << text;

    // Nothing runs into the card's bottom 3 mm (where it is cut).
    const auto image = cards::renderCardImage(cards[0], opt, 8.0);
    ASSERT_TRUE(image);
    cv::Mat gray;
    cv::cvtColor(*image, gray, cv::COLOR_BGR2GRAY);
    const int from = static_cast<int>((cards::kCardHeightMm - 3.0) * 8.0);
    EXPECT_EQ(cv::countNonZero(gray.rowRange(from, gray.rows) < 128), 0);
}

TEST(CardsPdf, ErrorsAreValues) {
    TempDir dir;
    EXPECT_FALSE(renderCardsPdf({}, {}, dir.path / "none.pdf"));
    auto cards = monthOfCards(1);
    EXPECT_FALSE(renderCardsPdf(cards, {}, dir.path / "no-such-dir" / "x.pdf"));
    cards[0].token.clear();
    const auto r = renderCardsPdf(cards, {}, dir.path / "bad.pdf");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().find("000500"), std::string::npos) << r.error();
}

}  // namespace
}  // namespace vg::cli
