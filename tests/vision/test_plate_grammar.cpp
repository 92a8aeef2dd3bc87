// Grammar-constrained CTC decoding on hand-made probability matrices: what a reader's output must turn into.
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "vision/plate_grammar.h"

namespace vg::vision {
namespace {

std::vector<std::string> testCharset(bool withSpecial) {
    std::vector<std::string> cs{""};  // blank first
    for (const char* p :
         {"京", "沪", "津", "渝", "冀", "晋", "蒙", "辽", "吉", "黑", "苏", "浙", "皖", "闽", "赣", "鲁",
          "豫", "鄂", "湘", "粤", "桂", "琼", "川", "贵", "云", "藏", "陕", "甘", "青", "宁", "新"}) {
        cs.emplace_back(p);
    }
    for (char c = '0'; c <= '9'; ++c) cs.emplace_back(1, c);
    for (char c = 'A'; c <= 'Z'; ++c) cs.emplace_back(1, c);
    if (withSpecial) {
        for (const char* p : {"学", "警", "挂", "港", "澳", "领", "使"}) cs.emplace_back(p);
    }
    return cs;
}

int classOf(const std::vector<std::string>& cs, const std::string& ch) {
    for (std::size_t i = 0; i < cs.size(); ++i) {
        if (cs[i] == ch) return static_cast<int>(i);
    }
    ADD_FAILURE() << "no class for " << ch;
    return 0;
}

// One step per entry: {class text, probability}; the rest of each row's mass is spread evenly over all classes.
// "" is the blank.
cv::Mat matrix(const std::vector<std::string>& cs, const std::vector<std::map<std::string, float>>& steps) {
    cv::Mat m(static_cast<int>(steps.size()), static_cast<int>(cs.size()), CV_32F);
    for (int t = 0; t < m.rows; ++t) {
        float used = 0.0F;
        for (const auto& [ch, p] : steps[static_cast<std::size_t>(t)]) used += p;
        m.row(t).setTo((1.0F - used) / static_cast<float>(cs.size()));
        for (const auto& [ch, p] : steps[static_cast<std::size_t>(t)]) m.at<float>(t, classOf(cs, ch)) += p;
    }
    return m;
}

// A clean read of `text`: each character peaks at `p` for two steps, blanks between.
cv::Mat clean(const std::vector<std::string>& cs, const std::string& text, float p = 0.95F) {
    std::vector<std::map<std::string, float>> steps{{{"", p}}};
    for (const auto& ch : splitUtf8(text)) {
        steps.push_back({{ch, p}});
        steps.push_back({{ch, p}});
        steps.push_back({{"", p}});
    }
    return matrix(cs, steps);
}

TEST(PlateGrammar, ReadsABlueSevenCharacterPlate) {
    const auto cs = testCharset(false);
    PlateGrammar g(cs, 0);
    auto r = g.decode(clean(cs, "沪A12345"));
    ASSERT_TRUE(r) << decodeErrorName(r.error());
    EXPECT_EQ(r->text, "沪A12345");
    EXPECT_EQ(r->kind, PlateKind::Standard);
    ASSERT_EQ(r->char_confidence.size(), 7U);
    EXPECT_GT(r->confidence, 0.9F);
}

TEST(PlateGrammar, ReadsBothGreenEightCharacterForms) {
    const auto cs = testCharset(false);
    PlateGrammar g(cs, 0);
    auto small = g.decode(clean(cs, "沪AD12345"));
    ASSERT_TRUE(small);
    EXPECT_EQ(small->text, "沪AD12345");
    EXPECT_EQ(small->kind, PlateKind::NewEnergySmall);
    EXPECT_EQ(small->char_confidence.size(), 8U);
    auto large = g.decode(clean(cs, "沪A12345F"));
    ASSERT_TRUE(large);
    EXPECT_EQ(large->text, "沪A12345F");
    EXPECT_EQ(large->kind, PlateKind::NewEnergyLarge);
    // D/F in the middle of a large-car serial is not a plate: 沪A12D45F must not come out as such.
    EXPECT_FALSE(g.classify("沪A12D45F"));
}

TEST(PlateGrammar, ALengthRestrictionRecoversTheEighthCharacterOfAGreenPlate) {
    const auto cs = testCharset(false);
    PlateGrammar g(cs, 0);
    // The last 1 of 沪AD89521 is faint: unrestricted, the seven-character 沪AD8952 wins...
    std::vector<std::map<std::string, float>> steps{{{"", 0.95F}}};
    for (const std::string ch : {"沪", "A", "D", "8", "9", "5", "2"}) {
        steps.push_back({{ch, 0.95F}});
        steps.push_back({{"", 0.95F}});
    }
    steps.push_back({{"", 0.6F}, {"1", 0.35F}});
    steps.push_back({{"", 0.95F}});
    const auto m = matrix(cs, steps);
    auto any = g.decode(m);
    ASSERT_TRUE(any);
    EXPECT_EQ(any->text, "沪AD8952");
    // ... but a green plate has eight characters, and restricted to eight the faint 1 is read, with its low confidence.
    auto eight = g.decode(m, 8);
    ASSERT_TRUE(eight);
    EXPECT_EQ(eight->text, "沪AD89521");
    EXPECT_EQ(eight->kind, PlateKind::NewEnergySmall);
    EXPECT_NEAR(eight->confidence, 0.35F, 0.01F);
    EXPECT_FALSE(g.decode(m, 9));
}

TEST(PlateGrammar, NeverEmitsIOrOInTheSerial) {
    const auto cs = testCharset(false);
    PlateGrammar g(cs, 0);
    // The network prefers O at position 3 and I at position 6; the grammar takes the runners-up 0 and 1.
    std::vector<std::map<std::string, float>> steps{{{"", 0.9F}}, {{"沪", 0.9F}},
                                                    {{"", 0.9F}}, {{"B", 0.9F}},
                                                    {{"", 0.9F}}, {{"O", 0.6F}, {"0", 0.35F}},
                                                    {{"", 0.9F}}, {{"2", 0.9F}},
                                                    {{"", 0.9F}}, {{"3", 0.9F}},
                                                    {{"", 0.9F}}, {{"4", 0.9F}},
                                                    {{"", 0.9F}}, {{"I", 0.55F}, {"1", 0.4F}},
                                                    {{"", 0.9F}}};
    const auto m = matrix(cs, steps);
    EXPECT_EQ(g.greedy(m), "沪BO234I");
    auto r = g.decode(m);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->text, "沪B02341");
    // The forced characters carry their own (lower) confidence and the read reports the lowest one.
    EXPECT_NEAR(r->char_confidence[2], 0.35F + 0.05F / static_cast<float>(cs.size()), 1e-3);
    EXPECT_NEAR(r->confidence, r->char_confidence[2], 1e-6);
    EXPECT_FALSE(g.classify("沪BO2341"));
    EXPECT_FALSE(g.classify("沪I12345"));
}

TEST(PlateGrammar, ReportsTheLowestCharacterConfidenceNotTheMean) {
    const auto cs = testCharset(false);
    PlateGrammar g(cs, 0);
    std::vector<std::map<std::string, float>> steps{{{"", 0.99F}}};
    const std::vector<std::pair<std::string, float>> chars{{"川", 0.45F}, {"A", 0.99F}, {"1", 0.99F}, {"9", 0.99F},
                                                           {"W", 0.99F},  {"2", 0.99F}, {"8", 0.99F}};
    for (const auto& [ch, p] : chars) {
        steps.push_back({{ch, p}, {"皖", ch == "川" ? 0.4F : 0.0F}});
        steps.push_back({{"", 0.99F}});
    }
    auto r = g.decode(matrix(cs, steps));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->text, "川A19W28");
    EXPECT_LT(r->confidence, 0.5F);
    EXPECT_GT(r->char_confidence[1], 0.95F);
}

TEST(PlateGrammar, DeclinesASpecialPlateItCannotSpellInsteadOfForcingSevenCharacters) {
    // Charset without 学: the net sees 沪A1234 and then a glyph it has no class for (mass on the blank).
    const auto cs = testCharset(false);
    PlateGrammar g(cs, 0);
    auto m = clean(cs, "沪A1234");
    auto r = g.decode(m);
    if (r) {
        EXPECT_LT(r->confidence, 0.2F) << r->text;  // a seventh character would be invented: never a confident read
    } else {
        EXPECT_EQ(r.error(), DecodeError::NoPlate);
    }
}

TEST(PlateGrammar, ReadsACoachPlateWhenTheCharsetHasItAndDeclinesWhenSpecialPlatesAreOff) {
    const auto cs = testCharset(true);
    PlateGrammar g(cs, 0);
    auto r = g.decode(clean(cs, "沪A1234学"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->text, "沪A1234学");
    EXPECT_EQ(r->kind, PlateKind::Coach);
    EXPECT_TRUE(isSpecialPlateKind(r->kind));

    PlateGrammar strict(cs, 0, GrammarOptions{.issuer_letters = true, .accept_special = false, .beam_width = 12});
    auto s = strict.decode(clean(cs, "沪A1234学"));
    if (s) {
        EXPECT_LT(s->confidence, 0.2F) << s->text;
    }
    EXPECT_FALSE(strict.classify("沪A1234学"));
}

TEST(PlateGrammar, SecondLetterFollowsTheIssuingAuthorities) {
    const auto cs = testCharset(false);
    PlateGrammar g(cs, 0);
    EXPECT_TRUE(g.classify("琼E12345"));
    EXPECT_FALSE(g.classify("琼F12345"));  // Hainan issues A-E only
    EXPECT_TRUE(g.classify("沪Z12345"));
    EXPECT_FALSE(g.classify("沪A12ABC"));  // at most two letters in a serial (GA 36-2014 5.8.1)
    PlateGrammar loose(cs, 0, GrammarOptions{.issuer_letters = false, .accept_special = true, .beam_width = 12});
    EXPECT_TRUE(loose.classify("琼F12345"));
}

TEST(PlateGrammar, RepeatedCharactersNeedABlankBetweenThem) {
    const auto cs = testCharset(false);
    PlateGrammar g(cs, 0);
    auto r = g.decode(clean(cs, "京A88888"));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->text, "京A88888");
    EXPECT_GT(r->confidence, 0.9F);
}

TEST(PlateGrammar, RejectsAMatrixOfTheWrongShape) {
    const auto cs = testCharset(false);
    PlateGrammar g(cs, 0);
    EXPECT_EQ(g.decode(cv::Mat::zeros(10, 5, CV_32F)).error(), DecodeError::BadShape);
}

TEST(PlateGrammar, AcceptsExactlyWhatTheSharedTextGrammarAccepts) {
    // The decoder's templates and plate::checkPlateText() (what `gate` checks typed plates with) must agree, or the
    // gate would refuse to register a plate its camera reads, or the other way round.
    const auto cs = testCharset(true);
    for (const bool issuer : {true, false}) {
        const GrammarOptions options{.issuer_letters = issuer, .accept_special = true, .beam_width = 12};
        const PlateGrammar g(cs, 0, options);
        const plate::PlateRules rules{.issuer_letters = issuer, .accept_special = true};
        for (const char* text : {"沪A12345", "沪AD12345", "沪A12345F", "沪A1234学", "沪O1234警", "粤Z1234港",
                                 "使123456", "琼F12345", "沪O12345", "沪A1O345", "沪AABC45", "沪A1234", "粤A1234港",
                                 "沪AD1234A", "冀Z12345", "沪I12345", "A12345", "沪A123456"}) {
            EXPECT_EQ(g.classify(text).has_value(), plate::checkPlateText(text, rules).has_value())
                << text << " with issuer letters " << issuer;
        }
    }
}

}  // namespace
}  // namespace vg::vision
