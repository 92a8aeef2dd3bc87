// PlateFinder and plate colour on synthetic scenes drawn here: a plate-like panel with characters on a cluttered
// background, by day (colour) and at night (monochrome IR), upright and under perspective.
#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>
#include <optional>
#include <random>

#include "vision/plate_finder.h"

namespace vg::vision {
namespace {

struct Scene {
    cv::Mat image;
    PlateQuad truth;
};

enum class Style { Blue, Yellow, Green, NightGrey, DimGrey };

// A 440 x 140 mm plate drawn at `width` px, warped into a 1280 x 720 scene at `centre` with a perspective `skew`.
// `body`: a car body of that colour around the plate, with a dark bezel between the two.
Scene drawScene(Style style, int width, cv::Point2f centre, float skew, unsigned seed,
                std::optional<cv::Scalar> body = std::nullopt) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> px(0, 255);
    const int height = width * 140 / 440;
    cv::Mat plate(height, width, CV_8UC3);
    cv::Scalar ink(255, 255, 255);
    switch (style) {
        case Style::Blue:
            plate.setTo(cv::Scalar(160, 60, 10));
            break;
        case Style::Yellow:
            plate.setTo(cv::Scalar(20, 190, 230));
            ink = cv::Scalar(10, 10, 10);
            break;
        case Style::NightGrey:
            plate.setTo(cv::Scalar(200, 200, 200));
            ink = cv::Scalar(20, 20, 20);
            break;
        // A dirty dark plate in dim light: no colour to find, characters 30 grey levels above the plate.
        case Style::DimGrey:
            plate.setTo(cv::Scalar(42, 40, 38));
            ink = cv::Scalar(72, 72, 72);
            break;
        case Style::Green:
            for (int y = 0; y < height; ++y) {  // white at the top to green at the bottom
                const double t = static_cast<double>(y) / height;
                plate.row(y).setTo(cv::Scalar(245 - 200 * t, 250 - 60 * t, 245 - 190 * t));
            }
            ink = cv::Scalar(10, 10, 10);
            break;
    }
    const double fontScale = height / 34.0;
    const int thick = std::max(2, height / 14);
    cv::rectangle(plate, {width / 30, height / 5}, {width / 30 + width / 9, height * 4 / 5}, ink, cv::FILLED);
    cv::putText(plate, "A", {width * 5 / 30, height * 4 / 5}, cv::FONT_HERSHEY_SIMPLEX, fontScale, ink, thick);
    cv::putText(plate, style == Style::Green ? "D12345" : "12345", {width * 11 / 30, height * 4 / 5},
                cv::FONT_HERSHEY_SIMPLEX, fontScale, ink, thick);
    cv::rectangle(plate, {2, 2}, {width - 3, height - 3}, ink, std::max(1, height / 30));

    cv::Mat scene(720, 1280, CV_8UC3);
    for (int y = 0; y < scene.rows; ++y) {
        scene.row(y).setTo(cv::Scalar(90 + y / 12, 100 + y / 16, 95 + y / 10));
    }
    for (int i = 0; i < 25; ++i) {  // clutter: boxes and lines of random colours
        cv::Point a(px(rng) * 5, px(rng) * 3);
        cv::rectangle(scene, a, a + cv::Point(px(rng) / 2 + 10, px(rng) / 3 + 10),
                      cv::Scalar(px(rng), px(rng), px(rng)), i % 3 == 0 ? cv::FILLED : 2);
    }
    const float hw = static_cast<float>(width) / 2;
    const float hh = static_cast<float>(height) / 2;
    if (body) {
        const cv::Point c(static_cast<int>(centre.x), static_cast<int>(centre.y));
        cv::rectangle(scene, c - cv::Point(width * 2, height * 3), c + cv::Point(width * 2, height * 2), *body,
                      cv::FILLED);
        const cv::Point bezel(static_cast<int>(hw) + 16, static_cast<int>(hh) + 16);
        cv::rectangle(scene, c - bezel, c + bezel, cv::Scalar(25, 25, 25), cv::FILLED);
    }
    const PlateQuad truth{{{centre.x - hw, centre.y - hh + skew},
                           {centre.x + hw, centre.y - hh - skew},
                           {centre.x + hw, centre.y + hh + skew * 0.3F},
                           {centre.x - hw, centre.y + hh}}};
    const std::array<cv::Point2f, 4> src{{{0, 0},
                                          {static_cast<float>(width), 0},
                                          {static_cast<float>(width), static_cast<float>(height)},
                                          {0, static_cast<float>(height)}}};
    const cv::Mat m = cv::getPerspectiveTransform(src.data(), truth.data());
    cv::Mat warped;
    cv::Mat mask;
    cv::warpPerspective(plate, warped, m, scene.size());
    cv::warpPerspective(cv::Mat(plate.size(), CV_8U, cv::Scalar(255)), mask, m, scene.size());
    warped.copyTo(scene, mask);
    cv::Mat noise(scene.size(), CV_8UC3);
    cv::randn(noise, cv::Scalar::all(0), cv::Scalar::all(6));
    scene += noise;
    if (style == Style::NightGrey) cv::cvtColor(scene, scene, cv::COLOR_BGR2GRAY);
    return {scene, truth};
}

double bestOverlap(const std::vector<PlateCandidate>& cands, const PlateQuad& truth) {
    double best = 0.0;
    for (const auto& c : cands) best = std::max(best, quadOverlap(c.quad, truth));
    return best;
}

TEST(PlateFinder, FindsABluePlateInAClutteredScene) {
    const Scene s = drawScene(Style::Blue, 220, {640, 430}, 0, 1);
    const auto cands = PlateFinder().find(s.image);
    ASSERT_FALSE(cands.empty());
    EXPECT_GT(bestOverlap(cands, s.truth), 0.6);
    const bool colour = std::ranges::any_of(cands, [&](const PlateCandidate& c) {
        return c.source == CandidateSource::Colour && c.colour_hint == "blue" && quadOverlap(c.quad, s.truth) > 0.7;
    });
    EXPECT_TRUE(colour);
}

TEST(PlateFinder, FindsAPlateOnACarBodyOfItsOwnColour) {
    // The body's blob is too big to be a plate, and the plate's blob lies inside a hole of it (behind the bezel): only
    // outermost blobs would lose the plate's colour outline.
    const Scene s = drawScene(Style::Blue, 200, {640, 400}, 0, 5, cv::Scalar(170, 80, 20));
    const auto cands = PlateFinder().find(s.image);
    const bool colour = std::ranges::any_of(cands, [&](const PlateCandidate& c) {
        return c.source == CandidateSource::Colour && c.colour_hint == "blue" && quadOverlap(c.quad, s.truth) > 0.7;
    });
    EXPECT_TRUE(colour);
}

TEST(PlateFinder, FindsAPlateUnderPerspectiveAndInsideTheRegionOnly) {
    const Scene s = drawScene(Style::Yellow, 260, {500, 300}, 18, 2);
    const auto cands = PlateFinder().find(s.image);
    EXPECT_GT(bestOverlap(cands, s.truth), 0.6);
    // A region of interest that excludes the plate must not report it.
    const auto elsewhere = PlateFinder().find(s.image, cv::Rect(800, 0, 480, 720));
    EXPECT_LT(bestOverlap(elsewhere, s.truth), 0.1);
    const auto inside = PlateFinder().find(s.image, cv::Rect(300, 200, 500, 250));
    EXPECT_GT(bestOverlap(inside, s.truth), 0.6);
}

TEST(PlateFinder, FindsTheWholeGreenGradientPlate) {
    const Scene s = drawScene(Style::Green, 240, {700, 400}, 0, 3);
    const auto cands = PlateFinder().find(s.image);
    EXPECT_GT(bestOverlap(cands, s.truth), 0.6);
}

TEST(PlateFinder, FindsAPlateInAMonochromeNightFrameFromEdgesAlone) {
    const Scene s = drawScene(Style::NightGrey, 200, {640, 500}, 6, 4);
    ASSERT_EQ(s.image.channels(), 1);
    const auto cands = PlateFinder().find(s.image);
    ASSERT_FALSE(cands.empty());
    EXPECT_GT(bestOverlap(cands, s.truth), 0.5);
    EXPECT_TRUE(std::ranges::all_of(cands, [](const PlateCandidate& c) { return c.source == CandidateSource::Edge; }));
}

TEST(PlateFinder, FindsADimPlateBelowAChromeGrille) {
    // The grille's bright bars are the strongest vertical edges in the frame: one global threshold on edge strength
    // drops the dim plate's characters, the locally equalised pass keeps them.
    Scene s = drawScene(Style::DimGrey, 200, {640, 520}, 0, 11);
    for (int x = 330; x < 950; x += 24) {
        cv::rectangle(s.image, {x, 300}, {x + 11, 440}, cv::Scalar(250, 250, 250), cv::FILLED);
    }
    cv::rectangle(s.image, {330, 300}, {950, 440}, cv::Scalar(250, 250, 250), 4);
    const auto cands = PlateFinder().find(s.image);
    EXPECT_GT(bestOverlap(cands, s.truth), 0.5);
}

TEST(PlateFinder, ALooseEdgeOutlineIsRefinedAroundTheCharacterBand) {
    // A grey night plate in a dark holder; the outline an edge band gives is 25% too wide and 70% too tall.
    const Scene s = drawScene(Style::NightGrey, 220, {640, 400}, 0, 12);
    const cv::Point2f c = (s.truth[0] + s.truth[1] + s.truth[2] + s.truth[3]) * 0.25F;
    PlateQuad loose;
    for (std::size_t i = 0; i < 4; ++i) {
        const cv::Point2f d = s.truth[i] - c;
        loose[i] = c + cv::Point2f(d.x * 1.25F, d.y * 1.7F);
    }
    ASSERT_LT(quadOverlap(loose, s.truth), 0.5);
    const auto refined = refineByCharacterBand(s.image, loose);
    ASSERT_TRUE(refined.has_value());
    EXPECT_GT(quadOverlap(*refined, s.truth), 0.75);
    // A patch without characters has no band to refine to.
    EXPECT_FALSE(refineByCharacterBand(cv::Mat(720, 1280, CV_8UC1, cv::Scalar(90)), loose).has_value());
}

TEST(PlateFinder, AnEmptyOrFlatFrameHasNoCandidates) {
    EXPECT_TRUE(PlateFinder().find(cv::Mat()).empty());
    EXPECT_TRUE(PlateFinder().find(cv::Mat(720, 1280, CV_8UC3, cv::Scalar(120, 90, 60))).empty());
}

TEST(PlateColour, NamesTheBackgroundColourAndUnknownForGrey) {
    auto warpTruth = [](const Scene& s) {
        const std::array<cv::Point2f, 4> dst{{{0, 0}, {127, 0}, {127, 39}, {0, 39}}};
        cv::Mat out;
        cv::warpPerspective(s.image, out, cv::getPerspectiveTransform(s.truth.data(), dst.data()), {128, 40});
        return out;
    };
    EXPECT_EQ(plateColour(warpTruth(drawScene(Style::Blue, 220, {640, 400}, 0, 5))), "blue");
    EXPECT_EQ(plateColour(warpTruth(drawScene(Style::Yellow, 220, {640, 400}, 0, 6))), "yellow");
    EXPECT_EQ(plateColour(warpTruth(drawScene(Style::Green, 220, {640, 400}, 0, 7))), "green");
    EXPECT_EQ(plateColour(warpTruth(drawScene(Style::NightGrey, 220, {640, 400}, 0, 8))), "unknown");
    cv::Mat irAsBgr;
    cv::cvtColor(drawScene(Style::NightGrey, 220, {640, 400}, 0, 9).image, irAsBgr, cv::COLOR_GRAY2BGR);
    EXPECT_TRUE(isMonochrome(irAsBgr));
    EXPECT_FALSE(isMonochrome(drawScene(Style::Blue, 220, {640, 400}, 0, 10).image));
}

TEST(PlateQuadGeometry, OrdersCornersTopLeftFirstClockwise) {
    const PlateQuad q =
        orderQuad({cv::Point2f(110, 52), cv::Point2f(10, 50), cv::Point2f(12, 20), cv::Point2f(108, 18)});
    EXPECT_EQ(q[0], cv::Point2f(12, 20));
    EXPECT_EQ(q[1], cv::Point2f(108, 18));
    EXPECT_EQ(q[2], cv::Point2f(110, 52));
    EXPECT_EQ(q[3], cv::Point2f(10, 50));
    const PlateQuad r = quadFromRotatedRect(cv::RotatedRect({100, 100}, {40, 120}, 90));  // long side horizontal
    EXPECT_NEAR(std::hypot(r[1].x - r[0].x, r[1].y - r[0].y), 120, 1e-3);
}

// The blob of a plate as the detector's mask draws it: the polygon filled, its outer contour taken.
std::vector<cv::Point> blobOf(const std::vector<cv::Point>& polygon) {
    cv::Mat m = cv::Mat::zeros(300, 400, CV_8U);
    cv::fillConvexPoly(m, polygon, 255, cv::LINE_8);
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(m, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_NONE);
    return contours.at(0);
}

float farthestCorner(const PlateQuad& a, const std::array<cv::Point2f, 4>& b) {
    float worst = 0;
    for (std::size_t i = 0; i < 4; ++i) worst = std::max(worst, std::hypot(a[i].x - b[i].x, a[i].y - b[i].y));
    return worst;
}

TEST(PlateQuadGeometry, AShearedPlatesOutlineFollowsItsSlantedSidesNotItsBoundingRectangle) {
    // 300 x 100 px, the bottom shifted 45 px right (a plate seen from the side and below): its minAreaRect is
    // wider than the plate and cuts across the province at the bottom left.
    const std::array<cv::Point2f, 4> plate{{{50, 100}, {350, 100}, {395, 200}, {95, 200}}};
    const std::vector<cv::Point> blob = blobOf({{50, 100}, {350, 100}, {395, 200}, {95, 200}});
    const cv::RotatedRect rect = cv::minAreaRect(blob);
    EXPECT_GT(farthestCorner(quadFromRotatedRect(rect), plate), 20.0F);
    EXPECT_LT(farthestCorner(fitPlateQuad(blob, rect), plate), 3.0F);
}

TEST(PlateQuadGeometry, AForeshortenedPlateKeepsItsFourCorners) {
    const std::array<cv::Point2f, 4> plate{{{60, 120}, {330, 100}, {335, 190}, {58, 175}}};
    const std::vector<cv::Point> blob = blobOf({{60, 120}, {330, 100}, {335, 190}, {58, 175}});
    EXPECT_LT(farthestCorner(fitPlateQuad(blob, cv::minAreaRect(blob)), plate), 3.0F);
}

TEST(PlateQuadGeometry, ABlobThatIsNoQuadrilateralKeepsItsRotatedRectangle) {
    // A round blob (a lamp's glow) has no four clear sides: the quadrilateral its sides meet in is larger than it.
    const std::vector<cv::Point> blob = blobOf({{50, 100}, {350, 100}, {350, 200}, {50, 200}});
    std::vector<cv::Point> ellipse;
    cv::ellipse2Poly(cv::Point(200, 150), cv::Size(150, 40), 0, 0, 360, 2, ellipse);
    const std::vector<cv::Point> round = blobOf(ellipse);
    const cv::RotatedRect rect = cv::minAreaRect(round);
    const PlateQuad fitted = fitPlateQuad(round, rect);
    const PlateQuad box = quadFromRotatedRect(rect);
    EXPECT_EQ(fitted, box);
    // A rectangle's fit is the rectangle.
    EXPECT_LT(
        farthestCorner(fitPlateQuad(blob, cv::minAreaRect(blob)), {{{50, 100}, {350, 100}, {350, 200}, {50, 200}}}),
        3.0F);
}

}  // namespace
}  // namespace vg::vision
