// Households and their vouchers (rules 1-3): registering and removing a household, issuing a month's vouchers
// within the quota, listing, revoking and replacing them. Each change is one IMMEDIATE transaction with its
// audit row.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <stdexcept>

#include "gate/input_check.h"
#include "gate/ledger.h"
#include "gate/ledger_internal.h"

namespace vg::gate {

using namespace ledger_detail;

LedgerResult<Household> Ledger::addHousehold(const std::string& unit, const std::string& category,
                                             const std::string& contact, const std::string& phone,
                                             const std::vector<std::string>& eligible, TimePoint now) {
    if (auto w = writable("adding a household"); !w) return std::unexpected(w.error());
    if (unit.empty()) return std::unexpected(LedgerError{LedgerError::Kind::Invalid, "the unit must not be empty"});
    auto problem = textProblem("unit", unit);
    if (!problem) problem = textProblem("category", category);
    if (!problem) problem = textProblem("contact", contact);
    if (!problem) problem = textProblem("phone", phone);
    if (problem) return std::unexpected(LedgerError{LedgerError::Kind::Invalid, *problem});
    if (std::find(eligible.begin(), eligible.end(), category) == eligible.end()) {
        std::string list;
        for (const auto& c : eligible) list += (list.empty() ? "" : ", ") + c;
        return std::unexpected(refused(
            fmt::format("category '{}' is not eligible for vouchers (eligible: {}; see vouchers.eligible_categories)",
                        category, list),
            LedgerError::About::CategoryNotEligible, {category, list}));
    }
    return guarded([&]() -> LedgerResult<Household> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement exists(db, "SELECT 1 FROM households WHERE unit = ? AND removed_at IS NULL");
        exists.bind(1, unit);
        if (exists.executeStep()) {
            return std::unexpected(refused(fmt::format("household {} is already registered", unit),
                                           LedgerError::About::HouseholdExists, {unit}));
        }
        SQLite::Statement ins(db, "INSERT INTO households(unit, category, contact, phone, added_at) VALUES(?,?,?,?,?)");
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
        impl_->appendAudit(audit_key_, "HOUSEHOLD_ADD", json{{"unit", unit}, {"category", category}}, now, personal);
        tx.commit();
        return h;
    });
}

LedgerResult<std::vector<Household>> Ledger::households(bool include_removed) {
    return guarded([&]() -> LedgerResult<std::vector<Household>> {
        std::vector<Household> out;
        SQLite::Statement q(impl_->db,
                            std::string("SELECT id, unit, category, contact, phone, added_at, removed_at FROM "
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
    if (auto w = writable("removing a household"); !w) return std::unexpected(w.error());
    return guarded([&]() -> LedgerResult<void> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement q(db, "SELECT id FROM households WHERE unit = ? AND removed_at IS NULL");
        q.bind(1, unit);
        if (!q.executeStep())
            return std::unexpected(
                notFound(fmt::format("no registered household {}", unit), LedgerError::About::NoHousehold, {unit}));
        const auto id = q.getColumn(0).getInt64();
        SQLite::Statement up(db, "UPDATE households SET removed_at = ? WHERE id = ?");
        up.bind(1, isoUtc(now));
        up.bind(2, id);
        up.exec();
        // Unused vouchers of a removed household stop working; used ones keep their history.
        SQLite::Statement rv(db,
                             "UPDATE vouchers SET revoked_at = ?, revoke_reason = 'household removed' "
                             "WHERE household_id = ? AND revoked_at IS NULL AND NOT EXISTS (SELECT 1 FROM visits x "
                             "WHERE x.serial = vouchers.serial AND (x.voided_at IS NULL OR x.voucher_restored = 0))");
        rv.bind(1, isoUtc(now));
        rv.bind(2, id);
        const int revoked = rv.exec();
        impl_->appendAudit(audit_key_, "HOUSEHOLD_REMOVE", json{{"unit", unit}, {"vouchers_revoked", revoked}}, now,
                           json());
        tx.commit();
        return {};
    });
}

LedgerResult<std::vector<Voucher>> Ledger::issue(const std::string& unit, YearMonth month, int count, int per_month,
                                                 const std::vector<std::string>& eligible, TimePoint now) {
    if (auto w = writable("issuing vouchers"); !w) return std::unexpected(w.error());
    if (count < 1) return std::unexpected(LedgerError{LedgerError::Kind::Invalid, "--count must be at least 1"});
    if (zone_.monthEnd(month) <= now) {
        return std::unexpected(refused(fmt::format("{} has ended ({} now): vouchers can only be issued for the "
                                                   "current or a future month",
                                                   month.str(), zone_.formatLocal(now)),
                                       LedgerError::About::MonthEnded, {month.str()}));
    }
    const TokenKey* key = keys_.active();
    if (!key) {
        return std::unexpected(refused("there is no active token key: run `voucher-gate key new` (or `init`)",
                                       LedgerError::About::NoActiveKey));
    }
    return guarded([&]() -> LedgerResult<std::vector<Voucher>> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement hq(db, "SELECT id, category FROM households WHERE unit = ? AND removed_at IS NULL");
        hq.bind(1, unit);
        if (!hq.executeStep()) {
            return std::unexpected(
                notFound(fmt::format("no registered household {}: add it first with `voucher-gate household add {} "
                                     "--category living-alone`",
                                     unit, unit),
                         LedgerError::About::NoHousehold, {unit}));
        }
        const auto hid = hq.getColumn(0).getInt64();
        const std::string category = hq.getColumn(1).getString();
        if (std::find(eligible.begin(), eligible.end(), category) == eligible.end()) {
            return std::unexpected(refused(fmt::format("household {} is of category '{}', which is no longer eligible "
                                                       "(vouchers.eligible_categories)",
                                                       unit, category),
                                           LedgerError::About::HouseholdNotEligible, {unit, category}));
        }
        std::set<int> used_slots;
        SQLite::Statement sq(db, "SELECT DISTINCT slot FROM vouchers WHERE household_id = ? AND month = ?");
        sq.bind(1, hid);
        sq.bind(2, month.index());
        while (sq.executeStep()) used_slots.insert(sq.getColumn(0).getInt());
        const int have = static_cast<int>(used_slots.size());
        if (have + count > per_month) {
            return std::unexpected(refused(
                fmt::format("household {} already has {} of its {} vouchers for {}; issuing {} more "
                            "would exceed the monthly "
                            "quota (vouchers.per_month). A lost card is replaced with `voucher-gate "
                            "voucher replace SERIAL`",
                            unit, have, per_month, month.str(), count),
                LedgerError::About::QuotaFull, {unit, std::to_string(have), std::to_string(per_month), month.str()}));
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
            if (!token) throw std::runtime_error(fmt::format("cannot sign voucher: {}", describe(token.error())));
            SQLite::Statement ins(db,
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
            impl_->appendAudit(
                audit_key_, "VOUCHER_ISSUE",
                json{{"unit", unit}, {"serial", serial}, {"month", month.str()}, {"slot", slot}, {"key_id", key->id}},
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
            return std::unexpected(notFound(fmt::format("no voucher with serial {}", serial),
                                            LedgerError::About::NoVoucher, {std::to_string(serial)}));
        return voucherRow(q);
    });
}

LedgerResult<Voucher> Ledger::revoke(std::uint32_t serial, const std::string& reason, TimePoint now) {
    if (auto w = writable("revoking a voucher"); !w) return std::unexpected(w.error());
    if (reason.empty()) return std::unexpected(LedgerError{LedgerError::Kind::Invalid, "a reason is required"});
    if (auto problem = textProblem("reason", reason)) {
        return std::unexpected(LedgerError{LedgerError::Kind::Invalid, *problem});
    }
    return guarded([&]() -> LedgerResult<Voucher> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        auto v = voucher(serial);
        if (!v) return std::unexpected(v.error());
        if (v->status == VoucherStatus::Revoked) {
            return std::unexpected(refused(fmt::format("voucher {} is already revoked", serial),
                                           LedgerError::About::VoucherRevoked, {std::to_string(serial)}));
        }
        if (v->status == VoucherStatus::Used) {
            return std::unexpected(refused(
                fmt::format("voucher {} was already used (visit {}); to undo that visit use `voucher-gate visit void`",
                            serial, *v->visit),
                LedgerError::About::VoucherUsed, {std::to_string(serial), std::to_string(*v->visit)}));
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
    if (auto w = writable("replacing a voucher"); !w) return std::unexpected(w.error());
    const TokenKey* key = keys_.active();
    if (!key)
        return std::unexpected(
            refused("there is no active token key: run `voucher-gate key new`", LedgerError::About::NoActiveKey));
    return guarded([&]() -> LedgerResult<Voucher> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        auto old = voucher(serial);
        if (!old) return std::unexpected(old.error());
        if (old->status == VoucherStatus::Used) {
            return std::unexpected(
                refused(fmt::format("voucher {} was already used (visit {}): a used voucher cannot be replaced", serial,
                                    *old->visit),
                        LedgerError::About::VoucherUsed, {std::to_string(serial), std::to_string(*old->visit)}));
        }
        if (old->status == VoucherStatus::Revoked) {
            return std::unexpected(refused(
                fmt::format("voucher {} is revoked{}: it cannot be replaced", serial,
                            old->replaced_by ? fmt::format(" (replaced by {})", *old->replaced_by) : ""),
                old->replaced_by ? LedgerError::About::VoucherReplaced : LedgerError::About::VoucherRevoked,
                old->replaced_by ? std::vector<std::string>{std::to_string(serial), std::to_string(*old->replaced_by)}
                                 : std::vector<std::string>{std::to_string(serial)}));
        }
        if (zone_.monthEnd(old->month) <= now) {
            return std::unexpected(
                refused(fmt::format("voucher {} is for {}, which has ended", serial, old->month.str()),
                        LedgerError::About::VoucherMonthEnded, {std::to_string(serial), old->month.str()}));
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
        SQLite::Statement rv(db,
                             "UPDATE vouchers SET revoked_at = ?, revoke_reason = ?, replaced_by = ? WHERE serial = ?");
        rv.bind(1, isoUtc(now));
        rv.bind(2, fmt::format("replaced by {}", next));
        rv.bind(3, static_cast<std::int64_t>(next));
        rv.bind(4, static_cast<std::int64_t>(serial));
        // The new row must exist before the old one references it.
        SQLite::Statement ins(db,
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
            json{{"serial", serial}, {"replaced_by", next}, {"unit", old->unit}, {"month", old->month.str()}}, now,
            json());
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

}  // namespace vg::gate
