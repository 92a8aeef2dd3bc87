// The ledger: households, vouchers, visits, vehicles and the audit chain in one SQLite file (WAL,
// synchronous=FULL). Every change is one IMMEDIATE transaction that also appends its audit row, so a decision
// is durable before the caller pulses a relay (rule 10). Single use is enforced by the schema itself (unique
// live visit per voucher, one live voucher visit per plate), so two processes racing cannot break rule 4.
//
// Threading: a Ledger owns one connection; use it from one thread at a time (the daemon gives
// each lane a Ledger of its own and keeps one for its main thread).
// Several processes may open the same file. Errors: the constructor opens the file (creating or migrating the
// schema, or read-only: see LedgerOptions::read_only) and throws std::runtime_error if it cannot, and schemaVersion()
// throws SQLite::Exception (a std::runtime_error) if the file cannot be read; both let std::invalid_argument through
// for a schema_version that is not a number. Every other call returns an error value (LedgerError), or a fail-closed
// Decision for decide() and confirm(), or a failed AuditVerdict for verifyAudit().
#pragma once

#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gate/audit_chain.h"
#include "gate/decision.h"
#include "gate/key_ring.h"
#include "gate/rules.h"
#include "gate/site_time.h"

namespace SQLite {
class Database;
}

namespace vg::gate {

struct LedgerOptions {
    std::filesystem::path path;
    Duration busy_timeout{2000};
    std::filesystem::path spool_path;  // exit decisions awaiting the ledger (rule 8); empty = none
    int retention_days = 365;
    // Opened with SQLITE_OPEN_READONLY, for people who may read the ledger but not write it (the service group):
    // never creates or migrates (a schema older than this program is an error naming `voucher-gate init`),
    // never replays the spool and writes nothing; every call that would change the ledger returns a LedgerError
    // (decide() and confirm() a fail-closed Decision), dry runs excepted. Reading a WAL ledger without write
    // access to its directory needs its -wal and -shm files to exist and be readable: writable connections keep
    // them (SQLITE_FCNTL_PERSIST_WAL) with the ledger file's mode, which a new ledger gets as 0640.
    bool read_only = false;
};

struct LedgerError {
    enum class Kind { NotFound, Refused, Invalid, Busy, Internal };
    // The refusals a clerk meets most, so that they can be said in other words (reports::errorWords), with `args`
    // the values the message names, in this order. Other: the message is all there is.
    enum class About {
        Other,
        NoHousehold,           // unit
        HouseholdExists,       // unit
        CategoryNotEligible,   // category, the eligible ones ("a, b")
        HouseholdNotEligible,  // unit, category
        MonthEnded,            // month (YYYY-MM)
        QuotaFull,             // unit, vouchers it has, per month, month
        NoVoucher,             // serial
        VoucherUsed,           // serial, visit
        VoucherRevoked,        // serial
        VoucherReplaced,       // serial, the new serial
        VoucherMonthEnded,     // serial, month
        NoActiveKey,           //
        NoVisit,               // visit
        VisitVoid,             // visit
        NoVehicle,             // plate
        VehicleRegistered,     // plate, then kind, unit, until of the registration and of the refused one
    };
    Kind kind = Kind::Internal;
    std::string message;  // names the problem and, where there is one, the fix
    About about = About::Other;
    std::vector<std::string> args;
};
template <class T>
using LedgerResult = std::expected<T, LedgerError>;

// Whether `path` holds a ledger made by `voucher-gate init`: a file that exists, is not empty, is an SQLite
// database and has a schema version. Everything but `init` checks this before opening a ledger, so that a
// mistyped path or an unmounted disk is an error and never a new, empty ledger that has forgotten every used
// voucher. The error (Kind::NotFound) names the path and `voucher-gate init`; Kind::Internal when a user who may
// not write the directory cannot read the file because its -wal and -shm are missing. Opens the file read-only and
// creates or changes nothing; never throws.
LedgerResult<void> checkLedgerInitialised(const std::filesystem::path& path);

struct Household {
    std::int64_t id = 0;
    std::string unit;
    std::string category;
    std::string contact;
    std::string phone;
    TimePoint added{};
    std::optional<TimePoint> removed;
    bool operator==(const Household&) const = default;
};

enum class VoucherStatus { Issued, Used, Revoked };
std::string_view toString(VoucherStatus s);

struct Voucher {
    std::uint32_t serial = 0;
    std::string unit;
    YearMonth month;
    int slot = 0;
    std::uint8_t key_id = 0;
    std::string token;
    VoucherStatus status = VoucherStatus::Issued;
    TimePoint issued_at{};
    std::optional<TimePoint> revoked_at;
    std::string revoke_reason;
    std::optional<std::uint32_t> replaced_by;
    std::optional<std::int64_t> visit;  // the visit that consumed it
    bool operator==(const Voucher&) const = default;
};

struct Visit {
    std::int64_t id = 0;
    std::uint32_t serial = 0;
    std::string unit;
    std::string plate;  // "" when unread (or purged: see plate_purged)
    bool plate_unread = false;
    bool plate_purged = false;
    std::string entry_lane;
    TimePoint entered_at{};
    TimePoint deadline{};
    std::optional<TimePoint> exited_at;
    std::string exit_lane;
    std::optional<Duration> overstay;
    std::optional<double> fee;
    std::optional<TimePoint> voided_at;  // a voided visit stays on record (listed, marked void)
    std::string void_reason;
    std::string void_operator;      // who voided it
    bool voucher_restored = false;  // its voucher was given back when it was voided
    bool operator==(const Visit&) const = default;
};

enum class VehicleKind { Resident, Blocked };
std::string_view toString(VehicleKind k);

struct Vehicle {
    std::string plate;
    VehicleKind kind = VehicleKind::Resident;
    std::string unit;
    std::optional<std::string> until;  // "YYYY-MM-DD", last day valid (site time)
    bool operator==(const Vehicle&) const = default;
};

// What addVehicle()/importVehicles() did to one plate: the registration now stored and, when the plate was
// already registered differently, the registration it replaced.
struct VehicleChange {
    Vehicle stored;
    std::optional<Vehicle> replaced;
    bool unchanged = false;  // the same registration was already there: nothing written
    bool operator==(const VehicleChange&) const = default;
};

// Voided visits are listed too (marked by voided_at), except by inside_only and overstayed_only: a voided visit
// is no car inside and no overstay.
struct VisitFilter {
    bool inside_only = false;
    bool overstayed_only = false;    // past deadline + grace, still inside or gone
    std::optional<YearMonth> month;  // entered during that month (site time)
};

struct HouseholdReport {
    std::string unit;
    std::string category;
    // issued counts each slot once: a replaced card is counted in `replaced`, its replacement in issued.
    int issued = 0, used = 0, unused = 0, revoked = 0, replaced = 0, visits = 0, overstays = 0;
    Duration total_stay{0}, longest_stay{0};
    double fees = 0;
};
struct SharedPlate {
    std::string plate;
    std::vector<std::string> units;
};
struct MonthReport {
    YearMonth month;
    std::vector<HouseholdReport> households;
    std::vector<SharedPlate> shared_plates;  // plates that used several households' vouchers
    int cars_inside_now = 0;
    AuditHead audit_head;
};

// Which decisions decisions() returns: every one matching all the given fields, newest first (by audit row),
// at most `limit` (1..10000), and only rows before `before_seq` when given (the next page). The plate is compared
// normalised (沪a12345 finds 沪A12345); since/until bound the decision's own time (since inclusive, until
// exclusive).
struct DecisionFilter {
    std::optional<std::string> plate, unit, lane;
    std::optional<Reason> reason;
    std::optional<TimePoint> since, until;
    int limit = 200;
    std::optional<std::int64_t> before_seq;
};

// One decision as its audit row records it (kind DECISION; the guard's MANUAL_OPEN and MANUAL_HOLD_OPEN are
// ADMIT_MANUAL with no direction). plate, operator_name, message and first_used_* live in the row's personal part:
// "" after the retention purge (and message "" for rows written before it was recorded, except a manual reason;
// first_used_* only in rows written since they were recorded). The rest is the row's payload, kept for good.
struct DecisionRecord {
    std::int64_t seq = 0;
    TimePoint at{};
    std::string lane;
    std::string direction;  // "entry", "exit", or "" (a manual opening)
    Reason reason{};
    bool admit = false;
    std::string plate;
    bool plate_unread = false;
    std::string unit;
    std::optional<std::uint32_t> serial;
    std::optional<std::int64_t> visit;
    std::optional<TimePoint> deadline;
    std::optional<Duration> overstay;
    std::optional<double> fee;
    bool spooled = false;
    std::optional<TimePoint> first_used_at;  // DENY_VOUCHER_USED: the first use
    std::string first_used_plate;
    std::string operator_name;
    std::string manual_reason;  // the guard's reason for a manual decision or opening
    std::string message;
    bool operator==(const DecisionRecord&) const = default;
};

struct Manual {
    std::string operator_name;
    std::string reason;
};

// Console accounts (PRODUCT.md "user"): what each role may do is the console's business; the ledger keeps the
// account, its Argon2id password hash and whether it is disabled. Accounts are never deleted, only disabled, so
// the audit rows that name them keep meaning something.
enum class Role { Viewer, Committee, Management, Guard, Admin };
std::string_view toString(Role r);
std::optional<Role> parseRole(std::string_view text);

struct Account {
    std::string name;
    Role role = Role::Viewer;
    TimePoint created_at{};
    TimePoint password_changed_at{};
    std::optional<TimePoint> disabled_at;
    bool operator==(const Account&) const = default;
};

// One row of the audit chain as stored: its kind (DECISION, VOUCHER_ISSUE, MANUAL_OPEN, ACCOUNT_ADD, ...), the
// payload JSON that the chain covers, and the clear personal values behind its commitment ("" once purged).
struct AuditEntry {
    std::int64_t seq = 0;
    TimePoint at{};
    std::string kind;
    std::string payload;   // a JSON object
    std::string personal;  // a JSON object, or "" when purged or there was none
    bool operator==(const AuditEntry&) const = default;
};
struct AuditEntryFilter {
    bool without_decisions = false;      // leave DECISION rows out (the manual actions and admin changes)
    std::optional<std::int64_t> before;  // rows with seq < before (paging, newest first)
    int limit = 100;
};

class Ledger {
  public:
    // Opens (creating or migrating the schema) with the given keys and zone; throws std::runtime_error.
    Ledger(LedgerOptions options, AuditKey audit_key, KeyRing keys, SiteZone zone);
    ~Ledger();
    Ledger(const Ledger&) = delete;
    Ledger& operator=(const Ledger&) = delete;

    int schemaVersion() const;
    bool readOnly() const { return options_.read_only; }
    // Who makes the changes this Ledger writes from now on (the Unix user from the CLI, the account from the
    // console): every audit row for a change carries it as "by". Empty (the default, the daemon's lanes): none.
    void setActor(std::string by);
    void setKeys(KeyRing keys) { keys_ = std::move(keys); }
    const KeyRing& keys() const { return keys_; }
    const SiteZone& zone() const { return zone_; }

    // The whole pass: gather the facts, apply the pure rules, commit decision + audit row in one transaction.
    // Never throws: entry errors give DENY_INTERNAL, exit errors RELEASE_ON_ERROR / HOLD_ON_ERROR (spooled).
    // `manual` (operator + reason) is required for a back-dated observation and for guard confirmations.
    Decision decide(const Observation& obs, const RuleSettings& settings, TimePoint now, bool dry_run = false,
                    const std::optional<Manual>& manual = std::nullopt);

    // The guard's answer for a held car (HOLD_PLATE_UNREAD or HOLD_OVERSTAY): admit (consuming the voucher,
    // recording the plate if given) or refuse. `held` is the observation that was held.
    Decision confirm(const Observation& held, const RuleSettings& settings, TimePoint now, const Manual& manual,
                     bool refuse, const std::optional<std::string>& plate = std::nullopt);

    // Guard's manual barrier actions and other events worth auditing (reload, fault, relay pulse failed...).
    LedgerResult<std::int64_t> recordEvent(std::string_view kind, const std::string& payload_json, TimePoint now,
                                           const std::string& personal_json = "");

    // Households and vouchers (rules 1-3).
    LedgerResult<Household> addHousehold(const std::string& unit, const std::string& category,
                                         const std::string& contact, const std::string& phone,
                                         const std::vector<std::string>& eligible, TimePoint now);
    LedgerResult<std::vector<Household>> households(bool include_removed = false);
    LedgerResult<void> removeHousehold(const std::string& unit, TimePoint now);
    LedgerResult<std::vector<Voucher>> issue(const std::string& unit, YearMonth month, int count, int per_month,
                                             const std::vector<std::string>& eligible, TimePoint now);
    LedgerResult<std::vector<Voucher>> vouchers(const std::optional<std::string>& unit,
                                                const std::optional<YearMonth>& month);
    LedgerResult<Voucher> voucher(std::uint32_t serial);
    LedgerResult<Voucher> revoke(std::uint32_t serial, const std::string& reason, TimePoint now);
    LedgerResult<Voucher> replace(std::uint32_t serial, TimePoint now);  // returns the new voucher

    // Vehicles (rule 7). The plate's identity is its normalised text (沪a12345 is 沪A12345). A registration that
    // would change an existing one's kind, unit or validity is refused (Refused, naming the existing one) unless
    // `replace` is given. importVehicles() is all or nothing: one bad or conflicting row and nothing is stored.
    LedgerResult<VehicleChange> addVehicle(const Vehicle& v, TimePoint now, bool replace = false);
    LedgerResult<std::vector<VehicleChange>> importVehicles(const std::vector<Vehicle>& rows, TimePoint now,
                                                            bool replace = false);
    LedgerResult<void> removeVehicle(const std::string& plate, TimePoint now);
    LedgerResult<std::vector<Vehicle>> vehicles();

    // Visits (rules 4a, 5).
    LedgerResult<Visit> voidVisit(std::int64_t id, const Manual& manual, bool restore_voucher, TimePoint now);
    LedgerResult<std::vector<Visit>> visits(const VisitFilter& filter, const RuleSettings& settings, TimePoint now);
    // Marks cars still inside past deadline + grace; returns the visits that became overstays just now
    // (each is reported once: OVERSTAY_STARTED).
    LedgerResult<std::vector<Visit>> sweepOverstays(const RuleSettings& settings, TimePoint now);

    // Committee (rule 9, 11).
    LedgerResult<MonthReport> report(YearMonth month, const RuleSettings& settings, TimePoint now);
    AuditVerdict verifyAudit(const std::optional<AuditHead>& head);
    // Audit rows newest first (the console's 审计 page).
    LedgerResult<std::vector<AuditEntry>> auditEntries(const AuditEntryFilter& filter);
    // The decisions matching `filter`, newest first (ledger_decisions.cpp); Invalid for a limit out of range.
    LedgerResult<std::vector<DecisionRecord>> decisions(const DecisionFilter& filter);
    LedgerResult<AuditHead> auditHead();
    LedgerResult<int> purge(TimePoint now);  // plate data older than retention_days; returns rows purged
    LedgerResult<void> backup(const std::filesystem::path& dest_db, TimePoint now);
    // Replays spooled exit decisions (rule 8) when the ledger is writable; returns how many were applied.
    LedgerResult<int> replaySpool(const RuleSettings& settings, TimePoint now);

    // Console accounts. `by` is who made the change (the Unix user from the CLI, the account from the console),
    // recorded in the audit row. Names are 1-32 characters of a-z, 0-9, '.', '_', '-', starting with a letter
    // or digit; passwords as gate/password.h says. Adding an existing name, even a disabled one, is refused.
    LedgerResult<Account> addAccount(const std::string& name, Role role, const std::string& password,
                                     const std::string& by, TimePoint now);
    LedgerResult<void> setPassword(const std::string& name, const std::string& password, const std::string& by,
                                   TimePoint now);
    LedgerResult<void> disableAccount(const std::string& name, const std::string& by, TimePoint now);
    LedgerResult<std::vector<Account>> accounts();
    // The account when the name exists, is not disabled and the password matches; otherwise a Refused error
    // that does not say which of the three failed (the console logs and rate-limits failures).
    LedgerResult<Account> authenticate(const std::string& name, const std::string& password);

  private:
    Decision decideOnce(const Observation& obs, const RuleSettings& settings, TimePoint now, bool dry_run,
                        const std::optional<Manual>& manual, const std::optional<std::string>& spool_event_id,
                        std::optional<Reason> refusal);
    bool spool(const Observation& obs, TimePoint now);
    LedgerResult<Vehicle> checkVehicle(const Vehicle& v) const;
    LedgerResult<VehicleChange> storeVehicle(const Vehicle& v, TimePoint now, bool replace);
    void openReadOnly();  // the constructor's checks for read_only: nothing is created, migrated or written
    std::string newerSchema(int current) const;
    // An error naming `what` when the ledger was opened read-only; nothing otherwise.
    LedgerResult<void> writable(std::string_view what) const;

    struct Impl;
    std::unique_ptr<Impl> impl_;
    LedgerOptions options_;
    AuditKey audit_key_;
    KeyRing keys_;
    SiteZone zone_;
};

}  // namespace vg::gate
