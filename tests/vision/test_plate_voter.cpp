// Multi-frame voting over a pass, and the exit-side match against the cars inside.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "vision/plate_voter.h"

namespace vg::vision {
namespace {

std::vector<float> conf(std::size_t n, float v) { return std::vector<float>(n, v); }

TEST(PlateVoter, FramesThatDisagreeOnOneCharacterStillYieldTheRightPlate) {
    PlateVoter voter(VoterOptions{.min_frames = 3, .min_agreement = 0.6F, .min_confidence = 0.8F});
    voter.add("沪A12345", conf(7, 0.95F), "blue");
    voter.add("沪A12845", conf(7, 0.9F), "blue");  // one frame misreads 3 as 8
    voter.add("沪A12345", conf(7, 0.93F), "blue");
    voter.add("沪A1234S", conf(7, 0.85F), "blue");  // another misreads the last 5 as S
    voter.add("沪A12345", conf(7, 0.97F), "blue");
    const auto v = voter.voted();
    ASSERT_TRUE(v);
    EXPECT_EQ(v->text, "沪A12345");
    EXPECT_EQ(v->colour, "blue");
    EXPECT_EQ(v->frames, 5);
    EXPECT_EQ(v->agreeing, 4);
    EXPECT_GE(v->confidence, 0.9F);
}

TEST(PlateVoter, ConfidenceOutweighsACountTieOnACharacter) {
    PlateVoter voter(VoterOptions{.min_frames = 2, .min_agreement = 0.5F, .min_confidence = 0.5F});
    std::vector<float> strong(7, 0.95F);
    std::vector<float> weak(7, 0.95F);
    weak[6] = 0.3F;
    voter.add("沪A12345", strong);
    voter.add("沪A12348", weak);
    voter.add("沪A12345", strong);
    voter.add("沪A12348", weak);
    const auto v = voter.voted();
    ASSERT_TRUE(v);
    EXPECT_EQ(v->text, "沪A12345");
}

TEST(PlateVoter, TooFewAgreeingFramesGiveNoRead) {
    PlateVoter voter(VoterOptions{.min_frames = 3, .min_agreement = 0.6F, .min_confidence = 0.8F});
    voter.add("沪A12345", conf(7, 0.95F));
    voter.add("沪A12345", conf(7, 0.95F));
    EXPECT_FALSE(voter.voted());  // two frames only
    voter.add("沪B67890", conf(7, 0.95F));
    voter.add("沪C11111", conf(7, 0.95F));
    voter.add("沪D22222", conf(7, 0.95F));
    EXPECT_FALSE(voter.voted());  // frames disagree: no character has three agreeing frames at 60%
    ASSERT_TRUE(voter.leader());
    voter.reset();
    EXPECT_EQ(voter.frames(), 0);
    EXPECT_FALSE(voter.leader());
}

TEST(PlateVoter, LowConfidenceFramesDoNotDeclareAPlate) {
    PlateVoter voter(VoterOptions{.min_frames = 3, .min_agreement = 0.6F, .min_confidence = 0.8F});
    for (int i = 0; i < 5; ++i) voter.add("沪A12345", conf(7, 0.6F));
    EXPECT_FALSE(voter.voted());
}

TEST(PlateVoter, WeakFramesThatAgreeDoNotHoldBackThreeConfidentOnes) {
    // Three clear frames and, as the car rolls on, two blurred ones that still read the same plate. The weak frames
    // add agreement; they used to pull the plate's mean confidence to 0.69 and hold it back for the whole pass.
    PlateVoter voter(VoterOptions{.min_frames = 3, .min_agreement = 0.6F, .min_confidence = 0.8F});
    for (int i = 0; i < 3; ++i) voter.add("沪A12345", conf(7, 0.95F));
    voter.add("沪A12345", conf(7, 0.3F));
    voter.add("沪A12345", conf(7, 0.3F));
    const auto v = voter.voted();
    ASSERT_TRUE(v);
    EXPECT_EQ(v->text, "沪A12345");
    EXPECT_EQ(v->agreeing, 5);
    EXPECT_FLOAT_EQ(v->confidence, 0.95F);
    // Two clear frames and many weak ones are still not three confident frames.
    PlateVoter fewer(VoterOptions{.min_frames = 3, .min_agreement = 0.6F, .min_confidence = 0.8F});
    for (int i = 0; i < 2; ++i) fewer.add("沪A12345", conf(7, 0.95F));
    for (int i = 0; i < 6; ++i) fewer.add("沪A12345", conf(7, 0.3F));
    EXPECT_FALSE(fewer.voted());
}

TEST(PlateVoter, LengthIsDecidedByMajoritySoAGreenPlateKeepsItsEighthCharacter) {
    PlateVoter voter(VoterOptions{.min_frames = 3, .min_agreement = 0.6F, .min_confidence = 0.8F});
    voter.add("沪AD12345", conf(8, 0.9F), "green");
    voter.add("沪AD1234", conf(7, 0.9F), "blue");
    voter.add("沪AD12345", conf(8, 0.9F), "green");
    voter.add("沪AD12345", conf(8, 0.9F), "green");
    const auto v = voter.voted();
    ASSERT_TRUE(v);
    EXPECT_EQ(v->text, "沪AD12345");
    EXPECT_EQ(v->colour, "green");
}

TEST(MatchInside, ExactThenOneConfusableCharacterOnlyWhenUnique) {
    const std::vector<std::string> inside{"沪A12345", "沪B0D888", "沪C5S222"};
    EXPECT_EQ(matchInside("沪A12345", inside), "沪A12345");
    EXPECT_EQ(matchInside("沪A1234S", inside), "沪A12345");  // 5/S
    EXPECT_EQ(matchInside("沪B0DB88", inside), "沪B0D888");  // 8/B
    EXPECT_FALSE(matchInside("沪A1234X", inside));           // X is not a confusion of 5
    EXPECT_FALSE(matchInside("沪A12S4S", inside));           // two characters off
    const std::vector<std::string> twins{"沪C55222", "沪C5S2Z2"};
    EXPECT_FALSE(matchInside("沪C5S222", twins));  // 5/S at one place, 2/Z at another: two candidates
    EXPECT_FALSE(matchInside("沪A12345", std::vector<std::string>{}));
    EXPECT_TRUE(confusable("0", "Q"));
    EXPECT_TRUE(confusable("7", "1"));
    EXPECT_FALSE(confusable("7", "T"));
}

}  // namespace
}  // namespace vg::vision
