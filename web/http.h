// The console's HTTP layer (Boost.Beast): requests and responses as plain values, and a server that reads on the
// io_context's thread and runs the handler on a worker pool, so that a slow client or a slow page never holds up
// another. Bodies up to 4 MiB (a vehicle spreadsheet), 30 s to send a request, keep-alive up to 100 requests.
// Construction throws std::runtime_error when the address cannot be bound (start-up only).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vg::web {

struct Request {
    std::string method;  // "GET", "POST", ...
    std::string path;    // the target without its query, percent-decoded
    std::map<std::string, std::string> query;
    std::string body;
    std::string content_type;
    std::map<std::string, std::string> cookies;
    std::string remote;  // the peer's address (rate limiting)
    std::string origin;  // the Origin header, if any
    std::string host;    // the Host header

    std::optional<std::string> param(const std::string& name) const;  // from the query
};

struct Response {
    int status = 200;
    std::string content_type = "text/html; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // e.g. Set-Cookie, Location, Content-Disposition

    static Response redirect(const std::string& location, int status = 303);
    static Response text(int status, std::string body);
};

using Handler = std::function<Response(const Request&)>;

// "127.0.0.1:8081" or "[::1]:8081" -> the endpoint; the error in words otherwise.
std::pair<boost::asio::ip::tcp::endpoint, std::string> parseListen(const std::string& listen);

class HttpServer {
  public:
    HttpServer(boost::asio::io_context& io, boost::asio::thread_pool& workers, const std::string& listen,
               Handler handler);
    void close();
    unsigned short port() const;

  private:
    void accept();
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::thread_pool& workers_;
    Handler handler_;
    bool closed_ = false;
};

// Text helpers shared by the request parser and the forms (form.cpp).
std::string percentDecode(std::string_view s, bool plus_is_space);
// A query value for a link: everything but unreserved ASCII percent-encoded (UTF-8 bytes included).
std::string percentEncode(std::string_view s);
std::map<std::string, std::string> parseUrlEncoded(std::string_view s);
std::map<std::string, std::string> parseCookies(std::string_view header);

}  // namespace vg::web
