// report, audit verify, backup (cards: see commands_device.cpp's sibling once the card renderer is wired).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <fstream>
#include <memory>

#include "cli/command_util.h"
#include "cli/commands.h"
#include "reports/month_report.h"

namespace vg::cli {

namespace {

using nlohmann::json;

struct ReportOpts {
    std::string month, format = "text", out, head, dir;
};

// Writes `bytes` to `path` whole, or reports why not (and leaves no half-written file).
int writeReport(CliContext& ctx, const std::string& path, const std::string& bytes) {
    namespace fs = std::filesystem;
    const fs::path dest(path);
    const fs::path tmp = dest.string() + ".part";
    {
        std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
        f << bytes;
        f.close();
        if (!f) {
            std::error_code ec;
            fs::remove(tmp, ec);
            return fail(ctx, kExitUsage, fmt::format("--out: cannot write {}", path));
        }
    }
    std::error_code ec;
    fs::rename(tmp, dest, ec);
    if (ec) {
        fs::remove(tmp, ec);
        return fail(ctx, kExitUsage, fmt::format("--out: cannot write {}: {}", path, ec.message()));
    }
    return kExitOk;
}

}  // namespace

void registerCommitteeCommands(CLI::App& app, Command& command) {
    auto o = std::make_shared<ReportOpts>();
    auto* report = app.add_subcommand("report", "the month's usage per household, shared plates, the audit head");
    report->add_option("--month", o->month, "YYYY-MM")->required();
    report->add_option("--format", o->format, "text, csv, json or xlsx (xlsx needs --out)")
        ->check(CLI::IsMember({"text", "csv", "json", "xlsx"}));
    report->add_option("--out", o->out, "write the report to FILE instead of standard output");
    report->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            auto month = gate::YearMonth::parse(o->month);
            if (!month) return fail(ctx, kExitUsage, "--month: use YYYY-MM, e.g. 2026-11");
            if (o->format == "xlsx" && o->out.empty()) {
                return fail(ctx, kExitUsage, "--format xlsx writes a file: give it with --out FILE.xlsx");
            }
            auto settings = ctx.ruleSettings(std::nullopt, std::nullopt);
            auto ledger = ctx.ledger(Access::ReadOnly);
            if (!ledger) return fail(ctx, ledger.error());
            auto r = (*ledger)->report(*month, *settings, ctx.now());
            if (!r) return fail(ctx, toCliError(r.error()));
            const std::string& site = ctx.settings().site.name;
            std::string bytes;
            if (o->format == "xlsx") {
                auto xlsx = reports::monthXlsx(*r, site, ctx.lang());
                if (!xlsx) return fail(ctx, kExitInternal, xlsx.error());
                bytes = std::move(*xlsx);
            } else if (o->format == "json" || (ctx.json() && o->out.empty())) {
                bytes = reports::monthJson(*r).dump(-1, ' ', false, json::error_handler_t::replace) + '\n';
            } else if (o->format == "csv") {
                bytes = reports::monthCsv(*r, ctx.lang());
            } else {
                bytes = reports::monthText(*r, site, ctx.lang());
            }
            if (o->out.empty()) {
                ctx.out() << bytes;
                return kExitOk;
            }
            if (int status = writeReport(ctx, o->out, bytes); status != kExitOk) return status;
            ctx.emit(json{{"ok", true}, {"month", month->str()}, {"format", o->format}, {"out", o->out}},
                     fmt::format("{} report for {} written to {}", o->format, month->str(), o->out));
            return kExitOk;
        };
    });

    auto* audit = app.add_subcommand("audit", "the audit chain");
    audit->require_subcommand(1);
    auto* verify = audit->add_subcommand("verify", "check the chain; exit 0 intact, 3 broken");
    verify->add_option("--head", o->head, "N:HASH from an earlier report: also detects a cut tail");
    verify->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            std::optional<gate::AuditHead> head;
            if (!o->head.empty()) {
                head = gate::AuditHead::parse(o->head);
                if (!head) return fail(ctx, kExitUsage, "--head must be N:HASH as printed by `report`");
            }
            auto ledger = ctx.ledger(Access::ReadOnly);
            if (!ledger) return fail(ctx, ledger.error());
            const auto v = (*ledger)->verifyAudit(head);
            json j{{"ok", v.ok}, {"head", v.head.str()}, {"rows", v.head.count}};
            if (!v.ok) {
                j["problem"] = v.problem;
                if (v.first_bad_seq) j["first_bad_row"] = *v.first_bad_seq;
            }
            ctx.emit(j, v.ok ? fmt::format("audit chain intact: {} rows, head {}", v.head.count, v.head.str())
                             : fmt::format("AUDIT CHAIN BROKEN: {}", v.problem));
            return v.ok ? kExitOk : kExitRefused;
        };
    });

    auto* backup = app.add_subcommand("backup", "a consistent copy of the ledger and the keys into DIR");
    backup->add_option("DIR", o->dir)->required();
    backup->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            namespace fs = std::filesystem;
            std::error_code ec;
            fs::create_directories(o->dir, ec);
            if (ec) return fail(ctx, kExitUsage, fmt::format("cannot create {}: {}", o->dir, ec.message()));
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            const auto stamp = ctx.zone().formatLocal(ctx.now(), "%Y%m%d-%H%M%S");
            const fs::path db = fs::path(o->dir) / fmt::format("ledger-{}.db", stamp);
            if (fs::exists(db)) return fail(ctx, kExitUsage, fmt::format("{} exists already", db.string()));
            if (auto r = (*ledger)->backup(db, ctx.now()); !r) return fail(ctx, toCliError(r.error()));
            json copied = json::array({db.string()});
            for (const auto& key : {ctx.settings().vouchers.key_file, ctx.settings().audit.key_file}) {
                const fs::path dest = fs::path(o->dir) / fmt::format("{}-{}", stamp, key.filename().string());
                fs::copy_file(key, dest, fs::copy_options::overwrite_existing, ec);
                if (ec) return fail(ctx, kExitInternal, fmt::format("cannot copy {}: {}", key.string(), ec.message()));
                fs::permissions(dest, fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read,
                                fs::perm_options::replace, ec);
                copied.push_back(dest.string());
            }
            ctx.emit(json{{"ok", true}, {"files", copied}},
                     fmt::format("backup written to {} (ledger and keys; keep it as safe as the keys)", o->dir));
            return kExitOk;
        };
    });
}

}  // namespace vg::cli
