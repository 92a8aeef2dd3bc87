// A gate::Clock that only moves when the test says so.
#pragma once

#include "gate/site_time.h"

namespace vg::fakes {

class ManualClock final : public gate::Clock {
  public:
    explicit ManualClock(gate::TimePoint start) : now_(start) {}
    gate::TimePoint now() const override { return now_; }
    void advance(gate::Duration d) { now_ += d; }
    void set(gate::TimePoint t) { now_ = t; }

  private:
    gate::TimePoint now_;
};

}  // namespace vg::fakes
