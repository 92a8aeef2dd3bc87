// The guard's control socket: a Unix stream socket (control.socket) created by the daemon with mode 0660, so
// only root and the service group may connect. Protocol (docs/operations.md): one JSON request line, one JSON
// response line, then the daemon closes the connection.
//   {"cmd":"confirm","lane":"entry-1","operator":"王","reason":"plate dirty","plate":"沪A12345","refuse":false}
//   {"cmd":"open"|"hold-open"|"release","lane":"...","operator":"...","reason":"..."}
//   {"cmd":"status"}
// -> {"ok":true,...} or {"ok":false,"error":"..."}. Requests over 64 KiB or idle for 10 s are dropped.
// Runs on the daemon's main io_context (main thread); the handler is called there and may answer later, so a command
// waiting for its lane holds up nothing else. Construction throws
// std::runtime_error when the socket cannot be created (start-up only).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

namespace vg::daemon {

class ControlServer {
  public:
    // The handler answers through `reply`, at once or later (on the main thread), exactly once.
    using Reply = std::function<void(const nlohmann::json& response)>;
    using Handler = std::function<void(const nlohmann::json& request, const Reply& reply)>;
    ControlServer(boost::asio::io_context& io, std::filesystem::path path, Handler handler);
    ~ControlServer();
    void close();  // stops accepting and removes the socket file
    const std::filesystem::path& path() const { return path_; }

  private:
    void accept();
    std::filesystem::path path_;
    Handler handler_;
    boost::asio::local::stream_protocol::acceptor acceptor_;
    bool closed_ = false;
};

}  // namespace vg::daemon
