// Barrier relays: the one output the software drives. It only ever *opens*: a pulse on the controller's soft
// "open" input, or (a person's explicit command) a hold capped at max_hold. Closing is the controller's job.
// Fail closed: every call reports success or a RelayError naming the driver and the system error; on any error
// the driver tries to release. A Relay is owned by its lane and used only from its lane's thread (timers run on
// the executor given at construction: the lane's io_context). Nothing here throws after construction; makeRelay()
// returns errors as values.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace vg::relay {

using Duration = std::chrono::milliseconds;
using WallTime = std::chrono::sys_time<std::chrono::milliseconds>;
// Wall-clock source for what the relay writes down (the sim file); injected so tests use a manual clock.
using NowFn = std::function<WallTime()>;

struct RelayError {
    std::string driver;   // "sim", "gpio", ...
    std::string message;  // what failed, with the system error
    std::string str() const { return driver + ": " + message; }
};
using RelayResult = std::expected<void, RelayError>;

enum class RelayState { Released, Pulsing, Held, Faulted };
std::string_view toString(RelayState s);  // "released", "pulsing", "held", "faulted"

enum class RelayKind { Sim, Gpio, ModbusTcp, ModbusRtu, Serial };

// What the daemon maps a lane's [lane.relay] table onto.
struct RelayOptions {
    RelayKind kind = RelayKind::Sim;
    std::string lane;
    Duration max_hold{std::chrono::minutes(30)};
    std::filesystem::path file;    // sim
    std::string chip;              // gpio: "gpiochip0" or "/dev/gpiochip0"
    int line = 0;                  // gpio
    bool active_low = false;       // gpio
    std::string host;              // modbus-tcp
    int port = 502;                // modbus-tcp
    std::filesystem::path device;  // modbus-rtu, serial: "/dev/ttyUSB0"
    int baud = 9600;               // modbus-rtu, serial
    std::string parity = "N";      // modbus-rtu
    int unit = 1;                  // modbus-tcp, modbus-rtu: slave id
    int coil = 0;                  // modbus-tcp, modbus-rtu: coil address (0-based)
    Duration timeout{1000};        // modbus-tcp, modbus-rtu, serial: per request
    int channel = 1;               // serial: relay channel on the board (1-based)
    // modbus-tcp, modbus-rtu: the discrete input the barrier sets once it has opened. When given, each pulse is
    // followed by polling it; not set within opened_within is the BARRIER_NOT_OPENED event.
    std::optional<int> opened_input;
    Duration opened_within{2000};
};

class Relay {
  public:
    Relay(boost::asio::any_io_executor executor, std::string lane, Duration max_hold, NowFn now);
    virtual ~Relay();
    Relay(const Relay&) = delete;
    Relay& operator=(const Relay&) = delete;

    virtual std::string_view driver() const = 0;

    // Energises the output for `duration` (the driver or an asio timer ends it). `tag` names the decision
    // (audit seq or "manual:...") and goes into the driver's record. Refused while held (already open).
    RelayResult pulse(Duration duration, std::string_view tag);
    // Holds the output open until release() or max_hold, whichever comes first (emergency, by a person).
    RelayResult hold(std::string_view tag);
    // De-energises; safe to call at any time, also when already released (start-up and stop call it).
    RelayResult release(std::string_view tag = "release");

    RelayState state() const { return state_; }
    const std::string& lane() const { return lane_; }
    Duration maxHold() const { return max_hold_; }
    // Called when an asynchronous step (the end of a timed pulse, the max_hold cap, the opened read-back) fails or
    // fires, so the lane can log RELAY_FAULT / HOLD_CAPPED / BARRIER_NOT_OPENED. Errors of a call are returned by
    // that call instead. Optional.
    void setEventHandler(std::function<void(std::string_view event, const RelayError*)> handler) {
        on_event_ = std::move(handler);
    }

  protected:
    enum class Action { Pulse, Hold, Release };
    // Drivers that time pulses themselves (sim, a modbus pulse coil) override pulseTimed and return true.
    virtual std::expected<bool, RelayError> pulseTimed(Duration duration, std::string_view tag);
    // Sets the output level. `action` and `duration` are for drivers that write a record.
    virtual RelayResult set(bool on, Action action, Duration duration, std::string_view tag) = 0;
    WallTime now() const { return now_(); }
    static std::string_view name(Action a);
    // The opened read-back: drivers that can read the barrier's "opened" output call watchOpened() once (after
    // each successful pulse the output is then polled every 100 ms for up to `within`) and override openedInput()
    // (true once the barrier reports open) and openedName() (what it reads, for the event's message).
    void watchOpened(Duration within) { opened_within_ = within; }
    virtual std::expected<bool, RelayError> openedInput() { return false; }
    virtual std::string openedName() const { return "the opened input"; }
    void report(std::string_view event, const RelayError* e) {
        if (on_event_) on_event_(event, e);
    }

  private:
    void endPulse();
    void fault(const RelayError& e, bool asynchronous);
    void pollOpened(int polls_left, std::string tag, std::string last_error);

    std::string lane_;
    Duration max_hold_;
    NowFn now_;
    boost::asio::steady_timer timer_;
    std::optional<Duration> opened_within_;
    boost::asio::steady_timer opened_timer_;
    RelayState state_ = RelayState::Released;
    std::function<void(std::string_view, const RelayError*)> on_event_;
};

// Builds the driver for a lane. Opens the device (gpio) or checks the file's directory (sim), then releases
// the output: at start-up every output is released. Errors name the driver.
std::expected<std::unique_ptr<Relay>, RelayError> makeRelay(boost::asio::any_io_executor executor,
                                                            const RelayOptions& options, NowFn now);

}  // namespace vg::relay
