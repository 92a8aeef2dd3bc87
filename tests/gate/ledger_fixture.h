// Shared set-up for the ledger tests: a real SQLite file in a fresh temp dir, fixed keys, the Shanghai zone and
// an injected time (every Ledger call takes `now`). Header-only so that each test file stays self-contained.
#pragma once

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "gate/ledger.h"

namespace vg::gate::testing {

namespace fs = std::filesystem;

class TempDir {
  public:
    explicit TempDir(const fs::path& base = fs::temp_directory_path()) {
        std::string tmpl = (base / "vg-gate-test-XXXXXX").string();
        if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return path_; }

  private:
    fs::path path_;
};

inline AuditKey testAuditKey() {
    AuditKey key;
    for (std::size_t i = 0; i < key.bytes.size(); ++i) key.bytes[i] = static_cast<std::uint8_t>(0x40 + i);
    return key;
}

inline KeyRing testKeys() {
    KeyRing keys;
    if (!keys.addKey(TimePoint{}).has_value()) throw std::runtime_error("cannot create a token key");
    return keys;
}

class LedgerTest : public ::testing::Test {
  protected:
    TempDir dir;
    SiteZone zone = SiteZone::make("Asia/Shanghai").value();
    AuditKey audit_key = testAuditKey();
    KeyRing keys = testKeys();
    RuleSettings settings;
    std::unique_ptr<Ledger> ledger;

    void SetUp() override { ledger = open(); }

    virtual ~LedgerTest() = default;
    virtual fs::path dbPath() const { return dir.path() / "ledger.db"; }
    fs::path spoolPath() const { return dir.path() / "spool.jsonl"; }
    LedgerOptions options(Duration busy = Duration(2000)) const {
        return LedgerOptions{.path = dbPath(), .busy_timeout = busy, .spool_path = spoolPath(), .retention_days = 365};
    }
    std::unique_ptr<Ledger> open(const LedgerOptions& o) const {
        return std::make_unique<Ledger>(o, audit_key, keys, zone);
    }
    std::unique_ptr<Ledger> open() const { return open(options()); }

    TimePoint at(std::string_view local) const { return zone.parse(local).value(); }

    Household household(const std::string& unit, const std::string& category = "living-alone",
                        std::string_view when = "2026-11-01T08:00") {
        auto h = ledger->addHousehold(unit, category, "王阿姨", "13800000000", settings.eligible_categories, at(when));
        if (!h) throw std::runtime_error(h.error().message);
        return *h;
    }
    std::vector<Voucher> issue(const std::string& unit, YearMonth month, int count,
                               std::string_view when = "2026-11-01T09:00") {
        auto v = ledger->issue(unit, month, count, settings.per_month, settings.eligible_categories, at(when));
        if (!v) throw std::runtime_error(v.error().message);
        return *v;
    }

    static Observation entryObs(std::optional<std::string> plate, std::optional<std::string> token,
                                Presence presence = Presence::Unknown, double confidence = 0.95) {
        Observation o{.lane = "north-in", .direction = Direction::Entry, .presence = presence};
        if (plate) o.plate = PlateSeen{*plate, confidence};
        o.token = std::move(token);
        return o;
    }
    static Observation exitObs(std::optional<std::string> plate, std::optional<std::string> token = std::nullopt,
                               Presence presence = Presence::Unknown) {
        Observation o{.lane = "north-out", .direction = Direction::Exit, .presence = presence};
        if (plate) o.plate = PlateSeen{*plate, 0.95};
        o.token = std::move(token);
        return o;
    }
    Decision enter(std::optional<std::string> plate, std::optional<std::string> token, std::string_view when,
                   Presence presence = Presence::Unknown) {
        return ledger->decide(entryObs(std::move(plate), std::move(token), presence), settings, at(when));
    }
    Decision leave(std::optional<std::string> plate, std::string_view when,
                   std::optional<std::string> token = std::nullopt, Presence presence = Presence::Unknown) {
        return ledger->decide(exitObs(std::move(plate), std::move(token), presence), settings, at(when));
    }

    std::vector<Visit> visitsAt(std::string_view when, VisitFilter filter = {}) {
        auto v = ledger->visits(filter, settings, at(when));
        if (!v) throw std::runtime_error(v.error().message);
        return *v;
    }
    Voucher voucherNow(std::uint32_t serial) {
        auto v = ledger->voucher(serial);
        if (!v) throw std::runtime_error(v.error().message);
        return *v;
    }

    // A separate raw connection, as an operator with sqlite3 (or a tamperer) would have.
    SQLite::Database raw() const { return SQLite::Database(dbPath().string(), SQLite::OPEN_READWRITE); }
    std::int64_t count(const std::string& sql) const {
        auto db = raw();
        return db.execAndGet(sql).getInt64();
    }
};

}  // namespace vg::gate::testing
