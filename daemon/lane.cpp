#include "daemon/lane.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdint>
#include <nlohmann/json.hpp>

#include "daemon/logging.h"
#include "gate/decision_json.h"
#include "vision/plate_grammar.h"

namespace vg::daemon {

using gate::Reason;
using gate::TimePoint;

namespace {

vision::VoterOptions voterOptions(const LaneOptions& o) {
    vision::VoterOptions v;
    v.min_frames = o.vote_frames;
    v.min_confidence = static_cast<float>(o.rules.min_plate_confidence);
    return v;
}

// Reasons a card earns without any plate: no plate read can change them, so the car is told at once.
bool finalWithoutPlate(Reason r) {
    switch (r) {
        case Reason::DenyVoucherForged:
        case Reason::DenyVoucherRevoked:
        case Reason::DenyVoucherExpired:
        case Reason::DenyVoucherNotYetValid:
        case Reason::DenyClockBehind:
            return true;
        default:
            return false;
    }
}

// How many characters (UTF-8 code points) two plate texts differ in; SIZE_MAX when their lengths differ.
std::size_t charactersApart(const std::string& a, const std::string& b) {
    const auto ca = vision::splitUtf8(a);
    const auto cb = vision::splitUtf8(b);
    if (ca.size() != cb.size()) return SIZE_MAX;
    std::size_t differ = 0;
    for (std::size_t i = 0; i < ca.size(); ++i) differ += ca[i] != cb[i];
    return differ;
}

// A read that differs from another in more than two characters is another car.
bool differentCar(const std::string& a, const std::string& b) { return charactersApart(a, b) > 2; }

bool isHold(Reason r) { return r == Reason::HoldPlateUnread || r == Reason::HoldOverstay || r == Reason::HoldOnError; }

}  // namespace

Lane::Lane(LaneOptions options, Decider& decider, relay::Relay& relay, Announcer& announcer,
           relay::PresenceInput* presence, const gate::Clock& clock, const vision::FrameClock& steady,
           const gate::SiteZone& zone, Metrics& metrics)
    : options_(std::move(options)),
      decider_(decider),
      relay_(relay),
      announcer_(announcer),
      presence_(presence),
      clock_(clock),
      steady_(steady),
      zone_(zone),
      metrics_(metrics),
      voter_(voterOptions(options_)) {
    relay_.setEventHandler([this](std::string_view event, const relay::RelayError* e) {
        if (event == "BARRIER_NOT_OPENED") {
            // The admission is committed and the pulse went out (rule 10): a fault to look at, not a decision.
            laneEvent(event,
                      nlohmann::json{{"lane", options_.name},
                                     {"driver", std::string(relay_.driver())},
                                     {"error", e != nullptr ? e->message : std::string{}}},
                      true);
        } else if (e != nullptr) {
            relayFault(*e, event);
        } else {
            spdlog::warn("{} {}", event, dumpJson(nlohmann::json{{"lane", options_.name}}));
        }
    });
}

void Lane::setOptions(LaneOptions options) {
    const bool voter_changed = options.vote_frames != options_.vote_frames ||
                               options.rules.min_plate_confidence != options_.rules.min_plate_confidence;
    options_ = std::move(options);
    if (voter_changed) {
        voter_ = vision::PlateVoter(voterOptions(options_));
        read_frames_.clear();
    }
}

void Lane::stop() {
    stopped_ = true;
    card_.reset();
    plate_.reset();
    loop_window_.reset();
}

void Lane::onObservation(const LaneObservation& o) {
    if (stopped_) return;
    const TimePoint now = clock_.now();
    switch (o.kind) {
        case LaneObservation::Kind::Plate:
            onPlateRead(o, now);
            break;
        case LaneObservation::Kind::Qr:
            onCard(o, now);
            break;
        case LaneObservation::Kind::PlateFrame:
            onPlateFrame(o);
            break;
        case LaneObservation::Kind::Presence:
            presence_seen_ = o.present ? gate::Presence::Present : gate::Presence::Absent;
            watchLoop(*presence_seen_, now);
            break;
    }
}

void Lane::onPlateFrame(const LaneObservation& o) {
    // The reader looked at a frame pass_gap after the last read and did not see a plate: the car has gone.
    // Only frames looked at count; a reader that falls behind (seconds between frames on an overloaded box)
    // is not evidence that the car left, and must not throw its votes away one by one.
    if (o.reads == 0 && last_read_frame_ && o.frame_time - *last_read_frame_ > options_.pass_gap) {
        resetVote();
        last_read_frame_.reset();
        last_read_at_.reset();
    }
}

void Lane::onPlateRead(const LaneObservation& o, TimePoint now) {
    if (!last_read_frame_ || o.frame_time > *last_read_frame_) last_read_frame_ = o.frame_time;
    last_read_at_ = now;
    if (spdlog::should_log(spdlog::level::debug)) {
        nlohmann::json read{{"lane", options_.name}, {"confidence", o.confidence}};
        if (options_.log_plates) read["text"] = o.text;
        spdlog::debug("PLATE_READ {}", dumpJson(read));
    }
    // A read that differs from the current leader in more than two characters is another car: a new vote, so
    // that the reads of the car before (even unconfident ones) cannot outvote it.
    if (const auto leader = voter_.leader(); leader && differentCar(leader->text, o.text)) resetVote();
    voter_.add(o.text, o.char_confidence);
    if (!o.frame.empty() && (read_frames_.size() < kMaxReadFrames || read_frames_.contains(o.text))) {
        read_frames_[o.text] = Evidence{o.frame, o.plate_box};
    }
    if (const auto voted = voter_.voted()) {
        onPlate(gate::PlateSeen{voted->text, voted->confidence}, now);
        // Once this car is decided, the next reads start a fresh vote: the same car re-votes to the same
        // plate (and stays suppressed), the next car is not outvoted by the reads of the one before.
        if (plate_ && plate_->decided) resetVote();
    }
}

gate::Observation Lane::observation(const std::optional<gate::PlateSeen>& plate,
                                    const std::optional<std::string>& token) const {
    gate::Observation obs;
    obs.lane = options_.name;
    obs.direction = options_.direction;
    obs.plate = plate;
    obs.token = token;
    return obs;
}

void Lane::onPlate(const gate::PlateSeen& p, TimePoint now) {
    if (plate_ && plate_->seen.text == p.text) {
        plate_->last_seen = now;
        (void)recentPlate(p.text, now);  // keeps a decided car suppressed while it stays in view
        return;
    }
    // The car just decided, still in view, its plate read one character differently (the vote can flip on a
    // hard character once the car moves): the same car, not a new one that would get a decision of its own.
    if (plate_ && plate_->decided && now - plate_->last_seen <= options_.pass_gap &&
        charactersApart(plate_->seen.text, p.text) <= 1) {
        plate_->last_seen = now;
        (void)recentPlate(plate_->seen.text, now);
        return;
    }
    plate_ = CurrentPlate{p, now, now, false, std::nullopt, {}};
    if (const auto it = read_frames_.find(p.text); it != read_frames_.end()) plate_->evidence = it->second;
    // A card waiting for its plate is paired with a plate that appears while it is shown or within pass_gap
    // of its last sighting. A card put away longer ago stays with the car that showed it (rule 13 at its
    // deadline): a car that gave up and backed out must not lend its voucher to the next car.
    if (card_ && now - card_->last_seen <= options_.pass_gap) {
        const PendingCard card = *card_;
        card_.reset();
        decideNow(observation(p, card.token), now, card.frame_time, card.frame);
        return;
    }
    if (held_) return;  // the guard is deciding about the car at the barrier
    if (recentPlate(p.text, now)) {
        plate_->decided = true;
        return;
    }
    if (options_.direction == gate::Direction::Exit) {
        decideNow(observation(p, std::nullopt), now, std::nullopt);
        return;
    }
    // Entry: resident and blocked cars are decided at once; any other car waits for its card (pair_window),
    // also when the ledger fails now (it may be back by the time the card is shown).
    const gate::Decision probe = decider_.decide(observation(p, std::nullopt), options_.rules, now, true, std::nullopt);
    if (probe.reason == Reason::AdmitResident || probe.reason == Reason::DenyBlocked) {
        decideNow(observation(p, std::nullopt), now, std::nullopt);
        return;
    }
    plate_->card_deadline = now + options_.pair_window;
}

void Lane::onCard(const LaneObservation& o, TimePoint now) {
    const std::string& token = o.text;
    if (card_ && card_->token == token) {
        card_->last_seen = now;
        // Shown again while a car that arrived after it was put away is in view: that car's card now.
        if (!plate_ || plate_->decided || now - plate_->last_seen > options_.pass_gap) return;
        card_.reset();
    }
    // The card just decided, shown on without a gap longer than pass_gap: the same pass, whatever the plate
    // vote does meanwhile (a vote that flips by several characters must not turn the admitted car into a
    // photocopy of itself). A photocopy on the next car comes after a gap: the car before has to drive off
    // first. Staying silent here never opens anything.
    if (shown_card_ && shown_card_->token == token && now - shown_card_->last_seen <= options_.pass_gap) {
        shown_card_->last_seen = now;
        return;
    }
    if (held_ && held_->obs.token == token) return;
    if (recentCard(token, now)) return;
    // Paired only with a plate still in view: a car that left must not lend its plate to the next car's card.
    if (plate_ && now - plate_->last_seen <= std::min(options_.pair_window, options_.pass_gap)) {
        card_.reset();
        decideNow(observation(plate_->seen, token), now, o.frame_time, o.frame);
        return;
    }
    if (options_.direction == gate::Direction::Entry) {
        const gate::Decision probe =
            decider_.decide(observation(std::nullopt, token), options_.rules, now, true, std::nullopt);
        if (finalWithoutPlate(probe.reason)) {
            decideNow(observation(std::nullopt, token), now, o.frame_time, o.frame);
            return;
        }
    }
    card_ = PendingCard{token, now, now + options_.plate_timeout, o.frame_time, o.frame};
}

void Lane::tick() {
    if (stopped_) return;
    const TimePoint now = clock_.now();
    if (presence_ != nullptr) watchLoop(samplePresence(), now);
    expireLoopWindow();
    if (card_ && now >= card_->plate_deadline) {
        const PendingCard card = *card_;
        card_.reset();
        // Rule 13: no plate within plate_timeout. The best read so far (if any) goes along; below
        // min_plate_confidence the rules count it as unread.
        std::optional<gate::PlateSeen> best;
        const bool later_car = plate_ && plate_->first_seen > card.last_seen + options_.pass_gap;
        if (const auto leader = voter_.leader(); leader && !later_car)
            best = gate::PlateSeen{leader->text, leader->confidence};
        decideNow(observation(best, card.token), now, card.frame_time, card.frame);
    }
    if (plate_ && !plate_->decided && plate_->card_deadline && now >= *plate_->card_deadline) {
        decideNow(observation(plate_->seen, std::nullopt), now, std::nullopt);  // DENY_NEED_VOUCHER, once
    }
    // A decided car out of view for pass_gap has gone; an undecided one is kept until its card deadline.
    if (plate_ && (plate_->decided || !plate_->card_deadline) && now - plate_->last_seen > options_.pass_gap) {
        plate_.reset();
    }
    // No frame looked at for a whole pair_window (the camera is lost, the reader stalled): no pass lasts that
    // long.
    if (last_read_at_ && now - *last_read_at_ > options_.pair_window) {
        resetVote();
        last_read_frame_.reset();
        last_read_at_.reset();
    }
    std::erase_if(recent_, [&](const Recent& r) { return now - r.last_seen > options_.repeat_window; });
}

bool Lane::recentPlate(const std::string& plate, TimePoint now) {
    bool found = false;
    for (auto& r : recent_) {
        if (r.plate == plate && now - r.last_seen <= options_.repeat_window) {
            r.last_seen = now;
            found = true;
        }
    }
    return found;
}

bool Lane::recentCard(const std::string& token, TimePoint now) {
    // A card seen again with a different, undecided car in front of the camera is that car's card (a
    // photocopy, a lent card): it is decided, not suppressed.
    const bool other_car = plate_ && !plate_->decided && now - plate_->last_seen <= options_.pair_window;
    bool found = false;
    for (auto& r : recent_) {
        if (r.token == token && now - r.last_seen <= options_.repeat_window &&
            (!other_car || r.plate == plate_->seen.text)) {
            r.last_seen = now;
            found = true;
        }
    }
    return found;
}

gate::Presence Lane::samplePresence() {
    if (presence_ != nullptr) {
        switch (presence_->read()) {
            case relay::Presence::Present:
                return gate::Presence::Present;
            case relay::Presence::Absent:
                return gate::Presence::Absent;
            case relay::Presence::Unknown:
                return gate::Presence::Unknown;
        }
    }
    return presence_seen_.value_or(gate::Presence::Unknown);
}

void Lane::watchLoop(gate::Presence p, TimePoint now) {
    loop_sample_ = p;                          // what status() shows, unknown included
    if (p == gate::Presence::Unknown) return;  // a failing input tells nothing about edges
    const bool arrived = p == gate::Presence::Present && loop_ != gate::Presence::Present;
    const bool left = p == gate::Presence::Absent && loop_ == gate::Presence::Present;
    loop_ = p;
    const Stamp t{now, steady_.now()};
    if (arrived) loop_since_ = t;
    if (left) loop_since_.reset();
    if (!loop_window_) return;
    LoopWindow& w = *loop_window_;
    if (arrived && !w.first_at) {
        w.first_at = t;
    } else if (arrived && w.first_left && t.steady - w.first_left->steady <= options_.tailgate_gap) {
        // Vehicle, clear, vehicle on one pulse: the second one followed the first through the open barrier.
        const LoopWindow seen = w;
        loop_window_.reset();  // once per pulse
        laneEvent("TAILGATE_SUSPECTED",
                  nlohmann::json{{"lane", options_.name},
                                 {"pulse_at", zone_.isoLocal(seen.pulsed_at.at)},
                                 {"decision", seen.tag},
                                 {"first_vehicle_at", zone_.isoLocal(seen.first_at->at)},
                                 {"first_vehicle_left_at", zone_.isoLocal(seen.first_left->at)},
                                 {"second_vehicle_at", zone_.isoLocal(now)}},
                  false);
        return;
    } else if (left && w.first_at && !w.first_left) {
        w.first_left = t;
    }
    expireLoopWindow();
}

void Lane::expireLoopWindow() {
    if (!loop_window_) return;
    const LoopWindow& w = *loop_window_;
    const vision::SteadyTime now = steady_.now();
    // The first vehicle has been off the loop for tailgate_gap: the barrier has closed behind it, and a vehicle
    // that comes now waits in front of it.
    const bool closed_behind =
        w.first_left && loop_ != gate::Presence::Present && now - w.first_left->steady > options_.tailgate_gap;
    const bool nobody_came = !w.first_at && now - w.pulsed_at.steady > options_.pair_window;
    if (closed_behind || nobody_came) loop_window_.reset();
}

void Lane::openLoopWindow(TimePoint now, std::string tag) {
    if (presence_ == nullptr && !presence_seen_) return;  // no loop detector on this lane
    if (presence_ != nullptr) watchLoop(samplePresence(), now);
    // The vehicle on the loop is this pulse's first vehicle only if it reached the loop after the previous pulse:
    // one that was already there is the previous car still passing, and its leaving must not make the next car
    // (the one this pulse is for) look like a follower.
    const Stamp t{now, steady_.now()};
    const bool fresh =
        loop_ == gate::Presence::Present && loop_since_ && (!last_pulse_at_ || loop_since_->steady > *last_pulse_at_);
    loop_window_ = LoopWindow{t, std::move(tag), fresh ? loop_since_ : std::nullopt, std::nullopt};
    last_pulse_at_ = t.steady;
}

void Lane::laneEvent(std::string_view code, const nlohmann::json& payload, bool fault) {
    const TimePoint now = clock_.now();
    spdlog::log(fault ? spdlog::level::err : spdlog::level::warn, "{} {}", code, dumpJson(payload));
    metrics_.countEvent(options_.name, std::string(code));
    last_event_ = std::string(code);
    last_event_at_ = now;
    if (auto r = decider_.recordEvent(code, payload.dump(), now, ""); !r) {
        spdlog::error("AUDIT_FAULT {}",
                      dumpJson(nlohmann::json{{"lane", options_.name}, {"event", code}, {"error", r.error().message}}));
    }
}

void Lane::resetVote() {
    voter_.reset();
    read_frames_.clear();
}

Evidence Lane::evidenceFor(const gate::Observation& obs, const cv::Mat& card_image) const {
    if (obs.plate) {
        if (plate_ && plate_->seen.text == obs.plate->text && !plate_->evidence.frame.empty()) return plate_->evidence;
        if (const auto it = read_frames_.find(obs.plate->text); it != read_frames_.end()) return it->second;
    }
    return Evidence{card_image, std::nullopt};
}

void Lane::decideNow(gate::Observation obs, TimePoint now, std::optional<TimePoint> card_frame,
                     const cv::Mat& card_image) {
    obs.presence = samplePresence();
    watchLoop(obs.presence, now);
    const auto t0 = steady_.now();
    const gate::Decision d = decider_.decide(obs, options_.rules, now, options_.dry_run, std::nullopt);
    if (d.spool_replayed > 0) {
        // The ledger is writable again: the exits decided while it was not are now in it (rule 8).
        spdlog::info("SPOOL_REPLAYED {}",
                     dumpJson(nlohmann::json{{"decisions", d.spool_replayed}, {"lane", options_.name}}));
    }
    metrics_.observeDecision(options_.name, std::chrono::duration<double>(steady_.now() - t0).count());
    act(d, obs, now, card_frame, evidenceFor(obs, card_image));
}

void Lane::act(const gate::Decision& d, const gate::Observation& obs, TimePoint now,
               std::optional<TimePoint> card_frame, const Evidence& evidence) {
    last_ = d;
    // The loop window stays open across a refusal: a denied car that follows the admitted one through the open
    // barrier is exactly the tailgate to catch. An admission's pulse opens a new window (openLoopWindow).
    auto line = gate::decisionJson(d, zone_);
    if (options_.dry_run) line["dry_run"] = true;
    if (!options_.log_plates) {
        // The journal is out of the retention purge's reach: the line names the visit and the reason, no plate.
        line.erase("plate");
        line.erase("first_used_plate");
        if (const auto m = line.find("message"); m != line.end() && m->is_string()) {
            *m = redactPlates(m->get<std::string>(),
                              {d.plate, d.first_used_plate, obs.plate ? obs.plate->text : std::string{}});
        }
    }
    if (d.admit || isHold(d.reason)) {
        spdlog::info("DECISION {}", dumpJson(line));
    } else {
        spdlog::warn("DECISION {}", dumpJson(line));
    }
    metrics_.countDecision(options_.name, std::string(gate::toString(d.reason)));
    recent_.push_back(Recent{obs.plate ? obs.plate->text : "", obs.token.value_or(""), now});
    if (obs.token) shown_card_ = ShownCard{*obs.token, now};
    if (plate_ && obs.plate && plate_->seen.text == obs.plate->text) plate_->decided = true;
    if (isHold(d.reason)) {
        held_ = Held{obs, d};
    }
    const bool opened = !d.admit || pulseFor(d, now, card_frame);
    if (on_decision_) on_decision_(d);
    // After the pulse: the evidence is only handed over (a queue), never written on the lane's thread.
    if (on_evidence_ && d.audit_seq != 0 && !evidence.frame.empty()) on_evidence_(d.audit_seq, evidence);
    if (!opened) {
        announcer_.say("系统故障，请联系门卫");
    } else if (const auto text = announcementFor(d, zone_)) {
        announcer_.say(*text);
    }
    // The lane was not looking while it decided and acted (a locked ledger, a relay that took seconds to
    // answer): that time is no gap in the car's presence. Its plate and card count as seen until now, so the
    // frames that queued up meanwhile are the same pass, not a car that came back (ADMIT_REPEAT and a second
    // pulse).
    const TimePoint done = clock_.now();
    if (done > now) {
        recent_.back().last_seen = done;
        if (obs.token && shown_card_) shown_card_->last_seen = done;
        if (plate_ && plate_->decided) plate_->last_seen = std::max(plate_->last_seen, done);
    }
}

bool Lane::pulseFor(const gate::Decision& d, TimePoint now, std::optional<TimePoint> card_frame) {
    if (options_.dry_run) {
        spdlog::info("DRY_RUN {}", dumpJson(nlohmann::json{{"lane", options_.name},
                                                           {"reason", gate::toString(d.reason)},
                                                           {"note", "dry_run: the relay is not energised"}}));
        return true;
    }
    // Rule 10, checked here too: an entry admission that is not on disk never opens the barrier.
    if (options_.direction == gate::Direction::Entry && d.audit_seq == 0) {
        spdlog::error("ADMIT_NOT_COMMITTED {}",
                      dumpJson(nlohmann::json{{"lane", options_.name}, {"reason", gate::toString(d.reason)}}));
        return false;
    }
    const std::string tag = d.spooled ? "spool" : "audit:" + std::to_string(d.audit_seq);
    if (auto r = relay_.pulse(options_.pulse, tag); !r) {
        relayFault(r.error(), "pulse");
        return false;
    }
    openLoopWindow(clock_.now(), tag);
    if (card_frame) {
        metrics_.observeCardToRelay(options_.name, std::chrono::duration<double>(now - *card_frame).count());
    }
    return true;
}

void Lane::relayFault(const relay::RelayError& e, std::string_view during) {
    metrics_.countRelayFault(options_.name, e.driver);
    const nlohmann::json payload{
        {"lane", options_.name}, {"driver", e.driver}, {"error", e.message}, {"during", during}};
    spdlog::error("RELAY_FAULT {}", dumpJson(payload));
    if (auto r = decider_.recordEvent("RELAY_FAULT", payload.dump(), clock_.now(), ""); !r) {
        spdlog::error(
            "AUDIT_FAULT {}",
            dumpJson(nlohmann::json{{"lane", options_.name}, {"event", "RELAY_FAULT"}, {"error", r.error().message}}));
    }
}

std::int64_t Lane::audit(std::string_view kind, const gate::Manual& manual, std::string& error) {
    const nlohmann::json payload{{"lane", options_.name}, {"reason", manual.reason}};
    const nlohmann::json personal{{"operator", manual.operator_name}};
    auto r = decider_.recordEvent(kind, payload.dump(), clock_.now(), personal.dump());
    if (!r) {
        error = "not audited: " + r.error().message;
        spdlog::error("AUDIT_FAULT {}",
                      dumpJson(nlohmann::json{{"lane", options_.name}, {"event", kind}, {"error", r.error().message}}));
        return 0;
    }
    spdlog::info("{} {}", kind,
                 dumpJson(nlohmann::json{{"lane", options_.name},
                                         {"operator", manual.operator_name},
                                         {"reason", manual.reason},
                                         {"audit_seq", *r}}));
    return *r;
}

ControlOutcome Lane::confirm(const gate::Manual& manual, bool refuse, const std::optional<std::string>& plate) {
    ControlOutcome out;
    if (stopped_) {
        out.error = "the daemon is stopping";
        return out;
    }
    if (!held_) {
        out.error = "no car is waiting for the guard on lane " + options_.name;
        return out;
    }
    const Held held = *held_;
    held_.reset();
    const TimePoint now = clock_.now();
    const gate::Decision d = decider_.confirm(held.obs, options_.rules, now, manual, refuse, plate);
    gate::Observation obs = held.obs;
    if (plate) obs.plate = gate::PlateSeen{*plate, 1.0};
    act(d, obs, now, std::nullopt, Evidence{});  // the guard's decision: no frame of its own
    out.ok = true;
    out.decision = d;
    out.relay_state = std::string(relay::toString(relay_.state()));
    return out;
}

ControlOutcome Lane::open(const gate::Manual& manual) {
    return manualAction("MANUAL_OPEN", "open", manual, true, [&](const std::string& tag) {
        auto r = relay_.pulse(options_.pulse, tag);
        if (r) openLoopWindow(clock_.now(), tag);
        return r;
    });
}

ControlOutcome Lane::holdOpen(const gate::Manual& manual) {
    loop_window_.reset();  // an emergency: everyone goes through, nobody tailgates
    return manualAction("MANUAL_HOLD_OPEN", "hold-open", manual, true,
                        [&](const std::string& tag) { return relay_.hold(tag); });
}

ControlOutcome Lane::release(const gate::Manual& manual) {
    // Releasing is never blocked by dry_run: it only ever de-energises.
    return manualAction("MANUAL_RELEASE", "release", manual, false,
                        [&](const std::string& tag) { return relay_.release(tag); });
}

ControlOutcome Lane::manualAction(
    std::string_view kind, std::string_view during, const gate::Manual& manual, bool energises,
    const std::function<std::expected<void, relay::RelayError>(const std::string&)>& act) {
    ControlOutcome out;
    // A person's explicit command: it acts even when the ledger cannot record it (the reply says so).
    out.audit_seq = audit(kind, manual, out.error);
    if (energises && options_.dry_run) {
        out.error = "dry_run lane: the relay is not energised";
    } else if (auto r = act("manual:" + std::to_string(out.audit_seq)); !r) {
        relayFault(r.error(), during);
        out.error = "RELAY_FAULT " + r.error().str();
        out.relay_state = std::string(relay::toString(relay_.state()));
        return out;
    }
    out.ok = true;
    out.relay_state = std::string(relay::toString(relay_.state()));
    return out;
}

LaneStatus Lane::status() const {
    LaneStatus s;
    s.name = options_.name;
    s.direction = std::string(gate::toString(options_.direction));
    s.relay_driver = std::string(relay_.driver());
    s.relay_state = std::string(relay::toString(relay_.state()));
    s.dry_run = options_.dry_run;
    if (stopped_) {
        s.state = "stopped";
    } else if (held_) {
        s.state = "waiting-for-guard";
        s.held_reason = std::string(gate::toString(held_->decision.reason));
    } else if (card_) {
        s.state = "waiting-for-plate";
    } else if (plate_ && !plate_->decided && plate_->card_deadline) {
        s.state = "waiting-for-card";
    } else {
        s.state = "idle";
    }
    if (last_) {
        s.last_reason = std::string(gate::toString(last_->reason));
        s.last_decision_at = last_->at;
    }
    s.last_event = last_event_;
    s.last_event_at = last_event_at_;
    if (presence_ != nullptr || presence_seen_) {
        s.presence = loop_sample_ == gate::Presence::Present  ? "present"
                     : loop_sample_ == gate::Presence::Absent ? "absent"
                                                              : "unknown";
    }
    return s;
}

}  // namespace vg::daemon
