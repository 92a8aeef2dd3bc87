#include <fmt/format.h>

#include "gate/relay/gpio_relay.h"
#include "gate/relay/relay.h"
#include "gate/relay/sim_relay.h"

namespace vg::relay {

std::expected<std::unique_ptr<Relay>, RelayError> makeRelay(boost::asio::any_io_executor executor,
                                                            const RelayOptions& options, NowFn now) {
    std::unique_ptr<Relay> relay;
    switch (options.kind) {
        case RelayKind::Sim:
            if (options.file.empty()) return std::unexpected(RelayError{"sim", "no file given (lane.relay.file)"});
            relay = std::make_unique<SimRelay>(std::move(executor), options, std::move(now));
            break;
        case RelayKind::Gpio: {
            auto made = makeGpioRelay(std::move(executor), options, std::move(now));
            if (!made) return std::unexpected(made.error());
            relay = std::move(*made);
            break;
        }
        case RelayKind::ModbusTcp:
        case RelayKind::ModbusRtu:
        case RelayKind::Serial:
            return std::unexpected(RelayError{
                options.kind == RelayKind::Serial ? "serial"
                                                  : (options.kind == RelayKind::ModbusTcp ? "modbus-tcp" : "modbus-rtu"),
                "this driver is not implemented yet in this build; use \"gpio\" or \"sim\""});
    }
    // Every output is released at start-up, whatever a crash left behind.
    if (auto r = relay->release("startup"); !r) return std::unexpected(r.error());
    return relay;
}

}  // namespace vg::relay
