#include "vision/frame_worker.h"

#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <exception>

namespace vg::vision {

const char* toString(WorkerState s) {
    switch (s) {
        case WorkerState::Starting:
            return "starting";
        case WorkerState::Running:
            return "running";
        case WorkerState::Lost:
            return "lost";
        case WorkerState::Ended:
            return "ended";
        case WorkerState::Stopped:
            return "stopped";
    }
    return "unknown";
}

const char* toString(WorkerEvent::Kind k) {
    switch (k) {
        case WorkerEvent::Kind::CameraLost:
            return "CAMERA_LOST";
        case WorkerEvent::Kind::CameraRecovered:
            return "CAMERA_RECOVERED";
        case WorkerEvent::Kind::SourceEnded:
            return "SOURCE_ENDED";
    }
    return "UNKNOWN";
}

FrameWorker::FrameWorker(std::unique_ptr<FrameSource> source, WorkerOptions options, FrameClock& clock,
                         FrameCallback on_frame, EventCallback on_event)
    : FrameWorker(std::move(source), options, clock, std::vector<Consumer>{{"frames", std::move(on_frame)}},
                  std::move(on_event)) {}

FrameWorker::FrameWorker(std::unique_ptr<FrameSource> source, WorkerOptions options, FrameClock& clock,
                         std::vector<Consumer> consumers, EventCallback on_event)
    : source_(std::move(source)),
      options_(options),
      clock_(clock),
      on_event_(std::move(on_event)),
      description_(source_ ? source_->describe() : std::string("no source")) {
    for (auto& c : consumers) {
        auto slot = std::make_unique<Slot>();
        slot->name = std::move(c.name);
        slot->on_frame = std::move(c.on_frame);
        slot->nice = c.nice;
        slots_.push_back(std::move(slot));
    }
}

FrameWorker::~FrameWorker() { stop(); }

void FrameWorker::start() {
    if (capture_.joinable() || !source_) return;
    setState(WorkerState::Starting);
    for (auto& slot : slots_) {
        Slot& s = *slot;
        s.thread = std::jthread([this, &s](std::stop_token st) { processLoop(st, s); });
    }
    capture_ = std::jthread([this](std::stop_token st) { captureLoop(st); });
}

void FrameWorker::stop() {
    const bool running = capture_.joinable() ||
                         std::any_of(slots_.begin(), slots_.end(), [](const auto& s) { return s->thread.joinable(); });
    if (!running) return;
    capture_.request_stop();
    for (auto& s : slots_) s->thread.request_stop();
    if (capture_.joinable()) capture_.join();
    for (auto& s : slots_)
        if (s->thread.joinable()) s->thread.join();
    setState(WorkerState::Stopped);
}

WorkerStats FrameWorker::stats() const {
    std::lock_guard lock(mutex_);
    WorkerStats s = stats_;
    for (const auto& slot : slots_) {
        s.consumers.push_back({slot->name, slot->processed, slot->dropped});
        s.frames_processed += slot->processed;
        s.frames_dropped += slot->dropped;
    }
    if (last_frame_)
        s.last_frame_age = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - *last_frame_);
    return s;
}

void FrameWorker::setState(WorkerState s) {
    std::lock_guard lock(mutex_);
    stats_.state = s;
}

void FrameWorker::emit(WorkerEvent::Kind kind, std::string reason, std::optional<std::string> source) {
    if (!on_event_) return;
    WorkerEvent e{kind, std::move(reason), source ? std::move(*source) : source_->describe(), clock_.wallNow()};
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
        std::string described = source_->describe();  // as it was open: closing forgets what it had
        source_->close();
        is_open = false;
        {
            std::lock_guard lock(mutex_);
            stats_.last_error = reason;
            stats_.state = WorkerState::Lost;
        }
        if (!lost) {
            lost = true;
            emit(WorkerEvent::Kind::CameraLost, reason, std::move(described));
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
            const bool recovered = lost;
            lost = false;
            {
                std::lock_guard lock(mutex_);
                ++stats_.frames_read;
                for (auto& slot : slots_) {
                    if (slot->mailbox) ++slot->dropped;
                    slot->mailbox = *frame;  // shares the pixels (cv::Mat is reference-counted)
                }
                last_frame_ = now;
                stats_.state = WorkerState::Running;
            }
            for (auto& slot : slots_) slot->ready.notify_one();
            if (recovered) emit(WorkerEvent::Kind::CameraRecovered, "frames arrive again");
            continue;
        }

        const SourceError& err = frame.error();
        if (err.kind == SourceError::Kind::Ended) {
            std::string described = source_->describe();
            source_->close();
            setState(WorkerState::Ended);
            emit(WorkerEvent::Kind::SourceEnded, err.message, std::move(described));
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

void FrameWorker::processLoop(std::stop_token stop, Slot& slot) {
    if (slot.nice != 0) {
        // Linux gives each thread its own nice value. A failure only costs latency.
        (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), slot.nice);
    }
    while (true) {
        Frame frame;
        {
            std::unique_lock lock(mutex_);
            if (!slot.ready.wait(lock, stop, [&] { return slot.mailbox.has_value(); })) return;
            frame = std::move(*slot.mailbox);
            slot.mailbox.reset();
            ++slot.processed;
        }
        if (!slot.on_frame) continue;
        try {
            slot.on_frame(frame);
        } catch (...) {
            std::lock_guard lock(mutex_);
            ++stats_.callback_errors;
        }
    }
}

}  // namespace vg::vision
