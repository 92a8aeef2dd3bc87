#include "daemon/lane_answer.h"

namespace vg::daemon {

LaneDeadline::LaneDeadline(const vision::FrameClock& clock, std::chrono::milliseconds limit)
    : clock_(clock), until_(clock.now() + limit) {}

bool LaneDeadline::take() {
    std::lock_guard lock(m_);
    if (taken_ || expired_ || clock_.now() > until_) return false;
    taken_ = true;
    return true;
}

bool LaneDeadline::expire() {
    std::lock_guard lock(m_);
    if (taken_ || expired_) return false;
    expired_ = true;
    return true;
}

}  // namespace vg::daemon
