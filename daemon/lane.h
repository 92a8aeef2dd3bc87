// One lane's pass state machine: plate reads are voted across frames into one plate; a plate and a card are
// paired within pair_window (either may come first); after a card the lane waits up to plate_timeout for a
// plate, then lets the ledger apply rule 13 (HOLD_PLATE_UNREAD keeps the car waiting for the guard's confirm);
// repeats of the same plate or card within repeat_window are suppressed; the ledger decides and commits; only
// then is the relay pulsed. One car, one decision, one pulse.
//
// Ownership: the App owns the lane and everything passed by reference, which must outlive it. Threading: every
// call on the lane's own thread (the App gives each lane an io_context and a thread); the Decider, relay and
// announcer it is given are that lane's alone. Time comes from the injected Clock;
// tick() applies the deadlines, so tests drive a manual clock without sleeping. Nothing throws.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "daemon/announcer.h"
#include "daemon/decider.h"
#include "daemon/evidence_writer.h"
#include "daemon/lane_observation.h"
#include "daemon/metrics.h"
#include "gate/relay/presence_input.h"
#include "gate/relay/relay.h"
#include "gate/rules.h"
#include "vision/frame_source.h"
#include "vision/plate_voter.h"

namespace vg::daemon {

using Duration = std::chrono::milliseconds;

struct LaneOptions {
    std::string name;
    gate::Direction direction = gate::Direction::Entry;
    gate::RuleSettings rules;  // this lane's effective rule settings
    Duration pair_window{std::chrono::seconds(60)};
    Duration repeat_window{std::chrono::seconds(60)};
    Duration plate_timeout{std::chrono::seconds(8)};
    Duration pulse{500};
    bool dry_run = false;     // decide and log, never energise, write nothing to the ledger
    bool log_plates = false;  // log.plates: plates in the journal's DECISION and PLATE_READ lines
    int vote_frames = 3;      // plate reads that must agree before a plate is declared
    // Frames looked at for this long without a plate read: the car has gone, the next read starts a new vote.
    Duration pass_gap{2000};
    // Loop detector (a lane with a presence input): a vehicle that reaches the loop within this long after the
    // vehicle before it left it, with no pulse and no decision in between, went through on the same pulse
    // (TAILGATE_SUSPECTED). Longer than that, the barrier has closed behind the first vehicle.
    Duration tailgate_gap{2000};
};

// The guard's command result (control socket).
struct ControlOutcome {
    bool ok = false;
    std::string error;                       // why not, when !ok (or what went wrong after acting)
    std::optional<gate::Decision> decision;  // confirm
    std::int64_t audit_seq = 0;              // open/hold-open/release: the audit row
    std::string relay_state;
};

struct LaneStatus {
    std::string name;
    std::string direction;
    std::string state;  // "idle", "waiting-for-card", "waiting-for-plate", "waiting-for-guard", "stopped"
    std::string relay_driver;
    std::string relay_state;
    std::string last_reason;  // "" before the first decision
    std::optional<gate::TimePoint> last_decision_at;
    std::string held_reason;  // set while a car waits for the guard
    bool dry_run = false;
    // The last fault or suspicion the guard should see that is not a decision (TAILGATE_SUSPECTED,
    // BARRIER_NOT_OPENED); "" before the first.
    std::string last_event;
    std::optional<gate::TimePoint> last_event_at;
    std::string presence;  // the loop: "present", "absent", "unknown"; "" on a lane without a presence input
};

class Lane {
  public:
    Lane(LaneOptions options, Decider& decider, relay::Relay& relay, Announcer& announcer,
         relay::PresenceInput* presence, const gate::Clock& clock, const vision::FrameClock& steady,
         const gate::SiteZone& zone, Metrics& metrics);

    void onObservation(const LaneObservation& obs);
    void tick();  // deadlines: plate_timeout, pair_window, repeat_window

    ControlOutcome confirm(const gate::Manual& manual, bool refuse, const std::optional<std::string>& plate);
    ControlOutcome open(const gate::Manual& manual);
    ControlOutcome holdOpen(const gate::Manual& manual);
    ControlOutcome release(const gate::Manual& manual);

    void setOptions(LaneOptions options);  // a reload: pending passes keep going under the new values
    void stop();                           // takes no more decisions (SIGTERM)

    const LaneOptions& options() const { return options_; }
    const std::string& name() const { return options_.name; }
    LaneStatus status() const;
    // Every decision the lane acted on (the App logs; tests and the demo watch).
    void setDecisionHandler(std::function<void(const gate::Decision&)> h) { on_decision_ = std::move(h); }
    // The frame of every audited decision taken on a camera frame, after its pulse (the App queues it for the
    // evidence writer; it must not block). Decisions without a frame (a guard's confirm) have none.
    using EvidenceHandler = std::function<void(std::int64_t audit_seq, const Evidence&)>;
    void setEvidenceHandler(EvidenceHandler h) { on_evidence_ = std::move(h); }

  private:
    struct CurrentPlate {
        gate::PlateSeen seen;
        gate::TimePoint first_seen{};
        gate::TimePoint last_seen{};
        bool decided = false;
        std::optional<gate::TimePoint> card_deadline;  // entry: waiting for a card until then
        Evidence evidence;                             // the frame its plate was voted on, when known
    };
    struct PendingCard {
        std::string token;
        gate::TimePoint last_seen{};  // pairs with a plate only within pass_gap of this
        gate::TimePoint plate_deadline{};
        gate::TimePoint frame_time{};
        cv::Mat frame;  // the frame the card was read in (evidence)
    };
    struct Held {
        gate::Observation obs;
        gate::Decision decision;
    };
    struct ShownCard {  // the card of the last decision, while it is still being shown
        std::string token;
        gate::TimePoint last_seen{};
    };
    // The loop detector's window: it opens when the lane pulses the barrier and closes at the next pulse, a
    // hold-open, once the first vehicle has been off the loop for tailgate_gap, or when no vehicle
    // reached the loop within pair_window of the pulse.
    // A loop edge or pulse: the gaps between them are measured on the steady clock (an NTP step of the wall clock
    // must neither hide a tailgate nor invent one); the wall time is what the journal and the audit log show.
    struct Stamp {
        gate::TimePoint at{};
        vision::SteadyTime steady{};
    };
    struct LoopWindow {
        Stamp pulsed_at;
        std::string tag;                // the pulse's decision ("audit:42", "manual:7")
        std::optional<Stamp> first_at;  // the first vehicle reached the loop (maybe before the pulse)
        std::optional<Stamp> first_left;
    };
    struct Recent {
        std::string plate;  // "" = none
        std::string token;  // "" = none
        gate::TimePoint last_seen{};
    };

    void onPlateRead(const LaneObservation& o, gate::TimePoint now);
    void onPlateFrame(const LaneObservation& o);
    void onPlate(const gate::PlateSeen& p, gate::TimePoint now);
    void onCard(const LaneObservation& o, gate::TimePoint now);
    gate::Observation observation(const std::optional<gate::PlateSeen>& plate,
                                  const std::optional<std::string>& token) const;
    void decideNow(gate::Observation obs, gate::TimePoint now, std::optional<gate::TimePoint> card_frame,
                   const cv::Mat& card_image = {});
    void act(const gate::Decision& d, const gate::Observation& obs, gate::TimePoint now,
             std::optional<gate::TimePoint> card_frame, const Evidence& evidence);
    void resetVote();  // a new vote: the voter and the frames of its reads
    // The frame a decision on `obs` was taken on: its plate's, else the card's (`card_image`, may be empty).
    Evidence evidenceFor(const gate::Observation& obs, const cv::Mat& card_image) const;
    bool pulseFor(const gate::Decision& d, gate::TimePoint now, std::optional<gate::TimePoint> card_frame);
    void relayFault(const relay::RelayError& e, std::string_view during);
    // open / hold-open / release: audit, then act on the relay (not on a dry_run lane when it energises).
    ControlOutcome manualAction(std::string_view kind, std::string_view during, const gate::Manual& manual,
                                bool energises,
                                const std::function<std::expected<void, relay::RelayError>(const std::string&)>& act);
    bool recentPlate(const std::string& plate, gate::TimePoint now);
    bool recentCard(const std::string& token, gate::TimePoint now);
    gate::Presence samplePresence();
    void watchLoop(gate::Presence p, gate::TimePoint now);  // presence edges, TAILGATE_SUSPECTED
    void expireLoopWindow();
    void openLoopWindow(gate::TimePoint now, std::string tag);
    // A fault or suspicion that is no decision: journal, audit log, metrics, and the lane's status for the guard.
    void laneEvent(std::string_view code, const nlohmann::json& payload, bool fault);
    std::int64_t audit(std::string_view kind, const gate::Manual& manual, std::string& error);

    LaneOptions options_;
    Decider& decider_;
    relay::Relay& relay_;
    Announcer& announcer_;
    relay::PresenceInput* presence_;
    const gate::Clock& clock_;
    const vision::FrameClock& steady_;  // times the ledger call for the metrics, and the loop detector's gaps
    const gate::SiteZone& zone_;
    Metrics& metrics_;
    vision::PlateVoter voter_;
    // The latest frame of each plate text in the current vote (a few per car; shared pixels, no copies).
    static constexpr std::size_t kMaxReadFrames = 8;
    std::map<std::string, Evidence> read_frames_;
    std::optional<gate::TimePoint> last_read_frame_;  // frame time of the last plate read
    std::optional<gate::TimePoint> last_read_at_;     // when it was taken in (clock_)
    std::optional<CurrentPlate> plate_;
    std::optional<PendingCard> card_;
    std::optional<Held> held_;
    std::optional<ShownCard> shown_card_;
    std::vector<Recent> recent_;
    std::optional<gate::Presence> presence_seen_;
    gate::Presence loop_ = gate::Presence::Unknown;         // the loop's last known state (edges)
    gate::Presence loop_sample_ = gate::Presence::Unknown;  // its last reading, unknown included (status)
    std::optional<vision::SteadyTime> last_pulse_at_;       // the lane's previous pulse (loop window)
    std::optional<Stamp> loop_since_;                       // when the vehicle now on the loop reached it
    std::optional<LoopWindow> loop_window_;
    std::string last_event_;
    std::optional<gate::TimePoint> last_event_at_;
    std::optional<gate::Decision> last_;
    bool stopped_ = false;
    std::function<void(const gate::Decision&)> on_decision_;
    EvidenceHandler on_evidence_;
};

}  // namespace vg::daemon
