// What the files of the loader share (config_loader.cpp, loader_section.cpp, loader_values.cpp,
// loader_tables.cpp), and nothing else includes: the private exception a validation failure unwinds with
// (Failure, thrown by fail()), Section (one TOML table read against the key table), the value converters that
// check each key's type and range, and the readers of the tables. Internal to vg_config: not installed.
#pragma once

#include <fmt/format.h>
#include <toml++/toml.h>

#include <array>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/config_loader.h"
#include "config/keys.h"
#include "config/settings.h"

namespace vg::config::loader_detail {

struct Failure {
    ConfigError error;
};

struct Ctx {
    std::string file;
    std::filesystem::path base;  // relative paths are resolved against this; empty = leave them relative
};

[[noreturn]] void fail(const Ctx& ctx, std::string key, const toml::source_region& where, std::string message);

std::string_view typeName(const toml::node& n);
std::string inQuotes(std::string_view s);
// The closest candidate within a typo's reach, or empty.
std::string closest(std::string_view word, const std::vector<std::string>& candidates);
std::vector<std::string> splitBar(std::string_view s);
bool acceptsDriver(const KeyDoc& k, std::string_view driver);

// One TOML table (or an absent one) read against the keys "<docPrefix>.<leaf>" of the table.
class Section {
  public:
    Section(const Ctx& ctx, const toml::table* table, std::string docPrefix, std::string shownPrefix,
            toml::source_region where)
        : ctx_(&ctx),
          table_(table),
          docPrefix_(std::move(docPrefix)),
          shownPrefix_(std::move(shownPrefix)),
          where_(where) {}

    const Ctx& ctx() const { return *ctx_; }
    const toml::table* table() const { return table_; }
    const toml::source_region& where() const { return where_; }
    std::string shown(std::string_view leaf) const { return fmt::format("{}.{}", shownPrefix_, leaf); }
    const toml::node* node(std::string_view leaf) const { return table_ ? table_->get(leaf) : nullptr; }

    // Lanes may override [lanes] keys, so a lane looks there too.
    const KeyDoc& doc(std::string_view leaf) const;

    // Every key in the table must be one of `allowed` (leaf names). Keys of another driver get their own
    // message.
    void checkKeys(const std::vector<std::string>& allowed, std::string_view driver = {}) const;

    // The value given in the file or, failing that, the table's default (converted by the same code).
    template <class Convert>
    auto get(std::string_view leaf, Convert convert) const {
        const KeyDoc& k = doc(leaf);
        if (const toml::node* n = node(leaf)) return convert(*this, *n, k, shown(leaf));
        if (k.need == Need::Required) {
            fail(*ctx_, shown(leaf), where_, fmt::format("missing; required ({})", k.doc));
        }
        if (k.need == Need::Optional) throw std::logic_error(fmt::format("{} has no default", k.key));
        toml::table defaults = toml::parse(fmt::format("v = {}", k.default_toml));
        return convert(*this, *defaults.get("v"), k, shown(leaf));
    }

    template <class Convert>
    auto optional(std::string_view leaf, Convert convert) const
        -> std::optional<decltype(convert(*this, std::declval<const toml::node&>(), doc(leaf), std::string{}))> {
        const toml::node* n = node(leaf);
        if (!n) return std::nullopt;
        return convert(*this, *n, doc(leaf), shown(leaf));
    }

    template <class T, class Convert>
    T getOr(std::string_view leaf, Convert convert, const T& fallback) const {
        const toml::node* n = node(leaf);
        if (!n) return fallback;
        return convert(*this, *n, doc(leaf), shown(leaf));
    }

  private:
    const Ctx* ctx_;
    const toml::table* table_;
    std::string docPrefix_;
    std::string shownPrefix_;
    toml::source_region where_;
};

// The converters Section::get() and friends take: each checks the node's type and the key's range, or fails.
std::string asString(const Section& s, const toml::node& n, const KeyDoc&, const std::string& key);
bool asBool(const Section& s, const toml::node& n, const KeyDoc&, const std::string& key);
int asInt(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key);
double asNumber(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key);
Duration asDuration(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key);
std::string asChoice(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key);
std::filesystem::path asPath(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key);
std::vector<std::string> asStringList(const Section& s, const toml::node& n, const KeyDoc&, const std::string& key);
std::string asTimeZone(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key);
std::string asPattern(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key);
std::string asListen(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key);
std::string asCamera(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key);
std::array<int, 4> asRoi(const Section& s, const toml::node& n, const KeyDoc&, const std::string& key);
std::string asLaneName(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key);

template <class Enum>
Enum enumFrom(std::string_view text, std::initializer_list<Enum> values) {
    for (Enum e : values) {
        if (toString(e) == text) return e;
    }
    throw std::logic_error(fmt::format("no enum value for \"{}\"", text));  // asChoice checked it
}

// Leaf names of the table keys directly under `prefix` (driver keys only when they accept `driver`).
std::vector<std::string> leavesOf(std::string_view prefix, std::string_view driver = {});
const toml::table* subTable(const Ctx& ctx, const toml::table& parent, std::string_view leaf,
                            const std::string& shownKey);
Section topSection(const Ctx& ctx, const toml::table& root, std::string_view name);

// The whole file: every top-level table, then the lanes (loader_tables.cpp).
Settings parseSettings(const Ctx& ctx, const toml::table& root);

}  // namespace vg::config::loader_detail
