// Small helpers shared by the command files: reporting an error with its exit status, JSON renderings of
// the domain values (a decision's: gate/decision_json.h, shared with the daemon), parsing of serials. Single-threaded,
// no state.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "cli/cli_context.h"
#include "gate/decision.h"
#include "gate/ledger.h"

namespace vg::cli {

// Prints "voucher-gate: message" on stderr (and {"error": ...} on stdout with --json); returns the status. Under
// --lang zh stderr has the Chinese words where there are some (`zh`, CliError::zh); the JSON stays English.
int fail(CliContext& ctx, const CliError& e);
int fail(CliContext& ctx, int status, const std::string& message);
int fail(CliContext& ctx, int status, const std::string& message, const std::string& zh);

std::optional<std::uint32_t> parseSerial(std::string_view text);

// A decision for a person: under --lang zh the Chinese sentence (reports/decision_words.h), under en
// "REASON_CODE: message"; either with the visit's number. `manual`: the guard who decided, if one did.
std::string toText(CliContext& ctx, const gate::Decision& d, const std::optional<gate::Manual>& manual = std::nullopt);
nlohmann::json toJson(CliContext& ctx, const gate::Voucher& v);
nlohmann::json toJson(CliContext& ctx, const gate::Visit& v);

}  // namespace vg::cli
