// A per-lane camera worker: keeps a FrameSource open, always processes the NEWEST frame, and reports a camera
// that stalls or fails (and its recovery) without ever blocking another lane.
//
// Threads and ownership:
//  - start() launches std::jthreads owned by the worker: a capture thread (opens/reads the source, which the
//    worker owns) and one processing thread per consumer. stop() (and the destructor) requests all to stop and
//    joins them; after it returns no callback runs any more. start()/stop() from one controlling thread only.
//  - Between the capture thread and each consumer sits a one-slot mailbox: a new frame replaces one not yet taken
//    (counted as dropped for that consumer), so a slow callback never works on stale frames and never queues
//    memory, and a slow consumer (plate search) never delays a quick one (QR) on the same camera.
//  - Each consumer's on_frame runs on ITS processing thread, one call at a time, with the newest frame (the whole
//    camera frame: a consumer that searches a region crops it itself). Consumers share the frame's pixels and
//    must not write to them. on_event runs on the CAPTURE thread. Both must be quick or hand the work on (the daemon
//    posts to its lane's loop) and must not call stop() of their own worker.
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
#include <vector>

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
    std::string reason;  // e.g. "no frame for 5000 ms", "cannot open stream rtsp://***@10.0.0.5/1"
    std::string source;  // FrameSource::describe()
    FrameTime at{};
};
const char* toString(WorkerEvent::Kind k);  // "CAMERA_LOST", "CAMERA_RECOVERED", "SOURCE_ENDED"

struct ConsumerStats {
    std::string name;
    std::uint64_t frames_processed = 0;  // handed to this consumer's on_frame
    std::uint64_t frames_dropped = 0;    // replaced in its mailbox before it took them (stale)
};

struct WorkerStats {
    std::uint64_t frames_read = 0;         // delivered by the source
    std::uint64_t frames_processed = 0;    // summed over the consumers (with one consumer: handed to on_frame)
    std::uint64_t frames_dropped = 0;      // summed over the consumers
    std::vector<ConsumerStats> consumers;  // in construction order
    std::uint64_t reopen_attempts = 0;     // failed opens since start
    std::uint64_t callback_errors = 0;     // exceptions thrown by on_frame / on_event
    WorkerState state = WorkerState::Starting;
    std::optional<std::chrono::milliseconds> last_frame_age;  // none before the first frame
    std::string last_error;
};

struct WorkerOptions {
    std::chrono::milliseconds stall_after{5000};  // lanes.camera_stall_after
    std::chrono::milliseconds initial_backoff{500};
    std::chrono::milliseconds max_backoff{30000};
};

class FrameWorker {
  public:
    using FrameCallback = std::function<void(const Frame&)>;
    using EventCallback = std::function<void(const WorkerEvent&)>;
    struct Consumer {
        std::string name;  // for stats, e.g. "qr", "plate"
        FrameCallback on_frame;
        // The scheduling priority of its thread as a nice value (Linux; raising it needs no privilege): a
        // consumer above 0 yields to the capture thread, so a camera is always read on time, and a busier
        // consumer (plate search) above a quick one (QR) lets the quick one take every frame.
        int nice = 0;
    };

    // `clock` must outlive the worker. The worker owns the source. One consumer named "frames".
    FrameWorker(std::unique_ptr<FrameSource> source, WorkerOptions options, FrameClock& clock, FrameCallback on_frame,
                EventCallback on_event);
    // Each consumer gets every frame it can keep up with, on a thread of its own.
    FrameWorker(std::unique_ptr<FrameSource> source, WorkerOptions options, FrameClock& clock,
                std::vector<Consumer> consumers, EventCallback on_event);
    ~FrameWorker();
    FrameWorker(const FrameWorker&) = delete;
    FrameWorker& operator=(const FrameWorker&) = delete;

    void start();
    void stop();  // idempotent; joins both threads
    WorkerStats stats() const;
    std::string describe() const { return description_; }

  private:
    void captureLoop(std::stop_token stop);
    struct Slot;
    void processLoop(std::stop_token stop, Slot& slot);
    // `source`: the source as described before it was closed (a closed source forgets its files, its URL).
    void emit(WorkerEvent::Kind kind, std::string reason, std::optional<std::string> source = std::nullopt);
    void setState(WorkerState s);

    std::unique_ptr<FrameSource> source_;
    WorkerOptions options_;
    FrameClock& clock_;
    EventCallback on_event_;
    std::string description_;

    // One consumer: its callback, its mailbox and counters (guarded by mutex_), its thread.
    struct Slot {
        std::string name;
        FrameCallback on_frame;
        int nice = 0;
        std::condition_variable_any ready;
        std::optional<Frame> mailbox;
        std::uint64_t processed = 0;
        std::uint64_t dropped = 0;
        std::jthread thread;
    };

    mutable std::mutex mutex_;  // guards every mailbox and counter, stats_ and last_frame_
    std::vector<std::unique_ptr<Slot>> slots_;
    WorkerStats stats_;  // frames_read, reopen_attempts, callback_errors, state, last_error
    std::optional<SteadyTime> last_frame_;

    std::jthread capture_;
};

}  // namespace vg::vision
