// 在场车辆, 通行记录 (with the evidence frames) and 审计: pages that only read.
#include <charconv>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>

#include "options/evidence.h"
#include "reports/decision_words.h"
#include "reports/month_report.h"
#include "reports/words.h"
#include "web/console_internal.h"

namespace vg::web {

namespace {

using nlohmann::json;

std::string minutesText(gate::Duration d) { return reports::formatStay(d, reports::Lang::Zh); }

std::string errorBox(const gate::LedgerError& e) { return "<p class=\"flash bad\">" + esc(e.message) + "</p>"; }

std::optional<std::int64_t> number(std::string_view text) {
    std::int64_t v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || ptr != text.data() + text.size() || v <= 0) return std::nullopt;
    return v;
}

}  // namespace

Response inside(Call& call) {
    auto ledger = call.c.d.ledgers.borrow();
    const auto now = call.c.d.clock.now();
    const auto rules = call.c.rules();
    auto visits = ledger->visits(gate::VisitFilter{.inside_only = true}, rules, now);
    std::string body = "<p class=\"muted\">凭停车券在场的访客车辆。每 30 秒自动刷新。超时（超过离场时间加宽限 " +
                       minutesText(rules.stay_grace) + "）的车辆标红。</p>";
    if (!visits) return page(call, "inside", "在场车辆", body + errorBox(visits.error()));
    int over = 0;
    std::string rows;
    for (const auto& v : *visits) {
        const bool overstayed = now > v.deadline + rules.stay_grace;
        over += overstayed ? 1 : 0;
        const std::string left =
            now <= v.deadline ? "还剩 " + minutesText(v.deadline - now) : "已超时 " + minutesText(now - v.deadline);
        rows += fmt::format("<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"n\">{}</td></tr>",
                            overstayed ? " class=\"over\"" : "",
                            v.plate.empty() ? (v.plate_unread ? "（未识别）" : "（已清除）") : esc(v.plate),
                            esc(v.unit), esc(v.entry_lane), call.local(v.entered_at), call.local(v.deadline), left);
    }
    body += fmt::format("<p>在场 <b>{}</b> 辆{}。</p>", visits->size(),
                        over > 0 ? fmt::format("，其中超时 <b>{}</b> 辆", over) : "");
    body +=
        "<div class=\"wrap\"><table><tr><th>车牌</th><th>户号</th><th>入口</th><th>入场时间</th><th>离场时间</th>"
        "<th class=\"n\">剩余</th></tr>" +
        rows + "</table></div>";
    auto r = page(call, "inside", "在场车辆", body);
    r.headers.emplace_back("Refresh", "30");
    return r;
}

Response decisions(Call& call) {
    const auto& q = call.req.query;
    auto get = [&](const char* k) {
        const auto it = q.find(k);
        return it == q.end() ? std::string() : it->second;
    };
    gate::DecisionFilter f;
    std::string problem;
    if (!get("plate").empty()) f.plate = get("plate");
    if (!get("unit").empty()) f.unit = get("unit");
    if (!get("lane").empty()) f.lane = get("lane");
    if (!get("reason").empty()) {
        f.reason = gate::reasonFromString(get("reason"));
        if (!f.reason) problem = "没有这个原因代码：" + get("reason");
    }
    for (const auto& [key, target] : {std::pair{"since", &f.since}, std::pair{"until", &f.until}}) {
        if (get(key).empty()) continue;
        auto t = call.c.d.zone.parse(get(key));
        if (t) {
            *target = *t;
        } else {
            problem = fmt::format("时间 {} 看不懂：请写成 2026-11-20 18:00", get(key));
        }
    }
    if (const auto before = number(get("before"))) f.before_seq = *before;
    f.limit = 100;

    std::string reasons = "<option value=\"\">全部</option>";
    for (int i = 0; i <= static_cast<int>(gate::Reason::ExitQrMismatch); ++i) {
        const auto r = static_cast<gate::Reason>(i);
        const std::string code(gate::toString(r));
        reasons += fmt::format("<option value=\"{}\"{}>{}</option>", code, get("reason") == code ? " selected" : "",
                               esc(reports::reasonWords(r, reports::Lang::Zh)));
    }
    std::string body = fmt::format(
        "<form class=\"box\" method=\"get\" action=\"/decisions\">"
        "<label>车牌<input name=\"plate\" value=\"{}\" size=\"10\"></label>"
        "<label>户号<input name=\"unit\" value=\"{}\" size=\"8\"></label>"
        "<label>车道<input name=\"lane\" value=\"{}\" size=\"8\"></label>"
        "<label>原因<select name=\"reason\">{}</select></label>"
        "<label>从<input name=\"since\" value=\"{}\" placeholder=\"2026-11-20 18:00\" size=\"16\"></label>"
        "<label>到<input name=\"until\" value=\"{}\" placeholder=\"2026-11-20 19:00\" size=\"16\"></label>"
        "<button type=\"submit\">查找</button></form>",
        esc(get("plate")), esc(get("unit")), esc(get("lane")), reasons, esc(get("since")), esc(get("until")));
    if (!problem.empty())
        return page(call, "decisions", "通行记录", body + "<p class=\"flash bad\">" + esc(problem) + "</p>");

    auto ledger = call.c.d.ledgers.borrow();
    auto found = ledger->decisions(f);
    if (!found) return page(call, "decisions", "通行记录", body + errorBox(found.error()));
    const auto dir = options::evidenceDir(call.c.d.settings);
    std::string rows;
    for (const auto& d : *found) {
        const auto files = options::evidenceFiles(dir, d.seq);
        std::error_code ec;
        std::string frame = "<span class=\"muted\">无</span>";
        if (std::filesystem::exists(files.frame, ec)) {
            frame = fmt::format(
                "<a href=\"/evidence/{0}.jpg\"><img class=\"frame\" src=\"/evidence/{0}.jpg\" "
                "alt=\"决定时的画面\" loading=\"lazy\"></a>",
                d.seq);
            if (std::filesystem::exists(files.plate, ec)) {
                frame += fmt::format("<br><img src=\"/evidence/{}-plate.png\" alt=\"车牌\" style=\"max-width:240px\">",
                                     d.seq);
            }
        }
        rows += fmt::format(
            "<tr{}><td>{}</td><td>{}{}</td><td>{}</td><td>{}</td><td><span class=\"tag {}\">{}</span><br>"
            "<span class=\"muted\">{}</span>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            d.admit ? "" : " class=\"deny\"", call.local(d.at), esc(d.lane),
            d.direction.empty() ? "" : (d.direction == "exit" ? " 出" : " 入"),
            d.plate.empty() ? "<span class=\"muted\">—</span>" : esc(d.plate), esc(d.unit),
            d.admit ? "ok" : (gate::toString(d.reason).starts_with("HOLD") ? "hold" : "bad"),
            esc(reports::reasonWords(d.reason, reports::Lang::Zh)), esc(gate::toString(d.reason)),
            "<br>" + esc(reports::decisionWords(d, call.c.d.zone, reports::Lang::Zh)),
            d.serial ? fmt::format("{}", *d.serial) : "", d.operator_name.empty() ? "" : esc(d.operator_name), frame);
    }
    body += fmt::format("<p>找到 {} 条{}（最新的在前）。</p>", found->size(),
                        found->size() >= static_cast<std::size_t>(f.limit) ? "，只显示前 100 条" : "");
    body +=
        "<div class=\"wrap\"><table><tr><th>时间</th><th>车道</th><th>车牌</th><th>户号</th><th>结果</th>"
        "<th>券号</th><th>操作人</th><th>画面</th></tr>" +
        rows + "</table></div>";
    if (found->size() >= static_cast<std::size_t>(f.limit)) {
        auto more = call.req.query;
        more["before"] = std::to_string(found->back().seq);
        std::string qs;
        for (const auto& [k, v] : more) qs += (qs.empty() ? "?" : "&amp;") + percentEncode(k) + "=" + percentEncode(v);
        body += "<p><a href=\"/decisions" + qs + "\">更早的记录 →</a></p>";
    }
    return page(call, "decisions", "通行记录", body);
}

Response evidence(Call& call, const std::string& file) {
    // Only "<seq>.jpg" and "<seq>-plate.png": the name is built from the number, never taken as a path.
    const bool plate = file.ends_with("-plate.png");
    const bool frame = file.ends_with(".jpg");
    const std::string digits = file.substr(0, file.size() - (plate ? 10 : 4));
    const auto seq = (plate || frame) ? number(digits) : std::nullopt;
    if (!seq) return Response::text(404, "没有这个画面。\n");
    const auto files = options::evidenceFiles(options::evidenceDir(call.c.d.settings), *seq);
    std::ifstream in(plate ? files.plate : files.frame, std::ios::binary);
    if (!in) return Response::text(404, "这个画面不在了（已过保存期限，或当时没有画面）。\n");
    Response r;
    r.content_type = plate ? "image/png" : "image/jpeg";
    r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return r;
}

Response audit(Call& call) {
    auto ledger = call.c.d.ledgers.borrow();
    const auto verdict = ledger->verifyAudit(std::nullopt);
    std::string body =
        verdict.ok
            ? fmt::format("<p class=\"flash ok\">审计链完整：共 {} 行，链头 <code>{}</code>。</p>", verdict.head.count,
                          esc(verdict.head.str()))
            : fmt::format("<p class=\"flash bad\">审计链已损坏：{}{}。请立即联系管理员，保留数据库文件。</p>",
                          esc(verdict.problem),
                          verdict.first_bad_seq ? fmt::format("（第一处在第 {} 行）", *verdict.first_bad_seq) : "");
    body += "<p class=\"muted\">每月报表上印有链头；以后用它可以证明那之前的记录没有被删改。</p>";
    gate::AuditEntryFilter f{
        .without_decisions = true, .before = number(call.req.param("before").value_or("")), .limit = 100};
    auto rows = ledger->auditEntries(f);
    if (!rows) return page(call, "audit", "审计", body + errorBox(rows.error()));
    std::string table;
    for (const auto& e : *rows) {
        std::string who;
        std::string detail;
        auto payload = json::parse(e.payload, nullptr, false);
        if (payload.is_object()) {
            for (const char* key : {"by", "operator", "account"}) {
                if (payload.contains(key) && payload[key].is_string()) {
                    who += (who.empty() ? "" : " / ") + payload[key].get<std::string>();
                }
            }
            for (const auto& [k, v] : payload.items()) {
                if (k == "by") continue;
                detail += fmt::format("{}={} ", k, v.is_string() ? v.get<std::string>() : v.dump());
            }
        }
        auto personal = json::parse(e.personal.empty() ? "{}" : e.personal, nullptr, false);
        if (personal.is_object()) {
            for (const auto& [k, v] : personal.items()) {
                if (k == "operator" && v.is_string()) who += (who.empty() ? "" : " / ") + v.get<std::string>();
                detail += fmt::format("{}={} ", k, v.is_string() ? v.get<std::string>() : v.dump());
            }
        }
        table += fmt::format("<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>", e.seq,
                             call.local(e.at), esc(e.kind), esc(who), esc(detail));
    }
    body +=
        "<h2>人工操作和管理变更</h2><div class=\"wrap\"><table><tr><th class=\"n\">行</th><th>时间</th><th>事件</th>"
        "<th>操作人</th><th>内容</th></tr>" +
        table + "</table></div>";
    if (rows->size() >= 100) {
        body += fmt::format("<p><a href=\"/audit?before={}\">更早的记录 →</a></p>", rows->back().seq);
    }
    return page(call, "audit", "审计", body);
}

}  // namespace vg::web
