// Presence drivers: `sim` (a file whose first byte is '1' while a vehicle is present) and `gpio` (an input line).
#include "gate/relay/presence_input.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <gpiod.hpp>

namespace vg::relay {

namespace {

class SimPresence final : public PresenceInput {
  public:
    explicit SimPresence(std::filesystem::path file) : file_(std::move(file)) {}
    std::string_view driver() const override { return "sim"; }
    Presence read() override {
        const int fd = ::open(file_.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) return errno == ENOENT ? Presence::Absent : Presence::Unknown;
        char c = 0;
        const ssize_t n = ::read(fd, &c, 1);
        ::close(fd);
        if (n < 0) return Presence::Unknown;
        return n == 1 && c == '1' ? Presence::Present : Presence::Absent;
    }

  private:
    std::filesystem::path file_;
};

class GpioPresence final : public PresenceInput {
  public:
    explicit GpioPresence(gpiod::line line) : line_(std::move(line)) {}
    std::string_view driver() const override { return "gpio"; }
    Presence read() override {
        try {
            return line_.get_value() != 0 ? Presence::Present : Presence::Absent;
        } catch (const std::exception&) {
            return Presence::Unknown;
        }
    }

  private:
    gpiod::line line_;
};

}  // namespace

std::expected<std::unique_ptr<PresenceInput>, std::string> makePresenceInput(const PresenceOptions& options) {
    switch (options.kind) {
        case PresenceKind::Sim:
            if (options.file.empty()) return std::unexpected("presence sim: no file given (lane.presence.file)");
            return std::make_unique<SimPresence>(options.file);
        case PresenceKind::Gpio:
            try {
                const std::string path = options.chip.starts_with("/") ? options.chip : "/dev/" + options.chip;
                gpiod::chip chip(path, gpiod::chip::OPEN_BY_PATH);
                gpiod::line line = chip.get_line(static_cast<unsigned>(options.line));
                line.request({"voucher-gated", gpiod::line_request::DIRECTION_INPUT,
                              options.active_low ? gpiod::line_request::FLAG_ACTIVE_LOW : std::bitset<32>{}});
                return std::make_unique<GpioPresence>(std::move(line));
            } catch (const std::exception& e) {
                return std::unexpected(
                    fmt::format("presence gpio: cannot open {} line {}: {}", options.chip, options.line, e.what()));
            }
    }
    return std::unexpected("presence: unknown driver");
}

}  // namespace vg::relay
