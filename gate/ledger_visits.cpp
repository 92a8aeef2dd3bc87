// Visits (rules 4a, 5): voiding one (giving its voucher back or not), listing them by filter, and the
// overstay sweep that flags cars still inside past deadline + grace, each once, and checkpoints the WAL
// between cars.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "gate/input_check.h"
#include "gate/ledger.h"
#include "gate/ledger_internal.h"

namespace vg::gate {

using namespace ledger_detail;

LedgerResult<Visit> Ledger::voidVisit(std::int64_t id, const Manual& manual, bool restore_voucher, TimePoint now) {
    if (auto w = writable("voiding a visit"); !w) return std::unexpected(w.error());
    if (manual.operator_name.empty() || manual.reason.empty()) {
        return std::unexpected(LedgerError{LedgerError::Kind::Invalid, "--operator and --reason are required"});
    }
    if (auto problem = manualProblem(manual)) return std::unexpected(LedgerError{LedgerError::Kind::Invalid, *problem});
    return guarded([&]() -> LedgerResult<Visit> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement q(db, fmt::format("SELECT {} FROM visits v JOIN households h ON h.id = v.household_id "
                                            "WHERE v.id = ?",
                                            kVisitColumns));
        q.bind(1, id);
        if (!q.executeStep())
            return std::unexpected(
                notFound(fmt::format("no visit {}", id), LedgerError::About::NoVisit, {std::to_string(id)}));
        Visit v = impl_->visitRow(q);
        if (v.voided_at)
            return std::unexpected(refused(fmt::format("visit {} is already void", id), LedgerError::About::VisitVoid,
                                           {std::to_string(id)}));
        SQLite::Statement up(db,
                             "UPDATE visits SET voided_at = ?, void_reason = ?, void_operator = ?, "
                             "voucher_restored = ? WHERE id = ?");
        up.bind(1, isoUtc(now));
        up.bind(2, manual.reason);
        up.bind(3, manual.operator_name);
        up.bind(4, restore_voucher ? 1 : 0);
        up.bind(5, id);
        up.exec();
        impl_->appendAudit(
            audit_key_, "VISIT_VOID",
            json{{"visit", id}, {"serial", v.serial}, {"reason", manual.reason}, {"voucher_restored", restore_voucher}},
            now, json{{"operator", manual.operator_name}});
        tx.commit();
        v.voided_at = now;
        v.void_reason = manual.reason;
        v.void_operator = manual.operator_name;
        v.voucher_restored = restore_voucher;
        return v;
    });
}

LedgerResult<std::vector<Visit>> Ledger::visits(const VisitFilter& filter, const RuleSettings& settings,
                                                TimePoint now) {
    return guarded([&]() -> LedgerResult<std::vector<Visit>> {
        // Voided visits stay listed (marked void): a correction must not make a visit disappear from the record.
        std::string sql = fmt::format(
            "SELECT {} FROM visits v JOIN households h ON h.id = v.household_id "
            "WHERE 1 ",
            kVisitColumns);
        if (filter.inside_only || filter.overstayed_only) sql += "AND v.voided_at IS NULL ";
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
            if (!v.exited_at && !v.voided_at && !v.overstay) v.overstay = overstayAt(v.deadline, now, settings);
            out.push_back(std::move(v));
        }
        return out;
    });
}

LedgerResult<std::vector<Visit>> Ledger::sweepOverstays(const RuleSettings& settings, TimePoint now) {
    if (auto w = writable("the overstay sweep"); !w) return std::unexpected(w.error());
    return guarded([&]() -> LedgerResult<std::vector<Visit>> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        // INDEXED BY: without statistics SQLite scans every visit ever made (ORDER BY id) instead of the few
        // inside.
        SQLite::Statement q(db, fmt::format("SELECT {} FROM visits v INDEXED BY visits_open "
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
            impl_->appendAudit(
                audit_key_, "OVERSTAY_STARTED",
                json{{"visit", v.id}, {"serial", v.serial}, {"unit", v.unit}, {"deadline", isoUtc(v.deadline)}}, now,
                v.plate.empty() ? json() : json{{"plate", v.plate}});
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

}  // namespace vg::gate
