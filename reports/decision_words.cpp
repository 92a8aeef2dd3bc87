#include "reports/decision_words.h"

#include <fmt/format.h>

namespace vg::reports {

namespace {

using gate::Reason;

// What a sentence may use: all of it from a live decision, what the audit row kept from a stored one.
struct Facts {
    Reason reason = Reason::DenyInternal;
    std::optional<gate::Direction> direction;  // unknown for a manual opening
    gate::TimePoint at{};
    std::string plate;  // "" = unread, or purged
    bool plate_unread = false;
    std::optional<std::uint32_t> serial;
    std::string unit;
    std::optional<std::int64_t> visit;
    std::optional<gate::TimePoint> deadline;
    std::optional<gate::Duration> overstay;
    std::optional<double> fee;
    bool spooled = false;
    std::optional<gate::TimePoint> first_used_at;
    std::string first_used_plate;
    std::string operator_name;
    std::string manual_reason;
    std::string message;  // the English sentence
};

class Sentence {
  public:
    Sentence(const Facts& f, const gate::SiteZone& zone) : f_(f), zone_(zone) {}

    // A time on the decision's own day as "18:30", on another day with its date.
    std::string when(gate::TimePoint t) const {
        const char* day = "%Y-%m-%d";
        if (zone_.formatLocal(t, day) == zone_.formatLocal(f_.at, day)) return zone_.formatLocal(t, "%H:%M");
        return zone_.formatLocal(t);
    }
    // "车辆 沪A12345 " (before the verb), or what is known when the plate is not.
    std::string car() const {
        if (!f_.plate.empty()) return "车辆 " + f_.plate + " ";
        return f_.plate_unread ? "车牌未识别的车辆" : "车辆";
    }
    // "停车券 3（12-301）", as much as is known.
    std::string voucher() const {
        std::string out = f_.serial ? fmt::format("停车券 {}", *f_.serial) : std::string("停车券");
        if (!f_.unit.empty()) out += fmt::format("（{}）", f_.unit);
        return out;
    }
    // A space between a number and the Chinese that follows it.
    static std::string spaced(std::string text) {
        if (!text.empty() && text.back() >= '0' && text.back() <= '9') text += ' ';
        return text;
    }
    std::string leaveBy() const { return f_.deadline ? fmt::format("，限停至 {}", when(*f_.deadline)) : ""; }
    std::string overstay() const {
        std::string out = f_.overstay ? fmt::format("超时 {}", formatStay(*f_.overstay, Lang::Zh)) : "超时";
        if (f_.deadline) out += fmt::format("（限停至 {}）", when(*f_.deadline));
        return out;
    }
    std::string fee() const { return f_.fee ? fmt::format("，应交超时费 {:g} 元", *f_.fee) : ""; }
    // "门卫 老王 " (before the verb), or "门卫" when the name is not known.
    std::string guard() const { return f_.operator_name.empty() ? "门卫" : "门卫 " + f_.operator_name + " "; }
    std::string why() const { return f_.manual_reason.empty() ? "" : "，理由：" + f_.manual_reason; }

    std::string str() const {
        switch (f_.reason) {
            case Reason::AdmitResident:
                return fmt::format("放行：{}是登记的住户车辆", car());
            case Reason::AdmitVoucher:
                return fmt::format("放行：{}凭{}入场{}", car(), spaced(voucher()), leaveBy());
            case Reason::AdmitVoucherPlateUnread:
                return fmt::format("放行：凭{}入场，车牌未识别{}", spaced(voucher()), leaveBy());
            case Reason::AdmitRepeat:
                return fmt::format("再次放行：{}刚才已放行过这辆车，车辆没有通过，不算新的来访{}", spaced(voucher()),
                                   leaveBy());
            case Reason::AdmitManual:
                return fmt::format("放行：{}手动开闸{}", guard(), why());
            case Reason::ReleaseVisit:
                return fmt::format("放行：{}离场，{}，未超时", car(), voucher());
            case Reason::ReleaseOverstay:
                return fmt::format("放行：{}离场，{}，{}已记录{}", car(), voucher(), overstay(), fee());
            case Reason::ReleaseResident:
                return fmt::format("放行：{}是登记的住户车辆", car());
            case Reason::ReleaseUnmatched:
                return f_.plate.empty() ? std::string("放行：出口车辆车牌未识别，没有对应的来访，请门卫留意")
                                        : fmt::format("放行：{}没有入场记录，也不是登记车辆，请门卫留意", car());
            case Reason::ReleaseOnError:
                return f_.spooled ? std::string("放行：系统故障，这次离场已暂存，稍后补记")
                                  : std::string("放行：系统故障，这次离场稍后补记，请门卫留意");
            case Reason::DenyNeedVoucher:
                return f_.plate.empty() ? std::string("不放行：没有识别到车牌，也没有出示停车券，请出示停车券")
                                        : fmt::format("不放行：{}不是登记车辆，请出示停车券", car());
            case Reason::DenyVoucherUsed: {
                std::string used = "已使用过";
                if (f_.first_used_at) {
                    used =
                        fmt::format("已于 {} 由{}使用过", when(*f_.first_used_at),
                                    f_.first_used_plate.empty() ? "车牌未识别的车辆" : " " + f_.first_used_plate + " ");
                }
                return fmt::format("不放行：{}{}，每张券只能用一次", spaced(voucher()), used);
            }
            case Reason::DenyVoucherRevoked:
                return fmt::format("不放行：{}已作废或已补办，请使用居委会发的新券", spaced(voucher()));
            case Reason::DenyVoucherExpired:
                return fmt::format("不放行：{}已过期", spaced(voucher()));
            case Reason::DenyVoucherNotYetValid:
                return fmt::format("不放行：{}还没到使用月份", spaced(voucher()));
            case Reason::DenyVoucherForged:
                return "不放行：停车券无效，不是本小区发放的券";
            case Reason::DenyAlreadyInside:
                return fmt::format("不放行：{}已凭另一张停车券在场，一次来访只能用一张券", car());
            case Reason::DenyBlocked:
                return fmt::format("不放行：{}是禁入车辆", car());
            case Reason::DenyClockBehind:
                return "不放行：系统时钟落后，请物业校准时间";
            case Reason::DenyPlateUnread:
                return f_.direction == gate::Direction::Exit
                           ? std::string("不放行：出口没有识别到车牌、停车券或车辆")
                           : fmt::format("不放行：{}有效，但没有识别到车牌", spaced(voucher()));
            case Reason::DenyGuardRefused:
                return fmt::format("不放行：{}拒绝放行{}", guard(), why());
            case Reason::DenyInternal:
                return "不放行：系统故障，请联系物业";
            case Reason::HoldOverstay:
                return fmt::format("请等候门卫：{}{}{}", car(), overstay(), fee());
            case Reason::HoldPlateUnread:
                return fmt::format("请等候门卫：{}有效，但车牌未识别，请门卫确认", spaced(voucher()));
            case Reason::HoldOnError:
                return "请等候门卫：系统故障，出口暂不抬杆";
            case Reason::ExitQrMismatch:
                return fmt::format("不放行：出口出示的{}与车辆不符{}", spaced(voucher()),
                                   f_.visit ? fmt::format("，来访 {} 仍在场", *f_.visit) : std::string{});
        }
        return std::string(reasonWords(f_.reason, Lang::Zh));
    }

  private:
    const Facts& f_;
    const gate::SiteZone& zone_;
};

std::string words(const Facts& f, const gate::SiteZone& zone, Lang lang) {
    if (lang == Lang::En) return f.message.empty() ? std::string(reasonWords(f.reason, Lang::En)) : f.message;
    return Sentence(f, zone).str();
}

// The fields a live gate::Decision and a stored gate::DecisionRecord share, by name.
template <class D>
Facts sharedFacts(const D& d) {
    return Facts{.reason = d.reason,
                 .at = d.at,
                 .plate = d.plate,
                 .plate_unread = d.plate_unread,
                 .serial = d.serial,
                 .unit = d.unit,
                 .visit = d.visit,
                 .deadline = d.deadline,
                 .overstay = d.overstay,
                 .fee = d.fee,
                 .spooled = d.spooled,
                 .first_used_at = d.first_used_at,
                 .first_used_plate = d.first_used_plate,
                 .message = d.message};
}

}  // namespace

std::string decisionWords(const gate::Decision& d, const gate::SiteZone& zone, Lang lang,
                          const std::optional<gate::Manual>& manual) {
    Facts f = sharedFacts(d);
    f.direction = d.direction;
    if (manual) {
        f.operator_name = manual->operator_name;
        f.manual_reason = manual->reason;
    }
    return words(f, zone, lang);
}

std::string decisionWords(const gate::DecisionRecord& r, const gate::SiteZone& zone, Lang lang) {
    Facts f = sharedFacts(r);
    f.operator_name = r.operator_name;
    f.manual_reason = r.manual_reason;
    if (r.direction == "entry") f.direction = gate::Direction::Entry;
    if (r.direction == "exit") f.direction = gate::Direction::Exit;
    return words(f, zone, lang);
}

}  // namespace vg::reports
