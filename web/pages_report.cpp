// 月度报表: the month per household (the same numbers, words and CSV as `voucher-gate report`), a chart of use over
// the last twelve months, an A4 view to print and sign, and the CSV and .xlsx downloads.
#include "reports/month_report.h"
#include "reports/words.h"
#include "web/console_internal.h"

namespace vg::web {

namespace {

using reports::Lang;

struct Month {
    gate::YearMonth month;
    gate::MonthReport report;
};

std::expected<Month, Response> loadMonth(Call& call) {
    const auto month = monthParam(call, call.req.param("month").value_or(""));
    if (!month) return std::unexpected(Response::text(400, "month 参数要写成 YYYY-MM，例如 2026-11。\n"));
    auto ledger = call.c.d.ledgers.borrow();
    auto r = ledger->report(*month, call.c.rules(), call.c.d.clock.now());
    if (!r) return std::unexpected(Response::text(503, r.error().message + "\n"));
    return Month{*month, std::move(*r)};
}

std::string table(const gate::MonthReport& r) {
    std::string rows;
    auto row = [](const std::string& unit, const std::string& category, const gate::HouseholdReport& h,
                  const char* cls) {
        return fmt::format(
            "<tr{}><td>{}</td><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td>"
            "<td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{:.2f}</td></tr>",
            cls, esc(unit), esc(category), h.issued, h.used, h.unused, h.revoked, h.replaced, h.visits,
            reports::formatStay(h.total_stay, Lang::Zh), reports::formatStay(h.longest_stay, Lang::Zh), h.overstays,
            h.fees);
    };
    for (const auto& h : r.households)
        rows += row(h.unit, reports::categoryWords(h.category, Lang::Zh), h, h.overstays > 0 ? " class=\"over\"" : "");
    rows +=
        row("合计", fmt::format("{} 户", r.households.size()), reports::monthTotals(r), " style=\"font-weight:bold\"");
    return "<div class=\"wrap\"><table><tr><th>户号</th><th>类别</th><th class=\"n\">发放</th><th class=\"n\">已用</th>"
           "<th class=\"n\">未用</th><th class=\"n\">作废</th><th class=\"n\">补发</th><th class=\"n\">停车次数</th>"
           "<th class=\"n\">总停留</th><th class=\"n\">最长停留</th><th class=\"n\">超时</th><th "
           "class=\"n\">超时费(元)</th>"
           "</tr>" +
           rows + "</table></div>";
}

std::string shared(const gate::MonthReport& r) {
    if (r.shared_plates.empty()) return "";
    std::string out = "<h2>用了多户停车券的车辆</h2><ul>";
    for (const auto& s : r.shared_plates) {
        std::string units;
        for (const auto& u : s.units) units += (units.empty() ? "" : "、") + esc(u);
        out += fmt::format("<li>{}：{}</li>", esc(s.plate), units);
    }
    return out + "</ul>";
}

// Vouchers issued and used per month, the twelve months up to `last`, as an SVG bar chart.
std::string chart(Call& call, gate::YearMonth last) {
    auto ledger = call.c.d.ledgers.borrow();
    const auto rules = call.c.rules();
    const auto now = call.c.d.clock.now();
    struct Bar {
        std::string label;
        int issued = 0, used = 0;
    };
    std::vector<Bar> bars;
    int top = 1;
    for (int i = 11; i >= 0; --i) {
        const auto m = gate::YearMonth::fromIndex(last.index() - i);
        auto r = ledger->report(m, rules, now);
        if (!r) return "";
        const auto sum = reports::monthTotals(*r);
        bars.push_back({fmt::format("{}月", m.month), sum.issued, sum.used});
        top = std::max({top, sum.issued, sum.used});
    }
    constexpr int kW = 720, kH = 220, kBase = 190, kTop = 20;
    const double step = kW / 12.0;
    std::string svg = fmt::format(
        "<svg viewBox=\"0 0 {} {}\" width=\"100%\" style=\"max-width:{}px;background:#fff;border:1px solid #cdd5de\" "
        "role=\"img\" aria-label=\"近十二个月停车券发放与使用\">",
        kW, kH, kW);
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const double x = static_cast<double>(i) * step + 8;
        auto h = [&](int v) { return static_cast<double>(v) * (kBase - kTop) / top; };
        svg += fmt::format(
            "<rect x=\"{:.0f}\" y=\"{:.0f}\" width=\"{:.0f}\" height=\"{:.0f}\" fill=\"#9fbad3\"><title>发放 "
            "{}</title></rect>"
            "<rect x=\"{:.0f}\" y=\"{:.0f}\" width=\"{:.0f}\" height=\"{:.0f}\" fill=\"#1f4e79\"><title>已用 "
            "{}</title></rect>"
            "<text x=\"{:.0f}\" y=\"{}\" font-size=\"12\" text-anchor=\"middle\">{}</text>"
            "<text x=\"{:.0f}\" y=\"{:.0f}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
            x, kBase - h(bars[i].issued), step / 2 - 6, h(bars[i].issued), bars[i].issued, x + step / 2 - 6,
            kBase - h(bars[i].used), step / 2 - 6, h(bars[i].used), bars[i].used, x + step / 2 - 6, kBase + 18,
            bars[i].label, x + step / 2 - 6, kBase - h(bars[i].used) - 4, bars[i].used);
    }
    svg +=
        "</svg><p class=\"muted\"><span style=\"color:#9fbad3\">■</span> 发放　"
        "<span style=\"color:#1f4e79\">■</span> 已用</p>";
    return "<h2>近十二个月</h2>" + svg;
}

}  // namespace

Response report(Call& call) {
    auto m = loadMonth(call);
    if (!m) return m.error();
    const std::string month = m->month.str();
    const auto prev = gate::YearMonth::fromIndex(m->month.index() - 1).str();
    const auto next = m->month.next().str();
    std::string body = fmt::format(
        "<form class=\"box noprint\" method=\"get\" action=\"/report\"><label>月份<input name=\"month\" "
        "type=\"month\" value=\"{0}\"></label><button type=\"submit\">查看</button>"
        "<a href=\"/report?month={1}\">← 上月</a><a href=\"/report?month={2}\">下月 →</a>"
        "<a href=\"/report/print?month={0}\">打印（A4）</a><a href=\"/report.csv?month={0}\">下载 CSV</a>"
        "<a href=\"/report.xlsx?month={0}\">下载 Excel</a></form>",
        month, prev, next);
    body += table(m->report) + shared(m->report);
    body += fmt::format("<p>现在凭券在场：{} 辆。</p>", m->report.cars_inside_now);
    body += fmt::format(
        "<p class=\"muted\">审计链头：<code>{}</code>（保留它：以后用 <code>voucher-gate audit verify "
        "--head {}</code> 可以证明此前的记录没有被删改）</p>",
        esc(m->report.audit_head.str()), esc(m->report.audit_head.str()));
    body += chart(call, m->month);
    return page(call, "report", fmt::format("月度报表 {}", month), body);
}

Response reportCsv(Call& call) {
    auto m = loadMonth(call);
    if (!m) return m.error();
    return download("text/csv; charset=utf-8", fmt::format("report-{}.csv", m->month.str()),
                    reports::monthCsv(m->report, Lang::Zh));
}

Response reportXlsx(Call& call) {
    auto m = loadMonth(call);
    if (!m) return m.error();
    auto bytes = reports::monthXlsx(m->report, call.c.d.settings.site.name, Lang::Zh);
    if (!bytes) return Response::text(500, "无法生成 Excel 文件：" + bytes.error() + "\n");
    return download("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    fmt::format("report-{}.xlsx", m->month.str()), std::move(*bytes));
}

Response reportPrint(Call& call) {
    auto m = loadMonth(call);
    if (!m) return m.error();
    const auto& site = call.c.d.settings.site;
    Response r;
    r.body = fmt::format(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>月度报表 {0}</title><style>"
        "@page{{size:A4 landscape;margin:14mm}}body{{font-family:\"Noto Sans CJK SC\",sans-serif;font-size:11pt;"
        "color:#000}}h1{{font-size:15pt;margin:0 0 4mm}}table{{border-collapse:collapse;width:100%}}"
        "th,td{{border:1px solid #000;padding:1.5mm 2mm;text-align:left}}td.n,th.n{{text-align:right}}"
        ".sign{{display:flex;gap:20mm;margin-top:14mm}}.sign div{{flex:1;border-top:1px solid #000;padding-top:2mm}}"
        ".noprint{{margin:4mm 0}}@media print{{.noprint{{display:none}}}}</style></head><body>"
        "<p class=\"noprint\"><button onclick=\"window.print()\">打印</button> <a "
        "href=\"/report?month={0}\">返回</a></p>"
        "<h1>{1}亲情停车券使用情况 · {2}年{3}月</h1>{4}{5}<p>审计链头：{6}</p><p>打印时间：{7}</p>"
        "<div class=\"sign\"><div>居委会经办人签字</div><div>物业负责人签字</div><div>日期</div></div>"
        "</body></html>",
        m->month.str(), site.name.empty() ? "" : esc(site.name) + " ", m->month.year, m->month.month, table(m->report),
        shared(m->report), esc(m->report.audit_head.str()), call.local(call.c.d.clock.now()));
    return r;
}

}  // namespace vg::web
