// voucher-gate-web: the console. Parses the command line, loads the config, checks the ledger is there, serves the
// pages until SIGTERM. Exit codes: 0 clean stop; 1 start-up failure (address in use, ...); 2 bad command line or
// invalid config; 78 no ledger made by `voucher-gate init` (or no keys) where the config says (the unit does not
// restart on it).
#include <sodium.h>
#include <spdlog/spdlog.h>
#include <systemd/sd-daemon.h>

#include <boost/asio/signal_set.hpp>
#include <cstdio>
#include <string>
#include <string_view>

#include "config/config_loader.h"
#include "gate/audit_chain.h"
#include "gate/key_ring.h"
#include "gate/ledger.h"
#include "web/console.h"
#include "web/http.h"

namespace {

constexpr std::string_view kUsage =
    "usage: voucher-gate-web --config FILE\n"
    "  --config FILE    the voucher-gate TOML file (default /etc/voucher-gate/voucher-gate.toml); the console\n"
    "                   listens on web.listen and uses database.*, vouchers.key_file, audit.key_file, site.*,\n"
    "                   stay.*, vouchers.* and control.socket\n";

constexpr int kExitNoLedger = 78;

std::unique_ptr<vg::gate::Ledger> openLedger(const vg::config::Settings& s, const vg::gate::SiteZone& zone) {
    if (auto there = vg::gate::checkLedgerInitialised(s.database.path); !there) {
        throw std::runtime_error(there.error().message);
    }
    auto keys = vg::gate::KeyRing::load(s.vouchers.key_file);
    if (!keys) throw std::runtime_error(keys.error() + " (vouchers.key_file; `voucher-gate init` makes it)");
    auto audit_key = vg::gate::AuditKey::load(s.audit.key_file);
    if (!audit_key) throw std::runtime_error(audit_key.error() + " (audit.key_file; `voucher-gate init` makes it)");
    vg::gate::LedgerOptions options{.path = s.database.path,
                                    .busy_timeout = s.database.busy_timeout,
                                    .spool_path = {},  // exit decisions are the daemon's: the console never spools
                                    .retention_days = s.database.retention_days};
    return std::make_unique<vg::gate::Ledger>(options, *audit_key, std::move(*keys), zone);
}

}  // namespace

int main(int argc, char** argv) {
    std::string config_path = "/etc/voucher-gate/voucher-gate.toml";
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--config" && i + 1 < argc) {
            config_path = argv[++i];
        } else if (arg.starts_with("--config=")) {
            config_path = std::string(arg.substr(9));
        } else if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage.data(), stdout);
            return 0;
        } else {
            std::fprintf(stderr, "voucher-gate-web: unknown argument \"%s\"\n%s", argv[i], kUsage.data());
            return 2;
        }
    }
    auto settings = vg::config::load(config_path);
    if (!settings) {
        std::fprintf(stderr, "voucher-gate-web: %s\n", settings.error().str().c_str());
        return 2;
    }
    auto zone = vg::gate::SiteZone::make(settings->site.timezone);
    if (!zone) {
        std::fprintf(stderr, "voucher-gate-web: site.timezone: %s\n", zone.error().c_str());
        return 2;
    }
    if (sodium_init() < 0) {
        std::fprintf(stderr, "voucher-gate-web: libsodium cannot start\n");
        return 1;
    }
    spdlog::set_pattern("%l %v");  // the journal adds the time
    const vg::config::Settings s = *settings;
    try {
        (void)openLedger(s, *zone);  // at start-up: a missing ledger is an error now, not on the first page
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return kExitNoLedger;
    }
    try {
        vg::gate::SystemClock clock;
        vg::web::LedgerPool ledgers([&s, &zone] { return openLedger(s, *zone); });
        vg::web::Console console(
            vg::web::ConsoleDeps{.settings = s, .zone = *zone, .clock = clock, .ledgers = ledgers});
        boost::asio::io_context io;
        boost::asio::thread_pool workers(2);
        vg::web::HttpServer server(io, workers, s.web.listen,
                                   [&console](const vg::web::Request& r) { return console.handle(r); });
        boost::asio::signal_set signals(io, SIGTERM, SIGINT);
        signals.async_wait([&](const boost::system::error_code&, int) {
            spdlog::info("STOPPING");
            server.close();
            io.stop();
        });
        spdlog::info("READY listening on {} (web.listen), ledger {}", s.web.listen, s.database.path.string());
        sd_notify(0, "READY=1");
        io.run();
        workers.join();
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return 1;
    }
    return 0;
}
