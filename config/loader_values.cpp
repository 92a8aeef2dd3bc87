// The value converters: each reads one key's TOML node as its type (string, boolean, integer, number,
// duration, choice, path, string list, time zone, listen address, camera source, roi, lane name), checks it
// against the key's range, and fails naming the key and the line when it does not fit. Relative paths are
// resolved against the config file's folder.
#include <date/tz.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <regex>
#include <system_error>

#include "config/loader_internal.h"

namespace vg::config::loader_detail {

namespace {

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

[[noreturn]] void wrongType(const Section& s, const toml::node& n, const std::string& key, std::string_view want) {
    fail(s.ctx(), key, n.source(), fmt::format("expected {}, got {}", want, typeName(n)));
}

std::filesystem::path resolve(const Ctx& ctx, const std::filesystem::path& p) {
    if (p.is_absolute() || ctx.base.empty()) return p;
    return (ctx.base / p).lexically_normal();
}

bool isVideoFile(const std::filesystem::path& p) {
    std::string ext = p.extension().string();
    std::ranges::transform(ext, ext.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static constexpr std::string_view kExt[] = {".mp4",  ".mkv", ".avi",   ".mov",  ".webm", ".m4v", ".mpg",
                                                ".mpeg", ".ts",  ".mjpeg", ".mjpg", ".h264", ".h265"};
    return std::ranges::find(kExt, ext) != std::end(kExt);
}

}  // namespace

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

std::filesystem::path asPath(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key) {
    std::string v = asString(s, n, k, key);
    if (v.empty()) fail(s.ctx(), key, n.source(), "must not be empty (give a file path)");
    return resolve(s.ctx(), v);
}

std::vector<std::string> asStringList(const Section& s, const toml::node& n, const KeyDoc&, const std::string& key) {
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

std::string asPattern(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key) {
    std::string v = asString(s, n, k, key);
    if (v.empty()) fail(s.ctx(), key, n.source(), "must not be empty (give a regular expression)");
    try {
        const std::regex compiled(v, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
        fail(s.ctx(), key, n.source(),
             fmt::format("{} is not a regular expression (ECMAScript): {}", inQuotes(v), e.what()));
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

std::string asCamera(const Section& s, const toml::node& n, const KeyDoc& k, const std::string& key) {
    std::string v = asString(s, n, k, key);
    const std::string_view sv = v;
    auto digitsOnly = [](std::string_view d) {
        return !d.empty() && std::ranges::all_of(d, [](char c) { return c >= '0' && c <= '9'; });
    };
    for (std::string_view scheme : {"rtsp://", "rtsps://", "http://", "https://"}) {
        if (sv.starts_with(scheme)) {
            if (sv.size() == scheme.size()) fail(s.ctx(), key, n.source(), fmt::format("{} has no host", inQuotes(v)));
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
             fmt::format("{} is not a camera device: use /dev/videoN or a link under /dev/v4l/by-id/", inQuotes(v)));
    }
    if (sv.find("://") != std::string_view::npos) {
        fail(s.ctx(), key, n.source(),
             fmt::format("{}: unsupported URL scheme (use rtsp://, rtsps://, http:// or https://)", inQuotes(v)));
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
             fmt::format("{} is not a valid lane name: 1-64 bytes, no spaces, '/' or control characters", inQuotes(v)));
    }
    return v;
}

}  // namespace vg::config::loader_detail
