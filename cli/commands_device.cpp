// The guard's commands to the running daemon over its control socket (confirm, open, hold-open, release),
// and scan (the vision pipeline on still images; needs no config or database).
#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

#include "cli/command_util.h"
#include "cli/commands.h"
#include "cli/control_client.h"
#include "gate/decision.h"

namespace vg::cli {

namespace {

using nlohmann::json;

struct GuardOpts {
    std::string lane, operator_name, reason, plate;
    bool refuse = false;
};

int sendToDaemon(CliContext& ctx, const json& request) {
    auto answer = controlRequest(ctx.settings().control.socket, request);
    if (!answer) {
        const int status = answer.error().kind == ControlError::Kind::Denied ? kExitUsage : kExitInternal;
        return fail(ctx, status, answer.error().message);
    }
    const json& a = *answer;
    if (!a.value("ok", false)) {
        const std::string error = a.value("error", std::string("the daemon refused"));
        ctx.emit(a, fmt::format("refused by voucher-gated: {}", error));
        return kExitRefused;
    }
    if (a.contains("decision") && a["decision"].is_object()) {
        const auto& d = a["decision"];
        const std::string reason = d.value("reason", "");
        ctx.emit(a, fmt::format("{}: {}", reason, d.value("message", "")));
        const auto r = gate::reasonFromString(reason);
        return r ? gate::exitStatusFor(*r) : kExitOk;
    }
    ctx.emit(a, a.value("message", std::string("done")));
    return kExitOk;
}

void registerGuardCommand(CLI::App& app, Command& command, const std::string& name, const std::string& help) {
    auto o = std::make_shared<GuardOpts>();
    auto* sub = app.add_subcommand(name, help);
    sub->add_option("--lane", o->lane, "lane name")->required();
    sub->add_option("--operator", o->operator_name, "who (logged)")->required();
    sub->add_option("--reason", o->reason, "why (logged)")->required();
    if (name == "confirm") {
        sub->add_option("--plate", o->plate, "the plate the guard reads off the car");
        sub->add_flag("--refuse", o->refuse, "refuse the waiting car instead of admitting it");
    }
    sub->callback([&command, o, name] {
        command.run = [o, name](CliContext& ctx) {
            json request{{"cmd", name}, {"lane", o->lane}, {"operator", o->operator_name}, {"reason", o->reason}};
            if (name == "confirm") {
                request["refuse"] = o->refuse;
                if (!o->plate.empty()) request["plate"] = o->plate;
            }
            return sendToDaemon(ctx, request);
        };
    });
}

}  // namespace

void registerDeviceCommands(CLI::App& app, Command& command) {
    registerGuardCommand(app, command, "confirm",
                         "the guard's answer for the car waiting on a lane (HOLD_PLATE_UNREAD, HOLD_OVERSTAY)");
    registerGuardCommand(app, command, "open", "pulse a barrier open (audited)");
    registerGuardCommand(app, command, "hold-open", "emergency: hold a barrier open until release (audited)");
    registerGuardCommand(app, command, "release", "release a barrier held open (audited)");
}

}  // namespace vg::cli
