#include <fmt/format.h>

#include "gate/relay/gpio_relay.h"
#include "gate/relay/modbus_relay.h"
#include "gate/relay/relay.h"
#include "gate/relay/serial_relay.h"
#include "gate/relay/sim_relay.h"

namespace vg::relay {

std::expected<std::unique_ptr<Relay>, RelayError> makeRelay(boost::asio::any_io_executor executor,
                                                            const RelayOptions& options, NowFn now) {
    std::expected<std::unique_ptr<Relay>, RelayError> made;
    switch (options.kind) {
        case RelayKind::Sim:
            if (options.file.empty()) return std::unexpected(RelayError{"sim", "no file given (lane.relay.file)"});
            made = std::make_unique<SimRelay>(std::move(executor), options, std::move(now));
            break;
        case RelayKind::Gpio:
            made = makeGpioRelay(std::move(executor), options, std::move(now));
            break;
        case RelayKind::ModbusTcp:
        case RelayKind::ModbusRtu:
            made = makeModbusRelay(std::move(executor), options, std::move(now));
            break;
        case RelayKind::Serial:
            made = makeSerialRelay(std::move(executor), options, std::move(now));
            break;
    }
    if (!made) return made;
    std::unique_ptr<Relay> relay = std::move(*made);
    // Every output is released at start-up, whatever a crash left behind.
    if (auto r = relay->release("startup"); !r) return std::unexpected(r.error());
    return relay;
}

}  // namespace vg::relay
