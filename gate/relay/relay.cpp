// The common part of every relay: state, the pulse timer for drivers that cannot time a pulse themselves,
// the max_hold cap, and fail-closed error handling.
#include "gate/relay/relay.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/asio/error.hpp>

namespace vg::relay {

namespace {
constexpr Duration kOpenedPoll{100};
}  // namespace

std::string_view toString(RelayState s) {
    switch (s) {
        case RelayState::Released:
            return "released";
        case RelayState::Pulsing:
            return "pulsing";
        case RelayState::Held:
            return "held";
        case RelayState::Faulted:
            return "faulted";
    }
    return "faulted";
}

std::string_view Relay::name(Action a) {
    switch (a) {
        case Action::Pulse:
            return "pulse";
        case Action::Hold:
            return "hold";
        case Action::Release:
            return "release";
    }
    return "release";
}

Relay::Relay(boost::asio::any_io_executor executor, std::string lane, Duration max_hold, NowFn now)
    : lane_(std::move(lane)), max_hold_(max_hold), now_(std::move(now)), timer_(executor), opened_timer_(executor) {}

Relay::~Relay() = default;

std::expected<bool, RelayError> Relay::pulseTimed(Duration, std::string_view) { return false; }

RelayResult Relay::pulse(Duration duration, std::string_view tag) {
    if (state_ == RelayState::Held) {
        return {};  // already open by a person's command; a pulse would change nothing
    }
    timer_.cancel();
    auto timed = pulseTimed(duration, tag);
    if (!timed) {
        fault(timed.error(), false);
        return std::unexpected(timed.error());
    }
    if (!*timed) {
        if (auto r = set(true, Action::Pulse, duration, tag); !r) {
            fault(r.error(), false);
            return r;
        }
    }
    state_ = RelayState::Pulsing;
    const bool driver_timed = *timed;
    timer_.expires_after(duration);
    timer_.async_wait([this, driver_timed](const boost::system::error_code& ec) {
        if (ec == boost::asio::error::operation_aborted) return;
        if (driver_timed) {
            state_ = RelayState::Released;
        } else {
            endPulse();
        }
    });
    if (opened_within_) {
        opened_timer_.cancel();
        const auto polls = (*opened_within_ + kOpenedPoll - Duration{1}) / kOpenedPoll;
        pollOpened(static_cast<int>(std::max<Duration::rep>(polls, 1)), std::string(tag), {});
    }
    return {};
}

void Relay::pollOpened(int polls_left, std::string tag, std::string last_error) {
    opened_timer_.expires_after(std::min(kOpenedPoll, *opened_within_));
    opened_timer_.async_wait([this, polls_left, tag = std::move(tag),
                              last_error = std::move(last_error)](const boost::system::error_code& ec) mutable {
        if (ec == boost::asio::error::operation_aborted) return;
        auto opened = openedInput();
        if (opened && *opened) return;  // the barrier has opened
        // A read that failed has already held the lane's thread up to the module's timeout: do not poll a module
        // that stopped answering again and again (20 polls of a 1 s timeout would freeze the lane for 20 s).
        if (!opened) {
            last_error = opened.error().message;
            polls_left = 1;
        }
        if (polls_left > 1) {
            pollOpened(polls_left - 1, std::move(tag), std::move(last_error));
            return;
        }
        const RelayError e{std::string(driver()),
                           last_error.empty()
                               ? fmt::format("{} did not report the barrier open within {} ms of pulse {}",
                                             openedName(), opened_within_->count(), tag)
                               : fmt::format("{} could not be read after pulse {}: {}", openedName(), tag, last_error)};
        report("BARRIER_NOT_OPENED", &e);
    });
}

void Relay::endPulse() {
    if (auto r = set(false, Action::Release, Duration{0}, "pulse-end"); !r) {
        fault(r.error(), true);
        return;
    }
    state_ = RelayState::Released;
}

RelayResult Relay::hold(std::string_view tag) {
    timer_.cancel();
    opened_timer_.cancel();
    if (auto r = set(true, Action::Hold, max_hold_, tag); !r) {
        fault(r.error(), false);
        return r;
    }
    state_ = RelayState::Held;
    timer_.expires_after(max_hold_);
    timer_.async_wait([this](const boost::system::error_code& ec) {
        if (ec == boost::asio::error::operation_aborted) return;
        auto r = release("max_hold");
        if (on_event_) on_event_("HOLD_CAPPED", r ? nullptr : &r.error());
    });
    return {};
}

RelayResult Relay::release(std::string_view tag) {
    timer_.cancel();
    opened_timer_.cancel();
    if (auto r = set(false, Action::Release, Duration{0}, tag); !r) {
        fault(r.error(), false);
        return r;
    }
    state_ = RelayState::Released;
    return {};
}

void Relay::fault(const RelayError& e, bool asynchronous) {
    state_ = RelayState::Faulted;
    opened_timer_.cancel();  // a faulted module is not polled for the barrier's read-back
    // Fail closed: whatever went wrong, try to leave the output de-energised.
    (void)set(false, Action::Release, Duration{0}, "fault");
    if (asynchronous && on_event_) on_event_("RELAY_FAULT", &e);
}

}  // namespace vg::relay
