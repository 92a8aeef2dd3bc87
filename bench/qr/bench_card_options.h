// The card options of the QR bench's phone-screen frames: what the console would put on "a voucher as an image" for
// a site configured like this (options::cardSheetOptions, the console's own mapping).
#pragma once

#include <cstdio>
#include <cstdlib>

#include "config/config_loader.h"
#include "options/card_options.h"

namespace vg::bench {

inline cards::CardSheetOptions benchCardOptions() {
    const auto s = config::loadFromString(R"(
[site]
name = "和平花园居民委员会"
phone = "021-62345678"
[stay]
max = "4h"
overstay_fee_per_hour = 5
)",
                                          "qr bench");
    if (!s) {
        std::fprintf(stderr, "%s\n", s.error().str().c_str());
        std::exit(1);
    }
    return options::cardSheetOptions(*s);
}

}  // namespace vg::bench
