// The loader walks the TOML tree section by section, taking each key's type, range and default from the key
// table (keys.cpp). Validation failures unwind through a private exception that load()/loadFromString() turn
// into a ConfigError value, so no exception crosses the public API.
#include "config/config_loader.h"

#include <date/tz.h>
#include <fmt/format.h>
#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "config/keys.h"

namespace vg::config {

std::string_view toString(OverstayExit v) { return v == OverstayExit::Open ? "open" : "hold"; }
std::string_view toString(ExitOnError v) { return v == ExitOnError::Open ? "open" : "hold"; }
std::string_view toString(Direction v) { return v == Direction::Entry ? "entry" : "exit"; }
std::string_view toString(PresenceDriver v) { return v == PresenceDriver::Sim ? "sim" : "gpio"; }
std::string_view toString(AnnouncerDriver v) { return v == AnnouncerDriver::Log ? "log" : "tts"; }
std::string_view toString(UnreadPlate v) {
    switch (v) {
        case UnreadPlate::Guard:
            return "guard";
        case UnreadPlate::Presence:
            return "presence";
        case UnreadPlate::Never:
            return "never";
    }
    return "?";
}
std::string_view toString(RelayDriver v) {
    switch (v) {
        case RelayDriver::Sim:
            return "sim";
        case RelayDriver::Gpio:
            return "gpio";
        case RelayDriver::ModbusTcp:
            return "modbus-tcp";
        case RelayDriver::ModbusRtu:
            return "modbus-rtu";
        case RelayDriver::Serial:
            return "serial";
    }
    return "?";
}

std::string ConfigError::str() const {
    std::string out = file;
    if (line > 0) {
        out += fmt::format(":{}", line);
        if (key.empty() && column > 0) out += fmt::format(":{}", column);
    }
    out += ": ";
    if (!key.empty()) out += key + ": ";
    return out + message;
}

namespace {

constexpr std::int64_t kMsPer[] = {86'400'000, 3'600'000, 60'000, 1'000, 1};  // d h m s ms
constexpr std::string_view kUnit[] = {"d", "h", "m", "s", "ms"};

}  // namespace

std::optional<Duration> parseDuration(std::string_view text) {
    if (text.empty()) return std::nullopt;
    std::int64_t total = 0;
    int lastUnit = -1;
    const char* p = text.data();
    const char* end = text.data() + text.size();
    while (p != end) {
        std::uint64_t n = 0;
        auto [next, ec] = std::from_chars(p, end, n);
        if (ec != std::errc{} || next == end) return std::nullopt;
        p = next;
        int unit = -1;
        if (end - p >= 2 && p[0] == 'm' && p[1] == 's')
            unit = 4;
        else if (*p == 'd')
            unit = 0;
        else if (*p == 'h')
            unit = 1;
        else if (*p == 'm')
            unit = 2;
        else if (*p == 's')
            unit = 3;
        if (unit <= lastUnit) return std::nullopt;  // unknown unit, repeated or out of order ("30m1h")
        p += kUnit[unit].size();
        lastUnit = unit;
        // Cap far beyond every range (100 years) so the sum cannot overflow.
        constexpr std::int64_t kCap = 36'500LL * 86'400'000;
        if (n > static_cast<std::uint64_t>(kCap / kMsPer[unit])) return std::nullopt;
        total += static_cast<std::int64_t>(n) * kMsPer[unit];
        if (total > kCap) return std::nullopt;
    }
    return Duration{total};
}

std::string formatDuration(Duration d) {
    std::int64_t ms = d.count();
    if (ms == 0) return "0s";
    std::string out;
    if (ms < 0) {
        out = "-";
        ms = -ms;
    }
    for (int u = 0; u < 5; ++u) {
        if (ms >= kMsPer[u]) {
            out += fmt::format("{}{}", ms / kMsPer[u], kUnit[u]);
            ms %= kMsPer[u];
        }
    }
    return out;
}

namespace {

struct Failure {
    ConfigError error;
};

struct Ctx {
    std::string file;
    std::filesystem::path base;  // relative paths are resolved against this; empty = leave them relative
};

[[noreturn]] void fail(const Ctx& ctx, std::string key, const toml::source_region& where,
                       std::string message) {
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

// The closest candidate within a typo's reach, or empty.
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

std::string driversList(std::string_view drivers) {
    std::string out;
    for (const auto& d : splitBar(drivers)) out += (out.empty() ? "" : " or ") + inQuotes(d);
    return out;
}

// "1m..30d" -> the two bounds' texts (either may be empty = unbounded).
std::pair<std::string_view, std::string_view> splitRange(std::string_view range) {
    auto dots = range.find("..");
    if (dots == std::string_view::npos) return {{}, {}};
    return {range.substr(0, dots), range.substr(dots + 2)};
}

std::optional<double> parseNumber(std::string_view s) {
    if (s.empty()) return std::nullopt;
    double v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size()) return std::nullopt;
    return v;
}

std::string rangeText(std::string_view range) {
    auto [lo, hi] = splitRange(range);
    if (!lo.empty() && !hi.empty()) return fmt::format("between {} and {}", lo, hi);
    if (!lo.empty()) return fmt::format("at least {}", lo);
    return fmt::format("at most {}", hi);
}

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
    const KeyDoc& doc(std::string_view leaf) const {
        if (const KeyDoc* k = findKey(fmt::format("{}.{}", docPrefix_, leaf))) return *k;
        if (docPrefix_ == "lane") {
            if (const KeyDoc* k = findKey(fmt::format("lanes.{}", leaf))) return *k;
        }
        throw std::logic_error(fmt::format("config key {}.{} missing from the key table", docPrefix_, leaf));
    }

    // Every key in the table must be one of `allowed` (leaf names). Keys of another driver get their own
    // message.
    void checkKeys(const std::vector<std::string>& allowed, std::string_view driver = {}) const {
        if (!table_) return;
        for (auto&& [key, value] : *table_) {
            const std::string_view k = key.str();
            if (std::ranges::find(allowed, k) != allowed.end()) continue;
            if (const KeyDoc* d = findKey(fmt::format("{}.{}", docPrefix_, k)); d && !driver.empty()) {
                fail(*ctx_, shown(k), key.source(),
                     fmt::format("only for driver {}, but driver is {}", driversList(d->drivers),
                                 inQuotes(driver)));
            }
            std::string hint;
            if (auto near = closest(k, allowed); !near.empty()) {
                hint = fmt::format(" (did you mean {}?)", inQuotes(near));
            } else {
                for (const KeyDoc& other : keyTable()) {
                    const std::string_view otherKey = other.key;
                    if (otherKey.substr(otherKey.rfind('.') + 1) == k) {
                        hint =
                            fmt::format(" ({} belongs in [{}])", k, otherKey.substr(0, otherKey.rfind('.')));
                        break;
                    }
                }
            }
            fail(*ctx_, shown(k), key.source(), fmt::format("unknown key{}", hint));
        }
    }

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
        -> std::optional<decltype(convert(*this, std::declval<const toml::node&>(), doc(leaf),
                                          std::string{}))> {
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

[[noreturn]] void wrongType(const Section& s, const toml::node& n, const std::string& key,
                            std::string_view want) {
    fail(s.ctx(), key, n.source(), fmt::format("expected {}, got {}", want, typeName(n)));
}

std::string asString(const Section& s, const toml::node& n, const KeyDoc&, const std::string& key) {
    const auto* v = n.as_string();
    if (!v) wrongType(s, n, key, "a string");
    return v->get();
}

bool asBool(const Section& s, const toml::node& n, const KeyDoc&, const std::string& key) {
    const auto* v = n.as_boolean();
    if (!v) wrongType(s, n, key, "true or false");
    return v->get();
}

int asInt(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key) {
    const auto* v = n.as_integer();
    if (!v) wrongType(s, n, key, "an integer");
    const std::int64_t x = v->get();
    auto [lo, hi] = splitRange(k.range);
    if ((!lo.empty() && x < *parseNumber(lo)) || (!hi.empty() && x > *parseNumber(hi))) {
        fail(s.ctx(), key, n.source(), fmt::format("{} is out of range: must be {}", x, rangeText(k.range)));
    }
    return static_cast<int>(x);
}

double asNumber(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key) {
    double x = 0;
    if (const auto* i = n.as_integer())
        x = static_cast<double>(i->get());
    else if (const auto* f = n.as_floating_point())
        x = f->get();
    else
        wrongType(s, n, key, "a number");
    auto [lo, hi] = splitRange(k.range);
    if (!std::isfinite(x) || (!lo.empty() && x < *parseNumber(lo)) || (!hi.empty() && x > *parseNumber(hi))) {
        fail(s.ctx(), key, n.source(), fmt::format("{} is out of range: must be {}", x, rangeText(k.range)));
    }
    return x;
}

Duration asDuration(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key) {
    const auto* v = n.as_string();
    if (!v) {
        fail(s.ctx(), key, n.source(),
             fmt::format("expected a duration string like \"90s\", \"15m\", \"4h\", got {}", typeName(n)));
    }
    auto d = parseDuration(v->get());
    if (!d) {
        fail(s.ctx(), key, n.source(),
             fmt::format("{} is not a duration (use e.g. \"90s\", \"15m\", \"4h\")", inQuotes(v->get())));
    }
    auto [lo, hi] = splitRange(k.range);
    if ((!lo.empty() && *d < *parseDuration(lo)) || (!hi.empty() && *d > *parseDuration(hi))) {
        fail(s.ctx(), key, n.source(),
             fmt::format("{} is out of range: must be {}", inQuotes(v->get()), rangeText(k.range)));
    }
    return *d;
}

std::string asChoice(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key) {
    const auto choices = splitBar(k.range);
    std::string list;
    for (const auto& c : choices) list += (list.empty() ? "" : ", ") + inQuotes(c);
    const auto* v = n.as_string();
    if (!v) wrongType(s, n, key, fmt::format("one of {}", list));
    if (std::ranges::find(choices, v->get()) == choices.end()) {
        std::string hint;
        if (auto near = closest(v->get(), choices); !near.empty())
            hint = fmt::format(" (did you mean {}?)", inQuotes(near));
        fail(s.ctx(), key, n.source(), fmt::format("{} is not one of {}{}", inQuotes(v->get()), list, hint));
    }
    return v->get();
}

std::filesystem::path resolve(const Ctx& ctx, const std::filesystem::path& p) {
    if (p.is_absolute() || ctx.base.empty()) return p;
    return (ctx.base / p).lexically_normal();
}

std::filesystem::path asPath(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key) {
    std::string v = asString(s, n, k, key);
    if (v.empty()) fail(s.ctx(), key, n.source(), "must not be empty (give a file path)");
    return resolve(s.ctx(), v);
}

std::vector<std::string> asStringList(const Section& s, const toml::node& n, const KeyDoc&,
                                      const std::string& key) {
    const auto* arr = n.as_array();
    if (!arr) wrongType(s, n, key, "an array of strings");
    if (arr->empty()) fail(s.ctx(), key, n.source(), "must list at least one entry");
    std::vector<std::string> out;
    for (const toml::node& e : *arr) {
        const auto* v = e.as_string();
        if (!v) fail(s.ctx(), key, e.source(), fmt::format("entries must be strings, got {}", typeName(e)));
        if (v->get().empty()) fail(s.ctx(), key, e.source(), "entries must not be empty");
        out.push_back(v->get());
    }
    return out;
}

std::string asTimeZone(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key) {
    std::string v = asString(s, n, k, key);
    bool known = false;
    try {
        known = !v.empty() && date::locate_zone(v) != nullptr;
    } catch (const std::exception&) {
        known = false;
    }
    if (!known) {
        fail(s.ctx(), key, n.source(),
             fmt::format("{} is not a time zone of the tz database (e.g. \"Asia/Shanghai\"; see "
                         "/usr/share/zoneinfo)",
                         inQuotes(v)));
    }
    return v;
}

std::string asListen(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key) {
    std::string v = asString(s, n, k, key);
    const auto colon = v.rfind(':');
    bool ok = colon != std::string::npos && colon > 0;
    if (ok && v.front() == '[')
        ok = v[colon - 1] == ']' && colon > 2;
    else if (ok)
        ok = v.find(':') == colon;  // a bare IPv6 address needs brackets
    unsigned port = 0;
    if (ok) {
        const char* b = v.data() + colon + 1;
        const char* e = v.data() + v.size();
        auto [p, ec] = std::from_chars(b, e, port);
        ok = b != e && ec == std::errc{} && p == e && port >= 1 && port <= 65535;
    }
    if (!ok) {
        fail(s.ctx(), key, n.source(),
             fmt::format("{} is not host:port with a port 1..65535 (e.g. \"127.0.0.1:8080\", \"[::1]:8080\")",
                         inQuotes(v)));
    }
    return v;
}

bool isVideoFile(const std::filesystem::path& p) {
    std::string ext = p.extension().string();
    std::ranges::transform(ext, ext.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static constexpr std::string_view kExt[] = {".mp4",  ".mkv", ".avi",   ".mov",  ".webm", ".m4v", ".mpg",
                                                ".mpeg", ".ts",  ".mjpeg", ".mjpg", ".h264", ".h265"};
    return std::ranges::find(kExt, ext) != std::end(kExt);
}

std::string asCamera(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key) {
    std::string v = asString(s, n, k, key);
    const std::string_view sv = v;
    auto digitsOnly = [](std::string_view d) {
        return !d.empty() && std::ranges::all_of(d, [](char c) { return c >= '0' && c <= '9'; });
    };
    for (std::string_view scheme : {"rtsp://", "rtsps://", "http://", "https://"}) {
        if (sv.starts_with(scheme)) {
            if (sv.size() == scheme.size())
                fail(s.ctx(), key, n.source(), fmt::format("{} has no host", inQuotes(v)));
            return v;
        }
    }
    if (sv.starts_with("/dev/")) {
        if ((sv.starts_with("/dev/video") && digitsOnly(sv.substr(10))) ||
            (sv.starts_with("/dev/v4l/by-id/") && sv.size() > 15) ||
            (sv.starts_with("/dev/v4l/by-path/") && sv.size() > 17)) {
            return v;
        }
        fail(s.ctx(), key, n.source(),
             fmt::format("{} is not a camera device: use /dev/videoN or a link under /dev/v4l/by-id/",
                         inQuotes(v)));
    }
    if (sv.find("://") != std::string_view::npos) {
        fail(s.ctx(), key, n.source(),
             fmt::format("{}: unsupported URL scheme (use rtsp://, rtsps://, http:// or https://)",
                         inQuotes(v)));
    }
    if (v.empty()) fail(s.ctx(), key, n.source(), "must not be empty");
    const std::filesystem::path p = resolve(s.ctx(), v);
    if (isVideoFile(p)) return p.string();
    std::error_code ec;
    if (std::filesystem::is_directory(p, ec)) return p.string();
    fail(s.ctx(), key, n.source(),
         fmt::format("{} is not a camera source: use /dev/videoN, rtsp://..., http(s)://..., a video file "
                     "(.mp4, .mkv, .avi, ...) or an existing folder of images",
                     inQuotes(v)));
}

std::array<int, 4> asRoi(const Section& s, const toml::node& n, const KeyDoc&, const std::string& key) {
    const auto* arr = n.as_array();
    if (!arr || arr->size() != 4) wrongType(s, n, key, "[x, y, w, h] (four integers)");
    std::array<int, 4> out{};
    for (std::size_t i = 0; i < 4; ++i) {
        const auto* v = arr->get(i)->as_integer();
        if (!v) wrongType(s, *arr->get(i), key, "an integer in [x, y, w, h]");
        const std::int64_t x = v->get();
        const std::int64_t min = i < 2 ? 0 : 1;
        if (x < min || x > 100'000) {
            fail(s.ctx(), key, arr->get(i)->source(),
                 fmt::format("{} = {} is out of range: x and y must be >= 0, w and h >= 1", "xywh"[i], x));
        }
        out[i] = static_cast<int>(x);
    }
    return out;
}

std::string asLaneName(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key) {
    std::string v = asString(s, n, k, key);
    const bool bad = v.empty() || v.size() > 64 || std::ranges::any_of(v, [](unsigned char c) {
                         return c < 0x20 || c == 0x7f || c == ' ' || c == '/';
                     });
    if (bad) {
        fail(s.ctx(), key, n.source(),
             fmt::format("{} is not a valid lane name: 1-64 bytes, no spaces, '/' or control characters",
                         inQuotes(v)));
    }
    return v;
}

template <class Enum>
Enum enumFrom(std::string_view text, std::initializer_list<Enum> values) {
    for (Enum e : values) {
        if (toString(e) == text) return e;
    }
    throw std::logic_error(fmt::format("no enum value for \"{}\"", text));  // asChoice checked it
}

// Leaf names of the table keys directly under `prefix` (driver keys only when they accept `driver`).
std::vector<std::string> leavesOf(std::string_view prefix, std::string_view driver = {}) {
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
        fail(ctx, shownKey, n->source(),
             fmt::format("expected a table [{}], got {}", shownKey, typeName(*n)));
    }
    return n->as_table();
}

Section topSection(const Ctx& ctx, const toml::table& root, std::string_view name) {
    const toml::table* t = subTable(ctx, root, name, std::string(name));
    Section s(ctx, t, std::string(name), std::string(name), t ? t->source() : root.source());
    s.checkKeys(leavesOf(name));
    return s;
}

LaneDefaults readLaneLevel(const Section& s, const LaneDefaults* base) {
    LaneDefaults d;
    auto pick = [&](std::string_view leaf, auto convert, const auto& fallback) {
        return base ? s.getOr(leaf, convert, fallback) : s.get(leaf, convert);
    };
    const LaneDefaults b = base ? *base : LaneDefaults{};
    d.pair_window = pick("pair_window", asDuration, b.pair_window);
    d.repeat_window = pick("repeat_window", asDuration, b.repeat_window);
    d.readmit_window = pick("readmit_window", asDuration, b.readmit_window);
    d.plate_timeout = pick("plate_timeout", asDuration, b.plate_timeout);
    d.unread_plate = enumFrom(pick("unread_plate", asChoice, std::string(toString(b.unread_plate))),
                              {UnreadPlate::Guard, UnreadPlate::Presence, UnreadPlate::Never});
    d.min_plate_confidence = pick("min_plate_confidence", asNumber, b.min_plate_confidence);
    d.exit_on_error = enumFrom(pick("exit_on_error", asChoice, std::string(toString(b.exit_on_error))),
                               {ExitOnError::Open, ExitOnError::Hold});
    d.camera_stall_after = pick("camera_stall_after", asDuration, b.camera_stall_after);
    return d;
}

RelaySettings readRelay(const Ctx& ctx, const toml::table& laneTable, const std::string& lanePrefix,
                        const toml::source_region& laneWhere) {
    const std::string shownPrefix = lanePrefix + ".relay";
    const toml::table* t = subTable(ctx, laneTable, "relay", shownPrefix);
    if (!t) {
        fail(ctx, shownPrefix, laneWhere,
             "missing; every lane needs a [lane.relay] table with a driver (\"sim\", \"gpio\", "
             "\"modbus-tcp\", "
             "\"modbus-rtu\" or \"serial\")");
    }
    Section s(ctx, t, "lane.relay", shownPrefix, t->source());
    const std::string driverName = s.get("driver", asChoice);
    s.checkKeys(leavesOf("lane.relay", driverName), driverName);
    RelaySettings r;
    r.driver = enumFrom(driverName, {RelayDriver::Sim, RelayDriver::Gpio, RelayDriver::ModbusTcp,
                                     RelayDriver::ModbusRtu, RelayDriver::Serial});
    r.pulse = s.get("pulse", asDuration);
    r.max_hold = s.get("max_hold", asDuration);
    if (r.max_hold < r.pulse) {
        fail(ctx, s.shown("max_hold"), s.node("max_hold") ? s.node("max_hold")->source() : t->source(),
             fmt::format("must be at least relay.pulse ({})", formatDuration(r.pulse)));
    }
    // A driver's required keys are required only for that driver; defaults apply whatever the driver.
    auto req = [&](std::string_view leaf) { return acceptsDriver(s.doc(leaf), driverName); };
    if (req("file")) r.file = s.get("file", asPath);
    r.chip = s.get("chip", asString);
    if (req("line")) r.line = s.get("line", asInt);
    r.active_low = s.get("active_low", asBool);
    if (req("host")) r.host = s.get("host", asString);
    if (req("host") && r.host.empty())
        fail(ctx, s.shown("host"), s.node("host")->source(), "must not be empty");
    r.port = s.get("port", asInt);
    if (req("device")) r.device = s.get("device", asPath).string();
    r.baud = s.get("baud", asInt);
    r.parity = s.get("parity", asChoice);
    r.unit = s.get("unit", asInt);
    r.coil = s.get("coil", asInt);
    r.timeout = s.get("timeout", asDuration);
    r.channel = s.get("channel", asInt);
    return r;
}

std::optional<PresenceSettings> readPresence(const Ctx& ctx, const toml::table& laneTable,
                                             const std::string& lanePrefix) {
    const std::string shownPrefix = lanePrefix + ".presence";
    const toml::table* t = subTable(ctx, laneTable, "presence", shownPrefix);
    if (!t) return std::nullopt;
    Section s(ctx, t, "lane.presence", shownPrefix, t->source());
    const std::string driverName = s.get("driver", asChoice);
    s.checkKeys(leavesOf("lane.presence", driverName), driverName);
    PresenceSettings p;
    p.driver = enumFrom(driverName, {PresenceDriver::Sim, PresenceDriver::Gpio});
    if (p.driver == PresenceDriver::Sim) p.file = s.get("file", asPath);
    p.chip = s.get("chip", asString);
    if (p.driver == PresenceDriver::Gpio) p.line = s.get("line", asInt);
    p.active_low = s.get("active_low", asBool);
    return p;
}

std::optional<AnnouncerSettings> readAnnouncer(const Ctx& ctx, const toml::table& laneTable,
                                               const std::string& lanePrefix) {
    const std::string shownPrefix = lanePrefix + ".announcer";
    const toml::table* t = subTable(ctx, laneTable, "announcer", shownPrefix);
    if (!t) return std::nullopt;
    Section s(ctx, t, "lane.announcer", shownPrefix, t->source());
    const std::string driverName = s.get("driver", asChoice);
    s.checkKeys(leavesOf("lane.announcer", driverName), driverName);
    AnnouncerSettings a;
    a.driver = enumFrom(driverName, {AnnouncerDriver::Log, AnnouncerDriver::Tts});
    a.voice = s.get("voice", asString);
    if (a.driver == AnnouncerDriver::Tts && a.voice.empty()) {
        fail(ctx, s.shown("voice"), s.node("voice")->source(), "must not be empty (e.g. \"cmn\")");
    }
    return a;
}

std::vector<LaneSettings> readLanes(const Ctx& ctx, const toml::table& root, const LaneDefaults& defaults) {
    std::vector<LaneSettings> lanes;
    const toml::node* n = root.get("lane");
    if (!n) return lanes;
    const toml::array* arr = n->as_array();
    if (!arr || !arr->is_array_of_tables()) {
        fail(ctx, "lane", n->source(),
             fmt::format("expected [[lane]] tables (an array of tables), got {}; write each lane as [[lane]]",
                         typeName(*n)));
    }
    std::vector<std::string> allowed = leavesOf("lane");
    for (auto& l : leavesOf("lanes")) allowed.push_back(l);
    std::map<std::string, int> nameLines;

    int index = 0;
    for (const toml::node& laneNode : *arr) {
        ++index;
        const toml::table& t = *laneNode.as_table();
        // Name the lane in keys as soon as its name is known: "lane[entry-1].relay.pulse".
        std::string prefix = fmt::format("lane[#{}]", index);
        Section s(ctx, &t, "lane", prefix, t.source());
        LaneSettings lane;
        lane.name = s.get("name", asLaneName);
        prefix = fmt::format("lane[{}]", lane.name);
        s = Section(ctx, &t, "lane", prefix, t.source());
        if (auto [it, inserted] = nameLines.emplace(lane.name, s.node("name")->source().begin.line);
            !inserted) {
            fail(ctx, s.shown("name"), s.node("name")->source(),
                 fmt::format("{} is already the name of the lane at line {}; lane names must be unique",
                             inQuotes(lane.name), it->second));
        }
        s.checkKeys(allowed);
        lane.direction = enumFrom(s.get("direction", asChoice), {Direction::Entry, Direction::Exit});
        lane.plate_camera = s.get("plate_camera", asCamera);
        lane.card_camera = s.optional("card_camera", asCamera).value_or(lane.plate_camera);
        lane.camera_fps = s.optional("camera_fps", asNumber);
        lane.camera_loop = s.get("camera_loop", asBool);
        lane.roi = s.optional("roi", asRoi);
        lane.dry_run = s.get("dry_run", asBool);
        static_cast<LaneDefaults&>(lane) = readLaneLevel(s, &defaults);
        lane.relay = readRelay(ctx, t, prefix, t.source());
        lane.presence = readPresence(ctx, t, prefix);
        lane.announcer = readAnnouncer(ctx, t, prefix);
        if (lane.direction == Direction::Entry && lane.unread_plate == UnreadPlate::Presence &&
            !lane.presence) {
            const toml::node* where = s.node("unread_plate");
            fail(ctx, s.shown("unread_plate"), where ? where->source() : t.source(),
                 "\"presence\" needs a [lane.presence] table on this entry lane (or set unread_plate = "
                 "\"guard\")");
        }
        lanes.push_back(std::move(lane));
    }
    return lanes;
}

Settings parseSettings(const Ctx& ctx, const toml::table& root) {
    const std::vector<std::string> sections = {"site", "vouchers", "stay",  "database", "audit",
                                               "http", "control",  "lanes", "lane"};
    for (auto&& [key, value] : root) {
        const std::string_view k = key.str();
        if (std::ranges::find(sections, k) != sections.end()) continue;
        std::string hint;
        if (auto near = closest(k, sections); !near.empty()) {
            hint = fmt::format(" (did you mean [{}]?)", near);
        } else {
            for (const KeyDoc& d : keyTable()) {
                const std::string_view dk = d.key;
                if (dk.substr(dk.rfind('.') + 1) == k) {
                    hint = fmt::format(" ({} belongs in [{}])", k, dk.substr(0, dk.rfind('.')));
                    break;
                }
            }
        }
        fail(ctx, std::string(k), key.source(), fmt::format("unknown key{}", hint));
    }

    Settings out;
    {
        Section s = topSection(ctx, root, "site");
        out.site.name = s.get("name", asString);
        out.site.timezone = s.get("timezone", asTimeZone);
    }
    {
        Section s = topSection(ctx, root, "vouchers");
        out.vouchers.per_month = s.get("per_month", asInt);
        out.vouchers.eligible_categories = s.get("eligible_categories", asStringList);
        out.vouchers.grace_days = s.get("grace_days", asInt);
        out.vouchers.key_file = s.get("key_file", asPath);
    }
    {
        Section s = topSection(ctx, root, "stay");
        out.stay.max = s.get("max", asDuration);
        out.stay.grace = s.get("grace", asDuration);
        out.stay.overstay_exit =
            enumFrom(s.get("overstay_exit", asChoice), {OverstayExit::Open, OverstayExit::Hold});
        out.stay.overstay_fee_per_hour = s.get("overstay_fee_per_hour", asNumber);
        out.stay.sweep_every = s.get("sweep_every", asDuration);
    }
    {
        Section s = topSection(ctx, root, "database");
        out.database.path = s.get("path", asPath);
        out.database.retention_days = s.get("retention_days", asInt);
        out.database.busy_timeout = s.get("busy_timeout", asDuration);
        out.database.spool_path = s.get("spool_path", asPath);
    }
    out.audit.key_file = topSection(ctx, root, "audit").get("key_file", asPath);
    out.http.listen = topSection(ctx, root, "http").get("listen", asListen);
    out.control.socket = topSection(ctx, root, "control").get("socket", asPath);
    out.lanes = readLaneLevel(topSection(ctx, root, "lanes"), nullptr);
    out.lane = readLanes(ctx, root, out.lanes);
    return out;
}

std::expected<Settings, ConfigError> parse(std::string_view text, const Ctx& ctx) {
    try {
        toml::table root = toml::parse(text, ctx.file);
        return parseSettings(ctx, root);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        return std::unexpected(ConfigError{std::string(e.description()), "", static_cast<int>(where.line),
                                           static_cast<int>(where.column), ctx.file});
    } catch (const Failure& f) {
        return std::unexpected(f.error);
    }
}

}  // namespace

std::expected<Settings, ConfigError> loadFromString(std::string_view toml, std::string_view source_name) {
    return parse(toml, Ctx{std::string(source_name), {}});
}

std::expected<Settings, ConfigError> load(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::error_code ec;
    if (!in || std::filesystem::is_directory(path, ec)) {
        const bool exists = std::filesystem::exists(path, ec);
        return std::unexpected(ConfigError{exists ? "cannot read the file (check its permissions)"
                                                  : "no such file (give the path with --config, or copy "
                                                    "config/voucher-gate.example.toml there)",
                                           "", 0, 0, path.string()});
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::filesystem::path base = path.parent_path();
    if (base.empty()) base = ".";
    return parse(text.str(), Ctx{path.string(), std::filesystem::absolute(base, ec)});
}

Settings defaults() {
    auto s = loadFromString("", "defaults");
    if (!s) throw std::logic_error("the config key table's defaults do not load: " + s.error().str());
    return *s;
}

std::vector<std::string> restartRequiredChanges(const Settings& old, const Settings& next) {
    std::vector<std::string> out;
    auto check = [&](bool changed, std::string_view key) {
        if (changed) out.emplace_back(key);
    };
    check(old.vouchers.key_file != next.vouchers.key_file, "vouchers.key_file");
    check(old.database.path != next.database.path, "database.path");
    check(old.database.busy_timeout != next.database.busy_timeout, "database.busy_timeout");
    check(old.database.spool_path != next.database.spool_path, "database.spool_path");
    check(old.audit.key_file != next.audit.key_file, "audit.key_file");
    check(old.http.listen != next.http.listen, "http.listen");
    check(old.control.socket != next.control.socket, "control.socket");
    check(old.site.timezone != next.site.timezone, "site.timezone");
    check(old.lanes.camera_stall_after != next.lanes.camera_stall_after, "lanes.camera_stall_after");
    // Lanes: timing, rules, dry_run and the relay pulse apply live; the devices (cameras, relay, presence,
    // announcer) and the set of lanes stay as they started until a restart.
    auto find = [](const Settings& s, const std::string& name) -> const LaneSettings* {
        for (const auto& l : s.lane) {
            if (l.name == name) return &l;
        }
        return nullptr;
    };
    for (const auto& l : next.lane) {
        const auto* o = find(old, l.name);
        if (o == nullptr) {
            out.push_back("lane[" + l.name + "] (added)");
            continue;
        }
        const std::string name = "lane[" + l.name + "]";
        check(o->direction != l.direction, name + ".direction");
        check(o->plate_camera != l.plate_camera || o->card_camera != l.card_camera ||
                  o->camera_fps != l.camera_fps || o->camera_loop != l.camera_loop || o->roi != l.roi ||
                  (o->camera_stall_after != l.camera_stall_after &&
                   old.lanes.camera_stall_after == next.lanes.camera_stall_after),
              name + " cameras");
        RelaySettings a = o->relay;
        RelaySettings b = l.relay;
        a.pulse = b.pulse;
        check(a != b, name + ".relay");
        check(o->presence != l.presence, name + ".presence");
        check(o->announcer != l.announcer, name + ".announcer");
    }
    for (const auto& l : old.lane) {
        if (find(next, l.name) == nullptr) out.push_back("lane[" + l.name + "] (removed)");
    }
    return out;
}

}  // namespace vg::config
