// The ledger's own guard against bad input (issue 16): a registration is not silently changed (the caller must
// ask to replace it), and text that is not UTF-8 is never stored, from whichever path it comes, so the stored row
// and its audit row always agree.
#include <gtest/gtest.h>

#include "ledger_fixture.h"

namespace vg::gate::testing {
namespace {

class LedgerInput : public LedgerTest {
  protected:
    std::int64_t auditRows() const { return count("SELECT COUNT(*) FROM audit_log"); }
};

TEST_F(LedgerInput, ChangingARegistrationNeedsReplaceAndSaysWhatItReplaced) {
    const Vehicle resident{"沪A12345", VehicleKind::Resident, "1-101", {}};
    ASSERT_TRUE(ledger->addVehicle(resident, at("2026-11-01T08:00")));
    const auto rows = auditRows();
    auto refused = ledger->addVehicle(Vehicle{"沪a12345", VehicleKind::Blocked, "", {}}, at("2026-11-01T08:01"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, LedgerError::Kind::Refused);
    EXPECT_EQ(refused.error().message,
              "沪A12345 is already registered as resident of unit 1-101 without end date: registering it as blocked "
              "without end date would replace that; give --replace to do so");
    EXPECT_EQ(ledger->vehicles().value(), std::vector<Vehicle>{resident});
    EXPECT_EQ(auditRows(), rows);
    EXPECT_EQ(enter("沪A12345", std::nullopt, "2026-11-20T10:00").reason, Reason::AdmitResident);

    auto same = ledger->addVehicle(resident, at("2026-11-01T08:02"));
    ASSERT_TRUE(same);
    EXPECT_TRUE(same->unchanged);

    auto until =
        ledger->addVehicle(Vehicle{"沪A12345", VehicleKind::Resident, "1-101", "2026-12-31"}, at("2026-11-01T08:03"));
    ASSERT_FALSE(until) << "a new validity is a change too";

    auto replaced = ledger->addVehicle(Vehicle{"沪a12345", VehicleKind::Blocked, "", {}}, at("2026-11-01T08:04"), true);
    ASSERT_TRUE(replaced) << replaced.error().message;
    EXPECT_EQ(replaced->replaced, std::optional(resident));
    EXPECT_EQ(replaced->stored.plate, "沪A12345");
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE kind = 'VEHICLE_ADD' AND payload LIKE "
                    "'%\"replaced\":{\"kind\":\"resident\",\"unit\":\"1-101\"%'"),
              1);
    EXPECT_EQ(enter("沪A12345", std::nullopt, "2026-11-20T10:01").reason, Reason::DenyBlocked);
}

TEST_F(LedgerInput, ImportIsAllOrNothing) {
    ASSERT_TRUE(ledger->addVehicle(Vehicle{"沪A12345", VehicleKind::Resident, "1-101", {}}, at("2026-11-01T08:00")));
    const std::vector<Vehicle> rows{{"沪B54321", VehicleKind::Resident, "2-202", {}},
                                    {"沪A12345", VehicleKind::Blocked, "", {}}};
    auto refused = ledger->importVehicles(rows, at("2026-11-01T08:01"));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().kind, LedgerError::Kind::Refused);
    EXPECT_EQ(count("SELECT COUNT(*) FROM vehicles"), 1) << "沪B54321 was rolled back with the conflict";
    auto bad = ledger->importVehicles(
        {{"沪B54321", VehicleKind::Resident, "2-202", {}}, {"沪C55555", VehicleKind::Resident, "3-\xff", {}}},
        at("2026-11-01T08:02"));
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "row 2: unit: not valid UTF-8 at byte 2 (0xFF); save the text as UTF-8");
    EXPECT_EQ(count("SELECT COUNT(*) FROM vehicles"), 1);
    auto done = ledger->importVehicles(rows, at("2026-11-01T08:03"), true);
    ASSERT_TRUE(done);
    ASSERT_EQ(done->size(), 2U);
    EXPECT_FALSE((*done)[0].replaced);
    EXPECT_TRUE((*done)[1].replaced);
    EXPECT_EQ(count("SELECT COUNT(*) FROM vehicles"), 2);
}

TEST_F(LedgerInput, InvalidUtf8IsNeverStoredFromAnyPath) {
    const auto rows = auditRows();
    auto v = ledger->addVehicle(Vehicle{"沪A12345", VehicleKind::Resident, "1-10\xff", {}}, at("2026-11-01T08:00"));
    ASSERT_FALSE(v);
    EXPECT_EQ(v.error().kind, LedgerError::Kind::Invalid);
    EXPECT_EQ(v.error().message, "unit: not valid UTF-8 at byte 4 (0xFF); save the text as UTF-8");
    EXPECT_FALSE(ledger->addVehicle(Vehicle{"\xff\xfe", VehicleKind::Blocked, "", {}}, at("2026-11-01T08:00")));
    EXPECT_FALSE(ledger->addHousehold("12-301", "living-alone", "王\xe7", "", settings.eligible_categories,
                                      at("2026-11-01T08:00")));
    EXPECT_EQ(count("SELECT COUNT(*) FROM vehicles"), 0);
    EXPECT_EQ(count("SELECT COUNT(*) FROM households"), 0);
    EXPECT_EQ(auditRows(), rows);

    household("12-301");
    const auto v1 = issue("12-301", YearMonth{2026, 11}, 1);
    const auto before = auditRows();
    const Decision d = enter("\xff\xfe", v1[0].token, "2026-11-20T10:00");
    EXPECT_EQ(d.reason, Reason::DenyInternal);
    EXPECT_FALSE(d.admit);
    EXPECT_NE(d.message.find("plate: not valid UTF-8 at byte 0 (0xFF)"), std::string::npos) << d.message;
    EXPECT_EQ(auditRows(), before) << "nothing recorded";
    EXPECT_EQ(voucherNow(v1[0].serial).status, VoucherStatus::Issued);
    const Decision out = leave("\xff", "2026-11-20T10:01");
    EXPECT_EQ(out.reason, Reason::ReleaseOnError);
    EXPECT_FALSE(out.spooled) << "bytes that are not text are not spooled either";
    EXPECT_FALSE(ledger->revoke(v1[0].serial, "lost\xc3", at("2026-11-20T10:02")));
    EXPECT_EQ(voucherNow(v1[0].serial).status, VoucherStatus::Issued);
    EXPECT_EQ(auditRows(), before);
}

}  // namespace
}  // namespace vg::gate::testing
