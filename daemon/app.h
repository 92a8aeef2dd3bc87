// The composition root of voucher-gated. App owns the one boost::asio::io_context (run on ONE thread: every
// lane strand, the ledger, the timers, HTTP and the control socket share it; a decision is a few ms of SQLite,
// so one thread keeps up and no lock is needed), the signals, the clock, the Ledger, and per lane its relay,
// presence input, announcer, cameras and pass state machine. Camera workers run on their own threads and only
// post observations to their lane's strand.
//
// Signals: SIGHUP reloads (parse into a scratch Settings, apply only on success, log what needs a restart);
// SIGTERM/SIGINT stop: no new decisions, the one in flight finishes (it runs to completion on the io thread
// before the signal handler can), cameras stop, every output is released, run() returns 0.
// The constructor throws std::runtime_error on a start-up failure (database, keys, devices, sockets);
// nothing after start-up throws out of a handler.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "config/settings.h"
#include "daemon/announcer.h"
#include "daemon/camera_feed.h"
#include "daemon/control_server.h"
#include "daemon/decider.h"
#include "daemon/http_server.h"
#include "daemon/lane.h"
#include "daemon/metrics.h"
#include "daemon/notifier.h"
#include "gate/ledger.h"
#include "gate/relay/presence_input.h"
#include "gate/relay/relay.h"
#include "vision/frame_source.h"

namespace vg::daemon {

// What the daemon needs beyond the loader's checks: at least one lane and relay drivers this build has.
// Returns "" when the settings are usable, otherwise the problem naming the key.
std::string checkDaemonSettings(const config::Settings& s);

// Config -> the options each library takes.
gate::RuleSettings ruleSettingsFor(const config::Settings& s, const config::LaneDefaults& lane);
LaneOptions laneOptionsFor(const config::Settings& s, const config::LaneSettings& lane);

class App {
public:
    App(std::filesystem::path config_path, config::Settings settings);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    int run();  // until SIGTERM/SIGINT; returns the exit code

private:
    struct LaneUnit {
        explicit LaneUnit(boost::asio::io_context& io) : strand(boost::asio::make_strand(io)) {}
        config::LaneSettings settings;
        boost::asio::strand<boost::asio::io_context::executor_type> strand;
        std::unique_ptr<relay::Relay> relay;
        std::unique_ptr<relay::PresenceInput> presence;
        std::unique_ptr<Announcer> announcer;
        std::unique_ptr<Lane> lane;
        std::vector<std::unique_ptr<CameraFeed>> cameras;
    };

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
    nlohmann::json control(const nlohmann::json& request);
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
    gate::SystemClock clock_;
    vision::SystemFrameClock frame_clock_;
    SystemdNotifier notifier_;
    Metrics metrics_;
    gate::SiteZone zone_;
    std::unique_ptr<gate::Ledger> ledger_;
    std::unique_ptr<LedgerDecider> decider_;
    std::vector<std::unique_ptr<LaneUnit>> lanes_;
    std::unique_ptr<ControlServer> control_;
    std::unique_ptr<HttpServer> http_;
    bool stopping_ = false;
    bool ledger_ok_ = true;
    int exit_code_ = 0;
};

}  // namespace vg::daemon
