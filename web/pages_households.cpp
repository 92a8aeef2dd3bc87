// 住户与停车券: register and remove households, issue, revoke and replace vouchers, print a month's cards, and one
// voucher as an image to send to a child's phone. Every change is made in the ledger under the account's name.
#include <unistd.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <opencv2/imgcodecs.hpp>

#include "cards/cards_pdf.h"
#include "options/card_options.h"
#include "reports/words.h"
#include "web/console_internal.h"

namespace vg::web {

namespace {

std::optional<std::uint32_t> serialOf(std::string_view text) {
    std::uint32_t v = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || ptr != text.data() + text.size() || v == 0) return std::nullopt;
    return v;
}

std::string statusWords(const gate::Voucher& v) {
    if (v.replaced_by) return fmt::format("已补发（新券 {}）", *v.replaced_by);
    return std::string(reports::statusWords(v.status, reports::Lang::Zh));
}

// A temporary file for the card renderer, removed when it goes out of scope.
struct TempFile {
    std::string path;
    explicit TempFile(const char* suffix) {
        std::string pattern = (std::filesystem::temp_directory_path() / "vg-web-XXXXXX").string() + suffix;
        const int fd = ::mkstemps(pattern.data(), static_cast<int>(std::strlen(suffix)));
        if (fd >= 0) {
            ::close(fd);
            path = pattern;
        }
    }
    ~TempFile() {
        std::error_code ec;
        if (!path.empty()) std::filesystem::remove(path, ec);
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    std::string read() const {
        std::ifstream in(path, std::ios::binary);
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }
};

}  // namespace

Response households(Call& call) {
    const auto month = monthParam(call, call.req.param("month").value_or(""));
    if (!month) return Response::text(400, "month 参数要写成 YYYY-MM。\n");
    auto ledger = call.c.d.ledgers.borrow();
    auto hs = ledger->households(false);
    auto vs = ledger->vouchers(std::nullopt, *month);
    if (!hs || !vs) {
        return page(call, "households", "住户与停车券",
                    "<p class=\"flash bad\">" + esc(!hs ? hs.error().message : vs.error().message) + "</p>");
    }
    std::map<std::string, std::vector<gate::Voucher>> by_unit;
    for (const auto& v : *vs) by_unit[v.unit].push_back(v);
    const auto& s = call.c.d.settings;
    const std::string m = month->str();
    const std::string csrf = csrfField(call);

    std::string categories;
    for (const auto& c : s.vouchers.eligible_categories) {
        categories +=
            fmt::format("<option value=\"{}\">{}</option>", esc(c), esc(reports::categoryWords(c, reports::Lang::Zh)));
    }
    std::string body = fmt::format(
        "<form class=\"box\" method=\"get\" action=\"/households\"><label>月份<input type=\"month\" name=\"month\" "
        "value=\"{0}\"></label><button type=\"submit\">查看</button><a "
        "href=\"/cards.pdf?month={0}\">打印本月全部未用卡片"
        "（PDF）</a></form>"
        "<p class=\"muted\">“图片”是一张券发到访客手机上用的。请提醒访客：在道闸前把手机屏幕调到最亮，"
        "让二维码正对读卡摄像头、停一两秒（屏幕太暗时摄像头读不出）。</p>",
        m);
    std::string rows;
    int n = 0;
    for (const auto& h : *hs) {
        ++n;
        std::string vouchers;
        for (const auto& v : by_unit[h.unit]) {
            vouchers += fmt::format("<div>券 {} · {}", v.serial, statusWords(v));
            if (v.status == gate::VoucherStatus::Issued) {
                vouchers += fmt::format(
                    " · <a href=\"/voucher/{0}.png\" download=\"停车券-{1}-{2}-{0}.png\">图片</a>"
                    " <form class=\"inline\" method=\"post\" action=\"/vouchers/revoke\">{3}"
                    "<input type=\"hidden\" name=\"serial\" value=\"{0}\"><input name=\"reason\" "
                    "placeholder=\"作废原因\" "
                    "required size=\"8\"><input type=\"hidden\" name=\"month\" value=\"{2}\">"
                    "<button class=\"warn\" type=\"submit\">作废</button></form>"
                    " <form class=\"inline\" method=\"post\" action=\"/vouchers/replace\">{3}"
                    "<input type=\"hidden\" name=\"serial\" value=\"{0}\"><input type=\"hidden\" name=\"month\" "
                    "value=\"{2}\"><button type=\"submit\">补发</button></form>",
                    v.serial, esc(h.unit), m, csrf);
            }
            vouchers += "</div>";
        }
        const auto issued = std::count_if(by_unit[h.unit].begin(), by_unit[h.unit].end(), [](const gate::Voucher& v) {
            return v.status != gate::VoucherStatus::Revoked;
        });
        rows += fmt::format(
            "<tr><td>{0}</td><td>{1}</td><td>{2}</td><td>{3}</td><td>{4}"
            "<form class=\"inline\" method=\"post\" action=\"/vouchers/issue\">{5}<input type=\"hidden\" name=\"unit\" "
            "value=\"{0}\"><input type=\"hidden\" name=\"month\" value=\"{6}\"><button type=\"submit\"{7}>发放本月券"
            "</button></form> <a href=\"/cards.pdf?month={6}&amp;unit={0}\">打印卡片</a></td>"
            "<td><form class=\"inline\" method=\"post\" action=\"/households/remove\" "
            "onsubmit=\"return confirm('确定注销 {0}？历史记录会保留，未用的券作废。')\">{5}"
            "<input type=\"hidden\" name=\"unit\" value=\"{0}\"><button class=\"warn\" type=\"submit\">注销</button>"
            "</form></td></tr>",
            esc(h.unit), esc(reports::categoryWords(h.category, reports::Lang::Zh)), esc(h.contact), esc(h.phone),
            vouchers, csrf, m, issued >= s.vouchers.per_month ? " disabled" : "");
    }
    body += fmt::format("<h2>已登记 {} 户（{} 月的停车券）</h2>", n, m);
    body +=
        "<div class=\"wrap\"><table><tr><th>户号</th><th>类别</th><th>联系人</th><th>电话</th><th>停车券</th>"
        "<th></th></tr>" +
        rows + "</table></div>";
    body += fmt::format(
        "<h2>登记新住户</h2><form class=\"box\" method=\"post\" action=\"/households/add\">{}"
        "<label>户号<input name=\"unit\" required placeholder=\"12-301\" size=\"8\"></label>"
        "<label>类别<select name=\"category\">{}</select></label>"
        "<label>联系人<input name=\"contact\" size=\"8\"></label>"
        "<label>电话<input name=\"phone\" type=\"tel\" size=\"13\"></label>"
        "<input type=\"hidden\" name=\"month\" value=\"{}\"><button type=\"submit\">登记</button></form>",
        csrf, categories, m);
    return page(call, "households", "住户与停车券", body);
}

Response householdPost(Call& call, std::string_view action) {
    const auto& s = call.c.d.settings;
    const std::string month_text = call.field("month");
    // Back to the month the form was sent from, when it is a month (the field goes into the Location header).
    const auto back_month = gate::YearMonth::parse(month_text);
    const std::string back = "/households" + (back_month ? "?month=" + back_month->str() : "");
    auto ledger = call.c.d.ledgers.borrow();
    ledger->setActor(call.session.account);
    const auto now = call.c.d.clock.now();
    if (action == "/households/add") {
        auto unit = call.c.checker.unit("户号", call.field("unit"));
        if (!unit) return afterPost(call, back, unit.error(), false);
        auto phone = call.c.checker.phone("电话", call.field("phone"));
        if (!phone) return afterPost(call, back, phone.error(), false);
        for (const char* f : {"category", "contact"}) {
            if (auto p = gate::textProblem(f, call.field(f))) return afterPost(call, back, *p, false);
        }
        auto h = ledger->addHousehold(*unit, call.field("category"), call.field("contact"), *phone,
                                      s.vouchers.eligible_categories, now);
        if (!h) return afterPost(call, back, reports::errorWords(h.error(), reports::Lang::Zh), false);
        return afterPost(call, back, fmt::format("已登记 {}。", h->unit), true);
    }
    if (action == "/households/remove") {
        auto unit = gate::lookupKey("户号", call.field("unit"));
        if (!unit) return afterPost(call, back, unit.error(), false);
        auto r = ledger->removeHousehold(*unit, now);
        if (!r) return afterPost(call, back, reports::errorWords(r.error(), reports::Lang::Zh), false);
        return afterPost(call, back, fmt::format("已注销 {}；历史记录保留。", *unit), true);
    }
    if (action == "/vouchers/issue") {
        auto unit = gate::lookupKey("户号", call.field("unit"));
        const auto month = gate::YearMonth::parse(month_text);
        if (!unit || !month) return afterPost(call, back, "户号或月份不对。", false);
        auto existing = ledger->vouchers(*unit, *month);
        if (!existing) return afterPost(call, back, reports::errorWords(existing.error(), reports::Lang::Zh), false);
        const auto live = std::count_if(existing->begin(), existing->end(), [](const gate::Voucher& v) {
            return v.status != gate::VoucherStatus::Revoked;
        });
        const int count = s.vouchers.per_month - static_cast<int>(live);
        if (count <= 0)
            return afterPost(call, back, fmt::format("{} 的 {} 月停车券已发满。", *unit, month->str()), false);
        auto v = ledger->issue(*unit, *month, count, s.vouchers.per_month, s.vouchers.eligible_categories, now);
        if (!v) return afterPost(call, back, reports::errorWords(v.error(), reports::Lang::Zh), false);
        return afterPost(call, back, fmt::format("已给 {} 发放 {} 张 {} 月停车券。", *unit, v->size(), month->str()),
                         true);
    }
    const auto serial = serialOf(call.field("serial"));
    if (!serial) return afterPost(call, back, "券号不对。", false);
    if (action == "/vouchers/revoke") {
        auto reason = gate::checkText("作废原因", call.field("reason"));
        if (!reason || reason->empty()) return afterPost(call, back, "请写明作废原因。", false);
        auto v = ledger->revoke(*serial, *reason, now);
        if (!v) return afterPost(call, back, reports::errorWords(v.error(), reports::Lang::Zh), false);
        return afterPost(call, back, fmt::format("券 {} 已作废。", *serial), true);
    }
    if (action == "/vouchers/replace") {
        auto v = ledger->replace(*serial, now);
        if (!v) return afterPost(call, back, reports::errorWords(v.error(), reports::Lang::Zh), false);
        return afterPost(call, back, fmt::format("券 {} 已作废并补发新券 {}：请打印新卡片。", *serial, v->serial),
                         true);
    }
    return Response::text(404, "没有这个操作。\n");
}

Response cardsPdf(Call& call) {
    const auto month = monthParam(call, call.req.param("month").value_or(""));
    if (!month) return Response::text(400, "month 参数要写成 YYYY-MM。\n");
    std::optional<std::string> only;
    if (auto u = call.req.param("unit"); u && !u->empty()) {
        auto key = gate::lookupKey("unit", *u);
        if (!key) return Response::text(400, key.error() + "\n");
        only = *key;
    }
    auto ledger = call.c.d.ledgers.borrow();
    auto vouchers = ledger->vouchers(only, *month);
    auto hs = ledger->households(false);
    if (!vouchers || !hs) return Response::text(503, "账本暂时无法读取。\n");
    std::vector<cards::CardSpec> specs;
    for (const auto& v : *vouchers) {
        if (v.status != gate::VoucherStatus::Issued) continue;  // a used or revoked card would be refused
        cards::CardSpec card{.unit = v.unit, .month = v.month, .serial = v.serial, .token = v.token};
        for (const auto& h : *hs) {
            if (h.unit == v.unit && !h.contact.empty()) card.contact = h.contact;
        }
        specs.push_back(std::move(card));
    }
    if (specs.empty()) {
        return Response::text(404, fmt::format("{} 月没有未用的停车券：请先发放。\n", month->str()));
    }
    std::sort(specs.begin(), specs.end(),
              [](const auto& a, const auto& b) { return std::tie(a.unit, a.serial) < std::tie(b.unit, b.serial); });
    TempFile tmp(".pdf");
    if (tmp.path.empty()) return Response::text(500, "无法创建临时文件。\n");
    if (auto r = cards::renderCardsPdf(specs, options::cardSheetOptions(call.c.d.settings), tmp.path); !r) {
        return Response::text(500, "无法生成卡片：" + r.error() + "\n");
    }
    Response r =
        download("application/pdf", fmt::format("cards-{}{}.pdf", month->str(), only ? "-" + *only : ""), tmp.read());
    r.headers.back().second.replace(0, 10, "inline");  // open in the browser's viewer to print
    return r;
}

Response voucherImage(Call& call, const std::string& serial_text) {
    const auto serial = serialOf(serial_text);
    if (!serial) return Response::text(404, "没有这张券。\n");
    auto ledger = call.c.d.ledgers.borrow();
    auto v = ledger->voucher(*serial);
    if (!v) return Response::text(404, v.error().message + "\n");
    if (v->status != gate::VoucherStatus::Issued) {
        return Response::text(409, fmt::format("券 {} {}，不能再发给访客。\n", *serial, statusWords(*v)));
    }
    cards::CardSpec card{.unit = v->unit, .month = v->month, .serial = v->serial, .token = v->token};
    auto image =
        cards::renderCardImage(card, options::cardSheetOptions(call.c.d.settings), cards::kVoucherImagePxPerMm);
    if (!image) return Response::text(500, "无法生成图片：" + image.error() + "\n");
    std::vector<unsigned char> png;
    if (!cv::imencode(".png", *image, png)) return Response::text(500, "无法生成图片。\n");
    Response r;
    r.content_type = "image/png";
    r.body.assign(png.begin(), png.end());
    return r;
}

}  // namespace vg::web
