// The daemon's journal formatting (see logging.h): the JSON of an event line, and the logger with the
// journald priority prefix under systemd.
#include "daemon/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <memory>

namespace vg::daemon {

std::string dumpJson(const nlohmann::json& j) {
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
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
