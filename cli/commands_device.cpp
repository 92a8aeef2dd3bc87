// The guard's commands to the running daemon over its control socket (confirm, open, hold-open, release),
// and scan (the vision pipeline on still images; needs no config or database).
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <memory>
#include <set>
#include <tuple>

#include "cards/cards_pdf.h"
#include "cli/command_util.h"
#include "cli/commands.h"
#include "cli/scan_command.h"
#include "control/control_client.h"
#include "gate/decision.h"
#include "gate/decision_json.h"
#include "gate/input_check.h"
#include "options/card_options.h"

namespace vg::cli {

namespace {

using nlohmann::json;

struct GuardOpts {
    std::string lane, operator_name, reason, plate;
    bool refuse = false;
};

// What the daemon did for a command without a decision (open, hold-open, release), for the guard.
std::string doneWords(CliContext& ctx, const json& request, const json& answer) {
    if (!ctx.zh()) return answer.value("message", std::string("done"));
    const std::string cmd = request.value("cmd", "");
    const std::string lane = request.value("lane", "");
    std::string text = cmd == "open" ? fmt::format("已抬杆一次：车道 {}", lane)
                       : cmd == "hold-open"
                           ? fmt::format("道闸保持抬起：车道 {}；处理完请解除（voucher-gate release）", lane)
                       : cmd == "release" ? fmt::format("已解除保持：车道 {}", lane)
                                          : fmt::format("已完成：车道 {}", lane);
    if (const auto seq = answer.find("audit_seq"); seq != answer.end() && seq->is_number_integer()) {
        text += fmt::format("（审计记录 {}）", seq->get<std::int64_t>());
    }
    return text;
}

int sendToDaemon(CliContext& ctx, const json& request) {
    auto answer = control::controlRequest(ctx.settings().control.socket, request);
    if (!answer) {
        const int status = answer.error().kind == control::ControlError::Kind::Denied ? kExitUsage : kExitInternal;
        return fail(ctx, status, answer.error().message);
    }
    const json& a = *answer;
    if (!a.value("ok", false)) {
        const std::string error = a.value("error", std::string("the daemon refused"));
        ctx.emit(a, ctx.say("道闸服务拒绝：" + error, "refused by voucher-gated: " + error));
        return kExitRefused;
    }
    if (a.contains("decision") && a["decision"].is_object()) {
        const auto& d = a["decision"];
        const std::string reason = d.value("reason", "");
        const auto decision = gate::decisionFromJson(d, ctx.zone());
        const gate::Manual manual{request.value("operator", ""), request.value("reason", "")};
        ctx.emit(a, ctx.zh() && decision ? toText(ctx, *decision, manual)
                                         : fmt::format("{}: {}", reason, d.value("message", "")));
        const auto r = gate::reasonFromString(reason);
        return r ? gate::exitStatusFor(*r) : kExitOk;
    }
    ctx.emit(a, doneWords(ctx, request, a));
    return kExitOk;
}

void registerGuardCommand(CLI::App& app, Command& command, const std::string& name, const std::string& help) {
    auto o = std::make_shared<GuardOpts>();
    auto* sub = app.add_subcommand(name, help);
    sub->add_option("--lane", o->lane, "lane name")->required();
    sub->add_option("--operator", o->operator_name, "who (logged)")->required();
    sub->add_option("--reason", o->reason, "why (logged)")->required();
    if (name == "confirm") {
        sub->add_option("--plate", o->plate, "the plate the guard reads off the car");
        sub->add_flag("--refuse", o->refuse, "refuse the waiting car instead of admitting it");
    }
    sub->callback([&command, o, name] {
        command.run = [o, name](CliContext& ctx) {
            for (auto [field, value] :
                 {std::pair{"--lane", &o->lane}, {"--operator", &o->operator_name}, {"--reason", &o->reason}}) {
                if (auto problem = gate::textProblem(field, *value)) return fail(ctx, kExitUsage, *problem);
            }
            json request{{"cmd", name}, {"lane", o->lane}, {"operator", o->operator_name}, {"reason", o->reason}};
            if (name == "confirm") {
                request["refuse"] = o->refuse;
                if (!o->plate.empty()) {
                    auto plate = gate::checkPlate("--plate", o->plate);
                    if (!plate) return fail(ctx, kExitUsage, plate.error());
                    request["plate"] = *plate;
                }
            }
            return sendToDaemon(ctx, request);
        };
    });
}

struct CardsOpts {
    std::string month, out;
    std::vector<std::string> units;
};

int runCards(CliContext& ctx, const CardsOpts& given) {
    CardsOpts o = given;
    for (auto& unit : o.units) {
        auto key = gate::lookupKey("UNIT", unit);
        if (!key) return fail(ctx, kExitUsage, key.error());
        unit = *key;
    }
    auto month = gate::YearMonth::parse(o.month);
    if (!month) return fail(ctx, kExitUsage, "--month: use YYYY-MM, e.g. 2026-12");
    auto ledger = ctx.ledger(Access::ReadOnly);
    if (!ledger) return fail(ctx, ledger.error());
    auto vouchers = (*ledger)->vouchers(std::nullopt, *month);
    if (!vouchers) return fail(ctx, toCliError(vouchers.error()));
    auto households = (*ledger)->households(false);
    if (!households) return fail(ctx, toCliError(households.error()));
    std::vector<cards::CardSpec> cards;
    std::set<std::string> units_seen;
    for (const auto& v : *vouchers) {
        // Only cards that can still be used: a used or revoked voucher's card would be refused at the gate.
        if (v.status != gate::VoucherStatus::Issued) continue;
        if (!o.units.empty() && std::find(o.units.begin(), o.units.end(), v.unit) == o.units.end()) continue;
        cards::CardSpec card{.unit = v.unit, .month = v.month, .serial = v.serial, .token = v.token};
        for (const auto& h : *households) {
            if (h.unit == v.unit && !h.contact.empty()) card.contact = h.contact;
        }
        units_seen.insert(v.unit);
        cards.push_back(std::move(card));
    }
    for (const auto& u : o.units) {
        if (!units_seen.contains(u)) {
            return fail(ctx, kExitUsage,
                        fmt::format("unit {} has no unused vouchers for {}: issue them first (`voucher-gate issue {} "
                                    "--month {}`)",
                                    u, month->str(), u, month->str()));
        }
    }
    if (cards.empty()) {
        return fail(ctx, kExitUsage,
                    fmt::format("no unused vouchers for {}: issue them first with `voucher-gate issue`", month->str()));
    }
    std::sort(cards.begin(), cards.end(), [](const cards::CardSpec& a, const cards::CardSpec& b) {
        return std::tie(a.unit, a.serial) < std::tie(b.unit, b.serial);
    });
    if (auto r = cards::renderCardsPdf(cards, options::cardSheetOptions(ctx.settings()), o.out); !r)
        return fail(ctx, kExitInternal, r.error());
    ctx.emit(json{{"ok", true}, {"out", o.out}, {"cards", cards.size()}, {"households", units_seen.size()}},
             fmt::format("{} cards for {} households written to {}: print at 100 % (actual size) on matte stock "
                         "with a laser printer (docs/cards.md)",
                         cards.size(), units_seen.size(), o.out));
    return kExitOk;
}

}  // namespace

void registerDeviceCommands(CLI::App& app, Command& command) {
    auto cards = std::make_shared<CardsOpts>();
    auto* c = app.add_subcommand("cards", "print-ready A4 PDF of the month's unused vouchers");
    c->add_option("--month", cards->month, "YYYY-MM")->required();
    c->add_option("--out", cards->out, "FILE.pdf")->required();
    c->add_option("UNIT", cards->units, "only these households");
    c->callback([&command, cards] { command.run = [cards](CliContext& ctx) { return runCards(ctx, *cards); }; });

    auto images = std::make_shared<std::vector<std::string>>();
    auto* scan = app.add_subcommand("scan", "what the vision pipeline sees in still images (no config needed)");
    scan->add_option("IMAGE", *images, "image files")->required();
    scan->callback([&command, images] {
        command.needs_config = false;
        command.run = [images](CliContext& ctx) {
            const vision::SystemFrameClock clock;
            return runScan(*images, ctx.json(), ctx.out(), ctx.err(), clock);
        };
    });

    registerGuardCommand(app, command, "confirm",
                         "the guard's answer for the car waiting on a lane (HOLD_PLATE_UNREAD, HOLD_OVERSTAY)");
    registerGuardCommand(app, command, "open", "pulse a barrier open (audited)");
    registerGuardCommand(app, command, "hold-open", "emergency: hold a barrier open until release (audited)");
    registerGuardCommand(app, command, "release", "release a barrier held open (audited)");
}

}  // namespace vg::cli
