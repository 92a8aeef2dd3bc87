// The `serial` relay: a USB serial relay board of the LCUS type (CH340 boards sold for barrier and door
// controllers), switched by 4-byte frames `A0 <channel> <state> <sum>` at `baud` (8N1). These boards do not
// answer, so a switch counts as done once the frame is written and drained to the line (tcdrain); a device that
// vanished or a write that times out is a fault naming the device. A pulse is ended by an asio timer (as gpio).
// Its lane's thread only.
#pragma once

#include <array>
#include <expected>
#include <memory>

#include "gate/relay/relay.h"

namespace vg::relay {

std::expected<std::unique_ptr<Relay>, RelayError> makeSerialRelay(boost::asio::any_io_executor executor,
                                                                  const RelayOptions& options, NowFn now);

// The frame that switches `channel` (1-based) on or off.
std::array<unsigned char, 4> lcusFrame(int channel, bool on);

}  // namespace vg::relay
