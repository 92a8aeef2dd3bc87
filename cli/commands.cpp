#include "cli/commands.h"

namespace vg::cli {

void registerCommands(CLI::App& app, Command& command) {
    registerLedgerCommands(app, command);
    registerGateCommands(app, command);
    registerCommitteeCommands(app, command);
    registerAccountCommands(app, command);
    registerDeviceCommands(app, command);
    registerDecisionCommands(app, command);
}

}  // namespace vg::cli
