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

// Prints "voucher-gate: message" on stderr (and {"error": ...} on stdout with --json); returns the status.
int fail(CliContext& ctx, const CliError& e);
int fail(CliContext& ctx, int status, const std::string& message);

std::optional<std::uint32_t> parseSerial(std::string_view text);

std::string toText(CliContext& ctx, const gate::Decision& d);
nlohmann::json toJson(CliContext& ctx, const gate::Voucher& v);
nlohmann::json toJson(CliContext& ctx, const gate::Visit& v);

}  // namespace vg::cli
