#include "daemon/app.h"

#include <fmt/format.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cstdlib>
#include <future>

#include "config/config_loader.h"
#include "daemon/decision_json.h"
#include "gate/audit_chain.h"
#include "gate/key_ring.h"

namespace vg::daemon {

namespace {

using namespace std::chrono_literals;

// How long the guard's command waits for its lane to take it (the CLI's control client gives up after 10 s).
constexpr auto kLaneAnswer = 5s;

std::string dumpJson(const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Under systemd each line starts with its journald priority ("<6>"), so `journalctl -p err` works.
class JournalPriorityFlag final : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        static constexpr const char* kPrio[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
        const char* p = kPrio[static_cast<int>(msg.level)];
        dest.append(p, p + 3);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override {
        return std::make_unique<JournalPriorityFlag>();
    }
};

void setupLogging() {
    auto logger = spdlog::stderr_logger_mt("voucher-gated");
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    if (std::getenv("JOURNAL_STREAM") != nullptr) {
        formatter->add_flag<JournalPriorityFlag>('*').set_pattern("%*%v");
    } else {
        formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    }
    logger->set_formatter(std::move(formatter));
    // VG_LOG_LEVEL=debug adds every plate read (PLATE_READ) for commissioning.
    if (const char* level = std::getenv("VG_LOG_LEVEL")) logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(
        spdlog::level::trace);  // one line per event, visible at once (tests and the demo watch it)
    spdlog::set_default_logger(logger);
}

gate::SiteZone zoneOrThrow(const std::string& name) {
    auto z = gate::SiteZone::make(name);
    if (!z) throw std::runtime_error("site.timezone: " + z.error());
    return *z;
}

gate::UnreadPlatePolicy map(config::UnreadPlate u) {
    switch (u) {
        case config::UnreadPlate::Guard:
            return gate::UnreadPlatePolicy::Guard;
        case config::UnreadPlate::Presence:
            return gate::UnreadPlatePolicy::Presence;
        case config::UnreadPlate::Never:
            return gate::UnreadPlatePolicy::Never;
    }
    return gate::UnreadPlatePolicy::Guard;
}

relay::RelayOptions relayOptionsFor(const config::LaneSettings& ls) {
    relay::RelayOptions o;
    switch (ls.relay.driver) {
        case config::RelayDriver::Sim:
            o.kind = relay::RelayKind::Sim;
            break;
        case config::RelayDriver::Gpio:
            o.kind = relay::RelayKind::Gpio;
            break;
        case config::RelayDriver::ModbusTcp:
            o.kind = relay::RelayKind::ModbusTcp;
            break;
        case config::RelayDriver::ModbusRtu:
            o.kind = relay::RelayKind::ModbusRtu;
            break;
        case config::RelayDriver::Serial:
            o.kind = relay::RelayKind::Serial;
            break;
    }
    o.lane = ls.name;
    o.max_hold = ls.relay.max_hold;
    o.file = ls.relay.file;
    o.chip = ls.relay.chip;
    o.line = ls.relay.line;
    o.active_low = ls.relay.active_low;
    o.host = ls.relay.host;
    o.port = ls.relay.port;
    o.device = ls.relay.device;
    o.baud = ls.relay.baud;
    o.parity = ls.relay.parity;
    o.unit = ls.relay.unit;
    o.coil = ls.relay.coil;
    o.timeout = std::chrono::duration_cast<relay::Duration>(ls.relay.timeout);
    o.channel = ls.relay.channel;
    return o;
}

// What about a lane can only change by rebuilding its devices (a restart in this version).

}  // namespace

std::string checkDaemonSettings(const config::Settings& s) {
    if (s.lane.empty()) return "no [[lane]]: the daemon needs at least one lane";
    return "";
}

gate::RuleSettings ruleSettingsFor(const config::Settings& s, const config::LaneDefaults& lane) {
    gate::RuleSettings r;
    r.per_month = s.vouchers.per_month;
    r.eligible_categories = s.vouchers.eligible_categories;
    r.grace_days = s.vouchers.grace_days;
    r.stay_max = s.stay.max;
    r.stay_grace = s.stay.grace;
    r.overstay_exit =
        s.stay.overstay_exit == config::OverstayExit::Hold ? gate::OnError::Hold : gate::OnError::Open;
    r.overstay_fee_per_hour = s.stay.overstay_fee_per_hour;
    r.readmit_window = lane.readmit_window;
    r.unread_plate = map(lane.unread_plate);
    r.min_plate_confidence = lane.min_plate_confidence;
    r.exit_on_error =
        lane.exit_on_error == config::ExitOnError::Hold ? gate::OnError::Hold : gate::OnError::Open;
    return r;
}

LaneOptions laneOptionsFor(const config::Settings& s, const config::LaneSettings& ls) {
    LaneOptions o;
    o.name = ls.name;
    o.direction = ls.direction == config::Direction::Entry ? gate::Direction::Entry : gate::Direction::Exit;
    o.rules = ruleSettingsFor(s, ls);
    o.pair_window = ls.pair_window;
    o.repeat_window = ls.repeat_window;
    o.plate_timeout = ls.plate_timeout;
    o.pulse = ls.relay.pulse;
    o.dry_run = ls.dry_run;
    return o;
}

App::App(std::filesystem::path config_path, config::Settings settings)
    : config_path_(std::move(config_path)),
      settings_(std::move(settings)),
      signals_(io_, SIGHUP, SIGTERM, SIGINT),
      tick_timer_(io_),
      sweep_timer_(io_),
      watchdog_timer_(io_),
      status_timer_(io_),
      zone_(zoneOrThrow(settings_.site.timezone)) {
    setupLogging();
    ledger_ = openLedger();
    for (const auto& ls : settings_.lane) setupLane(ls);  // their threads start in run()
    control_ = std::make_unique<ControlServer>(
        io_, settings_.control.socket,
        [this](const nlohmann::json& r, const ControlServer::Reply& reply) { control(r, reply); });
    http_ = std::make_unique<HttpServer>(io_, settings_.http.listen,
                                         [this](const std::string& target) { return http(target); });
}

App::~App() {
    for (auto& unit : lanes_) {
        for (auto& c : unit->cameras) c->stop();
    }
    stopLaneThreads();
}

std::unique_ptr<gate::Ledger> App::openLedger() const {
    auto keys = gate::KeyRing::load(settings_.vouchers.key_file);
    if (!keys) throw std::runtime_error(keys.error() + " (run `voucher-gate init` first)");
    auto audit_key = gate::AuditKey::load(settings_.audit.key_file);
    if (!audit_key) throw std::runtime_error(audit_key.error() + " (run `voucher-gate init` first)");
    gate::LedgerOptions lo;
    lo.path = settings_.database.path;
    lo.busy_timeout = settings_.database.busy_timeout;
    lo.spool_path = settings_.database.spool_path;
    lo.retention_days = settings_.database.retention_days;
    return std::make_unique<gate::Ledger>(lo, *audit_key, std::move(*keys), zone_);
}

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

std::chrono::milliseconds App::stallLimit() const {
    if (auto every = notifier_.watchdogInterval()) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(*every / 2);
    }
    return 10s;
}

bool App::stalled(const LaneUnit& unit) const {
    const auto idle = std::chrono::steady_clock::now().time_since_epoch() -
                      std::chrono::steady_clock::duration(unit.heartbeat_ns.load());
    return idle > stallLimit();
}

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

template <class F, class Done>
void App::onLaneWithin(LaneUnit& unit, std::chrono::milliseconds deadline, F f, Done done) {
    using R = decltype(f());
    // The flags are shared with the lane's thread. The timer and `done` are the main thread's: both are
    // destroyed there once used, so whichever thread drops the last reference to State destroys nothing but
    // the flags.
    struct State {
        std::mutex m;
        bool started = false;
        bool abandoned = false;
        std::unique_ptr<boost::asio::steady_timer> timer;
        std::optional<Done> done;
        void finish(std::optional<R> result) {
            Done d = std::move(*done);
            done.reset();
            d(std::move(result));
        }
    };
    auto state = std::make_shared<State>();
    state->timer = std::make_unique<boost::asio::steady_timer>(io_, deadline);
    state->done.emplace(std::move(done));
    state->timer->async_wait([state](const boost::system::error_code&) {
        bool abandon = false;
        {
            std::lock_guard lock(state->m);
            abandon = !state->started;  // else running or done: its result answers
            state->abandoned = abandon;
        }
        state->timer.reset();  // its last use
        if (abandon) state->finish(std::nullopt);
    });
    postToLane(unit, [this, state, f = std::move(f)]() mutable {
        {
            std::lock_guard lock(state->m);
            if (state->abandoned) return;
            state->started = true;
        }
        auto r = std::make_shared<R>(f());
        boost::asio::post(io_, [state, r] {
            if (state->timer) state->timer->cancel();
            state->finish(std::move(*r));
        });
    });
}

void App::setupLane(const config::LaneSettings& ls) {
    auto unit = std::make_unique<LaneUnit>();
    unit->settings = ls;
    unit->ledger = openLedger();
    unit->decider = std::make_unique<LedgerDecider>(*unit->ledger);
    auto made =
        relay::makeRelay(unit->io.get_executor(), relayOptionsFor(ls), [this] { return clock_.now(); });
    if (!made) throw std::runtime_error(fmt::format("lane {}: relay {}", ls.name, made.error().str()));
    unit->relay = std::move(*made);
    if (ls.presence) {
        relay::PresenceOptions po;
        po.kind = ls.presence->driver == config::PresenceDriver::Gpio ? relay::PresenceKind::Gpio
                                                                      : relay::PresenceKind::Sim;
        po.file = ls.presence->file;
        po.chip = ls.presence->chip;
        po.line = ls.presence->line;
        po.active_low = ls.presence->active_low;
        auto p = relay::makePresenceInput(po);
        if (!p) throw std::runtime_error(fmt::format("lane {}: {}", ls.name, p.error()));
        unit->presence = std::move(*p);
    }
    const bool tts = ls.announcer && ls.announcer->driver == config::AnnouncerDriver::Tts;
    unit->announcer = makeAnnouncer(ls.name, tts, ls.announcer ? ls.announcer->voice : "");
    unit->lane = std::make_unique<Lane>(laneOptionsFor(settings_, ls), *unit->decider, *unit->relay,
                                        *unit->announcer, unit->presence.get(), clock_, zone_, metrics_);
    unit->lane->setDecisionHandler([this](const gate::Decision& d) {
        const bool ok = d.reason != gate::Reason::DenyInternal && !d.spooled;
        boost::asio::post(io_, [this, ok] {
            ledger_ok_ = ok;
            publishStatus();
        });
    });
    snapshot(*unit);

    LaneUnit* u = unit.get();
    auto post = [u](LaneObservation o) {
        // Observations change little of what the status shows; the lane's tick refreshes the snapshot.
        boost::asio::post(u->io, [u, o = std::move(o)] { u->lane->onObservation(o); });
    };
    const std::string name = ls.name;
    auto event = [this, name](const vision::WorkerEvent& e) {
        boost::asio::post(io_, [this, name, e] {
            const nlohmann::json payload{{"lane", name}, {"source", e.source}, {"reason", e.reason}};
            recordFault(vision::toString(e.kind), payload);
            publishStatus();
        });
    };
    auto feed = [&](const std::string& role, const std::string& source, bool qr, bool plates) {
        CameraFeedOptions fo;
        fo.lane = ls.name;
        fo.role = role;
        fo.source = source;
        fo.source_options.fps = ls.camera_fps.value_or(0);
        fo.source_options.loop = ls.camera_loop;
        fo.worker_options.stall_after = ls.camera_stall_after;
        // The lane's roi is where plates are searched. A plate-only camera is cropped to it before any work;
        // a camera that also serves the card is not (the card is held at the driver's window, usually outside
        // the plate region): there the roi goes to the plate search alone.
        std::optional<cv::Rect> roi;
        if (plates && ls.roi) roi = cv::Rect((*ls.roi)[0], (*ls.roi)[1], (*ls.roi)[2], (*ls.roi)[3]);
        if (!qr) fo.worker_options.roi = roi;
        fo.read_qr = qr;
        unit->cameras.push_back(
            std::make_unique<CameraFeed>(fo, frame_clock_, metrics_, post, event,
                                         plates ? makePlateSeer(ls.name, qr ? roi : std::nullopt) : nullptr));
    };
    if (ls.card_camera.empty() || ls.card_camera == ls.plate_camera) {
        feed("plate+card", ls.plate_camera, true, true);
    } else {
        feed("plate", ls.plate_camera, false, true);
        feed("card", ls.card_camera, true, false);
    }
    lanes_.push_back(std::move(unit));
}

void App::recordFault(std::string_view kind, const nlohmann::json& payload) {
    if (kind == "CAMERA_RECOVERED" || kind == "SOURCE_ENDED") {
        spdlog::info("{} {}", kind, dumpJson(payload));
    } else {
        spdlog::error("{} {}", kind, dumpJson(payload));
    }
    if (auto r = ledger_->recordEvent(kind, payload.dump(), clock_.now(), ""); !r) {
        spdlog::error("AUDIT_FAULT {}", dumpJson({{"event", kind}, {"error", r.error().message}}));
    }
}

int App::run() {
    waitSignals();
    for (auto& unit : lanes_) {
        unit->heartbeat_ns = std::chrono::steady_clock::now().time_since_epoch().count();
        unit->thread = std::thread([u = unit.get()] { u->io.run(); });
    }
    for (auto& unit : lanes_) {
        for (auto& c : unit->cameras) c->start();
    }
    startTimers();
    sweep();  // replays a spool left from before a restart, and marks overstays at once
    spdlog::info("STARTED {}", dumpJson({{"config", config_path_.string()},
                                         {"lanes", settings_.lane.size()},
                                         {"http", settings_.http.listen},
                                         {"control", settings_.control.socket.string()},
                                         {"pid", ::getpid()}}));
    notifier_.notify("READY=1\nSTATUS=" + statusLine());
    io_.run();
    spdlog::info("STOPPED {}", dumpJson({{"exit_code", exit_code_}}));
    return exit_code_;
}

void App::waitSignals() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
        if (ec) return;
        if (signo == SIGHUP) {
            reload();
            waitSignals();
        } else {
            stop();
        }
    });
}

void App::startTimers() {
    tickLoop();
    sweep_timer_.expires_after(settings_.stay.sweep_every);
    sweepLoop();
    if (auto every = notifier_.watchdogInterval()) watchdogLoop(*every / 4);
    status_timer_.expires_after(5s);
    status_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        publishStatus();
    });
}

void App::tickLoop() {
    tick_timer_.expires_after(100ms);
    tick_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        for (auto& unit : lanes_) {
            postToLane(*unit, [u = unit.get()] {
                u->lane->tick();
                u->heartbeat_ns = std::chrono::steady_clock::now().time_since_epoch().count();
            });
        }
        tickLoop();
    });
}

void App::sweepLoop() {
    sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        sweep();
        sweep_timer_.expires_after(settings_.stay.sweep_every);
        sweepLoop();
    });
}

void App::watchdogLoop(std::chrono::microseconds every) {
    // Petted by the main loop itself, and only while every lane's thread has ticked within half of
    // WatchdogSec (every = WatchdogSec/4): if a handler or a driver call hangs, the pets stop and systemd
    // restarts the service.
    bool lanes_alive = true;
    for (const auto& unit : lanes_) {
        if (stalled(*unit)) {
            lanes_alive = false;
            spdlog::error("LANE_STALLED {}",
                          dumpJson({{"lane", unit->settings.name},
                                    {"note", "no watchdog pet until its thread ticks again"}}));
        }
    }
    if (lanes_alive) notifier_.notify("WATCHDOG=1");
    watchdog_timer_.expires_after(every);
    watchdog_timer_.async_wait([this, every](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        watchdogLoop(every);
    });
}

void App::sweep() {
    const auto rules = ruleSettingsFor(settings_, settings_.lanes);
    const auto now = clock_.now();
    // Each call may wait busy_timeout on a locked ledger (on the main thread, never a lane's): stop at the
    // first failure.
    auto replayed = ledger_->replaySpool(rules, now);
    if (!replayed) {
        spdlog::error("SWEEP_FAILED {}", dumpJson({{"error", replayed.error().message}, {"step", "spool"}}));
        return;
    }
    if (*replayed > 0) spdlog::info("SPOOL_REPLAYED {}", dumpJson({{"decisions", *replayed}}));
    auto swept = ledger_->sweepOverstays(rules, now);
    if (!swept) {
        spdlog::error("SWEEP_FAILED {}", dumpJson({{"error", swept.error().message}}));
        return;
    }
    for (const auto& v : *swept) {
        spdlog::warn("OVERSTAY_STARTED {}", dumpJson({{"visit", v.id},
                                                      {"plate", v.plate},
                                                      {"unit", v.unit},
                                                      {"serial", v.serial},
                                                      {"entered_at", zone_.isoLocal(v.entered_at)},
                                                      {"deadline", zone_.isoLocal(v.deadline)}}));
    }
    metrics_.countOverstays(swept->size());
    gate::VisitFilter inside;
    inside.inside_only = true;
    if (auto visits = ledger_->visits(inside, rules, now)) {
        metrics_.setCarsInside(static_cast<std::int64_t>(visits->size()));
    }
}

void App::reload() {
    notifier_.notify("RELOADING=1");
    auto next = config::load(config_path_);
    std::string problem = next ? checkDaemonSettings(*next) : next.error().str();
    if (!problem.empty()) {
        spdlog::error("RELOAD_FAILED {}", dumpJson({{"config", config_path_.string()},
                                                    {"error", problem},
                                                    {"note", "the running settings are unchanged"}}));
        (void)ledger_->recordEvent("RELOAD_FAILED", nlohmann::json{{"error", problem}}.dump(), clock_.now(),
                                   "");
        notifier_.notify("READY=1\nSTATUS=reload failed, old settings kept: " + problem);
        return;
    }
    auto restart = config::restartRequiredChanges(settings_, *next);
    // Keys that need a restart keep their running values; everything else applies now.
    config::Settings applied = *next;
    applied.vouchers.key_file = settings_.vouchers.key_file;
    applied.database = settings_.database;
    applied.database.retention_days = next->database.retention_days;
    applied.audit = settings_.audit;
    applied.http = settings_.http;
    applied.control = settings_.control;
    applied.site.timezone = settings_.site.timezone;
    applied.lane = settings_.lane;
    for (auto& l : applied.lane) {
        for (const auto& n : next->lane) {
            if (n.name != l.name || n.direction != l.direction) continue;
            // Timing, rules, dry_run and the pulse length apply live; devices keep running as they are.
            const config::LaneSettings devices = l;
            l = n;
            l.plate_camera = devices.plate_camera;
            l.card_camera = devices.card_camera;
            l.camera_fps = devices.camera_fps;
            l.camera_loop = devices.camera_loop;
            l.roi = devices.roi;
            l.camera_stall_after = devices.camera_stall_after;
            const auto pulse = n.relay.pulse;
            l.relay = devices.relay;
            l.relay.pulse = pulse;
            l.presence = devices.presence;
            l.announcer = devices.announcer;
        }
    }
    settings_ = std::move(applied);
    // Posted to each lane's loop: the observations already queued are decided under the old options, the next
    // car under the new ones.
    for (auto& unit : lanes_) {
        for (const auto& l : settings_.lane) {
            if (l.name != unit->settings.name) continue;
            postToLane(*unit,
                       [lane = unit->lane.get(), o = laneOptionsFor(settings_, l)] { lane->setOptions(o); });
        }
    }
    // New token keys (`voucher-gate key new`) are picked up without a restart, by every connection.
    if (auto keys = gate::KeyRing::load(settings_.vouchers.key_file)) {
        for (auto& unit : lanes_) {
            postToLane(*unit, [ledger = unit->ledger.get(), k = *keys] { ledger->setKeys(k); });
        }
        ledger_->setKeys(std::move(*keys));
    } else {
        spdlog::error("RELOAD_KEYS_FAILED {}",
                      dumpJson({{"error", keys.error()}, {"note", "old keys kept"}}));
    }
    nlohmann::json payload{{"config", config_path_.string()},
                           {"stay_max", config::formatDuration(settings_.stay.max)},
                           {"needs_restart", restart}};
    spdlog::info("RELOADED {}", dumpJson(payload));
    if (!restart.empty()) spdlog::warn("RELOAD_NEEDS_RESTART {}", dumpJson({{"keys", restart}}));
    (void)ledger_->recordEvent("RELOAD", payload.dump(), clock_.now(), "");
    notifier_.notify("READY=1\nSTATUS=" + statusLine());
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
    const auto deadline = std::chrono::steady_clock::now() + stallLimit();
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
            recordFault("RELAY_FAULT",
                        {{"lane", unit.settings.name},
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

std::string App::statusLine() const {
    std::string out;
    for (const auto& unit : lanes_) {
        const auto s = statusOf(*unit);
        if (!out.empty()) out += "; ";
        out += fmt::format("{}: {}, relay {}", s.name, s.state, s.relay_state);
        if (!s.last_reason.empty()) out += ", last " + s.last_reason;
        for (const auto& c : unit->cameras) {
            out += fmt::format(", {} camera {}", c->options().role, vision::toString(c->stats().state));
        }
    }
    return out;
}

void App::publishStatus() {
    if (stopping_) return;
    notifier_.notify("STATUS=" + statusLine());
    status_timer_.expires_after(5s);
    status_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec) return;
        publishStatus();
    });
}

std::vector<CameraGauge> App::cameraGauges() const {
    std::vector<CameraGauge> out;
    for (const auto& unit : lanes_) {
        for (const auto& c : unit->cameras) {
            const auto st = c->stats();
            CameraGauge g;
            g.lane = unit->settings.name;
            g.role = c->options().role;
            for (const auto& r : st.consumers)
                g.readers.push_back({r.name, r.frames_processed, r.frames_dropped});
            g.frame_age_seconds =
                st.last_frame_age ? std::chrono::duration<double>(*st.last_frame_age).count() : -1.0;
            g.up = st.state == vision::WorkerState::Running;
            out.push_back(g);
        }
    }
    return out;
}

nlohmann::json App::health(bool& healthy) {
    healthy = true;
    nlohmann::json lanes = nlohmann::json::array();
    for (const auto& unit : lanes_) {
        const auto s = statusOf(*unit);
        nlohmann::json cams = nlohmann::json::array();
        for (const auto& c : unit->cameras) {
            const auto st = c->stats();
            const bool ok =
                st.state == vision::WorkerState::Running || st.state == vision::WorkerState::Ended;
            healthy = healthy && ok;
            nlohmann::json readers = nlohmann::json::object();
            for (const auto& r : st.consumers)
                readers[r.name] = {{"frames_processed", r.frames_processed},
                                   {"frames_dropped", r.frames_dropped}};
            nlohmann::json cj{{"role", c->options().role},
                              {"state", vision::toString(st.state)},
                              {"frames_read", st.frames_read},
                              {"readers", readers}};
            cj["frame_age_s"] =
                st.last_frame_age ? nlohmann::json(std::chrono::duration<double>(*st.last_frame_age).count())
                                  : nlohmann::json(nullptr);
            if (!st.last_error.empty()) cj["last_error"] = st.last_error;
            cams.push_back(cj);
        }
        const bool lane_stalled =
            stalled(*unit);  // inside a relay or ledger call for too long (LANE_STALLED)
        healthy = healthy && s.relay_state != "faulted" && !lane_stalled;
        nlohmann::json lj{
            {"name", s.name},         {"direction", s.direction},
            {"state", s.state},       {"relay", {{"driver", s.relay_driver}, {"state", s.relay_state}}},
            {"cameras", cams},        {"dry_run", s.dry_run},
            {"stalled", lane_stalled}};
        if (!s.last_reason.empty()) lj["last_reason"] = s.last_reason;
        if (!s.held_reason.empty()) lj["waiting_for_guard"] = s.held_reason;
        lanes.push_back(lj);
    }
    auto head = ledger_->auditHead();
    const bool ledger_writable = head.has_value() && ledger_ok_;
    // A box that booted without a real-time clock reads 1970 (or its build date); rule 12 refuses entries
    // then.
    const bool clock_sane =
        clock_.now() > gate::TimePoint{std::chrono::sys_days{std::chrono::year{2025} / 1 / 1}};
    healthy = healthy && ledger_writable && clock_sane && !stopping_;
    return {{"status", healthy ? "ok" : "degraded"},
            {"lanes", lanes},
            {"ledger_writable", ledger_writable},
            {"clock_sane", clock_sane},
            {"now", zone_.isoLocal(clock_.now())}};
}

HttpReply App::http(const std::string& target) {
    const std::string path = target.substr(0, target.find('?'));
    if (path == "/healthz") {
        bool healthy = false;
        auto body = health(healthy);
        return {healthy ? 200 : 503, "application/json", dumpJson(body) + "\n"};
    }
    if (path == "/metrics") {
        return {200, "text/plain; version=0.0.4; charset=utf-8", metrics_.render(cameraGauges())};
    }
    return {404, "text/plain", "not found: try /healthz or /metrics\n"};
}

void App::control(const nlohmann::json& request, const ControlServer::Reply& reply) {
    auto str = [&](const char* key) -> std::string {
        const auto it = request.find(key);
        return it != request.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const std::string cmd = str("cmd");
    if (cmd == "status") {
        bool healthy = false;
        auto h = health(healthy);
        return reply({{"ok", true}, {"status", h}});
    }
    if (cmd != "confirm" && cmd != "open" && cmd != "hold-open" && cmd != "release") {
        return reply({{"ok", false},
                      {"error", fmt::format("unknown command \"{}\" (confirm, open, hold-open, "
                                            "release, status)",
                                            cmd)}});
    }
    if (stopping_) return reply({{"ok", false}, {"error", "the daemon is stopping"}});
    const std::string lane_name = str("lane");
    LaneUnit* unit = nullptr;
    for (auto& u : lanes_) {
        if (u->settings.name == lane_name) unit = u.get();
    }
    if (unit == nullptr) {
        std::string names;
        for (auto& u : lanes_) names += (names.empty() ? "" : ", ") + u->settings.name;
        return reply({{"ok", false}, {"error", fmt::format("no lane \"{}\" (lanes: {})", lane_name, names)}});
    }
    const gate::Manual manual{str("operator"), str("reason")};
    if (manual.operator_name.empty() || manual.reason.empty()) {
        return reply({{"ok", false}, {"error", "operator and reason are required (they are audited)"}});
    }
    const auto refuse_it = request.find("refuse");
    const bool refuse = refuse_it != request.end() && refuse_it->is_boolean() && refuse_it->get<bool>();
    const std::string plate = str("plate");
    // Run on the lane's thread, after the lane's work in flight; the main thread goes on meanwhile (HTTP, the
    // watchdog, other commands). A lane that does not take the command within kLaneAnswer (its relay or the
    // ledger is not answering) never runs it: a guard's "open" must not happen by surprise minutes later,
    // after the guard was told it failed (the CLI gives up after 10 s).
    auto command = [lane = unit->lane.get(), cmd, manual, refuse, plate] {
        if (cmd == "confirm") {
            return lane->confirm(manual, refuse,
                                 plate.empty() ? std::nullopt : std::optional<std::string>(plate));
        }
        if (cmd == "open") return lane->open(manual);
        if (cmd == "hold-open") return lane->holdOpen(manual);
        return lane->release(manual);
    };
    onLaneWithin(
        *unit, kLaneAnswer, std::move(command),
        [this, reply, lane_name, cmd, who = manual.operator_name](std::optional<ControlOutcome> outcome) {
            if (!outcome) {
                spdlog::error(
                    "CONTROL_REFUSED {}",
                    dumpJson({{"lane", lane_name}, {"cmd", cmd}, {"operator", who}, {"error", "lane busy"}}));
                const auto waited = std::chrono::duration_cast<std::chrono::seconds>(kLaneAnswer).count();
                return reply({{"ok", false},
                              {"error", fmt::format("lane {} is busy: its relay or the ledger has not "
                                                    "answered for {} s; nothing was done, try again",
                                                    lane_name, waited)}});
            }
            publishStatus();
            nlohmann::json out{{"ok", outcome->ok}};
            if (!outcome->error.empty()) out["error"] = outcome->error;
            if (outcome->decision) out["decision"] = decisionJson(*outcome->decision, zone_);
            if (outcome->audit_seq != 0) out["audit_seq"] = outcome->audit_seq;
            if (!outcome->relay_state.empty()) out["relay_state"] = outcome->relay_state;
            reply(out);
        });
}

}  // namespace vg::daemon
