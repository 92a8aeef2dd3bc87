// decisions: every decision matching a plate, unit, lane, reason and time, newest first, with its reason in words,
// the path of the frame it was taken on (options/evidence.h) when that file is still there, and in text the whole
// decision in a sentence (reports/decision_words.h; the JSON keeps the stored English "message").
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>

#include "cli/command_util.h"
#include "cli/commands.h"
#include "gate/input_check.h"
#include "options/evidence.h"
#include "reports/decision_words.h"
#include "reports/words.h"

namespace vg::cli {

namespace {

using nlohmann::json;

struct DecisionsOpts {
    std::string plate, unit, lane, reason, since, until;
    int limit = 200;
};

// The JSON of one decision: the field names of gate/decision_json.h where they overlap, plus seq, at,
// reason_words, operator (when a person decided) and evidence (when the frame is still on disk).
json recordJson(CliContext& ctx, const gate::DecisionRecord& r, const std::string& evidence) {
    json j{{"seq", r.seq},
           {"at", ctx.localIso(r.at)},
           {"reason", gate::toString(r.reason)},
           {"reason_words", reports::reasonWords(r.reason, ctx.lang())},
           {"admit", r.admit},
           {"lane", r.lane},
           {"plate", r.plate},
           {"message", r.message}};
    if (!r.direction.empty()) j["direction"] = r.direction;
    if (!r.unit.empty()) j["unit"] = r.unit;
    if (r.serial) j["serial"] = *r.serial;
    if (r.visit) j["visit"] = *r.visit;
    if (!r.operator_name.empty()) j["operator"] = r.operator_name;
    if (!evidence.empty()) j["evidence"] = evidence;
    return j;
}

int runDecisions(CliContext& ctx, const DecisionsOpts& o) {
    gate::DecisionFilter filter{.limit = o.limit};
    if (!o.plate.empty()) {
        auto plate = gate::checkPlate("--plate", o.plate);
        if (!plate) return fail(ctx, kExitUsage, plate.error());
        filter.plate = *plate;
    }
    for (auto [field, text, target] :
         {std::tuple{"--unit", &o.unit, &filter.unit}, {"--lane", &o.lane, &filter.lane}}) {
        if (text->empty()) continue;
        auto key = gate::lookupKey(field, *text);
        if (!key) return fail(ctx, kExitUsage, key.error());
        *target = *key;
    }
    if (!o.reason.empty()) {
        filter.reason = gate::reasonFromString(o.reason);
        if (!filter.reason) {
            return fail(ctx, kExitUsage,
                        fmt::format("--reason '{}' is not a reason code (docs/decisions.md lists them, e.g. "
                                    "DENY_VOUCHER_USED)",
                                    o.reason));
        }
    }
    for (auto [field, text, target] :
         {std::tuple{"--since", &o.since, &filter.since}, {"--until", &o.until, &filter.until}}) {
        if (text->empty()) continue;
        auto t = ctx.zone().parse(*text);
        if (!t) return fail(ctx, kExitUsage, fmt::format("{}: {}", field, t.error()));
        *target = *t;
    }
    auto ledger = ctx.ledger();
    if (!ledger) return fail(ctx, ledger.error());
    auto found = (*ledger)->decisions(filter);
    if (!found) return fail(ctx, toCliError(found.error()));

    const auto lang = ctx.lang();
    const bool zh = lang == reports::Lang::Zh;
    const auto dir = options::evidenceDir(ctx.settings());
    reports::TextTable table({{zh ? "记录" : "seq", reports::TextTable::Align::Right},
                              {zh ? "时间" : "time"},
                              {zh ? "车道" : "lane"},
                              {zh ? "车牌" : "plate"},
                              {zh ? "户号" : "unit"},
                              {zh ? "结果" : "decision"},
                              {zh ? "门卫" : "guard"},
                              {zh ? "现场照片" : "frame"},
                              {zh ? "说明" : "details"}});
    for (const auto& r : *found) {
        std::error_code ec;
        const auto frame = options::evidenceFiles(dir, r.seq).frame;
        const std::string evidence = std::filesystem::exists(frame, ec) ? frame.string() : std::string{};
        if (ctx.json()) {
            ctx.emit(recordJson(ctx, r, evidence), "");
            continue;
        }
        table.add({std::to_string(r.seq), ctx.zone().formatLocal(r.at, "%Y-%m-%d %H:%M:%S"), r.lane, r.plate, r.unit,
                   std::string(reports::reasonWords(r.reason, lang)), r.operator_name, evidence,
                   reports::decisionWords(r, ctx.zone(), lang)});
    }
    if (!table.empty()) ctx.out() << table.str();
    return kExitOk;
}

}  // namespace

void registerDecisionCommands(CLI::App& app, Command& command) {
    auto o = std::make_shared<DecisionsOpts>();
    auto* sub = app.add_subcommand("decisions",
                                   "every decision matching, newest first, with its reason in words "
                                   "and its evidence frame");
    sub->add_option("--plate", o->plate, "a plate as typed (沪a12345 finds 沪A12345)");
    sub->add_option("--unit", o->unit, "the household of the voucher");
    sub->add_option("--lane", o->lane, "lane name");
    sub->add_option("--reason", o->reason, "a reason code, e.g. DENY_VOUCHER_USED");
    sub->add_option("--since", o->since, "from TIME on (site time, e.g. 2026-11-20T18:00 or 2026-11-20)");
    sub->add_option("--until", o->until, "before TIME");
    sub->add_option("--limit", o->limit, "at most N (default 200)")->check(CLI::Range(1, 10000));
    sub->callback([&command, o] { command.run = [o](CliContext& ctx) { return runDecisions(ctx, *o); }; });
}

}  // namespace vg::cli
