#include "daemon/announcer.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <spdlog/spdlog.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <vector>

extern char** environ;

namespace vg::daemon {

using gate::Reason;

std::optional<std::string> announcementFor(const gate::Decision& d, const gate::SiteZone& zone) {
    switch (d.reason) {
        case Reason::AdmitVoucher:
        case Reason::AdmitVoucherPlateUnread:
        case Reason::AdmitRepeat:
            if (d.deadline) return "欢迎，请于" + zone.formatLocal(*d.deadline, "%H:%M") + "前离场";
            return "欢迎";
        case Reason::AdmitResident:
            return "欢迎回家";
        case Reason::AdmitManual:
            return "请通行";
        case Reason::ReleaseVisit:
        case Reason::ReleaseResident:
        case Reason::ReleaseUnmatched:
        case Reason::ReleaseOnError:
            return "一路平安";
        case Reason::ReleaseOverstay:
        case Reason::HoldOverstay:
            return "已超时，请联系门卫";
        case Reason::DenyNeedVoucher:
            return "请出示亲情停车券";
        case Reason::DenyVoucherUsed:
            return "此券已使用";
        case Reason::DenyVoucherExpired:
            return "此券已过期";
        case Reason::DenyVoucherNotYetValid:
            return "此券尚未生效";
        case Reason::DenyVoucherRevoked:
        case Reason::DenyVoucherForged:
            return "此券无效";
        case Reason::DenyAlreadyInside:
            return "此车已在场内，请联系门卫";
        case Reason::DenyBlocked:
        case Reason::DenyGuardRefused:
            return "请联系门卫";
        case Reason::DenyPlateUnread:
            return "未能识别车牌，请联系门卫";
        case Reason::HoldPlateUnread:
            return "请稍候，门卫确认中";
        case Reason::DenyClockBehind:
        case Reason::DenyInternal:
        case Reason::HoldOnError:
            return "系统故障，请联系门卫";
        case Reason::ExitQrMismatch:
            return std::nullopt;
    }
    return std::nullopt;
}

namespace {
void logAnnounce(const std::string& lane, std::string_view text, std::string_view driver) {
    spdlog::info("ANNOUNCE {}", nlohmann::json{{"lane", lane}, {"text", text}, {"driver", driver}}.dump());
}
}  // namespace

void LogAnnouncer::say(std::string_view text) { logAnnounce(lane_, text, driver()); }

TtsAnnouncer::TtsAnnouncer(std::string lane, std::string voice, std::string program)
    : lane_(std::move(lane)), voice_(voice.empty() ? "cmn" : std::move(voice)), program_(std::move(program)) {}

TtsAnnouncer::~TtsAnnouncer() {
    if (child_ > 0) {
        ::kill(child_, SIGTERM);
        ::waitpid(child_, nullptr, 0);
    }
}

void TtsAnnouncer::reap() {
    if (child_ > 0 && ::waitpid(child_, nullptr, WNOHANG) == child_) child_ = -1;
}

void TtsAnnouncer::say(std::string_view text) {
    logAnnounce(lane_, text, driver());
    reap();
    if (child_ > 0) {
        // The newest message is the one that matters to the driver now.
        ::kill(child_, SIGTERM);
        ::waitpid(child_, nullptr, 0);
        child_ = -1;
    }
    std::string message(text);
    std::vector<char*> argv{program_.data(), const_cast<char*>("-v"), voice_.data(), message.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid = -1;
    const int rc = ::posix_spawnp(&pid, program_.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) {
        spdlog::warn("ANNOUNCER_FAULT {}",
                     nlohmann::json{{"lane", lane_}, {"driver", "tts"}, {"error", std::strerror(rc)}}.dump());
        return;
    }
    child_ = pid;
}

std::unique_ptr<Announcer> makeAnnouncer(const std::string& lane, bool tts, const std::string& voice) {
    if (tts) return std::make_unique<TtsAnnouncer>(lane, voice);
    return std::make_unique<LogAnnouncer>(lane);
}

}  // namespace vg::daemon
