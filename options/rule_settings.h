// config::Settings -> gate::RuleSettings: the one mapping of the admission rules' settings, used by the daemon
// (each lane, the sweep) and the CLI (its commands that decide or report). Pure; nothing throws.
#pragma once

#include "config/settings.h"
#include "gate/rules.h"

namespace vg::options {

// The site-wide rules of `s` with the lane-level values of `lane` (a [[lane]]'s effective values, or s.lanes for
// work that belongs to no lane).
gate::RuleSettings ruleSettingsFor(const config::Settings& s, const config::LaneDefaults& lane);

}  // namespace vg::options
