// The relay drivers that talk to a module: modbus-tcp against a real libmodbus server on loopback, serial (LCUS
// frames) against a pseudo-terminal. Each switch is checked where the module sees it; a module that goes away is a
// fault naming the driver and the module, never a silent success.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <modbus.h>
#include <pty.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>
#include <vector>

#include "gate/relay/relay.h"
#include "gate/relay/serial_relay.h"

namespace vg::relay {
namespace {

using namespace std::chrono_literals;

NowFn fixedNow() {
    return [] { return WallTime{std::chrono::sys_days{std::chrono::year{2026} / 11 / 20}}; };
}

// A Modbus TCP relay module on 127.0.0.1: 16 coils; every coil value the module holds after each request is logged.
class FakeModbusModule {
  public:
    FakeModbusModule() {
        mapping_ = modbus_mapping_new(16, 0, 0, 0);
        for (int attempt = 0; attempt < 50 && listen_fd_ < 0; ++attempt) {
            port_ = 20000 + static_cast<int>((::getpid() * 7 + attempt * 131) % 20000);
            ctx_ = modbus_new_tcp("127.0.0.1", port_);
            listen_fd_ = modbus_tcp_listen(ctx_, 1);
            if (listen_fd_ < 0) {
                modbus_free(ctx_);
                ctx_ = nullptr;
            }
        }
        if (listen_fd_ >= 0) thread_ = std::thread([this] { serve(); });
    }
    ~FakeModbusModule() {
        stop();
        if (thread_.joinable()) thread_.join();
        if (ctx_ != nullptr) modbus_free(ctx_);
        modbus_mapping_free(mapping_);
    }
    bool ok() const { return listen_fd_ >= 0; }
    int port() const { return port_; }
    // The module vanishes: the connection and the listener are shut.
    void stop() {
        if (stopped_.exchange(true)) return;
        if (const int fd = client_fd_.load(); fd >= 0) ::shutdown(fd, SHUT_RDWR);
        ::shutdown(listen_fd_, SHUT_RDWR);
    }
    // The log once it holds `n` entries (or what it holds after 5 s): the module logs a request after its reply
    // has gone out, so the client can see the reply before the module's thread has logged it.
    std::vector<int> coilLog(std::size_t n) {
        std::unique_lock lock(mutex_);
        logged_.wait_for(lock, 5s, [&] { return log_.size() >= n; });
        return log_;
    }

  private:
    void serve() {
        while (!stopped_) {
            int listener = listen_fd_;
            const int fd = modbus_tcp_accept(ctx_, &listener);  // the connection; the listener stays open
            if (fd < 0) break;
            client_fd_ = fd;
            std::uint8_t query[MODBUS_TCP_MAX_ADU_LENGTH];
            for (;;) {
                const int n = modbus_receive(ctx_, query);
                if (n < 0) break;
                if (n == 0) continue;
                modbus_reply(ctx_, query, n, mapping_);
                {
                    std::lock_guard lock(mutex_);
                    log_.push_back(mapping_->tab_bits[3]);
                }
                logged_.notify_all();
            }
            ::close(fd);
            client_fd_ = -1;
        }
        ::close(listen_fd_);
    }

    modbus_t* ctx_ = nullptr;
    modbus_mapping_t* mapping_ = nullptr;
    int port_ = 0;
    int listen_fd_ = -1;
    std::atomic<int> client_fd_{-1};
    std::atomic<bool> stopped_{false};
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable logged_;
    std::vector<int> log_;
};

RelayOptions modbusOptions(int port) {
    RelayOptions o;
    o.kind = RelayKind::ModbusTcp;
    o.lane = "entry-1";
    o.host = "127.0.0.1";
    o.port = port;
    o.unit = 1;
    o.coil = 3;
    o.timeout = 500ms;
    return o;
}

TEST(ModbusTcpRelay, ReleasesAtStartupPulsesTheCoilAndReadsEverySwitchBack) {
    FakeModbusModule module;
    ASSERT_TRUE(module.ok()) << "no free loopback port for the fake module";
    boost::asio::io_context io;
    auto relay = makeRelay(io.get_executor(), modbusOptions(module.port()), fixedNow());
    ASSERT_TRUE(relay) << relay.error().str();
    EXPECT_EQ((*relay)->driver(), "modbus-tcp");
    // start-up: write 0, read back 0
    EXPECT_EQ(module.coilLog(2), (std::vector<int>{0, 0}));
    ASSERT_TRUE((*relay)->pulse(1ms, "audit:7"));
    EXPECT_EQ((*relay)->state(), RelayState::Pulsing);
    EXPECT_EQ(module.coilLog(4), (std::vector<int>{0, 0, 1, 1}));
    io.run();  // the pulse's timer ends it
    EXPECT_EQ((*relay)->state(), RelayState::Released);
    EXPECT_EQ(module.coilLog(6), (std::vector<int>{0, 0, 1, 1, 0, 0}));
}

TEST(ModbusTcpRelay, AModuleThatDoesNotAnswerIsAnErrorNamingIt) {
    FakeModbusModule module;
    ASSERT_TRUE(module.ok());
    const int port = module.port();
    module.stop();  // nothing listens there any more
    boost::asio::io_context io;
    auto relay = makeRelay(io.get_executor(), modbusOptions(port), fixedNow());
    ASSERT_FALSE(relay);
    EXPECT_EQ(relay.error().driver, "modbus-tcp");
    EXPECT_NE(relay.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
        << relay.error().message;
}

TEST(ModbusTcpRelay, AModuleThatGoesAwayMakesThePulseFailInsteadOfPretending) {
    FakeModbusModule module;
    ASSERT_TRUE(module.ok());
    boost::asio::io_context io;
    auto relay = makeRelay(io.get_executor(), modbusOptions(module.port()), fixedNow());
    ASSERT_TRUE(relay) << relay.error().str();
    module.stop();
    const auto r = (*relay)->pulse(1ms, "audit:8");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().driver, "modbus-tcp");
    EXPECT_NE(r.error().message.find("coil 3"), std::string::npos) << r.error().message;
    EXPECT_NE((*relay)->state(), RelayState::Pulsing);
}

TEST(SerialRelay, WritesLcusFramesForStartupPulseAndItsEnd) {
    int master = -1, slave = -1;
    char name[256] = {};
    ASSERT_EQ(::openpty(&master, &slave, name, nullptr, nullptr), 0);
    ::fcntl(master, F_SETFL, O_NONBLOCK);
    const auto take = [&] {
        std::vector<int> bytes;
        unsigned char buf[64];
        for (ssize_t n; (n = ::read(master, buf, sizeof buf)) > 0;) bytes.insert(bytes.end(), buf, buf + n);
        return bytes;
    };
    RelayOptions o;
    o.kind = RelayKind::Serial;
    o.lane = "exit-1";
    o.device = name;
    o.baud = 9600;
    o.channel = 2;
    o.timeout = 500ms;
    boost::asio::io_context io;
    {
        auto relay = makeRelay(io.get_executor(), o, fixedNow());
        ASSERT_TRUE(relay) << relay.error().str();
        EXPECT_EQ(take(), (std::vector<int>{0xA0, 0x02, 0x00, 0xA2}));  // released at start-up
        ASSERT_TRUE((*relay)->pulse(1ms, "audit:9"));
        EXPECT_EQ(take(), (std::vector<int>{0xA0, 0x02, 0x01, 0xA3}));
        io.run();
        EXPECT_EQ(take(), (std::vector<int>{0xA0, 0x02, 0x00, 0xA2}));
        EXPECT_EQ((*relay)->state(), RelayState::Released);
    }
    EXPECT_EQ(take(), (std::vector<int>{0xA0, 0x02, 0x00, 0xA2}));  // and once more on the way out
    ::close(slave);
    ::close(master);
}

TEST(SerialRelay, AMissingDeviceIsAnErrorNamingIt) {
    RelayOptions o;
    o.kind = RelayKind::Serial;
    o.device = "/dev/ttyUSB-vg-does-not-exist";
    boost::asio::io_context io;
    auto relay = makeRelay(io.get_executor(), o, fixedNow());
    ASSERT_FALSE(relay);
    EXPECT_EQ(relay.error().driver, "serial");
    EXPECT_NE(relay.error().message.find("/dev/ttyUSB-vg-does-not-exist"), std::string::npos);
}

TEST(SerialRelay, LcusFrameChecksum) {
    EXPECT_EQ(lcusFrame(1, true), (std::array<unsigned char, 4>{0xA0, 0x01, 0x01, 0xA2}));
    EXPECT_EQ(lcusFrame(4, false), (std::array<unsigned char, 4>{0xA0, 0x04, 0x00, 0xA4}));
}

}  // namespace
}  // namespace vg::relay
