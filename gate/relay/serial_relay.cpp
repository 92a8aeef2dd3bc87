#include "gate/relay/serial_relay.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace vg::relay {
namespace {

std::string sysError() { return std::strerror(errno); }

speed_t speedOf(int baud) {
    switch (baud) {
        case 1200:
            return B1200;
        case 2400:
            return B2400;
        case 4800:
            return B4800;
        case 9600:
            return B9600;
        case 19200:
            return B19200;
        case 38400:
            return B38400;
        case 57600:
            return B57600;
        case 115200:
            return B115200;
        case 230400:
            return B230400;
        case 460800:
            return B460800;
        case 921600:
            return B921600;
        default:
            return B0;
    }
}

class SerialRelay final : public Relay {
  public:
    SerialRelay(boost::asio::any_io_executor executor, const RelayOptions& options, NowFn now, int fd)
        : Relay(std::move(executor), options.lane, options.max_hold, std::move(now)),
          fd_(fd),
          channel_(options.channel),
          timeout_(options.timeout),
          where_(fmt::format("{} channel {}", options.device.string(), options.channel)) {}

    ~SerialRelay() override {
        const auto frame = lcusFrame(channel_, false);
        [[maybe_unused]] const auto n = ::write(fd_, frame.data(), frame.size());
        ::close(fd_);
    }

    std::string_view driver() const override { return "serial"; }

  protected:
    RelayResult set(bool on, Action, Duration, std::string_view) override {
        const auto frame = lcusFrame(channel_, on);
        std::size_t done = 0;
        while (done < frame.size()) {
            pollfd p{fd_, POLLOUT, 0};
            const int ready = ::poll(&p, 1, static_cast<int>(timeout_.count()));
            if (ready == 0) return fail(on, "the device did not take the frame within the timeout");
            if (ready < 0 || (p.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0) {
                if (ready < 0 && errno == EINTR) continue;
                return fail(on, ready < 0 ? sysError() : "the device hung up (unplugged?)");
            }
            const auto n = ::write(fd_, frame.data() + done, frame.size() - done);
            if (n < 0) {
                if (errno == EINTR || errno == EAGAIN) continue;
                return fail(on, sysError());
            }
            done += static_cast<std::size_t>(n);
        }
        if (::tcdrain(fd_) != 0) return fail(on, "cannot drain the line: " + sysError());
        return {};
    }

  private:
    RelayResult fail(bool on, const std::string& why) const {
        return std::unexpected(
            RelayError{"serial", fmt::format("{}: cannot switch {}: {}", where_, on ? "on" : "off", why)});
    }

    int fd_;
    int channel_;
    Duration timeout_;
    std::string where_;
};

}  // namespace

std::array<unsigned char, 4> lcusFrame(int channel, bool on) {
    const auto ch = static_cast<unsigned char>(channel);
    const auto state = static_cast<unsigned char>(on ? 1 : 0);
    return {0xA0, ch, state, static_cast<unsigned char>(0xA0 + ch + state)};
}

std::expected<std::unique_ptr<Relay>, RelayError> makeSerialRelay(boost::asio::any_io_executor executor,
                                                                  const RelayOptions& options, NowFn now) {
    if (options.device.empty()) return std::unexpected(RelayError{"serial", "no device given (lane.relay.device)"});
    const speed_t speed = speedOf(options.baud);
    if (speed == B0)
        return std::unexpected(
            RelayError{"serial", fmt::format("{}: unsupported baud rate {}", options.device.string(), options.baud)});
    const int fd = ::open(options.device.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return std::unexpected(
            RelayError{"serial", fmt::format("cannot open {}: {}", options.device.string(), sysError())});
    termios tio{};
    if (::tcgetattr(fd, &tio) != 0) {
        const std::string why = sysError();
        ::close(fd);
        return std::unexpected(
            RelayError{"serial", fmt::format("{} is not a serial line: {}", options.device.string(), why)});
    }
    ::cfmakeraw(&tio);
    tio.c_cflag |= CLOCAL | CREAD;
    tio.c_cflag &= ~static_cast<tcflag_t>(CSTOPB | PARENB);
    ::cfsetispeed(&tio, speed);
    ::cfsetospeed(&tio, speed);
    if (::tcsetattr(fd, TCSANOW, &tio) != 0) {
        const std::string why = sysError();
        ::close(fd);
        return std::unexpected(
            RelayError{"serial", fmt::format("cannot configure {}: {}", options.device.string(), why)});
    }
    return std::make_unique<SerialRelay>(std::move(executor), options, std::move(now), fd);
}

}  // namespace vg::relay
