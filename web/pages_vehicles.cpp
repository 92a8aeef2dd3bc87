// 车辆: resident and blocked cars, with the unit and validity; add, remove, and import a spreadsheet (UTF-8 or
// GBK/GB18030 CSV, the same rows and words as `voucher-gate vehicle import`; all or nothing).
#include "gate/vehicle_rows.h"
#include "reports/words.h"
#include "web/console_internal.h"

namespace vg::web {

namespace {

std::string kindWords(gate::VehicleKind k) { return std::string(reports::kindWords(k, reports::Lang::Zh)); }

}  // namespace

Response vehicles(Call& call) {
    auto ledger = call.c.d.ledgers.borrow();
    auto list = ledger->vehicles();
    if (!list) return page(call, "vehicles", "车辆", "<p class=\"flash bad\">" + esc(list.error().message) + "</p>");
    const std::string csrf = csrfField(call);
    std::string rows;
    for (const auto& v : *list) {
        rows += fmt::format(
            "<tr{}><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td><form class=\"inline\" method=\"post\" "
            "action=\"/vehicles/remove\">{}<input type=\"hidden\" name=\"plate\" value=\"{}\">"
            "<button class=\"warn\" type=\"submit\">删除</button></form></td></tr>",
            v.kind == gate::VehicleKind::Blocked ? " class=\"deny\"" : "", esc(v.plate), kindWords(v.kind), esc(v.unit),
            v.until ? esc(*v.until) : "长期", csrf, esc(v.plate));
    }
    std::string body = fmt::format(
        "<form class=\"box\" method=\"post\" action=\"/vehicles/add\">{}"
        "<label>车牌<input name=\"plate\" required placeholder=\"沪A12345\" size=\"10\"></label>"
        "<label>类型<select name=\"kind\"><option value=\"resident\">住户车辆</option>"
        "<option value=\"blocked\">禁止入内</option></select></label>"
        "<label>户号<input name=\"unit\" size=\"8\"></label>"
        "<label>有效至<input name=\"until\" type=\"date\"></label>"
        "<label><span><input type=\"checkbox\" name=\"replace\" value=\"1\"> 覆盖已有登记</span></label>"
        "<button type=\"submit\">登记</button></form>"
        "<form class=\"box\" method=\"post\" action=\"/vehicles/import\" enctype=\"multipart/form-data\">{}"
        "<label>导入表格（CSV：车牌,类型,户号,有效至；UTF-8 或 GBK）<input type=\"file\" name=\"file\" "
        "accept=\".csv,text/csv\" required></label>"
        "<label><span><input type=\"checkbox\" name=\"replace\" value=\"1\"> 覆盖已有登记</span></label>"
        "<button type=\"submit\">导入</button></form>",
        csrf, csrf);
    body += fmt::format("<h2>已登记 {} 辆</h2>", list->size());
    body += "<div class=\"wrap\"><table><tr><th>车牌</th><th>类型</th><th>户号</th><th>有效至</th><th></th></tr>" +
            rows + "</table></div>";
    return page(call, "vehicles", "车辆", body);
}

Response vehiclePost(Call& call, std::string_view action) {
    auto ledger = call.c.d.ledgers.borrow();
    ledger->setActor(call.session.account);
    const auto now = call.c.d.clock.now();
    const bool replace = call.field("replace") == "1";
    if (action == "/vehicles/add") {
        auto v = gate::vehicleFrom(call.c.checker, "", call.field("plate"), call.field("kind"), call.field("unit"),
                                   call.field("until"));
        if (!v) return afterPost(call, "/vehicles", v.error(), false);
        auto r = ledger->addVehicle(*v, now, replace);
        if (!r) return afterPost(call, "/vehicles", reports::errorWords(r.error(), reports::Lang::Zh), false);
        return afterPost(call, "/vehicles",
                         r->unchanged ? fmt::format("{} 已是这样登记的。", r->stored.plate)
                                      : fmt::format("已登记 {}（{}）。", r->stored.plate, kindWords(r->stored.kind)),
                         true);
    }
    if (action == "/vehicles/remove") {
        auto plate = gate::checkPlate("车牌", call.field("plate"));
        if (!plate) return afterPost(call, "/vehicles", plate.error(), false);
        auto r = ledger->removeVehicle(*plate, now);
        if (!r) return afterPost(call, "/vehicles", reports::errorWords(r.error(), reports::Lang::Zh), false);
        return afterPost(call, "/vehicles", fmt::format("已删除 {}。", *plate), true);
    }
    if (action == "/vehicles/import") {
        if (call.upload_name.empty()) return afterPost(call, "/vehicles", "请选择要导入的 CSV 文件。", false);
        auto file = gate::parseVehicleFile(call.upload, call.c.checker);
        if (!file) return afterPost(call, "/vehicles", file.error() + "；没有导入任何车辆。", false);
        if (!file->refused.empty()) {
            std::string why;
            for (const auto& [row, text] : file->refused) why += text + "；";
            return afterPost(call, "/vehicles",
                             fmt::format("{} 行中有 {} 行不对（按 {} 读取），没有导入任何车辆：{}", file->data_rows,
                                         file->refused.size(), file->encoding, why),
                             false);
        }
        auto r = ledger->importVehicles(file->rows, now, replace);
        if (!r) {
            return afterPost(call, "/vehicles",
                             reports::errorWords(r.error(), reports::Lang::Zh) + "；没有导入任何车辆。", false);
        }
        int replaced = 0;
        for (const auto& c : *r) replaced += c.replaced ? 1 : 0;
        return afterPost(call, "/vehicles",
                         fmt::format("已导入 {} 辆（按 {} 读取{}）。", file->rows.size(), file->encoding,
                                     replaced > 0 ? fmt::format("，覆盖了 {} 条已有登记", replaced) : ""),
                         true);
    }
    return Response::text(404, "没有这个操作。\n");
}

}  // namespace vg::web
