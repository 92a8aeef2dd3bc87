// The vehicle list (rule 7): residents' cars and blocked plates, added (or updated), removed and listed, each
// change with its audit row (the plate as personal data).
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include "gate/input_check.h"
#include "gate/ledger.h"
#include "gate/ledger_internal.h"

namespace vg::gate {

using namespace ledger_detail;

namespace {

std::string describe(const Vehicle& v) {
    std::string out(toString(v.kind));
    if (!v.unit.empty()) out += fmt::format(" of unit {}", v.unit);
    out += v.until ? fmt::format(" until {}", *v.until) : std::string(" without end date");
    return out;
}

}  // namespace

LedgerResult<Vehicle> Ledger::checkVehicle(const Vehicle& v) const {
    auto problem = textProblem("plate", v.plate);
    if (!problem) problem = textProblem("unit", v.unit);
    if (!problem && v.until) problem = textProblem("until", *v.until);
    if (problem) return std::unexpected(LedgerError{LedgerError::Kind::Invalid, *problem});
    Vehicle out = v;
    out.plate = normalizePlate(v.plate);
    if (out.plate.empty())
        return std::unexpected(LedgerError{LedgerError::Kind::Invalid, "the plate must not be empty"});
    // `until` is compared as text with the site's date: any other spelling ("2026/11/20") would silently
    // never expire, so only YYYY-MM-DD is accepted.
    if (v.until &&
        (v.until->size() != 10 || (*v.until)[4] != '-' || (*v.until)[7] != '-' || !zone_.parse(*v.until).has_value())) {
        return std::unexpected(LedgerError{
            LedgerError::Kind::Invalid,
            fmt::format("--until must be a date written YYYY-MM-DD (the last day the car is valid), not '{}'",
                        *v.until)});
    }
    return out;
}

// Inside the caller's transaction: stores `v` (checked) unless it would silently change another registration.
LedgerResult<VehicleChange> Ledger::storeVehicle(const Vehicle& v, TimePoint now, bool replace) {
    auto& db = impl_->db;
    VehicleChange change{.stored = v};
    SQLite::Statement q(db, "SELECT kind, unit, until FROM vehicles WHERE plate = ?");
    q.bind(1, v.plate);
    if (q.executeStep()) {
        Vehicle old{.plate = v.plate,
                    .kind = q.getColumn(0).getString() == "resident" ? VehicleKind::Resident : VehicleKind::Blocked,
                    .unit = q.getColumn(1).getString(),
                    .until = q.getColumn(2).isNull() ? std::nullopt : std::optional(q.getColumn(2).getString())};
        if (old == v) {
            change.unchanged = true;
            return change;
        }
        if (!replace) {
            return std::unexpected(refused(fmt::format("{} is already registered as {}: registering it as {} would "
                                                       "replace that; give --replace to do so",
                                                       v.plate, describe(old), describe(v)),
                                           LedgerError::About::VehicleRegistered,
                                           {v.plate, std::string(toString(old.kind)), old.unit, old.until.value_or(""),
                                            std::string(toString(v.kind)), v.unit, v.until.value_or("")}));
        }
        change.replaced = std::move(old);
    }
    SQLite::Statement ins(db,
                          "INSERT INTO vehicles(plate, kind, unit, until, added_at) VALUES(?,?,?,?,?) "
                          "ON CONFLICT(plate) DO UPDATE SET kind = excluded.kind, unit = excluded.unit, "
                          "until = excluded.until");
    ins.bind(1, v.plate);
    ins.bind(2, std::string(toString(v.kind)));
    ins.bind(3, v.unit);
    if (v.until) {
        ins.bind(4, *v.until);
    } else {
        ins.bind(4);
    }
    ins.bind(5, isoUtc(now));
    ins.exec();
    json payload{{"kind", toString(v.kind)}, {"unit", v.unit}, {"until", v.until.value_or("")}};
    if (change.replaced) {
        payload["replaced"] = json{{"kind", toString(change.replaced->kind)},
                                   {"unit", change.replaced->unit},
                                   {"until", change.replaced->until.value_or("")}};
    }
    impl_->appendAudit(audit_key_, "VEHICLE_ADD", payload, now, json{{"plate", v.plate}});
    return change;
}

LedgerResult<VehicleChange> Ledger::addVehicle(const Vehicle& v, TimePoint now, bool replace) {
    if (auto w = writable("registering a vehicle"); !w) return std::unexpected(w.error());
    auto checked = checkVehicle(v);
    if (!checked) return std::unexpected(checked.error());
    return guarded([&]() -> LedgerResult<VehicleChange> {
        SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
        auto change = storeVehicle(*checked, now, replace);
        if (change) tx.commit();
        return change;
    });
}

LedgerResult<std::vector<VehicleChange>> Ledger::importVehicles(const std::vector<Vehicle>& rows, TimePoint now,
                                                                bool replace) {
    if (auto w = writable("importing vehicles"); !w) return std::unexpected(w.error());
    std::vector<Vehicle> checked;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        auto v = checkVehicle(rows[i]);
        if (!v) {
            return std::unexpected(LedgerError{v.error().kind, fmt::format("row {}: {}", i + 1, v.error().message)});
        }
        checked.push_back(std::move(*v));
    }
    return guarded([&]() -> LedgerResult<std::vector<VehicleChange>> {
        SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
        std::vector<VehicleChange> out;
        for (const Vehicle& v : checked) {
            auto change = storeVehicle(v, now, replace);
            if (!change) return std::unexpected(change.error());  // the transaction rolls back: nothing stored
            out.push_back(std::move(*change));
        }
        tx.commit();
        return out;
    });
}

LedgerResult<void> Ledger::removeVehicle(const std::string& plate_text, TimePoint now) {
    if (auto w = writable("removing a vehicle"); !w) return std::unexpected(w.error());
    if (auto problem = textProblem("plate", plate_text)) {
        return std::unexpected(LedgerError{LedgerError::Kind::Invalid, *problem});
    }
    const std::string plate = normalizePlate(plate_text);
    return guarded([&]() -> LedgerResult<void> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement del(db, "DELETE FROM vehicles WHERE plate = ?");
        del.bind(1, plate);
        if (del.exec() == 0)
            return std::unexpected(
                notFound(fmt::format("{} is not in the vehicle list", plate), LedgerError::About::NoVehicle, {plate}));
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
