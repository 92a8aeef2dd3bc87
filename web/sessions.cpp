#include "web/sessions.h"

#include <fmt/format.h>
#include <sodium.h>

#include <array>
#include <charconv>

namespace vg::web {

namespace {

std::string toHex(const unsigned char* bytes, std::size_t n) {
    std::string out(n * 2 + 1, '\0');
    sodium_bin2hex(out.data(), out.size(), bytes, n);
    out.pop_back();
    return out;
}

long long secondsOf(gate::TimePoint t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string randomHex32() {
    std::array<unsigned char, 32> bytes{};
    randombytes_buf(bytes.data(), bytes.size());
    return toHex(bytes.data(), bytes.size());
}

bool sameSecret(const std::string& a, const std::string& b) {
    return a.size() == b.size() && sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

Session SessionStore::create(const std::string& account, gate::Role role) {
    Session s{randomHex32(), account, role, randomHex32(), clock_.now()};
    const std::scoped_lock lock(mutex_);
    sessions_[s.id] = s;
    return s;
}

std::optional<Session> SessionStore::find(const std::string& id) {
    const auto now = clock_.now();
    const std::scoped_lock lock(mutex_);
    // Drop every idle session on the way: the map stays as small as the number of people logged in.
    std::erase_if(sessions_, [&](const auto& kv) { return now - kv.second.last_seen > idle_; });
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) return std::nullopt;
    it->second.last_seen = now;
    return it->second;
}

void SessionStore::end(const std::string& id) {
    const std::scoped_lock lock(mutex_);
    sessions_.erase(id);
}

void SessionStore::setFlash(const std::string& id, std::string text, bool ok) {
    const std::scoped_lock lock(mutex_);
    const auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    it->second.flash = std::move(text);
    it->second.flash_ok = ok;
}

std::optional<std::pair<std::string, bool>> SessionStore::takeFlash(const std::string& id) {
    const std::scoped_lock lock(mutex_);
    const auto it = sessions_.find(id);
    if (it == sessions_.end() || it->second.flash.empty()) return std::nullopt;
    auto out = std::make_pair(std::move(it->second.flash), it->second.flash_ok);
    it->second.flash.clear();
    return out;
}

void SessionStore::endAll(const std::string& account) {
    const std::scoped_lock lock(mutex_);
    std::erase_if(sessions_, [&](const auto& kv) { return kv.second.account == account; });
}

std::size_t SessionStore::size() const {
    const std::scoped_lock lock(mutex_);
    return sessions_.size();
}

std::optional<gate::TimePoint> LoginLimiter::until(std::map<std::string, Count>& m, const std::string& key, int limit) {
    const auto it = m.find(key);
    if (it == m.end()) return std::nullopt;
    const auto end = it->second.first + s_.window;
    if (clock_.now() >= end) {
        m.erase(it);
        return std::nullopt;
    }
    if (it->second.failures < limit) return std::nullopt;
    return end;
}

std::optional<gate::TimePoint> LoginLimiter::lockedUntil(const std::string& address, const std::string& account) {
    const std::scoped_lock lock(mutex_);
    auto a = until(by_address_, address, s_.per_address);
    auto b = until(by_account_, account, s_.per_account);
    if (a && b) return std::max(*a, *b);
    return a ? a : b;
}

void LoginLimiter::bump(std::map<std::string, Count>& m, const std::string& key) {
    auto& c = m[key];
    const auto now = clock_.now();
    if (c.failures == 0 || now >= c.first + s_.window) c = Count{0, now};
    ++c.failures;
}

void LoginLimiter::failed(const std::string& address, const std::string& account) {
    const std::scoped_lock lock(mutex_);
    bump(by_address_, address);
    bump(by_account_, account);
}

void LoginLimiter::succeeded(const std::string& address, const std::string& account) {
    // A success forgets the account's failures, not the address's: one good password from an address does not
    // reopen it for guessing the others'.
    const std::scoped_lock lock(mutex_);
    by_account_.erase(account);
    (void)address;
}

LoginTokens::LoginTokens(const gate::Clock& clock, gate::Duration valid) : clock_(clock), valid_(valid) {
    std::array<unsigned char, crypto_auth_KEYBYTES> key{};
    crypto_auth_keygen(key.data());
    key_.assign(reinterpret_cast<const char*>(key.data()), key.size());
}

std::string LoginTokens::mac(const std::string& text) const {
    std::array<unsigned char, crypto_auth_BYTES> out{};
    crypto_auth(out.data(), reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                reinterpret_cast<const unsigned char*>(key_.data()));
    return toHex(out.data(), out.size());
}

std::string LoginTokens::make() const {
    const std::string text = fmt::format("{}.{}", randomHex32().substr(0, 32), secondsOf(clock_.now() + valid_));
    return text + "." + mac(text);
}

bool LoginTokens::check(const std::string& token) const {
    const auto last = token.rfind('.');
    if (last == std::string::npos) return false;
    const std::string text = token.substr(0, last);
    if (!sameSecret(mac(text), token.substr(last + 1))) return false;
    const auto dot = text.find('.');
    if (dot == std::string::npos) return false;
    long long expires = 0;
    const char* first = text.data() + dot + 1;
    const char* end = text.data() + text.size();
    const auto [ptr, ec] = std::from_chars(first, end, expires);
    return ec == std::errc{} && ptr == end && secondsOf(clock_.now()) < expires;
}

}  // namespace vg::web
