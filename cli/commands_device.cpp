// scan (vision, no config or database), and the guard's commands to the running daemon.
#include <CLI/CLI.hpp>

#include "cli/commands.h"

namespace vg::cli {

void registerDeviceCommands(CLI::App&, Command&) {}

}  // namespace vg::cli
