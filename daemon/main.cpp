// voucher-gated: parses the command line, loads the config, runs the App. Exit codes: 0 clean stop or a valid
// config (--check-config); 1 start-up failure, or a stop that could not release every output; 2 bad command line or
// invalid config; 78 no ledger made by `voucher-gate init` (or no keys) where the config says: the unit does not
// restart on it (RestartPreventExitStatus=).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "config/config_loader.h"
#include "daemon/app.h"

namespace {

constexpr std::string_view kUsage =
    "usage: voucher-gated --config FILE [--check-config]\n"
    "  --config FILE    the voucher-gate TOML file (default /etc/voucher-gate/voucher-gate.toml)\n"
    "  --check-config   validate the file (syntax, keys, ranges, lanes, drivers) without opening devices or\n"
    "                   the database, then exit: 0 valid, 2 invalid\n"
    "environment: VOUCHER_GATE_MODEL_DIR=DIR  the plate models (plate_reader.*, plate_detector.*) in DIR\n";

}  // namespace

int main(int argc, char** argv) {
    std::string config_path = "/etc/voucher-gate/voucher-gate.toml";
    bool check_only = false;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if (arg == "--config" && i + 1 < argc) {
            config_path = argv[++i];
        } else if (arg.starts_with("--config=")) {
            config_path = std::string(arg.substr(9));
        } else if (arg == "--check-config") {
            check_only = true;
        } else if (arg == "--help" || arg == "-h") {
            std::fputs(kUsage.data(), stdout);
            return 0;
        } else {
            std::fprintf(stderr, "voucher-gated: unknown argument \"%s\"\n%s", argv[i], kUsage.data());
            return 2;
        }
    }
    auto settings = vg::config::load(config_path);
    if (!settings) {
        std::fprintf(stderr, "voucher-gated: %s\n", settings.error().str().c_str());
        return 2;
    }
    if (auto problem = vg::daemon::checkDaemonSettings(*settings); !problem.empty()) {
        std::fprintf(stderr, "voucher-gated: %s: %s\n", config_path.c_str(), problem.c_str());
        return 2;
    }
    if (check_only) {
        std::printf("%s: valid (%zu lanes)\n", config_path.c_str(), settings->lane.size());
        return 0;
    }
    try {
        // The composition root: the real clocks and systemd's notifier.
        vg::gate::SystemClock clock;
        vg::vision::SystemFrameClock frame_clock;
        vg::daemon::SystemdNotifier notifier;
        // VOUCHER_GATE_MODEL_DIR: the plate models somewhere else than where the build or installation put them.
        const char* model_dir = std::getenv("VOUCHER_GATE_MODEL_DIR");
        vg::daemon::App app(config_path, std::move(*settings),
                            {clock, frame_clock, notifier, model_dir != nullptr ? model_dir : ""});
        const int rc = app.run();
        if (app.abandonedLanes()) {
            // A lane's thread is still inside a driver call: end here, without destructors that would pull its
            // objects from under it. A decision is committed before its pulse, so one still waiting for the ledger
            // rolls back unacted; the log says which output to check.
            spdlog::default_logger()->flush();
            std::fflush(nullptr);
            std::_Exit(rc);
        }
        return rc;
    } catch (const vg::daemon::NotInitialisedError& e) {
        std::fprintf(stderr, "voucher-gated: cannot start: %s\n", e.what());
        return vg::daemon::kExitNotInitialised;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "voucher-gated: cannot start: %s\n", e.what());
        return 1;
    }
}
