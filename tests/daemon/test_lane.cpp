// The lane's pass state machine with a manual clock, a recording relay and a small fake ledger: what a driver
// and the guard would notice (pulses, decisions, announcements), frame by frame, without sleeping.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "daemon/lane.h"
#include "fakes/fake_decider.h"
#include "fakes/fake_relay.h"
#include "fakes/manual_clock.h"
#include "gate/decision_json.h"
#include "vision/test_frame_fakes.h"

namespace vg::daemon {
namespace {

using namespace std::chrono_literals;
using gate::Reason;

const gate::TimePoint kStart = gate::TimePoint{std::chrono::sys_days{std::chrono::year{2026} / 11 / 20}} + 2h;
const std::string kToken = "VG1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
const std::string kToken2 = "VG1:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

// The barrier's loop detector as the test sets it.
class FakePresence final : public relay::PresenceInput {
  public:
    std::string_view driver() const override { return "fake"; }
    relay::Presence read() override { return value; }
    relay::Presence value = relay::Presence::Absent;
};

class LaneTest : public ::testing::Test {
  protected:
    LaneTest() : zone_(*gate::SiteZone::make("Asia/Shanghai")), relay_(io_.get_executor()) {
        decider_.valid_tokens = {kToken, kToken2};
        decider_.resident_plates = {"沪B88888"};
    }

    LaneOptions options(gate::Direction dir = gate::Direction::Entry) {
        LaneOptions o;
        o.name = dir == gate::Direction::Entry ? "entry-1" : "exit-1";
        o.direction = dir;
        o.pair_window = 60s;
        o.repeat_window = 60s;
        o.plate_timeout = 8s;
        o.pulse = 500ms;
        return o;
    }
    Lane& make(LaneOptions o, relay::PresenceInput* presence = nullptr) {
        lane_ = std::make_unique<Lane>(std::move(o), decider_, relay_, announcer_, presence, clock_, steady_, zone_,
                                       metrics_);
        return *lane_;
    }
    // Time passes: the wall clock and the steady clock alike (unless a test steps the wall clock).
    void advance(gate::Duration d) {
        clock_.advance(d);
        steady_.advance(d);
    }
    // One frame 40 ms later (25 fps).
    void frame() { advance(40ms); }
    void plate(const std::string& text, float conf = 0.95F) {
        LaneObservation o;
        o.kind = LaneObservation::Kind::Plate;
        o.text = text;
        o.char_confidence.assign(7, conf);
        o.confidence = conf;
        o.frame_time = clock_.now();
        o.frame = plate_frame_;
        o.plate_box = kPlateBox;
        lane_->onObservation(o);
        lookedAt(1);
        lane_->tick();
    }
    // The plate reader finished the frame of this instant, having posted `reads` plate reads from it.
    void lookedAt(int reads) {
        LaneObservation o;
        o.kind = LaneObservation::Kind::PlateFrame;
        o.frame_time = clock_.now();
        o.reads = reads;
        lane_->onObservation(o);
    }
    void card(const std::string& token) {
        LaneObservation o;
        o.kind = LaneObservation::Kind::Qr;
        o.text = token;
        o.frame_time = clock_.now();
        o.frame = card_frame_;
        lane_->onObservation(o);
        lane_->tick();
    }
    // `frames` frames (25 fps) in which the camera reads both the plate and the card.
    void shown(const std::string& text, const std::string& token, int frames) {
        for (int i = 0; i < frames; ++i) {
            frame();
            plate(text);
            card(token);
        }
    }
    // An empty lane for `d`: the camera keeps looking and sees no plate.
    void wait(gate::Duration d) {
        for (auto t = gate::Duration{0}; t < d; t += 100ms) {
            advance(100ms);
            lookedAt(0);
            lane_->tick();
        }
    }
    // The plate reader looks at no frame for `d` (an overloaded box, a stalled camera); the lane's timers run on.
    void stall(gate::Duration d) {
        for (auto t = gate::Duration{0}; t < d; t += 100ms) {
            advance(100ms);
            lane_->tick();
        }
    }
    std::vector<Reason> committedReasons() const {
        std::vector<Reason> out;
        for (const auto& d : decider_.committed()) out.push_back(d.reason);
        return out;
    }

    // The frames the cameras read plates and cards in (evidence), and every evidence hand-over with the pulses
    // counted at that moment.
    const cv::Rect kPlateBox{600, 500, 140, 44};
    cv::Mat plate_frame_{720, 1280, CV_8UC3, cv::Scalar(10, 20, 30)};
    cv::Mat card_frame_{720, 1280, CV_8UC3, cv::Scalar(200, 200, 200)};
    struct Handed {
        std::int64_t audit_seq;
        Evidence evidence;
        int pulses_before;
    };
    std::vector<Handed> evidence_;
    void watchEvidence() {
        lane_->setEvidenceHandler([this](std::int64_t seq, const Evidence& e) {
            evidence_.push_back({seq, e, relay_.pulses()});
        });
    }

    boost::asio::io_context io_;
    fakes::ManualClock clock_{kStart};
    vision::testing::ManualFrameClock steady_;
    gate::SiteZone zone_;
    fakes::FakeDecider decider_;
    fakes::FakeRelay relay_;
    fakes::FakeAnnouncer announcer_;
    Metrics metrics_;
    std::unique_ptr<Lane> lane_;
};

TEST_F(LaneTest, VoucherCarWithCardIn40FramesIsAdmittedOnceWithOnePulse) {
    make(options());
    shown("沪A12345", kToken, 40);
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::AdmitVoucher});
    EXPECT_EQ(relay_.pulses(), 1);
    EXPECT_EQ(decider_.visits.size(), 1u);
    ASSERT_EQ(announcer_.said.size(), 1u);
    EXPECT_EQ(announcer_.said[0], "欢迎，请于14:00前离场");  // 10:00 Shanghai + 4 h
    EXPECT_EQ(relay_.calls.back().tag, "audit:" + std::to_string(decider_.committed()[0].audit_seq));
}

TEST_F(LaneTest, TheDecisionLineIsTheJsonTheCliPrintsForTheSameDecision) {
    // The daemon's DECISION line and `voucher-gate enter --json` both render a decision with gate::decisionJson
    // (with log.plates on; off, the plate fields are left out: LaneJournalTest).
    std::ostringstream log;
    auto previous = spdlog::default_logger();
    auto capture = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
    capture->set_pattern("%v");
    spdlog::set_default_logger(capture);
    auto o = options();
    o.log_plates = true;
    make(o);
    shown("沪A12345", kToken, 40);
    spdlog::set_default_logger(previous);
    ASSERT_EQ(decider_.committed().size(), 1u);
    const std::string text = log.str();
    const auto at = text.find("DECISION ");
    ASSERT_NE(at, std::string::npos) << text;
    const auto line = text.substr(at + 9, text.find('\n', at) - at - 9);
    EXPECT_EQ(nlohmann::json::parse(line), gate::decisionJson(decider_.committed()[0], zone_)) << line;
}

TEST_F(LaneTest, FramesThatQueuedWhileTheRelayTookSecondsToAnswerAreTheSamePass) {
    auto o = options();
    o.repeat_window = 5s;
    make(o);
    relay_.on_pulse = [&] { advance(9s); };  // longer than repeat_window: the lane was not looking
    shown("沪A12345", kToken, 40);
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::AdmitVoucher}) << "no ADMIT_REPEAT for the same car";
    EXPECT_EQ(relay_.pulses(), 1);
}

TEST_F(LaneTest, TheAdmittedCarReadOneCharacterDifferentlyIsStillTheSameCar) {
    make(options());
    shown("沪L90876", kToken, 5);
    shown("沪L80876", kToken, 20);  // the vote flips to a misread while the admitted car is still in view
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::AdmitVoucher}) << "no DENY_VOUCHER_USED for itself";
    EXPECT_EQ(relay_.pulses(), 1);
    EXPECT_EQ(announcer_.said.size(), 1u);
}

TEST_F(LaneTest, TheAdmittedCarWhoseVoteFlipsByTwoCharactersWhileItsCardIsShownIsStillTheSameCar) {
    make(options());
    shown("沪L90876", kToken, 5);
    shown("沪L80878", kToken, 20);  // the card never leaves the camera: no other car can have taken it over
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::AdmitVoucher}) << "no DENY_VOUCHER_USED for itself";
    EXPECT_EQ(relay_.pulses(), 1);
    EXPECT_EQ(announcer_.said.size(), 1u);
}

TEST_F(LaneTest, ACarTwoCharactersApartWithTheSameCardAfterAGapIsAPhotocopy) {
    make(options());
    shown("沪L90876", kToken, 5);
    wait(3s);                      // longer than pass_gap: the first car has driven off, the next one pulls up
    shown("沪L80878", kToken, 5);  // the same card on another car: a photocopy
    EXPECT_EQ(committedReasons(), (std::vector<Reason>{Reason::AdmitVoucher, Reason::DenyVoucherUsed}));
    EXPECT_EQ(relay_.pulses(), 1);
}

TEST_F(LaneTest, CardShownBeforeThePlateIsReadIsPairedWithIt) {
    make(options());
    card(kToken);
    EXPECT_EQ(decider_.commits(), 0);
    EXPECT_EQ(lane_->status().state, "waiting-for-plate");
    for (int i = 0; i < 20; ++i) {  // held up for 2 s before the plate is read
        wait(100ms);
        card(kToken);
    }
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪A12345");
    }
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::AdmitVoucher});
    EXPECT_EQ(decider_.committed()[0].plate, "沪A12345");
    EXPECT_EQ(relay_.pulses(), 1);
}

TEST_F(LaneTest, ACardFlashedOnceIsPairedWithThePlateReadJustAfter) {
    make(options());
    card(kToken);
    wait(1500ms);
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪A12345");
    }
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::AdmitVoucher});
    EXPECT_EQ(relay_.pulses(), 1);
}

TEST_F(LaneTest, ACardPutAwayIsNotLentToTheNextCarThatDrivesUp) {
    // A car whose plate is never read shows its card for 1 s, gives up and backs out; 3 s later the next car.
    make(options());
    for (int i = 0; i < 25; ++i) {
        frame();
        card(kToken);
    }
    wait(3s);
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪F13579");
    }
    EXPECT_EQ(decider_.commits(), 0) << "the first car's voucher must not admit the next car";
    wait(5s);  // the first card's plate_timeout: the guard decides about it, with no plate bound
    ASSERT_EQ(committedReasons(), std::vector<Reason>{Reason::HoldPlateUnread});
    EXPECT_NE(decider_.committed()[0].plate, "沪F13579");
    EXPECT_EQ(relay_.pulses(), 0);
}

TEST_F(LaneTest, TheNextCarShowingItsOwnCardIsDecidedOnItsOwn) {
    make(options());
    for (int i = 0; i < 25; ++i) {
        frame();
        card(kToken);
    }
    wait(3s);
    for (int i = 0; i < 10; ++i) {
        frame();
        plate("沪F13579");
        card(kToken2);
    }
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::AdmitVoucher});
    EXPECT_EQ(decider_.committed()[0].plate, "沪F13579");
    ASSERT_EQ(decider_.visits.size(), 1u);
    EXPECT_EQ(decider_.visits[0].token, kToken2);
    EXPECT_EQ(relay_.pulses(), 1);
}

TEST_F(LaneTest, PlateWithoutACardIsAskedForAVoucherOnceAfterThePairWindow) {
    make(options());
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪C55555");
    }
    EXPECT_EQ(decider_.commits(), 0);  // the card may still come
    EXPECT_EQ(lane_->status().state, "waiting-for-card");
    for (int i = 0; i < 900; ++i) {  // 90 s of the same car in view, 10 reads a second
        advance(100ms);
        plate("沪C55555");
    }
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::DenyNeedVoucher});
    EXPECT_EQ(relay_.pulses(), 0);
    EXPECT_EQ(announcer_.said, std::vector<std::string>{"请出示亲情停车券"});
}

TEST_F(LaneTest, ACarThatFindsItsCardAfterBeingAskedIsAdmitted) {
    make(options());
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪C55555");
    }
    for (int i = 0; i < 610; ++i) {  // still in view, looking for the card
        advance(100ms);
        plate("沪C55555");
    }
    card(kToken);
    EXPECT_EQ(committedReasons(), (std::vector<Reason>{Reason::DenyNeedVoucher, Reason::AdmitVoucher}));
    EXPECT_EQ(relay_.pulses(), 1);
}

TEST_F(LaneTest, UnconfidentReadsOfTheCarBeforeDoNotOutvoteTheNextCar) {
    make(options(gate::Direction::Exit));
    for (int i = 0; i < 5; ++i) {
        frame();
        plate("沪C85791", 0.6F);  // never confident enough to be declared
    }
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪D20461");
    }
    ASSERT_EQ(committedReasons(), std::vector<Reason>{Reason::ReleaseUnmatched});
    EXPECT_EQ(decider_.committed()[0].plate, "沪D20461");
}

TEST_F(LaneTest, APlateReaderFallingBehindStillCompletesTheVote) {
    make(options(gate::Direction::Exit));
    // Three reads of the car at the barrier, seconds apart because the reader gets little CPU: no frame without
    // the plate was looked at in between, so nothing says the car has gone.
    plate("沪D20461");
    stall(2600ms);
    plate("沪D20461");
    stall(2600ms);
    plate("沪D20461");
    ASSERT_EQ(committedReasons(), std::vector<Reason>{Reason::ReleaseUnmatched});
    EXPECT_EQ(relay_.pulses(), 1);
}

TEST_F(LaneTest, FramesLookedAtWithoutThePlateEndTheVote) {
    make(options(gate::Direction::Exit));
    plate("沪D20461");
    frame();
    plate("沪D20461");
    wait(2500ms);  // the reader saw an empty lane: the car has gone
    frame();
    plate("沪D20461");
    EXPECT_TRUE(committedReasons().empty()) << "two reads of a car that left and one of the next are not a vote";
    frame();
    plate("沪D20461");
    frame();
    plate("沪D20461");
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::ReleaseUnmatched});
}

TEST_F(LaneTest, NoFrameLookedAtForAWholePairWindowEndsTheVote) {
    make(options(gate::Direction::Exit));
    plate("沪D20461");
    frame();
    plate("沪D20461");
    stall(61s);  // longer than pair_window: the camera was lost, or the reader stalled
    plate("沪D20461");
    EXPECT_TRUE(committedReasons().empty());
}

TEST_F(LaneTest, ResidentCarOpensAtOnceWithoutACard) {
    make(options());
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪B88888");
    }
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::AdmitResident});
    EXPECT_EQ(relay_.pulses(), 1);
}

TEST_F(LaneTest, PhotocopiedCardOnAnotherCarIsDeniedWithNoPulse) {
    make(options());
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪A12345");
    }
    card(kToken);
    wait(2min);
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪D77777");
    }
    card(kToken);
    EXPECT_EQ(committedReasons(), (std::vector<Reason>{Reason::AdmitVoucher, Reason::DenyVoucherUsed}));
    EXPECT_EQ(relay_.pulses(), 1);
    EXPECT_EQ(announcer_.said.back(), "此券已使用");
}

TEST_F(LaneTest, PhotocopyShownByTheNextCarWithinTheRepeatWindowIsStillDecided) {
    make(options());
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪A12345");
    }
    card(kToken);
    wait(5s);
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪D77777");
    }
    card(kToken);
    EXPECT_EQ(committedReasons(), (std::vector<Reason>{Reason::AdmitVoucher, Reason::DenyVoucherUsed}));
    EXPECT_EQ(relay_.pulses(), 1);
}

TEST_F(LaneTest, CarThatDidNotGetThroughIsReadmittedWithoutASecondVisit) {
    make(options());
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪A12345");
    }
    card(kToken);
    wait(90s);  // reversed, came back; repeats expired
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪A12345");
    }
    card(kToken);
    EXPECT_EQ(committedReasons(), (std::vector<Reason>{Reason::AdmitVoucher, Reason::AdmitRepeat}));
    EXPECT_EQ(relay_.pulses(), 2);
    EXPECT_EQ(decider_.visits.size(), 1u);
}

TEST_F(LaneTest, CardWithUnreadPlateWaitsForTheGuardWhoseConfirmOpensOnce) {
    make(options());
    card(kToken);
    wait(7900ms);
    EXPECT_EQ(decider_.commits(), 0);
    wait(200ms);
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::HoldPlateUnread});
    EXPECT_EQ(relay_.pulses(), 0);
    EXPECT_EQ(announcer_.said.back(), "请稍候，门卫确认中");
    EXPECT_EQ(lane_->status().state, "waiting-for-guard");
    for (int i = 0; i < 20; ++i) card(kToken);  // still holding the card up: nothing new
    EXPECT_EQ(decider_.commits(), 1);

    auto out = lane_->confirm({"王", "plate covered in mud"}, false, std::string("沪A12345"));
    ASSERT_TRUE(out.ok) << out.error;
    ASSERT_TRUE(out.decision);
    EXPECT_EQ(out.decision->reason, Reason::AdmitVoucherPlateUnread);
    EXPECT_EQ(relay_.pulses(), 1);
    EXPECT_EQ(lane_->status().state, "idle");
    auto again = lane_->confirm({"王", "again"}, false, std::nullopt);
    EXPECT_FALSE(again.ok);
    EXPECT_NE(again.error.find("no car is waiting"), std::string::npos);
    EXPECT_EQ(relay_.pulses(), 1);
}

TEST_F(LaneTest, AnAdmissionHandsOverThePlateFrameAndBoxAfterItsPulse) {
    make(options());
    watchEvidence();
    shown("沪A12345", kToken, 40);
    ASSERT_EQ(decider_.committed().size(), 1u);
    ASSERT_EQ(evidence_.size(), 1u) << "one decision, one frame: the repeats are suppressed";
    EXPECT_EQ(evidence_[0].audit_seq, decider_.committed()[0].audit_seq);
    EXPECT_EQ(evidence_[0].evidence.frame.data, plate_frame_.data) << "the camera's pixels, not a copy";
    EXPECT_EQ(evidence_[0].evidence.plate, kPlateBox);
    EXPECT_EQ(evidence_[0].pulses_before, 1) << "never before the barrier is pulsed";
}

TEST_F(LaneTest, ACardOnlyDecisionHasTheCardFrameAndNoPlateCrop) {
    make(options());
    watchEvidence();
    card("VG1:NOTISSUED");
    ASSERT_EQ(evidence_.size(), 1u);
    EXPECT_EQ(evidence_[0].evidence.frame.data, card_frame_.data);
    EXPECT_FALSE(evidence_[0].evidence.plate);
}

TEST_F(LaneTest, TheGuardsConfirmHasNoFrameOfItsOwnTheHoldBeforeItHasTheCards) {
    make(options());
    watchEvidence();
    card(kToken);
    wait(9s);
    ASSERT_EQ(evidence_.size(), 1u);
    EXPECT_EQ(evidence_[0].audit_seq, decider_.committed()[0].audit_seq);  // HOLD_PLATE_UNREAD
    EXPECT_EQ(evidence_[0].evidence.frame.data, card_frame_.data);
    ASSERT_TRUE(lane_->confirm({"王", "plate covered in mud"}, false, std::string("沪A12345")).ok);
    EXPECT_EQ(evidence_.size(), 1u);
}

TEST_F(LaneTest, ADryRunDecisionIsNotAuditedAndKeepsNoEvidence) {
    auto o = options();
    o.dry_run = true;
    make(o);
    watchEvidence();
    shown("沪A12345", kToken, 40);
    EXPECT_TRUE(evidence_.empty());
}

TEST_F(LaneTest, GuardRefusalDoesNotOpen) {
    make(options());
    card(kToken);
    wait(9s);
    auto out = lane_->confirm({"王", "no such visitor"}, true, std::nullopt);
    ASSERT_TRUE(out.ok);
    EXPECT_EQ(out.decision->reason, Reason::DenyGuardRefused);
    EXPECT_EQ(relay_.pulses(), 0);
}

TEST_F(LaneTest, ForgedCardIsDeniedAtOnceWithoutWaitingForThePlate) {
    make(options());
    card("VG1:NOTISSUED");
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::DenyVoucherForged});
    EXPECT_EQ(announcer_.said.back(), "此券无效");
    EXPECT_EQ(relay_.pulses(), 0);
}

TEST_F(LaneTest, RelayFaultIsRecordedNamingTheDriver) {
    make(options());
    relay_.fail = true;
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪A12345");
    }
    card(kToken);
    EXPECT_EQ(relay_.pulses(), 0);
    ASSERT_FALSE(decider_.events.empty());
    EXPECT_EQ(decider_.events.back().first, "RELAY_FAULT");
    EXPECT_NE(decider_.events.back().second.find("\"driver\":\"fake\""), std::string::npos);
    EXPECT_EQ(metrics_.relayFaults(), 1u);
    EXPECT_EQ(announcer_.said.back(), "系统故障，请联系门卫");
}

// The loop detector: vehicle, clear, vehicle on one pulse.
class LaneLoopTest : public LaneTest {
  protected:
    // A voucher car on the loop (since `on_loop_for` before its decision) admitted with one pulse.
    void admitOnTheLoop() {
        make(options(), &loop_);
        loop_.value = relay::Presence::Present;
        stall(300ms);  // the car rolls onto the loop in front of the barrier
        shown("沪A12345", kToken, 5);
        ASSERT_EQ(committedReasons(), std::vector<Reason>{Reason::AdmitVoucher});
        ASSERT_EQ(relay_.pulses(), 1);
    }
    void loop(relay::Presence p, gate::Duration after) {
        advance(after);
        loop_.value = p;
        lane_->tick();
    }
    std::vector<std::string> eventKinds() const {
        std::vector<std::string> out;
        for (const auto& e : decider_.events) out.push_back(e.first);
        return out;
    }
    FakePresence loop_;
};

TEST_F(LaneLoopTest, ASecondVehicleThroughOnOnePulseIsTailgateSuspectedWithBothTimes) {
    admitOnTheLoop();
    const auto first_at = kStart;  // the loop's first sample that saw the car (stall's first tick is +100 ms)
    const std::size_t relay_calls = relay_.calls.size();
    loop(relay::Presence::Absent, 1s);  // the first car has gone through
    const auto left_at = clock_.now();
    loop(relay::Presence::Present, 800ms);  // bumper to bumper: the barrier had no time to close
    const auto second_at = clock_.now();
    ASSERT_EQ(eventKinds(), std::vector<std::string>{"TAILGATE_SUSPECTED"});
    const auto payload = nlohmann::json::parse(decider_.events[0].second);
    EXPECT_EQ(payload["lane"], "entry-1");
    EXPECT_EQ(payload["first_vehicle_at"], zone_.isoLocal(first_at + 100ms));
    EXPECT_EQ(payload["first_vehicle_left_at"], zone_.isoLocal(left_at));
    EXPECT_EQ(payload["second_vehicle_at"], zone_.isoLocal(second_at));
    EXPECT_EQ(payload["decision"], relay_.calls.back().tag);
    // Shown to the guard; nothing opened or closed, no decision taken.
    EXPECT_EQ(lane_->status().last_event, "TAILGATE_SUSPECTED");
    EXPECT_EQ(lane_->status().last_event_at, second_at);
    EXPECT_EQ(lane_->status().last_reason, "ADMIT_VOUCHER");
    EXPECT_EQ(lane_->status().presence, "present");
    EXPECT_EQ(metrics_.events("entry-1", "TAILGATE_SUSPECTED"), 1u);
    EXPECT_EQ(relay_.calls.size(), relay_calls);
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::AdmitVoucher});
    // Once per pulse: the second car leaving and a third following it are not counted again.
    loop(relay::Presence::Absent, 1s);
    loop(relay::Presence::Present, 500ms);
    EXPECT_EQ(eventKinds().size(), 1u);
}

TEST_F(LaneLoopTest, AWallClockSteppedForwardBetweenTheTwoVehiclesDoesNotHideTheTailgate) {
    admitOnTheLoop();
    loop(relay::Presence::Absent, 1s);
    clock_.advance(1h);  // NTP steps the wall clock while the barrier is still up
    loop(relay::Presence::Present, 800ms);
    EXPECT_EQ(eventKinds(), std::vector<std::string>{"TAILGATE_SUSPECTED"});
}

TEST_F(LaneLoopTest, AWallClockSteppedBackBetweenTwoCarsDoesNotInventATailgate) {
    admitOnTheLoop();
    loop(relay::Presence::Absent, 1s);
    clock_.set(clock_.now() - 1h);
    loop(relay::Presence::Present, 30s);  // the next car, long after the barrier closed
    EXPECT_TRUE(eventKinds().empty());
}

TEST_F(LaneLoopTest, ARefusedCarThatFollowsTheAdmittedOneThroughIsStillATailgate) {
    admitOnTheLoop();
    // A second car behind the first shows a forged card while the barrier is still up: refused, no pulse...
    shown("沪B54321", "VG1:NOTAVALIDTOKENNOTAVALIDTOKENNOTAVALIDTOK", 5);
    ASSERT_EQ(committedReasons(), (std::vector<Reason>{Reason::AdmitVoucher, Reason::DenyVoucherForged}));
    ASSERT_EQ(relay_.pulses(), 1);
    // ...and follows the first one through anyway.
    loop(relay::Presence::Absent, 1s);
    loop(relay::Presence::Present, 800ms);
    EXPECT_EQ(eventKinds(), std::vector<std::string>{"TAILGATE_SUSPECTED"});
}

TEST_F(LaneLoopTest, TheNextCarsOwnPulseWhileThePreviousCarIsStillOnTheLoopIsNoTailgate) {
    admitOnTheLoop();
    // A resident right behind is read and admitted while the first car is still on the loop: its own pulse.
    decider_.resident_plates.insert("沪C11111");
    for (int i = 0; i < 5; ++i) {
        frame();
        plate("沪C11111");
    }
    ASSERT_EQ(relay_.pulses(), 2);
    loop(relay::Presence::Absent, 1s);      // the first car leaves the loop
    loop(relay::Presence::Present, 800ms);  // the resident, admitted, rolls on
    EXPECT_TRUE(eventKinds().empty());
}

TEST_F(LaneLoopTest, ALoopThatStopsAnsweringShowsUnknownNotItsLastState) {
    admitOnTheLoop();
    ASSERT_EQ(lane_->status().presence, "present");
    loop(relay::Presence::Unknown, 100ms);
    EXPECT_EQ(lane_->status().presence, "unknown");
}

TEST_F(LaneLoopTest, AVehicleThatComesAfterTheBarrierHadTimeToCloseIsTheNextCarNotATailgate) {
    admitOnTheLoop();
    loop(relay::Presence::Absent, 1s);
    loop(relay::Presence::Present, 2100ms);  // longer than tailgate_gap (2 s): waiting in front of a closed barrier
    EXPECT_TRUE(eventKinds().empty());
    EXPECT_EQ(lane_->status().last_event, "");
}

TEST_F(LaneLoopTest, ALongerTailgateGapCatchesASlowerFollower) {
    auto o = options();
    o.tailgate_gap = 5s;
    make(o, &loop_);
    loop_.value = relay::Presence::Present;
    stall(300ms);
    shown("沪A12345", kToken, 5);
    loop(relay::Presence::Absent, 1s);
    loop(relay::Presence::Present, 4s);
    EXPECT_EQ(eventKinds(), std::vector<std::string>{"TAILGATE_SUSPECTED"});
}

TEST_F(LaneLoopTest, ASecondPulseBetweenTheTwoVehiclesIsNoTailgate) {
    admitOnTheLoop();
    loop(relay::Presence::Absent, 1s);
    ASSERT_TRUE(lane_->open({"王", "second car's card is wet"}).ok);  // the guard lets the next car in
    loop(relay::Presence::Present, 500ms);
    loop(relay::Presence::Absent, 1s);
    EXPECT_EQ(eventKinds(), std::vector<std::string>{"MANUAL_OPEN"});
}

TEST_F(LaneLoopTest, VehicleClearVehicleWithoutAnyPulseIsNoTailgate) {
    make(options(), &loop_);
    loop(relay::Presence::Present, 1s);
    loop(relay::Presence::Absent, 1s);  // a car that turned round
    loop(relay::Presence::Present, 500ms);
    EXPECT_TRUE(eventKinds().empty());
    EXPECT_EQ(relay_.pulses(), 0);
}

TEST_F(LaneLoopTest, ALoopThatCannotBeReadNeitherInventsNorHidesEdges) {
    admitOnTheLoop();
    loop(relay::Presence::Unknown, 500ms);  // the input fails for a moment: no edge
    loop(relay::Presence::Present, 100ms);
    EXPECT_TRUE(eventKinds().empty());
    loop(relay::Presence::Absent, 1s);
    loop(relay::Presence::Unknown, 300ms);
    loop(relay::Presence::Present, 300ms);
    EXPECT_EQ(eventKinds(), std::vector<std::string>{"TAILGATE_SUSPECTED"});
}

TEST_F(LaneLoopTest, UnreadPlateAtEntryAndTheCardAtTheExitAreDecidedWithTheLoopsState) {
    // Rule 13 "presence" and rule 14 get the loop as it is when the lane decides, from the lane's input.
    make(options(), &loop_);
    loop_.value = relay::Presence::Present;
    card(kToken);
    wait(8100ms);  // plate_timeout: rule 13
    ASSERT_FALSE(decider_.committed().empty());
    EXPECT_EQ(decider_.calls.back().obs.presence, gate::Presence::Present);
    EXPECT_FALSE(decider_.calls.back().obs.plate);

    decider_.calls.clear();
    make(options(gate::Direction::Exit), &loop_);
    loop_.value = relay::Presence::Absent;  // a card carried out on foot
    card(kToken2);
    wait(8100ms);
    ASSERT_FALSE(decider_.calls.empty());
    EXPECT_EQ(decider_.calls.back().obs.presence, gate::Presence::Absent);
    EXPECT_EQ(decider_.calls.back().obs.token, kToken2);
}

TEST_F(LaneLoopTest, BarrierNotOpenedAfterACommittedAdmissionIsAFaultShownToTheGuardNotADecision) {
    admitOnTheLoop();
    relay_.barrierNotOpened("discrete input 4 did not report the barrier open within 2000 ms of pulse audit:1");
    ASSERT_EQ(eventKinds(), std::vector<std::string>{"BARRIER_NOT_OPENED"});
    const auto payload = nlohmann::json::parse(decider_.events[0].second);
    EXPECT_EQ(payload["driver"], "fake");
    EXPECT_NE(payload["error"].get<std::string>().find("discrete input 4"), std::string::npos);
    EXPECT_EQ(lane_->status().last_event, "BARRIER_NOT_OPENED");
    EXPECT_EQ(metrics_.events("entry-1", "BARRIER_NOT_OPENED"), 1u);
    EXPECT_EQ(metrics_.relayFaults(), 0u);
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::AdmitVoucher});  // the admission stands (rule 10)
    EXPECT_EQ(relay_.pulses(), 1);
}

TEST_F(LaneTest, DryRunLaneDecidesWithoutWritingOrEnergising) {
    auto o = options();
    o.dry_run = true;
    make(o);
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪A12345");
    }
    card(kToken);
    EXPECT_EQ(decider_.commits(), 0);
    EXPECT_TRUE(decider_.visits.empty());
    EXPECT_TRUE(relay_.calls.empty());
    EXPECT_EQ(lane_->status().last_reason, "ADMIT_VOUCHER");
}

TEST_F(LaneTest, AnEntryAdmissionThatWasNotCommittedNeverOpens) {
    make(options());
    decider_.uncommitted_admissions = true;
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪A12345");
    }
    card(kToken);
    EXPECT_EQ(relay_.pulses(), 0);
}

TEST_F(LaneTest, ExitReleasesTheMatchingVisitWithOnePulse) {
    decider_.visits.push_back({kToken, "沪A12345", kStart - 1h, true});
    make(options(gate::Direction::Exit));
    for (int i = 0; i < 30; ++i) {
        frame();
        plate("沪A12345");
    }
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::ReleaseVisit});
    EXPECT_FALSE(decider_.visits[0].inside);
    EXPECT_EQ(relay_.pulses(), 1);
    EXPECT_EQ(announcer_.said.back(), "一路平安");
}

TEST_F(LaneTest, StoppedLaneTakesNoDecisions) {
    make(options());
    lane_->stop();
    for (int i = 0; i < 3; ++i) {
        frame();
        plate("沪B88888");
    }
    card(kToken);
    EXPECT_TRUE(decider_.calls.empty());
    EXPECT_EQ(lane_->status().state, "stopped");
}

TEST_F(LaneTest, GuardOpenIsAuditedBeforeThePulseAndHoldIsReleasedOnCommand) {
    make(options());
    auto open = lane_->open({"王", "delivery van"});
    ASSERT_TRUE(open.ok) << open.error;
    ASSERT_EQ(decider_.events.size(), 1u);
    EXPECT_EQ(decider_.events[0].first, "MANUAL_OPEN");
    EXPECT_EQ(relay_.pulses(), 1);
    EXPECT_EQ(relay_.calls.back().tag, "manual:" + std::to_string(open.audit_seq));
    auto hold = lane_->holdOpen({"王", "fire brigade"});
    ASSERT_TRUE(hold.ok);
    EXPECT_EQ(hold.relay_state, "held");
    auto rel = lane_->release({"王", "fire brigade gone"});
    ASSERT_TRUE(rel.ok);
    EXPECT_EQ(rel.relay_state, "released");
    EXPECT_EQ(decider_.events.back().first, "MANUAL_RELEASE");
}

TEST_F(LaneTest, ReloadedPlateTimeoutAppliesToTheNextCard) {
    make(options());
    auto o = options();
    o.plate_timeout = 2s;
    lane_->setOptions(o);
    card(kToken);
    wait(2100ms);
    EXPECT_EQ(committedReasons(), std::vector<Reason>{Reason::HoldPlateUnread});
}

// The journal lines the lane writes while it lives: spdlog's default logger replaced by one writing "EVENT {json}"
// lines to a string, at debug level (PLATE_READ too).
class JournalCapture {
  public:
    JournalCapture() : previous_(spdlog::default_logger()) {
        auto logger = std::make_shared<spdlog::logger>("lane-test-journal",
                                                       std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
        logger->set_pattern("%v");
        logger->set_level(spdlog::level::debug);
        spdlog::set_default_logger(logger);
    }
    ~JournalCapture() { spdlog::set_default_logger(previous_); }
    JournalCapture(const JournalCapture&) = delete;
    JournalCapture& operator=(const JournalCapture&) = delete;
    std::string text() const { return out_.str(); }
    std::vector<std::string> lines(const std::string& event) const {
        std::vector<std::string> found;
        std::istringstream in(out_.str());
        for (std::string line; std::getline(in, line);) {
            if (line.rfind(event + " {", 0) == 0) found.push_back(line.substr(event.size() + 1));
        }
        return found;
    }

  private:
    std::ostringstream out_;
    std::shared_ptr<spdlog::logger> previous_;
};

// Issue 16: the journal is out of the retention purge's reach, so by default its DECISION lines name the visit and
// the reason but no plate (not the car's, not the first use's), and PLATE_READ lines carry no text; log.plates =
// true puts them back.
class LaneJournalTest : public LaneTest {
  protected:
    // An admission, then the same card on another car (DENY_VOUCHER_USED names the first use); the two DECISION
    // lines.
    std::vector<nlohmann::json> twoDecisions(bool log_plates) {
        auto o = options();
        o.log_plates = log_plates;
        make(o);
        shown("沪A12345", kToken, 5);
        wait(2min);
        shown("沪D77777", kToken, 5);
        EXPECT_EQ(committedReasons(), (std::vector<Reason>{Reason::AdmitVoucher, Reason::DenyVoucherUsed}));
        std::vector<nlohmann::json> out;
        for (const auto& line : journal_.lines("DECISION")) out.push_back(nlohmann::json::parse(line));
        EXPECT_EQ(out.size(), 2u) << journal_.text();
        EXPECT_FALSE(journal_.lines("PLATE_READ").empty()) << journal_.text();
        return out;
    }
    JournalCapture journal_;
};

TEST_F(LaneJournalTest, DecisionLinesNameTheVisitAndReasonButNoPlateByDefault) {
    const auto d = twoDecisions(false);
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d[0]["reason"], "ADMIT_VOUCHER");
    EXPECT_EQ(d[0]["visit"], 1);
    EXPECT_FALSE(d[0].contains("plate")) << d[0];
    EXPECT_EQ(d[1]["reason"], "DENY_VOUCHER_USED");
    EXPECT_TRUE(d[1].contains("first_used_at")) << d[1];
    EXPECT_FALSE(d[1].contains("plate")) << d[1];
    EXPECT_FALSE(d[1].contains("first_used_plate")) << d[1];
    // Nowhere in the journal: not in a message, not in a plate read.
    EXPECT_EQ(journal_.text().find("12345"), std::string::npos) << journal_.text();
    EXPECT_EQ(journal_.text().find("77777"), std::string::npos) << journal_.text();
}

TEST_F(LaneJournalTest, LogPlatesPutsThePlatesInTheDecisionLines) {
    const auto d = twoDecisions(true);
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d[0]["plate"], "沪A12345");
    EXPECT_EQ(d[1]["plate"], "沪D77777");
    EXPECT_EQ(d[1]["first_used_plate"], "沪A12345");
    EXPECT_NE(journal_.lines("PLATE_READ")[0].find("沪A12345"), std::string::npos) << journal_.text();
}

}  // namespace
}  // namespace vg::daemon
