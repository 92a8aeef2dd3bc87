// Voucher tokens: round trip, the documented test vector, text shape, every error kind, tamper detection.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "gate/key_ring.h"
#include "gate/token.h"

namespace vg::gate {
namespace {

// The worked example of docs/voucher-token.md; the test below also checks that the doc still shows it.
constexpr std::string_view kVectorKeyHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr std::string_view kVectorToken = "VG1:AEAQAAPCIAAUFRZVP5KM5LEXIN2IOH3HQA6GBOA";
constexpr std::string_view kVectorBytesHex = "01010001e2400142c7357f54ceac974374871f67803c60b8";

TokenKey keyWithSecret(std::uint8_t id, std::uint8_t first_byte) {
    TokenKey key;
    key.id = id;
    for (std::size_t i = 0; i < key.secret.size(); ++i) key.secret[i] = static_cast<std::uint8_t>(first_byte + i);
    key.created = parseIsoUtc("2026-11-01T00:00:00.000Z").value();
    return key;
}

KeyRing vectorRing() {
    KeyRing ring;
    EXPECT_TRUE(ring.insert(keyWithSecret(1, 0x00)).has_value());
    return ring;
}

TokenPayload vectorPayload() { return TokenPayload{kTokenVersion1, 1, 123456, YearMonth{2026, 11}}; }

TEST(Token, DocumentedTestVectorEncodesAndDecodes) {
    const KeyRing ring = vectorRing();
    const auto text = encodeToken(vectorPayload(), ring);
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(*text, kVectorToken);
    const auto decoded = decodeToken(kVectorToken, ring);
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(*decoded, vectorPayload());
    const auto raw = base32Decode(kVectorToken.substr(4));
    ASSERT_TRUE(raw.has_value());
    std::string hex;
    for (unsigned char c : *raw) {
        static constexpr char d[] = "0123456789abcdef";
        hex += d[c >> 4];
        hex += d[c & 15];
    }
    EXPECT_EQ(hex, kVectorBytesHex);
}

TEST(Token, DocStillShowsTheTestVector) {
    std::ifstream in(std::string(VG_SOURCE_DIR) + "/docs/voucher-token.md");
    ASSERT_TRUE(in) << "docs/voucher-token.md is missing";
    std::stringstream ss;
    ss << in.rdbuf();
    const std::string doc = ss.str();
    EXPECT_NE(doc.find(kVectorToken), std::string::npos);
    EXPECT_NE(doc.find(kVectorKeyHex), std::string::npos);
    EXPECT_NE(doc.find(kVectorBytesHex), std::string::npos);
    EXPECT_NE(doc.find("1 2026-11-01T00:00:00.000Z - " + std::string(kVectorKeyHex)), std::string::npos);
}

TEST(Token, RoundTripWithFreshKeysIs43AlphanumericCharacters) {
    KeyRing ring;
    const auto now = parseIsoUtc("2026-11-20T02:00:00.000Z").value();
    const auto id = ring.addKey(now);
    ASSERT_TRUE(id.has_value());
    for (std::uint32_t serial : {0u, 1u, 77u, 0x7fffffffu, 0xffffffffu}) {
        for (YearMonth month : {YearMonth{2000, 1}, YearMonth{2026, 12}, YearMonth{2099, 7}}) {
            const TokenPayload payload{kTokenVersion1, *id, serial, month};
            const auto text = encodeToken(payload, ring);
            ASSERT_TRUE(text.has_value());
            ASSERT_EQ(text->size(), kTokenTextLength);
            EXPECT_TRUE(text->starts_with("VG1:"));
            for (char c : text->substr(4)) {
                EXPECT_TRUE((c >= 'A' && c <= 'Z') || (c >= '2' && c <= '7')) << *text;
            }
            const auto back = decodeToken(*text, ring);
            ASSERT_TRUE(back.has_value()) << *text;
            EXPECT_EQ(*back, payload);
        }
    }
}

TEST(Token, SurroundingWhitespaceIsAcceptedButNothingElse) {
    const KeyRing ring = vectorRing();
    EXPECT_TRUE(decodeToken(" \t" + std::string(kVectorToken) + "\r\n", ring).has_value());
    EXPECT_EQ(decodeToken(std::string(kVectorToken) + "A", ring).error(), TokenError::Malformed);
    EXPECT_EQ(decodeToken(std::string(kVectorToken) + "=", ring).error(), TokenError::Malformed);
    EXPECT_EQ(decodeToken(std::string(kVectorToken) + "=====", ring).error(), TokenError::Malformed);
    EXPECT_EQ(decodeToken("x" + std::string(kVectorToken), ring).error(), TokenError::Malformed);
    std::string inner(kVectorToken);
    inner.insert(20, " ");
    EXPECT_EQ(decodeToken(inner, ring).error(), TokenError::Malformed);
}

TEST(Token, MalformedInputs) {
    const KeyRing ring = vectorRing();
    std::string lower(kVectorToken);
    for (std::size_t i = 4; i < lower.size(); ++i) lower[i] = static_cast<char>(std::tolower(lower[i]));
    for (const std::string& text :
         {std::string(), std::string("VG1:"), std::string("hello"), std::string(kVectorToken.substr(0, 42)), lower,
          std::string("vg1:") + std::string(kVectorToken.substr(4)),
          std::string("VG1;") + std::string(kVectorToken.substr(4)), std::string("VG1:") + std::string(38, 'A') + "1",
          std::string("VG1:") + std::string(39, '8'), std::string("VG01:") + std::string(38, 'A'),
          std::string("https://example.com/?t=VG1:AAAA"),
          std::string("VG1:\0AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 43)}) {
        const auto r = decodeToken(text, ring);
        ASSERT_FALSE(r.has_value()) << text;
        EXPECT_EQ(r.error(), TokenError::Malformed) << text;
    }
}

TEST(Token, NonZeroTrailingBitsAreMalformedSoEachTokenHasOneSpelling) {
    const KeyRing ring = vectorRing();
    // 24 bytes = 192 bits in 39 characters of 5 bits: the last character carries 2 data bits and 3 zero bits.
    std::string alt(kVectorToken);
    const char last = alt.back();  // 'A' here: value 0
    ASSERT_EQ(last, 'A');
    for (char c : std::string_view("BCDEFGH")) {  // values 1..7 only touch the three padding bits
        alt.back() = c;
        EXPECT_EQ(decodeToken(alt, ring).error(), TokenError::Malformed) << alt;
    }
}

TEST(Token, OtherVersionPrefixIsUnsupported) {
    const KeyRing ring = vectorRing();
    EXPECT_EQ(decodeToken("VG2:" + std::string(kVectorToken.substr(4)), ring).error(), TokenError::UnsupportedVersion);
    EXPECT_EQ(decodeToken("VG2:ABCDEFGH234567", ring).error(), TokenError::UnsupportedVersion);
    EXPECT_EQ(decodeToken("VG17:" + std::string(50, 'Q'), ring).error(), TokenError::UnsupportedVersion);
    EXPECT_EQ(decodeToken("VG2:abc", ring).error(), TokenError::Malformed);
    EXPECT_EQ(decodeToken("VG2:", ring).error(), TokenError::Malformed);
}

TEST(Token, SignedVersionByteOtherThanOneIsUnsupportedButAnAlteredOneIsForged) {
    const KeyRing ring = vectorRing();
    // Altering the version byte of a genuine token breaks its MAC.
    auto raw = base32Decode(kVectorToken.substr(4)).value();
    raw[0] = 2;
    const std::string altered = "VG1:" + base32Encode(reinterpret_cast<const std::uint8_t*>(raw.data()), raw.size());
    EXPECT_EQ(decodeToken(altered, ring).error(), TokenError::BadMac);
    // The encoder refuses to sign a version it does not implement.
    TokenPayload v2 = vectorPayload();
    v2.version = 2;
    EXPECT_EQ(encodeToken(v2, ring).error(), TokenError::UnsupportedVersion);
}

TEST(Token, UnknownKeyRetiredKeyAndAnotherRingsKey) {
    const KeyRing ring = vectorRing();
    KeyRing other;
    ASSERT_TRUE(other.insert(keyWithSecret(1, 0x40)).has_value());
    ASSERT_TRUE(other.insert(keyWithSecret(9, 0x80)).has_value());

    const auto from_other = encodeToken(vectorPayload(), other).value();
    EXPECT_EQ(decodeToken(from_other, ring).error(), TokenError::BadMac);

    TokenPayload p9 = vectorPayload();
    p9.key_id = 9;
    EXPECT_EQ(decodeToken(encodeToken(p9, other).value(), ring).error(), TokenError::UnknownKey);
    EXPECT_EQ(encodeToken(p9, ring).error(), TokenError::UnknownKey);

    KeyRing retired = vectorRing();
    ASSERT_TRUE(retired.retire(1, parseIsoUtc("2026-11-25T00:00:00.000Z").value()).has_value());
    EXPECT_EQ(decodeToken(kVectorToken, retired).error(), TokenError::RetiredKey);
    EXPECT_EQ(encodeToken(vectorPayload(), retired).error(), TokenError::RetiredKey);
    // A forgery naming the retired key is still reported as a forgery, not as "re-issue".
    EXPECT_EQ(decodeToken(from_other, retired).error(), TokenError::BadMac);
}

TEST(Token, EncoderRejectsMonthsOutsideTheSixteenBitField) {
    const KeyRing ring = vectorRing();
    TokenPayload p = vectorPayload();
    p.month = YearMonth{1999, 12};
    EXPECT_EQ(encodeToken(p, ring).error(), TokenError::Malformed);
    p.month = YearMonth{2026, 13};
    EXPECT_EQ(encodeToken(p, ring).error(), TokenError::Malformed);
    p.month = YearMonth::fromIndex(0xffff);
    EXPECT_TRUE(encodeToken(p, ring).has_value());
    p.month = YearMonth::fromIndex(0x10000);
    EXPECT_EQ(encodeToken(p, ring).error(), TokenError::Malformed);
}

TEST(Token, FlippingAnySingleBitOrCharacterNeverVerifies) {
    const KeyRing ring = vectorRing();
    const std::string good(kVectorToken);
    std::size_t tried = 0;
    for (std::size_t i = 0; i < good.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string t = good;
            t[i] = static_cast<char>(t[i] ^ (1 << bit));
            EXPECT_FALSE(decodeToken(t, ring).has_value()) << "bit " << bit << " of char " << i;
            ++tried;
        }
        for (char c = 0x20; c < 0x7f; ++c) {
            if (c == good[i]) continue;
            std::string t = good;
            t[i] = c;
            EXPECT_FALSE(decodeToken(t, ring).has_value()) << t;
        }
    }
    auto raw = base32Decode(kVectorToken.substr(4)).value();
    for (std::size_t i = 0; i < raw.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string r = raw;
            r[i] = static_cast<char>(r[i] ^ (1 << bit));
            const std::string t = "VG1:" + base32Encode(reinterpret_cast<const std::uint8_t*>(r.data()), r.size());
            const auto res = decodeToken(t, ring);
            ASSERT_FALSE(res.has_value()) << "byte " << i << " bit " << bit;
            // Byte 1 is the key id: flipping it names a key this ring lacks; every other flip breaks the MAC.
            EXPECT_EQ(res.error(), i == 1 ? TokenError::UnknownKey : TokenError::BadMac) << i;
        }
    }
    EXPECT_EQ(tried, good.size() * 8);
}

TEST(Token, Base32MatchesRfc4648VectorsUnpadded) {
    auto enc = [](std::string_view s) {
        return base32Encode(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
    };
    EXPECT_EQ(enc(""), "");
    EXPECT_EQ(enc("f"), "MY");
    EXPECT_EQ(enc("fo"), "MZXQ");
    EXPECT_EQ(enc("foo"), "MZXW6");
    EXPECT_EQ(enc("foob"), "MZXW6YQ");
    EXPECT_EQ(enc("fooba"), "MZXW6YTB");
    EXPECT_EQ(enc("foobar"), "MZXW6YTBOI");
    for (std::string_view s : {"", "f", "fo", "foo", "foob", "fooba", "foobar"}) {
        EXPECT_EQ(base32Decode(enc(s)).value(), s);
    }
    EXPECT_EQ(base32Decode("MY======").error(), TokenError::Malformed);
    EXPECT_EQ(base32Decode("my").error(), TokenError::Malformed);
    EXPECT_EQ(base32Decode("M").error(), TokenError::Malformed);    // impossible length
    EXPECT_EQ(base32Decode("MZX").error(), TokenError::Malformed);  // impossible length
    EXPECT_EQ(base32Decode("MZ").error(), TokenError::Malformed);   // trailing bits set
    EXPECT_EQ(base32Decode("M1").error(), TokenError::Malformed);
}

TEST(Token, ErrorNamesAreStableAndDescribed) {
    EXPECT_EQ(toString(TokenError::Malformed), "malformed");
    EXPECT_EQ(toString(TokenError::UnsupportedVersion), "unsupported-version");
    EXPECT_EQ(toString(TokenError::UnknownKey), "unknown-key");
    EXPECT_EQ(toString(TokenError::RetiredKey), "retired-key");
    EXPECT_EQ(toString(TokenError::BadMac), "bad-mac");
    for (TokenError e : {TokenError::Malformed, TokenError::UnsupportedVersion, TokenError::UnknownKey,
                         TokenError::RetiredKey, TokenError::BadMac}) {
        EXPECT_GT(describe(e).size(), 20u);
    }
}

}  // namespace
}  // namespace vg::gate
