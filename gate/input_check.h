// Checks what people type (CLI arguments, CSV rows, later the console's forms) before it reaches the ledger:
// valid UTF-8 without control characters, plates by the plate grammar (plate/plate_text.h), units and phone
// numbers by the estate's patterns (site.unit_pattern, site.phone_pattern). Each check returns the value to store
// (normalised without changing its meaning: full-width letters and digits become ASCII, a plate's letters upper
// case) or one sentence that names the field and the rule broken. InputChecker is immutable after construction and
// may be shared between threads; its constructor throws std::regex_error on a bad pattern (the config loader
// validates them first); nothing else throws.
#pragma once

#include <cstddef>
#include <expected>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

#include "plate/plate_text.h"

namespace vg::gate {

// The value to store, or why it is refused ("plate 'hello world': the first character must be ...").
using Checked = std::expected<std::string, std::string>;

// Offset of the first byte of `text` that is not well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF), or nothing when all of it is.
std::optional<std::size_t> invalidUtf8At(std::string_view text);

// "plate: not valid UTF-8 at byte 3 (0xFF)" when `text` is not valid UTF-8 or holds a control character (a line
// break, a tab, ...); nothing when it is fine. The ledger uses this defensively on everything it stores.
std::optional<std::string> textProblem(std::string_view field, std::string_view text);

// One line of free text (a name, a reason, an operator): valid UTF-8, no control characters; returned unchanged.
Checked checkText(std::string_view field, std::string_view text);

// Full-width forms of ASCII (U+FF01..U+FF5E, as a Chinese input method types them) become ASCII, the ideographic
// space U+3000 a space. `text` must be valid UTF-8.
std::string foldFullWidth(std::string_view text);

// A plate as a person types it -> the canonical plate ("沪a·12345" -> "沪A12345"). A separator (space, dot, middle
// dot, hyphen) may stand only where plates print one, after the authority letter; anything else must be a plate
// by the grammar: "hello world" is refused, not turned into HELLOWORLD.
Checked checkPlate(std::string_view field, std::string_view text, const plate::PlateRules& rules = {});

// A plate as a key to look it up or compare it, without the grammar (gate::normalizePlate): full-width folded,
// every separator checkPlate() accepts dropped wherever it stands, letters upper case, so that any text checkPlate()
// stores as P has the key P. Text that is not valid UTF-8 has the empty key (it matches nothing).
std::string plateKey(std::string_view text);

// A unit or phone number used to look something up (not to register it): valid UTF-8, full-width folded, outer
// blanks trimmed, but not matched against the pattern (a unit registered under an older pattern stays reachable).
Checked lookupKey(std::string_view field, std::string_view text);

struct InputPatterns {
    std::string unit;   // ECMAScript regex, whole-string match (site.unit_pattern)
    std::string phone;  // ECMAScript regex, whole-string match (site.phone_pattern)
};

class InputChecker {
  public:
    explicit InputChecker(InputPatterns patterns);

    // A unit to register: lookupKey() and then the unit pattern.
    Checked unit(std::string_view field, std::string_view text) const;
    // A phone number to register: lookupKey() and then the phone pattern; "" (none given) is allowed.
    Checked phone(std::string_view field, std::string_view text) const;

    const InputPatterns& patterns() const { return patterns_; }

  private:
    InputPatterns patterns_;
    std::regex unit_;
    std::regex phone_;
};

}  // namespace vg::gate
