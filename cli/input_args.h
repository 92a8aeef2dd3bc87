// The CLI's side of input checking (gate/input_check.h): the checker built from the estate's patterns in the
// loaded config. Single-threaded, like the rest of a CLI run.
#pragma once

#include "cli/cli_context.h"
#include "gate/input_check.h"

namespace vg::cli {

// The unit and phone checks of site.unit_pattern and site.phone_pattern (validated when the config loaded).
inline gate::InputChecker inputChecker(const CliContext& ctx) {
    return gate::InputChecker(
        gate::InputPatterns{.unit = ctx.settings().site.unit_pattern, .phone = ctx.settings().site.phone_pattern});
}

}  // namespace vg::cli
