// What a SIGHUP reload applies and what waits for a restart, decided by the key table's `reloads` flag
// (config/keys.cpp) and nothing else: reload.cpp maps every key of the table to its field of Settings /
// LaneSettings, and a key without a field is a programming error (std::logic_error; tests/config checks the
// whole table). Pure; any thread.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/settings.h"

namespace vg::config {

struct ReloadPlan {
    // `next` with every restart-only key at its running value. The set of lanes is the running one (a lane
    // added or removed in the file needs a restart); a kept lane takes its live keys (timing, rules, dry_run,
    // relay.pulse) from the file.
    Settings applied;
    // The restart-only keys whose value differs, in key table order: "database.path", "lane[entry-1].roi",
    // "lane[entry-1].relay.driver", and "lane[exit-2] (added)" / "lane[exit-2] (removed)". Empty when the file
    // applies as is.
    std::vector<std::string> restart;
    // Why the file cannot apply now, "" when it can: `applied` mixes the file's live keys with running
    // restart-only ones, and together they break a check that spans keys (a pulse longer than the running
    // relay.max_hold, unread_plate = "presence" on a lane running without a presence input). Worded as the loader
    // words it at start-up ("lane[entry-1].unread_plate: ..."). A refused plan must change nothing.
    std::string refused;
};

// A check that spans keys, failed: the key to name and the loader's message.
struct CrossKeyProblem {
    std::string key;  // "lane[entry-1].relay.max_hold"
    std::string message;
};
// The checks that span keys, on read settings (the loader's at start-up, and a reload's mix of kept and applied
// keys): relay.max_hold at least relay.pulse; an entry lane with unread_plate = "presence" has a presence table.
std::optional<CrossKeyProblem> crossKeyProblem(const Settings& s);
// The loader's words for each (one home: the loader uses them too).
std::string maxHoldShorterThanPulse(Duration pulse);
std::string_view presenceInputNeeded();

ReloadPlan planReload(const Settings& running, const Settings& next);

// planReload(old, next).restart.
std::vector<std::string> restartRequiredChanges(const Settings& old, const Settings& next);

// True when reload.cpp knows the key's field (every key of keyTable() must be known).
bool reloadKnows(std::string_view key);

}  // namespace vg::config
