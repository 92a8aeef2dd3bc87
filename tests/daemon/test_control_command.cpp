// The control socket's request parser: a pure function, so its whole contract is checked here without a
// daemon (the integration tests send the same requests through the socket).
#include <gtest/gtest.h>

#include "daemon/control_command.h"

namespace vg::daemon {
namespace {

TEST(ControlCommand, ConfirmCarriesEveryField) {
    const auto c = parseControlCommand({{"cmd", "confirm"},
                                        {"lane", "entry-1"},
                                        {"operator", "王"},
                                        {"reason", "plate dirty"},
                                        {"plate", "沪A12345"},
                                        {"refuse", true}});
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->cmd, "confirm");
    EXPECT_EQ(c->lane, "entry-1");
    EXPECT_EQ(c->manual.operator_name, "王");
    EXPECT_EQ(c->manual.reason, "plate dirty");
    EXPECT_EQ(c->plate, "沪A12345");
    EXPECT_TRUE(c->refuse);
}

TEST(ControlCommand, StatusNeedsNothingElse) {
    const auto c = parseControlCommand({{"cmd", "status"}});
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->cmd, "status");
}

TEST(ControlCommand, TextThatCannotBeStoredAndPlatesThatAreNotPlatesAreRefused) {
    // Before this check a refusal whose reason held a line break reached the ledger, which could not record it,
    // and the exit's "open on an internal error" let the held car out with nothing recorded.
    const auto bad_reason = parseControlCommand(
        {{"cmd", "confirm"}, {"lane", "exit-1"}, {"operator", "guard"}, {"reason", "no\nway"}, {"refuse", true}});
    ASSERT_FALSE(bad_reason.has_value());
    EXPECT_NE(bad_reason.error().find("reason: control character U+000A"), std::string::npos) << bad_reason.error();
    const auto bad_operator =
        parseControlCommand({{"cmd", "open"}, {"lane", "exit-1"}, {"operator", "\xff"}, {"reason", "r"}});
    ASSERT_FALSE(bad_operator.has_value());
    EXPECT_NE(bad_operator.error().find("operator: not valid UTF-8"), std::string::npos) << bad_operator.error();
    const auto bad_plate = parseControlCommand(
        {{"cmd", "confirm"}, {"lane", "exit-1"}, {"operator", "guard"}, {"reason", "r"}, {"plate", "hello world"}});
    ASSERT_FALSE(bad_plate.has_value());
    EXPECT_NE(bad_plate.error().find("plate 'hello world'"), std::string::npos) << bad_plate.error();
    const auto typed = parseControlCommand(
        {{"cmd", "confirm"}, {"lane", "exit-1"}, {"operator", "guard"}, {"reason", "r"}, {"plate", "沪a·12345"}});
    ASSERT_TRUE(typed.has_value());
    EXPECT_EQ(typed->plate, "沪A12345");
}

TEST(ControlCommand, AnUnknownOrMissingCommandIsTheOnlyUnreadableRequest) {
    EXPECT_EQ(parseControlCommand({{"cmd", "opne"}}).error(),
              "unknown command \"opne\" (confirm, open, hold-open, release, status)");
    EXPECT_EQ(parseControlCommand(nlohmann::json::object()).error(),
              "unknown command \"\" (confirm, open, hold-open, release, status)");
    // Missing lane, operator and reason are the daemon's to refuse, after it has looked at its own state.
    EXPECT_TRUE(parseControlCommand({{"cmd", "open"}}).has_value());
}

TEST(ControlCommand, FieldsOfTheWrongTypeReadAsAbsent) {
    const auto c = parseControlCommand({{"cmd", "hold-open"},
                                        {"lane", 5},
                                        {"operator", {"x"}},
                                        {"reason", "r"},
                                        {"plate", nullptr},
                                        {"refuse", "yes"}});
    ASSERT_TRUE(c.has_value());
    EXPECT_EQ(c->lane, "");
    EXPECT_EQ(c->manual.operator_name, "");
    EXPECT_EQ(c->manual.reason, "r");
    EXPECT_EQ(c->plate, "");
    EXPECT_FALSE(c->refuse);
    EXPECT_EQ(parseControlCommand({{"cmd", 1}}).error(),
              "unknown command \"\" (confirm, open, hold-open, release, status)");
}

}  // namespace
}  // namespace vg::daemon
