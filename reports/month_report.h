// The month report (gate::Ledger::report) as people and spreadsheets read it: text for a terminal or a page to
// sign, CSV and .xlsx with headers in the chosen language, JSON for scripts (keys as PRODUCT.md has them, never
// translated). Every rendering shows the same numbers. The CLI's `report` and the console's 月度报表 both call
// these. Thread-safe (no shared state); nothing throws except std::bad_alloc.
#pragma once

#include <expected>
#include <nlohmann/json.hpp>
#include <string>

#include "gate/ledger.h"
#include "reports/words.h"

namespace vg::reports {

// The sum of every household's row (longest_stay: the longest of them; unit and category empty).
gate::HouseholdReport monthTotals(const gate::MonthReport& r);

// UTF-8 with a byte-order mark (spreadsheet programs then read Chinese correctly), CRLF line ends: a header row in
// the language, one row per household (stays in whole minutes, fees with two decimals), then "# audit head,N:HASH".
std::string monthCsv(const gate::MonthReport& r, Lang lang);
// A title with the month and the site, a table whose columns line up (CJK characters are two columns wide) with a
// totals row, fees owed, shared plates, cars inside now and the audit head to keep.
std::string monthText(const gate::MonthReport& r, const std::string& site_name, Lang lang);
// month, households[] (unit, category, issued, used, unused, revoked, replaced, visits, total_stay_minutes,
// longest_stay_minutes, overstays, fees), shared_plates[], cars_inside_now, audit_head, audit_rows.
nlohmann::json monthJson(const gate::MonthReport& r);
// The bytes of an .xlsx file: one sheet, a title row with site and month, a header row, numbers as numbers, a
// totals row, the audit head, column widths set. Written through libxlsxwriter to a temporary file that is read
// back and removed; an error names what failed.
std::expected<std::string, std::string> monthXlsx(const gate::MonthReport& r, const std::string& site_name, Lang lang);

}  // namespace vg::reports
