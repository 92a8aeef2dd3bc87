#include "gate/rules.h"

#include <fmt/format.h>

#include <array>
#include <cmath>

#include "gate/input_check.h"

namespace vg::gate {

namespace {

using std::chrono::duration_cast;
using std::chrono::minutes;

// PRODUCT.md's exit-matching confusions. A character belongs to at most one group.
constexpr std::array<std::string_view, 6> kConfusionGroups{"0DQ", "8B", "2Z", "5S", "1I", "A4"};

bool confusable(char a, char b) {
    for (auto group : kConfusionGroups) {
        if (group.find(a) != std::string_view::npos && group.find(b) != std::string_view::npos) return true;
    }
    return false;
}

// Splits UTF-8 text into code points (as strings) so that a province character counts as one position.
std::vector<std::string> codePoints(std::string_view text) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
        len = std::min(len, text.size() - i);
        out.emplace_back(text.substr(i, len));
        i += len;
    }
    return out;
}

bool oneConfusableOff(const std::string& read, const std::string& stored) {
    const auto a = codePoints(read);
    const auto b = codePoints(stored);
    if (a.size() != b.size()) return false;
    int differences = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i] == b[i]) continue;
        if (++differences > 1) return false;
        if (a[i].size() != 1 || b[i].size() != 1 || !confusable(a[i][0], b[i][0])) return false;
    }
    return differences == 1;
}

std::string formatDuration(Duration d) {
    const auto total = duration_cast<minutes>(d).count();
    if (total < 60) return fmt::format("{} min", total);
    if (total % 60 == 0) return fmt::format("{} h", total / 60);
    return fmt::format("{} h {} min", total / 60, total % 60);
}

class Builder {
  public:
    Builder(const Observation& obs, const RuleSettings& settings, const SiteZone& zone, TimePoint now)
        : settings_(settings), zone_(zone) {
        auto& d = ruling_.decision;
        d.lane = obs.lane;
        d.direction = obs.direction;
        d.at = obs.at.value_or(now);
        read_ = plateRead(obs, settings);
        d.plate = read_ ? normalizePlate(obs.plate->text) : std::string{};
        d.plate_unread = !read_;
    }

    bool read() const { return read_; }
    const std::string& plate() const { return ruling_.decision.plate; }
    TimePoint at() const { return ruling_.decision.at; }
    Decision& decision() { return ruling_.decision; }

    Ruling finish(Reason reason, std::string message, Effect effect = {}) {
        ruling_.decision.reason = reason;
        ruling_.decision.admit = opensBarrier(reason);
        ruling_.decision.message = std::move(message);
        ruling_.effect = std::move(effect);
        return std::move(ruling_);
    }

    std::string local(TimePoint t) const { return zone_.formatLocal(t); }
    std::string plateOrUnread(const std::string& p) const { return p.empty() ? "an unread plate" : p; }

    // Read by the rule functions below as b.settings_ / b.zone_ (public, yet named like the members they are).
    const RuleSettings& settings_;  // NOLINT(readability-identifier-naming)
    const SiteZone& zone_;          // NOLINT(readability-identifier-naming)

  private:
    Ruling ruling_;
    bool read_ = false;
};

Ruling tokenFailure(Builder& b, const LedgerFacts& facts) {
    if (facts.token_error) {
        if (*facts.token_error == TokenError::RetiredKey) {
            return b.finish(Reason::DenyVoucherRevoked,
                            "this card was signed with a retired key: the committee must issue a new card");
        }
        return b.finish(Reason::DenyVoucherForged,
                        fmt::format("the card does not verify ({}): {}", toString(*facts.token_error),
                                    describe(*facts.token_error)));
    }
    return b.finish(Reason::DenyVoucherForged, "the card verifies but was never issued by this ledger");
}

// Closes (or holds) the visit the exit matched.
Ruling closeVisit(Builder& b, const OpenVisitFacts& visit, const std::string& plate_to_record) {
    auto& d = b.decision();
    d.visit = visit.id;
    d.serial = visit.serial;
    d.unit = visit.unit;
    d.deadline = visit.deadline;
    if (!plate_to_record.empty()) d.plate = plate_to_record;
    const auto overstay = overstayAt(visit.deadline, b.at(), b.settings_);
    Effect effect{.kind = EffectKind::CloseVisit,
                  .visit = visit.id,
                  .plate = plate_to_record,
                  .plate_unread = plate_to_record.empty() && visit.plate_unread};
    if (!overstay) {
        return b.finish(Reason::ReleaseVisit,
                        fmt::format("visit {} of unit {} ends within its limit (deadline {})", visit.id, visit.unit,
                                    b.local(visit.deadline)),
                        effect);
    }
    d.overstay = overstay;
    d.fee = feeFor(*overstay, b.settings_);
    if (b.settings_.overstay_exit == OnError::Hold) {
        return b.finish(Reason::HoldOverstay,
                        fmt::format("visit {} of unit {} overstayed by {} (deadline {}): waiting for the guard",
                                    visit.id, visit.unit, formatDuration(*overstay), b.local(visit.deadline)));
    }
    effect.overstay = overstay;
    effect.fee = d.fee;
    return b.finish(Reason::ReleaseOverstay,
                    fmt::format("visit {} of unit {} overstayed by {} (deadline {}){}", visit.id, visit.unit,
                                formatDuration(*overstay), b.local(visit.deadline),
                                d.fee ? fmt::format(", fee owed {:.2f} yuan", *d.fee) : std::string{}),
                    effect);
}

Ruling decideEntry(Builder& b, const Observation& obs, const LedgerFacts& facts, TimePoint now) {
    const auto& settings = b.settings_;
    auto& d = b.decision();
    if (facts.newest_record && now < *facts.newest_record) {
        return b.finish(Reason::DenyClockBehind,
                        fmt::format("the clock reads {}, earlier than the newest ledger record ({}): the gate "
                                    "admits nobody until the clock is set right (check NTP or the RTC battery)",
                                    b.local(now), b.local(*facts.newest_record)));
    }
    if (b.read() && facts.plate_resident) {
        if (!*facts.plate_resident) return b.finish(Reason::DenyBlocked, fmt::format("{} is blocked", b.plate()));
        return b.finish(Reason::AdmitResident, fmt::format("{} is a registered resident car", b.plate()));
    }
    if (!obs.token) {
        return b.finish(Reason::DenyNeedVoucher,
                        b.read() ? fmt::format("{} is not registered: show a voucher card", b.plate())
                                 : std::string{"no plate read and no voucher shown: show a voucher card"});
    }
    if (!facts.token || facts.token_unknown_serial || !facts.voucher) return tokenFailure(b, facts);
    const auto& v = *facts.voucher;
    d.serial = v.serial;
    d.unit = v.unit;
    if (facts.token->month != v.month) {
        return b.finish(Reason::DenyVoucherForged,
                        fmt::format("voucher {} is for {} in the ledger but the card says {}", v.serial, v.month.str(),
                                    facts.token->month.str()));
    }
    if (v.visit_id) {
        const bool open = !v.visit_exited_at.has_value();
        const bool same_car = b.read() ? (!v.visit_plate_unread && v.visit_plate == b.plate()) : v.visit_plate_unread;
        if (open && same_car && v.visit_entered_at && b.at() >= *v.visit_entered_at &&
            b.at() - *v.visit_entered_at <= settings.readmit_window) {
            d.visit = v.visit_id;
            d.deadline = v.visit_deadline;
            return b.finish(Reason::AdmitRepeat,
                            fmt::format("voucher {} admitted {} at {}; the car did not get through: opening again, "
                                        "no new visit",
                                        v.serial, b.plateOrUnread(v.visit_plate), b.local(*v.visit_entered_at)));
        }
        d.first_used_at = v.visit_entered_at;
        d.first_used_plate = v.visit_plate;
        return b.finish(Reason::DenyVoucherUsed,
                        fmt::format("already used at {} by {}",
                                    v.visit_entered_at ? b.local(*v.visit_entered_at) : std::string{"?"},
                                    b.plateOrUnread(v.visit_plate)));
    }
    if (v.revoked || v.household_removed) {
        return b.finish(Reason::DenyVoucherRevoked, v.replaced
                                                        ? fmt::format("voucher {} was replaced by a new card", v.serial)
                                                        : fmt::format("voucher {} was revoked", v.serial));
    }
    const TimePoint valid_from = b.zone_.monthStart(v.month);
    const TimePoint valid_until = b.zone_.monthEnd(v.month) + std::chrono::hours(24) * settings.grace_days;
    if (b.at() < valid_from) {
        return b.finish(Reason::DenyVoucherNotYetValid, fmt::format("voucher {} is for {}: valid from {}", v.serial,
                                                                    v.month.str(), b.local(valid_from)));
    }
    if (b.at() >= valid_until) {
        return b.finish(Reason::DenyVoucherExpired,
                        fmt::format("voucher {} was valid until {}", v.serial, b.local(valid_until)));
    }
    if (b.read()) {
        for (const auto& inside : facts.inside) {
            if (inside.plate == b.plate()) {
                return b.finish(Reason::DenyAlreadyInside,
                                fmt::format("{} is already inside on voucher {} since {}: one voucher per visit, "
                                            "vouchers cannot be stacked",
                                            b.plate(), inside.serial, b.local(inside.entered_at)));
            }
        }
    }
    const TimePoint deadline = b.at() + settings.stay_max;
    if (!b.read()) {
        const bool vehicle = obs.presence == Presence::Present;
        switch (settings.unread_plate) {
            case UnreadPlatePolicy::Guard:
                return b.finish(
                    Reason::HoldPlateUnread,
                    fmt::format("voucher {} is valid but no plate was read: waiting for the guard", v.serial));
            case UnreadPlatePolicy::Presence:
                if (vehicle) {
                    d.deadline = deadline;
                    return b.finish(Reason::AdmitVoucherPlateUnread,
                                    fmt::format("voucher {} of unit {}: plate unread, vehicle present; leave by {}",
                                                v.serial, v.unit, b.local(deadline)),
                                    Effect{.kind = EffectKind::StartVisit, .plate_unread = true, .deadline = deadline});
                }
                return b.finish(Reason::DenyPlateUnread, "no plate was read and the loop detector sees no vehicle");
            case UnreadPlatePolicy::Never:
                return b.finish(Reason::DenyPlateUnread, "no plate was read (lanes.unread_plate = \"never\")");
        }
    }
    d.deadline = deadline;
    return b.finish(
        Reason::AdmitVoucher,
        fmt::format("voucher {} of unit {} admits {}; leave by {}", v.serial, v.unit, b.plate(), b.local(deadline)),
        Effect{.kind = EffectKind::StartVisit, .plate = b.plate(), .deadline = deadline});
}

Ruling decideExit(Builder& b, const Observation& obs, const LedgerFacts& facts, TimePoint now) {
    const auto& settings = b.settings_;
    if (facts.newest_record && now < *facts.newest_record) {
        const auto reason = settings.exit_on_error == OnError::Open ? Reason::ReleaseOnError : Reason::HoldOnError;
        return b.finish(reason, fmt::format("the clock reads {}, earlier than the newest ledger record ({}): exit "
                                            "not recorded against a visit; set the clock",
                                            b.local(now), b.local(*facts.newest_record)));
    }
    // The card's own open visit, when the card verifies (rule 14).
    const OpenVisitFacts* card_visit = nullptr;
    if (facts.token && facts.voucher && facts.voucher->visit_id && !facts.voucher->visit_exited_at) {
        for (const auto& v : facts.inside) {
            if (v.id == *facts.voucher->visit_id) card_visit = &v;
        }
    }
    if (b.read()) {
        if (const auto idx = matchInside(b.plate(), facts.inside)) {
            const auto& visit = facts.inside[*idx];
            // A one-character match keeps the stored plate; the read is in the audit row.
            return closeVisit(b, visit, visit.plate_unread ? b.plate() : std::string{});
        }
        if (facts.plate_resident) {
            if (!*facts.plate_resident) return b.finish(Reason::DenyBlocked, fmt::format("{} is blocked", b.plate()));
            return b.finish(Reason::ReleaseResident, fmt::format("{} is a registered resident car", b.plate()));
        }
        if (card_visit && card_visit->plate_unread) return closeVisit(b, *card_visit, b.plate());
        // Another car carrying a card whose own car is still inside: this car goes (rule 7), the visit stays open
        // (rule 14), and the guard reading the decision should know about the card.
        return b.finish(Reason::ReleaseUnmatched,
                        fmt::format("{} matches no car inside on a voucher and is not registered{}", b.plate(),
                                    card_visit ? fmt::format(" (it showed the card of visit {}, whose car {} stays "
                                                             "inside: EXIT_QR_MISMATCH)",
                                                             card_visit->id, card_visit->plate)
                                               : std::string{}));
    }
    const bool vehicle = obs.presence == Presence::Present;
    if (card_visit) {
        if (card_visit->plate_unread && vehicle) return closeVisit(b, *card_visit, {});
        b.decision().visit = card_visit->id;
        b.decision().serial = card_visit->serial;
        return b.finish(
            Reason::ExitQrMismatch,
            card_visit->plate_unread
                ? fmt::format("card of visit {} shown but no vehicle at the exit: visit stays open", card_visit->id)
                : fmt::format("card of visit {} shown but its car {} was not read: visit stays open", card_visit->id,
                              card_visit->plate));
    }
    if (obs.token) {
        return b.finish(Reason::ExitQrMismatch, "a card was shown at the exit but it belongs to no car inside");
    }
    // Rule 6: the exit never traps a car. A plate seen below min_plate_confidence is a car whose plate could not
    // be read, unless the loop says nobody is there.
    const bool plate_seen = obs.plate && !normalizePlate(obs.plate->text).empty();
    if (vehicle || (plate_seen && obs.presence != Presence::Absent)) {
        return b.finish(Reason::ReleaseUnmatched, "a vehicle at the exit whose plate could not be read");
    }
    return b.finish(Reason::DenyPlateUnread, "nothing to decide on: no plate, no card, no vehicle detected");
}

}  // namespace

std::string normalizePlate(std::string_view text) { return plateKey(text); }

bool plateRead(const Observation& obs, const RuleSettings& settings) {
    return obs.plate && !normalizePlate(obs.plate->text).empty() &&
           obs.plate->confidence >= settings.min_plate_confidence;
}

std::optional<std::size_t> matchInside(const std::string& plate, const std::vector<OpenVisitFacts>& inside) {
    for (std::size_t i = 0; i < inside.size(); ++i) {
        if (!inside[i].plate.empty() && inside[i].plate == plate) return i;
    }
    std::optional<std::size_t> found;
    for (std::size_t i = 0; i < inside.size(); ++i) {
        if (inside[i].plate.empty() || !oneConfusableOff(plate, inside[i].plate)) continue;
        if (found) return std::nullopt;  // two candidates: never guess
        found = i;
    }
    return found;
}

std::optional<Duration> overstayAt(TimePoint deadline, TimePoint t, const RuleSettings& settings) {
    if (t <= deadline + settings.stay_grace) return std::nullopt;
    return t - deadline;
}

std::optional<double> feeFor(Duration overstay, const RuleSettings& settings) {
    if (settings.overstay_fee_per_hour <= 0) return std::nullopt;
    const auto hour = std::chrono::duration_cast<Duration>(std::chrono::hours(1)).count();
    const auto started_hours = (overstay.count() + hour - 1) / hour;
    return static_cast<double>(started_hours) * settings.overstay_fee_per_hour;
}

Ruling decide(const Observation& obs, const LedgerFacts& facts, const RuleSettings& settings, const SiteZone& zone,
              TimePoint now) {
    Builder b(obs, settings, zone, now);
    if (obs.direction == Direction::Entry) return decideEntry(b, obs, facts, now);
    return decideExit(b, obs, facts, now);
}

}  // namespace vg::gate
