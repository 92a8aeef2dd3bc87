// 账户 (admin only): the console's accounts — add, change a password, disable (accounts are never deleted, so the
// audit rows that name them keep meaning something). Ending an account's sessions is immediate.
#include "web/console_internal.h"

namespace vg::web {

namespace {

constexpr std::array<std::pair<gate::Role, const char*>, 5> kRoles{{{gate::Role::Viewer, "查看"},
                                                                    {gate::Role::Committee, "居委会"},
                                                                    {gate::Role::Management, "物业"},
                                                                    {gate::Role::Guard, "门岗"},
                                                                    {gate::Role::Admin, "管理员"}}};

}  // namespace

Response users(Call& call) {
    auto ledger = call.c.d.ledgers.borrow();
    auto list = ledger->accounts();
    if (!list) return page(call, "users", "账户", "<p class=\"flash bad\">" + esc(list.error().message) + "</p>");
    const std::string csrf = csrfField(call);
    std::string rows;
    for (const auto& a : *list) {
        std::string role;
        for (const auto& [r, words] : kRoles) {
            if (r == a.role) role = words;
        }
        rows += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>", esc(a.name), role,
                            call.local(a.created_at), a.disabled_at ? "已停用 " + call.local(*a.disabled_at) : "在用");
        if (!a.disabled_at) {
            rows += fmt::format(
                "<form class=\"inline\" method=\"post\" action=\"/users/passwd\">{0}<input type=\"hidden\" "
                "name=\"name\" value=\"{1}\"><input type=\"password\" name=\"password\" placeholder=\"新密码\" "
                "autocomplete=\"new-password\" required minlength=\"8\"><button type=\"submit\">改密码</button></form> "
                "<form class=\"inline\" method=\"post\" action=\"/users/disable\">{0}<input type=\"hidden\" "
                "name=\"name\" value=\"{1}\"><button class=\"warn\" type=\"submit\">停用</button></form>",
                csrf, esc(a.name));
        }
        rows += "</td></tr>";
    }
    std::string roles;
    for (const auto& [r, words] : kRoles) {
        roles += fmt::format("<option value=\"{}\">{}</option>", gate::toString(r), words);
    }
    std::string body = fmt::format(
        "<form class=\"box\" method=\"post\" action=\"/users/add\">{}"
        "<label>用户名（小写字母和数字）<input name=\"name\" required pattern=\"[a-z0-9][a-z0-9._-]{{0,31}}\" "
        "autocapitalize=\"none\"></label><label>角色<select name=\"role\">{}</select></label>"
        "<label>初始密码（至少 8 位）<input type=\"password\" name=\"password\" required minlength=\"8\" "
        "autocomplete=\"new-password\"></label><button type=\"submit\">添加账户</button></form>",
        csrf, roles);
    body += "<div class=\"wrap\"><table><tr><th>用户名</th><th>角色</th><th>创建</th><th>状态</th><th></th></tr>" +
            rows + "</table></div>";
    return page(call, "users", "账户", body);
}

Response userPost(Call& call, std::string_view action) {
    auto ledger = call.c.d.ledgers.borrow();
    const auto now = call.c.d.clock.now();
    const std::string name = call.field("name");
    const std::string& by = call.session.account;
    if (action == "/users/add") {
        const auto role = gate::parseRole(call.field("role"));
        if (!role) return afterPost(call, "/users", "没有这个角色。", false);
        auto a = ledger->addAccount(name, *role, call.field("password"), by, now);
        if (!a) return afterPost(call, "/users", a.error().message, false);
        return afterPost(call, "/users", fmt::format("已添加账户 {}。", a->name), true);
    }
    if (action == "/users/passwd") {
        auto r = ledger->setPassword(name, call.field("password"), by, now);
        if (!r) return afterPost(call, "/users", r.error().message, false);
        if (name != by) call.c.sessions.endAll(name);
        return afterPost(call, "/users", fmt::format("{} 的密码已更改。", name), true);
    }
    if (action == "/users/disable") {
        if (name == by) return afterPost(call, "/users", "不能停用自己正在使用的账户。", false);
        auto r = ledger->disableAccount(name, by, now);
        if (!r) return afterPost(call, "/users", r.error().message, false);
        call.c.sessions.endAll(name);
        return afterPost(call, "/users", fmt::format("账户 {} 已停用，它的登录已结束。", name), true);
    }
    return Response::text(404, "没有这个操作。\n");
}

}  // namespace vg::web
