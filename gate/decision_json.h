// The JSON form of a decision, the one mapping the CLI (`enter`/`exit --json`) and the daemon (DECISION log lines,
// the control socket's answers, the demo) print: the fields of PRODUCT.md ("reason", "admit", "visit",
// "deadline" in site time) plus what the guard needs, named as in README.md. The audit record of a decision is
// another thing (ledger_decide.cpp: its format is hashed into the audit chain). Pure; nothing throws.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "gate/decision.h"
#include "gate/site_time.h"

namespace vg::gate {

// Always: reason, admit, lane, direction, at, plate, plate_unread, message. When set: visit, deadline, serial,
// unit, first_used_at, first_used_plate, overstay_minutes (whole minutes), fee, audit_seq (non-zero: the
// decision's audit record), spooled. Times in site time, ISO 8601 with the offset.
nlohmann::json decisionJson(const Decision& d, const SiteZone& zone);

// The decision back from that JSON (the daemon's answer to a guard's command, read by the CLI and the console to
// say it in words): every field decisionJson wrote, the overstay in whole minutes. nullopt when "reason" is missing
// or no reason code; a field of the wrong type or an unreadable time is left unset.
std::optional<Decision> decisionFromJson(const nlohmann::json& j, const SiteZone& zone);

}  // namespace vg::gate
