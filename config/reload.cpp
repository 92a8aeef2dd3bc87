// planReload(): the key table's `reloads` flag applied to two Settings. Each key of the table has one entry
// here that compares and copies its field; lanes.* keys have two, the [lanes] value and each lane's effective
// value (LaneSettings inherits LaneDefaults). Sub-keys of an optional table (lane.presence.*, lane.announcer.*)
// are compared only when both settings have the table; the table key itself covers it appearing or going.
#include "config/reload.h"

#include <functional>
#include <stdexcept>

#include "config/config_loader.h"
#include "config/keys.h"

namespace vg::config {

namespace {

template <class S>
struct Field {
    std::string_view key;
    std::function<bool(const S&, const S&)> differs;
    std::function<void(S& to, const S& from)> keep;
};

// A field reached by get(s) -> T& (a generic lambda, so it serves const and non-const settings alike).
template <class S, class Get>
Field<S> field(std::string_view key, Get get) {
    return {key, [get](const S& a, const S& b) { return get(a) != get(b); },
            [get](S& to, const S& from) { get(to) = get(from); }};
}

// A field of an optional sub-table: only compared and copied when both sides have the table.
template <class S, class Table, class Get>
Field<S> inTable(std::string_view key, Table table, Get get) {
    return {key,
            [table, get](const S& a, const S& b) {
                return (a.*table).has_value() && (b.*table).has_value() && get(*(a.*table)) != get(*(b.*table));
            },
            [table, get](S& to, const S& from) {
                if ((to.*table).has_value() && (from.*table).has_value()) get(*(to.*table)) = get(*(from.*table));
            }};
}

// The optional table itself: present in one, absent in the other.
template <class S, class Table>
Field<S> optionalTable(std::string_view key, Table table) {
    return {key, [table](const S& a, const S& b) { return (a.*table).has_value() != (b.*table).has_value(); },
            [table](S& to, const S& from) { to.*table = from.*table; }};
}

// A key with no value of its own (lane.name identifies the lane, lane.relay is the table of its keys).
template <class S>
Field<S> noValue(std::string_view key) {
    return {key, [](const S&, const S&) { return false; }, [](S&, const S&) {}};
}

struct Fields {
    std::vector<Field<Settings>> settings;  // site.*, vouchers.*, ..., lanes.*
    std::vector<Field<LaneSettings>> lane;  // lane.* and each lane's effective lanes.*
};

template <class Get>
void laneLevel(Fields& f, std::string_view key, Get get) {
    f.settings.push_back(field<Settings>(
        key, [get](auto& s) -> auto& { return get(s.lanes); }));
    f.lane.push_back(field<LaneSettings>(key, get));
}

Fields makeFields() {
    Fields f;
    auto& s = f.settings;
    s.push_back(field<Settings>(
        "site.name", [](auto& x) -> auto& { return x.site.name; }));
    s.push_back(field<Settings>(
        "site.phone", [](auto& x) -> auto& { return x.site.phone; }));
    s.push_back(field<Settings>(
        "site.timezone", [](auto& x) -> auto& { return x.site.timezone; }));
    s.push_back(field<Settings>(
        "site.unit_pattern", [](auto& x) -> auto& { return x.site.unit_pattern; }));
    s.push_back(field<Settings>(
        "site.phone_pattern", [](auto& x) -> auto& { return x.site.phone_pattern; }));
    s.push_back(field<Settings>(
        "vouchers.per_month", [](auto& x) -> auto& { return x.vouchers.per_month; }));
    s.push_back(field<Settings>(
        "vouchers.eligible_categories", [](auto& x) -> auto& { return x.vouchers.eligible_categories; }));
    s.push_back(field<Settings>(
        "vouchers.grace_days", [](auto& x) -> auto& { return x.vouchers.grace_days; }));
    s.push_back(field<Settings>(
        "vouchers.key_file", [](auto& x) -> auto& { return x.vouchers.key_file; }));
    s.push_back(field<Settings>(
        "stay.max", [](auto& x) -> auto& { return x.stay.max; }));
    s.push_back(field<Settings>(
        "stay.grace", [](auto& x) -> auto& { return x.stay.grace; }));
    s.push_back(field<Settings>(
        "stay.overstay_exit", [](auto& x) -> auto& { return x.stay.overstay_exit; }));
    s.push_back(field<Settings>(
        "stay.overstay_fee_per_hour", [](auto& x) -> auto& { return x.stay.overstay_fee_per_hour; }));
    s.push_back(field<Settings>(
        "stay.sweep_every", [](auto& x) -> auto& { return x.stay.sweep_every; }));
    s.push_back(field<Settings>(
        "database.path", [](auto& x) -> auto& { return x.database.path; }));
    s.push_back(field<Settings>(
        "database.retention_days", [](auto& x) -> auto& { return x.database.retention_days; }));
    s.push_back(field<Settings>(
        "database.evidence_days", [](auto& x) -> auto& { return x.database.evidence_days; }));
    s.push_back(field<Settings>(
        "database.busy_timeout", [](auto& x) -> auto& { return x.database.busy_timeout; }));
    s.push_back(field<Settings>(
        "database.spool_path", [](auto& x) -> auto& { return x.database.spool_path; }));
    s.push_back(field<Settings>(
        "audit.key_file", [](auto& x) -> auto& { return x.audit.key_file; }));
    s.push_back(field<Settings>(
        "http.listen", [](auto& x) -> auto& { return x.http.listen; }));
    s.push_back(field<Settings>(
        "web.listen", [](auto& x) -> auto& { return x.web.listen; }));
    s.push_back(field<Settings>(
        "web.session_idle", [](auto& x) -> auto& { return x.web.session_idle; }));
    s.push_back(field<Settings>(
        "control.socket", [](auto& x) -> auto& { return x.control.socket; }));
    s.push_back(field<Settings>(
        "log.plates", [](auto& x) -> auto& { return x.log.plates; }));

    laneLevel(
        f, "lanes.pair_window", [](auto& x) -> auto& { return x.pair_window; });
    laneLevel(
        f, "lanes.repeat_window", [](auto& x) -> auto& { return x.repeat_window; });
    laneLevel(
        f, "lanes.readmit_window", [](auto& x) -> auto& { return x.readmit_window; });
    laneLevel(
        f, "lanes.plate_timeout", [](auto& x) -> auto& { return x.plate_timeout; });
    laneLevel(
        f, "lanes.unread_plate", [](auto& x) -> auto& { return x.unread_plate; });
    laneLevel(
        f, "lanes.min_plate_confidence", [](auto& x) -> auto& { return x.min_plate_confidence; });
    laneLevel(
        f, "lanes.exit_on_error", [](auto& x) -> auto& { return x.exit_on_error; });
    laneLevel(
        f, "lanes.camera_stall_after", [](auto& x) -> auto& { return x.camera_stall_after; });
    laneLevel(
        f, "lanes.tailgate_gap", [](auto& x) -> auto& { return x.tailgate_gap; });

    using L = LaneSettings;
    auto& l = f.lane;
    l.push_back(noValue<L>("lane.name"));  // lanes are matched by name
    l.push_back(field<L>(
        "lane.direction", [](auto& x) -> auto& { return x.direction; }));
    l.push_back(field<L>(
        "lane.plate_camera", [](auto& x) -> auto& { return x.plate_camera; }));
    l.push_back(field<L>(
        "lane.card_camera", [](auto& x) -> auto& { return x.card_camera; }));
    l.push_back(field<L>(
        "lane.camera_fps", [](auto& x) -> auto& { return x.camera_fps; }));
    l.push_back(field<L>(
        "lane.camera_loop", [](auto& x) -> auto& { return x.camera_loop; }));
    l.push_back(field<L>(
        "lane.roi", [](auto& x) -> auto& { return x.roi; }));
    l.push_back(field<L>(
        "lane.dry_run", [](auto& x) -> auto& { return x.dry_run; }));
    l.push_back(noValue<L>("lane.relay"));  // required, so never appears or goes; its keys follow
    l.push_back(field<L>(
        "lane.relay.driver", [](auto& x) -> auto& { return x.relay.driver; }));
    l.push_back(field<L>(
        "lane.relay.pulse", [](auto& x) -> auto& { return x.relay.pulse; }));
    l.push_back(field<L>(
        "lane.relay.max_hold", [](auto& x) -> auto& { return x.relay.max_hold; }));
    l.push_back(field<L>(
        "lane.relay.file", [](auto& x) -> auto& { return x.relay.file; }));
    l.push_back(field<L>(
        "lane.relay.chip", [](auto& x) -> auto& { return x.relay.chip; }));
    l.push_back(field<L>(
        "lane.relay.line", [](auto& x) -> auto& { return x.relay.line; }));
    l.push_back(field<L>(
        "lane.relay.active_low", [](auto& x) -> auto& { return x.relay.active_low; }));
    l.push_back(field<L>(
        "lane.relay.host", [](auto& x) -> auto& { return x.relay.host; }));
    l.push_back(field<L>(
        "lane.relay.port", [](auto& x) -> auto& { return x.relay.port; }));
    l.push_back(field<L>(
        "lane.relay.device", [](auto& x) -> auto& { return x.relay.device; }));
    l.push_back(field<L>(
        "lane.relay.baud", [](auto& x) -> auto& { return x.relay.baud; }));
    l.push_back(field<L>(
        "lane.relay.parity", [](auto& x) -> auto& { return x.relay.parity; }));
    l.push_back(field<L>(
        "lane.relay.unit", [](auto& x) -> auto& { return x.relay.unit; }));
    l.push_back(field<L>(
        "lane.relay.coil", [](auto& x) -> auto& { return x.relay.coil; }));
    l.push_back(field<L>(
        "lane.relay.timeout", [](auto& x) -> auto& { return x.relay.timeout; }));
    l.push_back(field<L>(
        "lane.relay.channel", [](auto& x) -> auto& { return x.relay.channel; }));
    l.push_back(field<L>(
        "lane.relay.opened_input", [](auto& x) -> auto& { return x.relay.opened_input; }));
    l.push_back(field<L>(
        "lane.relay.opened_within", [](auto& x) -> auto& { return x.relay.opened_within; }));
    l.push_back(optionalTable<L>("lane.presence", &L::presence));
    l.push_back(inTable<L>(
        "lane.presence.driver", &L::presence, [](auto& x) -> auto& { return x.driver; }));
    l.push_back(inTable<L>(
        "lane.presence.file", &L::presence, [](auto& x) -> auto& { return x.file; }));
    l.push_back(inTable<L>(
        "lane.presence.chip", &L::presence, [](auto& x) -> auto& { return x.chip; }));
    l.push_back(inTable<L>(
        "lane.presence.line", &L::presence, [](auto& x) -> auto& { return x.line; }));
    l.push_back(inTable<L>(
        "lane.presence.active_low", &L::presence, [](auto& x) -> auto& { return x.active_low; }));
    l.push_back(optionalTable<L>("lane.announcer", &L::announcer));
    l.push_back(inTable<L>(
        "lane.announcer.driver", &L::announcer, [](auto& x) -> auto& { return x.driver; }));
    l.push_back(inTable<L>(
        "lane.announcer.voice", &L::announcer, [](auto& x) -> auto& { return x.voice; }));
    return f;
}

const Fields& fields() {
    static const Fields f = makeFields();
    return f;
}

template <class S>
const Field<S>* find(const std::vector<Field<S>>& list, std::string_view key) {
    for (const auto& f : list) {
        if (f.key == key) return &f;
    }
    return nullptr;
}

const LaneSettings* laneNamed(const Settings& s, const std::string& name) {
    for (const auto& l : s.lane) {
        if (l.name == name) return &l;
    }
    return nullptr;
}

[[noreturn]] void unknownKey(std::string_view key) {
    throw std::logic_error("config/reload.cpp has no field for the key table's \"" + std::string(key) + "\"");
}

}  // namespace

bool reloadKnows(std::string_view key) {
    if (key.starts_with("lane.")) return find(fields().lane, key) != nullptr;
    if (key.starts_with("lanes.")) return find(fields().settings, key) && find(fields().lane, key);
    return find(fields().settings, key) != nullptr;
}

ReloadPlan planReload(const Settings& running, const Settings& next) {
    ReloadPlan plan{next, {}, {}};
    for (const KeyDoc& k : keyTable()) {
        if (!reloadKnows(k.key)) unknownKey(k.key);
        if (k.reloads || k.key.starts_with("lane.")) continue;
        const auto* f = find(fields().settings, k.key);
        if (f->differs(running, next)) {
            plan.restart.emplace_back(k.key);
            f->keep(plan.applied, running);
        }
    }
    // The set of lanes needs a restart: the running lanes stay, each taking its live keys from the file.
    plan.applied.lane = running.lane;
    for (auto& lane : plan.applied.lane) {
        const std::string name = "lane[" + lane.name + "]";
        const LaneSettings* n = laneNamed(next, lane.name);
        if (n == nullptr) {
            plan.restart.push_back(name + " (removed)");
            continue;
        }
        const LaneSettings was = lane;
        lane = *n;
        for (const KeyDoc& k : keyTable()) {
            if (k.reloads || !(k.key.starts_with("lane.") || k.key.starts_with("lanes."))) continue;
            const auto* f = find(fields().lane, k.key);
            if (!f->differs(was, *n)) continue;
            f->keep(lane, was);
            // A changed [lanes] value is named once, above; a lane's own override by the lane.
            if (k.key.starts_with("lanes.") && find(fields().settings, k.key)->differs(running, next)) continue;
            plan.restart.push_back(name + "." + std::string(k.key.substr(k.key.find('.') + 1)));
        }
    }
    for (const auto& l : next.lane) {
        if (laneNamed(running, l.name) == nullptr) plan.restart.push_back("lane[" + l.name + "] (added)");
    }
    if (const auto problem = crossKeyProblem(plan.applied)) plan.refused = problem->key + ": " + problem->message;
    return plan;
}

std::string maxHoldShorterThanPulse(Duration pulse) {
    return "must be at least relay.pulse (" + formatDuration(pulse) + ")";
}

std::string_view presenceInputNeeded() {
    return "\"presence\" needs a [lane.presence] table on this entry lane (or set unread_plate = \"guard\")";
}

std::optional<CrossKeyProblem> crossKeyProblem(const Settings& s) {
    for (const auto& lane : s.lane) {
        const std::string prefix = "lane[" + lane.name + "]";
        if (lane.relay.max_hold < lane.relay.pulse) {
            return CrossKeyProblem{prefix + ".relay.max_hold", maxHoldShorterThanPulse(lane.relay.pulse)};
        }
        if (lane.direction == Direction::Entry && lane.unread_plate == UnreadPlate::Presence && !lane.presence) {
            return CrossKeyProblem{prefix + ".unread_plate", std::string(presenceInputNeeded())};
        }
    }
    return std::nullopt;
}

std::vector<std::string> restartRequiredChanges(const Settings& old, const Settings& next) {
    return planReload(old, next).restart;
}

}  // namespace vg::config
