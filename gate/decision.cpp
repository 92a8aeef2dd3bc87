#include "gate/decision.h"

#include <array>
#include <utility>

namespace vg::gate {

namespace {
constexpr std::array<std::pair<Reason, std::string_view>, 26> kReasonNames{{
    {Reason::AdmitResident, "ADMIT_RESIDENT"},
    {Reason::AdmitVoucher, "ADMIT_VOUCHER"},
    {Reason::AdmitVoucherPlateUnread, "ADMIT_VOUCHER_PLATE_UNREAD"},
    {Reason::AdmitRepeat, "ADMIT_REPEAT"},
    {Reason::AdmitManual, "ADMIT_MANUAL"},
    {Reason::ReleaseVisit, "RELEASE_VISIT"},
    {Reason::ReleaseOverstay, "RELEASE_OVERSTAY"},
    {Reason::ReleaseResident, "RELEASE_RESIDENT"},
    {Reason::ReleaseUnmatched, "RELEASE_UNMATCHED"},
    {Reason::ReleaseOnError, "RELEASE_ON_ERROR"},
    {Reason::DenyNeedVoucher, "DENY_NEED_VOUCHER"},
    {Reason::DenyVoucherUsed, "DENY_VOUCHER_USED"},
    {Reason::DenyVoucherRevoked, "DENY_VOUCHER_REVOKED"},
    {Reason::DenyVoucherExpired, "DENY_VOUCHER_EXPIRED"},
    {Reason::DenyVoucherNotYetValid, "DENY_VOUCHER_NOT_YET_VALID"},
    {Reason::DenyVoucherForged, "DENY_VOUCHER_FORGED"},
    {Reason::DenyAlreadyInside, "DENY_ALREADY_INSIDE"},
    {Reason::DenyBlocked, "DENY_BLOCKED"},
    {Reason::DenyClockBehind, "DENY_CLOCK_BEHIND"},
    {Reason::DenyPlateUnread, "DENY_PLATE_UNREAD"},
    {Reason::DenyGuardRefused, "DENY_GUARD_REFUSED"},
    {Reason::DenyInternal, "DENY_INTERNAL"},
    {Reason::HoldOverstay, "HOLD_OVERSTAY"},
    {Reason::HoldPlateUnread, "HOLD_PLATE_UNREAD"},
    {Reason::HoldOnError, "HOLD_ON_ERROR"},
    {Reason::ExitQrMismatch, "EXIT_QR_MISMATCH"},
}};
}  // namespace

std::string_view toString(Direction d) { return d == Direction::Entry ? "entry" : "exit"; }

std::string_view toString(Reason r) {
    for (const auto& [reason, name] : kReasonNames) {
        if (reason == r) return name;
    }
    return "UNKNOWN";
}

std::optional<Reason> reasonFromString(std::string_view name) {
    for (const auto& [reason, n] : kReasonNames) {
        if (n == name) return reason;
    }
    return std::nullopt;
}

bool opensBarrier(Reason r) {
    const auto name = toString(r);
    return name.starts_with("ADMIT_") || name.starts_with("RELEASE_");
}

int exitStatusFor(Reason r) { return opensBarrier(r) ? 0 : 3; }

}  // namespace vg::gate
