#include "gate/password.h"

#include <sodium.h>

#include "gate/crypto_util.h"
#include "gate/input_check.h"

namespace vg::gate {

namespace {

// The interactive limits (64 MiB, about 0.1 s on the gate box's cores): a login on a phone must not take
// seconds, and the console rate-limits guesses per address and per account on top of this.
constexpr unsigned long long kOps = crypto_pwhash_OPSLIMIT_INTERACTIVE;
constexpr std::size_t kMem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
constexpr std::size_t kMinBytes = 8;
constexpr std::size_t kMaxBytes = 128;

}  // namespace

std::optional<std::string> passwordProblem(std::string_view password) {
    if (password.size() < kMinBytes) return "a password must have at least 8 bytes";
    if (password.size() > kMaxBytes) return "a password must have at most 128 bytes";
    // The byte offset, never the byte: an error message must not show part of a password.
    if (auto at = invalidUtf8At(password)) return "the password is not valid UTF-8 (byte " + std::to_string(*at) + ")";
    for (std::size_t i = 0; i < password.size(); ++i) {
        const auto b = static_cast<unsigned char>(password[i]);
        if (b < 0x20 || b == 0x7F) return "the password contains a control character (byte " + std::to_string(i) + ")";
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
