// The `gpio` relay: one output line through libgpiod 1.6 (chip, line, active-low). The line is requested as
// an output at level "released" when the daemon starts, and a pulse is ended by an asio timer. Risk: a crash
// mid-pulse leaves the line at its last level until the daemon starts again (systemd restarts it and start-up
// releases every output); relay boards that time the pulse themselves do not have this window. Its lane's thread only.
#pragma once

#include <gpiod.hpp>

#include "gate/relay/relay.h"

namespace vg::relay {

class GpioRelay final : public Relay {
  public:
    // Throws nothing: use makeGpioRelay.
    GpioRelay(boost::asio::any_io_executor executor, const RelayOptions& options, NowFn now, gpiod::line line);
    ~GpioRelay() override;
    std::string_view driver() const override { return "gpio"; }

  protected:
    RelayResult set(bool on, Action action, Duration duration, std::string_view tag) override;

  private:
    gpiod::line line_;
    std::string where_;
};

std::expected<std::unique_ptr<Relay>, RelayError> makeGpioRelay(boost::asio::any_io_executor executor,
                                                                const RelayOptions& options, NowFn now);

}  // namespace vg::relay
