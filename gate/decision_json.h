// The JSON form of a decision, the one mapping the CLI (`enter`/`exit --json`) and the daemon (DECISION log lines,
// the control socket's answers, the demo) print: the fields of PRODUCT.md ("reason", "admit", "visit",
// "deadline" in site time) plus what the guard needs, named as in README.md. The audit record of a decision is
// another thing (ledger_decide.cpp: its format is hashed into the audit chain). Pure; nothing throws.
#pragma once

#include <nlohmann/json.hpp>

#include "gate/decision.h"
#include "gate/site_time.h"

namespace vg::gate {

// Always: reason, admit, lane, direction, at, plate, plate_unread, message. When set: visit, deadline, serial,
// unit, first_used_at, first_used_plate, overstay_minutes (whole minutes), fee, audit_seq (non-zero: the
// decision's audit record), spooled. Times in site time, ISO 8601 with the offset.
nlohmann::json decisionJson(const Decision& d, const SiteZone& zone);

}  // namespace vg::gate
