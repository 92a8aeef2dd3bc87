// The lane runner: each lane's thread and loop, posting work to it (the status snapshot refreshed after each
// call), the 100 ms tick that is also the lane's heartbeat, the stall limit that the watchdog, /healthz and
// stop() go by, and stop() itself, which releases every lane's output at once and leaves behind a lane that
// does not.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <future>

#include "daemon/app.h"
#include "daemon/logging.h"

namespace vg::daemon {

using namespace std::chrono_literals;

void App::stopLaneThreads() {
    for (auto& unit : lanes_) {
        unit->work.reset();
        unit->io.stop();
    }
    for (auto& unit : lanes_) {
        if (unit->abandoned && unit->thread.joinable()) {
            // Still inside a driver call that does not return: its thread cannot be joined, and what it uses
            // must outlive it, so the lane is left to the process's exit (run() returns, main exits at once).
            unit->thread.detach();
            (void)unit.release();
        } else if (unit->thread.joinable()) {
            unit->thread.join();
        }
    }
    std::erase(lanes_, nullptr);
}

std::chrono::milliseconds App::stallLimit() const { return daemon::stallLimit(notifier_.watchdogInterval()); }

bool App::stalled(const LaneUnit& unit) const { return unit.heartbeat->stalled(stallLimit()); }

void App::snapshot(LaneUnit& unit) {
    LaneStatus s = unit.lane->status();
    std::lock_guard lock(unit.status_mutex);
    unit.status = std::move(s);
}

LaneStatus App::statusOf(const LaneUnit& unit) const {
    std::lock_guard lock(unit.status_mutex);
    return unit.status;
}

void App::postToLane(LaneUnit& unit, std::function<void()> f) {
    boost::asio::post(unit.io, [this, &unit, f = std::move(f)] {
        f();
        snapshot(unit);
    });
}

void App::tickLoop() {
    tick_timer_.expires_after(100ms);
    tick_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        for (auto& unit : lanes_) {
            postToLane(*unit, [u = unit.get()] {
                u->lane->tick();
                u->heartbeat->beat();
            });
        }
        tickLoop();
    });
}

void App::watchdogLoop(std::chrono::microseconds every) {
    // Petted by the main loop itself, and only while every lane's thread has ticked within half of
    // WatchdogSec (every = WatchdogSec/4): if a handler or a driver call hangs, the pets stop and systemd
    // restarts the service.
    std::vector<WatchedLane> watched;
    for (const auto& unit : lanes_) watched.push_back({unit->settings.name, unit->heartbeat.get()});
    for (const std::string& lane : petWatchdogIfAlive(notifier_, watched, stallLimit())) {
        spdlog::error("LANE_STALLED {}",
                      dumpJson({{"lane", lane}, {"note", "no watchdog pet until its thread ticks again"}}));
    }
    watchdog_timer_.expires_after(every);
    watchdog_timer_.async_wait([this, every](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        watchdogLoop(every);
    });
}

void App::stop() {
    if (stopping_) return;
    stopping_ = true;
    notifier_.notify("STOPPING=1");
    spdlog::info("STOPPING {}", dumpJson({{"note", "no new decisions; releasing every output"}}));
    // Each lane stops and releases its output on its own thread, all lanes at once, after the decision in
    // flight there (if any) has finished: a lane whose driver hangs holds back neither another lane's release
    // nor the exit. The wait is as long as a stalled lane may take while running (LANE_STALLED), and within
    // systemd's stop timeout.
    const auto deadline = frame_clock_.now() + stallLimit();
    std::vector<std::future<relay::RelayResult>> released;
    for (auto& unit : lanes_) {
        auto done = std::make_shared<std::promise<relay::RelayResult>>();
        released.push_back(done->get_future());
        postToLane(*unit, [u = unit.get(), done] {
            u->lane->stop();
            done->set_value(u->relay->release("stop"));
        });
    }
    for (auto& unit : lanes_) {
        for (auto& c : unit->cameras) c->stop();
    }
    for (std::size_t i = 0; i < lanes_.size(); ++i) {
        LaneUnit& unit = *lanes_[i];
        if (released[i].wait_until(deadline) == std::future_status::timeout) {
            recordFault("RELAY_FAULT", {{"lane", unit.settings.name},
                                        {"driver", unit.relay->driver()},
                                        {"error", fmt::format("the lane did not stop and release its output within {} "
                                                              "ms; exiting without it: check that output",
                                                              stallLimit().count())},
                                        {"during", "stop"}});
            unit.abandoned = true;
            abandoned_lanes_ = true;
            exit_code_ = 1;
            continue;
        }
        const auto r = released[i].get();
        if (!r) {
            recordFault("RELAY_FAULT", {{"lane", unit.settings.name},
                                        {"driver", r.error().driver},
                                        {"error", r.error().message},
                                        {"during", "stop"}});
            exit_code_ = 1;
        }
    }
    stopLaneThreads();
    control_->close();
    http_->close();
    boost::system::error_code ec;
    signals_.cancel(ec);
    tick_timer_.cancel();
    sweep_timer_.cancel();
    watchdog_timer_.cancel();
    status_timer_.cancel();
    io_.stop();
}

}  // namespace vg::daemon
