// The `modbus-tcp` and `modbus-rtu` relays: one coil of a Modbus relay module (libmodbus 3.1), the coil wired to
// the barrier's "open" input. Every write is confirmed by reading the coil back; a write that fails is retried
// once on a fresh connection (a module that rebooted, a TCP link that timed out), then reported. A pulse is
// ended by an asio timer, as for gpio, so a crash mid-pulse leaves the coil on until start-up releases it again
// (modules with a hardware pulse mode do not have this window; not used here). Calls block the lane's thread (never
// another lane) for at most `timeout` per request. With `opened_input`, each pulse is followed by reading that
// discrete input (the barrier's "opened" output) every 100 ms for up to `opened_within`; it not coming on is
// BARRIER_NOT_OPENED (relay.h). Its lane's thread only.
#pragma once

#include <expected>
#include <memory>
#include <string>

#include "gate/relay/relay.h"

namespace vg::relay {

std::expected<std::unique_ptr<Relay>, RelayError> makeModbusRelay(boost::asio::any_io_executor executor,
                                                                  const RelayOptions& options, NowFn now);

}  // namespace vg::relay
