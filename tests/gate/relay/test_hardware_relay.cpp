// The relay drivers that talk to a module: modbus-tcp against a real libmodbus server on loopback, serial (LCUS
// frames) against a pseudo-terminal. Each switch is checked where the module sees it; a module that goes away is a
// fault naming the driver and the module, never a silent success.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <modbus.h>
#include <pty.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
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

// A Modbus TCP relay module on 127.0.0.1: 16 coils and 16 discrete inputs; every coil value the module holds after
// each request is logged, and each request's function code with the (steady) time it arrived. With
// barrier_opens_input set, discrete input barrier_opens_input comes on when coil 3 does (a barrier that reports
// it has opened).
class FakeModbusModule {
  public:
    struct Request {
        int function = 0;  // 1 read coils, 2 read discrete inputs, 5 write coil
        int coil = 0;      // coil 3 after the request
        std::chrono::steady_clock::time_point at;
    };
    explicit FakeModbusModule(int barrier_opens_input = -1) : barrier_opens_input_(barrier_opens_input) {
        mapping_ = modbus_mapping_new(16, 16, 0, 0);
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
    std::vector<Request> requests(std::size_t n) {
        std::unique_lock lock(mutex_);
        logged_.wait_for(lock, 5s, [&] { return requests_.size() >= n; });
        return requests_;
    }
    int count(int function) {
        std::lock_guard lock(mutex_);
        return static_cast<int>(std::count_if(requests_.begin(), requests_.end(),
                                              [&](const Request& r) { return r.function == function; }));
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
                const auto at = std::chrono::steady_clock::now();
                modbus_reply(ctx_, query, n, mapping_);
                if (barrier_opens_input_ >= 0 && mapping_->tab_bits[3] != 0) {
                    mapping_->tab_input_bits[barrier_opens_input_] = 1;
                }
                {
                    std::lock_guard lock(mutex_);
                    log_.push_back(mapping_->tab_bits[3]);
                    requests_.push_back({query[modbus_get_header_length(ctx_)], mapping_->tab_bits[3], at});
                }
                logged_.notify_all();
            }
            ::close(fd);
            client_fd_ = -1;
        }
        ::close(listen_fd_);
    }

    int barrier_opens_input_ = -1;
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
    std::vector<Request> requests_;
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

TEST(ModbusTcpRelay, ThePulseSwitchesTheCoilOnThenOffNoSoonerThanThePulseLength) {
    // The module's own arrival times (a steady clock in this process): the switch-off request cannot arrive before
    // the pulse's timer, started after the module acknowledged the switch-on, has run for `pulse`. No upper bound:
    // on a loaded box the end may come late, and the order and the lower bound are what a barrier relies on.
    FakeModbusModule module;
    ASSERT_TRUE(module.ok());
    boost::asio::io_context io;
    auto relay = makeRelay(io.get_executor(), modbusOptions(module.port()), fixedNow());
    ASSERT_TRUE(relay) << relay.error().str();
    ASSERT_EQ(module.requests(2).size(), 2u);  // start-up: write 0, read back
    ASSERT_TRUE((*relay)->pulse(300ms, "audit:7"));
    io.run();
    const auto r = module.requests(6);
    ASSERT_EQ(r.size(), 6u);
    std::vector<std::pair<int, int>> seen;
    for (const auto& q : r) seen.emplace_back(q.function, q.coil);
    EXPECT_EQ(seen, (std::vector<std::pair<int, int>>{{5, 0}, {1, 0}, {5, 1}, {1, 1}, {5, 0}, {1, 0}}));
    EXPECT_GE(r[4].at - r[2].at, 300ms) << "the coil went off before the pulse was over";
    EXPECT_EQ((*relay)->state(), RelayState::Released);
}

TEST(ModbusTcpRelay, AModuleThatStopsAnsweringMidPulseIsARelayFaultWhenThePulseEnds) {
    FakeModbusModule module;
    ASSERT_TRUE(module.ok());
    boost::asio::io_context io;
    auto relay = makeRelay(io.get_executor(), modbusOptions(module.port()), fixedNow());
    ASSERT_TRUE(relay) << relay.error().str();
    std::vector<std::pair<std::string, std::string>> events;
    (*relay)->setEventHandler([&](std::string_view event, const RelayError* e) {
        events.emplace_back(std::string(event), e != nullptr ? e->str() : "");
    });
    ASSERT_TRUE((*relay)->pulse(50ms, "audit:12"));
    module.stop();  // the board dies with the coil on
    io.run();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].first, "RELAY_FAULT");
    EXPECT_NE(events[0].second.find("modbus-tcp: 127.0.0.1:" + std::to_string(module.port())), std::string::npos)
        << events[0].second;
    EXPECT_NE(events[0].second.find("coil 3"), std::string::npos) << events[0].second;
    EXPECT_EQ((*relay)->state(), RelayState::Faulted);
}

RelayOptions withOpenedInput(RelayOptions o) {
    o.opened_input = 4;
    o.opened_within = 300ms;
    return o;
}

TEST(ModbusTcpRelay, ABarrierThatNeverReportsOpenIsBarrierNotOpenedNamingTheInput) {
    FakeModbusModule module;  // the barrier's "opened" output never comes on
    ASSERT_TRUE(module.ok());
    boost::asio::io_context io;
    auto relay = makeRelay(io.get_executor(), withOpenedInput(modbusOptions(module.port())), fixedNow());
    ASSERT_TRUE(relay) << relay.error().str();
    std::vector<std::pair<std::string, std::string>> events;
    (*relay)->setEventHandler([&](std::string_view event, const RelayError* e) {
        events.emplace_back(std::string(event), e != nullptr ? e->str() : "");
    });
    ASSERT_TRUE((*relay)->pulse(100ms, "audit:11"));
    io.run();  // the pulse ends, the input is polled for 300 ms
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].first, "BARRIER_NOT_OPENED");
    EXPECT_NE(events[0].second.find("discrete input 4"), std::string::npos) << events[0].second;
    EXPECT_NE(events[0].second.find("within 300 ms of pulse audit:11"), std::string::npos) << events[0].second;
    EXPECT_EQ(module.requests(9).size(), 9u);
    EXPECT_EQ(module.count(2), 3);                       // read every 100 ms for 300 ms
    EXPECT_EQ((*relay)->state(), RelayState::Released);  // the pulse itself went fine
}

TEST(ModbusTcpRelay, ABarrierThatReportsOpenIsQuiet) {
    FakeModbusModule module(4);  // input 4 comes on with the coil
    ASSERT_TRUE(module.ok());
    boost::asio::io_context io;
    auto relay = makeRelay(io.get_executor(), withOpenedInput(modbusOptions(module.port())), fixedNow());
    ASSERT_TRUE(relay) << relay.error().str();
    std::vector<std::string> events;
    (*relay)->setEventHandler([&](std::string_view event, const RelayError*) { events.emplace_back(event); });
    ASSERT_TRUE((*relay)->pulse(100ms, "audit:13"));
    io.run();
    EXPECT_TRUE(events.empty());
    EXPECT_EQ(module.requests(7).size(), 7u);
    EXPECT_EQ(module.count(2), 1);  // seen open at the first look
}

TEST(ModbusTcpRelay, WithoutAnOpenedInputNothingIsReadBack) {
    FakeModbusModule module;
    ASSERT_TRUE(module.ok());
    boost::asio::io_context io;
    auto relay = makeRelay(io.get_executor(), modbusOptions(module.port()), fixedNow());
    ASSERT_TRUE(relay) << relay.error().str();
    ASSERT_TRUE((*relay)->pulse(100ms, "audit:14"));
    io.run();
    EXPECT_EQ(module.requests(6).size(), 6u);
    EXPECT_EQ(module.count(2), 0);
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
