// A per-lane camera worker: keeps a FrameSource open, always processes the NEWEST frame, and reports a camera
// that stalls or fails (and its recovery) without ever blocking another lane.
//
// Threads and ownership:
//  - start() launches two std::jthreads owned by the worker: a capture thread (opens/reads the source, which the
//    worker owns) and a processing thread. stop() (and the destructor) requests both to stop and joins them; after
//    it returns no callback runs any more. start()/stop() from one controlling thread only.
//  - Between them sits a one-slot mailbox: a new frame replaces one not yet taken (counted as dropped), so a slow
//    callback never works on stale frames and never queues memory.
//  - on_frame runs on the PROCESSING thread, one call at a time, with the newest frame already cropped to the ROI
//    (Frame::offset says where the crop sits). on_event runs on the CAPTURE thread. Both must be quick or hand
//    the work on (the daemon posts to its lane strand) and must not call stop() of their own worker.
//  - stats() may be called from any thread at any time.
// Stall and loss: a source that yields no frame for `stall_after` (or fails to open/read) is reported once as
// CAMERA_LOST with the reason, closed and reopened with capped exponential backoff (initial_backoff doubling up to
// max_backoff); the first frame afterwards reports CAMERA_RECOVERED. A file/folder played once reports
// SOURCE_ENDED and the capture thread finishes. Time comes from the injected FrameClock (tests: a manual clock).
// Nothing here throws after construction; callbacks that throw are caught and counted as errors.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "vision/frame_source.h"

namespace vg::vision {

enum class WorkerState {
    Starting,  // not yet delivered a frame
    Running,   // frames arrive
    Lost,      // stalled or failed; reopening with backoff
    Ended,     // a non-looping file or folder finished
    Stopped,
};
const char* toString(WorkerState s);  // "starting", "running", "lost", "ended", "stopped"

struct WorkerEvent {
    enum class Kind { CameraLost, CameraRecovered, SourceEnded };
    Kind kind = Kind::CameraLost;
    std::string reason;        // e.g. "no frame for 5000 ms", "cannot open stream rtsp://***@10.0.0.5/1"
    std::string source;        // FrameSource::describe()
    FrameTime at{};
};
const char* toString(WorkerEvent::Kind k);  // "CAMERA_LOST", "CAMERA_RECOVERED", "SOURCE_ENDED"

struct WorkerStats {
    std::uint64_t frames_read = 0;       // delivered by the source
    std::uint64_t frames_processed = 0;  // handed to on_frame
    std::uint64_t frames_dropped = 0;    // replaced in the mailbox before processing (stale)
    std::uint64_t reopen_attempts = 0;   // failed opens since start
    std::uint64_t callback_errors = 0;   // exceptions thrown by on_frame / on_event
    WorkerState state = WorkerState::Starting;
    std::optional<std::chrono::milliseconds> last_frame_age;  // none before the first frame
    std::string last_error;
};

struct WorkerOptions {
    std::chrono::milliseconds stall_after{5000};       // lanes.camera_stall_after
    std::chrono::milliseconds initial_backoff{500};
    std::chrono::milliseconds max_backoff{30000};
    std::optional<cv::Rect> roi;                        // crop before processing (clipped to the frame)
};

class FrameWorker {
public:
    using FrameCallback = std::function<void(const Frame&)>;
    using EventCallback = std::function<void(const WorkerEvent&)>;

    // `clock` must outlive the worker. The worker owns the source.
    FrameWorker(std::unique_ptr<FrameSource> source, WorkerOptions options, FrameClock& clock,
                FrameCallback on_frame, EventCallback on_event);
    ~FrameWorker();
    FrameWorker(const FrameWorker&) = delete;
    FrameWorker& operator=(const FrameWorker&) = delete;

    void start();
    void stop();  // idempotent; joins both threads
    WorkerStats stats() const;
    std::string describe() const { return description_; }

private:
    void captureLoop(std::stop_token stop);
    void processLoop(std::stop_token stop);
    void emit(WorkerEvent::Kind kind, std::string reason);
    void setState(WorkerState s);

    std::unique_ptr<FrameSource> source_;
    WorkerOptions options_;
    FrameClock& clock_;
    FrameCallback on_frame_;
    EventCallback on_event_;
    std::string description_;

    mutable std::mutex mutex_;         // guards the mailbox, stats_ and last_frame_
    std::condition_variable_any ready_;
    std::optional<Frame> mailbox_;
    WorkerStats stats_;
    std::optional<SteadyTime> last_frame_;

    std::jthread capture_;
    std::jthread process_;
};

}  // namespace vg::vision
