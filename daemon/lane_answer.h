// A guard's command handed to a lane's thread with a time limit (the control socket's 5 s): a lane that takes the
// command within the limit runs it and its result answers the caller; a lane that takes it later never runs it,
// and the caller is told nothing was done. A guard's "open" must not happen by surprise minutes later, after the
// guard was told it failed.
//
// LaneDeadline is the decision, on the injected steady clock: take() on the lane's thread, expire() on the caller's
// (main) thread when its timer fires, whichever comes first wins; thread-safe (one mutex). onLaneWithin() wires it
// to the main io_context (the answer and the timer) and a lane's loop (`post`). Nothing throws but std::bad_alloc.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include "vision/frame_source.h"

namespace vg::daemon {

class LaneDeadline {
  public:
    // Starts counting now.
    LaneDeadline(const vision::FrameClock& clock, std::chrono::milliseconds limit);
    // The lane's thread, about to run the command: true = run it. False when the limit has passed on the clock
    // (however late the caller's timer fires) or the caller has already been told.
    bool take();
    // The caller's thread, at the limit: true = the lane has not taken the command and never will, tell the caller;
    // false = the lane took it, its result answers (or already has).
    bool expire();

  private:
    const vision::FrameClock& clock_;
    vision::SteadyTime until_;
    std::mutex m_;
    bool taken_ = false;
    bool expired_ = false;
};

// Runs f() on a lane's loop (through `post`) if the lane takes it within `limit`, then calls done(result) on `main`;
// a lane that has not taken f by then never runs it, and done gets nothing, at the limit or as soon as the lane
// finds the command too late, whichever is first. The main thread does not wait. done is called exactly once, on
// `main`'s thread.
template <class F, class Done>
void onLaneWithin(boost::asio::io_context& main, const std::function<void(std::function<void()>)>& post,
                  const vision::FrameClock& clock, std::chrono::milliseconds limit, F f, Done done) {
    using R = decltype(f());
    // The deadline is shared with the lane's thread. The timer and `done` are the main thread's: both are used
    // and destroyed there, so whichever thread drops the last reference to State destroys only what it may.
    struct State {
        State(const vision::FrameClock& c, std::chrono::milliseconds l) : deadline(c, l) {}
        LaneDeadline deadline;
        std::unique_ptr<boost::asio::steady_timer> timer;
        std::optional<Done> done;
        void finish(std::optional<R> result) {  // main thread
            if (timer) timer->cancel();
            if (!done) return;
            Done d = std::move(*done);
            done.reset();
            d(std::move(result));
        }
    };
    auto state = std::make_shared<State>(clock, limit);
    state->timer = std::make_unique<boost::asio::steady_timer>(main, limit);
    state->done.emplace(std::move(done));
    state->timer->async_wait([state](const boost::system::error_code&) {
        const bool abandon = state->deadline.expire();
        state->timer.reset();  // its last use
        if (abandon) state->finish(std::nullopt);
    });
    post([&main, state, f = std::move(f)]() mutable {
        if (!state->deadline.take()) {
            boost::asio::post(main, [state] {
                if (state->deadline.expire()) state->finish(std::nullopt);
            });
            return;
        }
        auto r = std::make_shared<R>(f());
        boost::asio::post(main, [state, r] { state->finish(std::move(*r)); });
    });
}

}  // namespace vg::daemon
