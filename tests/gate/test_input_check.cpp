// Input checks (gate/input_check.h) and the text-file decoding of imports (gate/text_encoding.h): what a person
// may type, what it is stored as, and the sentence that says why not.
#include <gtest/gtest.h>

#include <string>

#include "gate/input_check.h"
#include "gate/text_encoding.h"

namespace vg::gate {
namespace {

// The defaults of site.unit_pattern and site.phone_pattern (config/keys.cpp).
const InputPatterns kPatterns{.unit = "^[0-9A-Za-z]{1,6}(-[0-9A-Za-z]{1,6}){0,3}$",
                              .phone = "^([+]86[- ]?)?(1[3-9][0-9]{9}|(0[0-9]{2,3}-?)?[0-9]{7,8}(-[0-9]{1,6})?)$"};

std::string error(const Checked& c) { return c ? "accepted as " + *c : c.error(); }

TEST(InputCheck, HelloWorldIsNotAPlate) {
    EXPECT_EQ(error(checkPlate("plate", "hello world")),
              "plate 'hello world': the first character must be a province abbreviation such as 京 or 沪, not 'H'");
    EXPECT_EQ(error(checkPlate("plate", "HELLOWORLD")),
              "plate 'HELLOWORLD': the first character must be a province abbreviation such as 京 or 沪, not 'H'");
}

TEST(InputCheck, PlatesAreNormalisedWithoutChangingTheirMeaning) {
    for (const char* typed : {"沪A12345", "沪a12345", "沪a·12345", "沪A・12345", "沪A 12345", "沪A-12345", "沪A.12345",
                              " 沪A12345 ", "沪Ａ１２３４５", "沪ａ　12345"}) {
        EXPECT_EQ(checkPlate("plate", typed), Checked("沪A12345")) << typed;
    }
    EXPECT_EQ(checkPlate("plate", "沪ad12345"), Checked("沪AD12345"));
    EXPECT_EQ(checkPlate("plate", "使 123456"), Checked("使123456"));
    // A separator stands only where plates print one: anything else is not a plate someone meant.
    EXPECT_EQ(error(checkPlate("plate", "沪A123 45")),
              "plate '沪A123 45': a separator may only stand after the authority letter, as in 沪A·12345");
    EXPECT_FALSE(checkPlate("plate", "沪-A12345"));
    EXPECT_FALSE(checkPlate("plate", "沪A··12345"));
    EXPECT_EQ(error(checkPlate("plate", "沪A1O345")),
              "plate '沪A1O345': character 4 is 'O': a serial never has I or O (they would read as 1 and 0)");
}

TEST(InputCheck, InvalidUtf8NamesTheFieldAndTheByte) {
    EXPECT_EQ(error(checkPlate("plate", "\xff\xfe")),
              "plate: not valid UTF-8 at byte 0 (0xFF); save the text as UTF-8");
    EXPECT_EQ(invalidUtf8At("沪A\xff"), 4U);
    EXPECT_EQ(invalidUtf8At("\xC0\xAF"), 0U) << "overlong '/'";
    EXPECT_EQ(invalidUtf8At("ab\xED\xA0\x80"), 2U) << "a surrogate";
    EXPECT_EQ(invalidUtf8At("\xF4\x90\x80\x80"), 0U) << "above U+10FFFF";
    EXPECT_EQ(invalidUtf8At("x\xE6\xB2"), 1U) << "cut short";
    EXPECT_EQ(invalidUtf8At("沪A12345 王秀英 😀"), std::nullopt);
    EXPECT_EQ(error(checkText("reason", "ok\xe6")), "reason: not valid UTF-8 at byte 2 (0xE6); save the text as UTF-8");
    EXPECT_EQ(error(checkText("reason", "line\none")),
              "reason: control character U+000A at byte 4: one line of text is expected");
    EXPECT_EQ(checkText("operator", "门卫 老李"), Checked("门卫 老李"));
}

TEST(InputCheck, UnitsAndPhonesFollowThePatterns) {
    const InputChecker c(kPatterns);
    EXPECT_EQ(c.unit("unit", "12-301"), Checked("12-301"));
    EXPECT_EQ(c.unit("unit", "3-2-1201"), Checked("3-2-1201"));
    EXPECT_EQ(c.unit("unit", "１２－３０１"), Checked("12-301")) << "full-width, as a Chinese input method types it";
    EXPECT_NE(error(c.unit("unit", "12 301")).find("does not match the estate's unit pattern"), std::string::npos);
    EXPECT_FALSE(c.unit("unit", ""));
    EXPECT_FALSE(c.unit("unit", "1-1\xff"));
    EXPECT_EQ(c.phone("phone", ""), Checked("")) << "no phone given";
    for (const char* ok : {"13812345678", "+86 13812345678", "+8613812345678", "021-62345678", "02162345678",
                           "62345678", "0571-8888888", "021-62345678-123"}) {
        EXPECT_TRUE(c.phone("phone", ok)) << ok;
    }
    for (const char* bad : {"abc", "1234", "12345678901", "138 1234 5678x", "+1 5551234567"}) {
        EXPECT_FALSE(c.phone("phone", bad)) << bad;
    }
    EXPECT_EQ(error(c.phone("--phone", "abc")).substr(0, 40), "--phone 'abc' is not a phone number: it ");
    const InputChecker estate(InputPatterns{.unit = "^[0-9]{1,3}号楼[0-9]{3,4}$", .phone = kPatterns.phone});
    EXPECT_TRUE(estate.unit("unit", "3号楼301"));
    EXPECT_FALSE(estate.unit("unit", "3-301"));
}

TEST(TextEncoding, Utf8WithOrWithoutBomIsTakenAsItIs) {
    auto plain = decodeTextFile("沪A12345,resident\n");
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->encoding, "UTF-8");
    EXPECT_EQ(plain->utf8, "沪A12345,resident\n");
    auto bom = decodeTextFile("\xEF\xBB\xBF沪A12345,resident\n");
    ASSERT_TRUE(bom);
    EXPECT_EQ(bom->encoding, "UTF-8 with BOM");
    EXPECT_EQ(bom->utf8, "沪A12345,resident\n");
    EXPECT_FALSE(
        decodeTextFile("\xEF\xBB\xBF\xBB\xA6"
                       "A12345"))
        << "a BOM promises UTF-8";
}

TEST(TextEncoding, GbkIsConvertedAndAnythingElseRefusedByName) {
    // 沪A12345,王秀英 in GBK: 沪 BB A6, 王 CD F5, 秀 D0 E3, 英 D3 A2.
    auto gbk = decodeTextFile(
        "\xBB\xA6"
        "A12345,\xCD\xF5\xD0\xE3\xD3\xA2\r\n");
    ASSERT_TRUE(gbk) << gbk.error();
    EXPECT_EQ(gbk->encoding, "GB18030");
    EXPECT_EQ(gbk->utf8, "沪A12345,王秀英\r\n");
    // A GB18030 four-byte sequence (U+00DE Þ: 81 30 89 37) that GBK does not have.
    auto gb18030 = decodeTextFile("caf\x81\x30\x89\x37");
    ASSERT_TRUE(gb18030);
    EXPECT_EQ(gb18030->utf8, "cafÞ");

    auto utf16 = decodeTextFile(std::string("\xFF\xFEp\0", 4));
    ASSERT_FALSE(utf16);
    EXPECT_NE(utf16.error().find("UTF-16"), std::string::npos) << utf16.error();
    auto junk = decodeTextFile("ok,\x80\xFF");
    ASSERT_FALSE(junk);
    EXPECT_EQ(junk.error(),
              "it is neither UTF-8 (byte 3, 0x80, is not UTF-8) nor GBK/GB18030 (byte 3, 0x80, does not decode): save "
              "it as \"CSV UTF-8\"");
}

}  // namespace
}  // namespace vg::gate
