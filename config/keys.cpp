// The key table and the two documents rendered from it. Editing a default, range or text here changes the
// loader, docs/configuration.md and config/voucher-gate.example.toml together; the tests in tests/config fail
// until the committed files are regenerated (build/config/vg-config-docs --write .).
#include "config/keys.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

namespace vg::config {
namespace {

using enum KeyType;

constexpr bool kLive = true;
constexpr bool kRestart = false;

// Order matters: it is the order of the documents. Lane keys follow the [lanes] keys they may override.
constexpr std::array kKeys{
    KeyDoc{"site.name", R"("")", String, "", kLive,
           "The estate's name (UTF-8, e.g. \"春光苑\"), printed on cards and pages."},
    KeyDoc{"site.phone", R"("")", String, "", kLive,
           "The management office's phone number (e.g. \"021-62345678\"), printed on cards and the console's pages "
           "so that a visitor knows whom to call; empty leaves it off. Must match site.phone_pattern."},
    KeyDoc{"site.timezone", R"("Asia/Shanghai")", TimeZone, "", kRestart,
           "Time zone (tz database name) for months, reports and messages; times are stored in UTC."},
    KeyDoc{"site.unit_pattern", R"('^[0-9A-Za-z]{1,6}(-[0-9A-Za-z]{1,6}){0,3}$')", Pattern, "", kLive,
           "What a unit looks like (ECMAScript regular expression, matched against the whole unit after full-width "
           "letters and digits become ASCII): `household add` and `vehicle add`/`import` refuse a unit that does not "
           "match. The default takes 12-301, 3-2-1201, A-301. It matches bytes: write Chinese text literally "
           "('^[0-9]{1,3}号楼[0-9]{3,4}$'), not inside [...]."},
    KeyDoc{"site.phone_pattern", R"('^([+]86[- ]?)?(1[3-9][0-9]{9}|(0[0-9]{2,3}-?)?[0-9]{7,8}(-[0-9]{1,6})?)$')",
           Pattern, "", kLive,
           "What a household's contact phone number looks like (ECMAScript regular expression, whole number): the "
           "default takes Chinese mobile numbers (13812345678, +86 138...) and landlines with or without area code "
           "and extension (021-62345678, 62345678-123)."},

    KeyDoc{"vouchers.per_month", "2", Integer, "1..31", kLive, "Vouchers a household may receive per calendar month."},
    KeyDoc{"vouchers.eligible_categories", R"(["living-alone", "elderly-only"])", StringList, "", kLive,
           "Household categories that may receive vouchers."},
    KeyDoc{"vouchers.grace_days", "0", Integer, "0..31", kLive,
           "Days a voucher stays valid for entry after its month ends."},
    KeyDoc{"vouchers.key_file", R"("/var/lib/voucher-gate/voucher.keys")", Path, "", kRestart,
           "Token keys (mode 0640, service user and group); created by `voucher-gate init`."},

    KeyDoc{"stay.max", R"("4h")", Period, "1m..30d", kLive,
           "Allowed stay per visit: deadline = entry time + stay.max (applies to visits that start after a reload)."},
    KeyDoc{"stay.grace", R"("15m")", Period, "0s..24h", kLive,
           "Time past the deadline before a visit counts as an overstay."},
    KeyDoc{"stay.overstay_exit", R"("open")", Choice, "open|hold", kLive,
           "What the exit does with an overstayed car: \"open\" (record it and let it out) or \"hold\" (wait for the "
           "guard)."},
    KeyDoc{"stay.overstay_fee_per_hour", "0", Number, "0..10000", kLive,
           "Yuan owed per started hour of overstay (may be fractional); 0 = no fee."},
    KeyDoc{"stay.sweep_every", R"("1m")", Period, "1s..1h", kLive,
           "How often cars still inside past their limit are marked as overstays."},

    KeyDoc{"database.path", R"("/var/lib/voucher-gate/ledger.db")", Path, "", kRestart,
           "The SQLite ledger (the CLI's --db overrides it)."},
    KeyDoc{"database.retention_days", "365", Integer, "1..3650", kLive,
           "Days plate data is kept before it is purged; monthly aggregates stay."},
    KeyDoc{"database.evidence_days", "30", Integer, "1..3650", kLive,
           "Days the frame each decision was taken on (downscaled) and its plate crop are kept under the state "
           "directory (evidence/ next to database.path); never longer than database.retention_days."},
    KeyDoc{"database.busy_timeout", R"("2s")", Period, "0s..60s", kRestart,
           "How long a writer waits for another process's lock before failing. Keep it under half of the unit's "
           "WatchdogSec (10 s with the shipped unit): a lane that waits longer counts as stalled (LANE_STALLED), "
           "and systemd restarts the daemon."},
    KeyDoc{"database.spool_path", R"("/var/lib/voucher-gate/spool.jsonl")", Path, "", kRestart,
           "Append-only file of exit decisions awaiting the ledger (replayed when it is writable again)."},

    KeyDoc{"audit.key_file", R"("/var/lib/voucher-gate/audit.key")", Path, "", kRestart,
           "HMAC key of the audit chain (mode 0640, service user and group)."},

    KeyDoc{"http.listen", R"("127.0.0.1:8080")", Listen, "host:port, port 1..65535", kRestart,
           "Address of the pages, /healthz and /metrics."},

    KeyDoc{"web.listen", R"("127.0.0.1:8081")", Listen, "host:port, port 1..65535", kRestart,
           "Address of the console (voucher-gate-web; restart that service to apply). Keep it on loopback and put a "
           "TLS reverse proxy in front to reach it from the estate's LAN (docs/operations.md)."},
    KeyDoc{"web.session_idle", R"("30m")", Period, "1m..24h", kRestart,
           "A console session ends after this long unused (restart voucher-gate-web to apply)."},

    KeyDoc{"log.plates", "false", Boolean, "", kLive,
           "Whether the daemon's journal DECISION lines carry plates (the plate, the first use's plate, plates in "
           "the message). Off, they name the visit, voucher and reason only: the journal is kept apart from the "
           "ledger, where the retention purge (database.retention_days) cannot reach it. Applies to the next "
           "decision after a reload."},

    KeyDoc{"control.socket", R"("/run/voucher-gate/control.sock")", Path, "", kRestart,
           "Local socket for the guard's commands (created by the daemon, group-restricted)."},

    KeyDoc{"lanes.pair_window", R"("60s")", Period, "1s..10m", kLive,
           "How far apart the plate and the card of one car may be seen."},
    KeyDoc{"lanes.repeat_window", R"("60s")", Period, "1s..1h", kLive,
           "Repeats of the same plate or card on a lane within this time are suppressed."},
    KeyDoc{"lanes.readmit_window", R"("10m")", Period, "0s..24h", kLive,
           "Same voucher and plate again at an entry within this time, no exit since: open again, no new visit (rule "
           "4a); 0s = never."},
    KeyDoc{"lanes.plate_timeout", R"("8s")", Period, "1s..5m", kLive,
           "How long a valid voucher waits for a plate read before lanes.unread_plate applies."},
    KeyDoc{"lanes.unread_plate", R"("guard")", Choice, "guard|presence|never", kLive,
           "Valid voucher, no plate read: \"guard\" asks the guard, \"presence\" admits if the lane's presence input "
           "sees a vehicle, \"never\" refuses."},
    KeyDoc{"lanes.min_plate_confidence", "0.8", Number, "0..1", kLive,
           "Lowest per-character confidence of a plate read that is accepted. A character's confidence is lowered "
           "when a second look at the plate (a tighter and a wider crop) reads another character there, and raised "
           "for a letter or digit that both looks read alike, and for a province that the province look (the "
           "province's own cell, read at the camera's resolution) reads alike."},
    KeyDoc{"lanes.exit_on_error", R"("open")", Choice, "open|hold", kLive,
           "What an exit does on an internal error: \"open\" (spool the decision, let the car out) or \"hold\"."},
    KeyDoc{"lanes.camera_stall_after", R"("5s")", Period, "100ms..10m", kRestart,
           "No frame for this long: the camera is reported lost and reopened."},
    KeyDoc{"lanes.tailgate_gap", R"("2s")", Period, "100ms..1m", kLive,
           "Loop detector (a lane with [lane.presence]): a vehicle that reaches the loop within this long after the "
           "vehicle before it left it, with no pulse and no decision in between, went through on the same pulse: "
           "TAILGATE_SUSPECTED (logged, audited, shown; nothing opens or closes). Set it to the barrier's closing "
           "time."},

    KeyDoc{"lane.name",
           "",
           String,
           "1-64 bytes; no spaces, '/' or control characters",
           kRestart,
           "Unique lane name, used by the CLI's --lane and in the ledger.",
           Need::Required,
           {},
           R"("entry-1")"},
    KeyDoc{"lane.direction",
           "",
           Choice,
           "entry|exit",
           kRestart,
           "Whether the lane admits cars or lets them out.",
           Need::Required,
           {},
           R"("entry")"},
    KeyDoc{"lane.plate_camera",
           "",
           Camera,
           "",
           kRestart,
           "Frame source of the plate camera (see \"Camera sources\").",
           Need::Required,
           {},
           R"("/dev/video0")"},
    KeyDoc{"lane.card_camera",
           "",
           Camera,
           "",
           kRestart,
           "Frame source of the card camera at driver-window height; default: the plate camera.",
           Need::Optional,
           {},
           R"("/dev/video1")"},
    KeyDoc{"lane.camera_fps",
           "",
           Number,
           "0.1..120",
           kRestart,
           "Frame rate for video files and folders; default: the file's own rate, 10 for folders.",
           Need::Optional,
           {},
           "10"},
    KeyDoc{"lane.camera_loop", "false", Boolean, "", kRestart,
           "Replay a video file or folder from the start when it ends (demos, tests)."},
    KeyDoc{"lane.roi",
           "",
           Roi,
           "x, y >= 0; w, h >= 1",
           kRestart,
           "[x, y, w, h] region of the plate camera's frame searched for plates; default: the whole frame.",
           Need::Optional,
           {},
           "[0, 0, 1920, 1080]"},
    KeyDoc{"lane.dry_run", "false", Boolean, "", kLive,
           "Decide and log, but never pulse the relay and never write to the ledger."},

    KeyDoc{"lane.relay", "", Table, "", kRestart, "The barrier's \"open\" output.", Need::Required},
    KeyDoc{"lane.relay.driver",
           "",
           Choice,
           "sim|gpio|modbus-tcp|modbus-rtu|serial",
           kRestart,
           "Relay driver.",
           Need::Required,
           {},
           R"("sim")"},
    KeyDoc{"lane.relay.pulse", R"("500ms")", Period, "100ms..10s", kLive, "Length of the open pulse."},
    KeyDoc{"lane.relay.max_hold", R"("30m")", Period, "1s..24h", kRestart,
           "Longest an emergency hold-open lasts before the output is released (at least relay.pulse)."},
    KeyDoc{"lane.relay.file", "", Path, "", kRestart, "File the simulated relay appends one JSON line per action to.",
           Need::Required, "sim", R"("/var/lib/voucher-gate/relay-entry-1.jsonl")"},
    KeyDoc{"lane.relay.chip", R"("gpiochip0")", String, "", kRestart, "GPIO chip name or path.", Need::Default, "gpio"},
    KeyDoc{"lane.relay.line", "", Integer, "0..1023", kRestart, "GPIO line offset on the chip.", Need::Required, "gpio",
           "17"},
    KeyDoc{"lane.relay.active_low", "false", Boolean, "", kRestart, "The relay energises when the line is driven low.",
           Need::Default, "gpio"},
    KeyDoc{"lane.relay.host", "", String, "", kRestart, "Address of the Modbus TCP relay module.", Need::Required,
           "modbus-tcp", R"("192.168.1.50")"},
    KeyDoc{"lane.relay.port", "502", Integer, "1..65535", kRestart, "Modbus TCP port.", Need::Default, "modbus-tcp"},
    KeyDoc{"lane.relay.device", "", Path, "", kRestart, "Serial device of the relay module.", Need::Required,
           "modbus-rtu|serial", R"("/dev/ttyUSB0")"},
    KeyDoc{"lane.relay.baud", "9600", Integer, "1200..921600", kRestart, "Serial line speed.", Need::Default,
           "modbus-rtu|serial"},
    KeyDoc{"lane.relay.parity", R"("N")", Choice, "N|E|O", kRestart, "Serial parity (8 data bits, 1 stop bit).",
           Need::Default, "modbus-rtu"},
    KeyDoc{"lane.relay.unit", "1", Integer, "1..255", kRestart, "Modbus unit (slave) id.", Need::Default,
           "modbus-tcp|modbus-rtu"},
    KeyDoc{"lane.relay.coil", "0", Integer, "0..65535", kRestart,
           "Modbus coil address (0-based) wired to the barrier's open input.", Need::Default, "modbus-tcp|modbus-rtu"},
    KeyDoc{"lane.relay.timeout", R"("1s")", Period, "100ms..10s", kRestart,
           "How long to wait for the module's reply before the pulse counts as failed.", Need::Default,
           "modbus-tcp|modbus-rtu|serial"},
    KeyDoc{"lane.relay.channel", "1", Integer, "1..16", kRestart,
           "Channel of a USB serial relay board (LCUS-type frames A0 <channel> <state> <sum>).", Need::Default,
           "serial"},
    // The barrier's "opened" read-back (BARRIER_NOT_OPENED).
    KeyDoc{"lane.relay.opened_input", "", Integer, "0..65535", kRestart,
           "Modbus discrete input (0-based) that the barrier sets once it has opened; when given, a pulse it does "
           "not follow within relay.opened_within is logged and audited as BARRIER_NOT_OPENED. Default: not read.",
           Need::Optional, "modbus-tcp|modbus-rtu", "0"},
    KeyDoc{"lane.relay.opened_within", R"("2s")", Period, "100ms..60s", kRestart,
           "How long after a pulse the barrier has to report open on relay.opened_input.", Need::Default,
           "modbus-tcp|modbus-rtu"},

    KeyDoc{"lane.presence", "", Table, "", kRestart,
           "The barrier's vehicle-presence input (loop detector); needed for unread_plate = \"presence\".",
           Need::Optional},
    KeyDoc{
        "lane.presence.driver", "", Choice, "sim|gpio", kRestart, "Presence driver.", Need::Required, {}, R"("gpio")"},
    KeyDoc{"lane.presence.file", "", Path, "", kRestart,
           "Simulated input: a vehicle is present while the file's first byte is '1'.", Need::Required, "sim",
           R"("/run/voucher-gate/presence-entry-1")"},
    KeyDoc{"lane.presence.chip", R"("gpiochip0")", String, "", kRestart, "GPIO chip name or path.", Need::Default,
           "gpio"},
    KeyDoc{"lane.presence.line", "", Integer, "0..1023", kRestart, "GPIO line offset on the chip.", Need::Required,
           "gpio", "27"},
    KeyDoc{"lane.presence.active_low", "false", Boolean, "", kRestart, "A vehicle is present when the line reads low.",
           Need::Default, "gpio"},

    KeyDoc{"lane.announcer", "", Table, "", kRestart, "What the driver is told; default: nothing.", Need::Optional},
    KeyDoc{"lane.announcer.driver",
           "",
           Choice,
           "log|tts",
           kRestart,
           "\"log\" writes the message to the log, \"tts\" speaks it (espeak-ng).",
           Need::Required,
           {},
           R"("tts")"},
    KeyDoc{"lane.announcer.voice", R"("cmn")", String, "", kRestart, "espeak-ng voice.", Need::Default, "tts"},
};

std::string_view reloadText(const KeyDoc& k) { return k.reloads ? "yes" : "no (restart)"; }

std::string defaultText(const KeyDoc& k) {
    if (k.need == Need::Required) return "(required)";
    if (k.need == Need::Optional) return "(none)";
    return std::string(k.default_toml);
}

std::string choicesText(std::string_view choices) {
    std::string out;
    std::string_view rest = choices;
    while (!rest.empty()) {
        auto bar = rest.find('|');
        if (!out.empty()) out += ", ";
        out += fmt::format("\"{}\"", rest.substr(0, bar));
        rest = bar == std::string_view::npos ? std::string_view{} : rest.substr(bar + 1);
    }
    return out;
}

std::string driversText(const KeyDoc& k) { return choicesText(k.drivers); }

bool acceptsDriver(const KeyDoc& k, std::string_view driver) {
    if (k.drivers.empty()) return true;
    std::string_view rest = k.drivers;
    while (true) {
        auto bar = rest.find('|');
        if (rest.substr(0, bar) == driver) return true;
        if (bar == std::string_view::npos) return false;
        rest = rest.substr(bar + 1);
    }
}

std::string_view section(std::string_view key) { return key.substr(0, key.rfind('.')); }
std::string_view leaf(std::string_view key) { return key.substr(key.rfind('.') + 1); }

std::string commentFor(const KeyDoc& k) {
    std::string c = fmt::format("# {}\n# {}", k.doc, toString(k.type));
    if (k.type == Choice) {
        c = fmt::format("# {}\n# one of {}", k.doc, choicesText(k.range));
    } else if (!k.range.empty()) {
        c += fmt::format(", {}", k.range);
    }
    if (!k.drivers.empty()) c += fmt::format("; driver {}", driversText(k));
    if (k.need == Need::Required) c += "; required";
    c += fmt::format("; reloads live: {}\n", reloadText(k));
    return c;
}

// The example's lanes: values that differ between the two lanes; everything else comes from the table.
struct ExampleLane {
    std::string_view name;
    std::string_view direction;
    std::string_view plate_camera;
    std::string_view card_camera;
};
constexpr std::array kExampleLanes{
    ExampleLane{"entry-1", "entry", "/dev/video0", "/dev/video1"},
    ExampleLane{"exit-1", "exit", "/dev/video2", "/dev/video3"},
};

void renderSubTableExample(std::string& out, std::string_view table, std::string_view driver, bool commented,
                           bool withDocs) {
    const std::string prefix = std::string(table) + ".";
    const std::string_view mark = commented ? "# " : "";
    for (const KeyDoc& k : kKeys) {
        if (section(k.key) != table || !acceptsDriver(k, driver)) continue;
        if (withDocs && !commented) out += commentFor(k);
        std::string value = k.need == Need::Default ? std::string(k.default_toml) : std::string(k.example);
        if (leaf(k.key) == "driver") value = fmt::format("\"{}\"", driver);
        out += fmt::format("{}{} = {}\n", mark, leaf(k.key), value);
    }
}

}  // namespace

std::span<const KeyDoc> keyTable() { return kKeys; }

const KeyDoc* findKey(std::string_view key) {
    auto it = std::ranges::find(kKeys, key, &KeyDoc::key);
    return it == kKeys.end() ? nullptr : &*it;
}

std::string_view toString(KeyType t) {
    switch (t) {
        case String:
            return "string";
        case Path:
            return "path";
        case Integer:
            return "integer";
        case Number:
            return "number";
        case Boolean:
            return "boolean";
        case Period:
            return "duration";
        case Choice:
            return "choice";
        case StringList:
            return "list of strings";
        case TimeZone:
            return "time zone";
        case Listen:
            return "address";
        case Pattern:
            return "regular expression";
        case Camera:
            return "camera source";
        case Roi:
            return "[x, y, w, h]";
        case Table:
            return "table";
    }
    return "?";
}

std::string renderExampleToml() {
    std::string out =
        "# voucher-gate.toml: the example configuration. Every value below is the default, so deleting a line\n"
        "# changes nothing; a [[lane]] has no defaults for name, direction, plate_camera and relay.driver.\n"
        "# Generated from config/keys.cpp by vg-config-docs; docs/configuration.md explains every key.\n"
        "# Durations are strings: \"500ms\", \"90s\", \"15m\", \"4h\", \"2d\", \"1h30m\".\n"
        "# Check a file with `voucher-gated --config FILE --check-config`; reload with SIGHUP\n"
        "# (keys marked \"reloads live: no\" need a restart).\n";
    std::string_view current;
    for (const KeyDoc& k : kKeys) {
        const std::string_view sec = section(k.key);
        if (sec.starts_with("lane")) {
            if (sec == "lanes" && current != "lanes") {
                out +=
                    "\n# Defaults of every [[lane]]; any of these keys may be repeated inside a [[lane]] to override "
                    "it there.\n[lanes]\n";
                current = "lanes";
            }
            if (sec == "lanes") out += fmt::format("{}{} = {}\n", commentFor(k), leaf(k.key), k.default_toml);
            continue;
        }
        if (sec != current) {
            out += fmt::format("\n[{}]\n", sec);
            current = sec;
        }
        out += fmt::format("{}{} = {}\n", commentFor(k), leaf(k.key), k.default_toml);
    }

    bool first = true;
    for (const ExampleLane& lane : kExampleLanes) {
        out +=
            first
                ? "\n# One table per lane (barrier). Keys of the first lane are documented; the second repeats them.\n"
                : "\n";
        out += "[[lane]]\n";
        for (const KeyDoc& k : kKeys) {
            if (section(k.key) != "lane" || k.type == Table) continue;
            const std::string_view name = leaf(k.key);
            std::string value;
            if (name == "name")
                value = fmt::format("\"{}\"", lane.name);
            else if (name == "direction")
                value = fmt::format("\"{}\"", lane.direction);
            else if (name == "plate_camera")
                value = fmt::format("\"{}\"", lane.plate_camera);
            else if (name == "card_camera")
                value = fmt::format("\"{}\"", lane.card_camera);
            else if (k.need == Need::Default)
                value = std::string(k.default_toml);
            if (first) out += commentFor(k);
            if (value.empty()) {
                if (first) out += fmt::format("# {} = {}\n", name, k.example);
                continue;
            }
            out += fmt::format("{} = {}\n", name, value);
        }
        if (first) {
            out +=
                "# Any lanes.* key may follow here to override it for this lane, e.g.\n"
                "# unread_plate = \"presence\"\n";
        }
        out += "\n[lane.relay]\n";
        if (first) out += "# The barrier's \"open\" output. Only the keys of the chosen driver are allowed.\n";
        std::string relay;
        renderSubTableExample(relay, "lane.relay", "sim", false, first);
        const std::string file = fmt::format("\"/var/lib/voucher-gate/relay-{}.jsonl\"", lane.name);
        const std::string sample = R"("/var/lib/voucher-gate/relay-entry-1.jsonl")";
        relay.replace(relay.find(sample), sample.size(), file);
        out += relay;
        if (first) {
            for (std::string_view driver : {"gpio", "modbus-tcp", "modbus-rtu", "serial"}) {
                out += fmt::format("# With driver = \"{}\" instead of file:\n", driver);
                for (const KeyDoc& k : kKeys) {
                    if (section(k.key) != "lane.relay" || k.drivers.empty() || !acceptsDriver(k, driver)) continue;
                    const std::string value =
                        k.need == Need::Default ? std::string(k.default_toml) : std::string(k.example);
                    out += fmt::format("#   {} = {}\n", leaf(k.key), value);
                }
            }
            out += "\n# Optional: the barrier's loop detector.\n# [lane.presence]\n";
            renderSubTableExample(out, "lane.presence", "gpio", true, false);
            out += "# (or driver = \"sim\" with file = \"/run/voucher-gate/presence-entry-1\")\n";
            out += "\n# Optional: tell the driver what happened.\n# [lane.announcer]\n";
            renderSubTableExample(out, "lane.announcer", "tts", true, false);
            out += "# (or driver = \"log\")\n";
        }
        first = false;
    }
    return out;
}

std::string renderConfigurationMarkdown() {
    std::string out =
        "# Configuration\n\n"
        "<!-- Generated from config/keys.cpp by vg-config-docs; edit the table there, then run\n"
        "     `build/config/vg-config-docs --write .` from the source root. A test fails while they differ. -->\n\n"
        "voucher-gate reads one TOML file, by default `/etc/voucher-gate/voucher-gate.toml`.\n"
        "`config/voucher-gate.example.toml` is a commented copy whose values are the defaults below.\n\n"
        "- **Durations** are strings of a whole number and a unit, largest unit first: `\"500ms\"`, `\"90s\"`,\n"
        "  `\"15m\"`, `\"4h\"`, `\"2d\"`, `\"1h30m\"`. No sign, no fractions, no spaces.\n"
        "- **Errors** name the file, line, key and the fix, e.g.\n"
        "  `voucher-gate.toml:12: stay.max: \"4x\" is not a duration (use e.g. \"90s\", \"15m\", \"4h\")`.\n"
        "  Unknown keys (anywhere, also inside `[[lane]]` and its tables), wrong types, out-of-range values,\n"
        "  keys of another relay driver, duplicate lane names, unknown time zones and camera sources that are\n"
        "  none of the forms below are errors; a close known key is suggested.\n"
        "- **Checking** (`voucher-gated --check-config`, `config::load`) opens no device, database or socket. It\n"
        "  asks the tz database about `site.timezone` and checks that a folder camera source exists.\n"
        "- **Relative paths** (path keys and file/folder camera sources) are relative to the config file's folder.\n"
        "- **Reloading** (SIGHUP) applies every key marked \"reloads live: yes\"; a changed \"no (restart)\" key is\n"
        "  reported and keeps its old value until the service restarts. A file with an error changes nothing.\n"
        "  In a lane, timing and rule keys, `dry_run` and `relay.pulse` reload live; its devices (cameras, relay,\n"
        "  presence input, announcer), its direction and adding or removing lanes need a restart.\n"
        "- A file with no `[[lane]]` is valid for the admin CLI; the daemon refuses to start without a lane.\n"
        "- `lanes.unread_plate = \"presence\"` on an entry lane needs that lane's `[lane.presence]` table.\n";

    auto header = "| key | default | type | range | reloads live | meaning |\n|---|---|---|---|---|---|\n";
    auto row = [](const KeyDoc& k, std::string_view shown) {
        std::string range = k.type == Choice ? choicesText(k.range) : std::string(k.range);
        if (!k.drivers.empty()) range += (range.empty() ? "" : "; ") + std::string("driver ") + driversText(k);
        std::string def;
        // A '|' ends a table cell even inside a code span (a regular expression's alternation): escape it.
        for (char c : defaultText(k)) def += c == '|' ? std::string("\\|") : std::string(1, c);
        if (k.need == Need::Default) def = fmt::format("`{}`", def);
        return fmt::format("| `{}` | {} | {} | {} | {} | {} |\n", shown, def, toString(k.type), range, reloadText(k),
                           k.doc);
    };

    std::string_view current;
    for (const KeyDoc& k : kKeys) {
        const std::string_view sec = section(k.key);
        if (sec.starts_with("lane") && sec != "lanes") continue;
        if (sec != current) {
            out += fmt::format("\n## [{}]\n\n{}", sec, header);
            current = sec;
        }
        out += row(k, k.key);
    }

    out +=
        "\n## [[lane]]\n\n"
        "One table per lane (barrier). Besides the keys below, a lane may set any `lanes.*` key to override it for\n"
        "that lane alone. Lane names must be unique.\n\n";
    out += header;
    for (const KeyDoc& k : kKeys) {
        const std::string_view sec = section(k.key);
        if (sec == "lane") out += row(k, k.key);
    }
    for (std::string_view table : {"lane.relay", "lane.presence", "lane.announcer"}) {
        const KeyDoc* t = findKey(table);
        out += fmt::format("\n### [{}]\n\n{}{}\n\n{}", table, t->doc,
                           t->need == Need::Required ? " Required." : " Optional.", header);
        for (const KeyDoc& k : kKeys) {
            if (section(k.key) == table) out += row(k, k.key);
        }
    }
    out += "\nOnly the keys of the chosen driver may appear in a `[lane.relay]` or `[lane.presence]` table.\n";

    out +=
        "\n## Camera sources\n\n"
        "`plate_camera` and `card_camera` accept:\n\n"
        "- `/dev/videoN`, or a stable V4L2 link under `/dev/v4l/by-id/` or `/dev/v4l/by-path/` (not opened by the "
        "check);\n"
        "- `rtsp://…`, `rtsps://…`, `http://…` or `https://…` (an IP camera's stream);\n"
        "- a video file whose name ends in `.mp4`, `.mkv`, `.avi`, `.mov`, `.webm`, `.m4v`, `.mpg`, `.mpeg`, `.ts`,\n"
        "  `.mjpeg`, `.mjpg`, `.h264` or `.h265` (it need not exist yet; the daemon reports it when it opens it);\n"
        "- a folder of images, which must exist when the file is checked.\n\n"
        "A card camera must resolve the card's QR code at 4.5 pixels per module or more; use one camera for both only\n"
        "where it does.\n";
    return out;
}

}  // namespace vg::config
