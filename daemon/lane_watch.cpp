#include "daemon/lane_watch.h"

namespace vg::daemon {

bool LaneHeartbeat::stalled(std::chrono::milliseconds limit) const {
    const auto idle = clock_->now().time_since_epoch() - vision::SteadyTime::duration(last_ns_.load());
    return idle > limit;
}

std::chrono::milliseconds stallLimit(std::optional<std::chrono::microseconds> watchdog_interval) {
    if (watchdog_interval) return std::chrono::duration_cast<std::chrono::milliseconds>(*watchdog_interval / 2);
    return std::chrono::seconds(10);
}

std::vector<std::string> petWatchdogIfAlive(Notifier& notifier, std::span<const WatchedLane> lanes,
                                            std::chrono::milliseconds limit) {
    std::vector<std::string> stalled;
    for (const WatchedLane& lane : lanes) {
        if (lane.heartbeat->stalled(limit)) stalled.push_back(lane.name);
    }
    if (stalled.empty()) notifier.notify("WATCHDOG=1");
    return stalled;
}

}  // namespace vg::daemon
