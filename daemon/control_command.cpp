// Reading a control request into a ControlCommand (see control_command.h).
#include "daemon/control_command.h"

#include <fmt/format.h>

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
    return c;
}

}  // namespace vg::daemon
