// systemd's notify protocol behind a small seam: READY, RELOADING, STOPPING, STATUS and WATCHDOG pets.
// SystemdNotifier calls sd_notify (a no-op outside systemd). The App pets the watchdog from its own event loop
// at a quarter of WatchdogSec, so a hung loop stops the pets and systemd restarts the service.
// Any thread; nothing throws.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace vg::daemon {

class Notifier {
  public:
    virtual ~Notifier() = default;
    virtual void notify(std::string_view assignments) = 0;  // e.g. "READY=1\nSTATUS=..."
    // The watchdog interval systemd expects pets within (WatchdogSec), or nullopt when it is off.
    virtual std::optional<std::chrono::microseconds> watchdogInterval() const = 0;
};

class SystemdNotifier final : public Notifier {
  public:
    void notify(std::string_view assignments) override;
    std::optional<std::chrono::microseconds> watchdogInterval() const override;
};

}  // namespace vg::daemon
