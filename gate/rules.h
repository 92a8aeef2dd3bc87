// The admission rules (PRODUCT.md rules 2-8, 12-14) as a pure function:
//   (what was seen, the ledger facts about it, settings, now) -> Decision + the ledger effect to commit.
// No I/O, no clock, no exceptions: the Ledger gathers the facts and commits the effect in one transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gate/decision.h"
#include "gate/site_time.h"
#include "gate/token.h"

namespace vg::gate {

enum class Presence { Unknown, Present, Absent };
enum class UnreadPlatePolicy { Guard, Presence, Never };
enum class OnError { Open, Hold };

// The settings the rules need; the daemon and the CLI map the parsed config onto this.
struct RuleSettings {
    int per_month = 2;
    std::vector<std::string> eligible_categories{"living-alone", "elderly-only"};
    int grace_days = 0;
    Duration stay_max = std::chrono::hours(4);
    Duration stay_grace = std::chrono::minutes(15);
    OnError overstay_exit = OnError::Open;  // Open: release and record; Hold: HOLD_OVERSTAY for the guard
    double overstay_fee_per_hour = 0;
    Duration readmit_window = std::chrono::minutes(10);
    UnreadPlatePolicy unread_plate = UnreadPlatePolicy::Guard;
    double min_plate_confidence = 0.8;
    OnError exit_on_error = OnError::Open;
};

struct PlateSeen {
    std::string text;
    double confidence = 1.0;  // lowest per-character confidence
    bool operator==(const PlateSeen&) const = default;
};

// What one lane saw for one car.
struct Observation {
    std::string lane;
    Direction direction = Direction::Entry;
    std::optional<PlateSeen> plate;    // below min_plate_confidence counts as unread
    std::optional<std::string> token;  // the QR text as read
    Presence presence = Presence::Unknown;
    std::optional<TimePoint> at;  // back-dated event time (manual entries); none = now
    bool operator==(const Observation&) const = default;
};

// Everything the rules may look at, gathered by the ledger inside the decision's transaction.
struct VoucherFacts {
    std::uint32_t serial = 0;
    std::string unit;
    std::string category;
    YearMonth month;
    bool revoked = false;
    bool replaced = false;
    bool household_removed = false;
    // the live (non-voided) visit that consumed it, if any
    std::optional<std::int64_t> visit_id;
    std::string visit_plate;
    bool visit_plate_unread = false;
    std::optional<TimePoint> visit_entered_at;
    std::optional<TimePoint> visit_deadline;
    std::optional<TimePoint> visit_exited_at;
};

struct OpenVisitFacts {
    std::int64_t id = 0;
    std::uint32_t serial = 0;
    std::string unit;
    std::string plate;
    bool plate_unread = false;
    TimePoint entered_at{};
    TimePoint deadline{};
};

struct LedgerFacts {
    std::optional<TimePoint> newest_record;  // for DENY_CLOCK_BEHIND
    std::optional<bool> plate_resident;      // registered car: true resident, false blocked; none = unknown
    std::optional<TokenPayload> token;       // verified token
    std::optional<TokenError> token_error;   // the token failed to verify
    bool token_unknown_serial = false;       // verified but never issued by this ledger
    std::optional<VoucherFacts> voucher;     // the voucher named by the token
    std::vector<OpenVisitFacts> inside;      // cars currently inside on vouchers
};

enum class EffectKind { None, StartVisit, CloseVisit, RecordPlate };
struct Effect {
    EffectKind kind = EffectKind::None;
    std::optional<std::int64_t> visit;  // CloseVisit
    std::string plate;                  // StartVisit / CloseVisit: plate to record ("" = unread)
    bool plate_unread = false;
    TimePoint deadline{};
    std::optional<Duration> overstay;
    std::optional<double> fee;
    bool operator==(const Effect&) const = default;
};

struct Ruling {
    Decision decision;
    Effect effect;
};

// Plates as the ledger stores them: ASCII letters upper-cased; full-width forms folded; spaces, dots (incl. the
// plate's middle dot "·" and a bullet "•") and hyphens removed. "沪a·12345" -> "沪A12345". The same key as
// checkPlate()'s canonical plate (gate::plateKey in input_check.h); text that is not UTF-8 gives "".
std::string normalizePlate(std::string_view text);
// True when the plate text counts as read under the settings.
bool plateRead(const Observation& obs, const RuleSettings& settings);
// Exit matching: exact, then one character off through the common OCR confusions (0/D/Q, 8/B, 2/Z, 5/S,
// 1/I, A/4), only when exactly one candidate matches. Returns the index into `inside`.
std::optional<std::size_t> matchInside(const std::string& plate, const std::vector<OpenVisitFacts>& inside);
// Overstay of a visit that leaves (or is still inside) at `t`, counted from the deadline; none if within grace.
std::optional<Duration> overstayAt(TimePoint deadline, TimePoint t, const RuleSettings& settings);
std::optional<double> feeFor(Duration overstay, const RuleSettings& settings);

Ruling decide(const Observation& obs, const LedgerFacts& facts, const RuleSettings& settings, const SiteZone& zone,
              TimePoint now);

}  // namespace vg::gate
