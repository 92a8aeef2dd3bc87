#include "gate/input_check.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <vector>

namespace vg::gate {
namespace {

// Decodes the code point at text[i] (valid UTF-8 assumed) and its length.
std::pair<std::uint32_t, std::size_t> decodeAt(std::string_view text, std::size_t i) {
    const auto b = [&](std::size_t k) { return static_cast<std::uint32_t>(static_cast<unsigned char>(text[i + k])); };
    const std::uint32_t lead = b(0);
    if (lead < 0x80) return {lead, 1};
    if (lead < 0xE0) return {((lead & 0x1F) << 6) | (b(1) & 0x3F), 2};
    if (lead < 0xF0) return {((lead & 0x0F) << 12) | ((b(1) & 0x3F) << 6) | (b(2) & 0x3F), 3};
    return {((lead & 0x07) << 18) | ((b(1) & 0x3F) << 12) | ((b(2) & 0x3F) << 6) | (b(3) & 0x3F), 4};
}

void appendUtf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

std::string trimmed(std::string_view text) {
    std::size_t from = 0;
    std::size_t to = text.size();
    while (from < to && text[from] == ' ') ++from;
    while (to > from && text[to - 1] == ' ') --to;
    return std::string(text.substr(from, to - from));
}

// The separators a plate is printed or typed with: space, '.', '-', U+00B7 MIDDLE DOT, U+30FB KATAKANA MIDDLE DOT,
// U+2022 BULLET.
bool isPlateSeparator(std::uint32_t cp) {
    return cp == ' ' || cp == '.' || cp == '-' || cp == 0xB7 || cp == 0x30FB || cp == 0x2022;
}

}  // namespace

std::optional<std::size_t> invalidUtf8At(std::string_view text) {
    std::size_t i = 0;
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    while (i < text.size()) {
        const unsigned char lead = byte(i);
        std::size_t len = 0;
        unsigned char lo = 0x80;
        unsigned char hi = 0xBF;
        if (lead < 0x80) {
            ++i;
            continue;
        }
        if (lead >= 0xC2 && lead <= 0xDF) {
            len = 2;
        } else if (lead >= 0xE0 && lead <= 0xEF) {
            len = 3;
            if (lead == 0xE0) lo = 0xA0;  // overlong
            if (lead == 0xED) hi = 0x9F;  // surrogates
        } else if (lead >= 0xF0 && lead <= 0xF4) {
            len = 4;
            if (lead == 0xF0) lo = 0x90;  // overlong
            if (lead == 0xF4) hi = 0x8F;  // above U+10FFFF
        } else {
            return i;
        }
        if (i + len > text.size()) return i;
        if (byte(i + 1) < lo || byte(i + 1) > hi) return i;
        for (std::size_t k = 2; k < len; ++k) {
            if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return i;
        }
        i += len;
    }
    return std::nullopt;
}

std::optional<std::string> textProblem(std::string_view field, std::string_view text) {
    if (auto at = invalidUtf8At(text)) {
        return fmt::format("{}: not valid UTF-8 at byte {} (0x{:02X}); save the text as UTF-8", field, *at,
                           static_cast<unsigned char>(text[*at]));
    }
    for (std::size_t i = 0; i < text.size();) {
        const auto [cp, len] = decodeAt(text, i);
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
            return fmt::format("{}: control character U+{:04X} at byte {}: one line of text is expected", field, cp, i);
        }
        i += len;
    }
    return std::nullopt;
}

Checked checkText(std::string_view field, std::string_view text) {
    if (auto problem = textProblem(field, text)) return std::unexpected(*problem);
    return std::string(text);
}

std::string foldFullWidth(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const auto [cp, len] = decodeAt(text, i);
        if (cp >= 0xFF01 && cp <= 0xFF5E) {
            out += static_cast<char>(cp - 0xFF01 + 0x21);
        } else if (cp == 0x3000) {
            out += ' ';
        } else {
            out.append(text.substr(i, len));
        }
        i += len;
    }
    return out;
}

std::string plateKey(std::string_view text) {
    if (invalidUtf8At(text)) return {};
    const std::string folded = foldFullWidth(text);
    std::string out;
    out.reserve(folded.size());
    for (std::size_t i = 0; i < folded.size();) {
        auto [cp, len] = decodeAt(folded, i);
        i += len;
        if (isPlateSeparator(cp) || cp == '\t') continue;
        if (cp >= 'a' && cp <= 'z') cp = cp - 'a' + 'A';
        appendUtf8(out, cp);
    }
    return out;
}

Checked lookupKey(std::string_view field, std::string_view text) {
    if (auto problem = textProblem(field, text)) return std::unexpected(*problem);
    return trimmed(foldFullWidth(text));
}

Checked checkPlate(std::string_view field, std::string_view text, const plate::PlateRules& rules) {
    if (auto problem = textProblem(field, text)) return std::unexpected(*problem);
    const std::string folded = trimmed(foldFullWidth(text));
    std::string canonical;
    std::vector<std::size_t> separators_after;  // characters before each separator
    std::size_t chars = 0;
    for (std::size_t i = 0; i < folded.size();) {
        auto [cp, len] = decodeAt(folded, i);
        if (isPlateSeparator(cp)) {
            separators_after.push_back(chars);
        } else {
            if (cp >= 'a' && cp <= 'z') cp = cp - 'a' + 'A';
            appendUtf8(canonical, cp);
            ++chars;
        }
        i += len;
    }
    auto kind = plate::checkPlateText(canonical, rules);
    if (!kind) return std::unexpected(fmt::format("{} '{}': {}", field, text, kind.error()));
    const std::size_t where = *kind == plate::PlateKind::Embassy ? 1 : 2;
    if (separators_after.size() > 1 || (separators_after.size() == 1 && separators_after[0] != where)) {
        return std::unexpected(
            fmt::format("{} '{}': a separator may only stand after the authority letter, as in "
                        "沪A·12345",
                        field, text));
    }
    return canonical;
}

InputChecker::InputChecker(InputPatterns patterns)
    : patterns_(std::move(patterns)),
      unit_(patterns_.unit, std::regex::ECMAScript),
      phone_(patterns_.phone, std::regex::ECMAScript) {}

Checked InputChecker::unit(std::string_view field, std::string_view text) const {
    auto key = lookupKey(field, text);
    if (!key) return key;
    if (key->empty()) return std::unexpected(fmt::format("{}: must not be empty", field));
    if (!std::regex_match(*key, unit_)) {
        return std::unexpected(
            fmt::format("{} '{}' does not match the estate's unit pattern {} (site.unit_pattern), "
                        "e.g. 12-301",
                        field, text, patterns_.unit));
    }
    return key;
}

Checked InputChecker::phone(std::string_view field, std::string_view text) const {
    auto key = lookupKey(field, text);
    if (!key || key->empty()) return key;
    if (!std::regex_match(*key, phone_)) {
        return std::unexpected(
            fmt::format("{} '{}' is not a phone number: it must match {} (site.phone_pattern), "
                        "e.g. 13812345678 or 021-62345678",
                        field, text, patterns_.phone));
    }
    return key;
}

}  // namespace vg::gate
