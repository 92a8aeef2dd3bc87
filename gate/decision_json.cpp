#include "gate/decision_json.h"

namespace vg::gate {

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

}  // namespace vg::gate
