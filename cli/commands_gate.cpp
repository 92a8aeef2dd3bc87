// enter, exit, visit void, visits, vehicle.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <fstream>
#include <memory>

#include "cli/command_util.h"
#include "cli/commands.h"
#include "gate/decision_json.h"

namespace vg::cli {

namespace {

using nlohmann::json;

struct PassOpts {
    std::string lane, plate, voucher, at, operator_name, reason;
    bool dry_run = false;
};

int runPass(CliContext& ctx, const PassOpts& o, gate::Direction direction) {
    if (o.plate.empty() && o.voucher.empty()) {
        return fail(ctx, kExitUsage, "give --plate and/or --voucher: what did the lane see?");
    }
    const bool manual_given = !o.operator_name.empty() || !o.reason.empty();
    if ((!o.at.empty() || manual_given) && (o.operator_name.empty() || o.reason.empty())) {
        return fail(ctx, kExitUsage, "a manual or back-dated decision needs both --operator and --reason");
    }
    auto settings = ctx.ruleSettings(
        o.lane, direction == gate::Direction::Entry ? config::Direction::Entry : config::Direction::Exit);
    if (!settings) return fail(ctx, settings.error());
    gate::Observation obs;
    obs.lane = o.lane;
    obs.direction = direction;
    if (!o.plate.empty()) obs.plate = gate::PlateSeen{o.plate, 1.0};
    if (!o.voucher.empty()) obs.token = o.voucher;
    if (!o.at.empty()) {
        auto at = ctx.zone().parse(o.at);
        if (!at) return fail(ctx, kExitUsage, fmt::format("--at: {}", at.error()));
        if (*at > ctx.now()) return fail(ctx, kExitUsage, "--at lies in the future: only past events can be recorded");
        obs.at = *at;
    }
    std::optional<gate::Manual> manual;
    if (manual_given) manual = gate::Manual{o.operator_name, o.reason};
    auto ledger = ctx.ledger();
    if (!ledger) {
        // Even without a ledger, the gate's answer is defined: entry fails closed; the exit opens or holds.
        return fail(ctx, ledger.error());
    }
    const auto d = (*ledger)->decide(obs, *settings, ctx.now(), o.dry_run, manual);
    json j = gate::decisionJson(d, ctx.zone());
    if (o.dry_run) j["dry_run"] = true;
    std::string text = toText(ctx, d) + (o.dry_run ? " (dry run: nothing written)" : "");
    if (d.spool_replayed > 0) {
        // Exit decisions the daemon spooled while the ledger was unwritable went into it first (rule 8).
        j["spool_replayed"] = d.spool_replayed;
        text += fmt::format("\n({} spooled exit decision{} replayed into the ledger first)", d.spool_replayed,
                            d.spool_replayed == 1 ? "" : "s");
    }
    ctx.emit(j, text);
    return gate::exitStatusFor(d.reason);
}

void registerPass(CLI::App& app, Command& command, const char* name, gate::Direction direction) {
    auto o = std::make_shared<PassOpts>();
    auto* sub = app.add_subcommand(name, direction == gate::Direction::Entry
                                             ? "record one entry decision exactly as the gate would take it"
                                             : "record one exit decision exactly as the gate would take it");
    sub->add_option("--lane", o->lane, "lane name")->required();
    sub->add_option("--plate", o->plate, "plate as read, e.g. 沪A12345");
    sub->add_option("--voucher", o->voucher, "voucher token (VG1:...)");
    sub->add_option("--at", o->at, "back-date the event (needs --operator and --reason)");
    sub->add_option("--operator", o->operator_name, "who records it");
    sub->add_option("--reason", o->reason, "why");
    sub->add_flag("--dry-run", o->dry_run, "answer and write nothing");
    sub->callback([&command, o, direction] {
        command.run = [o, direction](CliContext& ctx) { return runPass(ctx, *o, direction); };
    });
}

struct VisitOpts {
    std::int64_t id = 0;
    std::string operator_name, reason, month;
    bool restore = false, inside = false, overstayed = false;
};

void registerVisits(CLI::App& app, Command& command) {
    auto o = std::make_shared<VisitOpts>();
    auto* visit = app.add_subcommand("visit", "the guard's correction of a visit");
    visit->require_subcommand(1);
    auto* v = visit->add_subcommand("void", "void a visit (the car did not really come in)");
    v->add_option("ID", o->id)->required()->check(CLI::PositiveNumber);
    v->add_option("--operator", o->operator_name)->required();
    v->add_option("--reason", o->reason)->required();
    v->add_flag("--restore-voucher", o->restore, "give the voucher back to the household");
    v->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            auto r = (*ledger)->voidVisit(o->id, gate::Manual{o->operator_name, o->reason}, o->restore, ctx.now());
            if (!r) return fail(ctx, toCliError(r.error()));
            json j = toJson(ctx, *r);
            ctx.emit(j, fmt::format("visit {} void{}", o->id,
                                    o->restore ? fmt::format("; voucher {} can be used again", r->serial) : ""));
            return kExitOk;
        };
    });
    auto* list = app.add_subcommand("visits", "list visits");
    list->add_flag("--inside", o->inside, "cars still inside");
    list->add_flag("--overstayed", o->overstayed, "every visit past its deadline + grace, still inside or gone");
    list->add_option("--month", o->month, "YYYY-MM (entered during that month)");
    list->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            gate::VisitFilter filter{.inside_only = o->inside, .overstayed_only = o->overstayed};
            if (!o->month.empty()) {
                filter.month = gate::YearMonth::parse(o->month);
                if (!filter.month) return fail(ctx, kExitUsage, "--month: use YYYY-MM, e.g. 2026-11");
            }
            auto settings = ctx.ruleSettings(std::nullopt, std::nullopt);
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            auto r = (*ledger)->visits(filter, *settings, ctx.now());
            if (!r) return fail(ctx, toCliError(r.error()));
            for (const auto& x : *r) {
                std::string where = x.exited_at ? "out " + ctx.local(*x.exited_at) : std::string("inside");
                if (x.voided_at && !x.exited_at) where = "-";
                std::string text = fmt::format("{:>5} {:<10} {:<10} in {}  deadline {}  {}{}", x.id, x.unit,
                                               x.plate.empty() ? (x.plate_unread ? "(unread)" : "(purged)") : x.plate,
                                               ctx.local(x.entered_at), ctx.local(x.deadline), where,
                                               x.overstay ? fmt::format("  OVERSTAY {}", formatStay(*x.overstay)) : "");
                if (x.voided_at) {
                    text += fmt::format("  VOID {} by {}: {}{}", ctx.local(*x.voided_at), x.void_operator,
                                        x.void_reason, x.voucher_restored ? " (voucher given back)" : "");
                }
                ctx.emit(toJson(ctx, x), text);
            }
            return kExitOk;
        };
    });
}

struct VehicleOpts {
    std::string plate, kind, unit, until, file;
};

std::optional<std::string> checkVehicle(const std::string& kind, const std::string& until) {
    if (kind != "resident" && kind != "blocked") return fmt::format("kind '{}' must be resident or blocked", kind);
    if (!until.empty()) {
        const bool shape = until.size() == 10 && until[4] == '-' && until[7] == '-';
        if (!shape || !gate::YearMonth::parse(until.substr(0, 7))) {
            return fmt::format("until '{}' must be a date YYYY-MM-DD", until);
        }
    }
    return std::nullopt;
}

gate::Vehicle makeVehicle(const std::string& plate, const std::string& kind, const std::string& unit,
                          const std::string& until) {
    return gate::Vehicle{.plate = plate,
                         .kind = kind == "resident" ? gate::VehicleKind::Resident : gate::VehicleKind::Blocked,
                         .unit = unit,
                         .until = until.empty() ? std::nullopt : std::optional(until)};
}

std::vector<std::string> splitCsvLine(const std::string& line) {
    std::vector<std::string> fields;
    std::string cur;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                cur += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cur += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.push_back(cur);
            cur.clear();
        } else if (c != '\r') {
            cur += c;
        }
    }
    fields.push_back(cur);
    for (auto& f : fields) {
        while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.erase(f.begin());
        while (!f.empty() && (f.back() == ' ' || f.back() == '\t')) f.pop_back();
    }
    return fields;
}

int runImport(CliContext& ctx, const std::string& file) {
    std::ifstream in(file);
    if (!in) return fail(ctx, kExitUsage, fmt::format("cannot read {}", file));
    std::vector<gate::Vehicle> rows;
    std::string line;
    int n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (n == 1 && line.starts_with("\xEF\xBB\xBF")) line.erase(0, 3);
        if (line.empty() || line.starts_with('#')) continue;
        auto f = splitCsvLine(line);
        if (n == 1 && !f.empty() && (f[0] == "plate" || f[0] == "PLATE")) continue;  // header
        if (f.size() < 2 || f.size() > 4 || f[0].empty()) {
            return fail(ctx, kExitUsage,
                        fmt::format("{}:{}: expected plate,kind[,unit[,until]]; nothing was imported", file, n));
        }
        f.resize(4);
        if (auto problem = checkVehicle(f[1], f[3])) {
            return fail(ctx, kExitUsage, fmt::format("{}:{}: {}; nothing was imported", file, n, *problem));
        }
        rows.push_back(makeVehicle(f[0], f[1], f[2], f[3]));
    }
    auto ledger = ctx.ledger();
    if (!ledger) return fail(ctx, ledger.error());
    for (const auto& v : rows) {
        if (auto r = (*ledger)->addVehicle(v, ctx.now()); !r) return fail(ctx, toCliError(r.error()));
    }
    ctx.emit(json{{"ok", true}, {"imported", rows.size()}}, fmt::format("{} vehicles imported", rows.size()));
    return kExitOk;
}

void registerVehicle(CLI::App& app, Command& command) {
    auto* veh = app.add_subcommand("vehicle", "registered and blocked cars");
    veh->require_subcommand(1);
    auto o = std::make_shared<VehicleOpts>();
    auto* add = veh->add_subcommand("add", "register a resident car or block a plate");
    add->add_option("PLATE", o->plate)->required();
    add->add_option("--kind", o->kind, "resident or blocked")->required();
    add->add_option("--unit", o->unit);
    add->add_option("--until", o->until, "last valid day, YYYY-MM-DD");
    add->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            if (auto problem = checkVehicle(o->kind, o->until)) return fail(ctx, kExitUsage, *problem);
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            if (auto r = (*ledger)->addVehicle(makeVehicle(o->plate, o->kind, o->unit, o->until), ctx.now()); !r) {
                return fail(ctx, toCliError(r.error()));
            }
            ctx.emit(json{{"ok", true}, {"plate", gate::normalizePlate(o->plate)}, {"kind", o->kind}},
                     fmt::format("{} registered as {}", gate::normalizePlate(o->plate), o->kind));
            return kExitOk;
        };
    });
    auto* remove = veh->add_subcommand("remove", "remove a plate from the list");
    remove->add_option("PLATE", o->plate)->required();
    remove->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            if (auto r = (*ledger)->removeVehicle(o->plate, ctx.now()); !r) return fail(ctx, toCliError(r.error()));
            ctx.emit(json{{"ok", true}, {"plate", gate::normalizePlate(o->plate)}},
                     fmt::format("{} removed", gate::normalizePlate(o->plate)));
            return kExitOk;
        };
    });
    veh->add_subcommand("list", "list registered and blocked cars")->callback([&command] {
        command.run = [](CliContext& ctx) {
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            auto r = (*ledger)->vehicles();
            if (!r) return fail(ctx, toCliError(r.error()));
            for (const auto& v : *r) {
                json j{{"plate", v.plate}, {"kind", gate::toString(v.kind)}, {"unit", v.unit}};
                if (v.until) j["until"] = *v.until;
                ctx.emit(j, fmt::format("{:<10} {:<9} {:<10} {}", v.plate, gate::toString(v.kind), v.unit,
                                        v.until ? "until " + *v.until : ""));
            }
            return kExitOk;
        };
    });
    auto* import = veh->add_subcommand("import", "import plate,kind[,unit[,until]] rows from a CSV file");
    import->add_option("FILE", o->file)->required();
    import->callback([&command, o] {
        command.run = [o](CliContext& ctx) { return runImport(ctx, o->file);
};
}  // namespace
);
}  // namespace vg::cli

}  // namespace

void registerGateCommands(CLI::App& app, Command& command) {
    registerPass(app, command, "enter", gate::Direction::Entry);
    registerPass(app, command, "exit", gate::Direction::Exit);
    registerVisits(app, command);
    registerVehicle(app, command);
}

}  // namespace vg::cli
