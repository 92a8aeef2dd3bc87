// What the files that implement gate/ledger.h share, and nothing else includes: the Ledger's connection
// (Ledger::Impl, with the fact queries a decision reads and the audit append every change makes), the column
// lists with the row mappers that read them back, the LedgerError makers and the mapping of SQLite failures
// to LedgerError (guarded()). Internal to vg_gate: not installed, not for other modules.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>

#include <cstdint>
#include <exception>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gate/ledger.h"

namespace vg::gate {

namespace ledger_detail {

using json = nlohmann::json;

// ISO-8601 UTC text columns: optTime reads NULL or an unparsable value as nullopt, reqTime throws for either.
std::optional<TimePoint> optTime(const SQLite::Column& c);
TimePoint reqTime(const SQLite::Column& c);

LedgerError refused(std::string message, LedgerError::About about = LedgerError::About::Other,
                    std::vector<std::string> args = {});
// "operator: not valid UTF-8 at byte 3 (0xFF)" when the guard's name or reason could not be stored as typed.
std::optional<std::string> manualProblem(const Manual& manual);
LedgerError notFound(std::string message, LedgerError::About about = LedgerError::About::Other,
                     std::vector<std::string> args = {});
// Names the failure and, for the SQLite codes an operator can act on (locked, disk full, not writable), the
// fix.
LedgerError fromException(const std::exception& e);

template <class F>
auto guarded(F&& f) -> decltype(f()) {
    try {
        return f();
    } catch (const std::exception& e) {
        return std::unexpected(fromException(e));
    }
}

// The columns Ledger::Impl::visitRow() reads, in its order (visits v JOIN households h).
inline constexpr const char* kVisitColumns =
    "v.id, v.serial, h.unit, v.plate, v.plate_unread, v.plate_purged, v.entry_lane, v.entered_at, "
    "v.deadline, "
    "v.exited_at, v.exit_lane, v.overstay_ms, v.fee, v.voided_at, v.void_reason, v.void_operator, "
    "v.voucher_restored";
// The query voucherRow() reads, up to its WHERE clause.
inline constexpr const char* kVoucherSelect =
    "SELECT v.serial, h.unit, v.month, v.slot, v.key_id, v.token, v.issued_at, v.revoked_at, "
    "v.revoke_reason, "
    "v.replaced_by, (SELECT id FROM visits x WHERE x.serial = v.serial AND (x.voided_at IS NULL OR "
    "x.voucher_restored = 0) ORDER BY id DESC LIMIT 1) FROM vouchers v JOIN households h ON h.id = "
    "v.household_id ";

Voucher voucherRow(SQLite::Statement& q);

}  // namespace ledger_detail

struct Ledger::Impl {
    SQLite::Database db;
    std::string actor;  // Ledger::setActor(): added to every audit row as "by" when not empty
    Impl(const std::filesystem::path& path, bool read_only)
        : db(path.string(), (read_only ? SQLite::OPEN_READONLY : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) |
                                SQLite::OPEN_FULLMUTEX) {}

    // Appends one audit row in the caller's transaction, with "by" (the actor) added to the payload unless the
    // caller gave one; returns its seq (ledger_decide.cpp).
    std::int64_t appendAudit(const AuditKey& key, std::string_view kind, const ledger_detail::json& payload,
                             TimePoint now, const ledger_detail::json& personal);

    // The facts a decision reads (ledger_decide.cpp).
    std::optional<TimePoint> newestRecord();
    std::vector<OpenVisitFacts> inside();
    std::optional<VoucherFacts> voucherFacts(std::uint32_t serial);
    std::optional<bool> plateResident(const std::string& plate, const SiteZone& zone, TimePoint t);

    // One row of SELECT kVisitColumns (ledger_rows.cpp).
    Visit visitRow(SQLite::Statement& q);
};

}  // namespace vg::gate
