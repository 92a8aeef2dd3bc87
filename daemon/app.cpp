// The composition root's set-up and its main-thread work: the config mapped to each library's options, App's
// construction (logging, the ledger connections, each lane's devices, cameras and pass, the servers), run()
// with its signals and timers, the overstay sweep, reload and recordFault(). The lane threads are in
// app_lanes.cpp, the status, /healthz and /metrics in app_status.cpp, the guard's commands in
// app_control.cpp.
#include "daemon/app.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/post.hpp>

#include "config/config_loader.h"
#include "daemon/logging.h"
#include "gate/audit_chain.h"
#include "gate/key_ring.h"
#include "options/evidence.h"
#include "options/rule_settings.h"

namespace vg::daemon {

namespace {

using namespace std::chrono_literals;

// Decisions queued for the evidence writer: a burst of cars on every lane while the disk is slow. Beyond this the
// evidence is dropped (counted, logged), never the decision.
constexpr std::size_t kEvidenceQueue = 32;
// How often the sweep deletes expired evidence: the folder holds a file pair per decision, listing it every
// sweep_every would be waste.
constexpr auto kEvidencePurgeEvery = 1h;

// The evidence folder, made 0750 (the service group reads it: the console, `voucher-gate decisions`). A folder
// that cannot be made is logged; the daemon decides on without evidence (each write then fails, logged).
std::filesystem::path makeEvidenceDir(const config::Settings& s) {
    const auto dir = options::evidenceDir(s);
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (!ec) {
        std::filesystem::permissions(
            dir,
            std::filesystem::perms::owner_all | std::filesystem::perms::group_read | std::filesystem::perms::group_exec,
            ec);
    }
    if (ec) spdlog::error("EVIDENCE_FAILED {}", dumpJson({{"dir", dir.string()}, {"error", ec.message()}}));
    return dir;
}

gate::SiteZone zoneOrThrow(const std::string& name) {
    auto z = gate::SiteZone::make(name);
    if (!z) throw std::runtime_error("site.timezone: " + z.error());
    return *z;
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
    o.opened_input = ls.relay.opened_input;
    o.opened_within = std::chrono::duration_cast<relay::Duration>(ls.relay.opened_within);
    o.channel = ls.relay.channel;
    return o;
}

}  // namespace

std::string checkDaemonSettings(const config::Settings& s) {
    if (s.lane.empty()) return "no [[lane]]: the daemon needs at least one lane";
    return "";
}

LaneOptions laneOptionsFor(const config::Settings& s, const config::LaneSettings& ls) {
    LaneOptions o;
    o.name = ls.name;
    o.direction = ls.direction == config::Direction::Entry ? gate::Direction::Entry : gate::Direction::Exit;
    o.rules = options::ruleSettingsFor(s, ls);
    o.pair_window = ls.pair_window;
    o.repeat_window = ls.repeat_window;
    o.plate_timeout = ls.plate_timeout;
    o.pulse = ls.relay.pulse;
    o.dry_run = ls.dry_run;
    o.tailgate_gap = ls.tailgate_gap;
    o.log_plates = s.log.plates;
    return o;
}

App::App(std::filesystem::path config_path, config::Settings settings, AppServices services)
    : config_path_(std::move(config_path)),
      settings_(std::move(settings)),
      signals_(io_, SIGHUP, SIGTERM, SIGINT),
      tick_timer_(io_),
      sweep_timer_(io_),
      watchdog_timer_(io_),
      status_timer_(io_),
      clock_(services.clock),
      frame_clock_(services.frame_clock),
      notifier_(services.notifier),
      model_dir_(std::move(services.model_dir)),
      zone_(zoneOrThrow(settings_.site.timezone)) {
    setupLogging();
    ledger_ = openLedger();
    evidence_ = std::make_unique<EvidenceWriter>(makeEvidenceDir(settings_), kEvidenceQueue, metrics_);
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
    evidence_.reset();  // after the lanes: writes what they queued
}

std::unique_ptr<gate::Ledger> App::openLedger() const {
    // Never create a ledger here: a new, empty one would have forgotten every used voucher.
    if (auto there = gate::checkLedgerInitialised(settings_.database.path); !there) {
        throw NotInitialisedError(there.error().message);
    }
    auto keys = gate::KeyRing::load(settings_.vouchers.key_file);
    if (!keys) throw NotInitialisedError(keys.error() + " (run `voucher-gate init` first)");
    auto audit_key = gate::AuditKey::load(settings_.audit.key_file);
    if (!audit_key) throw NotInitialisedError(audit_key.error() + " (run `voucher-gate init` first)");
    gate::LedgerOptions lo;
    lo.path = settings_.database.path;
    lo.busy_timeout = settings_.database.busy_timeout;
    lo.spool_path = settings_.database.spool_path;
    lo.retention_days = settings_.database.retention_days;
    return std::make_unique<gate::Ledger>(lo, *audit_key, std::move(*keys), zone_);
}

void App::setupLane(const config::LaneSettings& ls) {
    auto unit = std::make_unique<LaneUnit>();
    unit->heartbeat = std::make_unique<LaneHeartbeat>(frame_clock_);
    unit->settings = ls;
    unit->ledger = openLedger();
    unit->decider = std::make_unique<LedgerDecider>(*unit->ledger);
    auto made = relay::makeRelay(unit->io.get_executor(), relayOptionsFor(ls), [this] { return clock_.now(); });
    if (!made) throw std::runtime_error(fmt::format("lane {}: relay {}", ls.name, made.error().str()));
    unit->relay = std::move(*made);
    if (ls.presence) {
        relay::PresenceOptions po;
        po.kind =
            ls.presence->driver == config::PresenceDriver::Gpio ? relay::PresenceKind::Gpio : relay::PresenceKind::Sim;
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
    unit->lane = std::make_unique<Lane>(laneOptionsFor(settings_, ls), *unit->decider, *unit->relay, *unit->announcer,
                                        unit->presence.get(), clock_, frame_clock_, zone_, metrics_);
    unit->lane->setDecisionHandler([this](const gate::Decision& d) {
        const bool ok = d.reason != gate::Reason::DenyInternal && !d.spooled;
        boost::asio::post(io_, [this, ok] {
            ledger_ok_ = ok;
            publishStatus();
        });
    });
    unit->lane->setEvidenceHandler(
        [this](std::int64_t audit_seq, const Evidence& e) { (void)evidence_->submit(audit_seq, e); });
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
        // The lane's roi is where plates are searched; it goes to the plate search, which sees the whole
        // frame (the learned detector searches a region at its frame's scale, so a plate is found at the same
        // size with or without a roi). A camera that also serves the card reads the card in the whole frame
        // (the card is held at the driver's window, usually outside the plate region).
        std::optional<cv::Rect> roi;
        if (plates && ls.roi) roi = cv::Rect((*ls.roi)[0], (*ls.roi)[1], (*ls.roi)[2], (*ls.roi)[3]);
        fo.read_qr = qr;
        fo.read_plates = plates;
        std::unique_ptr<PlateSeer> seer;
        if (plates) {
            auto seer_made = makePlateSeer(ls.name, roi, model_dir_);
            if (seer_made) {
                seer = std::move(*seer_made);
            } else {
                fo.plate_reader_error = seer_made.error();
            }
        }
        unit->cameras.push_back(std::make_unique<CameraFeed>(fo, frame_clock_, metrics_, post, event, std::move(seer)));
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
        unit->heartbeat->beat();
        unit->thread = std::thread([u = unit.get()] { u->io.run(); });
    }
    for (auto& unit : lanes_) {
        for (auto& c : unit->cameras) c->start();
    }
    evidence_->start();
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

void App::sweepLoop() {
    sweep_timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec || stopping_) return;
        sweep();
        sweep_timer_.expires_after(settings_.stay.sweep_every);
        sweepLoop();
    });
}

void App::sweep() {
    const auto rules = options::ruleSettingsFor(settings_, settings_.lanes);
    const auto now = clock_.now();
    // Evidence older than database.evidence_days goes, on the writer's thread (also when the ledger is locked).
    if (!evidence_purged_ || now - *evidence_purged_ >= kEvidencePurgeEvery || now < *evidence_purged_) {
        evidence_purged_ = now;
        evidence_->purge(now - std::chrono::days(options::evidenceDays(settings_)));
    }
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
        nlohmann::json line{{"visit", v.id},
                            {"unit", v.unit},
                            {"serial", v.serial},
                            {"entered_at", zone_.isoLocal(v.entered_at)},
                            {"deadline", zone_.isoLocal(v.deadline)}};
        if (settings_.log.plates) line["plate"] = v.plate;  // log.plates: the journal keeps no plates by default
        spdlog::warn("OVERSTAY_STARTED {}", dumpJson(line));
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
    // Keys that need a restart keep their running values (the key table says which); everything else applies now,
    // unless the two together break a check that spans keys (the file alone passed the loader's).
    config::ReloadPlan plan;
    if (problem.empty()) {
        plan = config::planReload(settings_, *next);
        problem = plan.refused;
    }
    if (!problem.empty()) {
        nlohmann::json line{
            {"config", config_path_.string()}, {"error", problem}, {"note", "the running settings are unchanged"}};
        if (!plan.restart.empty()) line["needs_restart"] = plan.restart;
        spdlog::error("RELOAD_FAILED {}", dumpJson(line));
        (void)ledger_->recordEvent("RELOAD_FAILED", nlohmann::json{{"error", problem}}.dump(), clock_.now(), "");
        notifier_.notify("READY=1\nSTATUS=reload failed, old settings kept: " + problem);
        return;
    }
    settings_ = std::move(plan.applied);
    const std::vector<std::string>& restart = plan.restart;
    // Posted to each lane's loop: the observations already queued are decided under the old options, the next
    // car under the new ones.
    for (auto& unit : lanes_) {
        for (const auto& l : settings_.lane) {
            if (l.name != unit->settings.name) continue;
            postToLane(*unit, [lane = unit->lane.get(), o = laneOptionsFor(settings_, l)] { lane->setOptions(o); });
        }
    }
    // New token keys (`voucher-gate key new`) are picked up without a restart, by every connection.
    if (auto keys = gate::KeyRing::load(settings_.vouchers.key_file)) {
        for (auto& unit : lanes_) {
            postToLane(*unit, [ledger = unit->ledger.get(), k = *keys] { ledger->setKeys(k); });
        }
        ledger_->setKeys(std::move(*keys));
    } else {
        spdlog::error("RELOAD_KEYS_FAILED {}", dumpJson({{"error", keys.error()}, {"note", "old keys kept"}}));
    }
    nlohmann::json payload{{"config", config_path_.string()},
                           {"stay_max", config::formatDuration(settings_.stay.max)},
                           {"needs_restart", restart}};
    spdlog::info("RELOADED {}", dumpJson(payload));
    if (!restart.empty()) spdlog::warn("RELOAD_NEEDS_RESTART {}", dumpJson({{"keys", restart}}));
    (void)ledger_->recordEvent("RELOAD", payload.dump(), clock_.now(), "");
    notifier_.notify("READY=1\nSTATUS=" + statusLine());
}

}  // namespace vg::daemon
