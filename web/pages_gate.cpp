// 道闸, for the guard: each lane's live state (the daemon's control socket `status`), the latest decisions with their
// frames, and the guard's commands — confirm a held car, open, hold-open, release — sent to the daemon under the
// CLI's rules (the daemon answers within its 5 s lane limit or the command never runs), each with a reason and the
// account's name as operator.
#include <map>
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

std::string tag(std::string_view kind, std::string_view words) {
    return fmt::format("<span class=\"tag {}\">{}</span>", kind, esc(words));
}

// A reason code from the daemon in words; an unknown code as it is.
std::string reasonText(const std::string& code) {
    if (auto r = gate::reasonFromString(code)) return std::string(reports::reasonWords(*r, reports::Lang::Zh));
    return code;
}

// The daemon's lane states (daemon/lane.cpp statusOf) in the guard's words.
std::string laneStateWords(const json& l) {
    const std::string state = str(l, "state");
    if (state == "waiting-for-guard") {
        const auto held = str(l, "waiting_for_guard");
        return tag("hold", "等待门岗处理" + (held.empty() ? std::string() : "：" + reasonText(held)));
    }
    if (state == "waiting-for-card") return tag("", "有车，等待出示停车券");
    if (state == "waiting-for-plate") return tag("", "已读到券，等待识别车牌");
    if (state == "idle") return tag("ok", "空闲");
    if (state == "stopped") return tag("bad", "已停止");
    return tag("", state);
}

std::string relayWords(const std::string& state) {
    if (state == "released") return tag("ok", "待命");
    if (state == "pulsing") return tag("", "正在抬杆");
    if (state == "held") return tag("bad", "保持抬起中（处理完请解除）");
    if (state == "faulted") return tag("bad", "继电器故障，请通知物业");
    return tag("", state);
}

std::string cameraWords(const json& c) {
    const std::string role = str(c, "role");
    const std::string what = role == "plate" ? "车牌摄像头" : role == "card" ? "读卡摄像头" : "摄像头";
    const std::string state = str(c, "state");
    std::string words;
    if (state == "running") {
        words = tag("ok", "正常");
        if (c.contains("frame_age_s") && c["frame_age_s"].is_number()) {
            words += fmt::format(" <span class=\"muted\">{:.0f} 秒前有画面</span>", c["frame_age_s"].get<double>());
        }
    } else if (state == "lost") {
        words = tag("bad", "掉线，正在重连");
    } else if (state == "ended") {
        words = tag("", "录像已放完");
    } else if (state == "starting") {
        words = tag("", "正在启动");
    } else {
        words = tag("bad", state == "stopped" ? "已停止" : state);
    }
    if (str(c, "plate_reader") == "unavailable") words += " " + tag("bad", "车牌识别不可用：车辆都要门岗确认");
    return what + " " + words;
}

// The daemon's problem codes (daemon/app_status.cpp) in words, each naming its lane.
std::string problemWords(const json& p) {
    static const std::map<std::string, std::string, std::less<>> kWords{
        {"CAMERA_LOST", "摄像头掉线"},
        {"CAMERA_STOPPED", "摄像头已停止"},
        {"CAMERA_STARTING", "摄像头正在启动"},
        {"PLATE_READER_UNAVAILABLE", "车牌识别不可用"},
        {"RELAY_FAULT", "道闸继电器故障"},
        {"LANE_STALLED", "车道程序卡住"},
        {"LEDGER_NOT_WRITABLE", "数据库不能写入"},
        {"CLOCK_NOT_SANE", "系统时间不对"},
        {"STOPPING", "道闸服务正在停止"},
    };
    const std::string code = str(p, "problem");
    const auto it = kWords.find(code);
    std::string words = it == kWords.end() ? code : it->second;
    if (const auto lane = str(p, "lane"); !lane.empty()) words = "车道 " + lane + "：" + words;
    return words;
}

}  // namespace

// One lane's live state as a guard reads it, with the daemon's own record folded away for the installer.
std::string laneBox(const json& l) {
    std::string lines;
    const std::string direction = str(l, "direction");
    lines += fmt::format("<div>状态：{}</div>", laneStateWords(l));
    if (l.contains("relay") && l["relay"].is_object()) {
        lines += fmt::format("<div>道闸继电器：{}</div>", relayWords(str(l["relay"], "state")));
    }
    if (l.contains("cameras") && l["cameras"].is_array()) {
        for (const auto& c : l["cameras"]) lines += "<div>" + cameraWords(c) + "</div>";
    }
    if (const auto presence = str(l, "presence"); !presence.empty()) {
        lines += fmt::format("<div>地感线圈：{}</div>", presence == "present"  ? "有车"
                                                        : presence == "absent" ? "无车"
                                                                               : tag("hold", "读不到（请看现场）"));
    }
    // What the loop detector and the relay's read-back saw last (daemon/lane.cpp laneEvent): the guard must see a
    // second car through on one opening, or a barrier that did not rise, without opening the technical details.
    if (l.contains("last_event") && l["last_event"].is_object()) {
        const auto& e = l["last_event"];
        const std::string code = str(e, "event");
        const std::string words = code == "TAILGATE_SUSPECTED" ? "疑似跟车：一次抬杆过了两辆车，请核实"
                                  : code == "BARRIER_NOT_OPENED" ? "道闸没有抬起（继电器已动作），请到现场查看"
                                                                 : code;
        lines += fmt::format("<div>{} <span class=\"muted\">{}</span></div>", tag("bad", words), esc(str(e, "at")));
    }
    if (l.value("stalled", false)) lines += "<div>" + tag("bad", "车道程序卡住，请通知物业") + "</div>";
    if (l.value("dry_run", false)) lines += "<div>" + tag("hold", "试运行：不动继电器") + "</div>";
    if (const auto last = str(l, "last_reason"); !last.empty()) {
        lines += fmt::format("<div class=\"muted\">上一次：{}</div>", esc(reasonText(last)));
    }
    return fmt::format(
        "<div class=\"box\"><h3 style=\"margin:.1em 0 .4em\">{} <span class=\"muted\">{}</span></h3>{}"
        "<details><summary class=\"muted\">技术细节</summary><pre style=\"white-space:pre-wrap;font-size:.8em\">{}"
        "</pre></details></div>",
        esc(str(l, "name")),
        direction == "exit"    ? "出口"
        : direction == "entry" ? "入口"
                               : esc(direction),
        lines, esc(l.dump(2, ' ', false, json::error_handler_t::replace)));
}

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
        const bool ok = str(st, "status") == "ok";
        std::string problems;
        if (st.contains("problems") && st["problems"].is_array()) {
            for (const auto& p : st["problems"]) problems += (problems.empty() ? "" : "；") + esc(problemWords(p));
        }
        body += fmt::format("<p>道闸服务：{}{}</p>", tag(ok ? "ok" : "bad", ok ? "正常" : "有问题"),
                            problems.empty() ? "" : " " + problems);
        if (st.contains("lanes") && st["lanes"].is_array()) {
            for (const auto& l : st["lanes"]) {
                lanes.push_back(str(l, "name"));
                body += laneBox(l);
            }
        }
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
