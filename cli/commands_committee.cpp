// report, audit verify, backup (cards: see commands_device.cpp's sibling once the card renderer is wired).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>
#include <sstream>

#include "cli/command_util.h"
#include "cli/commands.h"

namespace vg::cli {

namespace {

using nlohmann::json;

std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

long long minutesOf(gate::Duration d) { return std::chrono::duration_cast<std::chrono::minutes>(d).count(); }

json reportJson(const gate::MonthReport& r) {
    json households = json::array();
    for (const auto& h : r.households) {
        households.push_back(json{{"unit", h.unit},
                                  {"category", h.category},
                                  {"issued", h.issued},
                                  {"used", h.used},
                                  {"unused", h.unused},
                                  {"revoked", h.revoked},
                                  {"replaced", h.replaced},
                                  {"visits", h.visits},
                                  {"total_stay_minutes", minutesOf(h.total_stay)},
                                  {"longest_stay_minutes", minutesOf(h.longest_stay)},
                                  {"overstays", h.overstays},
                                  {"fees", h.fees}});
    }
    json shared = json::array();
    for (const auto& s : r.shared_plates) shared.push_back(json{{"plate", s.plate}, {"units", s.units}});
    return json{{"month", r.month.str()},           {"households", households},
                {"shared_plates", shared},          {"cars_inside_now", r.cars_inside_now},
                {"audit_head", r.audit_head.str()}, {"audit_rows", r.audit_head.count}};
}

std::string reportText(const gate::MonthReport& r, const std::string& site) {
    std::ostringstream o;
    o << fmt::format("Family parking vouchers — {}{}\n\n", r.month.str(), site.empty() ? "" : " — " + site);
    o << fmt::format("{:<10} {:<13} {:>6} {:>5} {:>7} {:>7} {:>8} {:>6} {:>11} {:>11} {:>9}\n", "unit", "category",
                     "issued", "used", "unused", "revoked", "replaced", "visits", "total stay", "longest", "overstays");
    gate::HouseholdReport sum;
    for (const auto& h : r.households) {
        o << fmt::format("{:<10} {:<13} {:>6} {:>5} {:>7} {:>7} {:>8} {:>6} {:>11} {:>11} {:>9}\n", h.unit, h.category,
                         h.issued, h.used, h.unused, h.revoked, h.replaced, h.visits, formatStay(h.total_stay),
                         formatStay(h.longest_stay), h.overstays);
        sum.issued += h.issued;
        sum.used += h.used;
        sum.unused += h.unused;
        sum.revoked += h.revoked;
        sum.replaced += h.replaced;
        sum.visits += h.visits;
        sum.overstays += h.overstays;
        sum.total_stay += h.total_stay;
        sum.longest_stay = std::max(sum.longest_stay, h.longest_stay);
        sum.fees += h.fees;
    }
    o << fmt::format("{:<10} {:<13} {:>6} {:>5} {:>7} {:>7} {:>8} {:>6} {:>11} {:>11} {:>9}\n", "total",
                     fmt::format("{} households", r.households.size()), sum.issued, sum.used, sum.unused, sum.revoked,
                     sum.replaced, sum.visits, formatStay(sum.total_stay), formatStay(sum.longest_stay), sum.overstays);
    if (sum.fees > 0) o << fmt::format("\nOverstay fees owed: {:.2f} yuan\n", sum.fees);
    if (!r.shared_plates.empty()) {
        o << "\nPlates that used several households' vouchers:\n";
        for (const auto& s : r.shared_plates) {
            std::string units;
            for (const auto& u : s.units) units += (units.empty() ? "" : ", ") + u;
            o << fmt::format("  {}: {}\n", s.plate, units);
        }
    }
    o << fmt::format("\nCars inside on vouchers now: {}\n", r.cars_inside_now);
    o << fmt::format(
        "Audit chain head: {}\n(keep this line: `voucher-gate audit verify --head {}` later proves that "
        "no row up to here was removed)\n",
        r.audit_head.str(), r.audit_head.str());
    return o.str();
}

std::string reportCsv(const gate::MonthReport& r) {
    // UTF-8 with a BOM so that spreadsheet programs show Chinese text correctly when the file is opened.
    std::ostringstream o;
    o << "\xEF\xBB\xBF";
    o << "month,unit,category,issued,used,unused,revoked,replaced,visits,total_stay_minutes,longest_stay_minutes,"
         "overstays,fees\r\n";
    for (const auto& h : r.households) {
        o << fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{:.2f}\r\n", r.month.str(), csvField(h.unit),
                         csvField(h.category), h.issued, h.used, h.unused, h.revoked, h.replaced, h.visits,
                         minutesOf(h.total_stay), minutesOf(h.longest_stay), h.overstays, h.fees);
    }
    o << fmt::format("# audit head,{}\r\n", r.audit_head.str());
    return o.str();
}

struct ReportOpts {
    std::string month, format = "text", head, dir;
};

}  // namespace

void registerCommitteeCommands(CLI::App& app, Command& command) {
    auto o = std::make_shared<ReportOpts>();
    auto* report = app.add_subcommand("report", "the month's usage per household, shared plates, the audit head");
    report->add_option("--month", o->month, "YYYY-MM")->required();
    report->add_option("--format", o->format, "text, csv or json")->check(CLI::IsMember({"text", "csv", "json"}));
    report->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            auto month = gate::YearMonth::parse(o->month);
            if (!month) return fail(ctx, kExitUsage, "--month: use YYYY-MM, e.g. 2026-11");
            auto settings = ctx.ruleSettings(std::nullopt, std::nullopt);
            auto ledger = ctx.ledger(Access::ReadOnly);
            if (!ledger) return fail(ctx, ledger.error());
            auto r = (*ledger)->report(*month, *settings, ctx.now());
            if (!r) return fail(ctx, toCliError(r.error()));
            if (o->format == "json" || ctx.json()) {
                ctx.out() << reportJson(*r).dump() << '\n';
            } else if (o->format == "csv") {
                ctx.out() << reportCsv(*r);
            } else {
                ctx.out() << reportText(*r, ctx.settings().site.name);
            }
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
