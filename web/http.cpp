#include "web/http.h"

#include <fmt/format.h>

#include <boost/asio/post.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <exception>
#include <memory>

namespace vg::web {

namespace beast = boost::beast;
namespace http = beast::http;
using boost::asio::ip::tcp;

std::optional<std::string> Request::param(const std::string& name) const {
    const auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return it->second;
}

Response Response::redirect(const std::string& location, int status) {
    Response r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    // A control character (a line break above all) would end the header and start another one: whatever the
    // caller passed, the header carries it percent-encoded.
    std::string safe;
    for (const char ch : location) {
        const auto b = static_cast<unsigned char>(ch);
        safe += b < 0x20 || b == 0x7F ? fmt::format("%{:02X}", b) : std::string(1, ch);
    }
    r.headers.emplace_back("Location", std::move(safe));
    return r;
}

Response Response::text(int status, std::string body) {
    Response r;
    r.status = status;
    r.content_type = "text/plain; charset=utf-8";
    r.body = std::move(body);
    return r;
}

namespace {

int hexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::string percentDecode(std::string_view s, bool plus_is_space) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        const char c = s[i];
        if (c == '+' && plus_is_space) {
            out += ' ';
        } else if (c == '%' && i + 2 < s.size() && hexValue(s[i + 1]) >= 0 && hexValue(s[i + 2]) >= 0) {
            out += static_cast<char>(hexValue(s[i + 1]) * 16 + hexValue(s[i + 2]));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

std::string percentEncode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            out += ch;
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

std::map<std::string, std::string> parseUrlEncoded(std::string_view s) {
    std::map<std::string, std::string> out;
    while (!s.empty()) {
        const auto amp = s.find('&');
        const std::string_view pair = s.substr(0, amp);
        s = amp == std::string_view::npos ? std::string_view{} : s.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        std::string key = percentDecode(pair.substr(0, eq), true);
        std::string value = eq == std::string_view::npos ? "" : percentDecode(pair.substr(eq + 1), true);
        out.emplace(std::move(key), std::move(value));  // the first of repeated keys wins
    }
    return out;
}

std::map<std::string, std::string> parseCookies(std::string_view header) {
    std::map<std::string, std::string> out;
    while (!header.empty()) {
        const auto semi = header.find(';');
        std::string_view item = header.substr(0, semi);
        header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        const auto eq = item.find('=');
        if (eq == std::string_view::npos || eq == 0) continue;
        out.emplace(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    }
    return out;
}

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
    boost::system::error_code bec;
    const auto address = boost::asio::ip::make_address(host, bec);
    if (bec) return {{}, fmt::format("\"{}\" is not an IP address", host)};
    return {tcp::endpoint(address, static_cast<unsigned short>(port)), ""};
}

namespace {

constexpr std::size_t kBodyLimit = 4 * 1024 * 1024;
constexpr int kMaxRequestsPerConnection = 100;

Request toRequest(const http::request<http::string_body>& in, const std::string& remote) {
    Request r;
    r.method = std::string(in.method_string());
    const std::string target(in.target());
    const std::string_view target_view = target;
    const auto q = target_view.find('?');
    r.path = percentDecode(target_view.substr(0, q), false);
    if (q != std::string_view::npos) r.query = parseUrlEncoded(target_view.substr(q + 1));
    r.body = in.body();
    r.content_type = std::string(in[http::field::content_type]);
    r.cookies = parseCookies(std::string(in[http::field::cookie]));
    r.origin = std::string(in[http::field::origin]);
    r.host = std::string(in[http::field::host]);
    r.remote = remote;
    return r;
}

struct Connection : std::enable_shared_from_this<Connection> {
    Connection(tcp::socket s, boost::asio::thread_pool& w, Handler& h) : stream(std::move(s)), workers(w), handler(h) {
        boost::system::error_code ec;
        const auto peer = stream.socket().remote_endpoint(ec);
        remote = ec ? "" : peer.address().to_string();
    }

    void read() {
        parser.emplace();
        parser->body_limit(kBodyLimit);
        stream.expires_after(std::chrono::seconds(30));
        http::async_read(stream, buffer, *parser,
                         [self = shared_from_this()](const beast::error_code& ec, std::size_t) { self->onRead(ec); });
    }

    void onRead(const beast::error_code& ec) {
        if (ec == http::error::body_limit) {
            send(Response::text(413, "请求太大（最多 4 MiB）。\n"), false);
            return;
        }
        if (ec) return;  // closed, timed out or garbage: nothing to answer
        stream.expires_never();
        // The page runs on a worker; the answer is written back on this connection's own executor.
        boost::asio::post(workers, [self = shared_from_this()] {
            const auto& in = self->parser->get();
            Response out;
            try {
                out = self->handler(toRequest(in, self->remote));
            } catch (const std::exception& e) {
                out = Response::text(500, fmt::format("内部错误：{}\n", e.what()));
            }
            const bool keep = in.keep_alive() && ++self->served < kMaxRequestsPerConnection;
            boost::asio::post(self->stream.get_executor(),
                              [self, out = std::move(out), keep]() mutable { self->send(std::move(out), keep); });
        });
    }

    void send(Response out, bool keep) {
        auto res = std::make_shared<http::response<http::string_body>>();
        res->version(11);
        res->result(static_cast<unsigned>(out.status));
        res->set(http::field::server, "voucher-gate-web");
        res->set(http::field::content_type, out.content_type);
        res->set(http::field::cache_control, "no-store");
        res->set("X-Content-Type-Options", "nosniff");
        res->set("X-Frame-Options", "DENY");
        res->set("Referrer-Policy", "same-origin");
        res->set("Content-Security-Policy",
                 "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' "
                 "'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
        for (const auto& [k, v] : out.headers) res->insert(k, v);
        res->body() = std::move(out.body);
        res->keep_alive(keep);
        res->prepare_payload();
        stream.expires_after(std::chrono::seconds(30));
        http::async_write(stream, *res,
                          [self = shared_from_this(), res, keep](const beast::error_code& ec, std::size_t) {
                              if (ec) return;
                              if (keep) {
                                  self->read();
                              } else {
                                  beast::error_code ignored;
                                  self->stream.socket().shutdown(tcp::socket::shutdown_send, ignored);
                              }
                          });
    }

    beast::tcp_stream stream;
    boost::asio::thread_pool& workers;
    Handler& handler;
    beast::flat_buffer buffer;
    std::optional<http::request_parser<http::string_body>> parser;
    std::string remote;
    int served = 0;
};

}  // namespace

HttpServer::HttpServer(boost::asio::io_context& io, boost::asio::thread_pool& workers, const std::string& listen,
                       Handler handler)
    : acceptor_(io), workers_(workers), handler_(std::move(handler)) {
    const auto [endpoint, error] = parseListen(listen);
    if (!error.empty()) throw std::runtime_error(fmt::format("web.listen \"{}\": {}", listen, error));
    boost::system::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(boost::asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error(fmt::format("cannot listen on {} (web.listen): {}", listen, ec.message()));
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
        if (!ec) std::make_shared<Connection>(std::move(socket), workers_, handler_)->read();
        accept();
    });
}

}  // namespace vg::web
