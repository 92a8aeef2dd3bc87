#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "daemon/lane_watch.h"
#include "vision/test_frame_fakes.h"

namespace vg::daemon {
namespace {

using namespace std::chrono_literals;

// Records what the App would tell systemd.
class RecordingNotifier final : public Notifier {
  public:
    void notify(std::string_view assignments) override { sent.emplace_back(assignments); }
    std::optional<std::chrono::microseconds> watchdogInterval() const override { return interval; }
    std::vector<std::string> sent;
    std::optional<std::chrono::microseconds> interval;
};

TEST(LaneWatch, StallLimitIsHalfTheWatchdogIntervalOrTenSecondsWithout) {
    EXPECT_EQ(stallLimit(std::chrono::microseconds(20s)), 10s);
    EXPECT_EQ(stallLimit(std::chrono::microseconds(3s)), 1500ms);
    EXPECT_EQ(stallLimit(std::nullopt), 10s);
}

TEST(LaneWatch, ALaneIsStalledOnlyAfterTheLimitPassesWithoutABeatAndRecoversWhenItBeats) {
    vision::testing::ManualFrameClock clock;
    LaneHeartbeat beat(clock);  // a new lane counts as just beaten
    EXPECT_FALSE(beat.stalled(10s));
    clock.advance(10s);
    EXPECT_FALSE(beat.stalled(10s)) << "exactly at the limit is not yet stalled";
    clock.advance(1ms);
    EXPECT_TRUE(beat.stalled(10s));
    beat.beat();
    EXPECT_FALSE(beat.stalled(10s));
}

TEST(LaneWatch, TheWatchdogIsPettedOnlyWhileEveryLaneBeatsAndTheStalledOnesAreNamed) {
    vision::testing::ManualFrameClock clock;
    RecordingNotifier systemd;
    LaneHeartbeat entry(clock);
    LaneHeartbeat exit(clock);
    const std::vector<WatchedLane> lanes{{"entry-1", &entry}, {"exit-1", &exit}};

    clock.advance(4s);
    entry.beat();
    exit.beat();
    EXPECT_TRUE(petWatchdogIfAlive(systemd, lanes, 5s).empty());
    EXPECT_EQ(systemd.sent, std::vector<std::string>{"WATCHDOG=1"});

    // The exit lane's thread hangs in a driver call: its beats stop, the entry lane's go on.
    for (int i = 0; i < 6; ++i) {
        clock.advance(1s);
        entry.beat();
    }
    EXPECT_EQ(petWatchdogIfAlive(systemd, lanes, 5s), std::vector<std::string>{"exit-1"});
    EXPECT_EQ(systemd.sent.size(), 1U) << "no pet while a lane is stalled, so systemd restarts the service";

    exit.beat();
    EXPECT_TRUE(petWatchdogIfAlive(systemd, lanes, 5s).empty());
    EXPECT_EQ(systemd.sent.size(), 2U);
}

}  // namespace
}  // namespace vg::daemon
