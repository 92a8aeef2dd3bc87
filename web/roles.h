// What each console role may see and do: one table, used for the navigation and for every route.
//   viewer      在场车辆, 月度报表 (and its downloads), 审计
//   committee   + 通行记录, 住户与停车券 (households, vouchers, cards)
//   management  + 通行记录, 车辆 (resident and blocked cars), 道闸
//   guard       在场车辆, 通行记录, 道闸 (confirm, open, hold-open, release)
//   admin       everything, and 账户 (accounts)
#pragma once

#include "gate/ledger.h"

namespace vg::web {

enum class Capability {
    ViewInside,
    ViewReport,
    ViewAudit,
    ViewDecisions,  // plates, frames
    ManageHouseholds,
    ManageVehicles,
    GuardGate,
    ManageAccounts,
};

constexpr bool allowed(gate::Role role, Capability c) {
    using enum gate::Role;
    using enum Capability;
    switch (c) {
        case ViewInside:
            return true;
        case ViewReport:
        case ViewAudit:
            return role != Guard;
        case ViewDecisions:
            return role != Viewer;
        case ManageHouseholds:
            return role == Committee || role == Admin;
        case ManageVehicles:
            return role == Management || role == Admin;
        case GuardGate:
            return role == Guard || role == Management || role == Admin;
        case ManageAccounts:
            return role == Admin;
    }
    return false;
}

}  // namespace vg::web
