// Time in the gate domain: instants are UTC (TimePoint, millisecond resolution); months, reports and messages
// use the site's zone (SiteZone, backed by the tz database of libhowardhinnant-date). All functions are pure
// and thread-safe; SiteZone is an immutable value that is cheap to copy.
#pragma once

#include <chrono>
#include <compare>
#include <expected>
#include <optional>
#include <string>
#include <string_view>

namespace date {
class time_zone;
}

namespace vg::gate {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;
using Duration = std::chrono::milliseconds;

// A calendar month, e.g. 2026-11. index() counts months since 2000-01 (the token's 16-bit month field).
struct YearMonth {
    int year = 2000;
    int month = 1;  // 1..12

    auto operator<=>(const YearMonth&) const = default;
    bool operator==(const YearMonth&) const = default;

    int index() const { return (year - 2000) * 12 + (month - 1); }
    static YearMonth fromIndex(int index) { return {2000 + index / 12, index % 12 + 1}; }
    YearMonth next() const { return fromIndex(index() + 1); }
    // "YYYY-MM"; rejects anything else (month 1..12, year 2000..7000).
    static std::optional<YearMonth> parse(std::string_view text);
    std::string str() const;  // "YYYY-MM"
};

// The site's time zone. Construct through make(); an unknown zone name is an error value.
class SiteZone {
  public:
    static std::expected<SiteZone, std::string> make(std::string_view tz_name);

    const std::string& name() const { return name_; }
    YearMonth monthOf(TimePoint t) const;
    TimePoint monthStart(YearMonth m) const;  // local midnight of the 1st, as UTC
    TimePoint monthEnd(YearMonth m) const { return monthStart(m.next()); }
    // Local wall-clock text: "2026-11-20 18:30" (format "%Y-%m-%d %H:%M") or any strftime-like date format.
    std::string formatLocal(TimePoint t, const char* format = "%Y-%m-%d %H:%M") const;
    // ISO 8601 with the local offset, e.g. "2026-11-20T18:30:00+08:00".
    std::string isoLocal(TimePoint t) const;
    // Parses "2026-11-20T10:00:00", "2026-11-20T10:00", "2026-11-20 10:00:00" (local time of the site) or with an
    // explicit offset / Z ("2026-11-20T10:00:00+08:00", "...Z"), or a bare date "2026-11-20" (local midnight).
    std::expected<TimePoint, std::string> parse(std::string_view text) const;

  private:
    explicit SiteZone(const date::time_zone* zone, std::string name) : zone_(zone), name_(std::move(name)) {}
    const date::time_zone* zone_ = nullptr;
    std::string name_;
};

// UTC text as stored in the ledger: "2026-11-20T02:00:00.000Z" (fixed width, sorts as it orders).
std::string isoUtc(TimePoint t);
std::expected<TimePoint, std::string> parseIsoUtc(std::string_view text);

// Where "now" comes from. Everything with a deadline takes one; tests use a manual clock.
class Clock {
  public:
    virtual ~Clock() = default;
    virtual TimePoint now() const = 0;
};

class SystemClock final : public Clock {
  public:
    TimePoint now() const override { return std::chrono::time_point_cast<Duration>(std::chrono::system_clock::now()); }
};

}  // namespace vg::gate
