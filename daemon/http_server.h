// The daemon's HTTP endpoint (Boost.Beast, http.listen): GET /healthz (JSON, 200 healthy / 503 not) and GET /metrics
// (Prometheus text). One request per connection, bodies ignored, 10 s per connection. Runs on the daemon's main
// io_context; the handlers are called on the main thread. Construction throws std::runtime_error when the address
// cannot be bound (start-up only).
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <string>
#include <utility>

namespace vg::daemon {

struct HttpReply {
    int status = 200;
    std::string content_type;
    std::string body;
};

class HttpServer {
  public:
    using Handler = std::function<HttpReply(const std::string& target)>;
    HttpServer(boost::asio::io_context& io, const std::string& listen, Handler handler);
    void close();
    unsigned short port() const;  // the bound port (useful with "127.0.0.1:0")

  private:
    void accept();
    boost::asio::ip::tcp::acceptor acceptor_;
    Handler handler_;
    bool closed_ = false;
};

// "127.0.0.1:8080" or "[::1]:8080" -> endpoint; error text otherwise.
std::pair<boost::asio::ip::tcp::endpoint, std::string> parseListen(const std::string& listen);

}  // namespace vg::daemon
