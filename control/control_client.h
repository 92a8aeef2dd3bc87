// The client side of the daemon's control socket (confirm, open, hold-open, release, status), used by the CLI and
// the web console: one JSON request line, one JSON response line (protocol in daemon/control_server.h and
// docs/operations.md). Plain POSIX socket with a deadline for the whole exchange; no Asio, no relay code.
// Thread-safe (no shared state); never throws except std::bad_alloc: every failure is a ControlError.
#pragma once

#include <chrono>
#include <expected>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

namespace vg::control {

struct ControlError {
    enum class Kind {
        NotRunning,  // no socket, or nobody listening: is voucher-gated running? (control.socket)
        Denied,      // permission denied: the caller is not in the service group
        Timeout,     // no complete answer within the deadline
        Io,          // any other socket error
        Protocol,    // the answer is not one JSON object
    };
    Kind kind = Kind::Io;
    std::string message;  // names the socket and the fix
};

// Sends `request` (a JSON object) and returns the daemon's answer ({"ok":..., ...}). The answer's own "ok":false
// is a value, not a ControlError: the daemon refused (no car waiting, unknown lane...) and says why in "error".
std::expected<nlohmann::json, ControlError> controlRequest(
    const std::filesystem::path& socket_path, const nlohmann::json& request,
    std::chrono::milliseconds timeout = std::chrono::seconds(10));

}  // namespace vg::control
