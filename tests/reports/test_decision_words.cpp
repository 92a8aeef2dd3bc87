// Every reason code reads as a Chinese sentence built from the decision's fields (reports/decision_words.h), live
// or read back from the ledger, and as the decision's own English sentence under --lang en.
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "reports/decision_words.h"

namespace vg::reports {
namespace {

using gate::Reason;
using namespace std::chrono_literals;

gate::TimePoint utc(int day, int hour, int minute) {
    return gate::TimePoint{std::chrono::sys_days{std::chrono::year{2026} / 11 / day}.time_since_epoch() +
                           std::chrono::hours(hour) + std::chrono::minutes(minute)};
}

gate::SiteZone shanghai() { return gate::SiteZone::make("Asia/Shanghai").value(); }

std::vector<Reason> everyReason() {
    std::vector<Reason> out;
    for (int i = 0; i <= static_cast<int>(Reason::ExitQrMismatch); ++i) out.push_back(static_cast<Reason>(i));
    return out;
}

// English words in a sentence: two ASCII letters in a row (a plate has one, a unit none).
bool hasEnglish(const std::string& s) { return std::regex_search(s, std::regex("[A-Za-z]{2}")); }

gate::Decision fullDecision(Reason r) {
    gate::Decision d;
    d.reason = r;
    d.admit = gate::opensBarrier(r);
    d.lane = "entry-1";
    d.direction = gate::toString(r).starts_with("RELEASE") || gate::toString(r).starts_with("EXIT") ||
                          r == Reason::HoldOverstay || r == Reason::HoldOnError
                      ? gate::Direction::Exit
                      : gate::Direction::Entry;
    d.at = utc(20, 10, 0);  // 18:00 site time
    d.plate = "沪A12345";
    d.serial = 17;
    d.unit = "12-301";
    d.visit = 5;
    d.deadline = utc(20, 14, 0);
    d.message = "an English sentence";
    return d;
}

const std::set<Reason> kNamesThePlate{Reason::AdmitResident,   Reason::AdmitVoucher,      Reason::ReleaseVisit,
                                      Reason::ReleaseOverstay, Reason::ReleaseResident,   Reason::ReleaseUnmatched,
                                      Reason::DenyNeedVoucher, Reason::DenyAlreadyInside, Reason::DenyBlocked,
                                      Reason::HoldOverstay};
const std::set<Reason> kNamesTheVoucher{
    Reason::AdmitVoucher,       Reason::AdmitVoucherPlateUnread, Reason::AdmitRepeat,
    Reason::ReleaseVisit,       Reason::ReleaseOverstay,         Reason::DenyVoucherUsed,
    Reason::DenyVoucherRevoked, Reason::DenyVoucherExpired,      Reason::DenyVoucherNotYetValid,
    Reason::HoldPlateUnread,    Reason::ExitQrMismatch};

TEST(DecisionWords, EveryReasonCodeHasAChineseSentence) {
    const auto zone = shanghai();
    ASSERT_EQ(everyReason().size(), 26u);
    for (const Reason r : everyReason()) {
        SCOPED_TRACE(std::string(gate::toString(r)));
        ASSERT_NE(gate::toString(r), "UNKNOWN");
        for (bool unread : {false, true}) {
            auto d = fullDecision(r);
            if (unread) {
                d.plate.clear();
                d.plate_unread = true;
            }
            const auto zh = decisionWords(d, zone, Lang::Zh, gate::Manual{"老王", "救护车"});
            EXPECT_FALSE(hasEnglish(zh)) << zh;
            EXPECT_NE(zh, reasonWords(r, Lang::Zh)) << "a sentence, not only the reason's words: " << zh;
            // The outcome first, and the right one.
            const bool opens = gate::opensBarrier(r);
            const bool holds = gate::toString(r).starts_with("HOLD");
            EXPECT_TRUE(zh.starts_with(opens   ? (r == Reason::AdmitRepeat ? "再次放行：" : "放行：")
                                       : holds ? "请等候门卫："
                                               : "不放行："))
                << zh;
            // What the lane decided on is named where the sentence is about it.
            if (!unread && kNamesThePlate.contains(r)) {
                EXPECT_NE(zh.find("沪A12345"), std::string::npos) << zh;
            }
            if (kNamesTheVoucher.contains(r)) {
                EXPECT_NE(zh.find("停车券 17（12-301）"), std::string::npos) << zh;
            }
        }
        // The same from a bare stored record (purged: no plate, no sentence).
        gate::DecisionRecord rec{.reason = r};
        const auto stored = decisionWords(rec, zone, Lang::Zh);
        EXPECT_FALSE(stored.empty());
        EXPECT_FALSE(hasEnglish(stored)) << stored;
        // English: the decision's own sentence, or the reason in words.
        EXPECT_EQ(decisionWords(fullDecision(r), zone, Lang::En), "an English sentence");
        EXPECT_EQ(decisionWords(rec, zone, Lang::En), reasonWords(r, Lang::En));
    }
}

TEST(DecisionWords, SaysWhatTheGuardNeeds) {
    const auto zone = shanghai();
    auto d = fullDecision(Reason::AdmitVoucher);
    EXPECT_EQ(decisionWords(d, zone, Lang::Zh), "放行：车辆 沪A12345 凭停车券 17（12-301）入场，限停至 22:00");
    d.deadline = utc(20, 17, 0);  // the next day, 01:00 site time
    EXPECT_EQ(decisionWords(d, zone, Lang::Zh),
              "放行：车辆 沪A12345 凭停车券 17（12-301）入场，限停至 2026-11-21 01:00");

    auto used = fullDecision(Reason::DenyVoucherUsed);
    used.plate = "沪B99999";
    used.first_used_at = utc(20, 2, 0);
    used.first_used_plate = "沪A12345";
    EXPECT_EQ(decisionWords(used, zone, Lang::Zh),
              "不放行：停车券 17（12-301）已于 10:00 由 沪A12345 使用过，每张券只能用一次");
    used.unit.clear();
    used.first_used_at.reset();
    EXPECT_EQ(decisionWords(used, zone, Lang::Zh), "不放行：停车券 17 已使用过，每张券只能用一次");

    auto over = fullDecision(Reason::ReleaseOverstay);
    over.at = utc(20, 14, 30);
    over.overstay = 150min;
    over.fee = 9.0;
    EXPECT_EQ(decisionWords(over, zone, Lang::Zh),
              "放行：车辆 沪A12345 离场，停车券 17（12-301），超时 2小时30分（限停至 22:00）已记录，应交超时费 9 元");

    gate::DecisionRecord manual{.reason = Reason::AdmitManual, .operator_name = "老王", .manual_reason = "救护车"};
    EXPECT_EQ(decisionWords(manual, zone, Lang::Zh), "放行：门卫 老王 手动开闸，理由：救护车");
    gate::DecisionRecord refused{.reason = Reason::DenyGuardRefused, .operator_name = "老王"};
    EXPECT_EQ(decisionWords(refused, zone, Lang::Zh), "不放行：门卫 老王 拒绝放行");
}

}  // namespace
}  // namespace vg::reports
