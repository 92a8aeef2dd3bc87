// bench_gate: how long the gate's own work takes on a 2-core box.
//   1. an admission decision including its durable commit (WAL, synchronous=FULL, on the --dir disk);
//   2. the same decision without fsync (the ledger on /dev/shm, where fsync is a no-op), a dry run (facts and
//      rules, nothing written) and the pure rules function alone;
//   3. a generated ledger of --years years of a --households estate (2 vouchers per household per month), then the
//      monthly report over it, and decisions on that big ledger.
// The big ledger is generated with direct SQL inserts in one transaction (the Ledger API would commit each row);
// its audit chain is real (the library's own auditRowHash over the same fields and a fixed key), so `verifyAudit`
// passes on it. Plates older than the retention are stored purged, as the retention purge would leave them.
// Figures and the exact commands are in bench/README.md ("## Gate").
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "gate/ledger.h"

namespace fs = std::filesystem;
using namespace vg::gate;
using Steady = std::chrono::steady_clock;
using std::chrono::hours;
using std::chrono::minutes;

namespace {

struct Options {
    fs::path dir = "/var/tmp/vg-bench-gate";
    int households = 2000;
    int years = 10;
    int decisions = 300;
    bool regenerate = false;
};

long maxRssMb() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return u.ru_maxrss / 1024;
}

double ms(Steady::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

struct Stats {
    double median = 0, p95 = 0, mean = 0, max = 0;
};
Stats stats(std::vector<double> v) {
    Stats s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    s.median = v[v.size() / 2];
    s.p95 = v[std::min(v.size() - 1, v.size() * 95 / 100)];
    s.max = v.back();
    double sum = 0;
    for (double x : v) sum += x;
    s.mean = sum / static_cast<double>(v.size());
    return s;
}
void print(const std::string& what, const Stats& s) {
    fmt::print("{:<58} median {:8.3f} ms  p95 {:8.3f} ms  mean {:8.3f} ms  max {:8.3f} ms\n", what, s.median, s.p95,
               s.mean, s.max);
}

AuditKey benchAuditKey() {
    AuditKey k;
    for (std::size_t i = 0; i < k.bytes.size(); ++i) k.bytes[i] = static_cast<std::uint8_t>(0xA0 + i);
    return k;
}
KeyRing benchKeys() {
    KeyRing ring;
    TokenKey key;
    key.id = 1;
    for (std::size_t i = 0; i < key.secret.size(); ++i) key.secret[i] = static_cast<std::uint8_t>(0x11 * (i + 1));
    if (!ring.insert(key)) throw std::runtime_error("cannot build the bench key ring");
    return ring;
}

SiteZone shanghai() { return SiteZone::make("Asia/Shanghai").value(); }

RuleSettings benchSettings() {
    RuleSettings s;
    s.per_month = 1000000;
    return s;
}

// Admissions through the public API: one household, `n` vouchers, `n` cars, one decide() each.
// With `sweep_every`, the overstay sweep (which also checkpoints the WAL) runs untimed between every so many cars,
// as the daemon's sweep timer does between passes.
std::vector<double> timeAdmissions(Ledger& ledger, int n, TimePoint now, bool dry_run, const std::string& unit,
                                   char series, int sweep_every = 0, std::vector<double>* sweep_times = nullptr) {
    const auto settings = benchSettings();
    if (!ledger.addHousehold(unit, "living-alone", "", "", settings.eligible_categories, now)) {
        throw std::runtime_error("addHousehold failed");
    }
    const auto month = ledger.zone().monthOf(now);
    auto vouchers = ledger.issue(unit, month, n, settings.per_month, settings.eligible_categories, now);
    if (!vouchers) throw std::runtime_error(vouchers.error().message);
    std::vector<double> out;
    for (int i = 0; i < n; ++i) {
        Observation obs{.lane = "north-in", .direction = Direction::Entry};
        obs.plate = PlateSeen{fmt::format("沪{}{:05}", series, i), 0.99};
        obs.token = (*vouchers)[static_cast<std::size_t>(i)].token;
        if (sweep_every > 0 && i > 0 && i % sweep_every == 0) {
            const auto s0 = Steady::now();
            (void)ledger.sweepOverstays(settings, now + std::chrono::seconds(i));
            if (sweep_times) sweep_times->push_back(ms(Steady::now() - s0));
        }
        const auto t0 = Steady::now();
        const auto d = ledger.decide(obs, settings, now + std::chrono::seconds(i + 1), dry_run);
        out.push_back(ms(Steady::now() - t0));
        if (d.reason != Reason::AdmitVoucher) {
            throw std::runtime_error(fmt::format("unexpected decision {}: {}", toString(d.reason), d.message));
        }
    }
    return out;
}

std::unique_ptr<Ledger> openLedger(const fs::path& path) {
    return std::make_unique<Ledger>(LedgerOptions{.path = path, .busy_timeout = Duration(5000)}, benchAuditKey(),
                                    benchKeys(), shanghai());
}

// ---- the generated estate --------------------------------------------------------------------------------------

class ChainWriter {
  public:
    ChainWriter(SQLite::Database& db, const AuditKey& key)
        : key_(key),
          row_(db,
               "INSERT INTO audit_log(seq, at, kind, payload, subject_commitment, prev_hash, hash) "
               "VALUES(?,?,?,?,?,?,?)"),
          personal_(db, "INSERT INTO audit_personal(seq, salt, clear) VALUES(?,?,?)") {}

    void append(TimePoint at, std::string_view kind, std::string payload, const std::string& personal, bool keep) {
        AuditRow r;
        r.seq = ++seq_;
        r.at = isoUtc(at);
        r.kind = std::string(kind);
        r.payload = std::move(payload);
        std::string salt;
        if (!personal.empty()) {
            salt = randomSaltHex();
            r.subject_commitment = commitPersonal(salt, personal);
        }
        r.prev_hash = prev_;
        r.hash = auditRowHash(key_, r);
        prev_ = r.hash;
        row_.bind(1, r.seq);
        row_.bind(2, r.at);
        row_.bind(3, r.kind);
        row_.bind(4, r.payload);
        row_.bind(5, r.subject_commitment);
        row_.bind(6, r.prev_hash);
        row_.bind(7, r.hash);
        row_.exec();
        row_.reset();
        if (!salt.empty() && keep) {
            personal_.bind(1, r.seq);
            personal_.bind(2, salt);
            personal_.bind(3, personal);
            personal_.exec();
            personal_.reset();
        }
    }
    std::int64_t rows() const { return seq_; }

  private:
    AuditKey key_;
    SQLite::Statement row_;
    SQLite::Statement personal_;
    std::int64_t seq_ = 0;
    std::string prev_ = kAuditGenesisHash;
};

std::string unitName(int h) { return fmt::format("{}-{}{:02}", h / 50 + 1, (h % 50) / 2 + 1, h % 2 + 1); }
std::string plateOf(int h) { return fmt::format("沪{}{:05}", static_cast<char>('A' + h % 20), (h * 7919) % 100000); }

void generateEstate(const fs::path& path, const Options& o, YearMonth last) {
    const SiteZone zone = shanghai();
    const KeyRing keys = benchKeys();
    const AuditKey audit_key = benchAuditKey();
    fs::remove(path);
    fs::remove(path.string() + "-wal");
    fs::remove(path.string() + "-shm");
    openLedger(path).reset();  // the schema, exactly as the ledger creates it

    SQLite::Database db(path.string(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA synchronous=OFF");
    db.exec("PRAGMA cache_size=-262144");
    SQLite::Transaction tx(db);
    ChainWriter chain(db, audit_key);
    std::mt19937 rng(1127);
    const int months = o.years * 12;
    const YearMonth first = YearMonth::fromIndex(last.index() - months + 1);
    const TimePoint added = zone.monthStart(first) - hours(24 * 20);
    const TimePoint retention_cutoff = zone.monthEnd(last) - hours(24 * 365);

    SQLite::Statement hh(db,
                         "INSERT INTO households(id, unit, category, contact, phone, added_at) "
                         "VALUES(?,?,?,?,?,?)");
    for (int h = 0; h < o.households; ++h) {
        hh.bind(1, h + 1);
        hh.bind(2, unitName(h));
        hh.bind(3, h % 3 == 0 ? "elderly-only" : "living-alone");
        hh.bind(4, fmt::format("住户{}", h));
        hh.bind(5, fmt::format("138{:08}", h));
        hh.bind(6, isoUtc(added));
        hh.exec();
        hh.reset();
        chain.append(added, "HOUSEHOLD_ADD",
                     fmt::format(R"({{"category":"{}","unit":"{}"}})", h % 3 == 0 ? "elderly-only" : "living-alone",
                                 unitName(h)),
                     fmt::format(R"({{"contact":"住户{}","phone":"138{:08}"}})", h, h), true);
    }

    SQLite::Statement vq(db,
                         "INSERT INTO vouchers(serial, household_id, month, slot, key_id, token, issued_at) "
                         "VALUES(?,?,?,?,?,?,?)");
    SQLite::Statement visit(db,
                            "INSERT INTO visits(id, serial, household_id, plate, plate_unread, plate_purged, "
                            "entry_lane, entered_at, deadline, month, exited_at, exit_lane, overstay_ms) "
                            "VALUES(?,?,?,?,0,?,'north-in',?,?,?,?,'north-out',?)");
    std::int64_t serial = 0;
    std::int64_t visit_id = 0;
    std::uniform_real_distribution<double> u(0, 1);
    for (int mi = 0; mi < months; ++mi) {
        const YearMonth m = YearMonth::fromIndex(first.index() + mi);
        const TimePoint issued = zone.monthStart(m) - hours(24 * 3);
        struct Use {
            std::int64_t serial;
            int household;
        };
        std::vector<Use> uses;
        for (int h = 0; h < o.households; ++h) {
            for (int slot = 1; slot <= 2; ++slot) {
                ++serial;
                const auto token =
                    encodeToken(TokenPayload{kTokenVersion1, 1, static_cast<std::uint32_t>(serial), m}, keys);
                vq.bind(1, serial);
                vq.bind(2, h + 1);
                vq.bind(3, m.index());
                vq.bind(4, slot);
                vq.bind(5, 1);
                vq.bind(6, token.value());
                vq.bind(7, isoUtc(issued));
                vq.exec();
                vq.reset();
                chain.append(issued, "VOUCHER_ISSUE",
                             fmt::format(R"({{"key_id":1,"month":"{}","serial":{},"slot":{},"unit":"{}"}})", m.str(),
                                         serial, slot, unitName(h)),
                             "", false);
                if (u(rng) < 0.75) uses.push_back({serial, h});
            }
        }
        for (const auto& use : uses) {
            const int h = use.household;
            const std::string plate = u(rng) < 0.02 ? plateOf((h + 1) % o.households) : plateOf(h);
            const TimePoint entered = zone.monthStart(m) + hours(24 * static_cast<int>(u(rng) * 27)) +
                                      hours(7 + static_cast<int>(u(rng) * 13)) + minutes(static_cast<int>(u(rng) * 60));
            const double kind = u(rng);
            const Duration stay = kind < 0.85   ? minutes(20 + static_cast<int>(u(rng) * 220))
                                  : kind < 0.95 ? minutes(240 + static_cast<int>(u(rng) * 15))
                                                : minutes(300 + static_cast<int>(u(rng) * 4000));
            const TimePoint deadline = entered + hours(4);
            const TimePoint exited = entered + stay;
            const bool over = exited > deadline + minutes(15);
            const bool keep = entered >= retention_cutoff;
            ++visit_id;
            visit.bind(1, visit_id);
            visit.bind(2, use.serial);
            visit.bind(3, h + 1);
            if (keep) {
                visit.bind(4, plate);
            } else {
                visit.bind(4);
            }
            visit.bind(5, keep ? 0 : 1);
            visit.bind(6, isoUtc(entered));
            visit.bind(7, isoUtc(deadline));
            visit.bind(8, zone.monthOf(entered).index());
            visit.bind(9, isoUtc(exited));
            if (over) {
                visit.bind(10, static_cast<std::int64_t>((exited - deadline).count()));
            } else {
                visit.bind(10);
            }
            visit.exec();
            visit.reset();
            const std::string personal = fmt::format(R"({{"plate":"{}","plate_seen":"{}"}})", plate, plate);
            chain.append(
                entered, "DECISION",
                fmt::format(R"({{"admit":true,"at":"{}","deadline":"{}","direction":"entry","lane":"north-in",)"
                            R"("plate_confidence":0.97,"plate_unread":false,"reason":"ADMIT_VOUCHER",)"
                            R"("serial":{},"unit":"{}","visit":{}}})",
                            isoUtc(entered), isoUtc(deadline), use.serial, unitName(h), visit_id),
                personal, keep);
            chain.append(
                exited, "DECISION",
                fmt::format(R"({{"admit":true,"at":"{}","direction":"exit","lane":"north-out",)"
                            R"("plate_confidence":0.97,"plate_unread":false,"reason":"{}",)"
                            R"("serial":{},"unit":"{}","visit":{}{}}})",
                            isoUtc(exited), over ? "RELEASE_OVERSTAY" : "RELEASE_VISIT", use.serial, unitName(h),
                            visit_id, over ? fmt::format(R"(,"overstay_ms":{})", (exited - deadline).count()) : ""),
                personal, keep);
        }
    }
    tx.commit();
    fmt::print("generated {}: {} households, {} months, {} vouchers, {} visits, {} audit rows\n", path.string(),
               o.households, months, serial, visit_id, chain.rows());
}

int parseInt(const char* text) {
    int v = 0;
    const auto end = text + std::char_traits<char>::length(text);
    const auto [p, ec] = std::from_chars(text, end, v);
    if (ec != std::errc{} || p != end) throw std::runtime_error(fmt::format("not a number: {}", text));
    return v;
}

}  // namespace

int main(int argc, char** argv) try {
    Options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto next = [&]() -> const char* {
            if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
            return argv[++i];
        };
        if (a == "--dir") {
            o.dir = next();
        } else if (a == "--households") {
            o.households = parseInt(next());
        } else if (a == "--years") {
            o.years = parseInt(next());
        } else if (a == "--decisions") {
            o.decisions = parseInt(next());
        } else if (a == "--regenerate") {
            o.regenerate = true;
        } else {
            fmt::print(stderr,
                       "usage: bench_gate [--dir DIR] [--households N] [--years N] [--decisions N] [--regenerate]\n");
            return 2;
        }
    }
    fs::create_directories(o.dir);
    const SiteZone zone = shanghai();
    const RuleSettings settings = benchSettings();

    // 1. Durable admissions on the --dir disk.
    {
        const fs::path p = o.dir / "small.db";
        for (const auto& f : {p, fs::path(p.string() + "-wal"), fs::path(p.string() + "-shm")}) fs::remove(f);
        auto ledger = openLedger(p);
        print(fmt::format("admission, durable commit ({}, fsync)", o.dir.string()),
              stats(timeAdmissions(*ledger, o.decisions, zone.parse("2026-11-20T08:00").value(), false, "s-1", 'K')));
        print("admission, dry run (facts + rules, nothing written)",
              stats(timeAdmissions(*ledger, o.decisions, zone.parse("2026-11-21T08:00").value(), true, "s-2", 'L')));
    }
    // 2. Without fsync: the same on tmpfs.
    if (fs::is_directory("/dev/shm")) {
        const fs::path p = fs::path("/dev/shm") / fmt::format("vg-bench-gate-{}.db", ::getpid());
        {
            auto ledger = openLedger(p);
            print(
                "admission, commit without fsync (/dev/shm)",
                stats(timeAdmissions(*ledger, o.decisions, zone.parse("2026-11-20T08:00").value(), false, "m-1", 'M')));
        }
        for (const auto& f : {p, fs::path(p.string() + "-wal"), fs::path(p.string() + "-shm")}) fs::remove(f);
    }
    // 3. The pure rules alone.
    {
        LedgerFacts facts;
        facts.token = TokenPayload{kTokenVersion1, 1, 7, {2026, 11}};
        facts.voucher = VoucherFacts{.serial = 7, .unit = "3-101", .category = "living-alone", .month = {2026, 11}};
        for (int i = 0; i < 200; ++i) {
            facts.inside.push_back(OpenVisitFacts{
                .id = i, .serial = static_cast<std::uint32_t>(100 + i), .unit = "x", .plate = plateOf(i)});
        }
        Observation obs{.lane = "north-in", .direction = Direction::Entry};
        obs.plate = PlateSeen{"沪Z99999", 0.99};
        obs.token = "VG1:X";
        const TimePoint now = zone.parse("2026-11-20T10:00").value();
        constexpr int kN = 20000;
        const auto t0 = Steady::now();
        int admitted = 0;
        for (int i = 0; i < kN; ++i) admitted += decide(obs, facts, settings, zone, now).decision.admit ? 1 : 0;
        const double per = ms(Steady::now() - t0) / kN;
        fmt::print("{:<58} {:8.4f} ms per call (200 cars inside, {} admitted)\n", "rules alone (pure decide())", per,
                   admitted);
    }

    // 4. Ten years of the estate: the monthly report and decisions on a big ledger.
    const YearMonth last{2026, 11};
    const fs::path base = o.dir / fmt::format("estate-{}h-{}y.db", o.households, o.years);
    if (o.regenerate || !fs::exists(base)) {
        const auto t0 = Steady::now();
        generateEstate(base, o, last);
        fmt::print("generation took {:.1f} s\n", ms(Steady::now() - t0) / 1000);
    }
    const fs::path work = o.dir / "estate-work.db";
    for (const auto& f : {work, fs::path(work.string() + "-wal"), fs::path(work.string() + "-shm")}) fs::remove(f);
    fs::copy_file(base, work);
    fmt::print("ledger file {:.0f} MB\n", static_cast<double>(fs::file_size(work)) / 1e6);
    auto ledger = openLedger(work);
    const TimePoint now = zone.parse("2026-12-01T09:00").value();
    for (const YearMonth m : {last, YearMonth{2021, 6}}) {
        std::vector<double> times;
        MonthReport r;
        for (int i = 0; i < 7; ++i) {
            const auto t0 = Steady::now();
            auto rep = ledger->report(m, settings, now);
            times.push_back(ms(Steady::now() - t0));
            if (!rep) throw std::runtime_error(rep.error().message);
            r = std::move(*rep);
        }
        int issued = 0, used = 0, visits = 0, overstays = 0;
        for (const auto& h : r.households) {
            issued += h.issued;
            used += h.used;
            visits += h.visits;
            overstays += h.overstays;
        }
        print(fmt::format("report {} ({} households, {} visits)", m.str(), r.households.size(), visits), stats(times));
        fmt::print("    issued {} used {} overstays {} shared plates {} head {}\n", issued, used, overstays,
                   r.shared_plates.size(), r.audit_head.count);
    }
    {
        std::vector<double> sweeps;
        print("admission on the 10-year ledger, durable, sweep every 25 cars",
              stats(timeAdmissions(*ledger, o.decisions, now, false, "bench-1", 'W', 25, &sweeps)));
        print("  the sweeps between them (flag overstays + WAL checkpoint)", stats(sweeps));
    }
    print("admission on the 10-year ledger, dry run",
          stats(timeAdmissions(*ledger, o.decisions, now + hours(1), true, "bench-2", 'X')));
    {
        std::vector<double> times;
        for (int i = 0; i < 7; ++i) {
            const auto t0 = Steady::now();
            const auto swept = ledger->sweepOverstays(settings, now + hours(2) + std::chrono::seconds(i));
            times.push_back(ms(Steady::now() - t0));
            if (!swept) throw std::runtime_error(swept.error().message);
        }
        print("overstay sweep, 10-year ledger, 300 cars inside, idle WAL", stats(times));
    }
    {
        const long rss_before = maxRssMb();
        const auto t0 = Steady::now();
        const auto verdict = ledger->verifyAudit(std::nullopt);
        fmt::print("{:<58} {:8.0f} ms ({} rows, {}; peak RSS {} MB -> {} MB)\n", "audit verify (whole chain)",
                   ms(Steady::now() - t0), verdict.head.count, verdict.ok ? "intact" : verdict.problem, rss_before,
                   maxRssMb());
        if (!verdict.ok) return 1;
    }
    return 0;
} catch (const std::exception& e) {
    fmt::print(stderr, "bench_gate: {}\n", e.what());
    return 1;
}
