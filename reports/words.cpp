#include "reports/words.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstdint>

namespace vg::reports {

namespace {

using gate::Reason;

struct ReasonText {
    Reason reason;
    std::string_view zh;
    std::string_view en;
};

// Said the way the guard and the committee would say it; docs/decisions.md has the exact rule behind each.
constexpr std::array<ReasonText, 26> kReasonWords{{
    {Reason::AdmitResident, "住户车辆入场", "resident car, admitted"},
    {Reason::AdmitVoucher, "凭券入场", "admitted on a voucher"},
    {Reason::AdmitVoucherPlateUnread, "凭券入场（车牌未识别）", "admitted on a voucher, plate unread"},
    {Reason::AdmitRepeat, "同一张券重新放行（未计新来访）", "let in again on the same voucher (no new visit)"},
    {Reason::AdmitManual, "门卫手动开闸", "opened by the guard"},
    {Reason::ReleaseVisit, "凭券车辆离场", "voucher car left in time"},
    {Reason::ReleaseOverstay, "超时离场（已记录超时）", "left after overstaying (overstay recorded)"},
    {Reason::ReleaseResident, "住户车辆离场", "resident car, let out"},
    {Reason::ReleaseUnmatched, "离场车辆无入场记录，已放行", "let out with no matching visit"},
    {Reason::ReleaseOnError, "系统故障，离场放行（稍后补记）", "let out on a system error (recorded later)"},
    {Reason::DenyNeedVoucher, "非登记车辆，未出示停车券", "not registered and no voucher shown"},
    {Reason::DenyVoucherUsed, "停车券已使用过", "voucher already used"},
    {Reason::DenyVoucherRevoked, "停车券已作废或已补办", "voucher revoked or replaced"},
    {Reason::DenyVoucherExpired, "停车券已过期", "voucher expired"},
    {Reason::DenyVoucherNotYetValid, "停车券尚未生效", "voucher not valid yet"},
    {Reason::DenyVoucherForged, "停车券无效（伪造或非本小区发放）", "voucher not genuine"},
    {Reason::DenyAlreadyInside, "该车已凭其他停车券在场", "car already inside on another voucher"},
    {Reason::DenyBlocked, "禁入车辆", "blocked car"},
    {Reason::DenyClockBehind, "系统时钟落后，暂停入场", "entry refused: the clock is behind"},
    {Reason::DenyPlateUnread, "车牌未识别，拒绝入场", "plate unread, refused"},
    {Reason::DenyGuardRefused, "门卫拒绝放行", "refused by the guard"},
    {Reason::DenyInternal, "系统故障，拒绝入场", "entry refused on a system error"},
    {Reason::HoldOverstay, "超时车辆，等待门卫处理", "overstayed: waiting for the guard"},
    {Reason::HoldPlateUnread, "车牌未识别，等待门卫确认", "plate unread: waiting for the guard"},
    {Reason::HoldOnError, "系统故障，等待门卫处理", "system error: waiting for the guard"},
    {Reason::ExitQrMismatch, "出口出示的停车券与车辆不符", "card shown at the exit does not match the car"},
}};

// One code point from UTF-8 at s[i]; advances i. Invalid bytes count as one narrow character each.
std::uint32_t nextCodePoint(std::string_view s, std::size_t& i) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    int len = 1;
    std::uint32_t cp = b0;
    if (b0 >= 0xF0 && b0 < 0xF8) {
        len = 4;
        cp = b0 & 0x07U;
    } else if (b0 >= 0xE0) {
        len = 3;
        cp = b0 & 0x0FU;
    } else if (b0 >= 0xC0) {
        len = 2;
        cp = b0 & 0x1FU;
    } else {
        ++i;
        return cp;
    }
    if (i + static_cast<std::size_t>(len) > s.size()) {
        ++i;
        return b0;
    }
    for (int k = 1; k < len; ++k) cp = (cp << 6U) | (static_cast<unsigned char>(s[i + k]) & 0x3FU);
    i += static_cast<std::size_t>(len);
    return cp;
}

bool wide(std::uint32_t cp) {
    return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) || (cp >= 0x3041 && cp <= 0x33FF) ||
           (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xA000 && cp <= 0xA4CF) ||
           (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
           (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

bool zeroWidth(std::uint32_t cp) {
    return (cp >= 0x0300 && cp <= 0x036F) || (cp >= 0x200B && cp <= 0x200F) || (cp >= 0xFE00 && cp <= 0xFE0F);
}

}  // namespace

std::optional<Lang> parseLang(std::string_view text) {
    if (text == "zh") return Lang::Zh;
    if (text == "en") return Lang::En;
    return std::nullopt;
}

std::string_view reasonWords(gate::Reason r, Lang lang) {
    for (const auto& w : kReasonWords) {
        if (w.reason == r) return lang == Lang::Zh ? w.zh : w.en;
    }
    return gate::toString(r);
}

std::string formatStay(gate::Duration d, Lang lang) {
    const auto minutes = std::chrono::duration_cast<std::chrono::minutes>(d).count();
    if (lang == Lang::Zh) {
        if (minutes < 60) return fmt::format("{}分钟", minutes);
        if (minutes % 60 == 0) return fmt::format("{}小时", minutes / 60);
        return fmt::format("{}小时{}分", minutes / 60, minutes % 60);
    }
    return fmt::format("{}h{:02}m", minutes / 60, minutes % 60);
}

std::string categoryWords(std::string_view category, Lang lang) {
    if (lang == Lang::Zh) {
        if (category == "living-alone") return "独居老人";
        if (category == "elderly-only") return "纯老家庭";
    }
    return std::string(category);
}

std::string_view kindWords(gate::VehicleKind k, Lang lang) {
    if (lang == Lang::En) return gate::toString(k);
    return k == gate::VehicleKind::Resident ? "住户车辆" : "禁入车辆";
}

std::string_view statusWords(gate::VoucherStatus s, Lang lang) {
    if (lang == Lang::En) return gate::toString(s);
    switch (s) {
        case gate::VoucherStatus::Issued:
            return "未使用";
        case gate::VoucherStatus::Used:
            return "已使用";
        case gate::VoucherStatus::Revoked:
            return "已作废";
    }
    return gate::toString(s);
}

std::string_view directionWords(gate::Direction d, Lang lang) {
    if (lang == Lang::En) return gate::toString(d);
    return d == gate::Direction::Entry ? "入口" : "出口";
}

std::string vehicleWords(const gate::Vehicle& v, Lang lang) {
    const bool zh = lang == Lang::Zh;
    std::string out(kindWords(v.kind, lang));
    if (!v.unit.empty()) out += zh ? fmt::format("（户号 {}）", v.unit) : fmt::format(" of unit {}", v.unit);
    if (v.until) out += zh ? fmt::format("，有效期至 {}", *v.until) : fmt::format(" until {}", *v.until);
    return out;
}

std::string_view tokenErrorWords(gate::TokenError e, Lang lang) {
    if (lang == Lang::En) return gate::describe(e);
    switch (e) {
        case gate::TokenError::Malformed:
            return "不是停车券的二维码内容（格式不对）";
        case gate::TokenError::UnsupportedVersion:
            return "停车券的版本太新，本系统不能核验";
        case gate::TokenError::UnknownKey:
            return "签名密钥不认识：不是本小区发放的券";
        case gate::TokenError::RetiredKey:
            return "签名密钥已停用：这张券作废了，请居委会重新发券";
        case gate::TokenError::BadMac:
            return "签名不对：伪造、被改动过，或不是本小区发放的券";
    }
    return gate::describe(e);
}

std::string errorWords(const gate::LedgerError& e, Lang lang) {
    using About = gate::LedgerError::About;
    const auto& a = e.args;
    auto arg = [&](std::size_t i) { return i < a.size() ? a[i] : std::string("?"); };
    if (lang == Lang::En) return e.message;
    switch (e.about) {
        case About::Other:
            return e.message;
        case About::NoHousehold:
            return fmt::format("没有登记的住户 {}：请先登记这一户", arg(0));
        case About::HouseholdExists:
            return fmt::format("住户 {} 已经登记过了", arg(0));
        case About::CategoryNotEligible:
            return fmt::format("类别“{}”不能领停车券（可以领券的类别：{}；见 vouchers.eligible_categories）", arg(0),
                               arg(1));
        case About::HouseholdNotEligible:
            return fmt::format("住户 {} 的类别“{}”已不在可领券的类别中（vouchers.eligible_categories）", arg(0),
                               categoryWords(arg(1), Lang::Zh));
        case About::MonthEnded:
            return fmt::format("{} 已经过去：只能发本月或以后月份的停车券", arg(0));
        case About::QuotaFull:
            return fmt::format("住户 {} 的 {} 停车券已有 {} 张（每月 {} 张），不能再发；丢失的券请补办", arg(0), arg(3),
                               arg(1), arg(2));
        case About::NoVoucher:
            return fmt::format("没有券号为 {} 的停车券", arg(0));
        case About::VoucherUsed:
            return fmt::format("停车券 {} 已经使用过（来访 {}），不能作废或补办；如车辆并未进来，请由门卫作废这次来访",
                               arg(0), arg(1));
        case About::VoucherRevoked:
            return fmt::format("停车券 {} 已经作废", arg(0));
        case About::VoucherReplaced:
            return fmt::format("停车券 {} 已经补办为 {}，不能再补办", arg(0), arg(1));
        case About::VoucherMonthEnded:
            return fmt::format("停车券 {} 是 {} 的，这个月已经过去", arg(0), arg(1));
        case About::NoActiveKey:
            return "没有可用的签名密钥：请先运行 voucher-gate key new（或 init）";
        case About::NoVisit:
            return fmt::format("没有编号为 {} 的来访", arg(0));
        case About::VisitVoid:
            return fmt::format("来访 {} 已经作废", arg(0));
        case About::NoVehicle:
            return fmt::format("{} 不在车辆名单上", arg(0));
        case About::VehicleRegistered: {
            // kind, unit, until from args[from], said as everywhere else (vehicleWords)
            auto registration = [&](std::size_t from) {
                const gate::Vehicle v{.plate = arg(0),
                                      .kind = arg(from) == gate::toString(gate::VehicleKind::Resident)
                                                  ? gate::VehicleKind::Resident
                                                  : gate::VehicleKind::Blocked,
                                      .unit = arg(from + 1),
                                      .until = arg(from + 2).empty() ? std::nullopt : std::optional(arg(from + 2))};
                return vehicleWords(v, Lang::Zh);
            };
            return fmt::format(
                "{} 已登记为{}：登记为{}会替换原来的登记。确要替换：网页上勾选“覆盖已有登记”，"
                "命令行加 --replace",
                arg(0), registration(1), registration(4));
        }
    }
    return e.message;
}

int displayWidth(std::string_view text) {
    int width = 0;
    for (std::size_t i = 0; i < text.size();) {
        const auto cp = nextCodePoint(text, i);
        if (zeroWidth(cp)) continue;
        width += wide(cp) ? 2 : 1;
    }
    return width;
}

std::string TextTable::str() const {
    std::vector<int> widths(columns_.size(), 0);
    auto widen = [&](const std::vector<std::string>& cells) {
        for (std::size_t c = 0; c < cells.size() && c < widths.size(); ++c) {
            widths[c] = std::max(widths[c], displayWidth(cells[c]));
        }
    };
    std::vector<std::string> titles;
    for (const auto& col : columns_) titles.push_back(col.title);
    widen(titles);
    for (const auto& row : rows_) widen(row);
    auto line = [&](const std::vector<std::string>& cells) {
        std::string out;
        for (std::size_t c = 0; c < columns_.size(); ++c) {
            const std::string& cell = c < cells.size() ? cells[c] : std::string();
            const auto pad = static_cast<std::size_t>(widths[c] - displayWidth(cell));
            if (c > 0) out += "  ";
            if (columns_[c].align == Align::Right) {
                out.append(pad, ' ');
                out += cell;
            } else {
                out += cell;
                out.append(pad, ' ');
            }
        }
        while (!out.empty() && out.back() == ' ') out.pop_back();
        return out + '\n';
    };
    std::string out = line(titles);
    for (const auto& row : rows_) out += line(row);
    return out;
}

}  // namespace vg::reports
