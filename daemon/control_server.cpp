#include "daemon/control_server.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>

#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

namespace vg::daemon {

namespace {

using Socket = boost::asio::local::stream_protocol::socket;

struct Session : std::enable_shared_from_this<Session> {
    Session(Socket s, ControlServer::Handler& h)
        : socket(std::move(s)), timer(socket.get_executor()), handler(h), buffer(64 * 1024) {}

    void start() {
        auto self = shared_from_this();
        timer.expires_after(std::chrono::seconds(10));
        timer.async_wait([self](const boost::system::error_code& ec) {
            if (!ec) self->socket.close();
        });
        boost::asio::async_read_until(
            socket, buffer, '\n', [self](const boost::system::error_code& ec, std::size_t n) { self->onLine(ec, n); });
    }

    void onLine(const boost::system::error_code& ec, std::size_t n) {
        // The request is in (or the client went): from here any wait is the lane's, which the daemon bounds.
        timer.cancel();
        if (ec) return;
        std::string line(boost::asio::buffers_begin(buffer.data()),
                         boost::asio::buffers_begin(buffer.data()) + static_cast<std::ptrdiff_t>(n));
        auto request = nlohmann::json::parse(line, nullptr, false);
        if (request.is_discarded() || !request.is_object()) {
            return respond({{"ok", false}, {"error", "the request is not one JSON object on one line"}});
        }
        auto self = shared_from_this();
        try {
            handler(request, [self](const nlohmann::json& response) { self->respond(response); });
        } catch (const std::exception& e) {
            respond({{"ok", false}, {"error", fmt::format("internal error: {}", e.what())}});
        }
    }

    void respond(const nlohmann::json& response) {
        if (replied) return;  // one response per request
        replied = true;
        reply = response.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
        auto self = shared_from_this();
        boost::asio::async_write(socket, boost::asio::buffer(reply),
                                 [self](const boost::system::error_code&, std::size_t) {
                                     boost::system::error_code ignored;
                                     self->socket.shutdown(Socket::shutdown_both, ignored);
                                     self->socket.close(ignored);
                                 });
    }

    Socket socket;
    boost::asio::steady_timer timer;
    ControlServer::Handler& handler;
    boost::asio::streambuf buffer;
    std::string reply;
    bool replied = false;
};

}  // namespace

ControlServer::ControlServer(boost::asio::io_context& io, std::filesystem::path path, Handler handler)
    : path_(std::move(path)), handler_(std::move(handler)), acceptor_(io) {
    std::error_code ec;
    if (std::filesystem::is_socket(path_, ec)) std::filesystem::remove(path_, ec);  // a stale one from a crash
    using boost::asio::local::stream_protocol;
    boost::system::error_code bec;
    // Created 0660 from the start (umask), so there is no moment in which others could connect.
    const mode_t old_mask = ::umask(0117);
    acceptor_.open(stream_protocol(), bec);
    if (!bec) acceptor_.bind(stream_protocol::endpoint(path_.string()), bec);
    ::umask(old_mask);
    if (!bec) acceptor_.listen(16, bec);
    if (bec) {
        throw std::runtime_error(
            fmt::format("cannot create the control socket {}: {} (control.socket)", path_.string(), bec.message()));
    }
    ::chmod(path_.c_str(), 0660);
    accept();
}

ControlServer::~ControlServer() { close(); }

void ControlServer::close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
    std::error_code fec;
    std::filesystem::remove(path_, fec);
}

void ControlServer::accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, Socket socket) {
        if (ec == boost::asio::error::operation_aborted || closed_) return;
        if (!ec) std::make_shared<Session>(std::move(socket), handler_)->start();
        accept();
    });
}

}  // namespace vg::daemon
