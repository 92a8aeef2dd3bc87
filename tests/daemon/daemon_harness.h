// Helpers for the integration tests that run the real voucher-gated (VG_DAEMON_BIN) and voucher-gate
// (VG_CLI_BIN): a temp site with its own config, ledger and keys, clips made by vg-lane-clips, the daemon as a
// child process with its log in a file, and waits that poll files with a deadline (never a fixed sleep).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gate/parse_number.h"

namespace vg::testing {

namespace fs = std::filesystem;
using Json = nlohmann::json;

inline const std::string kClipTool = std::string(VG_BINARY_DIR) + "/daemon/vg-lane-clips";

struct Run {
    int rc = -1;
    std::string out;
};

inline Run run(const std::string& cmd) {
    Run r;
    FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
    if (p == nullptr) return r;
    char buf[4096];
    size_t n = 0;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
    const int status = ::pclose(p);
    r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

inline std::string quote(const std::string& s) { return "'" + s + "'"; }

// Polls `done` every 25 ms until it holds or `limit` passes.
inline bool waitFor(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return done();
}

inline std::vector<std::string> fileLines(const fs::path& p) {
    std::vector<std::string> out;
    std::ifstream in(p);
    std::string line;
    while (std::getline(in, line)) out.push_back(line);
    return out;
}

// The JSON of every log line "... EVENT {json}".
inline std::vector<Json> events(const fs::path& log, const std::string& event) {
    std::vector<Json> out;
    const std::string key = " " + event + " {";
    for (const auto& line : fileLines(log)) {
        const auto at = line.find(key);
        if (at == std::string::npos) continue;
        auto j = Json::parse(line.substr(at + key.size() - 1), nullptr, false);
        if (!j.is_discarded()) out.push_back(j);
    }
    return out;
}

inline std::vector<Json> relayActions(const fs::path& file) {
    std::vector<Json> out;
    for (const auto& line : fileLines(file)) out.push_back(Json::parse(line));  // throws on a torn line
    return out;
}

inline int count(const std::vector<Json>& v, const std::string& key, const std::string& value) {
    int n = 0;
    for (const auto& j : v) n += j.contains(key) && j[key] == value;
    return n;
}

// One JSON request line to the control socket, one JSON answer line back.
inline Json control(const fs::path& socket_path, const Json& request) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", socket_path.c_str());
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return Json{{"ok", false}, {"error", "connect failed"}};
    }
    const std::string line = request.dump() + "\n";
    (void)::write(fd, line.data(), line.size());
    std::string reply;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) reply.append(buf, static_cast<size_t>(n));
    ::close(fd);
    return Json::parse(reply);
}

// GET http://127.0.0.1:port/path -> status code and body (Connection: close).
inline std::pair<int, std::string> httpGet(int port, const std::string& path) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
        ::close(fd);
        return {0, ""};
    }
    const std::string req = "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    (void)::write(fd, req.data(), req.size());
    std::string reply;
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fd, buf, sizeof(buf))) > 0) reply.append(buf, static_cast<size_t>(n));
    ::close(fd);
    if (reply.size() < 12) return {0, reply};
    const auto body = reply.find("\r\n\r\n");
    return {gate::parseNumber<int>(reply.substr(9, 3)).value_or(0),
            body == std::string::npos ? "" : reply.substr(body + 4)};
}

struct LaneSpec {
    std::string name;
    std::string direction = "entry";
    std::string extra;  // more TOML lines for the lane table
};

// A site in a temp directory: config, ledger, keys, sockets, relay files, clips.
class Site {
  public:
    explicit Site(const std::string& tag) {
        dir = fs::temp_directory_path() / fmt::format("vg-it-{}-{}-{}", tag, ::getpid(), counter()++);
        fs::remove_all(dir);
        fs::create_directories(dir);
        port = 20000 + static_cast<int>((::getpid() * 7 + counter() * 131) % 20000);
    }
    ~Site() {
        stopDaemon();
        if (std::getenv("VG_KEEP_TEST_DIRS") == nullptr) fs::remove_all(dir);
    }

    fs::path dir;
    fs::path config() const { return dir / "voucher-gate.toml"; }
    fs::path log() const { return dir / "daemon.log"; }
    fs::path socket() const { return dir / "control.sock"; }
    fs::path relayFile(const std::string& lane) const { return dir / ("relay-" + lane + ".jsonl"); }
    fs::path clip(const std::string& lane) const { return dir / ("clip-" + lane); }
    int port = 0;
    pid_t pid = -1;
    std::string globals;  // extra top-level TOML (sections), e.g. "[stay]\nmax = \"4h\"\n"
    // plate_timeout leaves room for a slow plate vote: under ASan on 2 cores the plate reader (at a lower priority
    // than capture and QR) may get only a frame or two a second. These tests run one at a time (RUN_SERIAL).
    std::string lanes_section = "[lanes]\nrepeat_window = \"2s\"\nplate_timeout = \"6s\"\npair_window = \"10s\"\n";
    std::vector<LaneSpec> lanes;

    void writeConfig() const {
        std::ofstream out(config());
        out << "[vouchers]\nper_month = 4\nkey_file = \"" << (dir / "voucher.keys").string() << "\"\n"
            << "[database]\npath = \"" << (dir / "ledger.db").string() << "\"\nspool_path = \""
            << (dir / "spool.jsonl").string() << "\"\nbusy_timeout = \"500ms\"\n"
            << "[audit]\nkey_file = \"" << (dir / "audit.key").string() << "\"\n"
            << "[http]\nlisten = \"127.0.0.1:" << port << "\"\n"
            << "[control]\nsocket = \"" << socket().string() << "\"\n"
            << globals << lanes_section;
        for (const auto& l : lanes) {
            fs::create_directories(clip(l.name));
            out << "[[lane]]\nname = \"" << l.name << "\"\ndirection = \"" << l.direction << "\"\nplate_camera = \""
                << clip(l.name).string() << "\"\ncamera_fps = 10\n"
                << l.extra << "[lane.relay]\ndriver = \"sim\"\nfile = \"" << relayFile(l.name).string() << "\"\n";
        }
    }

    Run cli(const std::string& args) const {
        return run(fmt::format("{} --config {} {}", VG_CLI_BIN, quote(config().string()), args));
    }

    // init + one household + n vouchers for the current month; returns the tokens.
    std::vector<std::string> issue(int n, const std::string& unit = "12-301") {
        writeConfig();
        EXPECT_EQ(cli("init").rc, 0);
        auto h = cli(fmt::format("household add {} --category living-alone", unit));
        EXPECT_EQ(h.rc, 0) << h.out;
        const auto now = std::chrono::system_clock::now() + std::chrono::hours(8);  // Asia/Shanghai
        const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(now)};
        const std::string month =
            fmt::format("{:04}-{:02}", static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()));
        auto r = cli(fmt::format("--json issue {} --month {} --count {}", unit, month, n));
        EXPECT_EQ(r.rc, 0) << r.out;
        std::vector<std::string> tokens;
        std::istringstream in(r.out);
        std::string line;
        while (std::getline(in, line)) {
            auto j = Json::parse(line, nullptr, false);
            if (!j.is_discarded() && j.contains("token")) tokens.push_back(j["token"]);
        }
        EXPECT_EQ(static_cast<int>(tokens.size()), n) << r.out;
        return tokens;
    }

    // Scene lines for vg-lane-clips (see daemon/demo/lane_clips.cpp).
    void makeClip(const std::string& lane, const std::string& scenes) {
        const fs::path scene_file = dir / ("scenes-" + lane + ".txt");
        std::ofstream(scene_file) << scenes;
        auto r = run(fmt::format("{} {} {}", kClipTool, quote(clip(lane).string()), quote(scene_file.string())));
        ASSERT_EQ(r.rc, 0) << r.out;
    }

    std::vector<std::pair<std::string, std::string>> env;  // extra environment for the daemon

    void startDaemon() {
        writeConfig();
        pid = ::fork();
        if (pid == 0) {
            for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
            if (!env.empty()) ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
            const int fd = ::open(log().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
            ::dup2(fd, 1);
            ::dup2(fd, 2);
            ::execl(VG_DAEMON_BIN, VG_DAEMON_BIN, "--config", config().c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        ASSERT_TRUE(waitFor([&] { return !events(log(), "STARTED").empty() || exited(); }, std::chrono::seconds(30)))
            << logText();
        ASSERT_FALSE(exited()) << logText();
    }

    bool exited() {
        if (pid <= 0) return true;
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            pid = -1;
            return true;
        }
        return false;
    }

    void signal(int signo) const {
        if (pid > 0) ::kill(pid, signo);
    }

    // SIGTERM and wait; returns the exit status.
    int stopDaemon() {
        if (pid <= 0) return exit_status;
        ::kill(pid, SIGTERM);
        if (!waitFor([&] { return exited(); }, std::chrono::seconds(20))) {
            ::kill(pid, SIGKILL);
            (void)waitFor([&] { return exited(); }, std::chrono::seconds(5));
        }
        return exit_status;
    }

    std::vector<Json> decisions() const { return events(log(), "DECISION"); }
    std::string logText() const {
        std::ifstream in(log());
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }
    bool waitDecisions(size_t n, std::chrono::seconds limit = std::chrono::seconds(60)) {
        return waitFor([&] { return decisions().size() >= n || exited(); }, limit);
    }

    int exit_status = -1;

  private:
    static int& counter() {
        static int c = 0;
        return c;
    }
};

}  // namespace vg::testing
