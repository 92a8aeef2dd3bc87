// Token keys with ids, so that keys can rotate (key new / retire / list). The key file holds secrets: it is
// written atomically (temp file + fsync + rename) with mode 0640; the caller chowns it to the service user.
// A KeyRing is a plain value: not synchronised, copy it per thread or guard it. Key ids run 1..255 (0 is never
// used). The file format is specified at the top of docs/voucher-token.md.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "gate/site_time.h"

namespace vg::gate {

struct TokenKey {
    std::uint8_t id = 0;
    std::array<std::uint8_t, 32> secret{};
    TimePoint created{};
    std::optional<TimePoint> retired;  // set: tokens under this key no longer verify

    bool operator==(const TokenKey&) const = default;
};

class KeyRing {
  public:
    // Reads a key file; errors name the file and the line.
    static std::expected<KeyRing, std::string> load(const std::filesystem::path& path);
    std::expected<void, std::string> save(const std::filesystem::path& path) const;

    // Adds a fresh random key (id = highest id + 1, 1..255) and returns its id; error when ids are exhausted.
    std::expected<std::uint8_t, std::string> addKey(TimePoint now);
    std::expected<void, std::string> retire(std::uint8_t id, TimePoint now);
    // Adds a known key (a restored backup, a test vector); error when the id is 0 or already present.
    std::expected<void, std::string> insert(const TokenKey& key);

    const TokenKey* find(std::uint8_t id) const;
    const TokenKey* active() const;  // the newest key that is not retired, or nullptr
    const std::vector<TokenKey>& keys() const { return keys_; }
    bool empty() const { return keys_.empty(); }

  private:
    std::vector<TokenKey> keys_;
};

}  // namespace vg::gate
