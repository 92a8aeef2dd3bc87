// The CLI's commands: registerCommands() adds every subcommand to the CLI11 app and, when one is chosen,
// stores in `command` the function that runs it. Single-threaded; commands report errors through the
// context's streams and return the exit status.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace vg::cli {

class CliContext;

struct Command {
    std::function<int(CliContext&)> run;
    bool needs_config = true;
};

void registerCommands(CLI::App& app, Command& command);

// Groups, one file each.
void registerLedgerCommands(CLI::App& app, Command& command);     // init, household, issue, voucher, verify, key
void registerGateCommands(CLI::App& app, Command& command);       // enter, exit, visit, visits, vehicle
void registerCommitteeCommands(CLI::App& app, Command& command);  // report, audit, backup, cards
void registerDeviceCommands(CLI::App& app, Command& command);     // scan, confirm, open, hold-open, release
void registerAccountCommands(CLI::App& app, Command& command);    // user
void registerDecisionCommands(CLI::App& app, Command& command);   // decisions

}  // namespace vg::cli
