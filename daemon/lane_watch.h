// Whether the lanes' threads are alive, for systemd's watchdog, LANE_STALLED, /healthz and stop()'s wait.
// A lane's thread beats its LaneHeartbeat on every tick; the main thread asks how long it has been since. The
// clock is injected (the daemon's steady FrameClock; tests use a manual one). beat() and stalled() from any
// thread: the last beat is one atomic, so a lane never waits for the main thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "daemon/notifier.h"
#include "vision/frame_source.h"

namespace vg::daemon {

class LaneHeartbeat {
  public:
    explicit LaneHeartbeat(const vision::FrameClock& clock) : clock_(&clock) { beat(); }
    void beat() { last_ns_ = clock_->now().time_since_epoch().count(); }
    // True when the lane has not beaten for longer than `limit`.
    bool stalled(std::chrono::milliseconds limit) const;

  private:
    const vision::FrameClock* clock_;
    std::atomic<std::int64_t> last_ns_{0};  // the clock's steady time of the last beat
};

// How long a lane may go without a beat before it counts as stalled: WatchdogSec/2 (so a stalled lane is seen
// before systemd gives up on the pets), or 10 s without a watchdog.
std::chrono::milliseconds stallLimit(std::optional<std::chrono::microseconds> watchdog_interval);

struct WatchedLane {
    std::string name;
    const LaneHeartbeat* heartbeat;
};

// One watchdog round: pets systemd (WATCHDOG=1) only when every lane has beaten within `limit`, and returns the
// lanes that have not (the caller logs LANE_STALLED for each). A hung lane thread therefore stops the pets, and
// systemd restarts the service.
std::vector<std::string> petWatchdogIfAlive(Notifier& notifier, std::span<const WatchedLane> lanes,
                                            std::chrono::milliseconds limit);

}  // namespace vg::daemon
