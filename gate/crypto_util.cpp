#include "gate/crypto_util.h"

#include <sodium.h>

#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace vg::gate {

void ensureSodium() {
    static std::once_flag once;
    std::call_once(once, [] {
        // sodium_init() fails only when the system cannot provide randomness at all; continuing would
        // produce predictable keys, so this is the one place that stops the process.
        if (sodium_init() < 0) {
            std::fputs("voucher-gate: libsodium could not be initialised (no system randomness)\n", stderr);
            std::abort();
        }
    });
}

std::string hexEncode(std::span<const std::uint8_t> bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (std::uint8_t b : bytes) {
        out.push_back(kDigits[b >> 4]);
        out.push_back(kDigits[b & 0x0f]);
    }
    return out;
}

namespace {
int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}
}  // namespace

std::optional<std::vector<std::uint8_t>> hexDecode(std::string_view hex) {
    if (hex.size() % 2 != 0) return std::nullopt;
    std::vector<std::uint8_t> out;
    out.reserve(hex.size() / 2);
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        const int hi = hexValue(hex[i]);
        const int lo = hexValue(hex[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<std::uint8_t>(hi << 4 | lo));
    }
    return out;
}

void randomBytes(std::span<std::uint8_t> out) {
    ensureSodium();
    randombytes_buf(out.data(), out.size());
}

std::array<std::uint8_t, 32> hmacSha256(std::span<const std::uint8_t, 32> key,
                                        std::initializer_list<std::string_view> parts) {
    ensureSodium();
    static_assert(crypto_auth_hmacsha256_BYTES == 32);
    crypto_auth_hmacsha256_state state;
    crypto_auth_hmacsha256_init(&state, key.data(), key.size());
    for (std::string_view part : parts) {
        crypto_auth_hmacsha256_update(&state, reinterpret_cast<const unsigned char*>(part.data()), part.size());
    }
    std::array<std::uint8_t, 32> mac{};
    crypto_auth_hmacsha256_final(&state, mac.data());
    sodium_memzero(&state, sizeof state);
    return mac;
}

std::array<std::uint8_t, 32> sha256(std::initializer_list<std::string_view> parts) {
    ensureSodium();
    static_assert(crypto_hash_sha256_BYTES == 32);
    crypto_hash_sha256_state state;
    crypto_hash_sha256_init(&state);
    for (std::string_view part : parts) {
        crypto_hash_sha256_update(&state, reinterpret_cast<const unsigned char*>(part.data()), part.size());
    }
    std::array<std::uint8_t, 32> digest{};
    crypto_hash_sha256_final(&state, digest.data());
    return digest;
}

}  // namespace vg::gate
