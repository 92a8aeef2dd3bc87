#include "plate/plate_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <utility>

namespace vg::plate {
namespace {

constexpr std::string_view kAllLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ";  // no I, no O

// GA 36-2014 Appendix A (table A.1). Municipalities use A-Z in order. 皖Q (巢湖) was withdrawn by the 2014 edition
// but is still on the road.
constexpr std::array<Issuer, 31> kIssuers{{
    {"京", kAllLetters},
    {"津", kAllLetters},
    {"沪", kAllLetters},
    {"渝", kAllLetters},
    {"冀", "ABCDEFGHJRT"},
    {"晋", "ABCDEFHJKLM"},
    {"蒙", "ABCDEFGHJKLM"},
    {"辽", "ABCDEFGHJKLMNP"},
    {"吉", "ABCDEFGHJK"},
    {"黑", "ABCDEFGHJKLMNPR"},
    {"苏", "ABCDEFGHJKLMN"},
    {"浙", "ABCDEFGHJKL"},
    {"皖", "ABCDEFGHJKLMNPQRS"},
    {"闽", "ABCDEFGHJK"},
    {"赣", "ABCDEFGHJKLM"},
    {"鲁", "ABCDEFGHJKLMNPQRSUVY"},
    {"豫", "ABCDEFGHJKLMNPQRSU"},
    {"鄂", "ABCDEFGHJKLMNPQRS"},
    {"湘", "ABCDEFGHJKLMNSU"},
    {"粤", "ABCDEFGHJKLMNPQRSTUVWXY"},
    {"桂", "ABCDEFGHJKLMNPR"},
    {"琼", "ABCDE"},
    {"川", "ABCDEFHJKLMQRSTUVWXYZ"},
    {"贵", "ABCDEFGHJ"},
    {"云", "ACDEFGHJKLMNPQRS"},
    {"藏", "ABCDEFG"},
    {"陕", "ABCDEFGHJKV"},
    {"甘", "ABCDEFGHJKLMNP"},
    {"青", "ABCDEFGH"},
    {"宁", "ABCDE"},
    {"新", "ABCDEFGHJKLMNPQR"},
}};

bool isDigit(const std::string& s) { return s.size() == 1 && s[0] >= '0' && s[0] <= '9'; }
bool isLetter(const std::string& s) { return s.size() == 1 && s[0] >= 'A' && s[0] <= 'Z'; }

std::string spaced(std::string_view letters) {
    std::string out;
    for (char c : letters) {
        if (!out.empty()) out += ' ';
        out += c;
    }
    return out;
}

using Check = std::expected<void, std::string>;

// Positions [from, to) of `chars` are a serial: digits and letters without I and O, at most `maxLetters` letters
// (-1: no limit).
Check checkSerial(const std::vector<std::string>& chars, std::size_t from, std::size_t to, int maxLetters) {
    int letters = 0;
    for (std::size_t i = from; i < to; ++i) {
        const std::string& c = chars[i];
        if (isDigit(c)) continue;
        if (!isLetter(c)) {
            return std::unexpected(
                fmt::format("character {} ('{}') cannot stand in a plate's serial: only digits and "
                            "the letters A-Z",
                            i + 1, c));
        }
        if (c == "I" || c == "O") {
            return std::unexpected(
                fmt::format("character {} is '{}': a serial never has I or O (they would read as 1 and 0)", i + 1, c));
        }
        ++letters;
    }
    if (maxLetters >= 0 && letters > maxLetters) {
        return std::unexpected(fmt::format("the serial has {} letters: at most {} are allowed", letters, maxLetters));
    }
    return {};
}

Check checkDigits(const std::vector<std::string>& chars, std::size_t from, std::size_t to, std::string_view form) {
    for (std::size_t i = from; i < to; ++i) {
        if (!isDigit(chars[i])) {
            return std::unexpected(fmt::format("character {} ('{}') must be a digit ({})", i + 1, chars[i], form));
        }
    }
    return {};
}

Check checkIssuer(const std::vector<std::string>& chars, const Issuer& issuer, bool police, const PlateRules& rules) {
    const std::string& letter = chars[1];
    if (rules.issuer_letters) {
        if (letter == "O" || issuer.letters.find(letter[0]) != std::string_view::npos) return {};
        return std::unexpected(
            fmt::format("{} has no issuing authority '{}' (its letters are {}, and O for the "
                        "provincial police)",
                        issuer.province, letter, spaced(issuer.letters)));
    }
    if (letter == "O" && !police) {
        return std::unexpected("the authority letter O (provincial police) is only used on police plates (警)");
    }
    return {};
}

}  // namespace

std::string_view plateKindName(PlateKind kind) {
    switch (kind) {
        case PlateKind::Standard:
            return "standard";
        case PlateKind::NewEnergySmall:
            return "new_energy_small";
        case PlateKind::NewEnergyLarge:
            return "new_energy_large";
        case PlateKind::Coach:
            return "coach";
        case PlateKind::Police:
            return "police";
        case PlateKind::Trailer:
            return "trailer";
        case PlateKind::HongKong:
            return "hong_kong";
        case PlateKind::Macau:
            return "macau";
        case PlateKind::Consulate:
            return "consulate";
        case PlateKind::Embassy:
            return "embassy";
    }
    return "unknown";
}

int plateKindLength(PlateKind kind) {
    return kind == PlateKind::NewEnergySmall || kind == PlateKind::NewEnergyLarge ? 8 : 7;
}

bool isSpecialPlateKind(PlateKind kind) {
    return kind != PlateKind::Standard && kind != PlateKind::NewEnergySmall && kind != PlateKind::NewEnergyLarge;
}

std::vector<std::string> splitUtf8(std::string_view text) {
    std::vector<std::string> out;
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        std::size_t len = 1;
        if (lead >= 0xF0) {
            len = 4;
        } else if (lead >= 0xE0) {
            len = 3;
        } else if (lead >= 0xC0) {
            len = 2;
        }
        len = std::min(len, text.size() - i);
        out.emplace_back(text.substr(i, len));
        i += len;
    }
    return out;
}

std::span<const Issuer> issuers() { return kIssuers; }

const Issuer* findIssuer(std::string_view text) {
    const auto* it = std::ranges::find(kIssuers, text, &Issuer::province);
    return it == kIssuers.end() ? nullptr : &*it;
}

std::expected<PlateKind, std::string> checkPlateText(std::string_view plate, const PlateRules& rules) {
    const std::vector<std::string> chars = splitUtf8(plate);
    const std::size_t n = chars.size();
    if (n == 0) return std::unexpected("it is empty");
    if (chars[0] == "使") {
        if (!rules.accept_special) return std::unexpected("special plates (学 警 挂 港 澳 领 使) are not accepted");
        if (n != 7) return std::unexpected(fmt::format("an embassy plate is 使 and six digits, this one has {}", n));
        if (auto c = checkDigits(chars, 1, 7, "an embassy plate is 使 and six digits"); !c) {
            return std::unexpected(c.error());
        }
        return PlateKind::Embassy;
    }
    const Issuer* issuer = findIssuer(chars[0]);
    if (issuer == nullptr) {
        return std::unexpected(
            fmt::format("the first character must be a province abbreviation such as 京 or 沪, not '{}'", chars[0]));
    }
    if (n < 2) return std::unexpected("it ends after the province: the authority letter and the serial are missing");
    if (!isLetter(chars[1]) || chars[1] == "I") {
        return std::unexpected(fmt::format(
            "the second character must be the issuing authority's letter (A-Z, not I), not '{}'", chars[1]));
    }
    if (n != 7 && n != 8) {
        return std::unexpected(fmt::format("a plate has 7 characters (8 for a new-energy plate), this one has {}", n));
    }
    if (n == 7) {
        static constexpr std::array<std::pair<std::string_view, PlateKind>, 6> kSuffix{{{"学", PlateKind::Coach},
                                                                                        {"警", PlateKind::Police},
                                                                                        {"挂", PlateKind::Trailer},
                                                                                        {"领", PlateKind::Consulate},
                                                                                        {"港", PlateKind::HongKong},
                                                                                        {"澳", PlateKind::Macau}}};
        const auto* special = std::ranges::find(kSuffix, chars[6], &std::pair<std::string_view, PlateKind>::first);
        if (special == kSuffix.end()) {
            if (auto c = checkIssuer(chars, *issuer, false, rules); !c) return std::unexpected(c.error());
            if (auto c = checkSerial(chars, 2, 7, 2); !c) return std::unexpected(c.error());
            return PlateKind::Standard;
        }
        const PlateKind kind = special->second;
        if (!rules.accept_special) return std::unexpected("special plates (学 警 挂 港 澳 领 使) are not accepted");
        if (kind == PlateKind::HongKong || kind == PlateKind::Macau) {
            if (chars[0] != "粤" || chars[1] != "Z") {
                return std::unexpected(fmt::format("a plate ending in {} starts with 粤Z", chars[6]));
            }
        } else if (auto c = checkIssuer(chars, *issuer, kind == PlateKind::Police, rules); !c) {
            return std::unexpected(c.error());
        }
        if (auto c = checkSerial(chars, 2, 6, 2); !c) return std::unexpected(c.error());
        return kind;
    }
    if (auto c = checkIssuer(chars, *issuer, false, rules); !c) return std::unexpected(c.error());
    constexpr std::string_view kForms =
        "an 8-character plate is a new-energy plate: D or F, a letter or digit and four digits (沪AD12345), or five "
        "digits and D or F (沪A12345D)";
    if (chars[2] == "D" || chars[2] == "F") {
        if (auto c = checkSerial(chars, 3, 4, -1); !c) return std::unexpected(c.error());
        if (auto c = checkDigits(chars, 4, 8, kForms); !c) return std::unexpected(c.error());
        return PlateKind::NewEnergySmall;
    }
    if (chars[7] == "D" || chars[7] == "F") {
        if (auto c = checkDigits(chars, 2, 7, kForms); !c) return std::unexpected(c.error());
        return PlateKind::NewEnergyLarge;
    }
    return std::unexpected(std::string(kForms));
}

}  // namespace vg::plate
