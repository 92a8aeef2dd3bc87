// The `sim` relay: energises nothing; appends one JSON line per pulse, hold and release to its file
// (time, lane, action, duration_ms, decision) and flushes it with one write(2), so tests, the demo and a
// commissioning engineer can watch what the barrier would have done. The file is opened per record, so a
// file that becomes unwritable is reported as a RELAY_FAULT on the next command. Its lane's thread only.
#pragma once

#include "gate/relay/relay.h"

namespace vg::relay {

class SimRelay final : public Relay {
  public:
    SimRelay(boost::asio::any_io_executor executor, const RelayOptions& options, NowFn now);
    std::string_view driver() const override { return "sim"; }
    const std::filesystem::path& file() const { return file_; }

  protected:
    std::expected<bool, RelayError> pulseTimed(Duration duration, std::string_view tag) override;
    RelayResult set(bool on, Action action, Duration duration, std::string_view tag) override;

  private:
    RelayResult append(std::string_view action, Duration duration, std::string_view tag);
    std::filesystem::path file_;
};

// "2026-11-20T02:00:00.000Z"
std::string isoUtcText(WallTime t);

}  // namespace vg::relay
