// A relay that energises nothing and records what it was asked; it can be told to fail like a broken driver.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "gate/relay/relay.h"

namespace vg::fakes {

class FakeRelay final : public relay::Relay {
  public:
    struct Call {
        std::string action;  // "pulse", "hold", "release"
        relay::Duration duration{};
        std::string tag;
    };
    explicit FakeRelay(boost::asio::any_io_executor ex, std::string lane = "entry-1")
        : Relay(std::move(ex), std::move(lane), std::chrono::minutes(30), [] { return relay::WallTime{}; }) {}
    std::string_view driver() const override { return "fake"; }

    std::vector<Call> calls;
    bool fail = false;
    std::function<void()> on_pulse;  // runs inside each pulse, e.g. a module that takes seconds to answer

    // The driver's opened read-back timed out after a pulse (as the modbus drivers report it).
    void barrierNotOpened(const std::string& message) {
        const relay::RelayError e{"fake", message};
        report("BARRIER_NOT_OPENED", &e);
    }

    int pulses() const {
        int n = 0;
        for (const auto& c : calls) n += c.action == "pulse";
        return n;
    }

  protected:
    std::expected<bool, relay::RelayError> pulseTimed(relay::Duration d, std::string_view tag) override {
        if (on_pulse) on_pulse();
        if (fail) return std::unexpected(relay::RelayError{"fake", "bus error (injected)"});
        calls.push_back({"pulse", d, std::string(tag)});
        return true;
    }
    relay::RelayResult set(bool on, Action action, relay::Duration d, std::string_view tag) override {
        if (fail && on) return std::unexpected(relay::RelayError{"fake", "bus error (injected)"});
        calls.push_back({std::string(name(action)), d, std::string(tag)});
        return {};
    }
};

}  // namespace vg::fakes
