// What the driver hears: one Chinese sentence per decision (announcementFor) and a per-lane Announcer that
// says it. `log` writes an ANNOUNCE line; `tts` also speaks it through espeak-ng's Mandarin voice ("cmn") as a
// child process, never blocking the event loop (a newer message cuts off an older one still speaking).
// Its lane's thread only. Nothing throws.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "gate/decision.h"
#include "gate/site_time.h"

namespace vg::daemon {

// The sentence for a decision, or nullopt when the driver is told nothing (e.g. EXIT_QR_MISMATCH).
// Voucher admissions name the deadline in site time: "欢迎，请于18:30前离场".
std::optional<std::string> announcementFor(const gate::Decision& d, const gate::SiteZone& zone);

class Announcer {
  public:
    virtual ~Announcer() = default;
    virtual std::string_view driver() const = 0;
    virtual void say(std::string_view text) = 0;
};

class LogAnnouncer final : public Announcer {
  public:
    explicit LogAnnouncer(std::string lane) : lane_(std::move(lane)) {}
    std::string_view driver() const override { return "log"; }
    void say(std::string_view text) override;

  private:
    std::string lane_;
};

class TtsAnnouncer final : public Announcer {
  public:
    // program: "espeak-ng" (looked up in PATH); voice: "cmn" unless configured.
    TtsAnnouncer(std::string lane, std::string voice, std::string program = "espeak-ng");
    ~TtsAnnouncer() override;
    std::string_view driver() const override { return "tts"; }
    void say(std::string_view text) override;

  private:
    void reap();
    std::string lane_;
    std::string voice_;
    std::string program_;
    pid_t child_ = -1;
};

std::unique_ptr<Announcer> makeAnnouncer(const std::string& lane, bool tts, const std::string& voice);

}  // namespace vg::daemon
