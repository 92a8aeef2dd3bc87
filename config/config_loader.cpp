// The loader walks the TOML tree section by section, taking each key's type, range and default from the key
// table (keys.cpp). Validation failures unwind through a private exception that load()/loadFromString() turn
// into a ConfigError value, so no exception crosses the public API. This file holds the entry points (load(),
// loadFromString(), defaults()) and the reload diff (restartRequiredChanges()); the pieces they share are in
// loader_internal.h: loader_section.cpp (a table against the key table), loader_values.cpp (the value
// converters), loader_tables.cpp (the tables into Settings). value_text.cpp spells enums and durations.
#include "config/config_loader.h"

#include <toml++/toml.h>

#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "config/loader_internal.h"

namespace vg::config {

using namespace loader_detail;

namespace {

std::expected<Settings, ConfigError> parse(std::string_view text, const Ctx& ctx) {
    try {
        toml::table root = toml::parse(text, ctx.file);
        return parseSettings(ctx, root);
    } catch (const toml::parse_error& e) {
        const auto& where = e.source().begin;
        return std::unexpected(ConfigError{std::string(e.description()), "", static_cast<int>(where.line),
                                           static_cast<int>(where.column), ctx.file});
    } catch (const Failure& f) {
        return std::unexpected(f.error);
    }
}

}  // namespace

std::expected<Settings, ConfigError> loadFromString(std::string_view toml, std::string_view source_name) {
    return parse(toml, Ctx{std::string(source_name), {}});
}

std::expected<Settings, ConfigError> load(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::error_code ec;
    if (!in || std::filesystem::is_directory(path, ec)) {
        const bool exists = std::filesystem::exists(path, ec);
        return std::unexpected(ConfigError{exists ? "cannot read the file (check its permissions)"
                                                  : "no such file (give the path with --config, or copy "
                                                    "config/voucher-gate.example.toml there)",
                                           "", 0, 0, path.string()});
    }
    std::ostringstream text;
    text << in.rdbuf();
    std::filesystem::path base = path.parent_path();
    if (base.empty()) base = ".";
    return parse(text.str(), Ctx{path.string(), std::filesystem::absolute(base, ec)});
}

Settings defaults() {
    auto s = loadFromString("", "defaults");
    if (!s) throw std::logic_error("the config key table's defaults do not load: " + s.error().str());
    return *s;
}

std::vector<std::string> restartRequiredChanges(const Settings& old, const Settings& next) {
    std::vector<std::string> out;
    auto check = [&](bool changed, std::string_view key) {
        if (changed) out.emplace_back(key);
    };
    check(old.vouchers.key_file != next.vouchers.key_file, "vouchers.key_file");
    check(old.database.path != next.database.path, "database.path");
    check(old.database.busy_timeout != next.database.busy_timeout, "database.busy_timeout");
    check(old.database.spool_path != next.database.spool_path, "database.spool_path");
    check(old.audit.key_file != next.audit.key_file, "audit.key_file");
    check(old.http.listen != next.http.listen, "http.listen");
    check(old.control.socket != next.control.socket, "control.socket");
    check(old.site.timezone != next.site.timezone, "site.timezone");
    check(old.lanes.camera_stall_after != next.lanes.camera_stall_after, "lanes.camera_stall_after");
    // Lanes: timing, rules, dry_run and the relay pulse apply live; the devices (cameras, relay, presence,
    // announcer) and the set of lanes stay as they started until a restart.
    auto find = [](const Settings& s, const std::string& name) -> const LaneSettings* {
        for (const auto& l : s.lane) {
            if (l.name == name) return &l;
        }
        return nullptr;
    };
    for (const auto& l : next.lane) {
        const auto* o = find(old, l.name);
        if (o == nullptr) {
            out.push_back("lane[" + l.name + "] (added)");
            continue;
        }
        const std::string name = "lane[" + l.name + "]";
        check(o->direction != l.direction, name + ".direction");
        check(o->plate_camera != l.plate_camera || o->card_camera != l.card_camera || o->camera_fps != l.camera_fps ||
                  o->camera_loop != l.camera_loop || o->roi != l.roi ||
                  (o->camera_stall_after != l.camera_stall_after &&
                   old.lanes.camera_stall_after == next.lanes.camera_stall_after),
              name + " cameras");
        RelaySettings a = o->relay;
        RelaySettings b = l.relay;
        a.pulse = b.pulse;
        check(a != b, name + ".relay");
        check(o->presence != l.presence, name + ".presence");
        check(o->announcer != l.announcer, name + ".announcer");
    }
    for (const auto& l : old.lane) {
        if (find(next, l.name) == nullptr) out.push_back("lane[" + l.name + "] (removed)");
    }
    return out;
}

}  // namespace vg::config
