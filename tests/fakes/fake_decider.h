// A small in-memory stand-in for the ledger, for the lane state machine's tests: a few rules (resident plates,
// one visit per voucher, rule 4a, rule 13 "guard"/"never", exit matching) and a record of every call, so tests
// can count decisions, commits and audited events. Not a second implementation of gate/rules: just enough
// behaviour to drive the lane through each of its paths.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "daemon/announcer.h"
#include "daemon/decider.h"

namespace vg::fakes {

class FakeDecider final : public daemon::Decider {
  public:
    struct Call {
        gate::Observation obs;
        bool dry_run = false;
        gate::Decision decision;
    };
    struct VisitRec {
        std::string token;
        std::string plate;
        gate::TimePoint at{};
        bool inside = true;
    };

    std::set<std::string> valid_tokens;  // issued, unused unless in visits
    std::set<std::string> resident_plates;
    std::vector<Call> calls;
    std::vector<VisitRec> visits;
    std::vector<std::pair<std::string, std::string>> events;  // kind, payload
    bool fail_events = false;
    bool uncommitted_admissions = false;  // a broken ledger that forgets the audit row
    std::int64_t seq = 0;

    int commits() const {
        int n = 0;
        for (const auto& c : calls) n += !c.dry_run;
        return n;
    }
    std::vector<gate::Decision> committed() const {
        std::vector<gate::Decision> out;
        for (const auto& c : calls) {
            if (!c.dry_run) out.push_back(c.decision);
        }
        return out;
    }

    gate::Decision decide(const gate::Observation& obs, const gate::RuleSettings& s, gate::TimePoint now, bool dry_run,
                          const std::optional<gate::Manual>&) override {
        gate::Decision d = rule(obs, s, now, dry_run);
        calls.push_back({obs, dry_run, d});
        return d;
    }

    gate::Decision confirm(const gate::Observation& held, const gate::RuleSettings&, gate::TimePoint now,
                           const gate::Manual&, bool refuse, const std::optional<std::string>& plate) override {
        gate::Decision d = base(held, now);
        if (refuse) {
            d.reason = gate::Reason::DenyGuardRefused;
        } else {
            d.reason = gate::Reason::AdmitVoucherPlateUnread;
            d.admit = true;
            d.plate = plate.value_or("");
            visits.push_back({held.token.value_or(""), d.plate, now, true});
            d.visit = static_cast<std::int64_t>(visits.size());
            d.deadline = now + std::chrono::hours(4);
        }
        d.audit_seq = ++seq;
        calls.push_back({held, false, d});
        return d;
    }

    gate::LedgerResult<std::int64_t> recordEvent(std::string_view kind, const std::string& payload, gate::TimePoint,
                                                 const std::string&) override {
        if (fail_events) return std::unexpected(gate::LedgerError{gate::LedgerError::Kind::Busy, "database is locked"});
        events.emplace_back(std::string(kind), payload);
        return ++seq;
    }

  private:
    static gate::Decision base(const gate::Observation& obs, gate::TimePoint now) {
        gate::Decision d;
        d.lane = obs.lane;
        d.direction = obs.direction;
        d.at = now;
        d.plate = obs.plate ? obs.plate->text : "";
        return d;
    }

    gate::Decision rule(const gate::Observation& obs, const gate::RuleSettings& s, gate::TimePoint now, bool dry) {
        gate::Decision d = base(obs, now);
        const bool plate_read = obs.plate && obs.plate->confidence >= s.min_plate_confidence;
        auto commit = [&](gate::Reason r, bool admit) {
            d.reason = r;
            d.admit = admit;
            if (!dry && !(admit && uncommitted_admissions)) d.audit_seq = ++seq;
        };
        if (obs.direction == gate::Direction::Exit) {
            for (auto& v : visits) {
                if (v.inside && plate_read && v.plate == obs.plate->text) {
                    if (!dry) v.inside = false;
                    commit(gate::Reason::ReleaseVisit, true);
                    return d;
                }
            }
            commit(gate::Reason::ReleaseUnmatched, true);
            return d;
        }
        if (plate_read && resident_plates.contains(obs.plate->text)) {
            commit(gate::Reason::AdmitResident, true);
            return d;
        }
        if (!obs.token) {
            commit(gate::Reason::DenyNeedVoucher, false);
            return d;
        }
        if (!valid_tokens.contains(*obs.token)) {
            commit(gate::Reason::DenyVoucherForged, false);
            return d;
        }
        const std::string plate = plate_read ? obs.plate->text : "";
        for (const auto& v : visits) {
            if (v.token != *obs.token) continue;
            if (v.inside && v.plate == plate && now - v.at <= s.readmit_window) {
                commit(gate::Reason::AdmitRepeat, true);
                return d;
            }
            d.first_used_at = v.at;
            d.first_used_plate = v.plate;
            commit(gate::Reason::DenyVoucherUsed, false);
            return d;
        }
        if (!plate_read) {
            if (s.unread_plate == gate::UnreadPlatePolicy::Guard) {
                commit(gate::Reason::HoldPlateUnread, false);
            } else {
                commit(gate::Reason::DenyPlateUnread, false);
            }
            return d;
        }
        commit(gate::Reason::AdmitVoucher, true);
        d.deadline = now + s.stay_max;
        if (!dry) {
            visits.push_back({*obs.token, plate, now, true});
            d.visit = static_cast<std::int64_t>(visits.size());
        }
        return d;
    }
};

class FakeAnnouncer final : public daemon::Announcer {
  public:
    std::vector<std::string> said;
    std::string_view driver() const override { return "fake"; }
    void say(std::string_view text) override { said.emplace_back(text); }
};

}  // namespace vg::fakes
