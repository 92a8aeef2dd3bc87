// The journal's plate redaction (log.plates = false): known plates and plate-shaped text in a message become
// "<plate>"; units, serials, times and reasons stay.
#include <gtest/gtest.h>

#include "daemon/logging.h"

namespace vg::daemon {
namespace {

TEST(RedactPlates, KnownPlatesAndPlateShapedTextBecomeAMark) {
    EXPECT_EQ(redactPlates("already used at 2026-11-20 10:00 by 沪A12345", {"沪A12345"}),
              "already used at 2026-11-20 10:00 by <plate>");
    // A plate the caller does not know of (another visit's car) is caught by its shape.
    EXPECT_EQ(redactPlates("card of visit 7 shown but its car 沪K67890 was not read: visit stays open", {}),
              "card of visit 7 shown but its car <plate> was not read: visit stays open");
    EXPECT_EQ(redactPlates("沪AD12345 and 沪A1234学 and 使123456", {}), "<plate> and <plate> and <plate>");
    // An ASCII plate typed at the CLI is only caught when known.
    EXPECT_EQ(redactPlates("HELLOWORLD is blocked", {"HELLOWORLD", ""}), "<plate> is blocked");
    const std::string plain = "voucher 12 of unit 12-301 (3号楼) admits an unread plate; leave by 2026-11-20 14:00";
    EXPECT_EQ(redactPlates(plain, {""}), plain);
}

}  // namespace
}  // namespace vg::daemon
