// Reading one TOML table against the key table (keys.cpp): Section's key lookup and its check that every key
// in the table is known (with a "did you mean" for a typo and the right table for a key in the wrong one),
// the failure that names the key and line, and the small text helpers the checks and messages share.
#include <algorithm>
#include <stdexcept>

#include "config/loader_internal.h"

namespace vg::config::loader_detail {

[[noreturn]] void fail(const Ctx& ctx, std::string key, const toml::source_region& where, std::string message) {
    throw Failure{ConfigError{std::move(message), std::move(key), static_cast<int>(where.begin.line),
                              static_cast<int>(where.begin.column), ctx.file}};
}

std::string_view typeName(const toml::node& n) {
    switch (n.type()) {
        case toml::node_type::table:
            return "a table";
        case toml::node_type::array:
            return "an array";
        case toml::node_type::string:
            return "a string";
        case toml::node_type::integer:
            return "an integer";
        case toml::node_type::floating_point:
            return "a float";
        case toml::node_type::boolean:
            return "a boolean";
        case toml::node_type::date:
            return "a date";
        case toml::node_type::time:
            return "a time";
        case toml::node_type::date_time:
            return "a date-time";
        case toml::node_type::none:
            break;
    }
    return "nothing";
}

std::string inQuotes(std::string_view s) { return fmt::format("\"{}\"", s); }

namespace {

std::size_t editDistance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            const std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string driversList(std::string_view drivers) {
    std::string out;
    for (const auto& d : splitBar(drivers)) out += (out.empty() ? "" : " or ") + inQuotes(d);
    return out;
}

}  // namespace

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t bestDistance = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto& c : candidates) {
        const std::size_t d = editDistance(word, c);
        if (d < bestDistance) {
            bestDistance = d;
            best = c;
        }
    }
    return best;
}

std::vector<std::string> splitBar(std::string_view s) {
    std::vector<std::string> out;
    while (true) {
        auto bar = s.find('|');
        out.emplace_back(s.substr(0, bar));
        if (bar == std::string_view::npos) return out;
        s = s.substr(bar + 1);
    }
}

bool acceptsDriver(const KeyDoc& k, std::string_view driver) {
    if (k.drivers.empty()) return true;
    auto ds = splitBar(k.drivers);
    return std::ranges::find(ds, driver) != ds.end();
}

const KeyDoc& Section::doc(std::string_view leaf) const {
    if (const KeyDoc* k = findKey(fmt::format("{}.{}", docPrefix_, leaf))) return *k;
    if (docPrefix_ == "lane") {
        if (const KeyDoc* k = findKey(fmt::format("lanes.{}", leaf))) return *k;
    }
    throw std::logic_error(fmt::format("config key {}.{} missing from the key table", docPrefix_, leaf));
}

void Section::checkKeys(const std::vector<std::string>& allowed, std::string_view driver) const {
    if (!table_) return;
    for (auto&& [key, value] : *table_) {
        const std::string_view k = key.str();
        if (std::ranges::find(allowed, k) != allowed.end()) continue;
        if (const KeyDoc* d = findKey(fmt::format("{}.{}", docPrefix_, k)); d && !driver.empty()) {
            fail(*ctx_, shown(k), key.source(),
                 fmt::format("only for driver {}, but driver is {}", driversList(d->drivers), inQuotes(driver)));
        }
        std::string hint;
        if (auto near = closest(k, allowed); !near.empty()) {
            hint = fmt::format(" (did you mean {}?)", inQuotes(near));
        } else {
            for (const KeyDoc& other : keyTable()) {
                const std::string_view otherKey = other.key;
                if (otherKey.substr(otherKey.rfind('.') + 1) == k) {
                    hint = fmt::format(" ({} belongs in [{}])", k, otherKey.substr(0, otherKey.rfind('.')));
                    break;
                }
            }
        }
        fail(*ctx_, shown(k), key.source(), fmt::format("unknown key{}", hint));
    }
}

std::vector<std::string> leavesOf(std::string_view prefix, std::string_view driver) {
    std::vector<std::string> out;
    for (const KeyDoc& k : keyTable()) {
        const std::string_view key = k.key;
        if (!key.starts_with(prefix) || key.size() <= prefix.size() || key[prefix.size()] != '.') continue;
        const std::string_view rest = key.substr(prefix.size() + 1);
        if (rest.find('.') != std::string_view::npos) continue;
        if (!driver.empty() && !acceptsDriver(k, driver)) continue;
        out.emplace_back(rest);
    }
    return out;
}

const toml::table* subTable(const Ctx& ctx, const toml::table& parent, std::string_view leaf,
                            const std::string& shownKey) {
    const toml::node* n = parent.get(leaf);
    if (!n) return nullptr;
    if (!n->is_table()) {
        fail(ctx, shownKey, n->source(), fmt::format("expected a table [{}], got {}", shownKey, typeName(*n)));
    }
    return n->as_table();
}

Section topSection(const Ctx& ctx, const toml::table& root, std::string_view name) {
    const toml::table* t = subTable(ctx, root, name, std::string(name));
    Section s(ctx, t, std::string(name), std::string(name), t ? t->source() : root.source());
    s.checkKeys(leavesOf(name));
    return s;
}

}  // namespace vg::config::loader_detail
