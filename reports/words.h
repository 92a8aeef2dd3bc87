// The words people read, in Chinese or English: reason codes in plain words, stays, categories, vehicle kinds and
// voucher states, and text tables whose columns line up when Chinese characters (two columns wide on a terminal)
// are in them. Shared by the CLI and the console so that both say the same thing. Pure; nothing throws.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "gate/decision.h"
#include "gate/ledger.h"
#include "gate/token.h"

namespace vg::reports {

enum class Lang { Zh, En };
std::optional<Lang> parseLang(std::string_view text);  // "zh", "en"

// Every reason code in plain words: ADMIT_VOUCHER is 凭券入场 / "admitted on a voucher".
std::string_view reasonWords(gate::Reason r, Lang lang);
// A stay in whole minutes: "2小时5分", "3小时", "15分钟" / "2h05m".
std::string formatStay(gate::Duration d, Lang lang);
// A household category in words (living-alone is 独居老人); a category the site added is shown as it is.
std::string categoryWords(std::string_view category, Lang lang);
std::string_view kindWords(gate::VehicleKind k, Lang lang);
// A registration in words: "住户车辆（户号 1-101），有效期至 2027-06-30" / "resident of unit 1-101 until ...".
std::string vehicleWords(const gate::Vehicle& v, Lang lang);
std::string_view statusWords(gate::VoucherStatus s, Lang lang);
std::string_view directionWords(gate::Direction d, Lang lang);

// Why a token does not verify, for a clerk or guard: in English gate::describe's sentence.
std::string_view tokenErrorWords(gate::TokenError e, Lang lang);

// A ledger's refusal said to a clerk: in Chinese for the refusals LedgerError::About names (no such household,
// voucher used, revoked or replaced, month ended, quota full, ...), else, and in English, its message.
std::string errorWords(const gate::LedgerError& e, Lang lang);

// Terminal columns `text` (UTF-8) takes: East Asian wide and full-width characters count two, combining marks none.
int displayWidth(std::string_view text);

// A text table: a header row and rows of cells, each column as wide as its widest cell, separated by two spaces;
// right-aligned columns for numbers. str() ends every line with '\n' and has no trailing blanks.
class TextTable {
  public:
    enum class Align { Left, Right };
    struct Column {
        std::string title;
        Align align = Align::Left;
    };
    explicit TextTable(std::vector<Column> columns) : columns_(std::move(columns)) {}
    void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
    bool empty() const { return rows_.empty(); }
    std::string str() const;

  private:
    std::vector<Column> columns_;
    std::vector<std::vector<std::string>> rows_;
};

}  // namespace vg::reports
