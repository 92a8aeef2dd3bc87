// The daemon's journal output. Every event is one line, "EVENT {json}" (docs/operations.md lists them); under
// systemd each line starts with its journald priority, otherwise with a time stamp and the level. dumpJson()
// is how the daemon writes an event's JSON: it never throws (invalid UTF-8 is replaced, not an exception out
// of a handler).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vg::daemon {

// One line of JSON; invalid UTF-8 becomes U+FFFD.
std::string dumpJson(const nlohmann::json& j);

// The journal keeps no plates unless log.plates = true (the retention purge reaches the ledger, not the journal):
// `text` with every one of `known` (the plates the caller knows of) and anything shaped like a Chinese plate (a
// province or 使, then five or more letters and digits, then perhaps 学 警 挂 港 澳 领) replaced by "<plate>".
std::string redactPlates(std::string text, const std::vector<std::string>& known);

// Makes the "voucher-gated" stderr logger spdlog's default: "<6>EVENT {...}" when JOURNAL_STREAM is set, else
// "2026-01-31T08:00:00.000 info EVENT {...}"; VG_LOG_LEVEL (e.g. debug) sets the level; every line is
// flushed.
void setupLogging();

}  // namespace vg::daemon
