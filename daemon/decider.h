// The lane's seam to the ledger: the calls a lane makes, declared where they are used, so the pass state
// machine can be tested with a recording fake (tests/fakes/fake_decider.h). LedgerDecider forwards to the real
// gate::Ledger. Called from its lane's thread only: each lane has a Ledger connection of its own.
#pragma once

#include <optional>
#include <string>

#include "gate/ledger.h"

namespace vg::daemon {

class Decider {
  public:
    virtual ~Decider() = default;
    virtual gate::Decision decide(const gate::Observation& obs, const gate::RuleSettings& settings, gate::TimePoint now,
                                  bool dry_run, const std::optional<gate::Manual>& manual) = 0;
    virtual gate::Decision confirm(const gate::Observation& held, const gate::RuleSettings& settings,
                                   gate::TimePoint now, const gate::Manual& manual, bool refuse,
                                   const std::optional<std::string>& plate) = 0;
    virtual gate::LedgerResult<std::int64_t> recordEvent(std::string_view kind, const std::string& payload_json,
                                                         gate::TimePoint now, const std::string& personal_json) = 0;
};

class LedgerDecider final : public Decider {
  public:
    explicit LedgerDecider(gate::Ledger& ledger) : ledger_(ledger) {}
    gate::Decision decide(const gate::Observation& obs, const gate::RuleSettings& settings, gate::TimePoint now,
                          bool dry_run, const std::optional<gate::Manual>& manual) override {
        return ledger_.decide(obs, settings, now, dry_run, manual);
    }
    gate::Decision confirm(const gate::Observation& held, const gate::RuleSettings& settings, gate::TimePoint now,
                           const gate::Manual& manual, bool refuse, const std::optional<std::string>& plate) override {
        return ledger_.confirm(held, settings, now, manual, refuse, plate);
    }
    gate::LedgerResult<std::int64_t> recordEvent(std::string_view kind, const std::string& payload_json,
                                                 gate::TimePoint now, const std::string& personal_json) override {
        return ledger_.recordEvent(kind, payload_json, now, personal_json);
    }

  private:
    gate::Ledger& ledger_;
};

}  // namespace vg::daemon
