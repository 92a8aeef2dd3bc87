// Presence inputs: the barrier's loop detector (rule 13 "presence", rule 14). read() samples the input now;
// it never blocks for long and never throws: a failing input reads Unknown (so rules that need a vehicle fail
// closed). Owned by its lane; called from the lane's thread.
#pragma once

#include <expected>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

namespace vg::relay {

enum class Presence { Unknown, Present, Absent };

enum class PresenceKind { Sim, Gpio };

struct PresenceOptions {
    PresenceKind kind = PresenceKind::Sim;
    std::filesystem::path file;  // sim: vehicle present while the file's first byte is '1'
    std::string chip;            // gpio
    int line = 0;                // gpio
    bool active_low = false;     // gpio
};

class PresenceInput {
  public:
    virtual ~PresenceInput() = default;
    virtual std::string_view driver() const = 0;
    virtual Presence read() = 0;
};

std::expected<std::unique_ptr<PresenceInput>, std::string> makePresenceInput(const PresenceOptions& options);

}  // namespace vg::relay
