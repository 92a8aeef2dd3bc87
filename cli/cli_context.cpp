#include "cli/cli_context.h"

#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "config/config_loader.h"
#include "gate/audit_chain.h"
#include "gate/input_check.h"
#include "options/rule_settings.h"

namespace vg::cli {

namespace {
// The account the daemon runs as (systemd/voucher-gate.sysusers.conf).
constexpr const char* kServiceUser = "voucher-gate";
}  // namespace

int exitStatusFor(const gate::LedgerError& e) {
    switch (e.kind) {
        case gate::LedgerError::Kind::Refused:
            return kExitRefused;
        case gate::LedgerError::Kind::NotFound:
        case gate::LedgerError::Kind::Invalid:
            return kExitUsage;
        case gate::LedgerError::Kind::Busy:
        case gate::LedgerError::Kind::Internal:
            return kExitInternal;
    }
    return kExitInternal;
}

CliError toCliError(const gate::LedgerError& e) {
    const bool worded = e.about != gate::LedgerError::About::Other;
    return {exitStatusFor(e), e.message, worded ? reports::errorWords(e, reports::Lang::Zh) : std::string{}};
}

CliContext::CliContext(GlobalOptions options, std::ostream& out, std::ostream& err)
    : options_(std::move(options)), out_(out), err_(err) {}

CliResult<void> CliContext::load() {
    std::error_code ec;
    if (!options_.config_given && !std::filesystem::exists(options_.config_path, ec)) {
        settings_ = config::defaults();
    } else {
        auto loaded = config::load(options_.config_path);
        if (!loaded) return std::unexpected(CliError{kExitUsage, loaded.error().str()});
        settings_ = std::move(*loaded);
    }
    if (!options_.db_path.empty()) settings_.database.path = options_.db_path;
    auto zone = gate::SiteZone::make(settings_.site.timezone);
    if (!zone) return std::unexpected(CliError{kExitUsage, fmt::format("site.timezone: {}", zone.error())});
    zone_ = *zone;
    if (options_.now.empty()) {
        now_ = gate::SystemClock().now();
    } else {
        auto t = zone_->parse(options_.now);
        if (!t) return std::unexpected(CliError{kExitUsage, fmt::format("--now: {}", t.error())});
        now_ = *t;
    }
    return {};
}

CliResult<gate::RuleSettings> CliContext::ruleSettings(const std::optional<std::string>& lane,
                                                       std::optional<config::Direction> direction) const {
    if (lane) {
        for (const auto& l : settings_.lane) {
            if (l.name != *lane) continue;
            if (direction && l.direction != *direction) {
                return std::unexpected(CliError{kExitUsage, fmt::format("lane {} is an {} lane in the config", *lane,
                                                                        config::toString(l.direction))});
            }
            return options::ruleSettingsFor(settings_, l);
        }
        if (!settings_.lane.empty()) {
            std::string names;
            for (const auto& l : settings_.lane) names += (names.empty() ? "" : ", ") + l.name;
            return std::unexpected(
                CliError{kExitUsage, fmt::format("no lane '{}' in the config (lanes: {})", *lane, names)});
        }
    }
    return options::ruleSettingsFor(settings_, settings_.lanes);
}

std::filesystem::path CliContext::dbPath() const { return settings_.database.path; }

CliResult<gate::KeyRing> CliContext::loadKeys() const {
    const auto& path = settings_.vouchers.key_file;
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        return std::unexpected(CliError{kExitInternal, fmt::format("no token key file at {}: run `voucher-gate init` "
                                                                   "first (vouchers.key_file)",
                                                                   path.string())});
    }
    auto keys = gate::KeyRing::load(path);
    if (!keys) return std::unexpected(CliError{kExitInternal, keys.error()});
    return *keys;
}

CliResult<void> CliContext::saveKeys(const gate::KeyRing& keys) {
    auto saved = keys.save(settings_.vouchers.key_file);
    if (!saved) return std::unexpected(CliError{kExitInternal, saved.error()});
    handOverFiles();
    return {};
}

CliResult<gate::Ledger*> CliContext::ledger(Access access) {
    if (ledger_) return ledger_.get();
    const bool create = access == Access::Create;
    const auto db = dbPath();
    std::error_code ec;
    const auto parent = db.has_parent_path() ? db.parent_path() : std::filesystem::path(".");
    if (create) {
        std::filesystem::create_directories(parent, ec);
        if (ec) {
            return std::unexpected(
                CliError{kExitInternal, fmt::format("cannot create {}: {}", parent.string(), ec.message())});
        }
        for (const auto* key_path : {&settings_.vouchers.key_file, &settings_.audit.key_file}) {
            if (key_path->has_parent_path()) std::filesystem::create_directories(key_path->parent_path(), ec);
        }
        if (!std::filesystem::exists(settings_.vouchers.key_file)) {
            gate::KeyRing ring;
            if (auto id = ring.addKey(now_); !id) return std::unexpected(CliError{kExitInternal, id.error()});
            if (auto s = saveKeys(ring); !s) return std::unexpected(s.error());
        }
        if (!std::filesystem::exists(settings_.audit.key_file)) {
            if (auto s = gate::AuditKey::generate().save(settings_.audit.key_file); !s) {
                return std::unexpected(CliError{kExitInternal, s.error()});
            }
        }
    } else if (auto there = gate::checkLedgerInitialised(db); !there) {
        // The daemon refuses the same files with the same words (gate::checkLedgerInitialised).
        return std::unexpected(CliError{kExitInternal, there.error().message + " (or pass --db)"});
    } else if (access == Access::ReadWrite && ::access(db.c_str(), W_OK) != 0) {
        return std::unexpected(CliError{
            kExitInternal, fmt::format("{} cannot be written by {}: this command changes the ledger, run it as root "
                                       "(sudo) or as {}; commands that only read it (report, visits, audit verify, "
                                       "the lists) work for members of the group {}",
                                       db.string(), unixUser(), kServiceUser, kServiceUser)});
    }
    auto keys = loadKeys();
    if (!keys) return std::unexpected(keys.error());
    if (!std::filesystem::exists(settings_.audit.key_file)) {
        return std::unexpected(CliError{kExitInternal, fmt::format("no audit key at {}: run `voucher-gate init` "
                                                                   "(audit.key_file)",
                                                                   settings_.audit.key_file.string())});
    }
    auto audit_key = gate::AuditKey::load(settings_.audit.key_file);
    if (!audit_key) return std::unexpected(CliError{kExitInternal, audit_key.error()});
    try {
        gate::LedgerOptions options{.path = db,
                                    .busy_timeout = settings_.database.busy_timeout,
                                    .spool_path = settings_.database.spool_path,
                                    .retention_days = settings_.database.retention_days,
                                    .read_only = access == Access::ReadOnly};
        ledger_ = std::make_unique<gate::Ledger>(options, *audit_key, std::move(*keys), *zone_);
        ledger_->setActor(actor());
    } catch (const std::exception& e) {
        return std::unexpected(CliError{kExitInternal, e.what()});
    }
    handOverFiles();
    return ledger_.get();
}

void CliContext::emit(const nlohmann::json& object, const std::string& text) {
    if (options_.json) {
        out_ << object.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
    } else {
        out_ << text << '\n';
    }
}

std::string CliContext::unixUser() const {
    const uid_t uid = ::geteuid();
    if (const passwd* pw = ::getpwuid(uid); pw != nullptr && pw->pw_name != nullptr) return pw->pw_name;
    return "uid " + std::to_string(uid);
}

std::string CliContext::actor() const {
    std::string user = unixUser();
    // SUDO_USER is whatever the caller's environment says: believed only when sudo really made us root.
    if (::geteuid() == 0) {
        if (const char* sudo_user = std::getenv("SUDO_USER");
            sudo_user != nullptr && *sudo_user != '\0' && !gate::invalidUtf8At(sudo_user) && sudo_user != user) {
            user += fmt::format(" (sudo: {})", sudo_user);
        }
    }
    return user;
}

void CliContext::handOverFiles() {
    if (::geteuid() != 0) return;
    const passwd* pw = ::getpwnam(kServiceUser);
    if (!pw) return;  // not installed as a service here (a development machine): leave the files as they are
    const auto db = dbPath().string();
    for (const std::string& path : {db, db + "-wal", db + "-shm", settings_.vouchers.key_file.string(),
                                    settings_.audit.key_file.string(), settings_.database.spool_path.string()}) {
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0 || st.st_uid != 0) continue;
        if (::chown(path.c_str(), pw->pw_uid, pw->pw_gid) != 0) {
            err_ << fmt::format("warning: cannot give {} to user {}: the daemon may not be able to write it\n", path,
                                kServiceUser);
        }
    }
}

}  // namespace vg::cli
