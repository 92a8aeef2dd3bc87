#include "control/control_client.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vg::control {

namespace {

struct Fd {
    int fd = -1;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

using Clock = std::chrono::steady_clock;

int msLeft(Clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    return left > 0 ? static_cast<int>(left) : 0;
}

ControlError sysError(const std::filesystem::path& path, const char* what, int err) {
    ControlError e;
    if (err == ENOENT || err == ECONNREFUSED) {
        e.kind = ControlError::Kind::NotRunning;
        e.message = fmt::format("cannot reach voucher-gated at {}: {} (is the daemon running? see control.socket)",
                                path.string(), std::strerror(err));
    } else if (err == EACCES || err == EPERM) {
        e.kind = ControlError::Kind::Denied;
        e.message = fmt::format("{}: {} (run as root or as a member of the voucher-gate group)", path.string(),
                                std::strerror(err));
    } else {
        e.kind = ControlError::Kind::Io;
        e.message = fmt::format("{} {}: {}", what, path.string(), std::strerror(err));
    }
    return e;
}

}  // namespace

std::expected<nlohmann::json, ControlError> controlRequest(const std::filesystem::path& socket_path,
                                                           const nlohmann::json& request,
                                                           std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const std::string path = socket_path.string();
    if (path.size() >= sizeof(addr.sun_path)) {
        return std::unexpected(ControlError{ControlError::Kind::Io, "socket path too long: " + path});
    }
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    Fd s{::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)};
    if (s.fd < 0) return std::unexpected(sysError(socket_path, "socket", errno));
    if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 && errno != EINPROGRESS &&
        errno != EAGAIN) {
        return std::unexpected(sysError(socket_path, "connect", errno));
    }
    const std::string line = request.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    std::size_t sent = 0;
    while (sent < line.size()) {
        pollfd p{s.fd, POLLOUT, 0};
        const int rc = ::poll(&p, 1, msLeft(deadline));
        if (rc == 0) return std::unexpected(ControlError{ControlError::Kind::Timeout, "timed out sending to " + path});
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) return std::unexpected(sysError(socket_path, "poll", errno));
        const ssize_t n = ::send(s.fd, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return std::unexpected(sysError(socket_path, "send to", errno));
        }
        sent += static_cast<std::size_t>(n);
    }
    std::string reply;
    char buf[4096];
    while (reply.find('\n') == std::string::npos) {
        pollfd p{s.fd, POLLIN, 0};
        const int rc = ::poll(&p, 1, msLeft(deadline));
        if (rc == 0) {
            return std::unexpected(
                ControlError{ControlError::Kind::Timeout,
                             fmt::format("no answer from voucher-gated at {} within {} ms", path, timeout.count())});
        }
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) return std::unexpected(sysError(socket_path, "poll", errno));
        const ssize_t n = ::recv(s.fd, buf, sizeof(buf), 0);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            return std::unexpected(sysError(socket_path, "receive from", errno));
        }
        if (n == 0) break;
        reply.append(buf, static_cast<std::size_t>(n));
        if (reply.size() > (1u << 20)) break;
    }
    auto parsed = nlohmann::json::parse(reply.substr(0, reply.find('\n')), nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        return std::unexpected(
            ControlError{ControlError::Kind::Protocol, fmt::format("voucher-gated at {} gave no JSON answer", path)});
    }
    return parsed;
}

}  // namespace vg::control
