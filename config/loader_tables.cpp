// The tables of voucher-gate.toml read into Settings: no unknown top-level table, then [site], [vouchers],
// [stay], [database], [audit], [http], [log], [control], the [lanes] defaults and each [[lane]] with its relay,
// presence and announcer tables, and the checks that span keys (relay.max_hold, unique lane names, a presence
// input for unread_plate = "presence").
#include <algorithm>
#include <map>
#include <regex>

#include "config/loader_internal.h"

namespace vg::config::loader_detail {

LaneDefaults readLaneLevel(const Section& s, const LaneDefaults* base) {
    LaneDefaults d;
    auto pick = [&](std::string_view leaf, auto convert, const auto& fallback) {
        return base ? s.getOr(leaf, convert, fallback) : s.get(leaf, convert);
    };
    const LaneDefaults b = base ? *base : LaneDefaults{};
    d.pair_window = pick("pair_window", asDuration, b.pair_window);
    d.repeat_window = pick("repeat_window", asDuration, b.repeat_window);
    d.readmit_window = pick("readmit_window", asDuration, b.readmit_window);
    d.plate_timeout = pick("plate_timeout", asDuration, b.plate_timeout);
    d.unread_plate = enumFrom(pick("unread_plate", asChoice, std::string(toString(b.unread_plate))),
                              {UnreadPlate::Guard, UnreadPlate::Presence, UnreadPlate::Never});
    d.min_plate_confidence = pick("min_plate_confidence", asNumber, b.min_plate_confidence);
    d.exit_on_error = enumFrom(pick("exit_on_error", asChoice, std::string(toString(b.exit_on_error))),
                               {ExitOnError::Open, ExitOnError::Hold});
    d.camera_stall_after = pick("camera_stall_after", asDuration, b.camera_stall_after);
    d.tailgate_gap = pick("tailgate_gap", asDuration, b.tailgate_gap);
    return d;
}

RelaySettings readRelay(const Ctx& ctx, const toml::table& laneTable, const std::string& lanePrefix,
                        const toml::source_region& laneWhere) {
    const std::string shownPrefix = lanePrefix + ".relay";
    const toml::table* t = subTable(ctx, laneTable, "relay", shownPrefix);
    if (!t) {
        fail(ctx, shownPrefix, laneWhere,
             "missing; every lane needs a [lane.relay] table with a driver (\"sim\", \"gpio\", "
             "\"modbus-tcp\", "
             "\"modbus-rtu\" or \"serial\")");
    }
    Section s(ctx, t, "lane.relay", shownPrefix, t->source());
    const std::string driverName = s.get("driver", asChoice);
    s.checkKeys(leavesOf("lane.relay", driverName), driverName);
    RelaySettings r;
    r.driver = enumFrom(driverName, {RelayDriver::Sim, RelayDriver::Gpio, RelayDriver::ModbusTcp,
                                     RelayDriver::ModbusRtu, RelayDriver::Serial});
    r.pulse = s.get("pulse", asDuration);
    r.max_hold = s.get("max_hold", asDuration);
    if (r.max_hold < r.pulse) {
        fail(ctx, s.shown("max_hold"), s.node("max_hold") ? s.node("max_hold")->source() : t->source(),
             maxHoldShorterThanPulse(r.pulse));
    }
    // A driver's required keys are required only for that driver; defaults apply whatever the driver.
    auto req = [&](std::string_view leaf) { return acceptsDriver(s.doc(leaf), driverName); };
    if (req("file")) r.file = s.get("file", asPath);
    r.chip = s.get("chip", asString);
    if (req("line")) r.line = s.get("line", asInt);
    r.active_low = s.get("active_low", asBool);
    if (req("host")) r.host = s.get("host", asString);
    if (req("host") && r.host.empty()) fail(ctx, s.shown("host"), s.node("host")->source(), "must not be empty");
    r.port = s.get("port", asInt);
    if (req("device")) r.device = s.get("device", asPath).string();
    r.baud = s.get("baud", asInt);
    r.parity = s.get("parity", asChoice);
    r.unit = s.get("unit", asInt);
    r.coil = s.get("coil", asInt);
    r.timeout = s.get("timeout", asDuration);
    r.channel = s.get("channel", asInt);
    r.opened_input = s.optional("opened_input", asInt);
    r.opened_within = s.get("opened_within", asDuration);
    return r;
}

std::optional<PresenceSettings> readPresence(const Ctx& ctx, const toml::table& laneTable,
                                             const std::string& lanePrefix) {
    const std::string shownPrefix = lanePrefix + ".presence";
    const toml::table* t = subTable(ctx, laneTable, "presence", shownPrefix);
    if (!t) return std::nullopt;
    Section s(ctx, t, "lane.presence", shownPrefix, t->source());
    const std::string driverName = s.get("driver", asChoice);
    s.checkKeys(leavesOf("lane.presence", driverName), driverName);
    PresenceSettings p;
    p.driver = enumFrom(driverName, {PresenceDriver::Sim, PresenceDriver::Gpio});
    if (p.driver == PresenceDriver::Sim) p.file = s.get("file", asPath);
    p.chip = s.get("chip", asString);
    if (p.driver == PresenceDriver::Gpio) p.line = s.get("line", asInt);
    p.active_low = s.get("active_low", asBool);
    return p;
}

std::optional<AnnouncerSettings> readAnnouncer(const Ctx& ctx, const toml::table& laneTable,
                                               const std::string& lanePrefix) {
    const std::string shownPrefix = lanePrefix + ".announcer";
    const toml::table* t = subTable(ctx, laneTable, "announcer", shownPrefix);
    if (!t) return std::nullopt;
    Section s(ctx, t, "lane.announcer", shownPrefix, t->source());
    const std::string driverName = s.get("driver", asChoice);
    s.checkKeys(leavesOf("lane.announcer", driverName), driverName);
    AnnouncerSettings a;
    a.driver = enumFrom(driverName, {AnnouncerDriver::Log, AnnouncerDriver::Tts});
    a.voice = s.get("voice", asString);
    if (a.driver == AnnouncerDriver::Tts && a.voice.empty()) {
        fail(ctx, s.shown("voice"), s.node("voice")->source(), "must not be empty (e.g. \"cmn\")");
    }
    return a;
}

std::vector<LaneSettings> readLanes(const Ctx& ctx, const toml::table& root, const LaneDefaults& defaults) {
    std::vector<LaneSettings> lanes;
    const toml::node* n = root.get("lane");
    if (!n) return lanes;
    const toml::array* arr = n->as_array();
    if (!arr || !arr->is_array_of_tables()) {
        fail(ctx, "lane", n->source(),
             fmt::format("expected [[lane]] tables (an array of tables), got {}; write each lane as [[lane]]",
                         typeName(*n)));
    }
    std::vector<std::string> allowed = leavesOf("lane");
    for (auto& l : leavesOf("lanes")) allowed.push_back(l);
    std::map<std::string, int> nameLines;

    int index = 0;
    for (const toml::node& laneNode : *arr) {
        ++index;
        const toml::table& t = *laneNode.as_table();
        // Name the lane in keys as soon as its name is known: "lane[entry-1].relay.pulse".
        std::string prefix = fmt::format("lane[#{}]", index);
        Section s(ctx, &t, "lane", prefix, t.source());
        LaneSettings lane;
        lane.name = s.get("name", asLaneName);
        prefix = fmt::format("lane[{}]", lane.name);
        s = Section(ctx, &t, "lane", prefix, t.source());
        if (auto [it, inserted] = nameLines.emplace(lane.name, s.node("name")->source().begin.line); !inserted) {
            fail(ctx, s.shown("name"), s.node("name")->source(),
                 fmt::format("{} is already the name of the lane at line {}; lane names must be unique",
                             inQuotes(lane.name), it->second));
        }
        s.checkKeys(allowed);
        lane.direction = enumFrom(s.get("direction", asChoice), {Direction::Entry, Direction::Exit});
        lane.plate_camera = s.get("plate_camera", asCamera);
        lane.card_camera = s.optional("card_camera", asCamera).value_or(lane.plate_camera);
        lane.camera_fps = s.optional("camera_fps", asNumber);
        lane.camera_loop = s.get("camera_loop", asBool);
        lane.roi = s.optional("roi", asRoi);
        lane.dry_run = s.get("dry_run", asBool);
        static_cast<LaneDefaults&>(lane) = readLaneLevel(s, &defaults);
        lane.relay = readRelay(ctx, t, prefix, t.source());
        lane.presence = readPresence(ctx, t, prefix);
        lane.announcer = readAnnouncer(ctx, t, prefix);
        if (lane.direction == Direction::Entry && lane.unread_plate == UnreadPlate::Presence && !lane.presence) {
            const toml::node* where = s.node("unread_plate");
            fail(ctx, s.shown("unread_plate"), where ? where->source() : t.source(),
                 std::string(presenceInputNeeded()));
        }
        lanes.push_back(std::move(lane));
    }
    return lanes;
}

Settings parseSettings(const Ctx& ctx, const toml::table& root) {
    const std::vector<std::string> sections = {"site", "vouchers", "stay",    "database", "audit", "http",
                                               "web",  "log",      "control", "lanes",    "lane"};
    for (auto&& [key, value] : root) {
        const std::string_view k = key.str();
        if (std::ranges::find(sections, k) != sections.end()) continue;
        std::string hint;
        if (auto near = closest(k, sections); !near.empty()) {
            hint = fmt::format(" (did you mean [{}]?)", near);
        } else {
            for (const KeyDoc& d : keyTable()) {
                const std::string_view dk = d.key;
                if (dk.substr(dk.rfind('.') + 1) == k) {
                    hint = fmt::format(" ({} belongs in [{}])", k, dk.substr(0, dk.rfind('.')));
                    break;
                }
            }
        }
        fail(ctx, std::string(k), key.source(), fmt::format("unknown key{}", hint));
    }

    Settings out;
    {
        Section s = topSection(ctx, root, "site");
        out.site.name = s.get("name", asString);
        out.site.phone = s.get("phone", asString);
        out.site.timezone = s.get("timezone", asTimeZone);
        out.site.unit_pattern = s.get("unit_pattern", asPattern);
        out.site.phone_pattern = s.get("phone_pattern", asPattern);
        // The office's number is printed on every card and shown on the pages: the estate's own phone pattern,
        // which every resident's number must match, applies to it too.
        if (!out.site.phone.empty() &&
            !std::regex_match(out.site.phone, std::regex(out.site.phone_pattern, std::regex::ECMAScript))) {
            fail(ctx, s.shown("phone"), s.node("phone")->source(),
                 fmt::format("\"{}\" is not a phone number by site.phone_pattern {}", out.site.phone,
                             out.site.phone_pattern));
        }
    }
    {
        Section s = topSection(ctx, root, "vouchers");
        out.vouchers.per_month = s.get("per_month", asInt);
        out.vouchers.eligible_categories = s.get("eligible_categories", asStringList);
        out.vouchers.grace_days = s.get("grace_days", asInt);
        out.vouchers.key_file = s.get("key_file", asPath);
    }
    {
        Section s = topSection(ctx, root, "stay");
        out.stay.max = s.get("max", asDuration);
        out.stay.grace = s.get("grace", asDuration);
        out.stay.overstay_exit = enumFrom(s.get("overstay_exit", asChoice), {OverstayExit::Open, OverstayExit::Hold});
        out.stay.overstay_fee_per_hour = s.get("overstay_fee_per_hour", asNumber);
        out.stay.sweep_every = s.get("sweep_every", asDuration);
    }
    {
        Section s = topSection(ctx, root, "database");
        out.database.path = s.get("path", asPath);
        out.database.retention_days = s.get("retention_days", asInt);
        out.database.evidence_days = s.get("evidence_days", asInt);
        out.database.busy_timeout = s.get("busy_timeout", asDuration);
        out.database.spool_path = s.get("spool_path", asPath);
    }
    out.audit.key_file = topSection(ctx, root, "audit").get("key_file", asPath);
    out.http.listen = topSection(ctx, root, "http").get("listen", asListen);
    {
        Section s = topSection(ctx, root, "web");
        out.web.listen = s.get("listen", asListen);
        out.web.session_idle = s.get("session_idle", asDuration);
    }
    out.log.plates = topSection(ctx, root, "log").get("plates", asBool);
    out.control.socket = topSection(ctx, root, "control").get("socket", asPath);
    out.lanes = readLaneLevel(topSection(ctx, root, "lanes"), nullptr);
    out.lane = readLanes(ctx, root, out.lanes);
    return out;
}

}  // namespace vg::config::loader_detail
