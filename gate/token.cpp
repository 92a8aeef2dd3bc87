#include "gate/token.h"

#include <sodium.h>

#include <algorithm>

#include "gate/crypto_util.h"
#include "gate/key_ring.h"

namespace vg::gate {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
constexpr std::string_view kPrefixV1 = "VG1:";
constexpr std::size_t kPayloadBytes = 8;
constexpr std::size_t kMacBytes = 16;
constexpr std::size_t kTokenBytes = kPayloadBytes + kMacBytes;
constexpr std::size_t kBase32Chars = (kTokenBytes * 8 + 4) / 5;
static_assert(kBase32Chars == 39 && kPrefixV1.size() + kBase32Chars == kTokenTextLength);

int base32Value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= '2' && c <= '7') return c - '2' + 26;
    return -1;
}

bool isAsciiSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::array<std::uint8_t, kMacBytes> tokenMac(const TokenKey& key, const std::uint8_t* payload) {
    const auto full = hmacSha256(key.secret, {std::string_view(reinterpret_cast<const char*>(payload), kPayloadBytes)});
    std::array<std::uint8_t, kMacBytes> mac{};
    std::copy_n(full.begin(), kMacBytes, mac.begin());
    return mac;
}

// "VG<n>:" with n a version number other than 1 (1 to 3 digits, no leading zero) followed by base32
// characters: a token of a format this build does not know, as opposed to text that is no token at all.
bool looksLikeOtherVersion(std::string_view text) {
    if (text.size() < 5 || !text.starts_with("VG")) return false;
    std::size_t i = 2;
    while (i < text.size() && i < 5 && text[i] >= '0' && text[i] <= '9') ++i;
    if (i == 2 || i >= text.size() || text[i] != ':' || text[2] == '0') return false;
    if (text.substr(2, i - 2) == "1") return false;
    const std::string_view body = text.substr(i + 1);
    return !body.empty() && std::all_of(body.begin(), body.end(), [](char c) { return base32Value(c) >= 0; });
}

}  // namespace

std::string_view toString(TokenError e) {
    switch (e) {
        case TokenError::Malformed:
            return "malformed";
        case TokenError::UnsupportedVersion:
            return "unsupported-version";
        case TokenError::UnknownKey:
            return "unknown-key";
        case TokenError::RetiredKey:
            return "retired-key";
        case TokenError::BadMac:
            return "bad-mac";
    }
    return "unknown";
}

std::string_view describe(TokenError e) {
    switch (e) {
        case TokenError::Malformed:
            return "This is not a voucher code (it must be VG1: followed by 39 letters and digits).";
        case TokenError::UnsupportedVersion:
            return "This voucher uses a newer format than this gate understands; update the gate software.";
        case TokenError::UnknownKey:
            return "This voucher was signed with a key this gate does not have (another estate, or a lost "
                   "key file).";
        case TokenError::RetiredKey:
            return "This voucher was signed with a key that has been retired; the committee must re-issue "
                   "it.";
        case TokenError::BadMac:
            return "This voucher is forged or damaged: its signature does not match.";
    }
    return "Unknown token error.";
}

std::string base32Encode(const std::uint8_t* data, std::size_t size) {
    std::string out;
    out.reserve((size * 8 + 4) / 5);
    unsigned buffer = 0;
    int bits = 0;
    for (std::size_t i = 0; i < size; ++i) {
        buffer = (buffer << 8) | data[i];
        bits += 8;
        while (bits >= 5) {
            out.push_back(kAlphabet[(buffer >> (bits - 5)) & 31]);
            bits -= 5;
        }
    }
    if (bits > 0) out.push_back(kAlphabet[(buffer << (5 - bits)) & 31]);
    return out;
}

std::expected<std::string, TokenError> base32Decode(std::string_view text) {
    // Unpadded lengths: a final group of 8 characters carries 5 bytes; 1, 3 and 6 leftover characters
    // cannot be produced by any byte string.
    const std::size_t tail = text.size() % 8;
    if (tail == 1 || tail == 3 || tail == 6) return std::unexpected(TokenError::Malformed);
    std::string out;
    out.reserve(text.size() * 5 / 8);
    unsigned buffer = 0;
    int bits = 0;
    for (char c : text) {
        const int v = base32Value(c);
        if (v < 0) return std::unexpected(TokenError::Malformed);
        buffer = ((buffer << 5) | static_cast<unsigned>(v)) & 0xfffu;
        bits += 5;
        if (bits >= 8) {
            out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xff));
            bits -= 8;
        }
    }
    // Leftover bits are padding of the last character and must be zero, so each byte string has exactly
    // one text form (no second spelling of the same token).
    if ((buffer & ((1u << bits) - 1)) != 0) return std::unexpected(TokenError::Malformed);
    return out;
}

std::expected<std::string, TokenError> encodeToken(const TokenPayload& payload, const KeyRing& keys) {
    if (payload.version != kTokenVersion1) return std::unexpected(TokenError::UnsupportedVersion);
    if (payload.month.month < 1 || payload.month.month > 12 || payload.month.index() < 0 ||
        payload.month.index() > 0xffff) {
        return std::unexpected(TokenError::Malformed);
    }
    const TokenKey* key = keys.find(payload.key_id);
    if (key == nullptr) return std::unexpected(TokenError::UnknownKey);
    if (key->retired) return std::unexpected(TokenError::RetiredKey);

    std::array<std::uint8_t, kTokenBytes> bytes{};
    const auto month = static_cast<std::uint16_t>(payload.month.index());
    bytes[0] = payload.version;
    bytes[1] = payload.key_id;
    bytes[2] = static_cast<std::uint8_t>(payload.serial >> 24);
    bytes[3] = static_cast<std::uint8_t>(payload.serial >> 16);
    bytes[4] = static_cast<std::uint8_t>(payload.serial >> 8);
    bytes[5] = static_cast<std::uint8_t>(payload.serial);
    bytes[6] = static_cast<std::uint8_t>(month >> 8);
    bytes[7] = static_cast<std::uint8_t>(month);
    const auto mac = tokenMac(*key, bytes.data());
    std::copy(mac.begin(), mac.end(), bytes.begin() + kPayloadBytes);
    return std::string(kPrefixV1) + base32Encode(bytes.data(), bytes.size());
}

std::expected<TokenPayload, TokenError> decodeToken(std::string_view text, const KeyRing& keys) {
    while (!text.empty() && isAsciiSpace(text.front())) text.remove_prefix(1);
    while (!text.empty() && isAsciiSpace(text.back())) text.remove_suffix(1);
    if (text.size() != kTokenTextLength || !text.starts_with(kPrefixV1)) {
        return std::unexpected(looksLikeOtherVersion(text) ? TokenError::UnsupportedVersion : TokenError::Malformed);
    }
    const auto raw = base32Decode(text.substr(kPrefixV1.size()));
    if (!raw || raw->size() != kTokenBytes) return std::unexpected(TokenError::Malformed);
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(raw->data());

    // Authenticate before interpreting anything but the key id: an altered version byte is a forgery
    // (BadMac), and a retired key is only reported for a card that key really signed.
    const TokenKey* key = keys.find(bytes[1]);
    if (key == nullptr) return std::unexpected(TokenError::UnknownKey);
    const auto mac = tokenMac(*key, bytes);
    if (sodium_memcmp(mac.data(), bytes + kPayloadBytes, kMacBytes) != 0) return std::unexpected(TokenError::BadMac);
    if (key->retired) return std::unexpected(TokenError::RetiredKey);
    // Genuinely signed with our key yet not version 1: reserved for a future layout inside the VG1 frame.
    if (bytes[0] != kTokenVersion1) return std::unexpected(TokenError::UnsupportedVersion);

    TokenPayload payload;
    payload.version = bytes[0];
    payload.key_id = bytes[1];
    payload.serial = static_cast<std::uint32_t>(bytes[2]) << 24 | static_cast<std::uint32_t>(bytes[3]) << 16 |
                     static_cast<std::uint32_t>(bytes[4]) << 8 | static_cast<std::uint32_t>(bytes[5]);
    payload.month = YearMonth::fromIndex(static_cast<int>(bytes[6]) << 8 | bytes[7]);
    return payload;
}

}  // namespace vg::gate
