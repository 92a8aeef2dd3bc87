#include "gate/relay/gpio_relay.h"

#include <fmt/format.h>

namespace vg::relay {

namespace {
std::string chipPath(const std::string& chip) { return chip.starts_with("/") ? chip : "/dev/" + chip; }
}  // namespace

GpioRelay::GpioRelay(boost::asio::any_io_executor executor, const RelayOptions& options, NowFn now, gpiod::line line)
    : Relay(std::move(executor), options.lane, options.max_hold, std::move(now)),
      line_(std::move(line)),
      where_(fmt::format("{} line {}", options.chip, options.line)) {}

GpioRelay::~GpioRelay() {
    try {
        line_.set_value(0);
        line_.release();
    } catch (const std::exception&) {
        // Nothing more can be done on the way out; the next start-up releases the line again.
    }
}

RelayResult GpioRelay::set(bool on, Action, Duration, std::string_view) {
    try {
        line_.set_value(on ? 1 : 0);
    } catch (const std::exception& e) {
        return std::unexpected(RelayError{"gpio", fmt::format("{}: cannot set {}: {}", where_, on ? 1 : 0, e.what())});
    }
    return {};
}

std::expected<std::unique_ptr<Relay>, RelayError> makeGpioRelay(boost::asio::any_io_executor executor,
                                                                const RelayOptions& options, NowFn now) {
    try {
        gpiod::chip chip(chipPath(options.chip), gpiod::chip::OPEN_BY_PATH);
        gpiod::line line = chip.get_line(static_cast<unsigned>(options.line));
        gpiod::line_request request{"voucher-gated", gpiod::line_request::DIRECTION_OUTPUT,
                                    options.active_low ? gpiod::line_request::FLAG_ACTIVE_LOW : std::bitset<32>{}};
        // Requested at 0 (logical: released, whatever the polarity): the start-up release.
        line.request(request, 0);
        return std::make_unique<GpioRelay>(std::move(executor), options, std::move(now), std::move(line));
    } catch (const std::exception& e) {
        return std::unexpected(RelayError{
            "gpio", fmt::format("cannot open {} line {}: {}", chipPath(options.chip), options.line, e.what())});
    }
}

}  // namespace vg::relay
