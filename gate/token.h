// Voucher tokens: the text printed as a QR code on a voucher card and verified offline at the gate.
// Layout and versioning are specified in docs/voucher-token.md and must never change silently.
// Text form: "VG1:" + unpadded upper-case RFC 4648 base32 of 24 bytes = 43 characters.
// Bytes: version(1) key_id(1) serial(4, big-endian) month_index(2, big-endian) mac(16) where
// mac = HMAC-SHA-256(key, first 8 bytes) truncated to 16 bytes (libsodium crypto_auth_hmacsha256).
// All functions are pure, thread-safe, never throw on any input, and return typed errors.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <string>
#include <string_view>

#include "gate/site_time.h"

namespace vg::gate {

class KeyRing;

inline constexpr std::uint8_t kTokenVersion1 = 1;
inline constexpr std::size_t kTokenTextLength = 43;

struct TokenPayload {
    std::uint8_t version = kTokenVersion1;
    std::uint8_t key_id = 0;
    std::uint32_t serial = 0;
    YearMonth month;  // validity month (16-bit months since 2000-01 on the wire)

    bool operator==(const TokenPayload&) const = default;
};

enum class TokenError {
    Malformed,           // not "VG<n>:" + base32 of the right length, bad characters, padding, lower case...
    UnsupportedVersion,  // a well-formed prefix/version this build cannot verify
    UnknownKey,          // key id not in the key ring
    RetiredKey,          // key id exists but was retired (after a compromise): re-issue the voucher
    BadMac,              // forged, altered, or signed with another ring's key
};

std::string_view toString(TokenError e);  // stable names: "malformed", "unsupported-version", ...
std::string_view describe(TokenError e);  // a sentence for a clerk or guard

// Signs with the key named by payload.key_id (which must exist and not be retired; otherwise an error).
std::expected<std::string, TokenError> encodeToken(const TokenPayload& payload, const KeyRing& keys);
// Parses and verifies. Accepts surrounding ASCII whitespace only; everything else must match exactly.
std::expected<TokenPayload, TokenError> decodeToken(std::string_view text, const KeyRing& keys);

// RFC 4648 base32, upper case, no padding (exposed for tests and docs).
std::string base32Encode(const std::uint8_t* data, std::size_t size);
std::expected<std::string, TokenError> base32Decode(std::string_view text);

}  // namespace vg::gate
