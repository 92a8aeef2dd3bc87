// The JSON form of a decision, shared by the DECISION log line, the control socket and the demo: the fields of
// PRODUCT.md ("reason", "admit", "visit", "deadline" in site time) plus what the guard needs. Pure; nothing throws.
#pragma once

#include <nlohmann/json.hpp>

#include "gate/decision.h"
#include "gate/site_time.h"

namespace vg::daemon {

nlohmann::json decisionJson(const gate::Decision& d, const gate::SiteZone& zone);

}  // namespace vg::daemon
