#include "options/rule_settings.h"

namespace vg::options {

namespace {

gate::UnreadPlatePolicy map(config::UnreadPlate u) {
    switch (u) {
        case config::UnreadPlate::Guard:
            return gate::UnreadPlatePolicy::Guard;
        case config::UnreadPlate::Presence:
            return gate::UnreadPlatePolicy::Presence;
        case config::UnreadPlate::Never:
            return gate::UnreadPlatePolicy::Never;
    }
    return gate::UnreadPlatePolicy::Guard;
}

}  // namespace

gate::RuleSettings ruleSettingsFor(const config::Settings& s, const config::LaneDefaults& lane) {
    gate::RuleSettings r;
    r.per_month = s.vouchers.per_month;
    r.eligible_categories = s.vouchers.eligible_categories;
    r.grace_days = s.vouchers.grace_days;
    r.stay_max = s.stay.max;
    r.stay_grace = s.stay.grace;
    r.overstay_exit = s.stay.overstay_exit == config::OverstayExit::Hold ? gate::OnError::Hold : gate::OnError::Open;
    r.overstay_fee_per_hour = s.stay.overstay_fee_per_hour;
    r.readmit_window = lane.readmit_window;
    r.unread_plate = map(lane.unread_plate);
    r.min_plate_confidence = lane.min_plate_confidence;
    r.exit_on_error = lane.exit_on_error == config::ExitOnError::Hold ? gate::OnError::Hold : gate::OnError::Open;
    return r;
}

}  // namespace vg::options
