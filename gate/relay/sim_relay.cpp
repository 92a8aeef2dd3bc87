#include "gate/relay/sim_relay.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace vg::relay {

std::string isoUtcText(WallTime t) {
    using namespace std::chrono;
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss hms{t - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                       hms.minutes().count(), hms.seconds().count(), hms.subseconds().count());
}

SimRelay::SimRelay(boost::asio::any_io_executor executor, const RelayOptions& options, NowFn now)
    : Relay(std::move(executor), options.lane, options.max_hold, std::move(now)), file_(options.file) {}

std::expected<bool, RelayError> SimRelay::pulseTimed(Duration duration, std::string_view tag) {
    if (auto r = append("pulse", duration, tag); !r) return std::unexpected(r.error());
    return true;
}

RelayResult SimRelay::set(bool on, Action action, Duration duration, std::string_view tag) {
    // A sim pulse is timed by the "device" (pulseTimed); set() only sees holds and releases.
    if (on && action == Action::Pulse) return append("pulse", duration, tag);
    return append(name(action), duration, tag);
}

RelayResult SimRelay::append(std::string_view action, Duration duration, std::string_view tag) {
    nlohmann::json line{{"time", isoUtcText(now())},
                        {"lane", lane()},
                        {"action", action},
                        {"duration_ms", duration.count()},
                        {"decision", tag}};
    const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    const int fd = ::open(file_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return std::unexpected(
            RelayError{"sim", fmt::format("cannot open {}: {}", file_.string(), std::strerror(errno))});
    }
    const ssize_t n = ::write(fd, text.data(), text.size());
    const int write_errno = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(text.size())) {
        return std::unexpected(RelayError{"sim", fmt::format("cannot write {}: {}", file_.string(),
                                                             n < 0 ? std::strerror(write_errno) : "short write")});
    }
    return {};
}

}  // namespace vg::relay
