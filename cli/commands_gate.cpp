// enter, exit, visit void, visits, vehicle.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <sstream>

#include "cli/command_util.h"
#include "cli/commands.h"
#include "cli/input_args.h"
#include "gate/decision_json.h"
#include "gate/input_check.h"
#include "gate/vehicle_rows.h"
#include "reports/words.h"

namespace vg::cli {

namespace {

using nlohmann::json;

struct PassOpts {
    std::string lane, plate, voucher, at, operator_name, reason;
    bool dry_run = false;
};

int runPass(CliContext& ctx, const PassOpts& given, gate::Direction direction) {
    PassOpts o = given;
    if (o.plate.empty() && o.voucher.empty()) {
        return fail(ctx, kExitUsage, "give --plate and/or --voucher: what did the lane see?",
                    "请给出 --plate 或 --voucher（或两者）：车道看到了什么？");
    }
    for (auto [field, value] :
         {std::pair{"--lane", &o.lane}, {"--operator", &o.operator_name}, {"--reason", &o.reason}}) {
        if (auto problem = gate::textProblem(field, *value)) return fail(ctx, kExitUsage, *problem);
    }
    if (!o.plate.empty()) {
        auto plate = gate::checkPlate("--plate", o.plate);
        if (!plate) return fail(ctx, kExitUsage, plate.error());
        o.plate = *plate;
    }
    const bool manual_given = !o.operator_name.empty() || !o.reason.empty();
    if ((!o.at.empty() || manual_given) && (o.operator_name.empty() || o.reason.empty())) {
        return fail(ctx, kExitUsage, "a manual or back-dated decision needs both --operator and --reason",
                    "手动或补记的决定要同时写明 --operator（谁）和 --reason（原因）");
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
        if (*at > ctx.now()) {
            return fail(ctx, kExitUsage, "--at lies in the future: only past events can be recorded",
                        "--at 是将来的时间：只能补记已经发生的事");
        }
        obs.at = *at;
    }
    std::optional<gate::Manual> manual;
    if (manual_given) manual = gate::Manual{o.operator_name, o.reason};
    auto ledger = ctx.ledger(o.dry_run ? Access::ReadOnly : Access::ReadWrite);
    if (!ledger) {
        // Even without a ledger, the gate's answer is defined: entry fails closed; the exit opens or holds.
        return fail(ctx, ledger.error());
    }
    const auto d = (*ledger)->decide(obs, *settings, ctx.now(), o.dry_run, manual);
    json j = gate::decisionJson(d, ctx.zone());
    if (o.dry_run) j["dry_run"] = true;
    std::string text = toText(ctx, d, manual);
    if (o.dry_run) text += ctx.say("（试运行：没有记录）", " (dry run: nothing written)");
    if (d.spool_replayed > 0) {
        // Exit decisions the daemon spooled while the ledger was unwritable went into it first (rule 8).
        j["spool_replayed"] = d.spool_replayed;
        text += ctx.say(fmt::format("\n（先补记了 {} 条暂存的离场记录）", d.spool_replayed),
                        fmt::format("\n({} spooled exit decision{} replayed into the ledger first)", d.spool_replayed,
                                    d.spool_replayed == 1 ? "" : "s"));
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
            for (auto [field, value] : {std::pair{"--operator", &o->operator_name}, {"--reason", &o->reason}}) {
                if (auto problem = gate::textProblem(field, *value)) return fail(ctx, kExitUsage, *problem);
            }
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            auto r = (*ledger)->voidVisit(o->id, gate::Manual{o->operator_name, o->reason}, o->restore, ctx.now());
            if (!r) return fail(ctx, toCliError(r.error()));
            json j = toJson(ctx, *r);
            ctx.emit(j,
                     ctx.say(fmt::format("来访 {} 已作废{}", o->id,
                                         o->restore ? fmt::format("，停车券 {} 可以再用", r->serial) : ""),
                             fmt::format("visit {} void{}", o->id,
                                         o->restore ? fmt::format("; voucher {} can be used again", r->serial) : "")));
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
            auto ledger = ctx.ledger(Access::ReadOnly);
            if (!ledger) return fail(ctx, ledger.error());
            auto r = (*ledger)->visits(filter, *settings, ctx.now());
            if (!r) return fail(ctx, toCliError(r.error()));
            const auto lang = ctx.lang();
            const bool zh = lang == reports::Lang::Zh;
            using Align = reports::TextTable::Align;
            reports::TextTable table({{zh ? "来访" : "visit", Align::Right},
                                      {zh ? "户号" : "unit"},
                                      {zh ? "车牌" : "plate"},
                                      {zh ? "入场" : "entered"},
                                      {zh ? "限时至" : "deadline"},
                                      {zh ? "离场" : "left"},
                                      {zh ? "超时" : "overstay"},
                                      {zh ? "备注" : "note"}});
            for (const auto& x : *r) {
                if (ctx.json()) {
                    ctx.emit(toJson(ctx, x), "");
                    continue;
                }
                std::string where = x.exited_at ? ctx.local(*x.exited_at) : std::string(zh ? "在场" : "inside");
                if (x.voided_at && !x.exited_at) where = "-";
                std::string plate = x.plate;
                if (plate.empty())
                    plate = x.plate_unread ? (zh ? "（未识别）" : "(unread)") : (zh ? "（已清除）" : "(purged)");
                std::string note;
                if (x.voided_at) {
                    note = zh ? fmt::format("作废 {}，{}：{}{}", ctx.local(*x.voided_at), x.void_operator,
                                            x.void_reason, x.voucher_restored ? "（已退券）" : "")
                              : fmt::format("VOID {} by {}: {}{}", ctx.local(*x.voided_at), x.void_operator,
                                            x.void_reason, x.voucher_restored ? " (voucher given back)" : "");
                }
                table.add({std::to_string(x.id), x.unit, plate, ctx.local(x.entered_at), ctx.local(x.deadline), where,
                           x.overstay ? reports::formatStay(*x.overstay, lang) : "", note});
            }
            if (!table.empty()) ctx.out() << table.str();
            return kExitOk;
        };
    });
}

struct VehicleOpts {
    std::string plate, kind, unit, until, file;
    bool replace = false;
};

json vehicleJson(const gate::Vehicle& v) {
    json j{{"plate", v.plate}, {"kind", gate::toString(v.kind)}, {"unit", v.unit}};
    if (v.until) j["until"] = *v.until;
    return j;
}

// Import is all or nothing: every row is checked (and every refused row reported, with its row number, field and
// rule) before anything is stored, and the rows are stored in one transaction.
int runImport(CliContext& ctx, const std::string& file, bool replace) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return fail(ctx, kExitUsage, fmt::format("cannot read {}", file));
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto file_rows = gate::parseVehicleFile(bytes, inputChecker(ctx));
    if (!file_rows) {
        return fail(ctx, kExitUsage, fmt::format("{}: {}; nothing was imported", file, file_rows.error()));
    }
    auto& rows = file_rows->rows;
    const auto& row_numbers = file_rows->row_numbers;
    auto& refused = file_rows->refused;
    const int data_rows = file_rows->data_rows;
    std::map<std::string, std::size_t> index_of_plate;  // into rows
    for (std::size_t i = 0; i < rows.size(); ++i) index_of_plate.emplace(rows[i].plate, i);
    // Rows that are not registrations at all are a bad input file (exit 2); rows that would only replace a
    // registration are refused by a rule (exit 3).
    const bool bad_rows = !refused.empty();
    auto ledger = ctx.ledger();
    if (!ledger) return fail(ctx, ledger.error());
    if (!replace) {
        auto existing = (*ledger)->vehicles();
        if (!existing) return fail(ctx, toCliError(existing.error()));
        for (const auto& old : *existing) {
            const auto it = index_of_plate.find(old.plate);
            if (it == index_of_plate.end() || rows[it->second] == old) continue;
            const int row = row_numbers[it->second];
            // In English, as the file's other row errors (gate/vehicle_rows.h) and the JSON lines are.
            refused.emplace_back(row, fmt::format("row {}: {} is already registered as {}: registering it as {} would "
                                                  "replace that; give --replace to do so",
                                                  row, old.plate, reports::vehicleWords(old, reports::Lang::En),
                                                  reports::vehicleWords(rows[it->second], reports::Lang::En)));
        }
    }
    if (!refused.empty()) {
        std::ranges::stable_sort(refused, {}, &std::pair<int, std::string>::first);
        for (const auto& [row, why] : refused) {
            ctx.err() << "voucher-gate: " << file << ": " << why << '\n';
            if (ctx.json()) ctx.out() << json{{"ok", false}, {"row", row}, {"error", why}}.dump() << '\n';
        }
        return fail(ctx, bad_rows ? kExitUsage : kExitRefused,
                    fmt::format("{}: {} of {} row{} refused (read as {}); nothing was imported: correct them and "
                                "import the file again",
                                file, refused.size(), data_rows, data_rows == 1 ? "" : "s", file_rows->encoding),
                    fmt::format("{}：{} 行中有 {} 行不能导入（按 {} 读取）；一辆也没有导入：请改正后重新导入", file,
                                data_rows, refused.size(), file_rows->encoding));
    }
    auto changes = (*ledger)->importVehicles(rows, ctx.now(), replace);
    if (!changes) return fail(ctx, toCliError(changes.error()));
    json replaced = json::array();
    std::string text = ctx.say(fmt::format("已导入 {} 辆车（按 {} 读取）", rows.size(), file_rows->encoding),
                               fmt::format("{} vehicles imported (read as {})", rows.size(), file_rows->encoding));
    for (const auto& c : *changes) {
        if (!c.replaced) continue;
        replaced.push_back(json{{"plate", c.stored.plate}, {"was", vehicleJson(*c.replaced)}});
        text += ctx.say(
            fmt::format("\n{}：原为{}，改为{}", c.stored.plate, reports::vehicleWords(*c.replaced, ctx.lang()),
                        reports::vehicleWords(c.stored, ctx.lang())),
            fmt::format("\n{}: replaced {} by {}", c.stored.plate, reports::vehicleWords(*c.replaced, ctx.lang()),
                        reports::vehicleWords(c.stored, ctx.lang())));
    }
    ctx.emit(json{{"ok", true}, {"imported", rows.size()}, {"encoding", file_rows->encoding}, {"replaced", replaced}},
             text);
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
    add->add_flag("--replace", o->replace, "change the kind, unit or validity of a plate already registered");
    add->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            auto v = gate::vehicleFrom(inputChecker(ctx), "", o->plate, o->kind, o->unit, o->until);
            if (!v) return fail(ctx, kExitUsage, v.error());
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            auto change = (*ledger)->addVehicle(*v, ctx.now(), o->replace);
            if (!change) return fail(ctx, toCliError(change.error()));
            json j{{"ok", true}, {"plate", v->plate}, {"kind", o->kind}};
            std::string text =
                ctx.say(fmt::format("{} 已登记为{}", v->plate, reports::vehicleWords(*v, ctx.lang())),
                        fmt::format("{} registered as {}", v->plate, reports::vehicleWords(*v, ctx.lang())));
            if (change->replaced) {
                j["replaced"] = vehicleJson(*change->replaced);
                text += ctx.say(fmt::format("（原为{}）", reports::vehicleWords(*change->replaced, ctx.lang())),
                                fmt::format(" (replaced: {})", reports::vehicleWords(*change->replaced, ctx.lang())));
            } else if (change->unchanged) {
                j["unchanged"] = true;
                text += ctx.say("（原来就是这样登记的，没有改动）", " (already registered so: nothing changed)");
            }
            ctx.emit(j, text);
            return kExitOk;
        };
    });
    auto* remove = veh->add_subcommand("remove", "remove a plate from the list");
    remove->add_option("PLATE", o->plate)->required();
    remove->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            // Not checked by the grammar: a plate registered before the checks existed must stay removable.
            auto key = gate::lookupKey("plate", o->plate);
            if (!key) return fail(ctx, kExitUsage, key.error());
            const std::string plate = gate::normalizePlate(*key);
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            if (auto r = (*ledger)->removeVehicle(plate, ctx.now()); !r) return fail(ctx, toCliError(r.error()));
            ctx.emit(json{{"ok", true}, {"plate", plate}},
                     ctx.say(fmt::format("{} 已从车辆名单中删除", plate), fmt::format("{} removed", plate)));
            return kExitOk;
        };
    });
    veh->add_subcommand("list", "list registered and blocked cars")->callback([&command] {
        command.run = [](CliContext& ctx) {
            auto ledger = ctx.ledger(Access::ReadOnly);
            if (!ledger) return fail(ctx, ledger.error());
            auto r = (*ledger)->vehicles();
            if (!r) return fail(ctx, toCliError(r.error()));
            const bool zh = ctx.lang() == reports::Lang::Zh;
            reports::TextTable table(
                {{zh ? "车牌" : "plate"}, {zh ? "类型" : "kind"}, {zh ? "户号" : "unit"}, {zh ? "有效至" : "until"}});
            for (const auto& v : *r) {
                if (ctx.json()) {
                    ctx.emit(vehicleJson(v), "");
                    continue;
                }
                table.add({v.plate, std::string(reports::kindWords(v.kind, ctx.lang())), v.unit, v.until.value_or("")});
            }
            if (!table.empty()) ctx.out() << table.str();
            return kExitOk;
        };
    });
    auto* import = veh->add_subcommand(
        "import", "import plate,kind[,unit[,until]] rows from a CSV file (UTF-8 or GBK; all or nothing)");
    import->add_option("FILE", o->file)->required();
    import->add_flag("--replace", o->replace, "let rows change registrations that already exist");
    import->callback([&command, o] {
        command.run = [o](CliContext& ctx) { return runImport(ctx, o->file, o->replace);
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
