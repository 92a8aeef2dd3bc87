// How settings values are spelled in text: the enums' names in voucher-gate.toml (settings.h), durations
// ("1h30m", parseDuration() and formatDuration()) and a ConfigError as one line (ConfigError::str()).
#include <fmt/format.h>

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "config/config_loader.h"
#include "config/settings.h"

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

}  // namespace vg::config
