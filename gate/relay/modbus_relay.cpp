#include "gate/relay/modbus_relay.h"

#include <fmt/format.h>
#include <modbus.h>

#include <cerrno>
#include <cstdint>
#include <optional>

namespace vg::relay {
namespace {

struct ModbusFree {
    void operator()(modbus_t* ctx) const {
        modbus_close(ctx);
        modbus_free(ctx);
    }
};
using ModbusPtr = std::unique_ptr<modbus_t, ModbusFree>;

std::string lastError() { return modbus_strerror(errno); }

class ModbusRelay final : public Relay {
  public:
    ModbusRelay(boost::asio::any_io_executor executor, const RelayOptions& options, NowFn now, ModbusPtr ctx,
                std::string driver, std::string where)
        : Relay(std::move(executor), options.lane, options.max_hold, std::move(now)),
          ctx_(std::move(ctx)),
          coil_(options.coil),
          opened_input_(options.opened_input),
          driver_(std::move(driver)),
          where_(std::move(where)) {
        if (opened_input_) watchOpened(options.opened_within);
    }

    ~ModbusRelay() override {
        // On the way out the coil is switched off once more; errors cannot be reported any more (the next start-up
        // releases it again).
        modbus_write_bit(ctx_.get(), coil_, 0);
    }

    std::string_view driver() const override { return driver_; }

  protected:
    RelayResult set(bool on, Action, Duration, std::string_view) override {
        std::string first_error;
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (attempt == 1) {
                // One retry on a fresh connection: a module that rebooted or a TCP link that was dropped.
                modbus_close(ctx_.get());
                if (modbus_connect(ctx_.get()) == -1) {
                    return std::unexpected(RelayError{driver_, fmt::format("{}: coil {}: {}; reconnecting failed: {}",
                                                                           where_, coil_, first_error, lastError())});
                }
            }
            if (modbus_write_bit(ctx_.get(), coil_, on ? 1 : 0) == -1) {
                first_error = fmt::format("cannot write {}: {}", on ? 1 : 0, lastError());
                continue;
            }
            std::uint8_t state = 0;
            if (modbus_read_bits(ctx_.get(), coil_, 1, &state) != 1) {
                first_error = fmt::format("wrote {} but cannot read it back: {}", on ? 1 : 0, lastError());
                continue;
            }
            if ((state != 0) != on) {
                // The module answered but the coil is not where we put it: not a link problem, no retry.
                return std::unexpected(RelayError{driver_, fmt::format("{}: coil {} reads back {} after writing {}",
                                                                       where_, coil_, state ? 1 : 0, on ? 1 : 0)});
            }
            return {};
        }
        return std::unexpected(RelayError{driver_, fmt::format("{}: coil {}: {}", where_, coil_, first_error)});
    }

    // The barrier's "opened" output, wired to a discrete input of the module (function 02).
    std::expected<bool, RelayError> openedInput() override {
        std::uint8_t state = 0;
        if (modbus_read_input_bits(ctx_.get(), *opened_input_, 1, &state) != 1) {
            return std::unexpected(RelayError{
                driver_, fmt::format("{}: cannot read discrete input {}: {}", where_, *opened_input_, lastError())});
        }
        return state != 0;
    }
    std::string openedName() const override {
        return fmt::format("{}: discrete input {}", where_, opened_input_.value_or(0));
    }

  private:
    ModbusPtr ctx_;
    int coil_;
    std::optional<int> opened_input_;
    std::string driver_;
    std::string where_;
};

}  // namespace

std::expected<std::unique_ptr<Relay>, RelayError> makeModbusRelay(boost::asio::any_io_executor executor,
                                                                  const RelayOptions& options, NowFn now) {
    const bool tcp = options.kind == RelayKind::ModbusTcp;
    const std::string driver = tcp ? "modbus-tcp" : "modbus-rtu";
    std::string where;
    modbus_t* raw = nullptr;
    if (tcp) {
        if (options.host.empty()) return std::unexpected(RelayError{driver, "no host given (lane.relay.host)"});
        where = fmt::format("{}:{} unit {}", options.host, options.port, options.unit);
        raw = modbus_new_tcp_pi(options.host.c_str(), std::to_string(options.port).c_str());
    } else {
        if (options.device.empty()) return std::unexpected(RelayError{driver, "no device given (lane.relay.device)"});
        where = fmt::format("{} unit {}", options.device.string(), options.unit);
        const char parity = options.parity.empty() ? 'N' : options.parity.front();
        raw = modbus_new_rtu(options.device.c_str(), options.baud, parity, 8, 1);
    }
    if (raw == nullptr) return std::unexpected(RelayError{driver, fmt::format("{}: {}", where, lastError())});
    ModbusPtr ctx(raw);
    const auto ms = options.timeout.count();
    modbus_set_response_timeout(ctx.get(), static_cast<std::uint32_t>(ms / 1000),
                                static_cast<std::uint32_t>((ms % 1000) * 1000));
    if (modbus_set_slave(ctx.get(), options.unit) == -1)
        return std::unexpected(RelayError{driver, fmt::format("{}: bad unit id: {}", where, lastError())});
    if (modbus_connect(ctx.get()) == -1)
        return std::unexpected(RelayError{driver, fmt::format("cannot connect to {}: {}", where, lastError())});
    return std::make_unique<ModbusRelay>(std::move(executor), options, std::move(now), std::move(ctx), driver,
                                         std::move(where));
}

}  // namespace vg::relay
