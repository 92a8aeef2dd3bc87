// Text files people bring (a vehicle list saved from a spreadsheet): which encoding they are in, converted to
// UTF-8. UTF-8 with or without a byte-order mark is taken as it is; a file that is not valid UTF-8 but decodes
// cleanly as GB18030 (of which GBK, what Excel on a Chinese Windows saves, is a part) is converted with glibc's
// iconv; anything else is refused with a message naming what was found. Pure functions: any thread, nothing throws.
#pragma once

#include <expected>
#include <string>
#include <string_view>

namespace vg::gate {

struct DecodedText {
    std::string utf8;      // the content as UTF-8, without a byte-order mark
    std::string encoding;  // "UTF-8", "UTF-8 with BOM" or "GB18030"
};

std::expected<DecodedText, std::string> decodeTextFile(std::string_view bytes);

}  // namespace vg::gate
