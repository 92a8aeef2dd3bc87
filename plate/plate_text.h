// The text grammar of Chinese licence plates (GA 36-2014): which characters may stand where, the issuing
// authorities' letters of each province, the kinds of plate. Shared by `gate` (checking what people type) and
// `vision` (constraining what the reader reads); depends on nothing. Pure functions over immutable tables: any
// thread, nothing throws.
#pragma once

#include <cstdint>
#include <expected>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace vg::plate {

// What a grammatical plate is. Standard covers blue (small car) and yellow (large car) 7-character plates.
enum class PlateKind : std::uint8_t {
    Standard,        // 沪A12345, serial of 5 with at most two letters (GA 36-2014 5.8.1)
    NewEnergySmall,  // 沪AD12345: D/F, one letter or digit, four digits
    NewEnergyLarge,  // 沪A12345D: five digits, D/F
    Coach,           // 沪A1234学
    Police,          // 沪A1234警
    Trailer,         // 沪A1234挂
    HongKong,        // 粤Z1234港
    Macau,           // 粤Z1234澳
    Consulate,       // 沪A1234领
    Embassy,         // 使123456
};

std::string_view plateKindName(PlateKind kind);
// Number of characters of a plate of this kind (7, or 8 for new-energy plates).
int plateKindLength(PlateKind kind);
bool isSpecialPlateKind(PlateKind kind);

// Splits UTF-8 text into code points ("沪A12345" -> {"沪","A","1",...}). Invalid bytes come out one per element.
std::vector<std::string> splitUtf8(std::string_view text);

// A province (or municipality) abbreviation and the letters of its issuing authorities, GA 36-2014 Appendix A
// (plus the historical 皖Q). Every province also has O, the provincial police (note g), not listed here.
struct Issuer {
    std::string_view province;
    std::string_view letters;
};
std::span<const Issuer> issuers();
// The issuer entry of a province abbreviation ("沪"), or nullptr when `text` is not one.
const Issuer* findIssuer(std::string_view text);

// The characters of a plate's serial: digits and the letters A-Z without I and O.
inline constexpr std::string_view kSerialLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ";

struct PlateRules {
    // Restrict the letter after the province to that province's issuing authorities (plus O). Off: any letter
    // but I, and O only on police plates.
    bool issuer_letters = true;
    // Accept the special plates (学 警 挂 港 澳 领 使).
    bool accept_special = true;
};

// Whether `plate` (canonical: upper-case ASCII, no separators) is a plate, and as what. The error is one sentence
// naming the rule broken, e.g. "the first character must be a province abbreviation such as 京 or 沪, not 'H'".
std::expected<PlateKind, std::string> checkPlateText(std::string_view plate, const PlateRules& rules = {});

}  // namespace vg::plate
