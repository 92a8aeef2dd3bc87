#include "daemon/decision_json.h"

namespace vg::daemon {

nlohmann::json decisionJson(const gate::Decision& d, const gate::SiteZone& zone) {
    nlohmann::json j{
        {"reason", gate::toString(d.reason)},       {"admit", d.admit},          {"lane", d.lane},
        {"direction", gate::toString(d.direction)}, {"at", zone.isoLocal(d.at)}, {"plate", d.plate},
        {"plate_unread", d.plate_unread},           {"message", d.message},      {"audit_seq", d.audit_seq}};
    if (d.visit) j["visit"] = *d.visit;
    if (d.deadline) j["deadline"] = zone.isoLocal(*d.deadline);
    if (d.serial) j["serial"] = *d.serial;
    if (!d.unit.empty()) j["unit"] = d.unit;
    if (d.first_used_at) j["first_used_at"] = zone.isoLocal(*d.first_used_at);
    if (!d.first_used_plate.empty()) j["first_used_plate"] = d.first_used_plate;
    if (d.overstay) j["overstay_s"] = std::chrono::duration_cast<std::chrono::seconds>(*d.overstay).count();
    if (d.fee) j["fee"] = *d.fee;
    if (d.spooled) j["spooled"] = true;
    return j;
}

}  // namespace vg::daemon
