// The one table of configuration keys: default (as TOML text), type, range, reload behaviour and documentation.
// It is the single source of the loader's defaults and range checks, of docs/configuration.md and of
// config/voucher-gate.example.toml (renderers below). Immutable static data; any thread; nothing throws.
#pragma once

#include <span>
#include <string>
#include <string_view>

namespace vg::config {

enum class KeyType {
    String,   // any UTF-8 string
    Path,     // a non-empty file system path
    Integer,  // range "min..max"
    Number,   // integer or float, range "min..max"
    Boolean,
    Period,      // a duration string, "90s"; range "min..max" in durations
    Choice,      // range lists the choices: "open|hold"
    StringList,  // non-empty array of non-empty strings
    TimeZone,    // a tz database name
    Listen,      // "host:port"
    Pattern,     // a regular expression (ECMAScript), checked when the file is loaded
    Camera,      // a frame source (see docs/configuration.md)
    Roi,         // [x, y, w, h]
    Table,       // a sub-table (lane.relay, lane.presence, lane.announcer)
};

enum class Need { Default, Required, Optional };

struct KeyDoc {
    std::string_view key;           // "stay.max"; lane keys are "lane.name", "lane.relay.pulse", ...
    std::string_view default_toml;  // TOML value text; empty when need != Default
    KeyType type;
    std::string_view range;  // see KeyType; empty = any value of the type
    bool reloads;            // true: a SIGHUP reload applies it; false: needs a restart
    std::string_view doc;    // one line
    Need need = Need::Default;
    std::string_view drivers = {};  // for driver keys: the drivers that accept it, "modbus-tcp|modbus-rtu"
    std::string_view example = {};  // TOML value text shown in the example config for keys without a default
};

std::span<const KeyDoc> keyTable();
const KeyDoc* findKey(std::string_view key);

std::string_view toString(KeyType t);

// The commented example config (values = defaults; lanes "entry-1" and "exit-1" with sim relays).
std::string renderExampleToml();
// docs/configuration.md
std::string renderConfigurationMarkdown();

}  // namespace vg::config
