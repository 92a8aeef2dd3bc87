#include "web/console.h"

#include <spdlog/spdlog.h>

#include <array>
#include <string>

#include "options/rule_settings.h"
#include "web/console_internal.h"

namespace vg::web {

namespace {

constexpr const char* kCookie = "vg_session";

constexpr const char* kStyle = R"css(
*{box-sizing:border-box}
body{margin:0;font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif;
  font-size:16px;color:#1d2733;background:#f3f5f7}
header{background:#1f4e79;color:#fff;padding:.6em 1em;display:flex;flex-wrap:wrap;align-items:center;gap:.5em 1em}
header .site{font-weight:bold;font-size:1.1em}
header .who{margin-left:auto;font-size:.9em}
header form{display:inline;margin:0}
header button{background:none;border:1px solid #fff;color:#fff;border-radius:4px;padding:.2em .6em}
nav{display:flex;flex-wrap:wrap;gap:.2em;background:#dfe7ef;padding:.3em .6em}
nav a{padding:.45em .8em;border-radius:4px;color:#1f4e79;text-decoration:none}
nav a.on{background:#1f4e79;color:#fff}
main{padding:1em;max-width:1200px}
h1{font-size:1.3em;margin:.2em 0 .8em}
h2{font-size:1.1em;margin:1.4em 0 .5em}
table{border-collapse:collapse;width:100%;background:#fff;font-size:.95em}
th,td{border:1px solid #cdd5de;padding:.4em .5em;text-align:left;vertical-align:top}
th{background:#eef2f6;white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
tr.over td{background:#fde2e1}
tr.deny td{color:#8a1f11}
.wrap{overflow-x:auto}
.flash{padding:.6em .8em;border-radius:4px;margin:0 0 1em}
.flash.ok{background:#e3f4e1;border:1px solid #8cc084}
.flash.bad{background:#fde2e1;border:1px solid #e08b84}
form.inline{display:inline}
form.box{background:#fff;border:1px solid #cdd5de;border-radius:6px;padding:.8em;margin:0 0 1em;display:flex;
  flex-wrap:wrap;gap:.6em;align-items:flex-end}
label{display:flex;flex-direction:column;font-size:.85em;color:#44505c;gap:.2em}
input,select{font-size:1em;padding:.35em .4em;border:1px solid #aab6c2;border-radius:4px}
button{font-size:1em;padding:.4em .9em;border-radius:4px;border:1px solid #1f4e79;background:#1f4e79;color:#fff}
button.warn{background:#b3261e;border-color:#b3261e}
button:disabled{opacity:.35;cursor:not-allowed}
.muted{color:#6b7785;font-size:.85em}
.tag{display:inline-block;padding:0 .4em;border-radius:3px;font-size:.85em}
.tag.ok{background:#e3f4e1}.tag.bad{background:#fde2e1}.tag.hold{background:#fff1c2}
img.frame{max-width:240px;height:auto;border:1px solid #cdd5de}
.login{max-width:360px;margin:10vh auto;background:#fff;padding:1.5em;border-radius:8px;border:1px solid #cdd5de}
.login form{display:flex;flex-direction:column;gap:.8em}
@media print{header,nav,.noprint,form{display:none!important}body{background:#fff}main{padding:0}}
)css";

struct NavItem {
    const char* key;
    const char* href;
    const char* title;
    Capability need;
};
constexpr std::array kNav{
    NavItem{"inside", "/inside", "在场车辆", Capability::ViewInside},
    NavItem{"decisions", "/decisions", "通行记录", Capability::ViewDecisions},
    NavItem{"report", "/report", "月度报表", Capability::ViewReport},
    NavItem{"households", "/households", "住户与停车券", Capability::ManageHouseholds},
    NavItem{"vehicles", "/vehicles", "车辆", Capability::ManageVehicles},
    NavItem{"gate", "/gate", "道闸", Capability::GuardGate},
    NavItem{"audit", "/audit", "审计", Capability::ViewAudit},
    NavItem{"users", "/users", "账户", Capability::ManageAccounts},
};

std::string head(std::string_view title) {
    return fmt::format(
        "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{} · 亲情停车券</title>"
        "<style>{}</style></head>",
        esc(title), kStyle);
}

std::string roleName(gate::Role r) {
    switch (r) {
        case gate::Role::Viewer:
            return "查看";
        case gate::Role::Committee:
            return "居委会";
        case gate::Role::Management:
            return "物业";
        case gate::Role::Guard:
            return "门岗";
        case gate::Role::Admin:
            return "管理员";
    }
    return "";
}

std::string sessionCookie(const std::string& value, bool clear) {
    return fmt::format("{}={}; Path=/; HttpOnly; SameSite=Strict{}", kCookie, value, clear ? "; Max-Age=0" : "");
}

// Where to go after the login: a path of this site only (never "//elsewhere" or a scheme).
std::string safeNext(const std::string& next) {
    if (next.size() > 1 && next[0] == '/' && next[1] != '/' && next[1] != '\\' &&
        next.find_first_of("\r\n") == std::string::npos) {
        return next;
    }
    return "/inside";
}

Response loginPage(const Console::Impl& c, const std::string& message, const std::string& next, int status) {
    Response r;
    r.status = status;
    const auto& site = c.d.settings.site;
    r.body =
        head("登录") +
        fmt::format(
            "<body><div class=\"login\"><h1>{}亲情停车券 · 管理</h1>{}"
            "<form method=\"post\" action=\"/login\">"
            "<input type=\"hidden\" name=\"csrf\" value=\"{}\">"
            "<input type=\"hidden\" name=\"next\" value=\"{}\">"
            "<label>用户名<input name=\"username\" autocomplete=\"username\" required "
            "autocapitalize=\"none\"></label>"
            "<label>密码<input name=\"password\" type=\"password\" "
            "autocomplete=\"current-password\" required></label>"
            "<button type=\"submit\">登录</button></form>{}</div></body></html>",
            site.name.empty() ? "" : esc(site.name) + " ",
            message.empty() ? "" : "<p class=\"flash bad\">" + esc(message) + "</p>", esc(c.login_tokens.make()),
            esc(next), site.phone.empty() ? "" : "<p class=\"muted\">忘记密码请联系物业：" + esc(site.phone) + "</p>");
    return r;
}

// multipart/form-data: the text fields, and the first file's bytes and name.
void parseMultipart(const std::string& body, const std::string& content_type, Call& call) {
    const auto b = content_type.find("boundary=");
    if (b == std::string::npos) return;
    std::string boundary = content_type.substr(b + 9);
    if (const auto semi = boundary.find(';'); semi != std::string::npos) boundary.resize(semi);
    if (boundary.size() > 1 && boundary.front() == '"') boundary = boundary.substr(1, boundary.size() - 2);
    const std::string delim = "--" + boundary;
    std::size_t pos = body.find(delim);
    while (pos != std::string::npos) {
        pos += delim.size();
        if (body.compare(pos, 2, "--") == 0) break;
        const auto headers_end = body.find("\r\n\r\n", pos);
        if (headers_end == std::string::npos) break;
        const std::string headers = body.substr(pos, headers_end - pos);
        const auto next = body.find("\r\n" + delim, headers_end + 4);
        if (next == std::string::npos) break;
        std::string content = body.substr(headers_end + 4, next - headers_end - 4);
        auto attr = [&](const std::string& key) -> std::optional<std::string> {
            const auto at = headers.find(key + "=\"");
            if (at == std::string::npos) return std::nullopt;
            const auto end = headers.find('"', at + key.size() + 2);
            return headers.substr(at + key.size() + 2, end - at - key.size() - 2);
        };
        const auto name = attr("name");
        if (const auto filename = attr("filename")) {
            if (call.upload_name.empty()) {
                call.upload_name = *filename;
                call.upload = std::move(content);
            }
        } else if (name) {
            call.form.emplace(*name, std::move(content));
        }
        pos = next + 2;
    }
}

}  // namespace

std::string esc(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (const char ch : text) {
        switch (ch) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += ch;
        }
    }
    return out;
}

std::string Call::field(const std::string& name) const {
    const auto it = form.find(name);
    return it == form.end() ? std::string() : it->second;
}

std::string Call::local(gate::TimePoint t) const { return c.d.zone.formatLocal(t); }

std::string csrfField(const Call& call) {
    return fmt::format("<input type=\"hidden\" name=\"csrf\" value=\"{}\">", esc(call.session.csrf));
}

Response page(const Call& call, std::string_view nav, std::string_view title, const std::string& body, int status) {
    std::string links;
    for (const auto& item : kNav) {
        if (!call.can(item.need)) continue;
        links += fmt::format("<a href=\"{}\"{}>{}</a>", item.href, nav == item.key ? " class=\"on\"" : "", item.title);
    }
    std::string flash;
    if (auto f = call.c.sessions.takeFlash(call.session.id)) {
        flash = fmt::format("<p class=\"flash {}\">{}</p>", f->second ? "ok" : "bad", esc(f->first));
    }
    const auto& site = call.c.d.settings.site;
    Response r;
    r.status = status;
    r.body = head(title) + fmt::format(
                               "<body><header><span class=\"site\">{}亲情停车券</span>{}"
                               "<span class=\"who\">{}（{}）</span><form method=\"post\" action=\"/logout\">{}"
                               "<button type=\"submit\">退出</button></form></header><nav>{}</nav><main>{}<h1>{}</h1>{}"
                               "</main></body></html>",
                               site.name.empty() ? "" : esc(site.name) + " · ",
                               site.phone.empty() ? ""
                                                  : " <span class=\"muted\" style=\"color:#dfe7ef\">物业电话 " +
                                                        esc(site.phone) + "</span>",
                               esc(call.session.account), roleName(call.session.role), csrfField(call), links, flash,
                               esc(title), body);
    return r;
}

Response afterPost(const Call& call, const std::string& to, const std::string& message, bool ok) {
    call.c.sessions.setFlash(call.session.id, message, ok);
    return Response::redirect(to);
}

Response forbidden(const Call& call) {
    return page(call, "", "无权访问", "<p>您的账户没有这一页的权限。如需要，请联系管理员。</p>", 403);
}

Response download(std::string content_type, std::string filename, std::string body) {
    Response r;
    r.content_type = std::move(content_type);
    r.body = std::move(body);
    r.headers.emplace_back("Content-Disposition", fmt::format("attachment; filename=\"{}\"", filename));
    return r;
}

std::optional<gate::YearMonth> monthParam(const Call& call, const std::string& text) {
    if (text.empty()) return call.c.d.zone.monthOf(call.c.d.clock.now());
    return gate::YearMonth::parse(text);
}

Console::Impl::Impl(ConsoleDeps deps)
    : d(std::move(deps)),
      sessions(d.clock, d.settings.web.session_idle),
      limiter(d.clock, d.limits),
      login_tokens(d.clock),
      checker(gate::InputPatterns{d.settings.site.unit_pattern, d.settings.site.phone_pattern}) {}

gate::RuleSettings Console::Impl::rules() const { return options::ruleSettingsFor(d.settings, d.settings.lanes); }

Console::Console(ConsoleDeps deps) : impl_(std::make_unique<Impl>(std::move(deps))) {}
Console::~Console() = default;

Response Console::handle(const Request& request) { return impl_->route(request); }

Response Console::Impl::route(const Request& req) {
    const bool get = req.method == "GET" || req.method == "HEAD";
    const bool post = req.method == "POST";
    if (!get && !post) return Response::text(405, "只接受 GET 和 POST。\n");

    std::optional<Session> session;
    if (const auto it = req.cookies.find(kCookie); it != req.cookies.end()) session = sessions.find(it->second);

    if (req.path == "/" && get) {
        if (session) return Response::redirect("/inside");
        return loginPage(*this, "", safeNext(req.param("next").value_or("/inside")), 200);
    }
    if (req.path == "/login" && post) {
        auto form = parseUrlEncoded(req.body);
        const std::string name = form["username"];
        const std::string next = safeNext(form["next"]);
        if (!login_tokens.check(form["csrf"])) {
            return loginPage(*this, "登录表单已过期，请重新输入。", next, 403);
        }
        if (auto until = limiter.lockedUntil(req.remote, name)) {
            spdlog::warn("LOGIN_LOCKED account={} from={} until={}", name, req.remote, d.zone.formatLocal(*until));
            return loginPage(*this,
                             fmt::format("登录失败次数太多，请在 {} 之后再试。", d.zone.formatLocal(*until, "%H:%M")),
                             next, 429);
        }
        std::optional<gate::Account> account;
        try {
            auto ledger = d.ledgers.borrow();
            if (auto a = ledger->authenticate(name, form["password"])) account = *a;
        } catch (const std::exception& e) {
            spdlog::error("LEDGER_UNAVAILABLE {}", e.what());
            return loginPage(*this, "账本暂时无法打开，请稍后再试或联系管理员。", next, 503);
        }
        if (!account) {
            limiter.failed(req.remote, name);
            spdlog::warn("LOGIN_FAILED account={} from={}", name, req.remote);
            return loginPage(*this, "用户名或密码不正确。", next, 401);
        }
        limiter.succeeded(req.remote, name);
        const auto s = sessions.create(account->name, account->role);
        spdlog::info("LOGIN account={} role={} from={}", account->name, gate::toString(account->role), req.remote);
        auto r = Response::redirect(next);
        r.headers.emplace_back("Set-Cookie", sessionCookie(s.id, false));
        return r;
    }

    if (!session) {
        // Pages send the person to the login; files, forms and anything else answer 401.
        const bool is_page = get && req.path.find('.') == std::string::npos;
        if (is_page) return Response::redirect("/?next=" + req.path, 303);
        return Response::text(401, "请先登录。\n");
    }

    Call call{req, *session, *this, {}, {}, {}};
    if (post) {
        if (req.content_type.starts_with("multipart/form-data")) {
            parseMultipart(req.body, req.content_type, call);
        } else {
            call.form = parseUrlEncoded(req.body);
        }
        if (!sameSecret(call.field("csrf"), session->csrf)) {
            spdlog::warn("CSRF_REJECTED account={} path={} from={}", session->account, req.path, req.remote);
            return page(call, "", "表单已过期", "<p>这个表单已过期或不是从本系统提交的。请回到页面重新操作。</p>", 403);
        }
        if (req.path == "/logout") {
            sessions.end(session->id);
            auto r = Response::redirect("/");
            r.headers.emplace_back("Set-Cookie", sessionCookie("", true));
            return r;
        }
        if (req.path.starts_with("/households/") || req.path.starts_with("/vouchers/")) {
            return call.can(Capability::ManageHouseholds) ? householdPost(call, req.path) : forbidden(call);
        }
        if (req.path.starts_with("/vehicles/")) {
            return call.can(Capability::ManageVehicles) ? vehiclePost(call, req.path) : forbidden(call);
        }
        if (req.path == "/gate") return call.can(Capability::GuardGate) ? gatePost(call) : forbidden(call);
        if (req.path.starts_with("/users/")) {
            return call.can(Capability::ManageAccounts) ? userPost(call, req.path) : forbidden(call);
        }
        return Response::text(404, "没有这个操作。\n");
    }

    struct Route {
        const char* path;
        Capability need;
        Response (*run)(Call&);
    };
    static constexpr std::array kRoutes{
        Route{"/inside", Capability::ViewInside, inside},
        Route{"/decisions", Capability::ViewDecisions, decisions},
        Route{"/report", Capability::ViewReport, report},
        Route{"/report.csv", Capability::ViewReport, reportCsv},
        Route{"/report.xlsx", Capability::ViewReport, reportXlsx},
        Route{"/report/print", Capability::ViewReport, reportPrint},
        Route{"/households", Capability::ManageHouseholds, households},
        Route{"/cards.pdf", Capability::ManageHouseholds, cardsPdf},
        Route{"/vehicles", Capability::ManageVehicles, vehicles},
        Route{"/gate", Capability::GuardGate, gatePage},
        Route{"/audit", Capability::ViewAudit, audit},
        Route{"/users", Capability::ManageAccounts, users},
    };
    for (const auto& r : kRoutes) {
        if (req.path != r.path) continue;
        return call.can(r.need) ? r.run(call) : forbidden(call);
    }
    if (req.path.starts_with("/evidence/")) {
        return call.can(Capability::ViewDecisions) ? evidence(call, req.path.substr(10)) : forbidden(call);
    }
    if (req.path.starts_with("/voucher/") && req.path.ends_with(".png")) {
        return call.can(Capability::ManageHouseholds) ? voucherImage(call, req.path.substr(9, req.path.size() - 9 - 4))
                                                      : forbidden(call);
    }
    return page(call, "", "没有这一页", "<p>地址不对。请从上面的菜单进入。</p>", 404);
}

}  // namespace vg::web
