// The daemon's journal formatting (see logging.h): the JSON of an event line, and the logger with the
// journald priority prefix under systemd.
#include "daemon/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string_view>

namespace vg::daemon {

std::string dumpJson(const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

constexpr std::string_view kPlateMark = "<plate>";

// The length of the UTF-8 sequence starting with `lead`; 0 for ASCII and stray continuation bytes.
std::size_t sequenceLength(unsigned char lead) {
    if (lead >= 0xF0 && lead <= 0xF7) return 4;
    if (lead >= 0xE0) return 3;
    if (lead >= 0xC0) return 2;
    return 0;
}

bool plateSerialChar(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

}  // namespace

std::string redactPlates(std::string text, const std::vector<std::string>& known) {
    std::vector<std::string> plates;
    for (const auto& p : known) {
        if (!p.empty()) plates.push_back(p);
    }
    // Longest first: a plate that contains another is replaced whole.
    std::sort(plates.begin(), plates.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    for (const auto& p : plates) {
        for (auto at = text.find(p); at != std::string::npos; at = text.find(p, at + kPlateMark.size())) {
            text.replace(at, p.size(), kPlateMark);
        }
    }
    static const std::vector<std::string_view> kSuffixes = {"学", "警", "挂", "港", "澳", "领"};
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t lead = sequenceLength(static_cast<unsigned char>(text[i]));
        if (lead > 0 && i + lead <= text.size()) {
            std::size_t end = i + lead;
            while (end < text.size() && plateSerialChar(text[end])) ++end;
            if (end - (i + lead) >= 5) {
                for (const auto suffix : kSuffixes) {
                    if (std::string_view(text).substr(end, suffix.size()) == suffix) {
                        end += suffix.size();
                        break;
                    }
                }
                out += kPlateMark;
                i = end;
                continue;
            }
            out.append(text, i, lead);
            i += lead;
            continue;
        }
        out += text[i++];
    }
    return out;
}

namespace {

// Under systemd each line starts with its journald priority ("<6>"), so `journalctl -p err` works.
class JournalPriorityFlag final : public spdlog::custom_flag_formatter {
  public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        static constexpr const char* kPrio[] = {"<7>", "<7>", "<6>", "<4>", "<3>", "<2>", "<6>"};
        const char* p = kPrio[static_cast<int>(msg.level)];
        dest.append(p, p + 3);
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JournalPriorityFlag>(); }
};

}  // namespace

void setupLogging() {
    auto logger = spdlog::stderr_logger_mt("voucher-gated");
    auto formatter = std::make_unique<spdlog::pattern_formatter>();
    if (std::getenv("JOURNAL_STREAM") != nullptr) {
        formatter->add_flag<JournalPriorityFlag>('*').set_pattern("%*%v");
    } else {
        formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
    }
    logger->set_formatter(std::move(formatter));
    // VG_LOG_LEVEL=debug adds every plate read (PLATE_READ) for commissioning.
    if (const char* level = std::getenv("VG_LOG_LEVEL")) logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::trace);  // one line per event, visible at once (tests and the demo watch it)
    spdlog::set_default_logger(logger);
}

}  // namespace vg::daemon
