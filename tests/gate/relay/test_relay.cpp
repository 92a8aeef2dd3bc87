// The relay drivers as the daemon uses them: what the sim records, fail-closed errors naming the driver,
// the max_hold cap, start-up release, presence inputs.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gate/relay/presence_input.h"
#include "gate/relay/relay.h"
#include "gate/relay/sim_relay.h"

namespace vg::relay {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

std::vector<nlohmann::json> readLines(const fs::path& p) {
    std::vector<nlohmann::json> out;
    std::ifstream in(p);
    std::string line;
    while (std::getline(in, line)) out.push_back(nlohmann::json::parse(line));
    return out;
}

class RelayTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / fmt::format("vg-relay-{}-{}", ::getpid(), counter_++);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }
    RelayOptions simOptions() {
        RelayOptions o;
        o.kind = RelayKind::Sim;
        o.lane = "entry-1";
        o.file = dir_ / "relay.jsonl";
        o.max_hold = 50ms;
        return o;
    }
    NowFn fixedNow() {
        return [] { return WallTime{std::chrono::sys_days{std::chrono::year{2026} / 11 / 20}} + 2h; };
    }
    boost::asio::io_context io_;
    fs::path dir_;
    static inline int counter_ = 0;
};

TEST_F(RelayTest, SimReleasesAtStartupAndRecordsEachPulseWithLaneDurationAndDecision) {
    auto relay = makeRelay(io_.get_executor(), simOptions(), fixedNow());
    ASSERT_TRUE(relay) << relay.error().str();
    EXPECT_EQ((*relay)->state(), RelayState::Released);
    ASSERT_TRUE((*relay)->pulse(500ms, "audit:42"));
    EXPECT_EQ((*relay)->state(), RelayState::Pulsing);
    const auto lines = readLines(simOptions().file);
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0]["action"], "release");
    EXPECT_EQ(lines[1]["action"], "pulse");
    EXPECT_EQ(lines[1]["lane"], "entry-1");
    EXPECT_EQ(lines[1]["duration_ms"], 500);
    EXPECT_EQ(lines[1]["decision"], "audit:42");
    EXPECT_EQ(lines[1]["time"], "2026-11-20T02:00:00.000Z");
}

TEST_F(RelayTest, HoldIsCappedAtMaxHoldAndReleasedByItself) {
    auto relay = makeRelay(io_.get_executor(), simOptions(), fixedNow());
    ASSERT_TRUE(relay);
    std::string event;
    (*relay)->setEventHandler([&](std::string_view e, const RelayError*) { event = e; });
    ASSERT_TRUE((*relay)->hold("manual:王"));
    EXPECT_EQ((*relay)->state(), RelayState::Held);
    io_.run_for(5s);  // returns as soon as the 50 ms cap has fired (no other work)
    EXPECT_EQ((*relay)->state(), RelayState::Released);
    EXPECT_EQ(event, "HOLD_CAPPED");
    const auto lines = readLines(simOptions().file);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[1]["action"], "hold");
    EXPECT_EQ(lines[1]["duration_ms"], 50);
    EXPECT_EQ(lines[2]["action"], "release");
    EXPECT_EQ(lines[2]["decision"], "max_hold");
}

TEST_F(RelayTest, ReleaseEndsAHoldEarly) {
    auto relay = makeRelay(io_.get_executor(), simOptions(), fixedNow());
    ASSERT_TRUE(relay);
    ASSERT_TRUE((*relay)->hold("manual"));
    ASSERT_TRUE((*relay)->release("manual"));
    EXPECT_EQ((*relay)->state(), RelayState::Released);
    io_.run_for(200ms);
    EXPECT_EQ(readLines(simOptions().file).size(), 3u);  // no second release from a stale cap timer
}

TEST_F(RelayTest, UnwritableSimFileIsAFaultNamingTheDriverAndTheError) {
    auto relay = makeRelay(io_.get_executor(), simOptions(), fixedNow());
    ASSERT_TRUE(relay);
    std::string event;
    (*relay)->setEventHandler([&](std::string_view e, const RelayError*) { event = e; });
    fs::remove(simOptions().file);
    fs::create_directory(simOptions().file);  // now a directory: every append fails
    auto r = (*relay)->pulse(500ms, "audit:7");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().driver, "sim");
    EXPECT_NE(r.error().message.find("Is a directory"), std::string::npos) << r.error().message;
    EXPECT_EQ((*relay)->state(), RelayState::Faulted);
    EXPECT_EQ(event, "");  // reported once, by the call's result
}

TEST_F(RelayTest, MissingGpioChipIsAnErrorNamingGpio) {
    RelayOptions o = simOptions();
    o.kind = RelayKind::Gpio;
    o.chip = "gpiochip-does-not-exist";
    auto relay = makeRelay(io_.get_executor(), o, fixedNow());
    ASSERT_FALSE(relay);
    EXPECT_EQ(relay.error().driver, "gpio");
    EXPECT_NE(relay.error().message.find("gpiochip-does-not-exist"), std::string::npos);
}

TEST_F(RelayTest, SimPresenceFollowsTheFile) {
    PresenceOptions o;
    o.file = dir_ / "loop";
    auto in = makePresenceInput(o);
    ASSERT_TRUE(in);
    EXPECT_EQ((*in)->read(), Presence::Absent);
    std::ofstream(o.file) << "1\n";
    EXPECT_EQ((*in)->read(), Presence::Present);
    std::ofstream(o.file) << "0\n";
    EXPECT_EQ((*in)->read(), Presence::Absent);
}

}  // namespace
}  // namespace vg::relay
