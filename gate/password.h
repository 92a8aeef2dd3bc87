// Console passwords: Argon2id hashes in libsodium's self-describing string form (crypto_pwhash_str), so the
// cost can be raised later without a schema change (needsRehash). Thread-safe; never throw.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace vg::gate {

// What a password must be: 8 to 128 bytes of valid UTF-8 without control characters. Returns the problem in
// words, or nullopt when the password is acceptable.
std::optional<std::string> passwordProblem(std::string_view password);

// The Argon2id hash string (about 100 ASCII characters), or nullopt when libsodium cannot allocate the memory
// the hash needs (64 MiB at the interactive limits).
std::optional<std::string> hashPassword(std::string_view password);

// True when `password` matches `hash` (a string from hashPassword). A malformed hash never matches.
bool verifyPassword(std::string_view hash, std::string_view password);

// True when `hash` was made with other limits than hashPassword uses today.
bool needsRehash(std::string_view hash);

}  // namespace vg::gate
