// Test doubles for frame sources and workers: a manual clock (sleeping advances it at once) and a scripted
// source whose read() blocks until the test hands it the next result. Thread-safe; used by test_frame_*.cpp.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "vision/frame_source.h"
#include "vision/frame_worker.h"

namespace vg::vision::testing {

class ManualFrameClock final : public FrameClock {
  public:
    SteadyTime now() const override {
        std::lock_guard lock(m_);
        return now_;
    }
    FrameTime wallNow() const override {
        std::lock_guard lock(m_);
        return FrameTime(std::chrono::duration_cast<FrameTime::duration>(now_.time_since_epoch())) + wall_base_;
    }
    bool sleepUntil(SteadyTime deadline, std::stop_token stop) override {
        if (stop.stop_requested()) return false;
        std::lock_guard lock(m_);
        if (deadline > now_) {
            slept_ += deadline - now_;
            now_ = deadline;
        }
        return true;
    }
    void advance(std::chrono::steady_clock::duration d) {
        std::lock_guard lock(m_);
        now_ += d;
    }
    std::chrono::steady_clock::duration slept() const {
        std::lock_guard lock(m_);
        return slept_;
    }

  private:
    mutable std::mutex m_;
    SteadyTime now_{std::chrono::hours(1000)};
    std::chrono::steady_clock::duration slept_{};
    std::chrono::system_clock::duration wall_base_{std::chrono::hours(24 * 365 * 56)};
};

// One scripted step: a frame (an image filled with `value`) or an error, after the clock moved by `advance`.
struct Step {
    std::optional<SourceError> error;
    int value = 0;
    std::chrono::milliseconds advance{0};
};

class ScriptedSource final : public FrameSource {
  public:
    explicit ScriptedSource(ManualFrameClock& clock) : clock_(clock) {}

    void push(Step s) {
        {
            std::lock_guard lock(m_);
            steps_.push_back(std::move(s));
        }
        cv_.notify_all();
    }
    void failOpens(int n) {
        std::lock_guard lock(m_);
        open_failures_ = n;
    }
    int opens() const {
        std::lock_guard lock(m_);
        return opens_;
    }
    int reads() const {
        std::lock_guard lock(m_);
        return reads_;
    }

    std::expected<void, SourceError> open() override {
        std::lock_guard lock(m_);
        ++opens_;
        if (open_failures_ > 0) {
            --open_failures_;
            return std::unexpected(SourceError{SourceError::Kind::Failed, "scripted open failure"});
        }
        open_ = true;
        return {};
    }
    std::expected<Frame, SourceError> read(std::stop_token stop) override {
        std::unique_lock lock(m_);
        if (!cv_.wait(lock, stop, [&] { return !steps_.empty(); }))
            return std::unexpected(SourceError{SourceError::Kind::NoFrame, "stopped"});
        Step s = std::move(steps_.front());
        steps_.pop_front();
        ++reads_;
        lock.unlock();
        clock_.advance(s.advance);
        if (s.error) return std::unexpected(*s.error);
        Frame f;
        f.image = cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(s.value));
        f.captured = clock_.wallNow();
        return f;
    }
    void close() override { open_ = false; }
    // Like a real source, it describes itself differently once closed (a folder forgets its file count).
    std::string describe() const override { return open_ ? "scripted (open)" : "scripted (closed)"; }

  private:
    ManualFrameClock& clock_;
    mutable std::mutex m_;
    std::condition_variable_any cv_;
    std::deque<Step> steps_;
    int open_failures_ = 0;
    int opens_ = 0;
    int reads_ = 0;
    std::atomic<bool> open_ = false;
};

// Records worker events and frames; waitFor() blocks (no sleeping) until a predicate over the record holds.
class Recorder {
  public:
    void onEvent(const WorkerEvent& e) {
        {
            std::lock_guard lock(m_);
            events_.push_back(e);
        }
        cv_.notify_all();
    }
    void onFrame(const Frame& f) {
        {
            std::lock_guard lock(m_);
            values_.push_back(f.image.empty() ? -1 : f.image.at<cv::Vec3b>(0, 0)[0]);
        }
        cv_.notify_all();
    }
    void notify() { cv_.notify_all(); }
    template <class Pred>
    bool waitFor(Pred pred, std::chrono::seconds limit = std::chrono::seconds(20)) {
        std::unique_lock lock(m_);
        // The limit only turns a hang into a failure; passing tests never reach it.
        return cv_.wait_for(lock, limit, [&] { return pred(*this); });
    }
    std::size_t count(WorkerEvent::Kind k) const {
        std::size_t n = 0;
        for (const auto& e : events_) n += e.kind == k;
        return n;
    }
    std::vector<WorkerEvent> events_;
    std::vector<int> values_;

  private:
    std::mutex m_;
    std::condition_variable cv_;
};

}  // namespace vg::vision::testing
