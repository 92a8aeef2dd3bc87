// FrameWorker: newest frame wins (stale frames dropped and counted), stall -> CAMERA_LOST -> reopen with backoff
// -> CAMERA_RECOVERED, a refused stream retried while another lane keeps working, ROI crop, clean stop.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <latch>

#include "tests/vision/test_frame_fakes.h"

namespace vg::vision {
namespace {

using namespace std::chrono_literals;
using testing::ManualFrameClock;
using testing::Recorder;
using testing::ScriptedSource;
using testing::Step;

// Waits for state that changes without a notification (worker counters) by yielding, not sleeping.
template <class Pred>
bool spinUntil(Pred pred) {
    const auto limit = std::chrono::steady_clock::now() + 20s;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > limit) return false;
        std::this_thread::yield();
    }
    return true;
}

TEST(FrameWorker, SlowConsumerGetsTheNewestFrameAndStaleOnesAreCounted) {
    ManualFrameClock clock;
    auto source = std::make_unique<ScriptedSource>(clock);
    ScriptedSource& src = *source;
    Recorder rec;
    std::latch entered(1);
    std::latch release(1);
    bool first = true;
    FrameWorker worker(
        std::move(source), {}, clock,
        [&](const Frame& f) {
            if (first) {
                first = false;
                entered.count_down();
                release.wait();  // the consumer is busy while three more frames arrive
            }
            rec.onFrame(f);
        },
        [&](const WorkerEvent& e) { rec.onEvent(e); });
    worker.start();

    src.push({std::nullopt, 1, 0ms});
    entered.wait();
    src.push({std::nullopt, 2, 0ms});
    src.push({std::nullopt, 3, 0ms});
    src.push({std::nullopt, 4, 0ms});
    // All three read while the callback is blocked: only the last can still be in the mailbox.
    ASSERT_TRUE(spinUntil([&] { return worker.stats().frames_read == 4; }));
    release.count_down();
    ASSERT_TRUE(rec.waitFor([](Recorder& r) { return r.values_.size() == 2; }));
    worker.stop();

    EXPECT_EQ(rec.values_, (std::vector<int>{1, 4}));
    const auto s = worker.stats();
    EXPECT_EQ(s.frames_read, 4u);
    EXPECT_EQ(s.frames_processed, 2u);
    EXPECT_EQ(s.frames_dropped, 2u);
    EXPECT_EQ(s.state, WorkerState::Stopped);
    EXPECT_TRUE(rec.events_.empty());
}

// A camera serving card and plate: the quick reader (QR) gets every frame while the slow one (plate search) is busy
// with an old frame; the slow one then gets the newest, and each reader's drops are its own.
TEST(FrameWorker, ASlowReaderDoesNotHoldBackAQuickOneOnTheSameCamera) {
    ManualFrameClock clock;
    auto source = std::make_unique<ScriptedSource>(clock);
    ScriptedSource& src = *source;
    Recorder quick;
    Recorder slow;
    std::latch entered(1);
    std::latch release(1);
    bool first = true;
    std::vector<FrameWorker::Consumer> readers;
    readers.push_back({"qr", [&](const Frame& f) { quick.onFrame(f); }});
    readers.push_back({"plate", [&](const Frame& f) {
                           if (first) {
                               first = false;
                               entered.count_down();
                               release.wait();
                           }
                           slow.onFrame(f);
                       }});
    FrameWorker worker(std::move(source), {}, clock, std::move(readers), [](const WorkerEvent&) {});
    worker.start();

    src.push({std::nullopt, 1, 0ms});
    entered.wait();
    for (int v = 1; v <= 4; ++v) {
        if (v > 1) src.push({std::nullopt, v, 0ms});
        // The quick reader takes each frame while the slow one is still on frame 1. (A failed ASSERT here would
        // leave the slow reader blocked and stop() waiting for it: release it first.)
        if (!quick.waitFor([v](Recorder& r) { return r.values_.size() == static_cast<std::size_t>(v); })) {
            release.count_down();
            FAIL() << "the quick reader did not get frame " << v;
        }
    }
    release.count_down();
    ASSERT_TRUE(slow.waitFor([](Recorder& r) { return r.values_.size() == 2; }));
    worker.stop();

    EXPECT_EQ(quick.values_, (std::vector<int>{1, 2, 3, 4}));
    EXPECT_EQ(slow.values_, (std::vector<int>{1, 4}));
    const auto s = worker.stats();
    ASSERT_EQ(s.consumers.size(), 2u);
    EXPECT_EQ(s.consumers[0].name, "qr");
    EXPECT_EQ(s.consumers[0].frames_processed, 4u);
    EXPECT_EQ(s.consumers[0].frames_dropped, 0u);
    EXPECT_EQ(s.consumers[1].name, "plate");
    EXPECT_EQ(s.consumers[1].frames_processed, 2u);
    EXPECT_EQ(s.consumers[1].frames_dropped, 2u);
    EXPECT_EQ(s.frames_read, 4u);
}

TEST(FrameWorker, StallIsReportedOnceThenReopenedWithBackoffAndRecovered) {
    ManualFrameClock clock;
    auto source = std::make_unique<ScriptedSource>(clock);
    ScriptedSource& src = *source;
    Recorder rec;
    WorkerOptions opt;
    opt.stall_after = 5s;
    opt.initial_backoff = 500ms;
    opt.max_backoff = 4s;
    FrameWorker worker(
        std::move(source), opt, clock, [&](const Frame& f) { rec.onFrame(f); },
        [&](const WorkerEvent& e) { rec.onEvent(e); });
    worker.start();

    src.push({std::nullopt, 7, 0ms});
    ASSERT_TRUE(rec.waitFor([](Recorder& r) { return r.values_.size() == 1; }));
    EXPECT_EQ(worker.stats().state, WorkerState::Running);

    // The camera goes quiet: reads time out every 2 s. After 6 s the lane is lost, exactly once.
    const SourceError quiet{SourceError::Kind::NoFrame, "read timeout"};
    src.failOpens(4);  // and the camera does not come back at once: four reopen attempts fail
    for (int i = 0; i < 3; ++i) src.push({quiet, 0, 2000ms});
    ASSERT_TRUE(rec.waitFor([](Recorder& r) { return r.count(WorkerEvent::Kind::CameraLost) == 1; }));
    ASSERT_TRUE(spinUntil([&] { return src.opens() >= 6; }));
    EXPECT_EQ(worker.stats().state, WorkerState::Lost);
    EXPECT_GE(worker.stats().reopen_attempts, 4u);
    // Backoff 0.5 + 1 + 2 + 4 (capped) + 4 s between the five closes and reopens, and no second CAMERA_LOST.
    EXPECT_EQ(clock.slept() >= 11500ms, true);
    EXPECT_EQ(rec.count(WorkerEvent::Kind::CameraLost), 1u);
    EXPECT_NE(rec.events_.front().reason.find("no frame for 60"), std::string::npos) << rec.events_.front().reason;

    src.push({std::nullopt, 9, 0ms});
    ASSERT_TRUE(rec.waitFor([](Recorder& r) { return r.count(WorkerEvent::Kind::CameraRecovered) == 1; }));
    ASSERT_TRUE(rec.waitFor([](Recorder& r) { return r.values_.size() == 2; }));
    EXPECT_EQ(worker.stats().state, WorkerState::Running);
    EXPECT_EQ(worker.stats().last_frame_age, std::optional<std::chrono::milliseconds>(0ms));
    clock.advance(1500ms);
    EXPECT_EQ(worker.stats().last_frame_age, std::optional<std::chrono::milliseconds>(1500ms));
    worker.stop();
    EXPECT_EQ(rec.values_, (std::vector<int>{7, 9}));
}

TEST(FrameWorker, EndOfAFilePlayedOnceIsReportedAndNotRetried) {
    ManualFrameClock clock;
    auto source = std::make_unique<ScriptedSource>(clock);
    ScriptedSource& src = *source;
    Recorder rec;
    FrameWorker worker(
        std::move(source), {}, clock, [&](const Frame& f) { rec.onFrame(f); },
        [&](const WorkerEvent& e) { rec.onEvent(e); });
    worker.start();
    src.push({std::nullopt, 1, 0ms});
    src.push({SourceError{SourceError::Kind::Ended, "clip.avi ended"}, 0, 0ms});
    ASSERT_TRUE(rec.waitFor([](Recorder& r) { return r.count(WorkerEvent::Kind::SourceEnded) == 1; }));
    EXPECT_EQ(worker.stats().state, WorkerState::Ended);
    EXPECT_EQ(rec.events_.back().source, "scripted (open)");  // described as it played, not once closed
    worker.stop();
    EXPECT_EQ(src.opens(), 1);
}

int freeLoopbackPort() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);  // nothing listens there any more: connections are refused
    return ntohs(addr.sin_port);
}

TEST(FrameWorker, RefusedStreamIsReportedAndRetriedWhileAnotherLaneKeepsWorking) {
    ManualFrameClock clock;
    Recorder cam_rec;
    SourceOptions so;
    so.open_timeout = 2000ms;
    so.read_timeout = 2000ms;
    const std::string url = "rtsp://user:secret@127.0.0.1:" + std::to_string(freeLoopbackPort()) + "/lane1";
    FrameWorker stream_worker(
        makeFrameSource(url, so, clock), {}, clock, [&](const Frame& f) { cam_rec.onFrame(f); },
        [&](const WorkerEvent& e) { cam_rec.onEvent(e); });

    auto other_source = std::make_unique<ScriptedSource>(clock);
    ScriptedSource& other = *other_source;
    Recorder other_rec;
    FrameWorker other_worker(
        std::move(other_source), {}, clock, [&](const Frame& f) { other_rec.onFrame(f); },
        [&](const WorkerEvent& e) { other_rec.onEvent(e); });
    stream_worker.start();
    other_worker.start();

    ASSERT_TRUE(cam_rec.waitFor([](Recorder& r) { return r.count(WorkerEvent::Kind::CameraLost) == 1; }));
    for (int i = 1; i <= 5; ++i) other.push({std::nullopt, i, 100ms});
    ASSERT_TRUE(spinUntil([&] { return other_worker.stats().frames_read == 5; }));
    ASSERT_TRUE(spinUntil([&] { return stream_worker.stats().reopen_attempts >= 3; }));
    stream_worker.stop();
    other_worker.stop();

    EXPECT_EQ(cam_rec.count(WorkerEvent::Kind::CameraLost), 1u);
    EXPECT_EQ(stream_worker.stats().state, WorkerState::Stopped);
    EXPECT_TRUE(cam_rec.values_.empty());
    const auto& lost = cam_rec.events_.front();
    EXPECT_NE(lost.reason.find("127.0.0.1"), std::string::npos) << lost.reason;
    EXPECT_EQ(lost.reason.find("secret"), std::string::npos) << "camera password leaked into the log: " << lost.reason;
    EXPECT_TRUE(other_rec.events_.empty());
    EXPECT_EQ(other_worker.stats().frames_read, 5u);
}

TEST(FrameWorker, StopJoinsPromptlyEvenWhileTheSourceWaits) {
    ManualFrameClock clock;
    FrameWorker worker(
        std::make_unique<ScriptedSource>(clock), {}, clock, [](const Frame&) {}, nullptr);
    worker.start();
    worker.stop();
    worker.stop();
    EXPECT_EQ(worker.stats().state, WorkerState::Stopped);
    EXPECT_EQ(worker.stats().frames_read, 0u);
}

}  // namespace
}  // namespace vg::vision
