// The number a command-line option was given, for the bench and demo tools: exits 2 naming the option when the
// text is not a number in full (std::stoi would take "12abc" as 12, and throw an unexplained error on "abc").
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gate/parse_number.h"

namespace vg::bench {

template <typename T>
T optionNumber(const std::string& option, const std::string& text) {
    if (const auto v = vg::gate::parseNumber<T>(text)) return *v;
    std::fprintf(stderr, "%s: not a number: '%s'\n", option.c_str(), text.c_str());
    std::exit(2);
}

}  // namespace vg::bench
