// Reading a control request into a ControlCommand (see control_command.h).
#include "daemon/control_command.h"

#include <fmt/format.h>

#include <utility>

#include "gate/input_check.h"

namespace vg::daemon {

std::expected<ControlCommand, std::string> parseControlCommand(const nlohmann::json& request) {
    auto str = [&](const char* key) -> std::string {
        const auto it = request.find(key);
        return it != request.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    ControlCommand c;
    c.cmd = str("cmd");
    if (c.cmd != "status" && c.cmd != "confirm" && c.cmd != "open" && c.cmd != "hold-open" && c.cmd != "release") {
        return std::unexpected(
            fmt::format("unknown command \"{}\" (confirm, open, hold-open, release, status)", c.cmd));
    }
    c.lane = str("lane");
    c.manual = gate::Manual{str("operator"), str("reason")};
    const auto refuse_it = request.find("refuse");
    c.refuse = refuse_it != request.end() && refuse_it->is_boolean() && refuse_it->get<bool>();
    c.plate = str("plate");
    // What the guard typed, checked before it reaches a lane: a reason or operator that cannot be stored, or a plate
    // that is not a plate, is an error for the guard, never a decision (the ledger checks again).
    for (const auto& [field, text] : {std::pair<const char*, const std::string&>{"operator", c.manual.operator_name},
                                      std::pair<const char*, const std::string&>{"reason", c.manual.reason}}) {
        if (auto problem = gate::textProblem(field, text)) return std::unexpected(*problem);
    }
    if (!c.plate.empty()) {
        auto plate = gate::checkPlate("plate", c.plate);
        if (!plate) return std::unexpected(plate.error());
        c.plate = *plate;
    }
    return c;
}

}  // namespace vg::daemon
