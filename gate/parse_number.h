// Whole-string number parsing for command lines, CSV fields and stored text: std::from_chars (no locale, no
// exceptions, no leading blanks or trailing junk accepted), instead of std::stoi and friends, which throw on junk and
// take "12abc" as 12. Header-only.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>

namespace vg::gate {

// The number `text` spells in full, or nothing (empty, junk before or after it, out of T's range).
template <typename T>
std::optional<T> parseNumber(std::string_view text) {
    T value{};
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc{} || ptr != end || text.empty()) return std::nullopt;
    return value;
}

}  // namespace vg::gate
