#include "gate/vehicle_rows.h"

#include <fmt/format.h>

#include <charconv>
#include <map>
#include <optional>
#include <sstream>

#include "gate/text_encoding.h"

namespace vg::gate {

namespace {

bool realDate(const std::string& text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return false;
    auto number = [&](std::size_t at, std::size_t len) {
        int v = -1;
        const char* first = text.data() + at;
        const auto [ptr, ec] = std::from_chars(first, first + len, v);
        return ec == std::errc{} && ptr == first + len ? v : -1;
    };
    const int y = number(0, 4);
    const int m = number(5, 2);
    const int d = number(8, 2);
    if (y < 2000 || m < 1 || m > 12 || d < 1) return false;
    static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return d <= kDays[m - 1] + (m == 2 && leap ? 1 : 0);
}

std::optional<std::string> kindAndUntilProblem(const std::string& kind, const std::string& until) {
    if (auto problem = textProblem("kind", kind)) return problem;
    if (auto problem = textProblem("until", until)) return problem;
    if (kind != "resident" && kind != "blocked") return fmt::format("kind '{}' must be resident or blocked", kind);
    if (!until.empty() && !realDate(until)) {
        return fmt::format("until '{}' must be a date YYYY-MM-DD that exists", until);
    }
    return std::nullopt;
}

}  // namespace

std::expected<Vehicle, std::string> vehicleFrom(const InputChecker& checker, const std::string& where,
                                                const std::string& plate, const std::string& kind,
                                                const std::string& unit, const std::string& until) {
    auto p = checkPlate(where + "plate", plate);
    if (!p) return std::unexpected(p.error());
    if (auto problem = kindAndUntilProblem(kind, until)) return std::unexpected(where + *problem);
    std::string u;
    if (!unit.empty()) {
        auto checked = checker.unit(where + "unit", unit);
        if (!checked) return std::unexpected(checked.error());
        u = *checked;
    }
    return Vehicle{.plate = *p,
                   .kind = kind == "resident" ? VehicleKind::Resident : VehicleKind::Blocked,
                   .unit = u,
                   .until = until.empty() ? std::nullopt : std::optional(until)};
}

std::vector<std::string> splitCsvLine(const std::string& line) {
    std::vector<std::string> fields;
    std::string cur;
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                cur += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cur += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            fields.push_back(cur);
            cur.clear();
        } else if (c != '\r') {
            cur += c;
        }
    }
    fields.push_back(cur);
    for (auto& f : fields) {
        while (!f.empty() && (f.front() == ' ' || f.front() == '\t')) f.erase(f.begin());
        while (!f.empty() && (f.back() == ' ' || f.back() == '\t')) f.pop_back();
    }
    return fields;
}

std::expected<VehicleFile, std::string> parseVehicleFile(std::string_view bytes, const InputChecker& checker) {
    auto decoded = decodeTextFile(bytes);
    if (!decoded) return std::unexpected(decoded.error());
    VehicleFile out;
    out.encoding = decoded->encoding;
    std::map<std::string, std::size_t> index_of_plate;  // into out.rows
    std::istringstream lines(decoded->utf8);
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
        ++n;
        if (line.empty() || line == "\r" || line.starts_with('#')) continue;
        auto f = splitCsvLine(line);
        if (n == 1 && !f.empty() && (f[0] == "plate" || f[0] == "PLATE" || f[0] == "车牌" || f[0] == "车牌号")) {
            continue;  // header
        }
        ++out.data_rows;
        const std::string where = fmt::format("row {}: ", n);
        if (f.size() < 2 || f.size() > 4 || f[0].empty()) {
            out.refused.emplace_back(n, fmt::format("{}expected plate,kind[,unit[,until]], got {} field{}", where,
                                                    f.size(), f.size() == 1 ? "" : "s"));
            continue;
        }
        f.resize(4);
        auto v = vehicleFrom(checker, where, f[0], f[1], f[2], f[3]);
        if (!v) {
            out.refused.emplace_back(n, v.error());
            continue;
        }
        if (auto [it, fresh] = index_of_plate.emplace(v->plate, out.rows.size()); !fresh) {
            out.refused.emplace_back(
                n, fmt::format("{}plate {} is already on row {}", where, v->plate, out.row_numbers[it->second]));
            continue;
        }
        out.rows.push_back(std::move(*v));
        out.row_numbers.push_back(n);
    }
    return out;
}

}  // namespace vg::gate
