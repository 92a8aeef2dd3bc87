#include "options/card_options.h"

#include <chrono>

namespace vg::options {

cards::CardSheetOptions cardSheetOptions(const config::Settings& s) {
    return cards::CardSheetOptions{.site_name = s.site.name,
                                   .stay_max = std::chrono::duration_cast<std::chrono::minutes>(s.stay.max),
                                   .per_month = s.vouchers.per_month,
                                   .grace_days = s.vouchers.grace_days,
                                   .overstay_fee_per_hour = s.stay.overstay_fee_per_hour,
                                   .overstay_hold = s.stay.overstay_exit == config::OverstayExit::Hold,
                                   .phone = s.site.phone};
}

}  // namespace vg::options
