// A console on loopback for the HTTP tests: a scratch site (config, ledger and keys made by the real CLI), the
// Console with a manual clock, the Beast server on 127.0.0.1:0 with its io thread, and a small Beast client.
#pragma once

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <regex>
#include <string>
#include <thread>

#include "config/config_loader.h"
#include "fakes/manual_clock.h"
#include "gate/audit_chain.h"
#include "gate/key_ring.h"
#include "gate/ledger.h"
#include "web/console.h"
#include "web/http.h"

namespace vg::testing {

namespace fs = std::filesystem;

struct Reply {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-case names; Set-Cookie: the last one
    std::string body;
    std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? "" : it->second;
    }
};

struct ShellRun {
    int rc = -1;
    std::string out;
};

inline ShellRun shell(const std::string& cmd) {
    ShellRun r;
    FILE* p = ::popen(cmd.c_str(), "r");
    if (p == nullptr) return r;
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
    const int raw = ::pclose(p);
    r.rc = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
    return r;
}

// The month the tests live in: 2026-11-20 10:00 in Asia/Shanghai.
inline gate::TimePoint testNow() {
    auto zone = gate::SiteZone::make("Asia/Shanghai");
    return *zone->parse("2026-11-20T10:00:00");
}
inline constexpr const char* kTestNow = "2026-11-20T10:00:00";

class ConsoleSite {
  public:
    // `extra` is more TOML appended to the config (e.g. the [control] socket of a daemon site).
    explicit ConsoleSite(const std::string& extra = "", std::optional<fs::path> dir_in = std::nullopt)
        : clock(testNow()) {
        if (dir_in) {
            dir = *dir_in;
            config_path = dir / "voucher-gate.toml";
        } else {
            dir = fs::temp_directory_path() / fmt::format("vg-web-{}-{}", ::getpid(), counter()++);
            fs::remove_all(dir);
            fs::create_directories(dir);
            config_path = dir / "voucher-gate.toml";
            std::ofstream(config_path) << fmt::format(
                "[site]\nname = \"春光苑\"\nphone = \"021-62345678\"\n[vouchers]\nkey_file = \"{0}/voucher.keys\"\n"
                "[database]\npath = \"{0}/ledger.db\"\nspool_path = \"{0}/spool.jsonl\"\n"
                "[audit]\nkey_file = \"{0}/audit.key\"\n[web]\nsession_idle = \"30m\"\n{1}",
                dir.string(), extra);
            EXPECT_EQ(cli("init").rc, 0);
        }
        owns_dir = !dir_in;
        auto loaded = config::load(config_path);
        EXPECT_TRUE(loaded.has_value()) << (loaded ? "" : loaded.error().str());
        settings = *loaded;
        zone.emplace(*gate::SiteZone::make(settings.site.timezone));
        pool = std::make_unique<web::LedgerPool>([this] {
            gate::LedgerOptions o{.path = settings.database.path, .busy_timeout = std::chrono::seconds(2)};
            return std::make_unique<gate::Ledger>(o, *gate::AuditKey::load(settings.audit.key_file),
                                                  *gate::KeyRing::load(settings.vouchers.key_file), *zone);
        });
        console = std::make_unique<web::Console>(
            web::ConsoleDeps{.settings = settings, .zone = *zone, .clock = clock, .ledgers = *pool});
        server = std::make_unique<web::HttpServer>(io, workers, "127.0.0.1:0",
                                                   [this](const web::Request& r) { return console->handle(r); });
        guard.emplace(io.get_executor());
        io_thread = std::thread([this] { io.run(); });
    }
    ~ConsoleSite() {
        server->close();
        guard.reset();
        io.stop();
        io_thread.join();
        workers.join();
        if (owns_dir && std::getenv("VG_KEEP_TEST_DIRS") == nullptr) fs::remove_all(dir);
    }
    ConsoleSite(const ConsoleSite&) = delete;
    ConsoleSite& operator=(const ConsoleSite&) = delete;

    // The real CLI on this site's config, at the tests' time.
    ShellRun cli(const std::string& args, const std::string& stdin_text = "") const {
        const std::string input = stdin_text.empty() ? "" : fmt::format("printf '%s\\n' '{}' | ", stdin_text);
        return shell(fmt::format("{}'{}' --config '{}' --now {} {} 2>&1", input, VG_CLI_BIN, config_path.string(),
                                 kTestNow, args));
    }

    void addUser(const std::string& name, const std::string& role, const std::string& password = "correct-horse") {
        auto r = cli(fmt::format("user add {} --role {} --password-stdin", name, role), password);
        ASSERT_EQ(r.rc, 0) << r.out;
    }

    Reply request(const std::string& method, const std::string& target, const std::string& body = "",
                  const std::string& cookie = "",
                  const std::string& content_type = "application/x-www-form-urlencoded") {
        namespace beast = boost::beast;
        namespace http = beast::http;
        boost::asio::io_context cio;
        beast::tcp_stream stream(cio);
        stream.connect(boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), server->port()));
        http::request<http::string_body> req{method == "POST" ? http::verb::post : http::verb::get, target, 11};
        req.set(http::field::host, "127.0.0.1");
        if (!cookie.empty()) req.set(http::field::cookie, cookie);
        if (method == "POST") {
            req.set(http::field::content_type, content_type);
            req.body() = body;
            req.prepare_payload();
        }
        http::write(stream, req);
        beast::flat_buffer buffer;
        http::response_parser<http::string_body> parser;
        parser.body_limit(64 * 1024 * 1024);
        http::read(stream, buffer, parser);
        const auto& res = parser.get();
        Reply out;
        out.status = static_cast<int>(res.result_int());
        for (const auto& f : res) {
            std::string name(f.name_string());
            for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
            out.headers[name] = std::string(f.value());
        }
        out.body = res.body();
        beast::error_code ec;
        stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
        return out;
    }

    static std::string field(const std::string& html, const std::string& name) {
        const std::regex re("name=\"" + name + "\" value=\"([^\"]*)\"");
        std::smatch m;
        return std::regex_search(html, m, re) ? m[1].str() : std::string();
    }

    // Logs in through the login page; returns "vg_session=..." for the Cookie header ("" when refused).
    std::string login(const std::string& name, const std::string& password = "correct-horse", int* status = nullptr) {
        const auto page = request("GET", "/");
        const auto csrf = field(page.body, "csrf");
        const auto r = request("POST", "/login", fmt::format("username={}&password={}&csrf={}", name, password, csrf));
        if (status != nullptr) *status = r.status;
        const auto cookie = r.header("set-cookie");
        if (r.status != 303 || cookie.empty()) return "";
        return cookie.substr(0, cookie.find(';'));
    }

    // The CSRF token of a logged-in page.
    std::string csrf(const std::string& cookie, const std::string& page = "/inside") {
        return field(request("GET", page, "", cookie).body, "csrf");
    }

    fs::path dir;
    fs::path config_path;
    bool owns_dir = true;
    fakes::ManualClock clock;
    config::Settings settings;
    std::optional<gate::SiteZone> zone;
    std::unique_ptr<web::LedgerPool> pool;
    std::unique_ptr<web::Console> console;
    boost::asio::io_context io;
    boost::asio::thread_pool workers{2};
    std::unique_ptr<web::HttpServer> server;
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guard;
    std::thread io_thread;

  private:
    static int& counter() {
        static int c = 0;
        return c;
    }
};

}  // namespace vg::testing
