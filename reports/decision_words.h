// A decision in one sentence for the person who reads it: the guard at the lane, the committee and management in
// the console's 通行记录 and 道闸 pages and the CLI's text output. In Chinese the outcome comes first (放行 / 不放行 /
// 请等候门卫), then what it is about — plate, voucher serial and unit, the deadline, the overstay and its fee, the
// guard and the reason — built from the decision's fields, so that every reason code reads as Chinese. In English
// it is the decision's own sentence (gate::Decision::message, the one the log and the JSON carry), or the reason in
// words where none was kept. Pure; nothing throws.
#pragma once

#include <optional>
#include <string>

#include "gate/decision.h"
#include "gate/ledger.h"
#include "gate/site_time.h"
#include "reports/words.h"

namespace vg::reports {

// A live decision (enter/exit, the daemon's answer to the guard). `manual`: the guard's name and reason, when a
// person decided (confirm, a manual entry).
std::string decisionWords(const gate::Decision& d, const gate::SiteZone& zone, Lang lang,
                          const std::optional<gate::Manual>& manual = std::nullopt);

// A decision read back from the ledger, with what its audit row kept: a plate purged by retention, or the first
// use of a voucher in a row written before it was recorded, is left out of the sentence.
std::string decisionWords(const gate::DecisionRecord& r, const gate::SiteZone& zone, Lang lang);

}  // namespace vg::reports
