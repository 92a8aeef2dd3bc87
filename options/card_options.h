// config::Settings -> cards::CardSheetOptions: what a card says (the estate, the stay limit, the fee, the office's
// phone), the one mapping for everything that draws a voucher card from the live config (the console's card sheets
// and "a voucher as an image", the QR bench's phone-screen frames). Pure; nothing throws.
#pragma once

#include "cards/cards_pdf.h"
#include "config/settings.h"

namespace vg::options {

cards::CardSheetOptions cardSheetOptions(const config::Settings& s);

}  // namespace vg::options
