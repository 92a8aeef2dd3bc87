// init, household, issue, voucher, verify, key.
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/command_util.h"
#include "cli/commands.h"
#include "cli/input_args.h"
#include "gate/input_check.h"
#include "gate/token.h"
#include "reports/words.h"

namespace vg::cli {

namespace {

using nlohmann::json;

int runInit(CliContext& ctx) {
    auto ledger = ctx.ledger(Access::Create);
    if (!ledger) return fail(ctx, ledger.error());
    auto head = (*ledger)->auditHead();
    const auto active = (*ledger)->keys().active();
    ctx.emit(json{{"ok", true},
                  {"database", ctx.dbPath().string()},
                  {"schema_version", (*ledger)->schemaVersion()},
                  {"key_file", ctx.settings().vouchers.key_file.string()},
                  {"active_key", active ? json(active->id) : json(nullptr)},
                  {"audit_rows", head ? head->count : 0}},
             fmt::format("ledger ready: {} (schema {}), token keys in {} (active key {}), audit chain {} rows",
                         ctx.dbPath().string(), (*ledger)->schemaVersion(), ctx.settings().vouchers.key_file.string(),
                         active ? std::to_string(active->id) : "none", head ? head->count : 0));
    return kExitOk;
}

struct HouseholdOpts {
    std::string unit, category, contact, phone;
    bool all = false;
};

void registerHousehold(CLI::App& app, Command& command) {
    auto* hh = app.add_subcommand("household", "eligible households (add, list, remove)");
    hh->require_subcommand(1);
    auto o = std::make_shared<HouseholdOpts>();
    auto* add = hh->add_subcommand("add", "register an eligible household");
    add->add_option("UNIT", o->unit, "unit, e.g. 12-301")->required();
    add->add_option("--category", o->category, "living-alone, elderly-only, ... (vouchers.eligible_categories)")
        ->required();
    add->add_option("--contact", o->contact, "contact name");
    add->add_option("--phone", o->phone, "contact phone");
    add->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            const gate::InputChecker checker = inputChecker(ctx);
            auto unit = checker.unit("unit", o->unit);
            if (!unit) return fail(ctx, kExitUsage, unit.error());
            auto phone = checker.phone("--phone", o->phone);
            if (!phone) return fail(ctx, kExitUsage, phone.error());
            for (auto [field, value] : {std::pair{"--category", &o->category}, {"--contact", &o->contact}}) {
                if (auto problem = gate::textProblem(field, *value)) return fail(ctx, kExitUsage, *problem);
            }
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            auto h = (*ledger)->addHousehold(*unit, o->category, o->contact, *phone,
                                             ctx.settings().vouchers.eligible_categories, ctx.now());
            if (!h) return fail(ctx, toCliError(h.error()));
            ctx.emit(
                json{{"ok", true},
                     {"unit", h->unit},
                     {"category", h->category},
                     {"contact", h->contact},
                     {"phone", h->phone}},
                ctx.say(fmt::format("住户 {} 已登记（{}）", h->unit, reports::categoryWords(h->category, ctx.lang())),
                        fmt::format("household {} registered ({})", h->unit, h->category)));
            return kExitOk;
        };
    });
    auto* list = hh->add_subcommand("list", "list households");
    list->add_flag("--all", o->all, "include removed households");
    list->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            auto ledger = ctx.ledger(Access::ReadOnly);
            if (!ledger) return fail(ctx, ledger.error());
            auto list_result = (*ledger)->households(o->all);
            if (!list_result) return fail(ctx, toCliError(list_result.error()));
            const bool zh = ctx.lang() == reports::Lang::Zh;
            reports::TextTable table({{zh ? "户号" : "unit"},
                                      {zh ? "类别" : "category"},
                                      {zh ? "联系人" : "contact"},
                                      {zh ? "电话" : "phone"},
                                      {zh ? "登记" : "added"},
                                      {zh ? "备注" : "note"}});
            for (const auto& h : *list_result) {
                json j{{"unit", h.unit},
                       {"category", h.category},
                       {"contact", h.contact},
                       {"phone", h.phone},
                       {"added", ctx.localIso(h.added)}};
                if (h.removed) j["removed"] = ctx.localIso(*h.removed);
                if (ctx.json()) {
                    ctx.emit(j, "");
                    continue;
                }
                table.add({h.unit, reports::categoryWords(h.category, ctx.lang()), h.contact, h.phone,
                           ctx.zone().formatLocal(h.added, "%Y-%m-%d"),
                           h.removed ? (zh ? "已注销 " : "removed ") + ctx.local(*h.removed) : ""});
            }
            if (!table.empty()) ctx.out() << table.str();
            return kExitOk;
        };
    });
    auto* remove = hh->add_subcommand("remove", "remove a household (history is kept; unused vouchers revoked)");
    remove->add_option("UNIT", o->unit)->required();
    remove->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            auto unit = gate::lookupKey("unit", o->unit);
            if (!unit) return fail(ctx, kExitUsage, unit.error());
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            auto r = (*ledger)->removeHousehold(*unit, ctx.now());
            if (!r) return fail(ctx, toCliError(r.error()));
            ctx.emit(json{{"ok", true}, {"unit", *unit}},
                     ctx.say(fmt::format("住户 {} 已注销；它未使用的停车券不再有效", *unit),
                             fmt::format("household {} removed; its unused vouchers no longer work", *unit)));
            return kExitOk;
        };
    });
}

struct IssueOpts {
    std::string unit, month;
    int count = 1;
};

std::optional<gate::YearMonth> monthArg(CliContext& ctx, const std::string& text, int& status) {
    auto m = gate::YearMonth::parse(text);
    if (!m) {
        status = fail(ctx, kExitUsage, fmt::format("--month '{}' is not a month: use YYYY-MM, e.g. 2026-11", text),
                      fmt::format("--month“{}”不是月份：请写成 YYYY-MM，例如 2026-11", text));
    }
    return m;
}

void registerIssue(CLI::App& app, Command& command) {
    auto o = std::make_shared<IssueOpts>();
    auto* sub = app.add_subcommand("issue", "issue vouchers; prints serial and token per line");
    sub->add_option("UNIT", o->unit, "household unit")->required();
    sub->add_option("--month", o->month, "YYYY-MM")->required();
    sub->add_option("--count", o->count, "how many (default 1)")->check(CLI::Range(1, 31));
    sub->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            int status = 0;
            auto month = monthArg(ctx, o->month, status);
            if (!month) return status;
            auto unit = gate::lookupKey("unit", o->unit);
            if (!unit) return fail(ctx, kExitUsage, unit.error());
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            auto issued = (*ledger)->issue(*unit, *month, o->count, ctx.settings().vouchers.per_month,
                                           ctx.settings().vouchers.eligible_categories, ctx.now());
            if (!issued) return fail(ctx, toCliError(issued.error()));
            for (const auto& v : *issued) ctx.emit(toJson(ctx, v), fmt::format("{} {}", v.serial, v.token));
            return kExitOk;
        };
    });
}

struct VoucherOpts {
    std::string unit, month, serial, reason;
};

void registerVoucher(CLI::App& app, Command& command) {
    auto* v = app.add_subcommand("voucher", "manage vouchers (list, revoke, replace)");
    v->require_subcommand(1);
    auto o = std::make_shared<VoucherOpts>();
    auto* list = v->add_subcommand("list", "list vouchers");
    list->add_option("--unit", o->unit);
    list->add_option("--month", o->month, "YYYY-MM");
    list->callback([&command, o] {
        command.run = [o](CliContext& ctx) {
            std::optional<gate::YearMonth> month;
            if (!o->month.empty()) {
                int status = 0;
                month = monthArg(ctx, o->month, status);
                if (!month) return status;
            }
            auto unit = gate::lookupKey("--unit", o->unit);
            if (!unit) return fail(ctx, kExitUsage, unit.error());
            auto ledger = ctx.ledger(Access::ReadOnly);
            if (!ledger) return fail(ctx, ledger.error());
            auto list_result = (*ledger)->vouchers(unit->empty() ? std::nullopt : std::optional(*unit), month);
            if (!list_result) return fail(ctx, toCliError(list_result.error()));
            const bool zh = ctx.lang() == reports::Lang::Zh;
            using Align = reports::TextTable::Align;
            reports::TextTable table({{zh ? "编号" : "serial", Align::Right},
                                      {zh ? "户号" : "unit"},
                                      {zh ? "月份" : "month"},
                                      {zh ? "第几张" : "slot", Align::Right},
                                      {zh ? "状态" : "status"},
                                      {zh ? "来访" : "visit", Align::Right},
                                      {zh ? "备注" : "note"}});
            for (const auto& x : *list_result) {
                if (ctx.json()) {
                    ctx.emit(toJson(ctx, x), "");
                    continue;
                }
                std::string note = x.revoke_reason;
                if (x.replaced_by) {
                    note =
                        zh ? fmt::format("已补办为 {}", *x.replaced_by) : fmt::format("replaced by {}", *x.replaced_by);
                }
                table.add({std::to_string(x.serial), x.unit, x.month.str(), std::to_string(x.slot),
                           std::string(reports::statusWords(x.status, ctx.lang())),
                           x.visit ? std::to_string(*x.visit) : "", note});
            }
            if (!table.empty()) ctx.out() << table.str();
            return kExitOk;
        };
    });
    auto serialArg = [](CliContext& ctx, const std::string& text, int& status) {
        auto s = parseSerial(text);
        if (!s) {
            status = fail(ctx, kExitUsage, fmt::format("'{}' is not a voucher serial (a positive number)", text),
                          fmt::format("“{}”不是券号（券号是正整数）", text));
        }
        return s;
    };
    auto* revoke = v->add_subcommand("revoke", "revoke a voucher (it will be refused at the gate)");
    revoke->add_option("SERIAL", o->serial)->required();
    revoke->add_option("--reason", o->reason)->required();
    revoke->callback([&command, o, serialArg] {
        command.run = [o, serialArg](CliContext& ctx) {
            int status = 0;
            auto serial = serialArg(ctx, o->serial, status);
            if (!serial) return status;
            if (auto problem = gate::textProblem("--reason", o->reason)) return fail(ctx, kExitUsage, *problem);
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            auto r = (*ledger)->revoke(*serial, o->reason, ctx.now());
            if (!r) return fail(ctx, toCliError(r.error()));
            ctx.emit(toJson(ctx, *r),
                     ctx.say(fmt::format("停车券 {} 已作废", *serial), fmt::format("voucher {} revoked", *serial)));
            return kExitOk;
        };
    });
    auto* replace = v->add_subcommand("replace", "replace a lost card: revokes it and issues a new one, same slot");
    replace->add_option("SERIAL", o->serial)->required();
    replace->callback([&command, o, serialArg] {
        command.run = [o, serialArg](CliContext& ctx) {
            int status = 0;
            auto serial = serialArg(ctx, o->serial, status);
            if (!serial) return status;
            auto ledger = ctx.ledger();
            if (!ledger) return fail(ctx, ledger.error());
            auto r = (*ledger)->replace(*serial, ctx.now());
            if (!r) return fail(ctx, toCliError(r.error()));
            ctx.emit(toJson(ctx, *r), fmt::format("{} {}", r->serial, r->token));
            return kExitOk;
        };
    });
}

void registerVerify(CLI::App& app, Command& command) {
    auto token = std::make_shared<std::string>();
    auto* sub = app.add_subcommand("verify", "decode and check a token without using it");
    sub->add_option("TOKEN", *token)->required();
    sub->callback([&command, token] {
        command.run = [token](CliContext& ctx) {
            auto keys = ctx.loadKeys();
            if (!keys) return fail(ctx, keys.error());
            auto payload = gate::decodeToken(*token, *keys);
            if (!payload) {
                ctx.emit(json{{"valid", false},
                              {"error", gate::toString(payload.error())},
                              {"message", gate::describe(payload.error())}},
                         ctx.say(fmt::format("无效（{}）：{}", gate::toString(payload.error()),
                                             reports::tokenErrorWords(payload.error(), ctx.lang())),
                                 fmt::format("INVALID ({}): {}", gate::toString(payload.error()),
                                             gate::describe(payload.error()))));
                return kExitRefused;
            }
            json j{{"valid", true},
                   {"version", payload->version},
                   {"key_id", payload->key_id},
                   {"serial", payload->serial},
                   {"month", payload->month.str()}};
            const std::string month = payload->month.str();
            std::string text = ctx.say(
                fmt::format("有效：停车券 {}，{}（密钥 {}）", payload->serial, month, payload->key_id),
                fmt::format("valid token: voucher {} for {} (key {})", payload->serial, month, payload->key_id));
            int status = kExitOk;
            if (auto ledger = ctx.ledger(Access::ReadOnly); ledger) {
                auto v = (*ledger)->voucher(payload->serial);
                if (v && v->month == payload->month) {
                    j["unit"] = v->unit;
                    j["status"] = gate::toString(v->status);
                    if (v->visit) j["visit"] = *v->visit;
                    text += ctx.say(
                        fmt::format("，户号 {}，{}", v->unit, reports::statusWords(v->status, reports::Lang::Zh)),
                        fmt::format(", unit {}, {}", v->unit, gate::toString(v->status)));
                    if (v->revoked_at) {
                        // The gate refuses this card: say so first, and exit as a refusal.
                        j["valid"] = false;
                        j["error"] = v->replaced_by ? "replaced" : "revoked";
                        j["revoked_at"] = ctx.localIso(*v->revoked_at);
                        if (!v->revoke_reason.empty()) j["revoke_reason"] = v->revoke_reason;
                        if (v->replaced_by) j["replaced_by"] = *v->replaced_by;
                        const std::string when = ctx.local(*v->revoked_at);
                        if (v->replaced_by) {
                            text = ctx.say(fmt::format("已补办：停车券 {}（{}，户号 {}）已于 {} 补办为停车券 {}：这张券"
                                                       "在道闸会被拒绝，请用新券",
                                                       v->serial, month, v->unit, when, *v->replaced_by),
                                           fmt::format("REPLACED: voucher {} for {} (unit {}) was replaced by voucher "
                                                       "{} on {}: this card is refused at the gate, use the new one",
                                                       v->serial, month, v->unit, *v->replaced_by, when));
                        } else {
                            const std::string& why = v->revoke_reason;
                            text = ctx.say(
                                fmt::format("已作废：停车券 {}（{}，户号 {}）已于 {} 作废{}：这张券在道闸会"
                                            "被拒绝",
                                            v->serial, month, v->unit, when, why.empty() ? "" : "（" + why + "）"),
                                fmt::format("REVOKED: voucher {} for {} (unit {}) was revoked on {}{}: this "
                                            "card is refused at the gate",
                                            v->serial, month, v->unit, when, why.empty() ? "" : " (" + why + ")"));
                        }
                        status = kExitRefused;
                    }
                } else {
                    j["valid"] = false;
                    j["error"] = "not-issued";
                    text = ctx.say(
                        fmt::format("无效：停车券 {}（{}）签名正确，但本系统从未发放过这张券", payload->serial, month),
                        fmt::format("INVALID: voucher {} for {} verifies but was never issued by this ledger",
                                    payload->serial, month));
                    status = kExitRefused;
                }
            }
            ctx.emit(j, text);
            return status;
        };
    });
}

void registerKey(CLI::App& app, Command& command) {
    auto* key = app.add_subcommand("key", "token keys (new, retire, list)");
    key->require_subcommand(1);
    key->add_subcommand("new", "add a key; new vouchers are signed with it")->callback([&command] {
        command.run = [](CliContext& ctx) {
            auto keys = ctx.loadKeys();
            if (!keys) return fail(ctx, keys.error());
            auto id = keys->addKey(ctx.now());
            if (!id) return fail(ctx, kExitInternal, id.error());
            if (auto s = ctx.saveKeys(*keys); !s) return fail(ctx, s.error());
            ctx.emit(json{{"ok", true}, {"key_id", *id}},
                     fmt::format("key {} created; new vouchers are signed with it (`systemctl reload voucher-gated` "
                                 "makes the daemon load it)",
                                 *id));
            return kExitOk;
        };
    });
    auto id = std::make_shared<int>(0);
    auto* retire = key->add_subcommand("retire", "retire a key: its vouchers stop working (re-issue them)");
    retire->add_option("ID", *id)->required()->check(CLI::Range(1, 255));
    retire->callback([&command, id] {
        command.run = [id](CliContext& ctx) {
            auto keys = ctx.loadKeys();
            if (!keys) return fail(ctx, keys.error());
            auto r = keys->retire(static_cast<std::uint8_t>(*id), ctx.now());
            if (!r) return fail(ctx, kExitUsage, r.error());
            if (auto s = ctx.saveKeys(*keys); !s) return fail(ctx, s.error());
            ctx.emit(json{{"ok", true}, {"key_id", *id}},
                     fmt::format("key {} retired: cards signed with it are refused once the daemon reloads (`systemctl "
                                 "reload voucher-gated`); "
                                 "issue new cards{}",
                                 *id, keys->active() ? "" : " after `voucher-gate key new`"));
            return kExitOk;
        };
    });
    key->add_subcommand("list", "list keys")->callback([&command] {
        command.run = [](CliContext& ctx) {
            auto keys = ctx.loadKeys();
            if (!keys) return fail(ctx, keys.error());
            const auto* active = keys->active();
            for (const auto& k : keys->keys()) {
                json j{
                    {"key_id", k.id}, {"created", ctx.localIso(k.created)}, {"active", active && active->id == k.id}};
                if (k.retired) j["retired"] = ctx.localIso(*k.retired);
                ctx.emit(j, fmt::format("key {:>3}  created {}  {}", k.id, ctx.local(k.created),
                                        k.retired ? "retired " + ctx.local(*k.retired)
                                                  : (active && active->id == k.id ? "active" : "valid")));
            }
            return kExitOk;
        };
    });
}

}  // namespace

void registerLedgerCommands(CLI::App& app, Command& command) {
    app.add_subcommand("init", "create or migrate the database and keys (idempotent)")->callback([&command] {
        command.run = runInit;
    });
    registerHousehold(app, command);
    registerIssue(app, command);
    registerVoucher(app, command);
    registerVerify(app, command);
    registerKey(app, command);
}

}  // namespace vg::cli
