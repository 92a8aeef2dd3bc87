#include "gate/password.h"

#include <sodium.h>

#include "gate/crypto_util.h"

namespace vg::gate {

namespace {

// The interactive limits (64 MiB, about 0.1 s on the gate box's cores): a login on a phone must not take
// seconds, and the console rate-limits guesses per address and per account on top of this.
constexpr unsigned long long kOps = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr std::size_t kMem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
constexpr std::size_t kMinBytes = 8;
constexpr std::size_t kMaxBytes = 128;

// Length of the valid UTF-8 sequence starting at s[i], or 0 when it is not one.
std::size_t utf8Length(std::string_view s, std::size_t i) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    unsigned min = 0;
    unsigned cp = 0;
    if (b < 0x80) return 1;
    if ((b & 0xE0) == 0xC0) {
        n = 2, cp = b & 0x1F, min = 0x80;
    } else if ((b & 0xF0) == 0xE0) {
        n = 3, cp = b & 0x0F, min = 0x800;
    } else if ((b & 0xF8) == 0xF0) {
        n = 4, cp = b & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        const auto c = static_cast<unsigned char>(s[i + k]);
        if ((c & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (c & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

}  // namespace

std::optional<std::string> passwordProblem(std::string_view password) {
    if (password.size() < kMinBytes) return "a password must have at least 8 characters";
    if (password.size() > kMaxBytes) return "a password must have at most 128 bytes";
    for (std::size_t i = 0; i < password.size();) {
        const std::size_t n = utf8Length(password, i);
        if (n == 0) return "the password is not valid UTF-8 (byte " + std::to_string(i) + ")";
        if (n == 1 && (static_cast<unsigned char>(password[i]) < 0x20 || password[i] == 0x7F)) {
            return "the password contains a control character (byte " + std::to_string(i) + ")";
        }
        i += n;
    }
    return std::nullopt;
}

std::optional<std::string> hashPassword(std::string_view password) {
    ensureSodium();
    char out[crypto_pwhash_STRBYTES];
    if (crypto_pwhash_str(out, password.data(), password.size(), kOps, kMem) != 0) return std::nullopt;
    return std::string(out);
}

bool verifyPassword(std::string_view hash, std::string_view password) {
    ensureSodium();
    if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
    const std::string h(hash);  // NUL-terminated, as libsodium wants it
    return crypto_pwhash_str_verify(h.c_str(), password.data(), password.size()) == 0;
}

bool needsRehash(std::string_view hash) {
    ensureSodium();
    const std::string h(hash);
    return crypto_pwhash_str_needs_rehash(h.c_str(), kOps, kMem) != 0;
}

}  // namespace vg::gate
