#include "gate/audit_chain.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>

#include "gate/crypto_util.h"
#include "gate/secure_file.h"

namespace vg::gate {
namespace {

// Domain separation: a hash made for this chain can never be mistaken for one made for anything else the
// same key might be used for (and a future chain format starts "VGAUDIT2").
constexpr std::string_view kAuditTag = "VGAUDIT1";

std::string u64be(std::uint64_t v) {
    std::string out(8, '\0');
    for (int i = 7; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = static_cast<char>(v & 0xff);
        v >>= 8;
    }
    return out;
}

bool isLowerHex(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::string trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
        s.remove_suffix(1);
    return std::string(s);
}

}  // namespace

AuditKey AuditKey::generate() {
    AuditKey key;
    randomBytes(key.bytes);
    return key;
}

std::expected<AuditKey, std::string> AuditKey::load(const std::filesystem::path& path) {
    const auto text = readSecretFile(path, 64 * 1024);
    if (!text) return std::unexpected(text.error());
    std::optional<AuditKey> key;
    std::size_t line_no = 0;
    std::string_view rest = *text;
    while (!rest.empty()) {
        ++line_no;
        const std::size_t nl = rest.find('\n');
        const std::string line = trimmed(rest.substr(0, nl));
        rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
        if (line.empty() || line.front() == '#') continue;
        const std::string where = path.string() + ":" + std::to_string(line_no) + ": ";
        if (key) return std::unexpected(where + "more than one key line (the file holds exactly one key)");
        const auto bytes = line.size() == 64 ? hexDecode(line) : std::nullopt;
        if (!bytes) return std::unexpected(where + "the audit key must be 64 hex digits (32 bytes)");
        key.emplace();
        std::copy(bytes->begin(), bytes->end(), key->bytes.begin());
    }
    if (!key) return std::unexpected(path.string() + ": holds no key (expected one line of 64 hex digits)");
    return *key;
}

std::expected<void, std::string> AuditKey::save(const std::filesystem::path& path) const {
    std::string text =
        "# voucher-gate audit chain key (HMAC-SHA-256), secret: keep mode 0640 and a backup. Without it the\n"
        "# chain can no longer be verified; see docs/audit.md.\n";
    text += hexEncode(bytes);
    text += '\n';
    return writeSecretFile(path, text);
}

std::string auditRowHash(const AuditKey& key, const AuditRow& row) {
    auto lp = [](std::string_view s) { return u64be(s.size()); };
    const std::string seq = u64be(static_cast<std::uint64_t>(row.seq));
    const std::string l_prev = lp(row.prev_hash), l_at = lp(row.at), l_kind = lp(row.kind), l_payload = lp(row.payload),
                      l_subject = lp(row.subject_commitment);
    const auto mac = hmacSha256(key.bytes, {kAuditTag, seq, l_prev, row.prev_hash, l_at, row.at, l_kind, row.kind,
                                            l_payload, row.payload, l_subject, row.subject_commitment});
    return hexEncode(mac);
}

std::string randomSaltHex() {
    std::array<std::uint8_t, 16> salt{};
    randomBytes(salt);
    return hexEncode(salt);
}

std::string commitPersonal(std::string_view salt_hex, std::string_view clear_json) {
    // A salt that is not hex (never produced by randomSaltHex) is committed as its text, so the function
    // stays total and deterministic.
    const auto salt = hexDecode(salt_hex);
    const std::string_view salt_bytes = salt ? asChars(*salt) : salt_hex;
    return hexEncode(sha256({salt_bytes, clear_json}));
}

std::string AuditHead::str() const { return std::to_string(count) + ":" + hash; }

std::optional<AuditHead> AuditHead::parse(std::string_view input) {
    std::string text = trimmed(input);
    const std::size_t colon = text.find(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    AuditHead head;
    const char* first = text.data();
    const char* last = text.data() + colon;
    if (*first < '0' || *first > '9') return std::nullopt;
    const auto [ptr, ec] = std::from_chars(first, last, head.count);
    if (ec != std::errc{} || ptr != last) return std::nullopt;
    head.hash = text.substr(colon + 1);
    std::transform(head.hash.begin(), head.hash.end(), head.hash.begin(),
                   [](char c) { return c >= 'A' && c <= 'F' ? static_cast<char>(c - 'A' + 'a') : c; });
    if (head.hash.size() != 64 || !isLowerHex(head.hash)) return std::nullopt;
    return head;
}

AuditVerdict verifyAuditChain(const AuditKey& key, const std::vector<AuditRow>& rows,
                              const std::optional<AuditHead>& expected_head) {
    AuditVerdict verdict;
    verdict.head.count = static_cast<std::int64_t>(rows.size());
    verdict.head.hash = rows.empty() ? kAuditGenesisHash : rows.back().hash;
    auto fail = [&](std::int64_t seq, std::string problem) {
        verdict.ok = false;
        verdict.first_bad_seq = seq;
        verdict.problem = std::move(problem);
        return verdict;
    };

    const std::string* prev_hash = &kAuditGenesisHash;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const AuditRow& row = rows[i];
        const auto expected_seq = static_cast<std::int64_t>(i) + 1;
        if (row.seq != expected_seq) {
            const std::string n = std::to_string(expected_seq);
            if (row.seq < expected_seq) {
                return fail(expected_seq, "where row " + n + " should be, row " + std::to_string(row.seq) +
                                              " appears again (rows were duplicated or reordered)");
            }
            const bool later = std::any_of(rows.begin() + static_cast<std::ptrdiff_t>(i) + 1, rows.end(),
                                           [&](const AuditRow& r) { return r.seq == expected_seq; });
            if (later)
                return fail(expected_seq,
                            "row " + n + " is out of order (it comes after row " + std::to_string(row.seq) + ")");
            if (row.seq == expected_seq + 1) return fail(expected_seq, "row " + n + " is missing (deleted)");
            return fail(expected_seq, "rows " + n + " to " + std::to_string(row.seq - 1) + " are missing (deleted)");
        }
        const std::string recomputed = auditRowHash(key, row);
        if (sodium_memcmp(recomputed.data(), row.hash.data(), std::min(recomputed.size(), row.hash.size())) != 0 ||
            recomputed.size() != row.hash.size()) {
            return fail(row.seq,
                        "row " + std::to_string(row.seq) + " was altered (its hash does not match its contents)");
        }
        if (row.prev_hash != *prev_hash) {
            return fail(row.seq, "row " + std::to_string(row.seq) + " does not follow row " +
                                     std::to_string(row.seq - 1) +
                                     " (the link to the previous row is broken: rows were removed, inserted or "
                                     "re-chained)");
        }
        prev_hash = &row.hash;
    }

    if (expected_head) {
        const AuditHead& want = *expected_head;
        const auto have = static_cast<std::int64_t>(rows.size());
        if (want.count < 0) return fail(1, "the recorded head " + want.str() + " is not valid");
        if (have < want.count) {
            return fail(have + 1, "the chain ends at row " + std::to_string(have) + " but the head recorded " +
                                      want.str() + ": rows " + std::to_string(have + 1) + " to " +
                                      std::to_string(want.count) + " are missing (the tail was cut off)");
        }
        const std::string& at_count =
            want.count == 0 ? kAuditGenesisHash : rows[static_cast<std::size_t>(want.count) - 1].hash;
        if (at_count != want.hash) {
            return fail(std::max<std::int64_t>(want.count, 1),
                        "row " + std::to_string(want.count) + " does not match the recorded head " + want.str() +
                            " (the chain was rebuilt or replaced since that head was printed)");
        }
    }
    return verdict;
}

bool AuditChainVerifier::fail(std::int64_t seq, std::string problem) {
    failed_ = true;
    broken_.ok = false;
    broken_.first_bad_seq = seq;
    broken_.problem = std::move(problem);
    return false;
}

bool AuditChainVerifier::add(const AuditRow& row) {
    if (failed_) return false;
    const std::int64_t expected_seq = count_ + 1;
    if (row.seq != expected_seq) {
        const std::string n = std::to_string(expected_seq);
        if (row.seq < expected_seq) {
            return fail(expected_seq, "where row " + n + " should be, row " + std::to_string(row.seq) +
                                          " appears again (rows were duplicated or reordered)");
        }
        if (row.seq == expected_seq + 1) return fail(expected_seq, "row " + n + " is missing (deleted)");
        return fail(expected_seq, "rows " + n + " to " + std::to_string(row.seq - 1) + " are missing (deleted)");
    }
    const std::string recomputed = auditRowHash(key_, row);
    if (recomputed.size() != row.hash.size() ||
        sodium_memcmp(recomputed.data(), row.hash.data(), recomputed.size()) != 0) {
        return fail(row.seq, "row " + std::to_string(row.seq) + " was altered (its hash does not match its contents)");
    }
    if (row.prev_hash != last_hash_) {
        return fail(row.seq, "row " + std::to_string(row.seq) + " does not follow row " + std::to_string(row.seq - 1) +
                                 " (the link to the previous row is broken: rows were removed, inserted or "
                                 "re-chained)");
    }
    count_ = row.seq;
    last_hash_ = row.hash;
    if (expected_head_ && expected_head_->count == count_) hash_at_head_ = row.hash;
    return true;
}

AuditVerdict AuditChainVerifier::finish() const {
    AuditVerdict verdict = failed_ ? broken_ : AuditVerdict{};
    verdict.head = AuditHead{count_, last_hash_};
    if (failed_ || !expected_head_) return verdict;
    const AuditHead& want = *expected_head_;
    auto fail_with = [&](std::int64_t seq, std::string problem) {
        verdict.ok = false;
        verdict.first_bad_seq = seq;
        verdict.problem = std::move(problem);
        return verdict;
    };
    if (want.count < 0) return fail_with(1, "the recorded head " + want.str() + " is not valid");
    if (count_ < want.count) {
        return fail_with(count_ + 1, "the chain ends at row " + std::to_string(count_) + " but the head recorded " +
                                         want.str() + ": rows " + std::to_string(count_ + 1) + " to " +
                                         std::to_string(want.count) + " are missing (the tail was cut off)");
    }
    const std::string& at_count = want.count == 0 ? kAuditGenesisHash : *hash_at_head_;
    if (at_count != want.hash) {
        return fail_with(std::max<std::int64_t>(want.count, 1),
                         "row " + std::to_string(want.count) + " does not match the recorded head " + want.str() +
                             " (the chain was rebuilt or replaced since that head was printed)");
    }
    return verdict;
}

}  // namespace vg::gate
