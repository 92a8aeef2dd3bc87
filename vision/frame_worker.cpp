#include "vision/frame_worker.h"

#include <algorithm>
#include <exception>

#include <fmt/format.h>

namespace vg::vision {

const char* toString(WorkerState s) {
    switch (s) {
        case WorkerState::Starting: return "starting";
        case WorkerState::Running: return "running";
        case WorkerState::Lost: return "lost";
        case WorkerState::Ended: return "ended";
        case WorkerState::Stopped: return "stopped";
    }
    return "unknown";
}

const char* toString(WorkerEvent::Kind k) {
    switch (k) {
        case WorkerEvent::Kind::CameraLost: return "CAMERA_LOST";
        case WorkerEvent::Kind::CameraRecovered: return "CAMERA_RECOVERED";
        case WorkerEvent::Kind::SourceEnded: return "SOURCE_ENDED";
    }
    return "UNKNOWN";
}

FrameWorker::FrameWorker(std::unique_ptr<FrameSource> source, WorkerOptions options, FrameClock& clock,
                         FrameCallback on_frame, EventCallback on_event)
    : source_(std::move(source)),
      options_(std::move(options)),
      clock_(clock),
      on_frame_(std::move(on_frame)),
      on_event_(std::move(on_event)),
      description_(source_ ? source_->describe() : std::string("no source")) {}

FrameWorker::~FrameWorker() { stop(); }

void FrameWorker::start() {
    if (capture_.joinable() || !source_) return;
    setState(WorkerState::Starting);
    process_ = std::jthread([this](std::stop_token st) { processLoop(st); });
    capture_ = std::jthread([this](std::stop_token st) { captureLoop(st); });
}

void FrameWorker::stop() {
    if (!capture_.joinable() && !process_.joinable()) return;
    capture_.request_stop();
    process_.request_stop();
    if (capture_.joinable()) capture_.join();
    if (process_.joinable()) process_.join();
    setState(WorkerState::Stopped);
}

WorkerStats FrameWorker::stats() const {
    std::lock_guard lock(mutex_);
    WorkerStats s = stats_;
    if (last_frame_)
        s.last_frame_age = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - *last_frame_);
    return s;
}

void FrameWorker::setState(WorkerState s) {
    std::lock_guard lock(mutex_);
    stats_.state = s;
}

void FrameWorker::emit(WorkerEvent::Kind kind, std::string reason) {
    if (!on_event_) return;
    WorkerEvent e{kind, std::move(reason), source_->describe(), clock_.wallNow()};
    try {
        on_event_(e);
    } catch (...) {
        std::lock_guard lock(mutex_);
        ++stats_.callback_errors;
    }
}

void FrameWorker::captureLoop(std::stop_token stop) {
    auto backoff = options_.initial_backoff;
    bool is_open = false;
    bool lost = false;
    SteadyTime waiting_since = clock_.now();
    std::uint64_t index = 0;

    // One failure path for "cannot open", "read failed" and "stalled": report once, close, wait, reopen.
    const auto fail = [&](const std::string& reason) -> bool {
        source_->close();
        is_open = false;
        {
            std::lock_guard lock(mutex_);
            stats_.last_error = reason;
            stats_.state = WorkerState::Lost;
        }
        if (!lost) {
            lost = true;
            emit(WorkerEvent::Kind::CameraLost, reason);
        }
        const bool slept = clock_.sleepUntil(clock_.now() + backoff, stop);
        backoff = std::min(backoff * 2, options_.max_backoff);
        return slept;
    };

    while (!stop.stop_requested()) {
        if (!is_open) {
            auto opened = source_->open();
            if (!opened) {
                {
                    std::lock_guard lock(mutex_);
                    ++stats_.reopen_attempts;
                }
                if (!fail(opened.error().message)) break;
                continue;
            }
            is_open = true;
            waiting_since = clock_.now();
        }

        auto frame = source_->read(stop);
        if (stop.stop_requested()) break;
        const SteadyTime now = clock_.now();
        if (frame) {
            backoff = options_.initial_backoff;
            waiting_since = now;
            frame->index = index++;
            if (options_.roi) {
                const cv::Rect r = *options_.roi & cv::Rect(0, 0, frame->image.cols, frame->image.rows);
                if (r.area() > 0) {
                    frame->image = frame->image(r);
                    frame->offset = r.tl();
                }
            }
            const bool recovered = lost;
            lost = false;
            {
                std::lock_guard lock(mutex_);
                ++stats_.frames_read;
                if (mailbox_) ++stats_.frames_dropped;
                mailbox_ = std::move(*frame);
                last_frame_ = now;
                stats_.state = WorkerState::Running;
            }
            ready_.notify_one();
            if (recovered) emit(WorkerEvent::Kind::CameraRecovered, "frames arrive again");
            continue;
        }

        const SourceError& err = frame.error();
        if (err.kind == SourceError::Kind::Ended) {
            source_->close();
            setState(WorkerState::Ended);
            emit(WorkerEvent::Kind::SourceEnded, err.message);
            return;
        }
        if (err.kind == SourceError::Kind::Failed) {
            if (!fail(err.message)) break;
            continue;
        }
        // NoFrame: keep reading until the stall limit, then treat as lost and reopen.
        if (now - waiting_since >= options_.stall_after) {
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - waiting_since).count();
            if (!fail(fmt::format("no frame for {} ms ({})", ms, err.message))) break;
        } else if (!clock_.sleepUntil(now + std::chrono::milliseconds(10), stop)) {
            break;  // a source that returns "nothing" at once must not spin a core
        }
    }
    source_->close();
}

void FrameWorker::processLoop(std::stop_token stop) {
    while (true) {
        Frame frame;
        {
            std::unique_lock lock(mutex_);
            if (!ready_.wait(lock, stop, [&] { return mailbox_.has_value(); })) return;
            frame = std::move(*mailbox_);
            mailbox_.reset();
            ++stats_.frames_processed;
        }
        if (!on_frame_) continue;
        try {
            on_frame_(frame);
        } catch (...) {
            std::lock_guard lock(mutex_);
            ++stats_.callback_errors;
        }
    }
}

}  // namespace vg::vision
