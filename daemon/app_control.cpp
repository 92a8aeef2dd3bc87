// The guard's commands on the control socket: the request read by parseControlCommand() (control_command.h),
// checked against the daemon (stopping, the lane, operator and reason) and run on the lane's thread within
// kLaneAnswer by onLaneWithin() (lane_answer.h), which never runs a command its lane did not take in time.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/app.h"
#include "daemon/control_command.h"
#include "daemon/lane_answer.h"
#include "daemon/logging.h"
#include "gate/decision_json.h"

namespace vg::daemon {

namespace {

using namespace std::chrono_literals;

// How long the guard's command waits for its lane to take it (the CLI's control client gives up after 10 s).
constexpr auto kLaneAnswer = 5s;

}  // namespace

void App::control(const nlohmann::json& request, const ControlServer::Reply& reply) {
    const auto parsed = parseControlCommand(request);
    if (!parsed) return reply({{"ok", false}, {"error", parsed.error()}});
    const std::string& cmd = parsed->cmd;
    if (cmd == "status") {
        bool healthy = false;
        auto h = health(healthy);
        return reply({{"ok", true}, {"status", h}});
    }
    if (stopping_) return reply({{"ok", false}, {"error", "the daemon is stopping"}});
    const std::string& lane_name = parsed->lane;
    LaneUnit* unit = nullptr;
    for (auto& u : lanes_) {
        if (u->settings.name == lane_name) unit = u.get();
    }
    if (unit == nullptr) {
        std::string names;
        for (auto& u : lanes_) names += (names.empty() ? "" : ", ") + u->settings.name;
        return reply({{"ok", false}, {"error", fmt::format("no lane \"{}\" (lanes: {})", lane_name, names)}});
    }
    const gate::Manual& manual = parsed->manual;
    if (manual.operator_name.empty() || manual.reason.empty()) {
        return reply({{"ok", false}, {"error", "operator and reason are required (they are audited)"}});
    }
    const bool refuse = parsed->refuse;
    const std::string& plate = parsed->plate;
    // Run on the lane's thread, after the lane's work in flight; the main thread goes on meanwhile (HTTP, the
    // watchdog, other commands). A lane that does not take the command within kLaneAnswer (its relay or the
    // ledger is not answering) never runs it: a guard's "open" must not happen by surprise minutes later,
    // after the guard was told it failed (the CLI gives up after 10 s).
    auto command = [lane = unit->lane.get(), cmd, manual, refuse, plate] {
        if (cmd == "confirm") {
            return lane->confirm(manual, refuse, plate.empty() ? std::nullopt : std::optional<std::string>(plate));
        }
        if (cmd == "open") return lane->open(manual);
        if (cmd == "hold-open") return lane->holdOpen(manual);
        return lane->release(manual);
    };
    onLaneWithin(
        io_, [this, unit](std::function<void()> f) { postToLane(*unit, std::move(f)); }, frame_clock_, kLaneAnswer,
        std::move(command),
        [this, reply, lane_name, cmd, who = manual.operator_name](std::optional<ControlOutcome> outcome) {
            if (!outcome) {
                spdlog::error("CONTROL_REFUSED {}",
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
            if (outcome->decision) out["decision"] = gate::decisionJson(*outcome->decision, zone_);
            if (outcome->audit_seq != 0) out["audit_seq"] = outcome->audit_seq;
            if (!outcome->relay_state.empty()) out["relay_state"] = outcome->relay_state;
            reply(out);
        });
}

}  // namespace vg::daemon
