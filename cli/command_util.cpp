#include "cli/command_util.h"

#include <fmt/format.h>

#include <charconv>
#include <ostream>

#include "reports/decision_words.h"

namespace vg::cli {

int fail(CliContext& ctx, const CliError& e) {
    const bool zh = ctx.lang() == reports::Lang::Zh && !e.zh.empty();
    ctx.err() << "voucher-gate: " << (zh ? e.zh : e.message) << '\n';
    if (ctx.json()) {
        ctx.out() << nlohmann::json{{"ok", false}, {"status", e.status}, {"error", e.message}}.dump() << '\n';
    }
    return e.status;
}

int fail(CliContext& ctx, int status, const std::string& message) { return fail(ctx, CliError{status, message}); }

int fail(CliContext& ctx, int status, const std::string& message, const std::string& zh) {
    return fail(ctx, CliError{status, message, zh});
}

std::optional<std::uint32_t> parseSerial(std::string_view text) {
    std::uint32_t value = 0;
    const auto* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end || value == 0) return std::nullopt;
    return value;
}

std::string toText(CliContext& ctx, const gate::Decision& d, const std::optional<gate::Manual>& manual) {
    if (ctx.lang() == reports::Lang::Zh) {
        std::string text = reports::decisionWords(d, ctx.zone(), reports::Lang::Zh, manual);
        if (d.visit) text += fmt::format("（来访 {}）", *d.visit);
        return text;
    }
    std::string text = fmt::format("{}: {}", gate::toString(d.reason), d.message);
    if (d.visit) text += fmt::format(" [visit {}]", *d.visit);
    return text;
}

nlohmann::json toJson(CliContext& ctx, const gate::Voucher& v) {
    nlohmann::json j{{"serial", v.serial},     {"unit", v.unit},
                     {"month", v.month.str()}, {"slot", v.slot},
                     {"key_id", v.key_id},     {"status", gate::toString(v.status)},
                     {"token", v.token},       {"issued_at", ctx.localIso(v.issued_at)}};
    if (v.revoked_at) {
        j["revoked_at"] = ctx.localIso(*v.revoked_at);
        j["revoke_reason"] = v.revoke_reason;
    }
    if (v.replaced_by) j["replaced_by"] = *v.replaced_by;
    if (v.visit) j["visit"] = *v.visit;
    return j;
}

nlohmann::json toJson(CliContext& ctx, const gate::Visit& v) {
    nlohmann::json j{{"visit", v.id},
                     {"serial", v.serial},
                     {"unit", v.unit},
                     {"plate", v.plate},
                     {"plate_unread", v.plate_unread},
                     {"entry_lane", v.entry_lane},
                     {"entered_at", ctx.localIso(v.entered_at)},
                     {"deadline", ctx.localIso(v.deadline)},
                     {"inside", !v.exited_at.has_value() && !v.voided_at.has_value()}};
    if (v.plate_purged) j["plate_purged"] = true;
    if (v.voided_at) {
        // A voided visit stays on record: who voided it, when and why.
        j["voided"] = true;
        j["voided_at"] = ctx.localIso(*v.voided_at);
        j["void_operator"] = v.void_operator;
        j["void_reason"] = v.void_reason;
        j["voucher_restored"] = v.voucher_restored;
    }
    if (v.exited_at) {
        j["exited_at"] = ctx.localIso(*v.exited_at);
        j["exit_lane"] = v.exit_lane;
        j["stay_minutes"] = std::chrono::duration_cast<std::chrono::minutes>(*v.exited_at - v.entered_at).count();
    }
    if (v.overstay) j["overstay_minutes"] = std::chrono::duration_cast<std::chrono::minutes>(*v.overstay).count();
    if (v.fee) j["fee"] = *v.fee;
    return j;
}

}  // namespace vg::cli
