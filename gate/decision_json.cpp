#include "gate/decision_json.h"

namespace vg::gate {

namespace {

std::string textAt(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

bool flagAt(const nlohmann::json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_boolean() && it->get<bool>();
}

std::optional<TimePoint> timeAt(const nlohmann::json& j, const char* key, const SiteZone& zone) {
    const std::string text = textAt(j, key);
    if (text.empty()) return std::nullopt;
    auto t = zone.parse(text);
    return t ? std::optional<TimePoint>(*t) : std::nullopt;
}

}  // namespace

nlohmann::json decisionJson(const Decision& d, const SiteZone& zone) {
    nlohmann::json j{{"reason", toString(d.reason)},       {"admit", d.admit},          {"lane", d.lane},
                     {"direction", toString(d.direction)}, {"at", zone.isoLocal(d.at)}, {"plate", d.plate},
                     {"plate_unread", d.plate_unread},     {"message", d.message}};
    if (d.visit) j["visit"] = *d.visit;
    if (d.deadline) j["deadline"] = zone.isoLocal(*d.deadline);
    if (d.serial) j["serial"] = *d.serial;
    if (!d.unit.empty()) j["unit"] = d.unit;
    if (d.first_used_at) j["first_used_at"] = zone.isoLocal(*d.first_used_at);
    if (!d.first_used_plate.empty()) j["first_used_plate"] = d.first_used_plate;
    if (d.overstay) j["overstay_minutes"] = std::chrono::duration_cast<std::chrono::minutes>(*d.overstay).count();
    if (d.fee) j["fee"] = *d.fee;
    if (d.audit_seq != 0) j["audit_seq"] = d.audit_seq;
    if (d.spooled) j["spooled"] = true;
    return j;
}

std::optional<Decision> decisionFromJson(const nlohmann::json& j, const SiteZone& zone) {
    if (!j.is_object()) return std::nullopt;
    const auto reason = reasonFromString(textAt(j, "reason"));
    if (!reason) return std::nullopt;
    Decision d;
    d.reason = *reason;
    d.admit = flagAt(j, "admit");
    d.lane = textAt(j, "lane");
    d.direction = textAt(j, "direction") == "exit" ? Direction::Exit : Direction::Entry;
    d.at = timeAt(j, "at", zone).value_or(TimePoint{});
    d.plate = textAt(j, "plate");
    d.plate_unread = flagAt(j, "plate_unread");
    d.message = textAt(j, "message");
    if (const auto v = j.find("visit"); v != j.end() && v->is_number_integer()) d.visit = v->get<std::int64_t>();
    d.deadline = timeAt(j, "deadline", zone);
    if (const auto s = j.find("serial"); s != j.end() && s->is_number_unsigned()) d.serial = s->get<std::uint32_t>();
    d.unit = textAt(j, "unit");
    d.first_used_at = timeAt(j, "first_used_at", zone);
    d.first_used_plate = textAt(j, "first_used_plate");
    if (const auto o = j.find("overstay_minutes"); o != j.end() && o->is_number_integer()) {
        d.overstay = std::chrono::minutes(o->get<std::int64_t>());
    }
    if (const auto f = j.find("fee"); f != j.end() && f->is_number()) d.fee = f->get<double>();
    if (const auto a = j.find("audit_seq"); a != j.end() && a->is_number_integer())
        d.audit_seq = a->get<std::int64_t>();
    d.spooled = flagAt(j, "spooled");
    return d;
}

}  // namespace vg::gate
