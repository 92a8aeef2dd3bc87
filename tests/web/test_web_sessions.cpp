// The console's session store, login limiter and login-form tokens, driven by a manual clock.
#include <gtest/gtest.h>
#include <sodium.h>

#include "fakes/manual_clock.h"
#include "web/sessions.h"

namespace vg::web {
namespace {

using std::chrono::minutes;

gate::TimePoint t0() { return gate::TimePoint{} + std::chrono::hours(24 * 365 * 56); }

TEST(WebSessions, ASessionEndsAfterTheIdleTimeWithoutRequests) {
    ASSERT_GE(sodium_init(), 0);
    fakes::ManualClock clock(t0());
    SessionStore store(clock, minutes(30));
    const auto s = store.create("wang", gate::Role::Guard);
    EXPECT_EQ(s.id.size(), 64U);
    EXPECT_NE(s.id, s.csrf);
    clock.advance(minutes(29));
    ASSERT_TRUE(store.find(s.id).has_value());  // a request: the idle time starts again
    clock.advance(minutes(29));
    EXPECT_TRUE(store.find(s.id).has_value());
    clock.advance(minutes(31));
    EXPECT_FALSE(store.find(s.id).has_value());
    EXPECT_EQ(store.size(), 0U);
}

TEST(WebSessions, EndAllEndsEverySessionOfOneAccountOnly) {
    fakes::ManualClock clock(t0());
    SessionStore store(clock, minutes(30));
    const auto a = store.create("li", gate::Role::Committee);
    const auto b = store.create("li", gate::Role::Committee);
    const auto c = store.create("zhao", gate::Role::Admin);
    store.endAll("li");
    EXPECT_FALSE(store.find(a.id));
    EXPECT_FALSE(store.find(b.id));
    EXPECT_TRUE(store.find(c.id));
}

TEST(WebSessions, AFlashMessageIsShownOnce) {
    fakes::ManualClock clock(t0());
    SessionStore store(clock, minutes(30));
    const auto s = store.create("li", gate::Role::Committee);
    store.setFlash(s.id, "已登记 12-301。", true);
    auto f = store.takeFlash(s.id);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->first, "已登记 12-301。");
    EXPECT_FALSE(store.takeFlash(s.id));
}

TEST(WebLoginLimiter, AnAccountIsLockedAfterItsFailuresUntilTheWindowHasPassed) {
    fakes::ManualClock clock(t0());
    LoginLimiter limiter(clock, {.per_address = 100, .per_account = 5, .window = minutes(15)});
    for (int i = 0; i < 4; ++i) limiter.failed("10.0.0.1", "li");
    EXPECT_FALSE(limiter.lockedUntil("10.0.0.1", "li"));
    limiter.failed("10.0.0.2", "li");  // from another address: the account's count goes on
    const auto until = limiter.lockedUntil("10.0.0.3", "li");
    ASSERT_TRUE(until);
    EXPECT_EQ(*until, t0() + minutes(15));
    EXPECT_FALSE(limiter.lockedUntil("10.0.0.3", "zhao"));  // another account is not locked
    clock.advance(minutes(15));
    EXPECT_FALSE(limiter.lockedUntil("10.0.0.3", "li"));
}

TEST(WebLoginLimiter, AnAddressIsLockedAfterFailuresOnManyAccounts) {
    fakes::ManualClock clock(t0());
    LoginLimiter limiter(clock, {.per_address = 3, .per_account = 100, .window = minutes(15)});
    limiter.failed("10.0.0.9", "a");
    limiter.failed("10.0.0.9", "b");
    EXPECT_FALSE(limiter.lockedUntil("10.0.0.9", "c"));
    limiter.failed("10.0.0.9", "c");
    EXPECT_TRUE(limiter.lockedUntil("10.0.0.9", "d"));
    EXPECT_FALSE(limiter.lockedUntil("10.0.0.8", "d"));
    limiter.succeeded("10.0.0.9", "d");  // a good password does not reopen the address
    EXPECT_TRUE(limiter.lockedUntil("10.0.0.9", "e"));
}

TEST(WebLoginTokens, ATokenIsValidUntilItExpiresAndCannotBeForged) {
    ASSERT_GE(sodium_init(), 0);
    fakes::ManualClock clock(t0());
    LoginTokens tokens(clock, std::chrono::hours(2));
    const auto t = tokens.make();
    EXPECT_TRUE(tokens.check(t));
    std::string forged = t;
    forged[0] = forged[0] == 'a' ? 'b' : 'a';
    EXPECT_FALSE(tokens.check(forged));
    EXPECT_FALSE(tokens.check(""));
    EXPECT_FALSE(tokens.check("x.y.z"));
    LoginTokens other(clock);
    EXPECT_FALSE(other.check(t));  // another process's key
    clock.advance(std::chrono::hours(2));
    EXPECT_FALSE(tokens.check(t));
}

}  // namespace
}  // namespace vg::web
