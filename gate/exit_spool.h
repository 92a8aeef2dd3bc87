// The exit spool (rule 8): when the ledger cannot be written at an exit, the observation is appended to a
// file of JSON lines (event id, lane, direction, time, presence, plate, token) and fsync-ed, to be decided
// again once the ledger is writable. Appends and a replay take the file's flock, so a line another process
// appends during a replay waits and then lands in the emptied file instead of being lost. The Ledger's own
// helper (an exit decided while the ledger fails is spooled, replaySpool() replays through decideOnce(), see
// ledger_decide.cpp); holds only the path. Any thread. Nothing throws but std::bad_alloc (and whatever
// replay()'s `apply` throws; the Ledger's does not).
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <utility>

#include "gate/ledger.h"
#include "gate/rules.h"
#include "gate/site_time.h"

namespace vg::gate {

class ExitSpool {
  public:
    explicit ExitSpool(std::filesystem::path path) : path_(std::move(path)) {}

    // Appends obs (at obs.at, or now) with a fresh event id. False when there is no spool path or the line
    // could not be written and synced.
    bool append(const Observation& obs, TimePoint now) const;

    // What applying one spooled line came to.
    enum class Replayed { Applied, AlreadyApplied, Failed };
    using Apply = std::function<Replayed(const Observation& obs, const std::string& event_id)>;
    // Under the file lock: hands every well-formed line to `apply` in order (a torn or misshapen line is
    // skipped) and stops at the first Failed; if none failed, empties the file, which stays in place. Returns
    // how many lines were Applied: 0 without a spool path or file.
    LedgerResult<int> replay(const Apply& apply) const;

  private:
    std::filesystem::path path_;
};

}  // namespace vg::gate
