// Vehicle registrations as people bring them: one typed on a command line or a form, or the rows of a spreadsheet
// saved as CSV (UTF-8, or GBK/GB18030 as Excel on a Chinese Windows saves it: gate/text_encoding.h). Shared by the
// CLI's `vehicle add`/`vehicle import` and the console's 车辆 page, so that both accept and refuse the same rows with
// the same words. Pure functions; nothing throws except std::bad_alloc.
#pragma once

#include <expected>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gate/input_check.h"
#include "gate/ledger.h"

namespace vg::gate {

// One registration: the plate by the plate grammar, the unit by site.unit_pattern, kind "resident" or "blocked",
// until "" or a real calendar date YYYY-MM-DD. `where` prefixes the field names ("" or "row 3: ").
std::expected<Vehicle, std::string> vehicleFrom(const InputChecker& checker, const std::string& where,
                                                const std::string& plate, const std::string& kind,
                                                const std::string& unit, const std::string& until);

// The fields of one CSV line (RFC 4180 quoting, blanks around fields trimmed).
std::vector<std::string> splitCsvLine(const std::string& line);

struct VehicleFile {
    std::string encoding;                              // what the file was read as ("UTF-8", "GB18030", ...)
    int data_rows = 0;                                 // rows that are neither blank, comment nor header
    std::vector<Vehicle> rows;                         // the rows that are registrations, in file order
    std::vector<int> row_numbers;                      // the line number of each of rows
    std::vector<std::pair<int, std::string>> refused;  // line number, why
};

// plate,kind[,unit[,until]] per line; an optional header line (plate/车牌/车牌号), blank lines and '#' comments are
// skipped; a plate twice is refused on its second line. The error: an encoding that is neither UTF-8 nor GB18030.
std::expected<VehicleFile, std::string> parseVehicleFile(std::string_view bytes, const InputChecker& checker);

}  // namespace vg::gate
