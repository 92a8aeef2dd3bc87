// Token fuzz test, bounded for CI: 200,000 deterministic random and mutated inputs. No input may crash the
// decoder, and the only text ever accepted is a valid token itself (possibly with surrounding whitespace).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "gate/key_ring.h"
#include "gate/token.h"

namespace vg::gate {
namespace {

constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

std::string trimAscii(std::string_view s) {
    auto sp = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; };
    while (!s.empty() && sp(s.front())) s.remove_prefix(1);
    while (!s.empty() && sp(s.back())) s.remove_suffix(1);
    return std::string(s);
}

// A tiny generator: std::mt19937_64 alone costs a third of the run in a Debug ASan build.
struct SplitMix64 {
    std::uint64_t state;
    std::uint64_t operator()() {
        std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        return z ^ (z >> 31);
    }
};

TEST(TokenFuzz, RandomAndMutatedInputsNeverCrashNorFalselyVerify) {
    KeyRing ring;
    const auto now = parseIsoUtc("2026-11-20T02:00:00.000Z").value();
    ASSERT_TRUE(ring.addKey(now).has_value());
    ASSERT_TRUE(ring.addKey(now).has_value());
    ASSERT_TRUE(ring.retire(1, now).has_value());

    std::vector<std::string> valid;
    for (std::uint32_t serial = 1; serial <= 8; ++serial) {
        valid.push_back(encodeToken({kTokenVersion1, 2, serial * 7919u, YearMonth{2026, 11}}, ring).value());
    }

    SplitMix64 rng{20261127};  // deterministic: a failure reproduces
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    auto randomChar = [&]() -> char {
        switch (pick(4)) {
            case 0:
                return kAlphabet[pick(kAlphabet.size())];
            case 1:
                return static_cast<char>(0x20 + pick(0x5f));
            case 2:
                return '\0';
            default:
                return static_cast<char>(pick(256));
        }
    };

    // Random binary comes as slices of one 10 kB pool refreshed now and then, and `input` keeps its capacity:
    // the generator must not cost more than the decoder, or the test cannot run in CI under ASan.
    std::string pool(10 * 1024, '\0');
    auto refill = [&] {
        for (std::size_t k = 0; k < pool.size(); k += 8) {
            const std::uint64_t r = rng();
            std::memcpy(pool.data() + k, &r, 8);
        }
    };
    constexpr int kIterations = 200'000;
    int accepted = 0;
    std::string input;
    input.reserve(2 * pool.size());
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < kIterations; ++i) {
        if (i % 1024 == 0) refill();
        const std::string& base = valid[pick(valid.size())];
        std::string_view text;
        input.clear();
        switch (pick(8)) {
            case 0: {  // random bytes; lengths spread evenly over magnitudes up to 10 kB
                const std::size_t n = std::min<std::size_t>(pick(std::size_t{1} << (1 + pick(14))), pool.size());
                text = std::string_view(pool).substr(pick(pool.size() - n + 1), n);
                break;
            }
            case 1: {  // random text in the token's alphabet at or near the right length
                input = "VG1:";
                const std::size_t n = 35 + pick(9);
                for (std::size_t k = 0; k < n; ++k) input.push_back(kAlphabet[pick(kAlphabet.size())]);
                break;
            }
            case 2: {  // 1 to 4 character substitutions
                input = base;
                for (std::size_t k = 0, n = 1 + pick(4); k < n; ++k) input[pick(input.size())] = randomChar();
                break;
            }
            case 3:  // truncation
                input.assign(base, 0, pick(base.size()));
                break;
            case 4: {  // insertions, including NUL bytes
                input = base;
                for (std::size_t k = 0, n = 1 + pick(3); k < n; ++k)
                    input.insert(input.begin() + static_cast<std::ptrdiff_t>(pick(input.size() + 1)), randomChar());
                break;
            }
            case 5: {  // case flips
                input = base;
                for (std::size_t k = 0, n = 1 + pick(3); k < n; ++k) {
                    char& c = input[pick(input.size())];
                    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
                }
                break;
            }
            case 6: {  // deletions and duplicated tails
                input = base;
                input.erase(pick(input.size()), 1 + pick(3));
                if (pick(2) == 0) input.append(input, pick(input.size() + 1));
                break;
            }
            default: {  // a valid token in whitespace, followed by a stray byte, or twice
                const std::size_t pad = pick(5);
                const char space = " \t\r\n"[pick(4)];
                input.append(pad, space);
                input += base;
                input.append(pad, space);
                if (pick(2) == 0) input += static_cast<char>(pick(256));
                if (pick(4) == 0) input = base + base;
                break;
            }
        }
        if (text.data() == nullptr) text = input;
        const auto result = decodeToken(text, ring);
        if (result.has_value()) {
            ++accepted;
            const std::string trimmed = trimAscii(text);
            ASSERT_NE(std::find(valid.begin(), valid.end(), trimmed), valid.end())
                << "accepted an input that is not one of the valid tokens: iteration " << i;
            const auto genuine = decodeToken(trimmed, ring);
            ASSERT_TRUE(genuine.has_value());
            ASSERT_EQ(*result, *genuine);
        }
    }
    const auto elapsed = std::chrono::steady_clock::now() - start;
    EXPECT_GT(accepted, 0) << "the generator never produced a valid token; the test would prove nothing";
    // A budget well above the measured time (about 0.3 s optimised, 2 s in a Debug ASan build) that still
    // catches a decoder that became quadratic.
    EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count(), 20'000);
}

}  // namespace
}  // namespace vg::gate
