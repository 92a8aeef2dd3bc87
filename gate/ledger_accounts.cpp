// Console accounts: added, their password changed, disabled (never deleted), listed, and checked at login.
// Every change appends its audit row naming the account and who made the change.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <array>

#include "gate/ledger.h"
#include "gate/ledger_internal.h"
#include "gate/password.h"

namespace vg::gate {

using namespace ledger_detail;

namespace {

constexpr std::array<std::string_view, 5> kRoleNames = {"viewer", "committee", "management", "guard", "admin"};

std::optional<std::string> nameProblem(std::string_view name) {
    if (name.empty() || name.size() > 32) {
        return fmt::format("an account name must have 1 to 32 characters, not {}", name.size());
    }
    for (std::size_t i = 0; i < name.size(); ++i) {
        const char c = name[i];
        const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (alnum || (i > 0 && (c == '.' || c == '_' || c == '-'))) continue;
        return fmt::format(
            "an account name is lower-case letters a-z, digits and '.', '_', '-' (not first); character {} of "
            "the name is not one",
            i + 1);
    }
    return std::nullopt;
}

LedgerError invalid(std::string message) { return LedgerError{LedgerError::Kind::Invalid, std::move(message)}; }

Account accountRow(SQLite::Statement& q) {
    Account a;
    a.name = q.getColumn(0).getString();
    a.role = parseRole(q.getColumn(1).getString()).value_or(Role::Viewer);
    a.created_at = reqTime(q.getColumn(2));
    a.password_changed_at = reqTime(q.getColumn(3));
    a.disabled_at = optTime(q.getColumn(4));
    return a;
}

constexpr const char* kAccountSelect = "SELECT name, role, created_at, password_changed_at, disabled_at FROM accounts ";

}  // namespace

std::string_view toString(Role r) { return kRoleNames.at(static_cast<std::size_t>(r)); }

std::optional<Role> parseRole(std::string_view text) {
    for (std::size_t i = 0; i < kRoleNames.size(); ++i) {
        if (kRoleNames[i] == text) return static_cast<Role>(i);
    }
    return std::nullopt;
}

LedgerResult<Account> Ledger::addAccount(const std::string& name, Role role, const std::string& password,
                                         const std::string& by, TimePoint now) {
    if (auto w = writable("adding an account"); !w) return std::unexpected(w.error());
    if (auto p = nameProblem(name)) return std::unexpected(invalid(*p));
    if (auto p = passwordProblem(password)) return std::unexpected(invalid(*p));
    auto hash = hashPassword(password);
    if (!hash) return std::unexpected(LedgerError{LedgerError::Kind::Internal, "not enough memory to hash a password"});
    return guarded([&]() -> LedgerResult<Account> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement exists(db, "SELECT disabled_at IS NOT NULL FROM accounts WHERE name = ?");
        exists.bind(1, name);
        if (exists.executeStep()) {
            return std::unexpected(refused(
                exists.getColumn(0).getInt() != 0
                    ? fmt::format(
                          "the account {} exists and is disabled; accounts are never re-used: pick another name", name)
                    : fmt::format("the account {} exists already (user passwd changes its password)", name)));
        }
        SQLite::Statement ins(db,
                              "INSERT INTO accounts(name, role, password_hash, created_at, password_changed_at) "
                              "VALUES(?,?,?,?,?)");
        ins.bind(1, name);
        ins.bind(2, std::string(toString(role)));
        ins.bind(3, *hash);
        ins.bind(4, isoUtc(now));
        ins.bind(5, isoUtc(now));
        ins.exec();
        impl_->appendAudit(audit_key_, "ACCOUNT_ADD", json{{"account", name}, {"role", toString(role)}, {"by", by}},
                           now, json::object());
        tx.commit();
        return Account{name, role, now, now, std::nullopt};
    });
}

LedgerResult<void> Ledger::setPassword(const std::string& name, const std::string& password, const std::string& by,
                                       TimePoint now) {
    if (auto w = writable("setting a password"); !w) return std::unexpected(w.error());
    if (auto p = passwordProblem(password)) return std::unexpected(invalid(*p));
    auto hash = hashPassword(password);
    if (!hash) return std::unexpected(LedgerError{LedgerError::Kind::Internal, "not enough memory to hash a password"});
    return guarded([&]() -> LedgerResult<void> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement up(db, "UPDATE accounts SET password_hash = ?, password_changed_at = ? WHERE name = ?");
        up.bind(1, *hash);
        up.bind(2, isoUtc(now));
        up.bind(3, name);
        if (up.exec() == 0) return std::unexpected(notFound(fmt::format("there is no account {}", name)));
        impl_->appendAudit(audit_key_, "ACCOUNT_PASSWORD", json{{"account", name}, {"by", by}}, now, json::object());
        tx.commit();
        return {};
    });
}

LedgerResult<void> Ledger::disableAccount(const std::string& name, const std::string& by, TimePoint now) {
    if (auto w = writable("disabling an account"); !w) return std::unexpected(w.error());
    return guarded([&]() -> LedgerResult<void> {
        auto& db = impl_->db;
        SQLite::Transaction tx(db, SQLite::TransactionBehavior::IMMEDIATE);
        SQLite::Statement q(db, "SELECT disabled_at IS NOT NULL FROM accounts WHERE name = ?");
        q.bind(1, name);
        if (!q.executeStep()) return std::unexpected(notFound(fmt::format("there is no account {}", name)));
        if (q.getColumn(0).getInt() != 0) {
            return std::unexpected(refused(fmt::format("the account {} is disabled already", name)));
        }
        SQLite::Statement up(db, "UPDATE accounts SET disabled_at = ? WHERE name = ?");
        up.bind(1, isoUtc(now));
        up.bind(2, name);
        up.exec();
        impl_->appendAudit(audit_key_, "ACCOUNT_DISABLE", json{{"account", name}, {"by", by}}, now, json::object());
        tx.commit();
        return {};
    });
}

LedgerResult<std::vector<Account>> Ledger::accounts() {
    return guarded([&]() -> LedgerResult<std::vector<Account>> {
        std::vector<Account> out;
        SQLite::Statement q(impl_->db, std::string(kAccountSelect) + "ORDER BY name");
        while (q.executeStep()) out.push_back(accountRow(q));
        return out;
    });
}

LedgerResult<Account> Ledger::authenticate(const std::string& name, const std::string& password) {
    return guarded([&]() -> LedgerResult<Account> {
        SQLite::Statement h(impl_->db,
                            "SELECT name, role, created_at, password_changed_at, disabled_at, password_hash "
                            "FROM accounts WHERE name = ?");
        h.bind(1, name);
        const auto wrong = refused("wrong account name or password, or the account is disabled");
        if (!h.executeStep()) {
            // Spend the same time as a real check, so a guesser cannot tell which names exist.
            static const std::string dummy = hashPassword("not an account's password").value_or("");
            (void)verifyPassword(dummy, password);
            return std::unexpected(wrong);
        }
        Account a = accountRow(h);
        const bool ok = verifyPassword(h.getColumn(5).getString(), password);
        if (!ok || a.disabled_at) return std::unexpected(wrong);
        return a;
    });
}

}  // namespace vg::gate
