// Several processes on one ledger file (rules 4 and 10): two gate processes racing for the same voucher at the same
// instant, and a process SIGKILLed in the middle of a stream of admissions. Children are fork()ed, open their own
// Ledger, talk to the parent through pipes only (no sleeps) and leave with _exit().
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <random>
#include <set>

#include "ledger_fixture.h"

namespace vg::gate {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;
using testing::LedgerTest;
namespace fs = std::filesystem;

constexpr YearMonth kNov{2026, 11};

std::string plateFor(char series, int n) {
    const std::string digits = std::to_string(10000 + n % 90000);
    return std::string("沪") + series + digits;
}

bool readAll(int fd, void* buf, std::size_t size) {
    auto* p = static_cast<char*>(buf);
    while (size > 0) {
        const ssize_t n = ::read(fd, p, size);
        if (n <= 0) return false;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

void writeAll(int fd, const void* buf, std::size_t size) {
    const auto* p = static_cast<const char*>(buf);
    while (size > 0) {
        const ssize_t n = ::write(fd, p, size);
        if (n <= 0) return;
        p += n;
        size -= static_cast<std::size_t>(n);
    }
}

class Rule4_Concurrency : public LedgerTest {
  protected:
    // The race is about locking, not durability: on tmpfs fsync costs nothing, so a few hundred rounds stay fast,
    // while the file locks and the WAL index are the same as on disk.
    testing::TempDir shm{fs::is_directory("/dev/shm") ? fs::path("/dev/shm") : fs::temp_directory_path()};
    fs::path dbPath() const override { return shm.path() / "ledger.db"; }
};

TEST_F(Rule4_Concurrency, TwoProcessesSameVoucherSameInstantExactlyOneAdmitted) {
    constexpr int kRounds = 300;
    settings.per_month = kRounds;
    household("12-301");
    const auto vouchers = issue("12-301", kNov, kRounds);
    ledger.reset();  // no connection of ours crosses fork(); each child opens its own

    // Two gate processes, each with its own connection, live for all the rounds. Each round both wait on their own
    // "go" pipe; the parent releases them back to back and both decide on the same card, one with each car.
    const TimePoint start = at("2026-11-10T08:00");
    std::array<int, 2> ready{};
    ASSERT_EQ(::pipe(ready.data()), 0);
    std::array<std::array<int, 2>, 2> go{}, result{};
    std::array<pid_t, 2> kids{};
    for (std::size_t k = 0; k < 2; ++k) {
        ASSERT_EQ(::pipe(go[k].data()), 0);
        ASSERT_EQ(::pipe(result[k].data()), 0);
    }
    for (std::size_t k = 0; k < 2; ++k) {
        kids[k] = ::fork();
        ASSERT_GE(kids[k], 0);
        if (kids[k] != 0) continue;
        try {
            Ledger mine(options(Duration(10000)), audit_key, keys, zone);
            for (int round = 0; round < kRounds; ++round) {
                writeAll(ready[1], "r", 1);
                char c = 0;
                if (!readAll(go[k][0], &c, 1)) break;
                const auto d = mine.decide(
                    entryObs(plateFor(k == 0 ? 'A' : 'B', round), vouchers[static_cast<std::size_t>(round)].token),
                    settings, start + seconds(round));
                const char code = d.reason == Reason::AdmitVoucher      ? 'A'
                                  : d.reason == Reason::DenyVoucherUsed ? 'U'
                                                                        : 'X';
                writeAll(result[k][1], &code, 1);
            }
        } catch (...) {
            writeAll(ready[1], "E", 1);  // the parent stops instead of waiting for a child that is gone
        }
        ::_exit(0);
    }
    ::close(ready[1]);
    for (std::size_t k = 0; k < 2; ++k) {
        ::close(go[k][0]);
        ::close(result[k][1]);
    }
    int exactly_one = 0;
    int second_won = 0;  // how often the process released second still won (the race is real, not a queue)
    for (int round = 0; round < kRounds; ++round) {
        std::array<char, 2> r{};
        if (!readAll(ready[0], r.data(), 2)) break;  // both are waiting on their own go pipe
        if (r[0] != 'r' || r[1] != 'r') {
            ADD_FAILURE() << "a gate process failed in round " << round;
            break;
        }
        writeAll(go[0][1], "g", 1);
        writeAll(go[1][1], "g", 1);
        std::array<char, 2> codes{};
        if (!readAll(result[0][0], &codes[0], 1) || !readAll(result[1][0], &codes[1], 1)) break;
        const std::multiset<char> outcome(codes.begin(), codes.end());
        EXPECT_EQ(outcome, (std::multiset<char>{'A', 'U'})) << "round " << round << ": " << codes[0] << codes[1];
        if (outcome == std::multiset<char>{'A', 'U'}) ++exactly_one;
        if (codes[1] == 'A') ++second_won;
    }
    for (std::size_t k = 0; k < 2; ++k) {
        ::close(go[k][1]);
        ::close(result[k][0]);
        ::waitpid(kids[k], nullptr, 0);
    }
    ::close(ready[0]);
    EXPECT_EQ(exactly_one, kRounds);
    RecordProperty("second_released_won", second_won);
    ledger = open();
    EXPECT_EQ(count("SELECT COUNT(*) FROM visits"), kRounds);
    EXPECT_EQ(count("SELECT COUNT(DISTINCT serial) FROM visits"), kRounds);
    EXPECT_EQ(count("SELECT COUNT(*) FROM audit_log WHERE payload LIKE '%\"reason\":\"DENY_VOUCHER_USED\"%'"), kRounds);
    const auto verdict = ledger->verifyAudit(std::nullopt);
    EXPECT_TRUE(verdict.ok) << verdict.problem;
}

class Rule10_CrashSafety : public LedgerTest {};

TEST_F(Rule10_CrashSafety, SigkillDuringAStreamOfAdmissionsLosesNothing) {
    constexpr int kRounds = 30;
    constexpr int kPerRound = 12;
    settings.per_month = kRounds * kPerRound;
    household("12-301");
    const auto vouchers = issue("12-301", kNov, kRounds * kPerRound);
    ledger.reset();

    std::mt19937 rng(20261127);  // deterministic kill points
    std::set<std::uint32_t> reported;
    const TimePoint start = at("2026-11-02T08:00");
    for (int round = 0; round < kRounds; ++round) {
        std::array<int, 2> progress{};
        ASSERT_EQ(::pipe(progress.data()), 0);
        const pid_t pid = ::fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            ::close(progress[0]);
            try {
                Ledger mine(options(), audit_key, keys, zone);
                for (int i = 0; i < kPerRound; ++i) {
                    const auto& v = vouchers[static_cast<std::size_t>(round * kPerRound + i)];
                    const TimePoint t = start + hours(round) + minutes(i);
                    const auto d = mine.decide(entryObs(plateFor('C', round * kPerRound + i), v.token), settings, t);
                    // the barrier would be pulsed now: tell the parent the admission is done
                    if (d.reason == Reason::AdmitVoucher) writeAll(progress[1], &v.serial, sizeof v.serial);
                    // and the previous car leaves, so exits interleave with entries
                    if (i > 0) (void)mine.decide(exitObs(plateFor('C', round * kPerRound + i - 1)), settings, t);
                }
            } catch (...) {
            }
            ::_exit(0);
        }
        ::close(progress[1]);
        const int kill_after = std::uniform_int_distribution<int>(1, kPerRound - 1)(rng);
        int seen = 0;
        std::uint32_t serial = 0;
        while (seen < kill_after && readAll(progress[0], &serial, sizeof serial)) {
            reported.insert(serial);
            ++seen;
        }
        ::kill(pid, SIGKILL);
        while (readAll(progress[0], &serial, sizeof serial)) reported.insert(serial);  // sent before the kill
        int status = 0;
        ::waitpid(pid, &status, 0);
        ::close(progress[0]);
        ASSERT_EQ(seen, kill_after) << "round " << round << ": the child stopped early";

        // The database opens cleanly and is consistent.
        {
            auto db = raw();
            EXPECT_EQ(db.execAndGet("PRAGMA integrity_check").getString(), "ok") << "round " << round;
        }
        ledger = open();
        const auto verdict = ledger->verifyAudit(std::nullopt);
        ASSERT_TRUE(verdict.ok) << "round " << round << ": " << verdict.problem;
        std::multiset<std::uint32_t> attached;
        {
            auto db = raw();
            SQLite::Statement q(db, "SELECT serial FROM visits");
            while (q.executeStep()) attached.insert(static_cast<std::uint32_t>(q.getColumn(0).getInt64()));
        }
        for (const auto s : reported) {
            ASSERT_EQ(attached.count(s), 1u) << "round " << round << ": admitted voucher " << s << " has no visit";
        }
        // every visit has its admission in the chain and vice versa (one transaction each)
        EXPECT_EQ(static_cast<std::int64_t>(attached.size()),
                  count("SELECT COUNT(*) FROM audit_log WHERE payload LIKE '%\"reason\":\"ADMIT_VOUCHER\"%'"));
        EXPECT_EQ(count("SELECT COUNT(*) FROM visits WHERE exited_at IS NOT NULL"),
                  count("SELECT COUNT(*) FROM audit_log WHERE payload LIKE '%\"reason\":\"RELEASE_VISIT\"%'"));
        // no voucher is both unused and attached to a visit (nor used without one)
        const auto all = ledger->vouchers(std::nullopt, std::nullopt).value();
        for (const auto& v : all) {
            const auto n = attached.count(v.serial);
            EXPECT_LE(n, 1u) << "voucher " << v.serial;
            EXPECT_EQ(v.status == VoucherStatus::Used, n == 1) << "voucher " << v.serial;
        }
        ledger.reset();
    }
    EXPECT_GE(reported.size(), static_cast<std::size_t>(kRounds));
}

}  // namespace
}  // namespace vg::gate
