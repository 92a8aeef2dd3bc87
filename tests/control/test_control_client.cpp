// The control-socket client (control/control_client.h) against a listening Unix socket in a temp dir: one request
// line out, one JSON answer back; no socket, a garbled answer and a silent daemon are errors of their own kind.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <thread>

#include "control/control_client.h"

namespace {

namespace fs = std::filesystem;
using vg::control::ControlError;
using vg::control::controlRequest;

class ControlClient : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "vg-control-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        socket_ = dir_ / "control.sock";
    }
    void TearDown() override {
        if (listener_ >= 0) ::close(listener_);
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    void listen() {
        listener_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
        ASSERT_GE(listener_, 0);
        sockaddr_un addr{};
        addr.sun_family = AF_UNIX;
        socket_.string().copy(addr.sun_path, sizeof(addr.sun_path) - 1);
        ASSERT_EQ(::bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
        ASSERT_EQ(::listen(listener_, 1), 0);
    }
    // Accepts one client, reads its request line into `request_`, then writes `answer` (or, when `answer` is empty,
    // nothing) and waits for the client to hang up.
    std::thread serveOnce(std::string answer) {
        return std::thread([this, answer = std::move(answer)] {
            const int c = ::accept(listener_, nullptr, nullptr);
            if (c < 0) return;
            char ch = 0;
            while (::read(c, &ch, 1) == 1 && ch != '\n') request_ += ch;
            if (!answer.empty()) (void)!::write(c, answer.data(), answer.size());
            while (::read(c, &ch, 1) == 1) {
            }
            ::close(c);
        });
    }
    fs::path dir_, socket_;
    int listener_ = -1;
    std::string request_;
};

TEST_F(ControlClient, SendsOneLineAndReturnsTheAnswer) {
    listen();
    auto server = serveOnce("{\"ok\":false,\"error\":\"no car waiting\"}\n");
    auto answer = controlRequest(socket_, {{"cmd", "status"}});
    server.join();
    ASSERT_TRUE(answer) << answer.error().message;
    EXPECT_EQ((*answer)["error"], "no car waiting") << "the daemon's refusal is a value";
    EXPECT_EQ(nlohmann::json::parse(request_)["cmd"], "status");
}

TEST_F(ControlClient, NoSocketMeansTheDaemonIsNotRunning) {
    auto answer = controlRequest(socket_, {{"cmd", "status"}});
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ControlError::Kind::NotRunning);
    EXPECT_NE(answer.error().message.find(socket_.string()), std::string::npos) << answer.error().message;
}

TEST_F(ControlClient, AnAnswerThatIsNotJsonIsAProtocolError) {
    listen();
    auto server = serveOnce("hello\n");
    auto answer = controlRequest(socket_, {{"cmd", "status"}});
    server.join();
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ControlError::Kind::Protocol);
}

TEST_F(ControlClient, ASilentDaemonTimesOut) {
    listen();
    auto server = serveOnce("");
    auto answer = controlRequest(socket_, {{"cmd", "status"}}, std::chrono::milliseconds(50));
    server.join();
    ASSERT_FALSE(answer);
    EXPECT_EQ(answer.error().kind, ControlError::Kind::Timeout);
}

}  // namespace
