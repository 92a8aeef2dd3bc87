// Loading voucher-gate.toml into Settings: parse, validate every key against config/keys.cpp, return a value.
// Pure: opens no device, database or socket (it reads the file, and stats folder camera sources and asks the
// tz database about site.timezone). Thread-safe (no shared state). Never throws for a bad file: every problem
// is a ConfigError naming the key and the line; only std::bad_alloc may escape.
#pragma once

#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/reload.h"  // planReload(), restartRequiredChanges()
#include "config/settings.h"

namespace vg::config {

struct ConfigError {
    std::string message;  // what is wrong and how to fix it, e.g. "\"4x\" is not a duration (use e.g. ...)"
    std::string key;      // dotted key, e.g. "stay.max" or "lane[entry-1].relay.pulse"; empty for syntax errors
    int line = 0;         // 1-based; 0 when unknown (e.g. a missing file)
    int column = 0;       // 1-based; set for syntax errors
    std::string file;     // the path or source name given to load()/loadFromString()

    // "voucher-gate.toml:12: stay.max: \"4x\" is not a duration (use e.g. \"90s\", \"15m\", \"4h\")"
    std::string str() const;
    bool operator==(const ConfigError&) const = default;
};

// Reads and validates the file. A missing or unreadable file is an error (line 0).
std::expected<Settings, ConfigError> load(const std::filesystem::path& path);

// Same for TOML text; source_name is used in error messages.
std::expected<Settings, ConfigError> loadFromString(std::string_view toml, std::string_view source_name);

// Every key at its documented default; no lanes. Equal to loading an empty file.
Settings defaults();

// Parses "500ms", "90s", "15m", "4h", "2d" and combinations in descending order ("1h30m"). No sign, no
// fractions, no spaces. Returns nullopt for anything else.
std::optional<Duration> parseDuration(std::string_view text);

// The shortest exact spelling of d in the units above, e.g. 5400000ms -> "1h30m", 0 -> "0s".
std::string formatDuration(Duration d);

}  // namespace vg::config
