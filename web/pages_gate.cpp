// 道闸, for the guard: each lane's live state (the daemon's control socket `status`), the latest decisions with their
// frames, and the guard's commands — confirm a held car, open, hold-open, release — sent to the daemon under the
// CLI's rules (the daemon answers within its 5 s lane limit or the command never runs), each with a reason and the
// account's name as operator.
#include <nlohmann/json.hpp>

#include "control/control_client.h"
#include "gate/decision_json.h"
#include "options/evidence.h"
#include "reports/decision_words.h"
#include "reports/month_report.h"
#include "reports/words.h"
#include "web/console_internal.h"

namespace vg::web {

namespace {

using nlohmann::json;

std::string str(const json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
}

}  // namespace

Response gatePage(Call& call) {
    const auto& socket = call.c.d.settings.control.socket;
    const std::string csrf = csrfField(call);
    std::string body;
    auto status = control::controlRequest(socket, json{{"cmd", "status"}}, std::chrono::seconds(3));
    std::vector<std::string> lanes;
    if (!status) {
        body += "<p class=\"flash bad\">道闸服务没有应答：" + esc(status.error().message) + "</p>";
    } else if (!status->value("ok", false)) {
        body += "<p class=\"flash bad\">道闸服务拒绝：" + esc(str(*status, "error")) + "</p>";
    } else {
        const json& st = (*status)["status"];
        body += fmt::format("<p>道闸服务：<span class=\"tag {}\">{}</span></p>",
                            str(st, "status") == "ok" ? "ok" : "bad", str(st, "status") == "ok" ? "正常" : "有问题");
        std::string rows;
        if (st.contains("lanes") && st["lanes"].is_array()) {
            for (const auto& l : st["lanes"]) {
                const std::string name = str(l, "name");
                lanes.push_back(name);
                std::string state;
                for (const auto& [k, v] : l.items()) {
                    if (k == "name") continue;
                    state += fmt::format("{}: {}<br>", esc(k), esc(v.is_string() ? v.get<std::string>() : v.dump()));
                }
                rows +=
                    fmt::format("<tr><td><b>{}</b></td><td style=\"font-size:.85em\">{}</td></tr>", esc(name), state);
            }
        }
        body += "<div class=\"wrap\"><table><tr><th>车道</th><th>状态</th></tr>" + rows + "</table></div>";
    }
    // The daemon's lanes; when it does not answer, the configured ones, so the guard still sees what to pick.
    if (lanes.empty()) {
        for (const auto& l : call.c.d.settings.lane) lanes.push_back(l.name);
    }
    std::string lane_options;
    for (const auto& l : lanes) lane_options += fmt::format("<option value=\"{0}\">{0}</option>", esc(l));
    body += fmt::format(
        "<h2>放行与确认</h2>"
        "<form class=\"box\" method=\"post\" action=\"/gate\">{0}<input type=\"hidden\" name=\"cmd\" value=\"confirm\">"
        "<label>车道<select name=\"lane\">{1}</select></label>"
        "<label>车牌（看清后填写）<input name=\"plate\" size=\"10\"></label>"
        "<label>原因<input name=\"reason\" required placeholder=\"车牌被泥挡住\"></label>"
        "<button type=\"submit\">确认放行等候车辆</button>"
        "<button class=\"warn\" type=\"submit\" name=\"refuse\" value=\"1\">拒绝</button></form>"
        "<form class=\"box\" method=\"post\" action=\"/gate\">{0}"
        "<label>车道<select name=\"lane\">{1}</select></label>"
        "<label>原因<input name=\"reason\" required placeholder=\"救护车\"></label>"
        "<button type=\"submit\" name=\"cmd\" value=\"open\">抬杆一次</button>"
        "<button class=\"warn\" type=\"submit\" name=\"cmd\" value=\"hold-open\">保持抬起（紧急）</button>"
        "<button type=\"submit\" name=\"cmd\" value=\"release\">解除保持</button></form>",
        csrf, lane_options);

    // The latest decisions with their frames.
    auto ledger = call.c.d.ledgers.borrow();
    auto recent = ledger->decisions(gate::DecisionFilter{.limit = 10});
    if (recent) {
        const auto dir = options::evidenceDir(call.c.d.settings);
        std::string rows;
        for (const auto& d : *recent) {
            std::error_code ec;
            const bool has = std::filesystem::exists(options::evidenceFiles(dir, d.seq).frame, ec);
            rows += fmt::format(
                "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}<br><span class=\"muted\">{}</span></td><td>{}</td></tr>",
                d.admit ? "" : " class=\"deny\"", call.local(d.at), esc(d.lane), esc(d.plate),
                esc(reports::reasonWords(d.reason, reports::Lang::Zh)),
                esc(reports::decisionWords(d, call.c.d.zone, reports::Lang::Zh)),
                has ? fmt::format("<a href=\"/evidence/{0}.jpg\"><img class=\"frame\" "
                                  "src=\"/evidence/{0}.jpg\" alt=\"画面\" style=\"max-width:160px\"></a>",
                                  d.seq)
                    : "");
        }
        body +=
            "<h2>最近的决定</h2><div class=\"wrap\"><table><tr><th>时间</th><th>车道</th><th>车牌</th><th>结果</th>"
            "<th>画面</th></tr>" +
            rows + "</table></div>";
    }
    auto r = page(call, "gate", "道闸", body);
    r.headers.emplace_back("Refresh", "15");
    return r;
}

Response gatePost(Call& call) {
    const std::string cmd = call.field("cmd");
    if (cmd != "confirm" && cmd != "open" && cmd != "hold-open" && cmd != "release") {
        return afterPost(call, "/gate", "没有这个命令。", false);
    }
    auto reason = gate::checkText("原因", call.field("reason"));
    if (!reason || reason->empty()) return afterPost(call, "/gate", "每个操作都要写明原因。", false);
    auto lane = gate::checkText("车道", call.field("lane"));
    if (!lane || lane->empty()) return afterPost(call, "/gate", "请选择车道。", false);
    json request{{"cmd", cmd}, {"lane", *lane}, {"operator", call.session.account}, {"reason", *reason}};
    if (cmd == "confirm") {
        request["refuse"] = call.field("refuse") == "1";
        if (!call.field("plate").empty()) {
            auto plate = gate::checkPlate("车牌", call.field("plate"));
            if (!plate) return afterPost(call, "/gate", plate.error(), false);
            request["plate"] = *plate;
        }
    }
    auto answer = control::controlRequest(call.c.d.settings.control.socket, request);
    if (!answer) return afterPost(call, "/gate", "命令没有送达道闸服务：" + answer.error().message, false);
    if (!answer->value("ok", false)) return afterPost(call, "/gate", "道闸服务拒绝：" + str(*answer, "error"), false);
    std::string what = cmd == "confirm" ? (request["refuse"].get<bool>() ? "已拒绝等候车辆" : "已确认放行")
                       : cmd == "open"  ? "已抬杆一次"
                       : cmd == "hold-open" ? "道闸保持抬起：处理完请解除"
                                            : "已解除保持";
    // The decision the daemon took on the guard's word, said as the guard's pages say it.
    std::string decided;
    if (const auto d = answer->find("decision"); d != answer->end()) {
        if (auto decision = gate::decisionFromJson(*d, call.c.d.zone)) {
            decided = reports::decisionWords(*decision, call.c.d.zone, reports::Lang::Zh,
                                             gate::Manual{call.session.account, *reason}) +
                      "。";
        }
    }
    return afterPost(call, "/gate", fmt::format("{}：车道 {}。{}已记入审计。", what, *lane, decided), true);
}

}  // namespace vg::web
