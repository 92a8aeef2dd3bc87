// The exit spool's file (rule 8, see exit_spool.h): appending an exit observation as one JSON line under the
// file lock, and replaying the lines under the same lock until the file can be emptied. The one mapping of
// Presence to its spelling in the file is here.
#include "gate/exit_spool.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string_view>

#include "gate/audit_chain.h"
#include "gate/decision.h"

namespace vg::gate {

namespace {

using json = nlohmann::json;

bool fsyncFile(int fd) { return ::fsync(fd) == 0; }

// How a spooled line spells the presence input; anything else reads back as unknown.
struct PresenceName {
    Presence presence;
    const char* name;
};
constexpr PresenceName kPresenceNames[] = {
    {Presence::Present, "present"}, {Presence::Absent, "absent"}, {Presence::Unknown, "unknown"}};

const char* presenceName(Presence p) {
    for (const auto& n : kPresenceNames) {
        if (n.presence == p) return n.name;
    }
    return "unknown";
}

Presence presenceFrom(std::string_view name) {
    for (const auto& n : kPresenceNames) {
        if (n.name == name) return n.presence;
    }
    return Presence::Unknown;
}

}  // namespace

bool ExitSpool::append(const Observation& obs, TimePoint now) const {
    if (path_.empty()) return false;
    json line{{"event_id", randomSaltHex()},
              {"lane", obs.lane},
              {"direction", toString(obs.direction)},
              {"at", isoUtc(obs.at.value_or(now))},
              {"presence", presenceName(obs.presence)}};
    if (obs.plate) line["plate"] = {{"text", obs.plate->text}, {"confidence", obs.plate->confidence}};
    if (obs.token) line["token"] = *obs.token;
    const std::string text = line.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
    const int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) return false;
    // The lock a replay holds until it has emptied the file: appending meanwhile would be lost.
    const bool ok = ::flock(fd, LOCK_EX) == 0 &&
                    ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && fsyncFile(fd);
    ::close(fd);
    return ok;
}

LedgerResult<int> ExitSpool::replay(const Apply& apply) const {
    if (path_.empty()) return 0;
    const int fd = ::open(path_.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT) return 0;
        return std::unexpected(
            LedgerError{LedgerError::Kind::Internal,
                        fmt::format("cannot open the exit spool {}: {}", path_.string(), std::strerror(errno))});
    }
    // Another process (the CLI, a second lane worker) may spool while we replay. Holding the file lock from
    // the read to the truncation makes it wait and then append to the emptied file; removing the file instead
    // would lose a line appended between our read and the removal.
    struct FdCloser {
        int fd;
        ~FdCloser() { ::close(fd); }
    } closer{fd};
    if (::flock(fd, LOCK_EX) != 0) {
        return std::unexpected(
            LedgerError{LedgerError::Kind::Internal,
                        fmt::format("cannot lock the exit spool {}: {}", path_.string(), std::strerror(errno))});
    }
    std::string text;
    char buf[8192];
    for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
    std::istringstream in(text);
    std::string line;
    int applied = 0;
    bool all_ok = true;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        Observation obs;
        std::string event_id;
        // A torn last line, or one of the wrong shape: skipped (json's typed getters throw, and decide() must
        // not).
        try {
            const json j = json::parse(line);
            event_id = j.at("event_id").get<std::string>();
            const auto at = parseIsoUtc(j.at("at").get<std::string>());
            if (!at || event_id.empty()) continue;
            obs.at = *at;
            obs.lane = j.value("lane", "");
            obs.direction = j.value("direction", "exit") == "entry" ? Direction::Entry : Direction::Exit;
            obs.presence = presenceFrom(j.value("presence", "unknown"));
            if (j.contains("plate")) {
                obs.plate = PlateSeen{j.at("plate").value("text", ""), j.at("plate").value("confidence", 1.0)};
            }
            if (j.contains("token")) obs.token = j.at("token").get<std::string>();
        } catch (const json::exception&) {
            continue;
        }
        const Replayed r = apply(obs, event_id);
        if (r == Replayed::Applied) {
            ++applied;
        } else if (r == Replayed::Failed) {
            all_ok = false;
            break;
        }
    }
    // Every line is in the ledger (or was a torn write): empty the file under the lock. An emptied spool
    // stays in place; decide() only replays a non-empty one.
    if (all_ok && (::ftruncate(fd, 0) != 0 || !fsyncFile(fd))) {
        return std::unexpected(LedgerError{LedgerError::Kind::Internal,
                                           fmt::format("the exit spool {} was replayed but cannot be emptied: {}",
                                                       path_.string(), std::strerror(errno))});
    }
    return applied;
}

}  // namespace vg::gate
