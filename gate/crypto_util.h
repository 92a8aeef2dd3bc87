// Small libsodium helpers shared by tokens, key files and the audit chain: one-time library initialisation,
// strict lower-case hex, HMAC-SHA-256 and SHA-256. Pure and thread-safe; never throw.
#pragma once

#include <array>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vg::gate {

// Calls sodium_init() exactly once per process (thread-safe); every function here that needs randomness
// or CPU-feature dispatch calls it first, so callers never have to.
void ensureSodium();

std::string hexEncode(std::span<const std::uint8_t> bytes);  // lower case
// Accepts lower or upper case hex of even length; anything else is nullopt.
std::optional<std::vector<std::uint8_t>> hexDecode(std::string_view hex);

void randomBytes(std::span<std::uint8_t> out);

// HMAC-SHA-256 over the concatenation of `parts` with a 32-byte key.
std::array<std::uint8_t, 32> hmacSha256(std::span<const std::uint8_t, 32> key,
                                        std::initializer_list<std::string_view> parts);
std::array<std::uint8_t, 32> sha256(std::initializer_list<std::string_view> parts);

inline std::string_view asChars(std::span<const std::uint8_t> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

}  // namespace vg::gate
