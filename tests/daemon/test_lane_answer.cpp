// The 5 s limit a lane has to take a guard's command (the control socket), with a manual steady clock and the
// loops run by hand: nothing sleeps.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <optional>

#include "daemon/lane_answer.h"
#include "vision/test_frame_fakes.h"

namespace vg::daemon {
namespace {

using namespace std::chrono_literals;

TEST(LaneDeadline, ALaneThatTakesTheCommandInTimeRunsItAndTheTimerThenTellsNobody) {
    vision::testing::ManualFrameClock clock;
    LaneDeadline d(clock, 5s);
    clock.advance(5s);
    EXPECT_TRUE(d.take()) << "exactly at the limit is still in time";
    EXPECT_FALSE(d.expire()) << "the command's result answers the caller";
}

TEST(LaneDeadline, ALaneThatTakesTheCommandAfterTheLimitNeverRunsItEvenBeforeTheTimerFired) {
    vision::testing::ManualFrameClock clock;
    LaneDeadline d(clock, 5s);
    clock.advance(5s + 1ms);
    EXPECT_FALSE(d.take());
    EXPECT_TRUE(d.expire()) << "the caller is told nothing was done";
    EXPECT_FALSE(d.expire()) << "once";
}

TEST(LaneDeadline, ATimerThatFiredFirstMakesTheLaneDropTheCommand) {
    vision::testing::ManualFrameClock clock;
    LaneDeadline d(clock, 5s);
    EXPECT_TRUE(d.expire());
    EXPECT_FALSE(d.take());
}

class LaneAnswerTest : public ::testing::Test {
  protected:
    // The lane's loop, run by hand after the clock has moved: how long the lane took to get to the command.
    std::function<void(std::function<void()>)> post() {
        return [this](std::function<void()> f) { boost::asio::post(lane_, std::move(f)); };
    }
    void send() {
        onLaneWithin(
            main_, post(), clock_, 5s,
            [this] {
                ++ran_;
                return 42;
            },
            [this](std::optional<int> r) {
                ++answers_;
                answer_ = r;
            });
    }
    boost::asio::io_context main_;
    boost::asio::io_context lane_;
    vision::testing::ManualFrameClock clock_;
    int ran_ = 0;
    int answers_ = 0;
    std::optional<int> answer_;
};

TEST_F(LaneAnswerTest, ALaneThatAnswersInTimeRunsTheCommandAndItsResultAnswers) {
    send();
    clock_.advance(4s);
    lane_.poll();
    main_.poll();
    EXPECT_EQ(ran_, 1);
    EXPECT_EQ(answers_, 1);
    EXPECT_EQ(answer_, 42);
}

TEST_F(LaneAnswerTest, ALaneThatAnswersAfterTheLimitNeverRunsTheCommandAndTheCallerIsToldOnce) {
    send();
    clock_.advance(6s);  // the lane was stuck in a relay call for 6 s
    lane_.poll();
    main_.poll();
    EXPECT_EQ(ran_, 0) << "a guard's open must not happen after the guard was told it failed";
    EXPECT_EQ(answers_, 1);
    EXPECT_EQ(answer_, std::nullopt);
    main_.poll();
    EXPECT_EQ(answers_, 1);
}

}  // namespace
}  // namespace vg::daemon
