// What the daemon says about itself: the systemd STATUS line (refreshed every 5 s and after each decision),
// the health report that /healthz and the control socket's "status" answer with, and the HTTP routes
// (/healthz, /metrics with the cameras' gauges).
#include <fmt/format.h>

#include <cctype>
#include <string_view>

#include "daemon/app.h"
#include "daemon/logging.h"

namespace vg::daemon {

using namespace std::chrono_literals;

std::string App::statusLine() const {
    std::string out;
    for (const auto& unit : lanes_) {
        const auto s = statusOf(*unit);
        if (!out.empty()) out += "; ";
        out += fmt::format("{}: {}, relay {}", s.name, s.state, s.relay_state);
        if (!s.last_reason.empty()) out += ", last " + s.last_reason;
        if (!s.last_event.empty()) out += ", event " + s.last_event;
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
            for (const auto& r : st.consumers) g.readers.push_back({r.name, r.frames_processed, r.frames_dropped});
            g.frame_age_seconds = st.last_frame_age ? std::chrono::duration<double>(*st.last_frame_age).count() : -1.0;
            g.up = st.state == vision::WorkerState::Running;
            out.push_back(g);
        }
    }
    return out;
}

nlohmann::json App::health(bool& healthy) {
    healthy = true;
    nlohmann::json lanes = nlohmann::json::array();
    nlohmann::json problems = nlohmann::json::array();  // what makes the box degraded, each naming its lane
    for (const auto& unit : lanes_) {
        const auto s = statusOf(*unit);
        nlohmann::json cams = nlohmann::json::array();
        for (const auto& c : unit->cameras) {
            const auto st = c->stats();
            const bool ok = st.state == vision::WorkerState::Running || st.state == vision::WorkerState::Ended;
            healthy = healthy && ok;
            if (!ok) {
                std::string problem = "CAMERA_";
                for (const char ch : std::string_view(vision::toString(st.state))) {
                    problem += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
                }
                problems.push_back({{"lane", unit->settings.name},
                                    {"camera", c->options().role},
                                    {"problem", problem},
                                    {"error", st.last_error}});
            }
            nlohmann::json readers = nlohmann::json::object();
            for (const auto& r : st.consumers)
                readers[r.name] = {{"frames_processed", r.frames_processed}, {"frames_dropped", r.frames_dropped}};
            nlohmann::json cj{{"role", c->options().role},
                              {"state", vision::toString(st.state)},
                              {"frames_read", st.frames_read},
                              {"readers", readers}};
            cj["frame_age_s"] = st.last_frame_age
                                    ? nlohmann::json(std::chrono::duration<double>(*st.last_frame_age).count())
                                    : nlohmann::json(nullptr);
            if (!st.last_error.empty()) cj["last_error"] = st.last_error;
            if (c->options().read_plates) {
                cj["plate_reader"] = c->plateReaderUnavailable() ? "unavailable" : "ok";
            }
            if (c->plateReaderUnavailable()) {
                // Every plate reads as unread: cards wait for the guard, registered cars are not recognised.
                healthy = false;
                problems.push_back({{"lane", unit->settings.name},
                                    {"camera", c->options().role},
                                    {"problem", "PLATE_READER_UNAVAILABLE"},
                                    {"error", c->options().plate_reader_error}});
            }
            cams.push_back(cj);
        }
        const bool lane_stalled = stalled(*unit);  // inside a relay or ledger call for too long (LANE_STALLED)
        healthy = healthy && s.relay_state != "faulted" && !lane_stalled;
        if (s.relay_state == "faulted") problems.push_back({{"lane", s.name}, {"problem", "RELAY_FAULT"}});
        if (lane_stalled) problems.push_back({{"lane", s.name}, {"problem", "LANE_STALLED"}});
        nlohmann::json lj{{"name", s.name},         {"direction", s.direction},
                          {"state", s.state},       {"relay", {{"driver", s.relay_driver}, {"state", s.relay_state}}},
                          {"cameras", cams},        {"dry_run", s.dry_run},
                          {"stalled", lane_stalled}};
        if (!s.last_reason.empty()) lj["last_reason"] = s.last_reason;
        if (!s.held_reason.empty()) lj["waiting_for_guard"] = s.held_reason;
        if (!s.presence.empty()) lj["presence"] = s.presence;
        if (!s.last_event.empty())
            lj["last_event"] = {{"event", s.last_event}, {"at", zone_.isoLocal(*s.last_event_at)}};
        lanes.push_back(lj);
    }
    auto head = ledger_->auditHead();
    const bool ledger_writable = head.has_value() && ledger_ok_;
    // A box that booted without a real-time clock reads 1970 (or its build date); rule 12 refuses entries
    // then.
    const bool clock_sane = clock_.now() > gate::TimePoint{std::chrono::sys_days{std::chrono::year{2025} / 1 / 1}};
    healthy = healthy && ledger_writable && clock_sane && !stopping_;
    if (!ledger_writable) problems.push_back({{"problem", "LEDGER_NOT_WRITABLE"}});
    if (!clock_sane) problems.push_back({{"problem", "CLOCK_NOT_SANE"}});
    if (stopping_) problems.push_back({{"problem", "STOPPING"}});
    return {{"status", healthy ? "ok" : "degraded"}, {"problems", problems},     {"lanes", lanes},
            {"ledger_writable", ledger_writable},    {"clock_sane", clock_sane}, {"now", zone_.isoLocal(clock_.now())}};
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

}  // namespace vg::daemon
