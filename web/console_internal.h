// What the console's page files share (web/console.cpp and web/pages_*.cpp); nothing else includes it.
#pragma once

#include <fmt/format.h>

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "gate/input_check.h"
#include "gate/ledger.h"
#include "gate/rules.h"
#include "web/console.h"
#include "web/roles.h"

namespace vg::web {

struct Console::Impl {
    explicit Impl(ConsoleDeps deps);
    ConsoleDeps d;
    SessionStore sessions;
    LoginLimiter limiter;
    LoginTokens login_tokens;
    gate::InputChecker checker;

    gate::RuleSettings rules() const;
    Response route(const Request& req);
};

// One request of a logged-in person: the request, the session, the form fields of a POST (url-encoded or
// multipart) and an uploaded file's bytes.
struct Call {
    const Request& req;
    const Session& session;
    Console::Impl& c;
    std::map<std::string, std::string> form;
    std::string upload;
    std::string upload_name;

    std::string field(const std::string& name) const;  // a form field, "" when missing
    std::string local(gate::TimePoint t) const;        // "2026-11-20 18:30" in the site's zone
    bool can(Capability cap) const { return allowed(session.role, cap); }
};

// HTML text and attribute escaping.
std::string esc(std::string_view text);
// The whole page: head, the navigation for the person's role, the message a form left, the body.
Response page(const Call& call, std::string_view nav, std::string_view title, const std::string& body,
              int status = 200);
// A hidden CSRF field for a form of this session.
std::string csrfField(const Call& call);
// After a form: remember the message for the next page and go back to `to`.
Response afterPost(const Call& call, const std::string& to, const std::string& message, bool ok);
Response forbidden(const Call& call);
// A downloaded file.
Response download(std::string content_type, std::string filename, std::string body);
// The current month in the site's zone, or the month=YYYY-MM parameter.
std::optional<gate::YearMonth> monthParam(const Call& call, const std::string& text);

// The pages (pages_*.cpp).
Response inside(Call& call);
Response decisions(Call& call);
Response evidence(Call& call, const std::string& file);
Response report(Call& call);
Response reportCsv(Call& call);
Response reportXlsx(Call& call);
Response reportPrint(Call& call);
Response households(Call& call);
Response householdPost(Call& call, std::string_view action);
Response cardsPdf(Call& call);
Response voucherImage(Call& call, const std::string& serial);
Response vehicles(Call& call);
Response vehiclePost(Call& call, std::string_view action);
Response gatePage(Call& call);
// One lane of the daemon's `status` answer as the guard reads it on 道闸 (a box of lines in words, the raw record
// folded away under 技术细节).
std::string laneBox(const nlohmann::json& lane);
Response gatePost(Call& call);
Response audit(Call& call);
Response users(Call& call);
Response userPost(Call& call, std::string_view action);

}  // namespace vg::web
