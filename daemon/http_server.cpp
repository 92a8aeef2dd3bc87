#include "daemon/http_server.h"

#include <fmt/format.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <memory>

namespace vg::daemon {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;

std::pair<tcp::endpoint, std::string> parseListen(const std::string& listen) {
    std::string host;
    std::string port_text;
    if (listen.starts_with("[")) {
        const auto close = listen.find("]:");
        if (close == std::string::npos) return {{}, "expected \"[v6]:port\""};
        host = listen.substr(1, close - 1);
        port_text = listen.substr(close + 2);
    } else {
        const auto colon = listen.rfind(':');
        if (colon == std::string::npos) return {{}, "expected \"host:port\""};
        host = listen.substr(0, colon);
        port_text = listen.substr(colon + 1);
    }
    unsigned port = 0;
    const auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || ptr != port_text.data() + port_text.size() || port > 65535) return {{}, "bad port"};
    if (host == "localhost") host = "127.0.0.1";
    if (host.empty() || host == "*") host = "0.0.0.0";
    boost::system::error_code bec;
    const auto address = boost::asio::ip::make_address(host, bec);
    if (bec) return {{}, fmt::format("\"{}\" is not an IP address", host)};
    return {tcp::endpoint(address, static_cast<unsigned short>(port)), ""};
}

namespace {

struct HttpSession : std::enable_shared_from_this<HttpSession> {
    HttpSession(tcp::socket s, HttpServer::Handler& h) : stream(std::move(s)), handler(h) {}

    void start() {
        stream.expires_after(std::chrono::seconds(10));
        auto self = shared_from_this();
        http::async_read(stream, buffer, request,
                         [self](const beast::error_code& ec, std::size_t) { self->onRead(ec); });
    }

    void onRead(const beast::error_code& ec) {
        if (ec) return;
        HttpReply reply;
        if (request.method() != http::verb::get && request.method() != http::verb::head) {
            reply = {405, "text/plain", "only GET\n"};
        } else {
            reply = handler(std::string(request.target()));
        }
        response.version(request.version());
        response.result(static_cast<unsigned>(reply.status));
        response.set(http::field::server, "voucher-gated");
        response.set(http::field::content_type, reply.content_type);
        response.set(http::field::cache_control, "no-store");
        response.body() = std::move(reply.body);
        response.keep_alive(false);
        response.prepare_payload();
        auto self = shared_from_this();
        http::async_write(stream, response, [self](const beast::error_code&, std::size_t) {
            beast::error_code ignored;
            self->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
        });
    }

    beast::tcp_stream stream;
    HttpServer::Handler& handler;
    beast::flat_buffer buffer;
    http::request<http::empty_body> request;
    http::response<http::string_body> response;
};

}  // namespace

HttpServer::HttpServer(boost::asio::io_context& io, const std::string& listen, Handler handler)
    : acceptor_(io), handler_(std::move(handler)) {
    const auto [endpoint, error] = parseListen(listen);
    if (!error.empty()) throw std::runtime_error(fmt::format("http.listen \"{}\": {}", listen, error));
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot listen on {} (http.listen): {}", listen, ec.message()));
    accept();
}

unsigned short HttpServer::port() const {
    boost::system::error_code ec;
    return acceptor_.local_endpoint(ec).port();
}

void HttpServer::close() {
    closed_ = true;
    boost::system::error_code ec;
    acceptor_.close(ec);
}

void HttpServer::accept() {
    acceptor_.async_accept([this](const boost::system::error_code& ec, tcp::socket socket) {
        if (ec == boost::asio::error::operation_aborted || closed_) return;
        if (!ec) std::make_shared<HttpSession>(std::move(socket), handler_)->start();
        accept();
    });
}

}  // namespace vg::daemon
