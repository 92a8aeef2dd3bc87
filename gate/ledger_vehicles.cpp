// The vehicle list (rule 7): residents' cars and blocked plates, added (or updated), removed and listed, each
// change with its audit row (the plate as personal data).
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "gate/ledger.h"
#include "gate/ledger_internal.h"

namespace vg::gate {

using namespace ledger_detail;

LedgerResult<void> Ledger::addVehicle(const Vehicle& v, TimePoint now) {
    const std::string plate = normalizePlate(v.plate);
    if (plate.empty()) return std::unexpected(LedgerError{LedgerError::Kind::Invalid, "the plate must not be empty"});
    // `until` is compared as text with the site's date: any other spelling ("2026/11/20") would silently
    // never expire, so only YYYY-MM-DD is accepted.
    if (v.until &&
        (v.until->size() != 10 || (*v.until)[4] != '-' || (*v.until)[7] != '-' || !zone_.parse(*v.until).has_value())) {
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
        impl_->appendAudit(audit_key_, "VEHICLE_ADD",
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
        if (del.exec() == 0) return std::unexpected(notFound(fmt::format("{} is not in the vehicle list", plate)));
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

}  // namespace vg::gate
