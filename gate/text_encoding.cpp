#include "gate/text_encoding.h"

#include <fmt/format.h>
#include <iconv.h>

#include <cerrno>
#include <optional>

#include "gate/input_check.h"

namespace vg::gate {
namespace {

struct IconvResult {
    std::string out;
    std::optional<std::size_t> bad_at;  // offset of the first byte that does not decode
};

// Strict conversion (no //IGNORE, no //TRANSLIT): the first undecodable byte stops it.
IconvResult convert(const char* from, std::string_view in) {
    IconvResult r;
    iconv_t cd = iconv_open("UTF-8", from);
    if (cd == reinterpret_cast<iconv_t>(-1)) {
        r.bad_at = 0;
        return r;
    }
    std::string buf(in);
    char* src = buf.data();
    std::size_t src_left = buf.size();
    std::string out(in.size() * 2 + 16, '\0');
    std::size_t used = 0;
    while (src_left > 0) {
        char* dst = out.data() + used;
        std::size_t dst_left = out.size() - used;
        const std::size_t rc = iconv(cd, &src, &src_left, &dst, &dst_left);
        used = out.size() - dst_left;
        if (rc != static_cast<std::size_t>(-1)) continue;
        if (errno == E2BIG) {
            out.resize(out.size() * 2);
            continue;
        }
        r.bad_at = static_cast<std::size_t>(src - buf.data());  // EILSEQ or EINVAL (cut short at the end)
        break;
    }
    iconv_close(cd);
    out.resize(used);
    r.out = std::move(out);
    return r;
}

}  // namespace

std::expected<DecodedText, std::string> decodeTextFile(std::string_view bytes) {
    const auto byteAt = [&](std::size_t i) { return static_cast<unsigned char>(bytes[i]); };
    if (bytes.starts_with("\xEF\xBB\xBF")) {
        const std::string_view rest = bytes.substr(3);
        if (auto at = invalidUtf8At(rest)) {
            return std::unexpected(
                fmt::format("it starts with a UTF-8 byte-order mark but byte {} (0x{:02X}) is not UTF-8; save it "
                            "again as UTF-8",
                            *at + 3, static_cast<unsigned char>(rest[*at])));
        }
        return DecodedText{std::string(rest), "UTF-8 with BOM"};
    }
    if (bytes.size() >= 2 && ((byteAt(0) == 0xFF && byteAt(1) == 0xFE) || (byteAt(0) == 0xFE && byteAt(1) == 0xFF))) {
        return std::unexpected(
            fmt::format("it is UTF-16 (byte-order mark {:02X} {:02X}), which is not accepted: save "
                        "it as \"CSV UTF-8\" (or as CSV in GBK)",
                        byteAt(0), byteAt(1)));
    }
    const auto utf8_bad = invalidUtf8At(bytes);
    if (!utf8_bad) return DecodedText{std::string(bytes), "UTF-8"};
    auto gb = convert("GB18030", bytes);
    if (!gb.bad_at) return DecodedText{std::move(gb.out), "GB18030"};
    return std::unexpected(
        fmt::format("it is neither UTF-8 (byte {}, 0x{:02X}, is not UTF-8) nor GBK/GB18030 (byte {}, "
                    "0x{:02X}, does not decode): save it as \"CSV UTF-8\"",
                    *utf8_bad, byteAt(*utf8_bad), *gb.bad_at, *gb.bad_at < bytes.size() ? byteAt(*gb.bad_at) : 0U));
}

}  // namespace vg::gate
