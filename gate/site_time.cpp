#include "gate/site_time.h"

#include <date/date.h>
#include <date/tz.h>
#include <fmt/format.h>

#include <charconv>
#include <exception>

namespace vg::gate {
namespace {

using std::chrono::days;
using std::chrono::floor;
using std::chrono::minutes;
using std::chrono::seconds;

// Reads exactly `width` ASCII digits at `pos`; nullopt for anything else (no sign, no spaces).
std::optional<int> digits(std::string_view text, std::size_t pos, std::size_t width) {
    if (pos + width > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + width; ++i) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

bool isSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string_view trim(std::string_view s) {
    while (!s.empty() && isSpace(s.front())) s.remove_prefix(1);
    while (!s.empty() && isSpace(s.back())) s.remove_suffix(1);
    return s;
}

struct CivilTime {
    date::year_month_day day;
    Duration time_of_day{};
};

// "YYYY-MM-DD", then optionally [T or space]HH:MM[:SS[.fraction]]. Returns the civil time and how much of
// `text` it consumed; nullopt when the text does not start with a valid date (and time, if present).
std::optional<std::pair<CivilTime, std::size_t>> parseCivil(std::string_view text) {
    const auto y = digits(text, 0, 4);
    const auto mo = digits(text, 5, 2);
    const auto d = digits(text, 8, 2);
    if (!y || !mo || !d || text[4] != '-' || text[7] != '-') return std::nullopt;
    const date::year_month_day ymd{date::year{*y}, date::month{static_cast<unsigned>(*mo)},
                                   date::day{static_cast<unsigned>(*d)}};
    if (!ymd.ok() || *y < 1970) return std::nullopt;
    CivilTime civil{ymd, Duration{0}};
    std::size_t pos = 10;
    if (pos == text.size() || (text[pos] != 'T' && text[pos] != ' ')) return std::pair{civil, pos};

    const auto h = digits(text, pos + 1, 2);
    const auto mi = digits(text, pos + 4, 2);
    if (!h || !mi || text[pos + 3] != ':' || *h > 23 || *mi > 59) return std::nullopt;
    civil.time_of_day = std::chrono::hours{*h} + minutes{*mi};
    pos += 6;
    if (pos < text.size() && text[pos] == ':') {
        const auto s = digits(text, pos + 1, 2);
        if (!s || *s > 59) return std::nullopt;
        civil.time_of_day += seconds{*s};
        pos += 3;
        if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
            ++pos;
            std::size_t n = 0;
            int millis = 0;
            while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
                if (n < 3) millis = millis * 10 + (text[pos] - '0');
                ++n;
                ++pos;
            }
            if (n == 0 || n > 9) return std::nullopt;
            for (std::size_t k = n; k < 3; ++k) millis *= 10;
            civil.time_of_day += Duration{millis};
        }
    }
    return std::pair{civil, pos};
}

// "Z", "+HH:MM", "+HHMM", "+HH" (or '-'); nullopt when malformed or beyond ±14:00.
std::optional<minutes> parseOffset(std::string_view text) {
    if (text == "Z" || text == "z") return minutes{0};
    if (text.size() < 3 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
    const auto h = digits(text, 1, 2);
    std::optional<int> m = 0;
    if (text.size() == 6 && text[3] == ':') {
        m = digits(text, 4, 2);
    } else if (text.size() == 5) {
        m = digits(text, 3, 2);
    } else if (text.size() != 3) {
        return std::nullopt;
    }
    if (!h || !m || *m > 59 || *h * 60 + *m > 14 * 60) return std::nullopt;
    const minutes offset{*h * 60 + *m};
    return text[0] == '-' ? -offset : offset;
}

}  // namespace

std::optional<YearMonth> YearMonth::parse(std::string_view text) {
    if (text.size() != 7 || text[4] != '-') return std::nullopt;
    const auto y = digits(text, 0, 4);
    const auto m = digits(text, 5, 2);
    if (!y || !m || *y < 2000 || *y > 7000 || *m < 1 || *m > 12) return std::nullopt;
    return YearMonth{*y, *m};
}

std::string YearMonth::str() const { return fmt::format("{:04}-{:02}", year, month); }

std::expected<SiteZone, std::string> SiteZone::make(std::string_view tz_name) {
    const std::string name(trim(tz_name));
    if (name.empty())
        return std::unexpected(std::string("no time zone given (expected an IANA name such as Asia/Shanghai)"));
    try {
        // Debian's date-tz is built with USE_OS_TZDB=1: zones come from /usr/share/zoneinfo (package tzdata),
        // nothing is ever downloaded.
        return SiteZone(date::locate_zone(name), name);
    } catch (const std::exception&) {
        return std::unexpected("unknown time zone '" + name +
                               "' (expected an IANA name such as Asia/Shanghai, as listed under /usr/share/zoneinfo; "
                               "is the tzdata package installed?)");
    }
}

YearMonth SiteZone::monthOf(TimePoint t) const {
    const auto local = zone_->to_local(t);
    const date::year_month_day ymd{floor<days>(local)};
    return {static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month()))};
}

TimePoint SiteZone::monthStart(YearMonth m) const {
    const date::local_days first{date::year{m.year} / date::month{static_cast<unsigned>(m.month)} / 1};
    // choose::earliest: where midnight is skipped by a DST change the month starts at the transition instant.
    return std::chrono::time_point_cast<Duration>(
        zone_->to_sys(date::local_time<Duration>{first}, date::choose::earliest));
}

std::string SiteZone::formatLocal(TimePoint t, const char* format) const {
    if (format == nullptr) return {};
    const date::zoned_time<seconds> zt{zone_, floor<seconds>(t)};
    return date::format(format, zt);
}

std::string SiteZone::isoLocal(TimePoint t) const {
    const auto secs = floor<seconds>(t);
    const auto offset = floor<minutes>(zone_->get_info(secs).offset);
    const auto local = date::local_seconds{secs.time_since_epoch() + offset};
    const auto abs = offset < minutes{0} ? -offset : offset;
    return date::format("%Y-%m-%dT%H:%M:%S", local) +
           fmt::format("{}{:02}:{:02}", offset < minutes{0} ? '-' : '+', abs.count() / 60, abs.count() % 60);
}

std::expected<TimePoint, std::string> SiteZone::parse(std::string_view input) const {
    const std::string_view text = trim(input);
    auto bad = [&](std::string_view why) {
        return std::unexpected(fmt::format(
            "'{}' is not a time{}: expected site local time ({}) like 2026-11-20T10:00:00, 2026-11-20T10:00 "
            "or "
            "2026-11-20 10:00, a time with an explicit offset like 2026-11-20T10:00:00+08:00 or "
            "2026-11-20T02:00:00Z, or a bare date like 2026-11-20 (local midnight)",
            text.size() > 60 ? std::string(text.substr(0, 60)) + "..." : std::string(text), why, name_));
    };
    const auto civil = parseCivil(text);
    if (!civil) return bad("");
    const auto [ct, used] = *civil;
    const std::string_view rest = text.substr(used);
    const date::local_time<Duration> local{date::local_days{ct.day}.time_since_epoch() + ct.time_of_day};
    if (!rest.empty()) {
        if (used == 10) return bad(" (an offset needs a time of day)");
        const auto offset = parseOffset(rest);
        if (!offset) return bad(" (the offset must be Z, +HH:MM or -HH:MM)");
        return TimePoint{local.time_since_epoch() - *offset};
    }
    const auto info = zone_->get_info(local);
    if (info.result == date::local_info::nonexistent) {
        return std::unexpected(fmt::format("'{}' does not exist in {} (the clocks skip it); give an explicit offset",
                                           std::string(text), name_));
    }
    if (info.result == date::local_info::ambiguous) {
        return std::unexpected(fmt::format("'{}' happens twice in {} (the clocks go back); give an explicit offset",
                                           std::string(text), name_));
    }
    return TimePoint{local.time_since_epoch() - std::chrono::duration_cast<Duration>(info.first.offset)};
}

std::string isoUtc(TimePoint t) {
    const auto day = floor<days>(t);
    const date::year_month_day ymd{day};
    const date::hh_mm_ss<Duration> tod{t - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), tod.hours().count(),
                       tod.minutes().count(), tod.seconds().count(), tod.subseconds().count());
}

std::expected<TimePoint, std::string> parseIsoUtc(std::string_view text) {
    auto bad = [&] {
        return std::unexpected(
            fmt::format("'{}' is not a stored UTC time (expected YYYY-MM-DDTHH:MM:SS.mmmZ)",
                        text.size() > 60 ? std::string(text.substr(0, 60)) + "..." : std::string(text)));
    };
    if (text.size() != 24 || text[10] != 'T' || text[19] != '.' || text[23] != 'Z') return bad();
    const auto civil = parseCivil(text.substr(0, 23));
    if (!civil || civil->second != 23) return bad();
    const auto& ct = civil->first;
    return TimePoint{date::sys_days{ct.day}.time_since_epoch() + ct.time_of_day};
}

}  // namespace vg::gate
