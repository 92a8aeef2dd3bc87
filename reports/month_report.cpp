#include "reports/month_report.h"

#include <fmt/format.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

namespace vg::reports {

namespace {

using nlohmann::json;

long long minutesOf(gate::Duration d) { return std::chrono::duration_cast<std::chrono::minutes>(d).count(); }

std::string csvField(const std::string& s) {
    if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
    std::string out = "\"";
    for (char c : s) {
        if (c == '"') out += '"';
        out += c;
    }
    return out + "\"";
}

// The spreadsheet columns (CSV and .xlsx): the same order and the same numbers in both.
constexpr std::array<std::string_view, 13> kCsvZh{"月份",
                                                  "户号",
                                                  "类别",
                                                  "发放",
                                                  "已用",
                                                  "未用",
                                                  "作废",
                                                  "补办",
                                                  "来访次数",
                                                  "累计停留（分钟）",
                                                  "最长停留（分钟）",
                                                  "超时次数",
                                                  "超时费（元）"};
constexpr std::array<std::string_view, 13> kCsvEn{"month",
                                                  "unit",
                                                  "category",
                                                  "issued",
                                                  "used",
                                                  "unused",
                                                  "revoked",
                                                  "replaced",
                                                  "visits",
                                                  "total_stay_minutes",
                                                  "longest_stay_minutes",
                                                  "overstays",
                                                  "fees"};

const std::array<std::string_view, 13>& csvHeader(Lang lang) { return lang == Lang::Zh ? kCsvZh : kCsvEn; }

std::string title(const gate::MonthReport& r, const std::string& site, Lang lang) {
    if (lang == Lang::Zh) return fmt::format("{}{}亲情停车券月报 {}", site, site.empty() ? "" : " ", r.month.str());
    return fmt::format("Family parking vouchers — {}{}", r.month.str(), site.empty() ? "" : " — " + site);
}

std::string auditHeadLabel(Lang lang) { return lang == Lang::Zh ? "审计链头" : "audit head"; }

// Removes the file when it goes out of scope.
struct TempFile {
    std::filesystem::path path;
    ~TempFile() {
        std::error_code ec;
        if (!path.empty()) std::filesystem::remove(path, ec);
    }
};

}  // namespace

gate::HouseholdReport monthTotals(const gate::MonthReport& r) {
    gate::HouseholdReport sum;
    for (const auto& h : r.households) {
        sum.issued += h.issued;
        sum.used += h.used;
        sum.unused += h.unused;
        sum.revoked += h.revoked;
        sum.replaced += h.replaced;
        sum.visits += h.visits;
        sum.overstays += h.overstays;
        sum.total_stay += h.total_stay;
        sum.longest_stay = std::max(sum.longest_stay, h.longest_stay);
        sum.fees += h.fees;
    }
    return sum;
}

std::string monthCsv(const gate::MonthReport& r, Lang lang) {
    std::string out = "\xEF\xBB\xBF";
    const auto& header = csvHeader(lang);
    for (std::size_t i = 0; i < header.size(); ++i) out += fmt::format("{}{}", i == 0 ? "" : ",", header[i]);
    out += "\r\n";
    for (const auto& h : r.households) {
        out += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{:.2f}\r\n", r.month.str(), csvField(h.unit),
                           csvField(categoryWords(h.category, lang)), h.issued, h.used, h.unused, h.revoked, h.replaced,
                           h.visits, minutesOf(h.total_stay), minutesOf(h.longest_stay), h.overstays, h.fees);
    }
    out += fmt::format("# {},{}\r\n", auditHeadLabel(lang), r.audit_head.str());
    return out;
}

std::string monthText(const gate::MonthReport& r, const std::string& site_name, Lang lang) {
    const bool zh = lang == Lang::Zh;
    using Align = TextTable::Align;
    TextTable table({{zh ? "户号" : "unit"},
                     {zh ? "类别" : "category"},
                     {zh ? "发放" : "issued", Align::Right},
                     {zh ? "已用" : "used", Align::Right},
                     {zh ? "未用" : "unused", Align::Right},
                     {zh ? "作废" : "revoked", Align::Right},
                     {zh ? "补办" : "replaced", Align::Right},
                     {zh ? "来访" : "visits", Align::Right},
                     {zh ? "累计停留" : "total stay", Align::Right},
                     {zh ? "最长停留" : "longest", Align::Right},
                     {zh ? "超时" : "overstays", Align::Right}});
    auto row = [&](std::string unit, std::string category, const gate::HouseholdReport& h) {
        table.add({std::move(unit), std::move(category), std::to_string(h.issued), std::to_string(h.used),
                   std::to_string(h.unused), std::to_string(h.revoked), std::to_string(h.replaced),
                   std::to_string(h.visits), formatStay(h.total_stay, lang), formatStay(h.longest_stay, lang),
                   std::to_string(h.overstays)});
    };
    for (const auto& h : r.households) row(h.unit, categoryWords(h.category, lang), h);
    const auto sum = monthTotals(r);
    const auto n = r.households.size();
    row(zh ? "合计" : "total", zh ? fmt::format("{}户", n) : fmt::format("{} household{}", n, n == 1 ? "" : "s"), sum);

    std::ostringstream o;
    o << title(r, site_name, lang) << "\n\n" << table.str();
    if (sum.fees > 0) {
        o << (zh ? fmt::format("\n超时费合计：{:.2f}元\n", sum.fees)
                 : fmt::format("\nOverstay fees owed: {:.2f} yuan\n", sum.fees));
    }
    if (!r.shared_plates.empty()) {
        o << (zh ? "\n多户停车券用于同一车牌：\n" : "\nPlates that used several households' vouchers:\n");
        for (const auto& s : r.shared_plates) {
            std::string units;
            for (const auto& u : s.units) units += (units.empty() ? "" : zh ? "、" : ", ") + u;
            o << fmt::format("  {}{}{}\n", s.plate, zh ? "：" : ": ", units);
        }
    }
    if (zh) {
        o << fmt::format("\n目前凭券在场车辆：{}\n", r.cars_inside_now);
        o << fmt::format(
            "审计链头：{}\n（请保存此行：日后运行 `voucher-gate audit verify --head {}` "
            "可证明截至此处的记录没有被删除）\n",
            r.audit_head.str(), r.audit_head.str());
    } else {
        o << fmt::format("\nCars inside on vouchers now: {}\n", r.cars_inside_now);
        o << fmt::format(
            "Audit chain head: {}\n(keep this line: `voucher-gate audit verify --head {}` later proves that "
            "no row up to here was removed)\n",
            r.audit_head.str(), r.audit_head.str());
    }
    return o.str();
}

json monthJson(const gate::MonthReport& r) {
    json households = json::array();
    for (const auto& h : r.households) {
        households.push_back(json{{"unit", h.unit},
                                  {"category", h.category},
                                  {"issued", h.issued},
                                  {"used", h.used},
                                  {"unused", h.unused},
                                  {"revoked", h.revoked},
                                  {"replaced", h.replaced},
                                  {"visits", h.visits},
                                  {"total_stay_minutes", minutesOf(h.total_stay)},
                                  {"longest_stay_minutes", minutesOf(h.longest_stay)},
                                  {"overstays", h.overstays},
                                  {"fees", h.fees}});
    }
    json shared = json::array();
    for (const auto& s : r.shared_plates) shared.push_back(json{{"plate", s.plate}, {"units", s.units}});
    return json{{"month", r.month.str()},           {"households", households},
                {"shared_plates", shared},          {"cars_inside_now", r.cars_inside_now},
                {"audit_head", r.audit_head.str()}, {"audit_rows", r.audit_head.count}};
}

std::expected<std::string, std::string> monthXlsx(const gate::MonthReport& r, const std::string& site_name, Lang lang) {
    // Debian 12's libxlsxwriter (1.1.4) writes to a file only: a private temporary file, read back and removed.
    std::string name = (std::filesystem::temp_directory_path() / "vg-report-XXXXXX.xlsx").string();
    const int fd = ::mkstemps(name.data(), 5);
    if (fd < 0) return std::unexpected("cannot create a temporary file for the spreadsheet");
    ::close(fd);
    TempFile file{name};

    lxw_workbook* wb = workbook_new(name.c_str());
    if (wb == nullptr) return std::unexpected(fmt::format("cannot start the spreadsheet {}", name));
    lxw_worksheet* ws = workbook_add_worksheet(wb, r.month.str().c_str());
    lxw_format* title_format = workbook_add_format(wb);
    format_set_bold(title_format);
    format_set_font_size(title_format, 14);
    lxw_format* head = workbook_add_format(wb);
    format_set_bold(head);
    format_set_text_wrap(head);
    format_set_align(head, LXW_ALIGN_CENTER);
    format_set_align(head, LXW_ALIGN_VERTICAL_CENTER);
    format_set_border(head, LXW_BORDER_THIN);
    lxw_format* cell = workbook_add_format(wb);
    format_set_border(cell, LXW_BORDER_THIN);
    lxw_format* money = workbook_add_format(wb);
    format_set_border(money, LXW_BORDER_THIN);
    format_set_num_format(money, "0.00");
    lxw_format* total = workbook_add_format(wb);
    format_set_bold(total);
    format_set_border(total, LXW_BORDER_THIN);
    lxw_format* total_money = workbook_add_format(wb);
    format_set_bold(total_money);
    format_set_border(total_money, LXW_BORDER_THIN);
    format_set_num_format(total_money, "0.00");

    const auto& header = csvHeader(lang);
    const auto last_col = static_cast<lxw_col_t>(header.size() - 1);
    worksheet_merge_range(ws, 0, 0, 0, last_col, title(r, site_name, lang).c_str(), title_format);
    for (std::size_t c = 0; c < header.size(); ++c) {
        worksheet_write_string(ws, 1, static_cast<lxw_col_t>(c), std::string(header[c]).c_str(), head);
    }
    auto numbers = [&](lxw_row_t row, const gate::HouseholdReport& h, lxw_format* f, lxw_format* fm) {
        const std::array<double, 10> values{static_cast<double>(h.issued),
                                            static_cast<double>(h.used),
                                            static_cast<double>(h.unused),
                                            static_cast<double>(h.revoked),
                                            static_cast<double>(h.replaced),
                                            static_cast<double>(h.visits),
                                            static_cast<double>(minutesOf(h.total_stay)),
                                            static_cast<double>(minutesOf(h.longest_stay)),
                                            static_cast<double>(h.overstays),
                                            h.fees};
        for (std::size_t i = 0; i < values.size(); ++i) {
            worksheet_write_number(ws, row, static_cast<lxw_col_t>(3 + i), values[i], i + 1 == values.size() ? fm : f);
        }
    };
    lxw_row_t row = 2;
    for (const auto& h : r.households) {
        worksheet_write_string(ws, row, 0, r.month.str().c_str(), cell);
        worksheet_write_string(ws, row, 1, h.unit.c_str(), cell);
        worksheet_write_string(ws, row, 2, categoryWords(h.category, lang).c_str(), cell);
        numbers(row, h, cell, money);
        ++row;
    }
    const auto n = r.households.size();
    worksheet_write_string(ws, row, 0, lang == Lang::Zh ? "合计" : "total", total);
    worksheet_write_string(ws, row, 1, "", total);
    worksheet_write_string(
        ws, row, 2,
        (lang == Lang::Zh ? fmt::format("{}户", n) : fmt::format("{} household{}", n, n == 1 ? "" : "s")).c_str(),
        total);
    numbers(row, monthTotals(r), total, total_money);
    row += 2;
    worksheet_write_string(ws, row, 0, auditHeadLabel(lang).c_str(), nullptr);
    worksheet_write_string(ws, row, 1, r.audit_head.str().c_str(), nullptr);

    worksheet_set_column(ws, 0, 0, 9, nullptr);
    worksheet_set_column(ws, 1, 1, 11, nullptr);
    worksheet_set_column(ws, 2, 2, 12, nullptr);
    worksheet_set_column(ws, 3, 8, 7, nullptr);
    worksheet_set_column(ws, 9, 10, 12, nullptr);
    worksheet_set_column(ws, 11, 12, 9, nullptr);
    worksheet_set_row(ws, 1, 32, nullptr);
    worksheet_set_paper(ws, 9);  // A4
    worksheet_set_landscape(ws);
    worksheet_fit_to_pages(ws, 1, 0);
    worksheet_repeat_rows(ws, 1, 1);

    if (const lxw_error e = workbook_close(wb); e != LXW_NO_ERROR) {
        return std::unexpected(fmt::format("cannot write the spreadsheet: {}", lxw_strerror(e)));
    }
    std::ifstream in(name, std::ios::binary);
    std::string bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (!in.good() && !in.eof()) return std::unexpected(fmt::format("cannot read back {}", name));
    if (bytes.empty()) return std::unexpected("the spreadsheet came out empty");
    return bytes;
}

}  // namespace vg::reports
