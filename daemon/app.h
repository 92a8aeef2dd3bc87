// The composition root of voucher-gated. App owns the main boost::asio::io_context (signals, timers, the overstay
// sweep, HTTP and the control socket, on the thread that calls run()), the clock, a Ledger connection of its own,
// and per lane a LaneUnit: the lane's own io_context and thread, its own Ledger connection, its relay, presence
// input, announcer, cameras and pass state machine. A lane's decisions, relay calls and announcements run on its
// thread only, so a ledger locked by another process (up to busy_timeout) or a relay module that does not answer
// (up to its timeouts) holds back that lane alone, never the other lanes, the sweep or the guard's status view.
// Camera workers run on their own threads and only post observations to their lane's loop. The main thread talks
// to a lane only by posting to its loop (a guard's command is answered when the lane has run it; the main thread
// does not wait for that); it reads a lane's state from a snapshot the lane's thread refreshes after every call. The
// connections are separate: SQLite serialises their writes, exactly as it does for the CLI beside the daemon (the
// spool is flock-ed, the audit chain read in the write transaction).
//
// Signals: SIGHUP reloads (parse into a scratch Settings, apply only on success, log what needs a restart);
// SIGTERM/SIGINT stop: no new decisions, the one in flight finishes (each lane's stop waits for it on the lane's
// thread), cameras stop, every lane releases its output on its own thread, all at once, run() returns 0. A lane
// that has not released within WatchdogSec/2 (10 s without a watchdog) is logged RELAY_FAULT and left behind, and
// run() returns 1. The watchdog is petted only while every
// lane's thread keeps ticking: a lane stuck in a driver call for half of WatchdogSec gets the service restarted.
// The constructor throws std::runtime_error on a start-up failure (database, keys, devices, sockets);
// nothing after start-up throws out of a handler.
#pragma once

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "config/settings.h"
#include "daemon/announcer.h"
#include "daemon/camera_feed.h"
#include "daemon/control_server.h"
#include "daemon/decider.h"
#include "daemon/evidence_writer.h"
#include "daemon/http_server.h"
#include "daemon/lane.h"
#include "daemon/lane_watch.h"
#include "daemon/metrics.h"
#include "daemon/notifier.h"
#include "gate/ledger.h"
#include "gate/relay/presence_input.h"
#include "gate/relay/relay.h"
#include "vision/frame_source.h"

namespace vg::daemon {

// A start-up failure that restarting cannot cure: no ledger made by `voucher-gate init` at database.path (missing,
// empty, never initialised), or no keys. main() exits with kExitNotInitialised, which the unit does not restart.
struct NotInitialisedError : std::runtime_error {
    using std::runtime_error::runtime_error;
};
inline constexpr int kExitNotInitialised = 78;  // EX_CONFIG (sysexits.h); RestartPreventExitStatus= in the unit

// What the daemon needs beyond the loader's checks: at least one lane and relay drivers this build has.
// Returns "" when the settings are usable, otherwise the problem naming the key.
std::string checkDaemonSettings(const config::Settings& s);

// Config -> the lane's options (the rules part: options::ruleSettingsFor, shared with the CLI).
LaneOptions laneOptionsFor(const config::Settings& s, const config::LaneSettings& lane);

// What the App takes from the composition root (main.cpp): its clocks and systemd's notifier. They outlive the App.
struct AppServices {
    gate::Clock& clock;               // decisions, records, the status page
    vision::FrameClock& frame_clock;  // frames, lane heartbeats, stop()'s deadline (steady)
    Notifier& notifier;
    std::filesystem::path model_dir = {};  // the plate models; empty = where the build or installation put them
};

class App {
  public:
    App(std::filesystem::path config_path, config::Settings settings, AppServices services);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    int run();  // until SIGTERM/SIGINT; returns the exit code
    // A lane whose stop and release did not finish within stopBound() was left running a driver call: the caller
    // must end the process at once after run() (std::_Exit), without destructors.
    bool abandonedLanes() const { return abandoned_lanes_; }

  private:
    struct LaneUnit {
        LaneUnit() : work(boost::asio::make_work_guard(io)) {}
        config::LaneSettings settings;  // as set up (main thread); the lane holds its live options
        boost::asio::io_context io;     // the lane's loop, run by `thread`
        boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work;
        std::unique_ptr<gate::Ledger> ledger;  // the lane's own connection
        std::unique_ptr<LedgerDecider> decider;
        std::unique_ptr<relay::Relay> relay;
        std::unique_ptr<relay::PresenceInput> presence;
        std::unique_ptr<Announcer> announcer;
        std::unique_ptr<Lane> lane;
        std::vector<std::unique_ptr<CameraFeed>> cameras;
        mutable std::mutex status_mutex;
        LaneStatus status;                         // snapshot for the main thread
        std::unique_ptr<LaneHeartbeat> heartbeat;  // beaten by the lane's thread on every tick
        std::thread thread;
        bool abandoned = false;  // main thread: stop() gave up waiting for this lane's release
    };

    // Runs f on the lane's thread, then refreshes the lane's status snapshot.
    void postToLane(LaneUnit& unit, std::function<void()> f);
    void snapshot(LaneUnit& unit);
    LaneStatus statusOf(const LaneUnit& unit) const;
    void stopLaneThreads();
    // How long a lane may go without ticking before it counts as stalled (LANE_STALLED, no watchdog pet, /healthz
    // 503, and stop()'s wait for its release): WatchdogSec/2, or 10 s without a watchdog.
    std::chrono::milliseconds stallLimit() const;
    bool stalled(const LaneUnit& unit) const;
    std::unique_ptr<gate::Ledger> openLedger() const;  // a new connection, keys loaded from their files

    void setupLane(const config::LaneSettings& ls);
    void startTimers();
    void tickLoop();
    void sweepLoop();
    void watchdogLoop(std::chrono::microseconds every);
    void waitSignals();
    void reload();
    void stop();
    void sweep();
    void publishStatus();
    std::string statusLine() const;
    void control(const nlohmann::json& request, const ControlServer::Reply& reply);
    HttpReply http(const std::string& target);
    nlohmann::json health(bool& healthy);
    std::vector<CameraGauge> cameraGauges() const;
    void recordFault(std::string_view kind, const nlohmann::json& payload);

    std::filesystem::path config_path_;
    config::Settings settings_;
    boost::asio::io_context io_;
    boost::asio::signal_set signals_;
    boost::asio::steady_timer tick_timer_;
    boost::asio::steady_timer sweep_timer_;
    boost::asio::steady_timer watchdog_timer_;
    boost::asio::steady_timer status_timer_;
    gate::Clock& clock_;
    vision::FrameClock& frame_clock_;
    Notifier& notifier_;
    std::filesystem::path model_dir_;
    Metrics metrics_;
    gate::SiteZone zone_;
    std::unique_ptr<gate::Ledger> ledger_;            // the main thread's connection: sweep, events, health
    std::unique_ptr<EvidenceWriter> evidence_;        // decisions' frames, written on its own thread
    std::optional<gate::TimePoint> evidence_purged_;  // the sweep's last evidence purge (hourly)
    std::vector<std::unique_ptr<LaneUnit>> lanes_;
    std::unique_ptr<ControlServer> control_;
    std::unique_ptr<HttpServer> http_;
    bool stopping_ = false;
    bool abandoned_lanes_ = false;
    bool ledger_ok_ = true;
    int exit_code_ = 0;
};

}  // namespace vg::daemon
