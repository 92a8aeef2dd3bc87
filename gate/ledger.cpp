#include "gate/ledger.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <stdexcept>

namespace vg::gate {

namespace {

using json = nlohmann::json;
constexpr int kSchemaVersion = 2;

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
};

std::optional<TimePoint> optTime(const SQLite::Column& c) {
    if (c.isNull()) return std::nullopt;
    auto t = parseIsoUtc(c.getString());
    if (!t) return std::nullopt;
    return *t;
}

TimePoint reqTime(const SQLite::Column& c) {
    auto t = parseIsoUtc(c.getString());
    if (!t)
        throw std::runtime_error(
            fmt::format("corrupt time value '{}' in column {}", c.getString(), c.getName()));
    return *t;
}

LedgerError refused(std::string message) { return {LedgerError::Kind::Refused, std::move(message)}; }
LedgerError notFound(std::string message) { return {LedgerError::Kind::NotFound, std::move(message)}; }

LedgerError fromException(const std::exception& e) {
    if (const auto* se = dynamic_cast<const SQLite::Exception*>(&e)) {
        const int code = se->getErrorCode();
        if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
            return {LedgerError::Kind::Busy,
                    fmt::format("the ledger is locked by another process ({}); try again, or raise "
                                "database.busy_timeout",
                                e.what())};
        }
        if (code == SQLITE_FULL) {
            return {LedgerError::Kind::Internal,
                    fmt::format("the disk holding the ledger is full ({}): free space, nothing was written",
                                e.what())};
        }
        if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_PERM) {
            return {LedgerError::Kind::Internal,
                    fmt::format("the ledger cannot be written ({}): check the file's owner and permissions",
                                e.what())};
        }
    }
    return {LedgerError::Kind::Internal, fmt::format("ledger error: {}", e.what())};
}

template <class F>
auto guarded(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const std::exception& e) {
        return std::unexpected(fromException(e));
    }
}

std::string localDate(const SiteZone& zone, TimePoint t) { return zone.formatLocal(t, "%Y-%m-%d"); }

bool fsyncFile(int fd) { return ::fsync(fd) == 0; }

}  // namespace

std::string_view toString(VoucherStatus s) {
    switch (s) {
        case VoucherStatus::Issued:
            return "issued";
        case VoucherStatus::Used:
            return "used";
        case VoucherStatus::Revoked:
            return "revoked";
    }
    return "?";
}

std::string_view toString(VehicleKind k) { return k == VehicleKind::Resident ? "resident" : "blocked"; }

struct Ledger::Impl {
    SQLite::Database db;
    explicit Impl(const std::filesystem::path& path)
        : db(path.string(), SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_FULLMUTEX) {}

    // Appends one audit row in the caller's transaction; returns its seq.
    std::int64_t appendAudit(const AuditKey& key, std::string_view kind, const json& payload, TimePoint now,
                             const json& personal) {
        AuditRow row;
        std::string prev = kAuditGenesisHash;
        std::int64_t seq = 1;
        {
            SQLite::Statement last(db, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
            if (last.executeStep()) {
                seq = last.getColumn(0).getInt64() + 1;
                prev = last.getColumn(1).getString();
            }
        }
        row.seq = seq;
        row.at = isoUtc(now);
        row.kind = std::string(kind);
        row.payload = payload.dump(-1, ' ', false, json::error_handler_t::replace);
        std::string salt;
        std::string clear;
        if (!personal.is_null() && !personal.empty()) {
            salt = randomSaltHex();
            clear = personal.dump(-1, ' ', false, json::error_handler_t::replace);
            row.subject_commitment = commitPersonal(salt, clear);
        }
        row.prev_hash = prev;
        row.hash = auditRowHash(key, row);
        SQLite::Statement ins(
            db,
            "INSERT INTO audit_log(seq, at, kind, payload, subject_commitment, prev_hash, hash) "
            "VALUES(?,?,?,?,?,?,?)");
        ins.bind(1, row.seq);
        ins.bind(2, row.at);
        ins.bind(3, row.kind);
        ins.bind(4, row.payload);
        ins.bind(5, row.subject_commitment);
        ins.bind(6, row.prev_hash);
        ins.bind(7, row.hash);
        ins.exec();
        if (!salt.empty()) {
            SQLite::Statement p(db, "INSERT INTO audit_personal(seq, salt, clear) VALUES(?,?,?)");
            p.bind(1, row.seq);
            p.bind(2, salt);
            p.bind(3, clear);
            p.exec();
        }
        return seq;
    }

    std::optional<TimePoint> newestRecord() {
        SQLite::Statement q(db, "SELECT MAX(at) FROM audit_log");
        if (!q.executeStep()) return std::nullopt;
        return optTime(q.getColumn(0));
    }

    std::vector<OpenVisitFacts> inside() {
        std::vector<OpenVisitFacts> out;
        SQLite::Statement q(
            db,
            "SELECT v.id, v.serial, h.unit, COALESCE(v.plate, ''), v.plate_unread, v.entered_at, "
            "v.deadline FROM visits v JOIN households h ON h.id = v.household_id "
            "WHERE v.exited_at IS NULL AND v.voided_at IS NULL ORDER BY v.entered_at");
        while (q.executeStep()) {
            out.push_back(OpenVisitFacts{.id = q.getColumn(0).getInt64(),
                                         .serial = static_cast<std::uint32_t>(q.getColumn(1).getInt64()),
                                         .unit = q.getColumn(2).getString(),
                                         .plate = q.getColumn(3).getString(),
                                         .plate_unread = q.getColumn(4).getInt() != 0,
                                         .entered_at = reqTime(q.getColumn(5)),
                                         .deadline = reqTime(q.getColumn(6))});
        }
        return out;
    }

    std::optional<VoucherFacts> voucherFacts(std::uint32_t serial) {
        SQLite::Statement q(db,
                            "SELECT v.serial, h.unit, h.category, v.month, v.revoked_at IS NOT NULL, "
                            "v.replaced_by IS NOT NULL, h.removed_at IS NOT NULL FROM vouchers v "
                            "JOIN households h ON h.id = v.household_id WHERE v.serial = ?");
        q.bind(1, static_cast<std::int64_t>(serial));
        if (!q.executeStep()) return std::nullopt;
        VoucherFacts f;
        f.serial = serial;
        f.unit = q.getColumn(1).getString();
        f.category = q.getColumn(2).getString();
        f.month = YearMonth::fromIndex(q.getColumn(3).getInt());
        f.revoked = q.getColumn(4).getInt() != 0;
        f.replaced = q.getColumn(5).getInt() != 0;
        f.household_removed = q.getColumn(6).getInt() != 0;
        SQLite::Statement v(db,
                            "SELECT id, COALESCE(plate, ''), plate_unread, entered_at, deadline, exited_at "
                            "FROM visits WHERE serial = ? AND (voided_at IS NULL OR voucher_restored = 0) "
                            "ORDER BY id DESC LIMIT 1");
        v.bind(1, static_cast<std::int64_t>(serial));
        if (v.executeStep()) {
            f.visit_id = v.getColumn(0).getInt64();
            f.visit_plate = v.getColumn(1).getString();
            f.visit_plate_unread = v.getColumn(2).getInt() != 0;
            f.visit_entered_at = reqTime(v.getColumn(3));
            f.visit_deadline = reqTime(v.getColumn(4));
            f.visit_exited_at = optTime(v.getColumn(5));
            if (!f.visit_exited_at) {
                // A voided (not restored) visit still consumed the voucher but the car is not inside.
                SQLite::Statement voided(db, "SELECT voided_at IS NOT NULL FROM visits WHERE id = ?");
                voided.bind(1, *f.visit_id);
                if (voided.executeStep() && voided.getColumn(0).getInt() != 0)
                    f.visit_exited_at = f.visit_entered_at;
            }
        }
        return f;
    }

    std::optional<bool> plateResident(const std::string& plate, const SiteZone& zone, TimePoint t) {
        SQLite::Statement q(db, "SELECT kind, until FROM vehicles WHERE plate = ?");
        q.bind(1, plate);
        if (!q.executeStep()) return std::nullopt;
        const std::string kind = q.getColumn(0).getString();
        if (!q.getColumn(1).isNull() && q.getColumn(1).getString() < localDate(zone, t)) return std::nullopt;
        return kind == "resident";
    }

    Visit visitRow(SQLite::Statement& q) {
        Visit v;
        v.id = q.getColumn(0).getInt64();
        v.serial = static_cast<std::uint32_t>(q.getColumn(1).getInt64());
        v.unit = q.getColumn(2).getString();
        v.plate = q.getColumn(3).isNull() ? "" : q.getColumn(3).getString();
        v.plate_unread = q.getColumn(4).getInt() != 0;
        v.plate_purged = q.getColumn(5).getInt() != 0;
        v.entry_lane = q.getColumn(6).getString();
        v.entered_at = reqTime(q.getColumn(7));
        v.deadline = reqTime(q.getColumn(8));
        v.exited_at = optTime(q.getColumn(9));
        v.exit_lane = q.getColumn(10).getString();
        if (!q.getColumn(11).isNull()) v.overstay = Duration(q.getColumn(11).getInt64());
        if (!q.getColumn(12).isNull()) v.fee = q.getColumn(12).getDouble();
        v.voided_at = optTime(q.getColumn(13));
        v.void_reason = q.getColumn(14).getString();
        return v;
    }
};

namespace {
constexpr const char* kVisitColumns =
    "v.id, v.serial, h.unit, v.plate, v.plate_unread, v.plate_purged, v.entry_lane, v.entered_at, "
    "v.deadline, "
    "v.exited_at, v.exit_lane, v.overstay_ms, v.fee, v.voided_at, v.void_reason";
constexpr const char* kVoucherSelect =
    "SELECT v.serial, h.unit, v.month, v.slot, v.key_id, v.token, v.issued_at, v.revoked_at, "
    "v.revoke_reason, "
    "v.replaced_by, (SELECT id FROM visits x WHERE x.serial = v.serial AND (x.voided_at IS NULL OR "
    "x.voucher_restored = 0) ORDER BY id DESC LIMIT 1) FROM vouchers v JOIN households h ON h.id = "
    "v.household_id ";

Voucher voucherRow(SQLite::Statement& q) {
    Voucher v;
    v.serial = static_cast<std::uint32_t>(q.getColumn(0).getInt64());
    v.unit = q.getColumn(1).getString();
    v.month = YearMonth::fromIndex(q.getColumn(2).getInt());
    v.slot = q.getColumn(3).getInt();
    v.key_id = static_cast<std::uint8_t>(q.getColumn(4).getInt());
    v.token = q.getColumn(5).getString();
    v.issued_at = reqTime(q.getColumn(6));
    v.revoked_at = optTime(q.getColumn(7));
    v.revoke_reason = q.getColumn(8).getString();
    if (!q.getColumn(9).isNull()) v.replaced_by = static_cast<std::uint32_t>(q.getColumn(9).getInt64());
    if (!q.getColumn(10).isNull()) v.visit = q.getColumn(10).getInt64();
    v.status = v.visit ? VoucherStatus::Used : v.revoked_at ? VoucherStatus::Revoked : VoucherStatus::Issued;
    return v;
}

json decisionPayload(const Decision& d) {
    json p{{"reason", toString(d.reason)},       {"admit", d.admit},   {"lane", d.lane},
           {"direction", toString(d.direction)}, {"at", isoUtc(d.at)}, {"plate_unread", d.plate_unread}};
    if (d.visit) p["visit"] = *d.visit;
    if (d.serial) p["serial"] = *d.serial;
    if (!d.unit.empty()) p["unit"] = d.unit;
    if (d.deadline) p["deadline"] = isoUtc(*d.deadline);
    if (d.overstay) p["overstay_ms"] = d.overstay->count();
    if (d.fee) p["fee"] = *d.fee;
    if (d.spooled) p["spooled"] = true;
    return p;
}
}  // namespace

Ledger::Ledger(LedgerOptions options, AuditKey audit_key, KeyRing keys, SiteZone zone)
    : options_(std::move(options)), audit_key_(audit_key), keys_(std::move(keys)), zone_(std::move(zone)) {
    try {
        impl_ = std::make_unique<Impl>(options_.path);
        auto& db = impl_->db;
        db.setBusyTimeout(static_cast<int>(options_.busy_timeout.count()));
        db.exec("PRAGMA journal_mode=WAL");
        db.exec("PRAGMA synchronous=FULL");
        // SQLite's automatic checkpoint runs inside the commit that crosses the threshold, i.e. on a car at
        // the barrier (~0.5 s on a 10-year ledger). sweepOverstays() checkpoints instead; the automatic one
        // is only a safety net for a process that never sweeps.
        db.exec("PRAGMA wal_autocheckpoint=10000");
        db.exec("PRAGMA foreign_keys=ON");
        db.exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
        const int current = schemaVersion();
        if (current > kSchemaVersion) {
            throw std::runtime_error(
                fmt::format("the ledger {} has schema version {}, newer than this program "
                            "understands ({}): install the newer voucher-gate",
                            options_.path.string(), current, kSchemaVersion));
        }
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
        throw std::runtime_error(
            fmt::format("cannot open the ledger {}: {}", options_.path.string(), e.what()));
    }
}

Ledger::~Ledger() = default;

int Ledger::schemaVersion() const {
    SQLite::Statement q(impl_->db, "SELECT value FROM meta WHERE key = 'schema_version'");
    if (!q.executeStep()) return 0;
    return std::stoi(q.getColumn(0).getString());
}

Decision Ledger::decide(const Observation& obs, const RuleSettings& settings, TimePoint now, bool dry_run,
                        const std::optional<Manual>& manual) {
    std::error_code ec;
    const auto spooled =
        options_.spool_path.empty() ? 0 : std::filesystem::file_size(options_.spool_path, ec);
    int replayed = 0;
    if (!dry_run && !ec && spooled > 0) {
        // A failure leaves the spool as it was, for the next decision or the daemon's sweep to replay.
        replayed = replaySpool(settings, now).value_or(0);
    }
    auto d = decideOnce(obs, settings, now, dry_run, manual, std::nullopt, std::nullopt);
    d.spool_replayed = replayed;
    return d;
}

Decision Ledger::decideOnce(const Observation& obs, const RuleSettings& settings, TimePoint now, bool dry_run,
                            const std::optional<Manual>& manual,
                            const std::optional<std::string>& spool_event_id, std::optional<Reason> refusal) {
    auto& db = impl_->db;
    std::string failure;
    // Two attempts: if a racing process consumed the voucher between our read and our write, the unique
    // indexes refuse our insert and the second attempt sees the first use.
    for (int attempt = 0; attempt < 2; ++attempt) {
        try {
            SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
            if (spool_event_id) {
                SQLite::Statement seen(db, "SELECT 1 FROM spool_applied WHERE event_id = ?");
                seen.bind(1, *spool_event_id);
                if (seen.executeStep())
                    return Decision{.reason = Reason::ReleaseOnError, .message = "already replayed"};
            }
            LedgerFacts facts;
            facts.newest_record = impl_->newestRecord();
            const TimePoint t = obs.at.value_or(now);
            const bool read = plateRead(obs, settings);
            const std::string plate = read ? normalizePlate(obs.plate->text) : std::string{};
            if (read) facts.plate_resident = impl_->plateResident(plate, zone_, t);
            if (obs.token) {
                auto payload = decodeToken(*obs.token, keys_);
                if (!payload) {
                    facts.token_error = payload.error();
                } else {
                    facts.token = *payload;
                    facts.voucher = impl_->voucherFacts(payload->serial);
                    facts.token_unknown_serial = !facts.voucher.has_value();
                }
            }
            facts.inside = impl_->inside();
            Ruling ruling = gate::decide(obs, facts, settings, zone_, now);
            Decision& d = ruling.decision;
            if (refusal) {
                d.reason = *refusal;
                d.admit = false;
                d.message = fmt::format("refused by the guard {}: {}", manual ? manual->operator_name : "",
                                        manual ? manual->reason : "");
                ruling.effect = {};
            }
            if (dry_run) return d;  // the transaction rolls back: nothing written

            const auto entry_month = zone_.monthOf(d.at).index();
            switch (ruling.effect.kind) {
                case EffectKind::StartVisit: {
                    SQLite::Statement hh(db, "SELECT household_id FROM vouchers WHERE serial = ?");
                    hh.bind(1, static_cast<std::int64_t>(*d.serial));
                    if (!hh.executeStep()) throw std::runtime_error("voucher vanished during the decision");
                    SQLite::Statement ins(
                        db,
                        "INSERT INTO visits(serial, household_id, plate, plate_unread, entry_lane, "
                        "entered_at, deadline, month) VALUES(?,?,?,?,?,?,?,?)");
                    ins.bind(1, static_cast<std::int64_t>(*d.serial));
                    ins.bind(2, hh.getColumn(0).getInt64());
                    if (ruling.effect.plate.empty()) {
                        ins.bind(3);
                    } else {
                        ins.bind(3, ruling.effect.plate);
                    }
                    ins.bind(4, ruling.effect.plate_unread ? 1 : 0);
                    ins.bind(5, d.lane);
                    ins.bind(6, isoUtc(d.at));
                    ins.bind(7, isoUtc(ruling.effect.deadline));
                    ins.bind(8, entry_month);
                    ins.exec();
                    d.visit = db.getLastInsertRowid();
                    break;
                }
                case EffectKind::CloseVisit: {
                    SQLite::Statement up(
                        db,
                        "UPDATE visits SET exited_at = ?, exit_lane = ?, overstay_ms = ?, fee = ?, "
                        "plate = CASE WHEN ? <> '' THEN ? ELSE plate END "
                        "WHERE id = ? AND exited_at IS NULL AND voided_at IS NULL");
                    up.bind(1, isoUtc(d.at));
                    up.bind(2, d.lane);
                    if (ruling.effect.overstay) {
                        up.bind(3, static_cast<std::int64_t>(ruling.effect.overstay->count()));
                    } else {
                        up.bind(3);
                    }
                    if (ruling.effect.fee) {
                        up.bind(4, *ruling.effect.fee);
                    } else {
                        up.bind(4);
                    }
                    up.bind(5, ruling.effect.plate);
                    up.bind(6, ruling.effect.plate);
                    up.bind(7, *ruling.effect.visit);
                    if (up.exec() != 1) throw std::runtime_error("the visit to close is no longer open");
                    break;
                }
                case EffectKind::None:
                case EffectKind::RecordPlate:
                    break;
            }
            json payload = decisionPayload(d);
            json personal = json::object();
            if (!d.plate.empty()) personal["plate"] = d.plate;
            if (obs.plate && !obs.plate->text.empty()) {
                personal["plate_seen"] = obs.plate->text;
                payload["plate_confidence"] = obs.plate->confidence;
            }
            if (manual) {
                personal["operator"] = manual->operator_name;
                payload["manual_reason"] = manual->reason;
                payload["manual"] = true;
            }
            if (obs.at) payload["recorded_at"] = isoUtc(now);
            if (spool_event_id) {
                payload["spool_event"] = *spool_event_id;
                SQLite::Statement sa(db, "INSERT INTO spool_applied(event_id, applied_at) VALUES(?, ?)");
                sa.bind(1, *spool_event_id);
                sa.bind(2, isoUtc(now));
                sa.exec();
            }
            d.audit_seq = impl_->appendAudit(audit_key_, "DECISION", payload, now, personal);
            tx.commit();
            return d;
        } catch (const SQLite::Exception& e) {
            failure = fromException(e).message;
            if (e.getErrorCode() == SQLITE_CONSTRAINT && attempt == 0) continue;
            break;
        } catch (const std::exception& e) {
            failure = fromException(e).message;
            break;
        }
    }
    // Fail closed at entry; at an exit, open (or hold) and spool so that nothing is lost (rule 8).
    Decision d;
    d.lane = obs.lane;
    d.direction = obs.direction;
    d.at = obs.at.value_or(now);
    d.plate_unread = !plateRead(obs, settings);
    if (!d.plate_unread) d.plate = normalizePlate(obs.plate->text);
    if (obs.direction == Direction::Entry || spool_event_id) {
        d.reason = Reason::DenyInternal;
        d.message = fmt::format("entry refused, the ledger failed: {}", failure);
        if (spool_event_id) d.reason = Reason::ReleaseOnError;
    } else {
        d.reason = settings.exit_on_error == OnError::Open ? Reason::ReleaseOnError : Reason::HoldOnError;
        if (dry_run) {
            d.message =
                fmt::format("the ledger failed ({}); a real exit would be spooled for replay", failure);
        } else {
            d.spooled = spool(obs, now);
            d.message = d.spooled
                            ? fmt::format("the ledger failed ({}); exit decision spooled for replay", failure)
                            : fmt::format(
                                  "the ledger failed ({}) and the exit spool {} could not be written "
                                  "either: this exit is recorded nowhere but in the log",
                                  failure, options_.spool_path.string());
        }
    }
    d.admit = opensBarrier(d.reason);
    return d;
}

bool Ledger::spool(const Observation& obs, TimePoint now) {
    if (options_.spool_path.empty()) return false;
    json line{{"event_id", randomSaltHex()},
              {"lane", obs.lane},
              {"direction", toString(obs.direction)},
              {"at", isoUtc(obs.at.value_or(now))},
              {"presence", obs.presence == Presence::Present  ? "present"
                           : obs.presence == Presence::Absent ? "absent"
                                                              : "unknown"}};
    if (obs.plate) line["plate"] = {{"text", obs.plate->text}, {"confidence", obs.plate->confidence}};
    if (obs.token) line["token"] = *obs.token;
    const std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    const int fd = ::open(options_.spool_path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return false;
    // The lock a replay holds until it has emptied the file: appending meanwhile would be lost.
    const bool ok = ::flock(fd, LOCK_EX) == 0 &&
                    ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) &&
                    fsyncFile(fd);
    ::close(fd);
    return ok;
}

LedgerResult<int> Ledger::replaySpool(const RuleSettings& settings, TimePoint now) {
    if (options_.spool_path.empty()) return 0;
    const int fd = ::open(options_.spool_path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 0;
        return std::unexpected(LedgerError{LedgerError::Kind::Internal,
                                           fmt::format("cannot open the exit spool {}: {}",
                                                       options_.spool_path.string(), std::strerror(errno))});
    }
    // Another process (the CLI, a second lane worker) may spool while we replay. Holding the file lock from
    // the read to the truncation makes it wait and then append to the emptied file; removing the file instead
    // would lose a line appended between our read and the removal.
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};
    if (::flock(fd, LOCK_EX) != 0) {
        return std::unexpected(LedgerError{LedgerError::Kind::Internal,
                                           fmt::format("cannot lock the exit spool {}: {}",
                                                       options_.spool_path.string(), std::strerror(errno))});
    }
    std::string text;
    char buf[8192];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
    // The spooled car has already left through the open barrier: holding it for the guard would leave its
    // visit open for ever, so a replayed overstay is always released (and recorded).
    RuleSettings replay_settings = settings;
    replay_settings.overstay_exit = OnError::Open;
    std::istringstream in(text);
    std::string line;
    int applied = 0;
    bool all_ok = true;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        Observation obs;
        std::string event_id;
        // A torn last line, or one of the wrong shape: skipped (json's typed getters throw, and decide() must
        // not).
        try {
            const json j = json::parse(line);
            event_id = j.at("event_id").get<std::string>();
            const auto at = parseIsoUtc(j.at("at").get<std::string>());
            if (!at || event_id.empty()) continue;
            obs.at = *at;
            obs.lane = j.value("lane", "");
            obs.direction = j.value("direction", "exit") == "entry" ? Direction::Entry : Direction::Exit;
            const auto presence = j.value("presence", "unknown");
            obs.presence = presence == "present"  ? Presence::Present
                           : presence == "absent" ? Presence::Absent
                                                  : Presence::Unknown;
            if (j.contains("plate")) {
                obs.plate =
                    PlateSeen{j.at("plate").value("text", ""), j.at("plate").value("confidence", 1.0)};
            }
            if (j.contains("token")) obs.token = j.at("token").get<std::string>();
        } catch (const json::exception&) {
            continue;
        }
        const Manual manual{"spool", "exit decided while the ledger was unavailable, replayed"};
        auto d = decideOnce(obs, replay_settings, now, false, manual, event_id, std::nullopt);
        if (d.audit_seq > 0) {
            ++applied;
        } else if (d.message != "already replayed") {
            all_ok = false;
            break;
        }
    }
    // Every line is in the ledger (or was a torn write): empty the file under the lock. An emptied spool
    // stays in place; decide() only replays a non-empty one.
    if (all_ok && (::ftruncate(fd, 0) != 0 || !fsyncFile(fd))) {
        return std::unexpected(
            LedgerError{LedgerError::Kind::Internal,
                        fmt::format("the exit spool {} was replayed but cannot be emptied: {}",
                                    options_.spool_path.string(), std::strerror(errno))});
    }
    return applied;
}

Decision Ledger::confirm(const Observation& held, const RuleSettings& settings, TimePoint now,
                         const Manual& manual, bool refuse, const std::optional<std::string>& plate) {
    if (refuse) return decideOnce(held, settings, now, false, manual, std::nullopt, Reason::DenyGuardRefused);
    Observation obs = held;
    RuleSettings s = settings;
    if (plate && !normalizePlate(*plate).empty()) {
        obs.plate = PlateSeen{*plate, 1.0};
    } else {
        // The guard vouches that a vehicle is there: admit with the plate unread (rule 13).
        s.unread_plate = UnreadPlatePolicy::Presence;
        obs.presence = Presence::Present;
    }
    s.overstay_exit = OnError::Open;  // a held overstay is released by the guard's answer
    s.min_plate_confidence = std::min(s.min_plate_confidence, 1.0);
    return decideOnce(obs, s, now, false, manual, std::nullopt, std::nullopt);
}

LedgerResult<std::int64_t> Ledger::recordEvent(std::string_view kind, const std::string& payload_json,
                                               TimePoint now, const std::string& personal_json) {
    return guarded([&]() -> LedgerResult<std::int64_t> {
        SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
        json payload = json::parse(payload_json, nullptr, false);
        if (payload.is_discarded()) payload = json{{"text", payload_json}};
        json personal = personal_json.empty() ? json() : json::parse(personal_json, nullptr, false);
        if (personal.is_discarded()) personal = json{{"text", personal_json}};
        const auto seq = impl_->appendAudit(audit_key_, kind, payload, now, personal);
        tx.commit();
        return seq;
    });
}

LedgerResult<Household> Ledger::addHousehold(const std::string& unit, const std::string& category,
                                             const std::string& contact, const std::string& phone,
                                             const std::vector<std::string>& eligible, TimePoint now) {
    if (unit.empty())
        return std::unexpected(LedgerError{LedgerError::Kind::Invalid, "the unit must not be empty"});
    if (std::find(eligible.begin(), eligible.end(), category) == eligible.end()) {
        std::string list;
        for (const auto& c : eligible) list += (list.empty() ? "" : ", ") + c;
        return std::unexpected(refused(fmt::format(
            "category '{}' is not eligible for vouchers (eligible: {}; see vouchers.eligible_categories)",
            category, list)));
    }
    return guarded([&]() -> LedgerResult<Household> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement exists(db, "SELECT 1 FROM households WHERE unit = ? AND removed_at IS NULL");
        exists.bind(1, unit);
        if (exists.executeStep()) {
            return std::unexpected(refused(fmt::format("household {} is already registered", unit)));
        }
        SQLite::Statement ins(
            db, "INSERT INTO households(unit, category, contact, phone, added_at) VALUES(?,?,?,?,?)");
        ins.bind(1, unit);
        ins.bind(2, category);
        ins.bind(3, contact);
        ins.bind(4, phone);
        ins.bind(5, isoUtc(now));
        ins.exec();
        Household h{.id = db.getLastInsertRowid(),
                    .unit = unit,
                    .category = category,
                    .contact = contact,
                    .phone = phone,
                    .added = now,
                    .removed = std::nullopt};
        json personal = json::object();
        if (!contact.empty()) personal["contact"] = contact;
        if (!phone.empty()) personal["phone"] = phone;
        impl_->appendAudit(audit_key_, "HOUSEHOLD_ADD", json{{"unit", unit}, {"category", category}}, now,
                           personal);
        tx.commit();
        return h;
    });
}

LedgerResult<std::vector<Household>> Ledger::households(bool include_removed) {
    return guarded([&]() -> LedgerResult<std::vector<Household>> {
        std::vector<Household> out;
        SQLite::Statement q(
            impl_->db, std::string("SELECT id, unit, category, contact, phone, added_at, removed_at FROM "
                                   "households ") +
                           (include_removed ? "" : "WHERE removed_at IS NULL ") + "ORDER BY unit, id");
        while (q.executeStep()) {
            out.push_back(Household{.id = q.getColumn(0).getInt64(),
                                    .unit = q.getColumn(1).getString(),
                                    .category = q.getColumn(2).getString(),
                                    .contact = q.getColumn(3).getString(),
                                    .phone = q.getColumn(4).getString(),
                                    .added = reqTime(q.getColumn(5)),
                                    .removed = optTime(q.getColumn(6))});
        }
        return out;
    });
}

LedgerResult<void> Ledger::removeHousehold(const std::string& unit, TimePoint now) {
    return guarded([&]() -> LedgerResult<void> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement q(db, "SELECT id FROM households WHERE unit = ? AND removed_at IS NULL");
        q.bind(1, unit);
        if (!q.executeStep())
            return std::unexpected(notFound(fmt::format("no registered household {}", unit)));
        const auto id = q.getColumn(0).getInt64();
        SQLite::Statement up(db, "UPDATE households SET removed_at = ? WHERE id = ?");
        up.bind(1, isoUtc(now));
        up.bind(2, id);
        up.exec();
        // Unused vouchers of a removed household stop working; used ones keep their history.
        SQLite::Statement rv(
            db,
            "UPDATE vouchers SET revoked_at = ?, revoke_reason = 'household removed' "
            "WHERE household_id = ? AND revoked_at IS NULL AND NOT EXISTS (SELECT 1 FROM visits x "
            "WHERE x.serial = vouchers.serial AND (x.voided_at IS NULL OR x.voucher_restored = 0))");
        rv.bind(1, isoUtc(now));
        rv.bind(2, id);
        const int revoked = rv.exec();
        impl_->appendAudit(audit_key_, "HOUSEHOLD_REMOVE",
                           json{{"unit", unit}, {"vouchers_revoked", revoked}}, now, json());
        tx.commit();
        return {};
    });
}

LedgerResult<std::vector<Voucher>> Ledger::issue(const std::string& unit, YearMonth month, int count,
                                                 int per_month, const std::vector<std::string>& eligible,
                                                 TimePoint now) {
    if (count < 1)
        return std::unexpected(LedgerError{LedgerError::Kind::Invalid, "--count must be at least 1"});
    if (zone_.monthEnd(month) <= now) {
        return std::unexpected(
            refused(fmt::format("{} has ended ({} now): vouchers can only be issued for the "
                                "current or a future month",
                                month.str(), zone_.formatLocal(now))));
    }
    const TokenKey* key = keys_.active();
    if (!key) {
        return std::unexpected(
            refused("there is no active token key: run `voucher-gate key new` (or `init`)"));
    }
    return guarded([&]() -> LedgerResult<std::vector<Voucher>> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement hq(db, "SELECT id, category FROM households WHERE unit = ? AND removed_at IS NULL");
        hq.bind(1, unit);
        if (!hq.executeStep()) {
            return std::unexpected(notFound(
                fmt::format("no registered household {}: add it first with `voucher-gate household add {} "
                            "--category living-alone`",
                            unit, unit)));
        }
        const auto hid = hq.getColumn(0).getInt64();
        const std::string category = hq.getColumn(1).getString();
        if (std::find(eligible.begin(), eligible.end(), category) == eligible.end()) {
            return std::unexpected(
                refused(fmt::format("household {} is of category '{}', which is no longer eligible "
                                    "(vouchers.eligible_categories)",
                                    unit, category)));
        }
        std::set<int> used_slots;
        SQLite::Statement sq(db, "SELECT DISTINCT slot FROM vouchers WHERE household_id = ? AND month = ?");
        sq.bind(1, hid);
        sq.bind(2, month.index());
        while (sq.executeStep()) used_slots.insert(sq.getColumn(0).getInt());
        const int have = static_cast<int>(used_slots.size());
        if (have + count > per_month) {
            return std::unexpected(
                refused(fmt::format("household {} already has {} of its {} vouchers for {}; issuing {} more "
                                    "would exceed the monthly "
                                    "quota (vouchers.per_month). A lost card is replaced with `voucher-gate "
                                    "voucher replace SERIAL`",
                                    unit, have, per_month, month.str(), count)));
        }
        std::vector<Voucher> out;
        std::int64_t next = 1;
        {
            SQLite::Statement mx(db, "SELECT COALESCE(MAX(serial), 0) + 1 FROM vouchers");
            mx.executeStep();
            next = mx.getColumn(0).getInt64();
        }
        int slot = 1;
        for (int i = 0; i < count; ++i, ++next) {
            while (used_slots.contains(slot)) ++slot;
            used_slots.insert(slot);
            if (next > 0xFFFFFFFFLL) throw std::runtime_error("voucher serials are exhausted");
            const auto serial = static_cast<std::uint32_t>(next);
            auto token = encodeToken(TokenPayload{kTokenVersion1, key->id, serial, month}, keys_);
            if (!token)
                throw std::runtime_error(fmt::format("cannot sign voucher: {}", describe(token.error())));
            SQLite::Statement ins(
                db,
                "INSERT INTO vouchers(serial, household_id, month, slot, key_id, token, issued_at) "
                "VALUES(?,?,?,?,?,?,?)");
            ins.bind(1, static_cast<std::int64_t>(serial));
            ins.bind(2, hid);
            ins.bind(3, month.index());
            ins.bind(4, slot);
            ins.bind(5, static_cast<int>(key->id));
            ins.bind(6, *token);
            ins.bind(7, isoUtc(now));
            ins.exec();
            impl_->appendAudit(audit_key_, "VOUCHER_ISSUE",
                               json{{"unit", unit},
                                    {"serial", serial},
                                    {"month", month.str()},
                                    {"slot", slot},
                                    {"key_id", key->id}},
                               now, json());
            out.push_back(Voucher{.serial = serial,
                                  .unit = unit,
                                  .month = month,
                                  .slot = slot,
                                  .key_id = key->id,
                                  .token = *token,
                                  .status = VoucherStatus::Issued,
                                  .issued_at = now});
        }
        tx.commit();
        return out;
    });
}

LedgerResult<std::vector<Voucher>> Ledger::vouchers(const std::optional<std::string>& unit,
                                                    const std::optional<YearMonth>& month) {
    return guarded([&]() -> LedgerResult<std::vector<Voucher>> {
        std::string sql = kVoucherSelect;
        sql += "WHERE 1=1 ";
        if (unit) sql += "AND h.unit = ? ";
        if (month) sql += "AND v.month = ? ";
        sql += "ORDER BY v.serial";
        SQLite::Statement q(impl_->db, sql);
        int i = 1;
        if (unit) q.bind(i++, *unit);
        if (month) q.bind(i++, month->index());
        std::vector<Voucher> out;
        while (q.executeStep()) out.push_back(voucherRow(q));
        return out;
    });
}

LedgerResult<Voucher> Ledger::voucher(std::uint32_t serial) {
    return guarded([&]() -> LedgerResult<Voucher> {
        SQLite::Statement q(impl_->db, std::string(kVoucherSelect) + "WHERE v.serial = ?");
        q.bind(1, static_cast<std::int64_t>(serial));
        if (!q.executeStep())
            return std::unexpected(notFound(fmt::format("no voucher with serial {}", serial)));
        return voucherRow(q);
    });
}

LedgerResult<Voucher> Ledger::revoke(std::uint32_t serial, const std::string& reason, TimePoint now) {
    if (reason.empty())
        return std::unexpected(LedgerError{LedgerError::Kind::Invalid, "a reason is required"});
    return guarded([&]() -> LedgerResult<Voucher> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        auto v = voucher(serial);
        if (!v) return std::unexpected(v.error());
        if (v->status == VoucherStatus::Revoked) {
            return std::unexpected(refused(fmt::format("voucher {} is already revoked", serial)));
        }
        if (v->status == VoucherStatus::Used) {
            return std::unexpected(refused(fmt::format(
                "voucher {} was already used (visit {}); to undo that visit use `voucher-gate visit void`",
                serial, *v->visit)));
        }
        SQLite::Statement up(db, "UPDATE vouchers SET revoked_at = ?, revoke_reason = ? WHERE serial = ?");
        up.bind(1, isoUtc(now));
        up.bind(2, reason);
        up.bind(3, static_cast<std::int64_t>(serial));
        up.exec();
        impl_->appendAudit(audit_key_, "VOUCHER_REVOKE",
                           json{{"serial", serial}, {"unit", v->unit}, {"reason", reason}}, now, json());
        tx.commit();
        v->status = VoucherStatus::Revoked;
        v->revoked_at = now;
        v->revoke_reason = reason;
        return *v;
    });
}

LedgerResult<Voucher> Ledger::replace(std::uint32_t serial, TimePoint now) {
    const TokenKey* key = keys_.active();
    if (!key) return std::unexpected(refused("there is no active token key: run `voucher-gate key new`"));
    return guarded([&]() -> LedgerResult<Voucher> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        auto old = voucher(serial);
        if (!old) return std::unexpected(old.error());
        if (old->status == VoucherStatus::Used) {
            return std::unexpected(refused(
                fmt::format("voucher {} was already used (visit {}): a used voucher cannot be replaced",
                            serial, *old->visit)));
        }
        if (old->status == VoucherStatus::Revoked) {
            return std::unexpected(refused(
                fmt::format("voucher {} is revoked{}: it cannot be replaced", serial,
                            old->replaced_by ? fmt::format(" (replaced by {})", *old->replaced_by) : "")));
        }
        if (zone_.monthEnd(old->month) <= now) {
            return std::unexpected(
                refused(fmt::format("voucher {} is for {}, which has ended", serial, old->month.str())));
        }
        SQLite::Statement mx(db,
                             "SELECT COALESCE(MAX(serial), 0) + 1, (SELECT household_id FROM vouchers WHERE "
                             "serial = ?) FROM vouchers");
        mx.bind(1, static_cast<std::int64_t>(serial));
        mx.executeStep();
        const auto next = static_cast<std::uint32_t>(mx.getColumn(0).getInt64());
        const auto hid = mx.getColumn(1).getInt64();
        auto token = encodeToken(TokenPayload{kTokenVersion1, key->id, next, old->month}, keys_);
        if (!token) throw std::runtime_error(fmt::format("cannot sign voucher: {}", describe(token.error())));
        SQLite::Statement rv(
            db, "UPDATE vouchers SET revoked_at = ?, revoke_reason = ?, replaced_by = ? WHERE serial = ?");
        rv.bind(1, isoUtc(now));
        rv.bind(2, fmt::format("replaced by {}", next));
        rv.bind(3, static_cast<std::int64_t>(next));
        rv.bind(4, static_cast<std::int64_t>(serial));
        // The new row must exist before the old one references it.
        SQLite::Statement ins(
            db,
            "INSERT INTO vouchers(serial, household_id, month, slot, key_id, token, issued_at) "
            "VALUES(?,?,?,?,?,?,?)");
        ins.bind(1, static_cast<std::int64_t>(next));
        ins.bind(2, hid);
        ins.bind(3, old->month.index());
        ins.bind(4, old->slot);
        ins.bind(5, static_cast<int>(key->id));
        ins.bind(6, *token);
        ins.bind(7, isoUtc(now));
        // Revoke first: the live-slot unique index admits one live voucher per slot.
        SQLite::Statement pre(db, "UPDATE vouchers SET revoked_at = ? WHERE serial = ?");
        pre.bind(1, isoUtc(now));
        pre.bind(2, static_cast<std::int64_t>(serial));
        pre.exec();
        ins.exec();
        rv.exec();
        impl_->appendAudit(
            audit_key_, "VOUCHER_REPLACE",
            json{{"serial", serial}, {"replaced_by", next}, {"unit", old->unit}, {"month", old->month.str()}},
            now, json());
        tx.commit();
        return Voucher{.serial = next,
                       .unit = old->unit,
                       .month = old->month,
                       .slot = old->slot,
                       .key_id = key->id,
                       .token = *token,
                       .status = VoucherStatus::Issued,
                       .issued_at = now};
    });
}

LedgerResult<void> Ledger::addVehicle(const Vehicle& v, TimePoint now) {
    const std::string plate = normalizePlate(v.plate);
    if (plate.empty())
        return std::unexpected(LedgerError{LedgerError::Kind::Invalid, "the plate must not be empty"});
    // `until` is compared as text with the site's date: any other spelling ("2026/11/20") would silently
    // never expire, so only YYYY-MM-DD is accepted.
    if (v.until && (v.until->size() != 10 || (*v.until)[4] != '-' || (*v.until)[7] != '-' ||
                    !zone_.parse(*v.until).has_value())) {
        return std::unexpected(LedgerError{
            LedgerError::Kind::Invalid,
            fmt::format("--until must be a date written YYYY-MM-DD (the last day the car is valid), not '{}'",
                        *v.until)});
    }
    return guarded([&]() -> LedgerResult<void> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement ins(db,
                              "INSERT INTO vehicles(plate, kind, unit, until, added_at) VALUES(?,?,?,?,?) "
                              "ON CONFLICT(plate) DO UPDATE SET kind = excluded.kind, unit = excluded.unit, "
                              "until = excluded.until");
        ins.bind(1, plate);
        ins.bind(2, std::string(toString(v.kind)));
        ins.bind(3, v.unit);
        if (v.until) {
            ins.bind(4, *v.until);
        } else {
            ins.bind(4);
        }
        ins.bind(5, isoUtc(now));
        ins.exec();
        impl_->appendAudit(
            audit_key_, "VEHICLE_ADD",
            json{{"kind", toString(v.kind)}, {"unit", v.unit}, {"until", v.until.value_or("")}}, now,
            json{{"plate", plate}});
        tx.commit();
        return {};
    });
}

LedgerResult<void> Ledger::removeVehicle(const std::string& plate_text, TimePoint now) {
    const std::string plate = normalizePlate(plate_text);
    return guarded([&]() -> LedgerResult<void> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement del(db, "DELETE FROM vehicles WHERE plate = ?");
        del.bind(1, plate);
        if (del.exec() == 0)
            return std::unexpected(notFound(fmt::format("{} is not in the vehicle list", plate)));
        impl_->appendAudit(audit_key_, "VEHICLE_REMOVE", json::object(), now, json{{"plate", plate}});
        tx.commit();
        return {};
    });
}

LedgerResult<std::vector<Vehicle>> Ledger::vehicles() {
    return guarded([&]() -> LedgerResult<std::vector<Vehicle>> {
        std::vector<Vehicle> out;
        SQLite::Statement q(impl_->db, "SELECT plate, kind, unit, until FROM vehicles ORDER BY kind, plate");
        while (q.executeStep()) {
            Vehicle v;
            v.plate = q.getColumn(0).getString();
            v.kind = q.getColumn(1).getString() == "resident" ? VehicleKind::Resident : VehicleKind::Blocked;
            v.unit = q.getColumn(2).getString();
            if (!q.getColumn(3).isNull()) v.until = q.getColumn(3).getString();
            out.push_back(std::move(v));
        }
        return out;
    });
}

LedgerResult<Visit> Ledger::voidVisit(std::int64_t id, const Manual& manual, bool restore_voucher,
                                      TimePoint now) {
    if (manual.operator_name.empty() || manual.reason.empty()) {
        return std::unexpected(
            LedgerError{LedgerError::Kind::Invalid, "--operator and --reason are required"});
    }
    return guarded([&]() -> LedgerResult<Visit> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement q(db,
                            fmt::format("SELECT {} FROM visits v JOIN households h ON h.id = v.household_id "
                                        "WHERE v.id = ?",
                                        kVisitColumns));
        q.bind(1, id);
        if (!q.executeStep()) return std::unexpected(notFound(fmt::format("no visit {}", id)));
        Visit v = impl_->visitRow(q);
        if (v.voided_at) return std::unexpected(refused(fmt::format("visit {} is already void", id)));
        SQLite::Statement up(db,
                             "UPDATE visits SET voided_at = ?, void_reason = ?, void_operator = ?, "
                             "voucher_restored = ? WHERE id = ?");
        up.bind(1, isoUtc(now));
        up.bind(2, manual.reason);
        up.bind(3, manual.operator_name);
        up.bind(4, restore_voucher ? 1 : 0);
        up.bind(5, id);
        up.exec();
        impl_->appendAudit(audit_key_, "VISIT_VOID",
                           json{{"visit", id},
                                {"serial", v.serial},
                                {"reason", manual.reason},
                                {"voucher_restored", restore_voucher}},
                           now, json{{"operator", manual.operator_name}});
        tx.commit();
        v.voided_at = now;
        v.void_reason = manual.reason;
        return v;
    });
}

LedgerResult<std::vector<Visit>> Ledger::visits(const VisitFilter& filter, const RuleSettings& settings,
                                                TimePoint now) {
    return guarded([&]() -> LedgerResult<std::vector<Visit>> {
        std::string sql = fmt::format(
            "SELECT {} FROM visits v JOIN households h ON h.id = v.household_id "
            "WHERE v.voided_at IS NULL ",
            kVisitColumns);
        if (filter.inside_only) sql += "AND v.exited_at IS NULL ";
        if (filter.overstayed_only) {
            sql +=
                "AND ((v.exited_at IS NOT NULL AND v.overstay_ms IS NOT NULL) OR "
                "(v.exited_at IS NULL AND v.deadline < ?)) ";
        }
        if (filter.month) sql += "AND v.entered_at >= ? AND v.entered_at < ? ";
        sql += "ORDER BY v.entered_at, v.id";
        SQLite::Statement q(impl_->db, sql);
        int i = 1;
        if (filter.overstayed_only) q.bind(i++, isoUtc(now - settings.stay_grace));
        if (filter.month) {
            q.bind(i++, isoUtc(zone_.monthStart(*filter.month)));
            q.bind(i++, isoUtc(zone_.monthEnd(*filter.month)));
        }
        std::vector<Visit> out;
        while (q.executeStep()) {
            Visit v = impl_->visitRow(q);
            if (!v.exited_at && !v.overstay) v.overstay = overstayAt(v.deadline, now, settings);
            out.push_back(std::move(v));
        }
        return out;
    });
}

LedgerResult<std::vector<Visit>> Ledger::sweepOverstays(const RuleSettings& settings, TimePoint now) {
    return guarded([&]() -> LedgerResult<std::vector<Visit>> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        // INDEXED BY: without statistics SQLite scans every visit ever made (ORDER BY id) instead of the few
        // inside.
        SQLite::Statement q(db,
                            fmt::format("SELECT {} FROM visits v INDEXED BY visits_open "
                                        "JOIN households h ON h.id = v.household_id "
                                        "WHERE v.exited_at IS NULL AND v.voided_at IS NULL "
                                        "AND v.overstay_flagged_at IS NULL AND v.deadline < ? ORDER BY v.id",
                                        kVisitColumns));
        q.bind(1, isoUtc(now - settings.stay_grace));
        std::vector<Visit> out;
        while (q.executeStep()) out.push_back(impl_->visitRow(q));
        for (auto& v : out) {
            v.overstay = now - v.deadline;
            SQLite::Statement up(db, "UPDATE visits SET overstay_flagged_at = ? WHERE id = ?");
            up.bind(1, isoUtc(now));
            up.bind(2, v.id);
            up.exec();
            impl_->appendAudit(audit_key_, "OVERSTAY_STARTED",
                               json{{"visit", v.id},
                                    {"serial", v.serial},
                                    {"unit", v.unit},
                                    {"deadline", isoUtc(v.deadline)}},
                               now, v.plate.empty() ? json() : json{{"plate", v.plate}});
        }
        tx.commit();
        // Between cars, copy the WAL back into the database (see the constructor). PASSIVE never waits for
        // readers or writers; a failure here changes nothing for the sweep.
        try {
            db.exec("PRAGMA wal_checkpoint(PASSIVE)");
        } catch (const SQLite::Exception&) {
        }
        return out;
    });
}

LedgerResult<MonthReport> Ledger::report(YearMonth month, const RuleSettings& settings, TimePoint now) {
    return guarded([&]() -> LedgerResult<MonthReport> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db);  // one consistent snapshot
        MonthReport r;
        r.month = month;
        std::map<std::int64_t, HouseholdReport> by_household;
        {
            // Households live at some point during the month, plus any that hold vouchers for it.
            SQLite::Statement hq(
                db,
                "SELECT id, unit, category FROM households WHERE added_at < ? AND (removed_at IS "
                "NULL OR removed_at >= ?) UNION SELECT h.id, h.unit, h.category FROM households h "
                "JOIN vouchers v ON v.household_id = h.id WHERE v.month = ?");
            hq.bind(1, isoUtc(zone_.monthEnd(month)));
            hq.bind(2, isoUtc(zone_.monthStart(month)));
            hq.bind(3, month.index());
            while (hq.executeStep()) {
                auto& h = by_household[hq.getColumn(0).getInt64()];
                h.unit = hq.getColumn(1).getString();
                h.category = hq.getColumn(2).getString();
            }
        }
        {
            SQLite::Statement vq(
                db,
                "SELECT household_id, revoked_at IS NOT NULL, replaced_by IS NOT NULL, EXISTS(SELECT "
                "1 FROM visits x WHERE x.serial = v.serial AND (x.voided_at IS NULL OR "
                "x.voucher_restored = 0)) FROM vouchers v WHERE month = ?");
            vq.bind(1, month.index());
            // "used" means consumed, as `voucher list` says: a visit voided without giving the voucher back
            // still used it up (otherwise the report would call it unused while no gate accepts it).
            while (vq.executeStep()) {
                auto& h = by_household[vq.getColumn(0).getInt64()];
                const bool revoked = vq.getColumn(1).getInt() != 0;
                const bool replaced = vq.getColumn(2).getInt() != 0;
                const bool used = vq.getColumn(3).getInt() != 0;
                if (replaced) continue;  // its replacement is counted instead
                ++h.issued;
                if (used) {
                    ++h.used;
                } else if (revoked) {
                    ++h.revoked;
                } else {
                    ++h.unused;
                }
            }
        }
        std::map<std::string, std::set<std::string>> plate_units;
        {
            SQLite::Statement q(
                db,
                "SELECT x.household_id, x.plate, x.entered_at, x.exited_at, x.deadline, x.overstay_ms, "
                "x.fee FROM visits x JOIN vouchers v ON v.serial = x.serial "
                "WHERE v.month = ? AND x.voided_at IS NULL");
            q.bind(1, month.index());
            while (q.executeStep()) {
                auto& h = by_household[q.getColumn(0).getInt64()];
                ++h.visits;
                const TimePoint entered = reqTime(q.getColumn(2));
                const auto exited = optTime(q.getColumn(3));
                const TimePoint deadline = reqTime(q.getColumn(4));
                const Duration stay = exited.value_or(now) - entered;
                h.total_stay += stay;
                h.longest_stay = std::max(h.longest_stay, stay);
                const bool over =
                    exited ? !q.getColumn(5).isNull() : overstayAt(deadline, now, settings).has_value();
                if (over) ++h.overstays;
                if (!q.getColumn(6).isNull()) h.fees += q.getColumn(6).getDouble();
                if (!q.getColumn(1).isNull() && !q.getColumn(1).getString().empty()) {
                    plate_units[q.getColumn(1).getString()].insert(h.unit);
                }
            }
        }
        for (auto& [id, h] : by_household) r.households.push_back(std::move(h));
        std::sort(r.households.begin(), r.households.end(),
                  [](const HouseholdReport& a, const HouseholdReport& b) { return a.unit < b.unit; });
        for (auto& [plate, units] : plate_units) {
            if (units.size() > 1) r.shared_plates.push_back({plate, {units.begin(), units.end()}});
        }
        SQLite::Statement in(db,
                             "SELECT COUNT(*) FROM visits INDEXED BY visits_open "
                             "WHERE exited_at IS NULL AND voided_at IS NULL");
        in.executeStep();
        r.cars_inside_now = in.getColumn(0).getInt();
        SQLite::Statement head(db, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
        r.audit_head = {0, kAuditGenesisHash};
        if (head.executeStep()) r.audit_head = {head.getColumn(0).getInt64(), head.getColumn(1).getString()};
        return r;
    });
}

AuditVerdict Ledger::verifyAudit(const std::optional<AuditHead>& head) {
    // Streamed row by row: ten years of an estate are over a million rows, too many to hold at once.
    AuditChainVerifier verifier(audit_key_, head);
    try {
        SQLite::Statement q(
            impl_->db,
            "SELECT seq, at, kind, payload, subject_commitment, prev_hash, hash FROM audit_log "
            "ORDER BY seq");
        AuditRow row;
        while (q.executeStep()) {
            row.seq = q.getColumn(0).getInt64();
            row.at = q.getColumn(1).getString();
            row.kind = q.getColumn(2).getString();
            row.payload = q.getColumn(3).getString();
            row.subject_commitment = q.getColumn(4).getString();
            row.prev_hash = q.getColumn(5).getString();
            row.hash = q.getColumn(6).getString();
            if (!verifier.add(row)) break;
        }
    } catch (const std::exception& e) {
        return AuditVerdict{.ok = false,
                            .first_bad_seq = std::nullopt,
                            .problem = fmt::format("the audit log cannot be read: {}", e.what()),
                            .head = {}};
    }
    auto verdict = verifier.finish();
    if (!verdict.ok) return verdict;
    // The clear personal values must still match their commitments (those not purged).
    try {
        SQLite::Statement q(impl_->db,
                            "SELECT p.seq, p.salt, p.clear, a.subject_commitment FROM audit_personal p "
                            "LEFT JOIN audit_log a ON a.seq = p.seq ORDER BY p.seq");
        while (q.executeStep()) {
            if (q.getColumn(3).isNull() ||
                commitPersonal(q.getColumn(1).getString(), q.getColumn(2).getString()) !=
                    q.getColumn(3).getString()) {
                verdict.ok = false;
                verdict.first_bad_seq = q.getColumn(0).getInt64();
                verdict.problem = fmt::format(
                    "the personal data of row {} was altered (it no longer matches the "
                    "commitment in the chain)",
                    q.getColumn(0).getInt64());
                return verdict;
            }
        }
    } catch (const std::exception& e) {
        verdict.ok = false;
        verdict.problem = fmt::format("the personal data table cannot be read: {}", e.what());
    }
    return verdict;
}

LedgerResult<AuditHead> Ledger::auditHead() {
    return guarded([&]() -> LedgerResult<AuditHead> {
        SQLite::Statement head(impl_->db, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
        if (!head.executeStep()) return AuditHead{0, kAuditGenesisHash};
        return AuditHead{head.getColumn(0).getInt64(), head.getColumn(1).getString()};
    });
}

LedgerResult<int> Ledger::purge(TimePoint now) {
    return guarded([&]() -> LedgerResult<int> {
        auto& db = impl_->db;
        const std::string cutoff = isoUtc(now - std::chrono::hours(24) * options_.retention_days);
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement v(db,
                            "UPDATE visits SET plate = NULL, plate_purged = 1 WHERE plate IS NOT NULL AND "
                            "entered_at < ? AND (exited_at IS NOT NULL OR voided_at IS NOT NULL)");
        v.bind(1, cutoff);
        int n = v.exec();
        SQLite::Statement p(
            db, "DELETE FROM audit_personal WHERE seq IN (SELECT seq FROM audit_log WHERE at < ?)");
        p.bind(1, cutoff);
        n += p.exec();
        SQLite::Statement h(db,
                            "UPDATE households SET contact = '', phone = '' WHERE removed_at IS NOT NULL AND "
                            "removed_at < ? AND (contact <> '' OR phone <> '')");
        h.bind(1, cutoff);
        n += h.exec();
        impl_->appendAudit(audit_key_, "RETENTION_PURGE", json{{"before", cutoff}, {"rows", n}}, now, json());
        tx.commit();
        return n;
    });
}

LedgerResult<void> Ledger::backup(const std::filesystem::path& dest_db, TimePoint now) {
    return guarded([&]() -> LedgerResult<void> {
        sqlite3* dest = nullptr;
        if (sqlite3_open(dest_db.c_str(), &dest) != SQLITE_OK) {
            const std::string msg = dest ? sqlite3_errmsg(dest) : "out of memory";
            sqlite3_close(dest);
            return std::unexpected(LedgerError{LedgerError::Kind::Internal,
                                               fmt::format("cannot create {}: {}", dest_db.string(), msg)});
        }
        sqlite3_backup* b = sqlite3_backup_init(dest, "main", impl_->db.getHandle(), "main");
        int rc = SQLITE_OK;
        if (b) {
            // Small steps so that a running daemon is never blocked for long; a busy source is retried.
            do {
                rc = sqlite3_backup_step(b, 256);
                if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(20);
            } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
            sqlite3_backup_finish(b);
        }
        const std::string msg = sqlite3_errmsg(dest);
        const int final_rc = b ? rc : sqlite3_errcode(dest);
        sqlite3_close(dest);
        if (final_rc != SQLITE_DONE) {
            return std::unexpected(LedgerError{
                LedgerError::Kind::Internal, fmt::format("backup to {} failed: {}", dest_db.string(), msg)});
        }
        (void)recordEvent("BACKUP", json{{"to", dest_db.string()}}.dump(), now);
        return {};
    });
}

}  // namespace vg::gate
