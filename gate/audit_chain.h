// The audit chain (PRODUCT.md rule 9): every audit_log row carries
//   hash = HMAC-SHA-256(audit key, prev_hash || seq || at || kind || payload || subject_commitment)
// (fields length-prefixed, see docs/audit.md), chaining each row to the one before. Personal data (plates,
// names) never enters the hashed payload in clear: it enters as subject_commitment = SHA-256(salt || clear),
// and the clear values with their salt live in a purgeable table, so a retention purge keeps the chain valid.
// Pure functions over rows; the ledger does the SQL. Thread-safe; never throws.
#pragma once

#include <array>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vg::gate {

struct AuditKey {
    std::array<std::uint8_t, 32> bytes{};

    static AuditKey generate();
    static std::expected<AuditKey, std::string> load(const std::filesystem::path& path);
    // Atomic write, mode 0640; the caller chowns it to the service user.
    std::expected<void, std::string> save(const std::filesystem::path& path) const;
};

struct AuditRow {
    std::int64_t seq = 0;            // 1, 2, 3 ... without gaps
    std::string at;                  // UTC text as stored
    std::string kind;                // stable event name, e.g. "DECISION", "ISSUE", "REVOKE", "MANUAL_OPEN"
    std::string payload;             // JSON text without personal data
    std::string subject_commitment;  // hex SHA-256(salt || clear personal JSON), or "" when none
    std::string prev_hash;           // hex; the genesis row uses 64 zeros
    std::string hash;                // hex

    bool operator==(const AuditRow&) const = default;
};

inline const std::string kAuditGenesisHash(64, '0');

std::string auditRowHash(const AuditKey& key, const AuditRow& row);  // ignores row.hash
std::string randomSaltHex();                                         // 16 random bytes, hex
std::string commitPersonal(std::string_view salt_hex, std::string_view clear_json);

struct AuditHead {
    std::int64_t count = 0;
    std::string hash;  // hash of the last row (genesis hash when empty)

    bool operator==(const AuditHead&) const = default;
    std::string str() const;                                       // "N:HASH"
    static std::optional<AuditHead> parse(std::string_view text);  // "N:HASH"
};

struct AuditVerdict {
    bool ok = true;
    std::optional<std::int64_t> first_bad_seq;  // the first altered, missing or reordered row
    std::string problem;                        // a sentence naming what is wrong
    AuditHead head;                             // what the rows end with
};

// Checks hashes, links and seq continuity of rows in seq order; with `expected_head`, also that the chain
// still reaches that head (detects a truncated tail) and that its hash at that count matches.
AuditVerdict verifyAuditChain(const AuditKey& key, const std::vector<AuditRow>& rows,
                              const std::optional<AuditHead>& expected_head = std::nullopt);

// The same check fed one row at a time in seq order (as `SELECT ... ORDER BY seq` yields them), so that a
// ten-year chain is verified in constant memory. add() returns false once the chain is known to be broken
// (further rows are ignored); finish() gives the verdict. Not thread-safe; one verifier per pass.
class AuditChainVerifier {
  public:
    explicit AuditChainVerifier(const AuditKey& key, std::optional<AuditHead> expected_head = std::nullopt)
        : key_(key), expected_head_(std::move(expected_head)) {}
    bool add(const AuditRow& row);
    AuditVerdict finish() const;

  private:
    bool fail(std::int64_t seq, std::string problem);
    const AuditKey& key_;
    std::optional<AuditHead> expected_head_;
    std::int64_t count_ = 0;
    std::string last_hash_ = kAuditGenesisHash;
    std::optional<std::string> hash_at_head_;
    AuditVerdict broken_;
    bool failed_ = false;
};

}  // namespace vg::gate
