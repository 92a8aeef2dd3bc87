// Who is logged in to the console, and who may try again. All three classes are thread-safe (one mutex each) and
// take the time from the injected clock, so tests drive idle timeouts and lockouts with a manual clock.
//
// - SessionStore: a random 256-bit session id (the HttpOnly, SameSite=Strict cookie) -> the account, its role and
//   the session's CSRF token. A session ends after `idle` without a request, at logout, or when the process stops.
// - LoginLimiter: failed logins counted per client address and per account name over a window; past the limit the
//   address or the name is refused until the window has passed since its first counted failure.
// - LoginTokens: the CSRF token of the login form, which has no session yet: a nonce, an expiry and a MAC under a
//   key made at start-up, so that a forged cross-site login post is refused without keeping state.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>

#include "gate/ledger.h"
#include "gate/site_time.h"

namespace vg::web {

struct Session {
    std::string id;
    std::string account;
    gate::Role role = gate::Role::Viewer;
    std::string csrf;
    gate::TimePoint last_seen{};
    std::string flash;  // one message for the next page (after a form's redirect)
    bool flash_ok = true;
};

// 64 hex characters from libsodium's generator.
std::string randomHex32();
// Constant-time comparison of two secrets.
bool sameSecret(const std::string& a, const std::string& b);

class SessionStore {
  public:
    SessionStore(const gate::Clock& clock, gate::Duration idle) : clock_(clock), idle_(idle) {}
    Session create(const std::string& account, gate::Role role);
    // The session, touched (its idle time starts again), or nullopt when unknown or idle too long (then removed).
    std::optional<Session> find(const std::string& id);
    void end(const std::string& id);
    // The message the next page of this session shows once (what a form did, or why it was refused).
    void setFlash(const std::string& id, std::string text, bool ok);
    std::optional<std::pair<std::string, bool>> takeFlash(const std::string& id);
    // Ends every session of an account (disabled, password changed).
    void endAll(const std::string& account);
    std::size_t size() const;

  private:
    const gate::Clock& clock_;
    gate::Duration idle_;
    mutable std::mutex mutex_;
    std::map<std::string, Session> sessions_;
};

struct LimiterSettings {
    int per_address = 10;  // failures from one address within the window
    int per_account = 5;   // failures for one account name within the window
    gate::Duration window = std::chrono::minutes(15);
};

class LoginLimiter {
  public:
    LoginLimiter(const gate::Clock& clock, LimiterSettings s) : clock_(clock), s_(s) {}
    // When the address or the name is locked out: until when. Otherwise nullopt (go on and check the password).
    std::optional<gate::TimePoint> lockedUntil(const std::string& address, const std::string& account);
    void failed(const std::string& address, const std::string& account);
    void succeeded(const std::string& address, const std::string& account);

  private:
    struct Count {
        int failures = 0;
        gate::TimePoint first{};
    };
    std::optional<gate::TimePoint> until(std::map<std::string, Count>& m, const std::string& key, int limit);
    void bump(std::map<std::string, Count>& m, const std::string& key);
    const gate::Clock& clock_;
    LimiterSettings s_;
    std::mutex mutex_;
    std::map<std::string, Count> by_address_, by_account_;
};

class LoginTokens {
  public:
    explicit LoginTokens(const gate::Clock& clock, gate::Duration valid = std::chrono::hours(2));
    std::string make() const;
    bool check(const std::string& token) const;

  private:
    std::string mac(const std::string& text) const;
    const gate::Clock& clock_;
    gate::Duration valid_;
    std::string key_;
};

}  // namespace vg::web
