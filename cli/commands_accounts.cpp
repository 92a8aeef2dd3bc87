// user add, user passwd, user disable, user list: the console's accounts (PRODUCT.md). Passwords are read
// from standard input, never from the command line (which other users can see in ps); on a terminal they are
// asked for twice without echo. Every change is audited with the Unix user who ran the command.
#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/command_util.h"
#include "cli/commands.h"

namespace vg::cli {

namespace {

using nlohmann::json;

// One line from stdin without its line ending; nullopt at end of input.
std::optional<std::string> readLine(bool echo_off) {
    termios saved{};
    const bool tty = echo_off && ::isatty(STDIN_FILENO) != 0 && ::tcgetattr(STDIN_FILENO, &saved) == 0;
    if (tty) {
        termios quiet = saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    std::string line;
    const bool got = static_cast<bool>(std::getline(std::cin, line));
    if (tty) {
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        std::cerr << '\n';
    }
    if (!got) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

// The new password: one line from a pipe, or asked twice on a terminal.
CliResult<std::string> readNewPassword(CliContext& ctx, const std::string& account) {
    if (::isatty(STDIN_FILENO) == 0) {
        auto line = readLine(false);
        if (!line) return std::unexpected(CliError{kExitUsage, "no password on standard input"});
        return *line;
    }
    ctx.err() << fmt::format("new password for {}: ", account) << std::flush;
    auto first = readLine(true);
    ctx.err() << "again: " << std::flush;
    auto second = readLine(true);
    if (!first || !second) return std::unexpected(CliError{kExitUsage, "no password given"});
    if (*first != *second) return std::unexpected(CliError{kExitUsage, "the two passwords differ; nothing changed"});
    return *first;
}

json toJson(CliContext& ctx, const gate::Account& a) {
    return json{{"name", a.name},
                {"role", gate::toString(a.role)},
                {"created_at", ctx.localIso(a.created_at)},
                {"password_changed_at", ctx.localIso(a.password_changed_at)},
                {"disabled_at", a.disabled_at ? json(ctx.localIso(*a.disabled_at)) : json(nullptr)}};
}

struct AccountOpts {
    std::string name;
    std::string role;
    bool password_stdin = false;
};

}  // namespace

void registerAccountCommands(CLI::App& app, Command& command) {
    auto* user = app.add_subcommand("user", "console accounts (add, passwd, disable, list)");
    user->require_subcommand(1);
    auto o = std::make_shared<AccountOpts>();

    auto* add = user->add_subcommand("add", "add a console account; its password is read from standard input");
    add->add_option("NAME", o->name, "account name: a-z, 0-9, '.', '_', '-'")->required();
    add->add_option("--role", o->role, "viewer, committee, management, guard or admin")
        ->required()
        ->check(CLI::IsMember({"viewer", "committee", "management", "guard", "admin"}));
    add->add_flag("--password-stdin", o->password_stdin, "read the password from standard input (one line)")
        ->required();
    add->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            auto password = readNewPassword(ctx, o->name);
            if (!password) return fail(ctx, password.error());
            auto a = (*ledger)->addAccount(o->name, *gate::parseRole(o->role), *password, ctx.actor(), ctx.now());
            if (!a) return fail(ctx, toCliError(a.error()));
            ctx.emit(json{{"ok", true}, {"account", toJson(ctx, *a)}},
                     fmt::format("account {} added ({})", a->name, gate::toString(a->role)));
            return kExitOk;
        };
    });

    auto* passwd = user->add_subcommand("passwd", "set an account's password, read from standard input");
    passwd->add_option("NAME", o->name, "account name")->required();
    passwd->add_flag("--password-stdin", o->password_stdin, "read the password from standard input (the default)");
    passwd->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            auto password = readNewPassword(ctx, o->name);
            if (!password) return fail(ctx, password.error());
            auto r = (*ledger)->setPassword(o->name, *password, ctx.actor(), ctx.now());
            if (!r) return fail(ctx, toCliError(r.error()));
            ctx.emit(json{{"ok", true}, {"account", o->name}}, fmt::format("password of {} changed", o->name));
            return kExitOk;
        };
    });

    auto* disable = user->add_subcommand("disable", "disable an account (it cannot log in; it stays in the records)");
    disable->add_option("NAME", o->name, "account name")->required();
    disable->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            auto r = (*ledger)->disableAccount(o->name, ctx.actor(), ctx.now());
            if (!r) return fail(ctx, toCliError(r.error()));
            ctx.emit(json{{"ok", true}, {"account", o->name}}, fmt::format("account {} disabled", o->name));
            return kExitOk;
        };
    });

    user->add_subcommand("list", "list console accounts")->callback([&command] {
        command.run = [](CliContext& ctx) {
            auto ledger = ctx.ledger(Access::ReadOnly);
            if (!ledger) return fail(ctx, ledger.error());
            auto list = (*ledger)->accounts();
            if (!list) return fail(ctx, toCliError(list.error()));
            if (list->empty() && !ctx.json()) {
                ctx.err() << "no console accounts yet (user add NAME --role ROLE --password-stdin)\n";
            }
            for (const auto& a : *list) {
                ctx.emit(toJson(ctx, a), fmt::format("{:<20} {:<11} created {}{}", a.name, gate::toString(a.role),
                                                     ctx.local(a.created_at),
                                                     a.disabled_at ? ", disabled " + ctx.local(*a.disabled_at) : ""));
            }
            return kExitOk;
        };
    });
}

}  // namespace vg::cli
