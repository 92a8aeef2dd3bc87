// The ledger's schema and its opening: the migrations (append-only), the connection's pragmas and the
// migration loop run by the constructor, and schemaVersion(). The operations live beside this file, one topic
// each (ledger_decide.cpp, ledger_households.cpp, ledger_vehicles.cpp, ledger_visits.cpp,
// ledger_committee.cpp; exit_spool.cpp for rule 8's file); what they share is in ledger_internal.h (defined
// in ledger_rows.cpp).
#include "gate/ledger.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gate/ledger_internal.h"
#include "gate/parse_number.h"

namespace vg::gate {

namespace {

constexpr int kSchemaVersion = 3;

// Migrations, applied in order inside one transaction each. Never edit a shipped entry: append a new one.
const std::vector<std::string> kMigrations = {
    R"sql(
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE households(
  id INTEGER PRIMARY KEY,
  unit TEXT NOT NULL,
  category TEXT NOT NULL,
  contact TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  added_at TEXT NOT NULL,
  removed_at TEXT);
CREATE UNIQUE INDEX households_live_unit ON households(unit) WHERE removed_at IS NULL;
CREATE TABLE vouchers(
  serial INTEGER PRIMARY KEY CHECK(serial BETWEEN 1 AND 4294967295),
  household_id INTEGER NOT NULL REFERENCES households(id),
  month INTEGER NOT NULL,
  slot INTEGER NOT NULL,
  key_id INTEGER NOT NULL,
  token TEXT NOT NULL,
  issued_at TEXT NOT NULL,
  revoked_at TEXT,
  revoke_reason TEXT NOT NULL DEFAULT '',
  replaced_by INTEGER REFERENCES vouchers(serial));
CREATE UNIQUE INDEX vouchers_live_slot ON vouchers(household_id, month, slot) WHERE revoked_at IS NULL;
CREATE INDEX vouchers_month ON vouchers(month, household_id);
CREATE TABLE visits(
  id INTEGER PRIMARY KEY,
  serial INTEGER NOT NULL REFERENCES vouchers(serial),
  household_id INTEGER NOT NULL REFERENCES households(id),
  plate TEXT,
  plate_unread INTEGER NOT NULL DEFAULT 0,
  plate_purged INTEGER NOT NULL DEFAULT 0,
  entry_lane TEXT NOT NULL,
  entered_at TEXT NOT NULL,
  deadline TEXT NOT NULL,
  month INTEGER NOT NULL,
  exited_at TEXT,
  exit_lane TEXT NOT NULL DEFAULT '',
  overstay_ms INTEGER,
  fee REAL,
  overstay_flagged_at TEXT,
  voided_at TEXT,
  void_reason TEXT NOT NULL DEFAULT '',
  void_operator TEXT NOT NULL DEFAULT '',
  voucher_restored INTEGER NOT NULL DEFAULT 0);
-- Rule 4: a voucher is consumed by at most one visit (a voided visit gives it back only when restored) ...
CREATE UNIQUE INDEX visits_one_per_voucher ON visits(serial) WHERE voided_at IS NULL OR voucher_restored = 0;
-- ... and a plate is inside on at most one voucher at a time: no stacking.
CREATE UNIQUE INDEX visits_one_inside_per_plate ON visits(plate)
  WHERE exited_at IS NULL AND voided_at IS NULL AND plate IS NOT NULL AND plate <> '';
CREATE INDEX visits_open ON visits(entered_at) WHERE exited_at IS NULL AND voided_at IS NULL;
CREATE INDEX visits_serial ON visits(serial);
CREATE INDEX visits_entered ON visits(entered_at);
CREATE TABLE vehicles(
  plate TEXT PRIMARY KEY,
  kind TEXT NOT NULL CHECK(kind IN ('resident', 'blocked')),
  unit TEXT NOT NULL DEFAULT '',
  until TEXT,
  added_at TEXT NOT NULL);
CREATE TABLE audit_log(
  seq INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  subject_commitment TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL);
-- Clear personal values behind the chain's commitments; the retention purge deletes rows here only.
CREATE TABLE audit_personal(
  seq INTEGER PRIMARY KEY REFERENCES audit_log(seq),
  salt TEXT NOT NULL,
  clear TEXT NOT NULL);
CREATE TABLE spool_applied(event_id TEXT PRIMARY KEY, applied_at TEXT NOT NULL);
)sql",
    // The newest record (rule 12) is the latest time in the log, not the last row's: a refusal written while
    // the clock was behind must not make the clock look right. Also serves the retention purge's range scan.
    R"sql(
CREATE INDEX audit_log_at ON audit_log(at);
)sql",
    // Console accounts (issue 15): never deleted, only disabled, so audit rows naming them stay meaningful.
    R"sql(
CREATE TABLE accounts(
  name TEXT PRIMARY KEY,
  role TEXT NOT NULL CHECK(role IN ('viewer', 'committee', 'management', 'guard', 'admin')),
  password_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  password_changed_at TEXT NOT NULL,
  disabled_at TEXT);
)sql",
};

// SQLite reads a WAL database without write access (to the file and its directory) only through existing -wal and
// -shm files: when they are missing it fails with "attempt to write a readonly database". This says why instead.
std::optional<std::string> walFilesMissing(const std::filesystem::path& path, const SQLite::Exception& e) {
    const int code = e.getErrorCode() & 0xff;
    if (code != SQLITE_READONLY && code != SQLITE_CANTOPEN) return std::nullopt;
    std::error_code ec;
    if (std::filesystem::exists(path.string() + "-wal", ec) && std::filesystem::exists(path.string() + "-shm", ec)) {
        return std::nullopt;
    }
    return fmt::format(
        "cannot read the ledger {} read-only: its {}-wal and -shm files are missing and this user may not create "
        "them ({}). They stay once voucher-gated, or any command that changes the ledger run as root or as its "
        "owner, has opened it",
        path.string(), path.filename().string(), e.what());
}

}  // namespace

LedgerResult<void> checkLedgerInitialised(const std::filesystem::path& path) {
    auto notInitialised = [&](const std::string& what) -> LedgerResult<void> {
        return std::unexpected(LedgerError{
            LedgerError::Kind::NotFound,
            fmt::format("{} {}: check database.path (and that its disk is mounted), or run `voucher-gate init` to "
                        "create the ledger",
                        path.string(), what)});
    };
    std::error_code ec;
    const auto status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) return notInitialised("does not exist: no ledger there");
    if (!std::filesystem::is_regular_file(status)) return notInitialised("is not a file: no ledger there");
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) return notInitialised(fmt::format("cannot be read ({})", ec.message()));
    if (size == 0) return notInitialised("is an empty file (0 bytes), not a ledger");
    try {
        SQLite::Database db(path.string(), SQLite::OPEN_READONLY);
        SQLite::Statement meta(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'");
        meta.executeStep();
        if (meta.getColumn(0).getInt() == 0) {
            return notInitialised("is an SQLite database that `voucher-gate init` never set up (no schema version)");
        }
        SQLite::Statement version(db, "SELECT value FROM meta WHERE key = 'schema_version'");
        if (!version.executeStep() || parseNumber<int>(version.getColumn(0).getString()).value_or(0) < 1) {
            return notInitialised("is an SQLite database that `voucher-gate init` never set up (no schema version)");
        }
    } catch (const SQLite::Exception& e) {
        if (auto missing = walFilesMissing(path, e))
            return std::unexpected(LedgerError{LedgerError::Kind::Internal, *missing});
        return notInitialised(fmt::format("is not a voucher-gate ledger ({})", e.what()));
    }
    return {};
}

Ledger::Ledger(LedgerOptions options, AuditKey audit_key, KeyRing keys, SiteZone zone)
    : options_(std::move(options)), audit_key_(audit_key), keys_(std::move(keys)), zone_(std::move(zone)) {
    const auto& path = options_.path;
    std::error_code ec;
    const bool existed = std::filesystem::exists(path, ec);
    try {
        impl_ = std::make_unique<Impl>(path, options_.read_only);
        auto& db = impl_->db;
        db.setBusyTimeout(static_cast<int>(options_.busy_timeout.count()));
        if (options_.read_only) {
            openReadOnly();
            return;
        }
        if (!existed) {
            // Plates and phone numbers: the service group may read the ledger (read-only commands), nobody else.
            // The -wal and -shm files SQLite makes take this mode.
            std::filesystem::permissions(path, std::filesystem::perms(0640), ec);
        }
        db.exec("PRAGMA journal_mode=WAL");
        db.exec("PRAGMA synchronous=FULL");
        // Keep the -wal and -shm files when the last connection closes: a reader that may not write the
        // directory (LedgerOptions::read_only) cannot create them and SQLite needs them to read a WAL database.
        int persist = 1;
        sqlite3_file_control(db.getHandle(), "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
        // SQLite's automatic checkpoint runs inside the commit that crosses the threshold, i.e. on a car at
        // the barrier (~0.5 s on a 10-year ledger). sweepOverstays() checkpoints instead; the automatic one
        // is only a safety net for a process that never sweeps.
        db.exec("PRAGMA wal_autocheckpoint=10000");
        db.exec("PRAGMA foreign_keys=ON");
        db.exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
        const int current = schemaVersion();
        if (current > kSchemaVersion) throw std::runtime_error(newerSchema(current));
        for (int v = current; v < kSchemaVersion; ++v) {
            SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
            if (schemaVersion() > v) continue;  // another process migrated meanwhile
            db.exec(kMigrations[static_cast<std::size_t>(v)]);
            SQLite::Statement s(db, "INSERT OR REPLACE INTO meta(key, value) VALUES('schema_version', ?)");
            s.bind(1, std::to_string(v + 1));
            s.exec();
            tx.commit();
        }
    } catch (const SQLite::Exception& e) {
        throw std::runtime_error(fmt::format("cannot open the ledger {}: {}", path.string(), e.what()));
    }
}

std::string Ledger::newerSchema(int current) const {
    return fmt::format(
        "the ledger {} has schema version {}, newer than this program understands ({}): install the "
        "newer voucher-gate",
        options_.path.string(), current, kSchemaVersion);
}

void Ledger::openReadOnly() {
    auto& db = impl_->db;
    const auto& path = options_.path;
    db.exec("PRAGMA query_only=ON");
    int current = 0;
    try {
        current = schemaVersion();
    } catch (const SQLite::Exception& e) {
        if (auto missing = walFilesMissing(path, e)) throw std::runtime_error(*missing);
        throw;
    }
    if (current > kSchemaVersion) throw std::runtime_error(newerSchema(current));
    if (current < kSchemaVersion) {
        throw std::runtime_error(fmt::format(
            "the ledger {} has schema version {}, older than this program's ({}), and is opened read-only: run "
            "`voucher-gate init` as root or as the service user to migrate it",
            path.string(), current, kSchemaVersion));
    }
}

void Ledger::setActor(std::string by) { impl_->actor = std::move(by); }

LedgerResult<void> Ledger::writable(std::string_view what) const {
    if (!options_.read_only) return {};
    return std::unexpected(LedgerError{
        LedgerError::Kind::Internal,
        fmt::format("{} changes the ledger, which this process opened read-only ({}): run it as root or as the "
                    "ledger's owner",
                    what, options_.path.string())});
}

Ledger::~Ledger() = default;

int Ledger::schemaVersion() const {
    SQLite::Statement q(impl_->db, "SELECT value FROM meta WHERE key = 'schema_version'");
    if (!q.executeStep()) return 0;
    const std::string text = q.getColumn(0).getString();
    const auto version = parseNumber<int>(text);
    if (!version) throw std::runtime_error("ledger: schema_version in table meta is not a number: '" + text + "'");
    return *version;
}

}  // namespace vg::gate
