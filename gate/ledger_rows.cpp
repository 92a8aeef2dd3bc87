// The ledger's shared helpers (declared in ledger_internal.h): reading time columns, the row mappers for
// vouchers and visits, the LedgerError makers and the mapping of SQLite failures to LedgerError; and the
// names of ledger.h's enums.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <stdexcept>

#include "gate/ledger.h"
#include "gate/ledger_internal.h"

namespace vg::gate {

namespace ledger_detail {

std::optional<TimePoint> optTime(const SQLite::Column& c) {
    if (c.isNull()) return std::nullopt;
    auto t = parseIsoUtc(c.getString());
    if (!t) return std::nullopt;
    return *t;
}

TimePoint reqTime(const SQLite::Column& c) {
    auto t = parseIsoUtc(c.getString());
    if (!t) throw std::runtime_error(fmt::format("corrupt time value '{}' in column {}", c.getString(), c.getName()));
    return *t;
}

LedgerError refused(std::string message, LedgerError::About about, std::vector<std::string> args) {
    return {LedgerError::Kind::Refused, std::move(message), about, std::move(args)};
}
LedgerError notFound(std::string message, LedgerError::About about, std::vector<std::string> args) {
    return {LedgerError::Kind::NotFound, std::move(message), about, std::move(args)};
}

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
                    fmt::format("the disk holding the ledger is full ({}): free space, nothing was written", e.what())};
        }
        if (code == SQLITE_READONLY || code == SQLITE_CANTOPEN || code == SQLITE_PERM) {
            return {LedgerError::Kind::Internal,
                    fmt::format("the ledger cannot be written ({}): check the file's owner and permissions", e.what())};
        }
    }
    return {LedgerError::Kind::Internal, fmt::format("ledger error: {}", e.what())};
}

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

}  // namespace ledger_detail

using namespace ledger_detail;

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

Visit Ledger::Impl::visitRow(SQLite::Statement& q) {
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
    v.void_operator = q.getColumn(15).getString();
    v.voucher_restored = q.getColumn(16).getInt() != 0;
    return v;
}

}  // namespace vg::gate
