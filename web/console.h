// The console (voucher-gate-web): the pages of 在场车辆, 通行记录, 月度报表, 住户与停车券, 车辆, 道闸, 审计 and 账户,
// logins and roles, as one request -> response function that the HTTP server calls on its worker threads.
// It never touches a camera or a relay: the guard's commands go to the daemon's control socket under the CLI's
// rules. Thread-safe: shared state is the session store, the login limiter and the ledger pool, each locked.
//
// Roles (what each may see and do) are in roles.h; the routes and their roles are listed in docs/console.md.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "config/settings.h"
#include "gate/site_time.h"
#include "web/http.h"
#include "web/ledger_pool.h"
#include "web/sessions.h"

namespace vg::web {

struct ConsoleDeps {
    config::Settings settings;
    gate::SiteZone zone;
    const gate::Clock& clock;
    LedgerPool& ledgers;
    LimiterSettings limits{};
};

class Console {
  public:
    explicit Console(ConsoleDeps deps);
    ~Console();
    Console(const Console&) = delete;
    Console& operator=(const Console&) = delete;

    Response handle(const Request& request);

    struct Impl;  // web/console_internal.h: shared by the page files only

  private:
    std::unique_ptr<Impl> impl_;
};

}  // namespace vg::web
