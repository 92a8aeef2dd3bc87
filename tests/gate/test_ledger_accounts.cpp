// Console accounts in the ledger: added with an Argon2id hash, checked at login, their password changed,
// disabled (never deleted), each change audited with who made it.
#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gate/password.h"
#include "ledger_fixture.h"

namespace vg::gate::testing {
namespace {

class LedgerAccounts : public LedgerTest {};

TEST_F(LedgerAccounts, AnAddedAccountLogsInWithItsPasswordAndNoOther) {
    auto a = ledger->addAccount("wang.li", Role::Committee, "correct horse", "root", at("2026-11-01T08:00"));
    ASSERT_TRUE(a.has_value()) << a.error().message;
    EXPECT_EQ(a->role, Role::Committee);

    auto ok = ledger->authenticate("wang.li", "correct horse");
    ASSERT_TRUE(ok.has_value()) << ok.error().message;
    EXPECT_EQ(ok->name, "wang.li");
    EXPECT_EQ(ok->role, Role::Committee);

    auto wrong = ledger->authenticate("wang.li", "correct horsE");
    ASSERT_FALSE(wrong.has_value());
    EXPECT_EQ(wrong.error().kind, LedgerError::Kind::Refused);
    auto nobody = ledger->authenticate("zhao", "correct horse");
    ASSERT_FALSE(nobody.has_value());
    // The same words for an unknown name as for a wrong password: a guesser learns nothing about names.
    EXPECT_EQ(nobody.error().message, wrong.error().message);
}

TEST_F(LedgerAccounts, ThePasswordIsStoredOnlyAsAnArgon2idHash) {
    ASSERT_TRUE(ledger->addAccount("guard1", Role::Guard, "gate-guard-2026", "root", at("2026-11-01T08:00")));
    SQLite::Database db(dbPath().string());
    const std::string hash = db.execAndGet("SELECT password_hash FROM accounts WHERE name = 'guard1'").getString();
    EXPECT_EQ(hash.rfind("$argon2id$", 0), 0U) << hash;
    EXPECT_EQ(hash.find("gate-guard-2026"), std::string::npos);
    EXPECT_TRUE(verifyPassword(hash, "gate-guard-2026"));
    EXPECT_FALSE(needsRehash(hash));
}

TEST_F(LedgerAccounts, ADisabledAccountCannotLogInAndItsNameIsNotReused) {
    ASSERT_TRUE(ledger->addAccount("old.clerk", Role::Committee, "password-1", "root", at("2026-11-01T08:00")));
    ASSERT_TRUE(ledger->disableAccount("old.clerk", "root", at("2026-11-02T08:00")));
    EXPECT_FALSE(ledger->authenticate("old.clerk", "password-1").has_value());

    auto again = ledger->addAccount("old.clerk", Role::Admin, "password-2", "root", at("2026-11-03T08:00"));
    ASSERT_FALSE(again.has_value());
    EXPECT_EQ(again.error().kind, LedgerError::Kind::Refused);
    EXPECT_NE(again.error().message.find("disabled"), std::string::npos) << again.error().message;

    auto twice = ledger->disableAccount("old.clerk", "root", at("2026-11-04T08:00"));
    ASSERT_FALSE(twice.has_value());
    auto list = ledger->accounts();
    ASSERT_TRUE(list.has_value());
    ASSERT_EQ(list->size(), 1U);
    EXPECT_EQ(list->front().disabled_at, at("2026-11-02T08:00"));
}

TEST_F(LedgerAccounts, ANewPasswordReplacesTheOld) {
    ASSERT_TRUE(ledger->addAccount("mgr", Role::Management, "first-password", "root", at("2026-11-01T08:00")));
    ASSERT_TRUE(ledger->setPassword("mgr", "second-password", "admin1", at("2026-11-05T08:00")));
    EXPECT_FALSE(ledger->authenticate("mgr", "first-password").has_value());
    EXPECT_TRUE(ledger->authenticate("mgr", "second-password").has_value());
    auto list = ledger->accounts();
    ASSERT_TRUE(list.has_value());
    EXPECT_EQ(list->front().password_changed_at, at("2026-11-05T08:00"));

    auto missing = ledger->setPassword("nobody", "second-password", "root", at("2026-11-05T08:00"));
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().kind, LedgerError::Kind::NotFound);
}

TEST_F(LedgerAccounts, BadNamesAndWeakPasswordsAreRefusedNamingTheRule) {
    const auto now = at("2026-11-01T08:00");
    struct Case {
        std::string name, password, words;
    };
    for (const auto& c : std::vector<Case>{{"", "long-enough-pw", "1 to 32"},
                                           {"Wang", "long-enough-pw", "character 1"},
                                           {"-x", "long-enough-pw", "character 1"},
                                           {"wang li", "long-enough-pw", "character 5"},
                                           {"王丽", "long-enough-pw", "character 1"},
                                           {"wang", "short", "at least 8"},
                                           {"wang", std::string("pass\xff word"), "UTF-8 (byte 4)"},
                                           {"wang", "tab\there-pw", "control character (byte 3)"}}) {
        auto r = ledger->addAccount(c.name, Role::Viewer, c.password, "root", now);
        ASSERT_FALSE(r.has_value()) << c.name;
        EXPECT_EQ(r.error().kind, LedgerError::Kind::Invalid) << c.name;
        EXPECT_NE(r.error().message.find(c.words), std::string::npos) << c.name << ": " << r.error().message;
    }
    auto list = ledger->accounts();
    ASSERT_TRUE(list.has_value());
    EXPECT_TRUE(list->empty());
}

TEST_F(LedgerAccounts, EveryChangeIsAuditedWithWhoMadeItAndTheChainHolds) {
    ASSERT_TRUE(ledger->addAccount("clerk", Role::Committee, "password-1", "root", at("2026-11-01T08:00")));
    ASSERT_TRUE(ledger->setPassword("clerk", "password-2", "chen", at("2026-11-01T09:00")));
    ASSERT_TRUE(ledger->disableAccount("clerk", "admin.zhou", at("2026-11-01T10:00")));
    SQLite::Database db(dbPath().string());
    SQLite::Statement q(db, "SELECT kind, payload FROM audit_log ORDER BY seq");
    std::vector<std::pair<std::string, nlohmann::json>> rows;
    while (q.executeStep()) {
        rows.emplace_back(q.getColumn(0).getString(), nlohmann::json::parse(q.getColumn(1).getString()));
    }
    ASSERT_EQ(rows.size(), 3U);
    EXPECT_EQ(rows[0].first, "ACCOUNT_ADD");
    EXPECT_EQ(rows[0].second["account"], "clerk");
    EXPECT_EQ(rows[0].second["role"], "committee");
    EXPECT_EQ(rows[0].second["by"], "root");
    EXPECT_EQ(rows[1].first, "ACCOUNT_PASSWORD");
    EXPECT_EQ(rows[1].second["by"], "chen");
    EXPECT_EQ(rows[1].second.dump().find("password-2"), std::string::npos);
    EXPECT_EQ(rows[2].first, "ACCOUNT_DISABLE");
    EXPECT_EQ(rows[2].second["by"], "admin.zhou");
    EXPECT_TRUE(ledger->verifyAudit(std::nullopt).ok);
}

TEST(Roles, NamesRoundTripAndUnknownNamesAreRefused) {
    for (auto r : {Role::Viewer, Role::Committee, Role::Management, Role::Guard, Role::Admin}) {
        EXPECT_EQ(parseRole(toString(r)), r);
    }
    EXPECT_FALSE(parseRole("root").has_value());
    EXPECT_FALSE(parseRole("Admin").has_value());
}

}  // namespace
}  // namespace vg::gate::testing
