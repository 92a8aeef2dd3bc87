// The loader walks the TOML tree section by section, taking each key's type, range and default from the key
// table (keys.cpp). Validation failures unwind through a private exception that load()/loadFromString() turn
// into a ConfigError value, so no exception crosses the public API. This file holds the entry points (load(),
// loadFromString(), defaults()); the reload diff is reload.cpp. The pieces they share are in
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

}  // namespace vg::config
