// The committee's tools (rules 9, 11; the group so named in ledger.h): the month report, verifying the audit
// chain and the personal data behind its commitments, the chain's head, the retention purge, and backups
// taken while the daemon runs.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <map>
#include <set>

#include "gate/ledger.h"
#include "gate/ledger_internal.h"

namespace vg::gate {

using namespace ledger_detail;

LedgerResult<MonthReport> Ledger::report(YearMonth month, const RuleSettings& settings, TimePoint now) {
    return guarded([&]() -> LedgerResult<MonthReport> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db);  // one consistent snapshot
        MonthReport r;
        r.month = month;
        std::map<std::int64_t, HouseholdReport> by_household;
        {
            // Households live at some point during the month, plus any that hold vouchers for it.
            SQLite::Statement hq(db,
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
            SQLite::Statement vq(db,
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
                if (replaced) {
                    ++h.replaced;  // its replacement is counted as issued instead
                    continue;
                }
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
            SQLite::Statement q(db,
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
                const bool over = exited ? !q.getColumn(5).isNull() : overstayAt(deadline, now, settings).has_value();
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
        SQLite::Statement q(impl_->db,
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
                commitPersonal(q.getColumn(1).getString(), q.getColumn(2).getString()) != q.getColumn(3).getString()) {
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
    if (auto w = writable("the retention purge"); !w) return std::unexpected(w.error());
    return guarded([&]() -> LedgerResult<int> {
        auto& db = impl_->db;
        const std::string cutoff = isoUtc(now - std::chrono::hours(24) * options_.retention_days);
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement v(db,
                            "UPDATE visits SET plate = NULL, plate_purged = 1 WHERE plate IS NOT NULL AND "
                            "entered_at < ? AND (exited_at IS NOT NULL OR voided_at IS NOT NULL)");
        v.bind(1, cutoff);
        int n = v.exec();
        SQLite::Statement p(db, "DELETE FROM audit_personal WHERE seq IN (SELECT seq FROM audit_log WHERE at < ?)");
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
    if (auto w = writable("a backup"); !w) return std::unexpected(w.error());
    return guarded([&]() -> LedgerResult<void> {
        sqlite3* dest = nullptr;
        if (sqlite3_open(dest_db.c_str(), &dest) != SQLITE_OK) {
            const std::string msg = dest ? sqlite3_errmsg(dest) : "out of memory";
            sqlite3_close(dest);
            return std::unexpected(
                LedgerError{LedgerError::Kind::Internal, fmt::format("cannot create {}: {}", dest_db.string(), msg)});
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
            return std::unexpected(LedgerError{LedgerError::Kind::Internal,
                                               fmt::format("backup to {} failed: {}", dest_db.string(), msg)});
        }
        (void)recordEvent("BACKUP", json{{"to", dest_db.string()}}.dump(), now);
        return {};
    });
}

}  // namespace vg::gate
