// A guard's request on the control socket (control_server.h shows the protocol) read into a value. Pure: no
// lane, no daemon state. The only error is an unknown command; whether the daemon takes commands (not while
// stopping), whether the lane exists and whether operator and reason are given are App::control()'s checks,
// made in that order so that the reply names the first of them that fails. Thread-safe; nothing throws but
// std::bad_alloc.
#pragma once

#include <expected>
#include <nlohmann/json.hpp>
#include <string>

#include "gate/ledger.h"

namespace vg::daemon {

struct ControlCommand {
    std::string cmd;      // "status", "confirm", "open", "hold-open" or "release"
    std::string lane;     // for the lane commands, as are the fields below
    gate::Manual manual;  // "operator" and "reason", audited
    bool refuse = false;  // confirm: refuse the held car instead of admitting it
    std::string plate;    // confirm: the plate the guard read; "" = none
};

// A field that is absent or of the wrong type reads as "" (refuse: as false). The error is the reply's text.
std::expected<ControlCommand, std::string> parseControlCommand(const nlohmann::json& request);

}  // namespace vg::daemon
