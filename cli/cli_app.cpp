#include "cli/cli_app.h"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <fstream>
#include <iostream>
#include <sstream>

#include "cli/cli_context.h"
#include "cli/commands.h"

namespace vg::cli {

int run(int argc, char** argv) { return run(argc, argv, std::cout, std::cerr); }

int run(int argc, char** argv, std::ostream& out, std::ostream& err) {
    CLI::App app{"voucher-gate: the family parking voucher scheme's admin tool"};
    app.require_subcommand(1);
    app.fallthrough();  // global options are accepted before or after the command
    GlobalOptions global;
    app.add_option("--config", global.config_path, "config file (default /etc/voucher-gate/voucher-gate.toml)");
    app.add_option("--db", global.db_path, "ledger file, overrides database.path");
    app.add_flag("--json", global.json, "one JSON object per line");
    app.add_option("--lang", global.lang, "text and spreadsheets in zh (default) or en; JSON keys never change")
        ->check(CLI::IsMember({"zh", "en"}));
    app.add_option("--now", global.now, "run as if the clock read TIME (ISO 8601, site time or with offset)");

    Command command;
    registerCommands(app, command);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        out << app.help();
        return kExitOk;
    } catch (const CLI::CallForAllHelp& e) {
        out << app.help("", CLI::AppFormatMode::All);
        return kExitOk;
    } catch (const CLI::ParseError& e) {
        err << "voucher-gate: " << e.what() << "\n(run `voucher-gate --help` for the commands)\n";
        return kExitUsage;
    }
    global.config_given = app.count("--config") > 0;
    if (!command.run) {
        err << "voucher-gate: no command given (run `voucher-gate --help`)\n";
        return kExitUsage;
    }
    CliContext ctx(global, out, err);
    if (!command.needs_config) return command.run(ctx);
    if (auto loaded = ctx.load(); !loaded) {
        err << "voucher-gate: " << loaded.error().message << '\n';
        return loaded.error().status;
    }
    try {
        return command.run(ctx);
    } catch (const std::exception& e) {
        err << "voucher-gate: internal error: " << e.what() << '\n';
        return kExitInternal;
    }
}

}  // namespace vg::cli
