// The text grammar of plates: what is a plate, and the sentence that says which rule a non-plate breaks.
#include <gtest/gtest.h>

#include <string>

#include "plate/plate_text.h"

namespace vg::plate {
namespace {

std::string whyNot(std::string_view text, const PlateRules& rules = {}) {
    auto r = checkPlateText(text, rules);
    return r ? std::string("accepted as ") + std::string(plateKindName(*r)) : r.error();
}

TEST(PlateText, AcceptsEveryKindOfPlate) {
    EXPECT_EQ(checkPlateText("沪A12345"), PlateKind::Standard);
    EXPECT_EQ(checkPlateText("京AB1234"), PlateKind::Standard);
    EXPECT_EQ(checkPlateText("沪AD12345"), PlateKind::NewEnergySmall);
    EXPECT_EQ(checkPlateText("沪A12345F"), PlateKind::NewEnergyLarge);
    EXPECT_EQ(checkPlateText("沪A1234学"), PlateKind::Coach);
    EXPECT_EQ(checkPlateText("沪O1234警"), PlateKind::Police);
    EXPECT_EQ(checkPlateText("粤Z1234港"), PlateKind::HongKong);
    EXPECT_EQ(checkPlateText("粤Z1234澳"), PlateKind::Macau);
    EXPECT_EQ(checkPlateText("使123456"), PlateKind::Embassy);
}

TEST(PlateText, NamesTheRuleAPhraseBreaks) {
    EXPECT_EQ(whyNot("HELLOWORLD"), "the first character must be a province abbreviation such as 京 or 沪, not 'H'");
    EXPECT_EQ(whyNot(""), "it is empty");
    EXPECT_EQ(whyNot("沪"), "it ends after the province: the authority letter and the serial are missing");
    EXPECT_EQ(whyNot("沪112345"), "the second character must be the issuing authority's letter (A-Z, not I), not '1'");
    EXPECT_EQ(whyNot("沪A1234"), "a plate has 7 characters (8 for a new-energy plate), this one has 6");
    EXPECT_EQ(whyNot("沪A1O345"), "character 4 is 'O': a serial never has I or O (they would read as 1 and 0)");
    EXPECT_EQ(whyNot("沪AABC45"), "the serial has 3 letters: at most 2 are allowed");
    EXPECT_EQ(whyNot("沪a12345"), "the second character must be the issuing authority's letter (A-Z, not I), not 'a'");
    EXPECT_EQ(whyNot("琼F12345"),
              "琼 has no issuing authority 'F' (its letters are A B C D E, and O for the "
              "provincial police)");
    EXPECT_EQ(whyNot("沪Z1234港"), "a plate ending in 港 starts with 粤Z");
    EXPECT_NE(whyNot("沪A1234X5").find("new-energy"), std::string::npos);
    EXPECT_NE(whyNot("沪AD1234A").find("must be a digit"), std::string::npos);
}

TEST(PlateText, RulesCanBeLoosened) {
    const PlateRules loose{.issuer_letters = false, .accept_special = true};
    EXPECT_TRUE(checkPlateText("琼F12345", loose));
    EXPECT_FALSE(checkPlateText("沪O12345", loose)) << "O is the police's letter";
    const PlateRules plain{.issuer_letters = true, .accept_special = false};
    EXPECT_EQ(whyNot("沪A1234学", plain), "special plates (学 警 挂 港 澳 领 使) are not accepted");
}

}  // namespace
}  // namespace vg::plate
