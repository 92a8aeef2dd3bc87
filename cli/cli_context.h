// What every CLI command shares: the loaded settings, the site zone, the clock (--now), the output mode
// (--json), the language of text output (--lang), opening the ledger and keys, and giving created files to the service
// user. One per invocation, single-threaded. Errors are CliError values carrying their exit status.
#pragma once

#include <expected>
#include <filesystem>
#include <iosfwd>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "config/settings.h"
#include "gate/key_ring.h"
#include "gate/ledger.h"
#include "gate/rules.h"
#include "gate/site_time.h"
#include "reports/words.h"

namespace vg::cli {

// Exit statuses (PRODUCT.md).
inline constexpr int kExitOk = 0;
inline constexpr int kExitInternal = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitRefused = 3;

struct CliError {
    int status = kExitInternal;
    std::string message;  // English: stderr under --lang en, and the JSON "error"
    std::string zh;       // the same in Chinese for stderr under --lang zh, where there are such words ("": message)
};

template <class T>
using CliResult = std::expected<T, CliError>;

struct GlobalOptions {
    std::string config_path = "/etc/voucher-gate/voucher-gate.toml";
    bool config_given = false;
    std::string db_path;  // overrides database.path when set
    bool json = false;
    std::string now;          // --now
    std::string lang = "zh";  // --lang: text and spreadsheets in Chinese (zh) or English (en); JSON never changes
};

// How a command opens the ledger: ReadOnly for commands that only read it (a member of the service group may run
// them: gate::LedgerOptions::read_only), ReadWrite for changes, Create for `init` (makes missing keys and the
// database, migrates).
enum class Access { ReadOnly, ReadWrite, Create };

int exitStatusFor(const gate::LedgerError& e);
CliError toCliError(const gate::LedgerError& e);

class CliContext {
  public:
    CliContext(GlobalOptions options, std::ostream& out, std::ostream& err);

    // Loads the config (a missing default file means built-in defaults; an explicit --config must exist),
    // resolves --now. Must succeed before anything else is used.
    CliResult<void> load();

    const config::Settings& settings() const { return settings_; }
    const gate::SiteZone& zone() const { return *zone_; }
    gate::TimePoint now() const { return now_; }
    bool json() const { return options_.json; }
    reports::Lang lang() const { return reports::parseLang(options_.lang).value_or(reports::Lang::Zh); }
    bool zh() const { return lang() == reports::Lang::Zh; }
    // The text for a person in the run's language: `zh` under --lang zh, else `en`.
    std::string say(std::string zh_text, std::string en_text) const { return zh() ? zh_text : en_text; }
    std::ostream& out() { return out_; }
    std::ostream& err() { return err_; }

    // Rule settings for a lane (its effective [lanes] values when configured, else the [lanes] defaults).
    CliResult<gate::RuleSettings> ruleSettings(const std::optional<std::string>& lane,
                                               std::optional<config::Direction> direction) const;

    std::filesystem::path dbPath() const;
    // Opens the ledger with its keys, once per run (the first call's access wins). A writable ledger records
    // actor() as the author of every change.
    CliResult<gate::Ledger*> ledger(Access access = Access::ReadWrite);
    CliResult<gate::KeyRing> loadKeys() const;
    CliResult<void> saveKeys(const gate::KeyRing& keys);

    // Prints a JSON object (one line) in --json mode, else the text.
    void emit(const nlohmann::json& object, const std::string& text);
    // Gives the files this run may have created to the service user and group when running as root.
    void handOverFiles();
    // Who runs this command, for the audit rows of the changes it makes: the Unix user's login name (by the
    // effective uid; "uid N" when it has none).
    std::string unixUser() const;
    // The author of this run's changes for the audit rows: unixUser(), and under sudo (effective uid 0 and
    // SUDO_USER set) the user who ran sudo as well, e.g. "root (sudo: alice)".
    std::string actor() const;
    std::string local(gate::TimePoint t) const { return zone_->formatLocal(t); }
    std::string localIso(gate::TimePoint t) const { return zone_->isoLocal(t); }

  private:
    GlobalOptions options_;
    std::ostream& out_;
    std::ostream& err_;
    config::Settings settings_;
    std::optional<gate::SiteZone> zone_;
    gate::TimePoint now_{};
    std::unique_ptr<gate::Ledger> ledger_;
};

}  // namespace vg::cli
