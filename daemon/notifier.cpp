#include "daemon/notifier.h"

#include <systemd/sd-daemon.h>

#include <string>

namespace vg::daemon {

void SystemdNotifier::notify(std::string_view assignments) {
    const std::string text(assignments);
    (void)sd_notify(0, text.c_str());
}

std::optional<std::chrono::microseconds> SystemdNotifier::watchdogInterval() const {
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) return std::chrono::microseconds(usec);
    return std::nullopt;
}

}  // namespace vg::daemon
