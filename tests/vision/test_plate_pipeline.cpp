// PlatePipeline end to end with the committed model: a reference plate crop from the training script, enlarged
// and set into a cluttered 1280x720 scene (grey, as from an IR camera, and colour-converted), is found and read.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "vision/plate_pipeline.h"
#include "vision/plate_voter.h"

namespace vg::vision {
namespace {

const std::filesystem::path kModelDir = VG_MODEL_DIR;
const std::filesystem::path kRefDir = std::filesystem::path(VG_TEST_DATA_DIR) / "plates" / "reference";

struct RefPlate {
    cv::Mat grey;
    std::string text;
};

// The reference crops the model reads confidently by itself (those are the ones a scene test can expect).
std::vector<RefPlate> confidentReferences() {
    std::ifstream in(kRefDir / "expected.json");
    const auto ref = nlohmann::json::parse(in);
    std::vector<RefPlate> out;
    for (const auto& item : ref["items"]) {
        if (item["min_char_confidence"].get<double>() < 0.8 || item["greedy_text"] != item["label"]) continue;
        out.push_back({cv::imread((kRefDir / item["file"].get<std::string>()).string(), cv::IMREAD_GRAYSCALE),
                       item["label"].get<std::string>()});
    }
    return out;
}

cv::Mat sceneWith(const cv::Mat& crop, cv::Point at, int width) {
    cv::Mat scene(720, 1280, CV_8U);
    cv::RNG rng(20261127);  // its own generator: the scene must not depend on which tests ran before in the process
    rng.fill(scene, cv::RNG::UNIFORM, 60, 140);
    cv::GaussianBlur(scene, scene, {0, 0}, 6);
    for (int i = 0; i < 12; ++i) {
        cv::rectangle(scene, {80 * i, 40 + 50 * (i % 5)}, {80 * i + 60, 90 + 50 * (i % 5)}, cv::Scalar(30 + 15 * i), 3);
    }
    cv::Mat big;
    cv::resize(crop, big, {width, width * crop.rows / crop.cols}, 0, 0, cv::INTER_CUBIC);
    big.copyTo(scene(cv::Rect(at, big.size())));
    return scene;
}

TEST(PlatePipeline, FindsAndReadsAPlateInAMonochromeScene) {
    if (!std::filesystem::exists(kModelDir / "plate_reader.onnx")) GTEST_SKIP() << "no model committed yet";
    auto pipeline = PlatePipeline::loadDefault();
    ASSERT_TRUE(pipeline) << pipeline.error();
    const auto refs = confidentReferences();
    ASSERT_FALSE(refs.empty()) << "the committed model reads none of its reference crops confidently";
    // A reference crop may be too faint in places for the finder (they are augmented training samples), so not
    // every one must be found; but one must, and nothing may be read wrong with confidence.
    int found = 0;
    for (const auto& ref : refs) {
        const cv::Mat scene = sceneWith(ref.grey, {500, 380}, 300);
        const auto reads = pipeline->read(scene, {.roi = cv::Rect(300, 200, 800, 480), .min_confidence = 0.5F});
        for (const auto& r : reads) {
            if (r.confidence >= 0.8F) {
                EXPECT_EQ(r.text, ref.text);
            }
        }
        if (reads.empty() || reads.front().text != ref.text) continue;
        ++found;
        EXPECT_EQ(reads.front().colour, plateKindLength(reads.front().kind) == 8 ? "green" : "unknown");
        EXPECT_EQ(reads.front().char_confidence.size(), splitUtf8(ref.text).size());
        // The quad lies on the pasted plate.
        const cv::Rect2f box =
            cv::boundingRect(std::vector<cv::Point2f>(reads.front().quad.begin(), reads.front().quad.end()));
        EXPECT_TRUE(box.contains({650, 380 + 50}));

        // Outside the region of interest nothing is read; the same frame in colour, through the same region, reads the
        // same. (Through the whole frame, which the finder shrinks to 960 px, a marginal reference plate can read
        // another province: that compares resolutions, not grey with colour.)
        EXPECT_TRUE(pipeline->read(scene, {.roi = cv::Rect(0, 0, 400, 300)}).empty());
        cv::Mat colour;
        cv::cvtColor(scene, colour, cv::COLOR_GRAY2BGR);
        const auto again = pipeline->read(colour, {.roi = cv::Rect(300, 200, 800, 480), .min_confidence = 0.5F});
        ASSERT_FALSE(again.empty());
        EXPECT_EQ(again.front().text, ref.text);
    }
    EXPECT_GT(found, 0);
    EXPECT_TRUE(pipeline->read(cv::Mat(), {}).empty());
}

TEST(PlatePipeline, FramesOfOnePassVoteToThePlate) {
    if (!std::filesystem::exists(kModelDir / "plate_reader.onnx")) GTEST_SKIP() << "no model committed yet";
    auto pipeline = PlatePipeline::loadDefault();
    ASSERT_TRUE(pipeline) << pipeline.error();
    const auto refs = confidentReferences();
    ASSERT_FALSE(refs.empty());
    PlateVoter voter(VoterOptions{.min_frames = 3, .min_agreement = 0.6F, .min_confidence = 0.5F});
    for (int f = 0; f < 5; ++f) {  // the car approaches: the plate grows and moves down
        const cv::Mat scene = sceneWith(refs.front().grey, {480 + 5 * f, 300 + 20 * f}, 240 + 15 * f);
        const auto reads = pipeline->read(scene, {.roi = {}, .min_confidence = 0.2F, .max_reads = 1});
        if (!reads.empty()) voter.add(reads.front().text, reads.front().char_confidence, reads.front().colour);
    }
    const auto v = voter.voted();
    ASSERT_TRUE(v);
    EXPECT_EQ(v->text, refs.front().text);
}

PlateRead blueRead(std::string text, std::vector<float> conf) {
    PlateRead r{.text = std::move(text), .colour = "blue", .char_confidence = std::move(conf)};
    r.confidence = std::ranges::min(r.char_confidence);
    return r;
}

PlateRead confidentRead() { return blueRead("沪A12345", {0.97F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.97F}); }

PlateDecode look(std::string text, std::vector<float> conf) {
    PlateDecode d{.text = std::move(text), .char_confidence = std::move(conf)};
    d.confidence = std::ranges::min(d.char_confidence);
    return d;
}

using Looks = std::vector<std::expected<PlateDecode, DecodeError>>;

class SecondLooks : public ::testing::Test {
  protected:
    SecondLooks() : grammar_(charset(), 0) {}
    static std::vector<std::string> charset() {
        std::vector<std::string> cs{""};
        for (const char* p : {"沪", "京", "皖", "贵"}) cs.emplace_back(p);
        for (char c = '0'; c <= '9'; ++c) cs.emplace_back(1, c);
        for (char c = 'A'; c <= 'Z'; ++c) {
            if (c != 'I' && c != 'O') cs.emplace_back(1, c);
        }
        return cs;
    }
    PlateGrammar grammar_;
};

TEST_F(SecondLooks, LooksThatAgreeLowerNothing) {
    PlateRead r = confidentRead();
    const Looks looks{look("沪A12345", {0.6F, 0.7F, 0.6F, 0.7F, 0.6F, 0.7F, 0.6F}),
                      look("沪A12345", std::vector<float>(7, 0.99F))};
    confirmBySecondLooks(r, looks, grammar_);
    EXPECT_EQ(r.text, "沪A12345");
    for (std::size_t i = 0; i < 7; ++i) EXPECT_GE(r.char_confidence[i], confidentRead().char_confidence[i]);
    // Without the agreement lift, agreeing looks change nothing.
    PlateRead plain = confidentRead();
    confirmBySecondLooks(plain, looks, grammar_, LookAgreement{.on = false});
    EXPECT_FLOAT_EQ(plain.confidence, 0.95F);
    EXPECT_EQ(plain.char_confidence, confidentRead().char_confidence);
}

TEST_F(SecondLooks, ACharacterThatEveryLookReadsAlikeGainsByAgreement) {
    // The serial's last character is 0.7 in the read and in both looks: with slope 2 its confidence becomes
    // sigmoid(2 * logit(0.7)) = 0.49 / (0.49 + 0.09) = 0.845, and the read reaches the daemon's 0.8.
    PlateRead r = blueRead("沪A12345", {0.97F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.7F});
    const Looks looks{look("沪A12345", {0.97F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.7F}),
                      look("沪A12345", {0.97F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.7F})};
    confirmBySecondLooks(r, looks, grammar_);
    EXPECT_NEAR(r.char_confidence[6], 0.49F / 0.58F, 1e-4);
    EXPECT_GE(r.confidence, 0.8F);
    // The province gets no lift, however sure the looks that agree with it.
    PlateRead p = blueRead("沪A12345", {0.7F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.97F});
    const Looks same{look("沪A12345", {0.99F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.97F}),
                     look("沪A12345", {0.99F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.97F})};
    confirmBySecondLooks(p, same, grammar_);
    EXPECT_FLOAT_EQ(p.char_confidence[0], 0.7F);
    EXPECT_FLOAT_EQ(p.confidence, 0.7F);
}

TEST_F(SecondLooks, NoLiftWhenALookDisagreesOrCannotRead) {
    // One look reads 6 for the last character: no lift, and the cap of the look that disagrees.
    PlateRead r = blueRead("沪A12345", {0.97F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.7F});
    const Looks looks{look("沪A12345", {0.97F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.9F}),
                      look("沪A12346", {0.97F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.2F})};
    confirmBySecondLooks(r, looks, grammar_);
    EXPECT_NEAR(r.char_confidence[6], 0.7F, 1e-6);
    // A look that cannot be read leaves every character at 0.5 or below, agreement or not.
    PlateRead u = blueRead("沪A12345", {0.97F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.7F});
    const Looks half{look("沪A12345", std::vector<float>(7, 0.99F)), std::unexpected(DecodeError::NoPlate)};
    confirmBySecondLooks(u, half, grammar_);
    EXPECT_LE(u.confidence, 0.5F);
}

TEST_F(SecondLooks, ALookThatReadsAnotherCharacterCapsThatCharacter) {
    PlateRead r = confidentRead();
    // A tighter crop reads 3 as 8 with 0.6: the network leaves at most 0.4 for our 3. One look against the read's
    // own 0.98 and the other look's 0.99 does not overturn it.
    const Looks looks{look("沪A12345", std::vector<float>(7, 0.99F)),
                      look("沪A12845", {0.9F, 0.9F, 0.9F, 0.9F, 0.6F, 0.9F, 0.9F})};
    confirmBySecondLooks(r, looks, grammar_);
    EXPECT_EQ(r.text, "沪A12345");
    EXPECT_NEAR(r.char_confidence[4], 0.4F, 1e-6);
    EXPECT_NEAR(r.confidence, 0.4F, 1e-6);
    EXPECT_GE(r.char_confidence[3], 0.98F);  // the others are not lowered (they may gain by agreement)
}

TEST_F(SecondLooks, TheReadsOwnCharacterCountsWithTheLookThatAgrees) {
    // The read's 5 (0.6) and the wider look's 5 (0.9) sum to 1.5 against the tighter look's 6 (0.7): the 5 stays,
    // capped by the look that disagrees.
    PlateRead r = blueRead("沪A12345", {0.97F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.6F});
    const Looks looks{look("沪A12346", {0.97F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.7F}),
                      look("沪A12345", {0.97F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.9F})};
    confirmBySecondLooks(r, looks, grammar_);
    EXPECT_EQ(r.text, "沪A12345");
    EXPECT_NEAR(r.confidence, 0.3F, 1e-6);  // 1 - 0.7
}

TEST_F(SecondLooks, TwoLooksThatAgreeOverturnAWeakCharacterButLeaveItUnconfident) {
    PlateRead r = blueRead("皖A12345", {0.35F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.97F});
    const Looks looks{look("贵A12345", {0.5F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.97F}),
                      look("贵A12345", {0.45F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.97F})};
    confirmBySecondLooks(r, looks, grammar_);
    EXPECT_EQ(r.text, "贵A12345");  // 0.95 summed against 0.35
    // An overturned character is never more confident than the one it replaces (0.35), nor than 0.5.
    EXPECT_FLOAT_EQ(r.char_confidence[0], 0.35F);
    EXPECT_FLOAT_EQ(r.confidence, 0.35F);
    // Even when the looks are sure and the read was not.
    PlateRead weak = blueRead("皖A12345", {0.05F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.97F});
    const Looks sure{look("贵A12345", std::vector<float>(7, 0.99F)), look("贵A12345", std::vector<float>(7, 0.99F))};
    confirmBySecondLooks(weak, sure, grammar_);
    EXPECT_EQ(weak.text, "贵A12345");
    EXPECT_FLOAT_EQ(weak.confidence, 0.05F);
    // And a read that was unsure in its own way stays capped at 0.5 when the looks overturn it.
    PlateRead torn = blueRead("皖A12345", {0.6F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.97F});
    confirmBySecondLooks(torn, sure, grammar_);
    EXPECT_EQ(torn.text, "贵A12345");
    EXPECT_FLOAT_EQ(torn.confidence, 0.4F);  // 1 - 0.6
}

TEST_F(SecondLooks, ASettledTextTheGrammarRefusesIsNotTaken) {
    // Both looks read an O in the serial, which plates do not use: the read keeps its 0, unconfident.
    PlateRead r = blueRead("沪A12340", {0.97F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.3F});
    const Looks looks{look("沪A1234O", {0.97F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.6F}),
                      look("沪A1234O", {0.97F, 0.99F, 0.95F, 0.98F, 0.96F, 0.99F, 0.6F})};
    confirmBySecondLooks(r, looks, grammar_);
    EXPECT_EQ(r.text, "沪A12340");
    EXPECT_NEAR(r.confidence, 0.3F, 1e-6);
}

TEST_F(SecondLooks, ALookThatCannotReadThePlateAtItsLengthLeavesNoCharacterConfident) {
    for (const auto& bad :
         Looks{std::unexpected(DecodeError::NoPlate), look("沪AD12345", std::vector<float>(8, 0.99F))}) {
        PlateRead r = confidentRead();
        confirmBySecondLooks(r, std::span(&bad, 1), grammar_);
        EXPECT_FLOAT_EQ(r.confidence, 0.5F);
        EXPECT_EQ(r.text, "沪A12345");
        EXPECT_TRUE(std::ranges::all_of(r.char_confidence, [](float c) { return c <= 0.5F; }));
    }
}

// The province look's classes for these tests: four provinces, probabilities in that order.
const std::vector<std::string> kProvinces{"沪", "京", "皖", "贵"};

TEST(ProvinceLook, AProvinceTheLookAgreesWithGainsAsTwoWitnessesWouldGiveIt) {
    PlateRead r = blueRead("皖A12345", {0.6F, 0.99F, 0.99F, 0.99F, 0.99F, 0.99F, 0.99F});
    confirmByProvinceLook(r, std::vector<float>{0.02F, 0.02F, 0.9F, 0.06F}, kProvinces);
    // Odds 1.5 and 9 multiplied: 13.5, probability 0.931.
    EXPECT_NEAR(r.char_confidence[0], 13.5F / 14.5F, 1e-3F);
    EXPECT_NEAR(r.confidence, 13.5F / 14.5F, 1e-3F);
    EXPECT_EQ(r.text, "皖A12345");

    // Slope 1: the mean of the two in logit space, sqrt(1.5 * 9) = 3.67 odds, 0.786.
    PlateRead m = blueRead("皖A12345", {0.6F, 0.99F, 0.99F, 0.99F, 0.99F, 0.99F, 0.99F});
    confirmByProvinceLook(m, std::vector<float>{0.02F, 0.02F, 0.9F, 0.06F}, kProvinces,
                          ProvinceAgreement{.on = true, .slope = 1.0F});
    EXPECT_NEAR(m.char_confidence[0], 0.786F, 1e-3F);

    // An unsure look never lowers a province it agrees with.
    PlateRead sure = blueRead("皖A12345", {0.95F, 0.99F, 0.99F, 0.99F, 0.99F, 0.99F, 0.99F});
    confirmByProvinceLook(sure, std::vector<float>{0.2F, 0.2F, 0.4F, 0.2F}, kProvinces);
    EXPECT_FLOAT_EQ(sure.char_confidence[0], 0.95F);
}

TEST(ProvinceLook, AProvinceTheLookSeesAsAnotherGainsNothingAndIsNeverChanged) {
    PlateRead left = blueRead("沪A12345", {0.6F, 0.99F, 0.99F, 0.99F, 0.99F, 0.99F, 0.99F});
    confirmByProvinceLook(left, std::vector<float>{0.1F, 0.05F, 0.8F, 0.05F}, kProvinces);
    EXPECT_FLOAT_EQ(left.char_confidence[0], 0.6F);
    EXPECT_EQ(left.text, "沪A12345");

    // With the cap (the bench's experiment), the look's 0.8 for 皖 leaves 沪 at most 0.2.
    PlateRead r = blueRead("沪A12345", {0.9F, 0.99F, 0.99F, 0.99F, 0.99F, 0.99F, 0.99F});
    confirmByProvinceLook(r, std::vector<float>{0.1F, 0.05F, 0.8F, 0.05F}, kProvinces,
                          ProvinceAgreement{.on = true, .slope = 2.0F, .cap = true});
    EXPECT_NEAR(r.char_confidence[0], 0.2F, 1e-6F);
    EXPECT_NEAR(r.confidence, 0.2F, 1e-6F);
    EXPECT_EQ(r.text, "沪A12345");
}

TEST(ProvinceLook, NothingChangesWithoutAProvinceOrWithoutTheLook) {
    const PlateRead before = blueRead("使123456", {0.6F, 0.99F, 0.99F, 0.99F, 0.99F, 0.99F, 0.99F});
    PlateRead special = before;
    confirmByProvinceLook(special, std::vector<float>{0.9F, 0.05F, 0.03F, 0.02F}, kProvinces);
    EXPECT_EQ(special.char_confidence, before.char_confidence);

    PlateRead r = blueRead("皖A12345", {0.6F, 0.99F, 0.99F, 0.99F, 0.99F, 0.99F, 0.99F});
    const PlateRead same = r;
    confirmByProvinceLook(r, {}, kProvinces);
    EXPECT_EQ(r.char_confidence, same.char_confidence);
    confirmByProvinceLook(r, std::vector<float>{0.02F, 0.02F, 0.9F}, kProvinces);  // not one per province
    EXPECT_EQ(r.char_confidence, same.char_confidence);
    confirmByProvinceLook(r, std::vector<float>{0.02F, 0.02F, 0.9F, 0.06F}, kProvinces, ProvinceAgreement{.on = false});
    EXPECT_EQ(r.char_confidence, same.char_confidence);
}

}  // namespace
}  // namespace vg::vision
