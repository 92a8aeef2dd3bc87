// Decisions: what a lane does with one car, with a stable reason code. Reason names are a contract
// (PRODUCT.md, docs/decisions.md): scripts match on them; never rename one. Value types, thread-safe to copy.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "gate/site_time.h"

namespace vg::gate {

enum class Direction { Entry, Exit };
std::string_view toString(Direction d);  // "entry" / "exit"

enum class Reason {
    AdmitResident,            // ADMIT_RESIDENT: registered resident car, entry
    AdmitVoucher,             // ADMIT_VOUCHER: valid voucher, plate read, visit started
    AdmitVoucherPlateUnread,  // ADMIT_VOUCHER_PLATE_UNREAD: valid voucher, plate unread, admitted by guard/presence
    AdmitRepeat,              // ADMIT_REPEAT: rule 4a, same voucher+plate within readmit_window, no new visit
    AdmitManual,              // ADMIT_MANUAL: the guard opened the barrier by hand (open/hold-open)
    ReleaseVisit,             // RELEASE_VISIT: exit closed a voucher visit within its limit
    ReleaseOverstay,          // RELEASE_OVERSTAY: exit closed a visit past deadline + grace (overstay recorded)
    ReleaseResident,          // RELEASE_RESIDENT: registered resident car, exit
    ReleaseUnmatched,         // RELEASE_UNMATCHED: exit, no visit matched and not registered (opens; guard sees it)
    ReleaseOnError,           // RELEASE_ON_ERROR: exit, internal error, lanes.exit_on_error = "open"; spooled
    DenyNeedVoucher,          // DENY_NEED_VOUCHER: unregistered car without a voucher
    DenyVoucherUsed,          // DENY_VOUCHER_USED: second use of a voucher ("already used at <time> by <plate>")
    DenyVoucherRevoked,       // DENY_VOUCHER_REVOKED: revoked, replaced, or signed with a retired key
    DenyVoucherExpired,       // DENY_VOUCHER_EXPIRED: past its month (+ grace_days) at entry
    DenyVoucherNotYetValid,   // DENY_VOUCHER_NOT_YET_VALID: before its month
    DenyVoucherForged,        // DENY_VOUCHER_FORGED: token fails to verify or was never issued by this ledger
    DenyAlreadyInside,        // DENY_ALREADY_INSIDE: this plate is inside on another voucher (no stacking)
    DenyBlocked,              // DENY_BLOCKED: blocked plate
    DenyClockBehind,          // DENY_CLOCK_BEHIND: clock reads earlier than the newest ledger record
    DenyPlateUnread,          // DENY_PLATE_UNREAD: voucher valid, plate unread, unread_plate = "never" (or no vehicle)
    DenyGuardRefused,         // DENY_GUARD_REFUSED: the guard refused the waiting car (confirm --refuse)
    DenyInternal,             // DENY_INTERNAL: any error on the way to an entry decision (fail closed)
    HoldOverstay,             // HOLD_OVERSTAY: exit, overstayed, stay.overstay_exit = "hold": wait for the guard
    HoldPlateUnread,          // HOLD_PLATE_UNREAD: entry, voucher valid, plate unread: wait for the guard
    HoldOnError,              // HOLD_ON_ERROR: exit, internal error, lanes.exit_on_error = "hold"
    ExitQrMismatch,           // EXIT_QR_MISMATCH: a card at the exit that may not close its visit (rule 14)
};

std::string_view toString(Reason r);  // "ADMIT_VOUCHER", ...
std::optional<Reason> reasonFromString(std::string_view name);
bool opensBarrier(Reason r);  // ADMIT_* and RELEASE_*
int exitStatusFor(Reason r);  // 0 for ADMIT_*/RELEASE_*, 3 otherwise (CLI contract)

struct Decision {
    Reason reason = Reason::DenyInternal;
    bool admit = false;  // the barrier opens
    std::string lane;
    Direction direction = Direction::Entry;
    TimePoint at{};                       // the time of the event (now, or the back-dated --at)
    std::optional<std::int64_t> visit;    // visit started, repeated, closed or held
    std::optional<TimePoint> deadline;    // for voucher admissions
    std::optional<std::uint32_t> serial;  // the voucher involved, if any
    std::string unit;                     // the household of that voucher
    std::string plate;                    // plate as decided on ("" = unread)
    bool plate_unread = false;
    std::optional<TimePoint> first_used_at;  // DENY_VOUCHER_USED: the first use
    std::string first_used_plate;
    std::optional<Duration> overstay;  // RELEASE_OVERSTAY / HOLD_OVERSTAY
    std::optional<double> fee;         // yuan owed, if stay.overstay_fee_per_hour is set
    std::string message;               // an English sentence for logs, CLI and the guard
    std::int64_t audit_seq = 0;        // the audit row that records it (0 = dry run / not written)
    bool spooled = false;              // written to the exit spool, to be replayed into the ledger
    int spool_replayed = 0;            // spooled exit decisions replayed into the ledger just before this one

    bool operator==(const Decision&) const = default;
};

}  // namespace vg::gate
