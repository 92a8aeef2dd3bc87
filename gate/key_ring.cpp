#include "gate/key_ring.h"

#include <algorithm>
#include <charconv>

#include "gate/crypto_util.h"
#include "gate/secure_file.h"

namespace vg::gate {
namespace {

constexpr std::string_view kFormatLine = "vg-token-keys 1";

std::vector<std::string_view> splitFields(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        if (i > start) fields.push_back(line.substr(start, i - start));
    }
    return fields;
}

}  // namespace

std::expected<KeyRing, std::string> KeyRing::load(const std::filesystem::path& path) {
    const auto text = readSecretFile(path);
    if (!text) return std::unexpected(text.error());
    KeyRing ring;
    bool seen_format = false;
    std::size_t line_no = 0;
    std::string_view rest = *text;
    while (!rest.empty()) {
        ++line_no;
        const std::size_t nl = rest.find('\n');
        std::string_view line = rest.substr(0, nl);
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        const auto fields = splitFields(line);
        if (fields.empty() || fields[0].starts_with('#')) continue;
        auto bad = [&](const std::string& why) {
            return std::unexpected(path.string() + ":" + std::to_string(line_no) + ": " + why);
        };
        if (!seen_format) {
            if (fields.size() != 2 || fields[0] != "vg-token-keys") {
                return bad("not a voucher-gate key file (its first line must be '" + std::string(kFormatLine) + "')");
            }
            if (fields[1] != "1") {
                return bad("key file format " + std::string(fields[1]) +
                           " is newer than this program understands (format 1); upgrade voucher-gate");
            }
            seen_format = true;
            continue;
        }
        if (fields.size() != 4) {
            return bad("expected 4 fields 'id created_utc retired_utc_or_- secret_hex', found " +
                       std::to_string(fields.size()));
        }
        TokenKey key;
        unsigned id = 0;
        const auto [ptr, ec] = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), id);
        if (ec != std::errc{} || ptr != fields[0].data() + fields[0].size() || id < 1 || id > 255) {
            return bad("key id '" + std::string(fields[0]) + "' is not a number from 1 to 255");
        }
        key.id = static_cast<std::uint8_t>(id);
        const auto created = parseIsoUtc(fields[1]);
        if (!created) return bad("creation time: " + created.error());
        key.created = *created;
        if (fields[2] != "-") {
            const auto retired = parseIsoUtc(fields[2]);
            if (!retired) return bad("retirement time: " + retired.error() + " or '-' for a key in use");
            key.retired = *retired;
        }
        const auto secret = fields[3].size() == 64 ? hexDecode(fields[3]) : std::nullopt;
        if (!secret) return bad("the secret must be 64 hex digits (32 bytes)");
        std::copy(secret->begin(), secret->end(), key.secret.begin());
        if (ring.find(key.id) != nullptr) return bad("key id " + std::to_string(id) + " appears twice");
        ring.keys_.push_back(key);
    }
    if (!seen_format) {
        return std::unexpected(path.string() + ": empty, not a voucher-gate key file (expected a first line '" +
                               std::string(kFormatLine) + "')");
    }
    return ring;
}

std::expected<void, std::string> KeyRing::save(const std::filesystem::path& path) const {
    std::string text;
    text += "# voucher-gate token keys: secret, keep mode 0640 (service user and group). Managed with\n";
    text += "# 'voucher-gate key new|retire|list'; format in docs/voucher-token.md.\n";
    text += "# id created_utc retired_utc_or_- secret_hex\n";
    text += kFormatLine;
    text += '\n';
    for (const TokenKey& key : keys_) {
        text += std::to_string(key.id);
        text += ' ';
        text += isoUtc(key.created);
        text += ' ';
        text += key.retired ? isoUtc(*key.retired) : std::string("-");
        text += ' ';
        text += hexEncode(key.secret);
        text += '\n';
    }
    return writeSecretFile(path, text);
}

std::expected<std::uint8_t, std::string> KeyRing::addKey(TimePoint now) {
    unsigned highest = 0;
    for (const TokenKey& key : keys_) highest = std::max<unsigned>(highest, key.id);
    if (highest >= 255) {
        return std::unexpected(std::string("all key ids up to 255 are used; no new key can be added to this ring"));
    }
    TokenKey key;
    key.id = static_cast<std::uint8_t>(highest + 1);
    key.created = now;
    randomBytes(key.secret);
    keys_.push_back(key);
    return key.id;
}

std::expected<void, std::string> KeyRing::retire(std::uint8_t id, TimePoint now) {
    auto it = std::find_if(keys_.begin(), keys_.end(), [id](const TokenKey& k) { return k.id == id; });
    if (it == keys_.end()) return std::unexpected("there is no key " + std::to_string(id) + " ('key list' shows them)");
    if (it->retired) {
        return std::unexpected("key " + std::to_string(id) + " was already retired at " + isoUtc(*it->retired));
    }
    it->retired = now;
    return {};
}

std::expected<void, std::string> KeyRing::insert(const TokenKey& key) {
    if (key.id == 0) return std::unexpected(std::string("key id 0 is reserved"));
    if (find(key.id) != nullptr) return std::unexpected("key id " + std::to_string(key.id) + " is already in the ring");
    keys_.push_back(key);
    return {};
}

const TokenKey* KeyRing::find(std::uint8_t id) const {
    auto it = std::find_if(keys_.begin(), keys_.end(), [id](const TokenKey& k) { return k.id == id; });
    return it == keys_.end() ? nullptr : &*it;
}

const TokenKey* KeyRing::active() const {
    const TokenKey* best = nullptr;
    for (const TokenKey& key : keys_) {
        if (!key.retired && (best == nullptr || key.id > best->id)) best = &key;
    }
    return best;
}

}  // namespace vg::gate
