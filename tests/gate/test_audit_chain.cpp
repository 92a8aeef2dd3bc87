// Audit chain (rule 9): edits, deletions, reordering and (with a head) a cut tail are detected; a retention
// purge is not; the key file round-trips with mode 0640.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gate/audit_chain.h"

namespace vg::gate {
namespace {

namespace fs = std::filesystem;

AuditKey fixedKey(std::uint8_t first) {
    AuditKey key;
    for (std::size_t i = 0; i < key.bytes.size(); ++i) key.bytes[i] = static_cast<std::uint8_t>(first + i);
    return key;
}

// Appends rows the way the ledger will: prev_hash = previous row's hash, hash computed last.
struct ChainBuilder {
    AuditKey key;
    std::vector<AuditRow> rows;
    // Clear personal data with its salt: what the ledger keeps in the purgeable table.
    std::vector<std::pair<std::string, std::string>> personal;

    void append(std::string kind, std::string payload, std::optional<std::string> clear = std::nullopt) {
        AuditRow row;
        row.seq = static_cast<std::int64_t>(rows.size()) + 1;
        row.at = "2026-11-20T02:" + std::string(row.seq < 10 ? "0" : "") + std::to_string(row.seq % 60) + ":00.000Z";
        row.kind = std::move(kind);
        row.payload = std::move(payload);
        if (clear) {
            const std::string salt = randomSaltHex();
            row.subject_commitment = commitPersonal(salt, *clear);
            personal.emplace_back(salt, *clear);
        }
        row.prev_hash = rows.empty() ? kAuditGenesisHash : rows.back().hash;
        row.hash = auditRowHash(key, row);
        rows.push_back(std::move(row));
    }
};

ChainBuilder sampleChain(int n = 9) {
    ChainBuilder b{fixedKey(0x20), {}, {}};
    for (int i = 1; i <= n; ++i) {
        if (i % 3 == 0) {
            b.append("DECISION", R"({"lane":"north-in","reason":"ADMIT_VOUCHER","serial":)" + std::to_string(i) + "}",
                     R"({"plate":"沪A1234)" + std::to_string(i) + R"("})");
        } else {
            b.append("ISSUE", R"({"serial":)" + std::to_string(1000 + i) + R"(,"month":"2026-11"})");
        }
    }
    return b;
}

TEST(AuditChain, DocumentedVectorAndCommitment) {
    // The worked example of docs/audit.md.
    AuditRow row{1, "2026-11-20T02:00:00.000Z", "ISSUE", R"({"serial":123456})", "", kAuditGenesisHash, ""};
    EXPECT_EQ(auditRowHash(fixedKey(0x20), row), "a5aca6b6ac0b84acc984306c8a38a9d0d8992e059747eeada3a3686cd5a4177c");
    EXPECT_EQ(commitPersonal("000102030405060708090a0b0c0d0e0f", R"({"plate":"沪A12345"})"),
              "40b0cf5c0d8258b9382670509c845bc6c5715c049f0b9460831a23f5818a0bcd");
    EXPECT_EQ(randomSaltHex().size(), 32u);
    EXPECT_NE(randomSaltHex(), randomSaltHex());
}

TEST(AuditChain, IntactChainVerifiesAndReportsItsHead) {
    const auto b = sampleChain();
    const auto v = verifyAuditChain(b.key, b.rows);
    EXPECT_TRUE(v.ok) << v.problem;
    EXPECT_FALSE(v.first_bad_seq.has_value());
    EXPECT_EQ(v.head.count, 9);
    EXPECT_EQ(v.head.hash, b.rows.back().hash);
    EXPECT_TRUE(verifyAuditChain(b.key, b.rows, v.head).ok);
    const auto empty = verifyAuditChain(b.key, {});
    EXPECT_TRUE(empty.ok);
    EXPECT_EQ(empty.head.str(), "0:" + kAuditGenesisHash);
}

TEST(AuditChain, AnotherKeyCannotVerify) {
    const auto b = sampleChain();
    const auto v = verifyAuditChain(fixedKey(0x21), b.rows);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 1);
}

TEST(AuditChain, AlteringAnyFieldOfAMiddleRowIsDetectedAtThatRow) {
    const auto b = sampleChain();
    using Edit = void (*)(AuditRow&);
    const std::vector<std::pair<std::string, Edit>> edits = {
        {"at", [](AuditRow& r) { r.at[18] = '9'; }},
        {"kind", [](AuditRow& r) { r.kind = "REVOKE"; }},
        {"payload", [](AuditRow& r) { r.payload.replace(r.payload.find("ADMIT_VOUCHER"), 13, "DENY_BLOCKED"); }},
        {"payload-extra-space", [](AuditRow& r) { r.payload += " "; }},
        {"subject", [](AuditRow& r) { r.subject_commitment[0] = r.subject_commitment[0] == 'a' ? 'b' : 'a'; }},
        {"subject-cleared", [](AuditRow& r) { r.subject_commitment.clear(); }},
        {"prev_hash", [](AuditRow& r) { r.prev_hash[5] = r.prev_hash[5] == '0' ? '1' : '0'; }},
        {"hash", [](AuditRow& r) { r.hash[63] = r.hash[63] == '0' ? '1' : '0'; }},
        {"hash-upper",
         [](AuditRow& r) {
             for (char& c : r.hash) c = static_cast<char>(std::toupper(c));
         }},
        {"seq", [](AuditRow& r) { r.seq = 7; }},
    };
    for (const auto& [name, edit] : edits) {
        auto rows = b.rows;
        edit(rows[5]);  // seq 6, a DECISION row with a commitment
        const auto v = verifyAuditChain(b.key, rows);
        EXPECT_FALSE(v.ok) << name;
        EXPECT_EQ(v.first_bad_seq, 6) << name << ": " << v.problem;
        EXPECT_NE(v.problem.find("row 6"), std::string::npos) << name << ": " << v.problem;
    }
    auto rows = b.rows;
    rows[5].payload += "x";
    EXPECT_EQ(verifyAuditChain(b.key, rows).problem, "row 6 was altered (its hash does not match its contents)");
}

TEST(AuditChain, FieldBoundariesCannotBeShifted) {
    // Moving text from one field to the next keeps the concatenation but not the length-prefixed message.
    const auto b = sampleChain();
    auto rows = b.rows;
    rows[0].kind = "ISSU";
    rows[0].payload = "E" + rows[0].payload;
    EXPECT_EQ(verifyAuditChain(b.key, rows).first_bad_seq, 1);
}

TEST(AuditChain, DeletedMiddleRowIsNamed) {
    const auto b = sampleChain();
    auto rows = b.rows;
    rows.erase(rows.begin() + 4);  // seq 5
    auto v = verifyAuditChain(b.key, rows);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 5);
    EXPECT_EQ(v.problem, "row 5 is missing (deleted)");

    rows.erase(rows.begin() + 4);  // seq 6 as well
    v = verifyAuditChain(b.key, rows);
    EXPECT_EQ(v.first_bad_seq, 5);
    EXPECT_NE(v.problem.find("rows 5 to 6 are missing"), std::string::npos) << v.problem;

    rows = b.rows;
    rows.erase(rows.begin());
    EXPECT_EQ(verifyAuditChain(b.key, rows).first_bad_seq, 1);
}

TEST(AuditChain, DeletionHiddenByRenumberingIsDetected) {
    // Delete row 5 and renumber 6.. to close the gap: without the key the hashes cannot be redone.
    const auto b = sampleChain();
    auto rows = b.rows;
    rows.erase(rows.begin() + 4);
    for (std::size_t i = 4; i < rows.size(); ++i) rows[i].seq = static_cast<std::int64_t>(i) + 1;
    const auto v = verifyAuditChain(b.key, rows);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 5);
}

TEST(AuditChain, ReorderedRowsAreDetected) {
    const auto b = sampleChain();
    auto rows = b.rows;
    std::swap(rows[3], rows[4]);  // the vector in 1,2,3,5,4,6... order
    auto v = verifyAuditChain(b.key, rows);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 4);
    EXPECT_NE(v.problem.find("out of order"), std::string::npos) << v.problem;

    // Swapping the contents but keeping the seq column in order (what an UPDATE would do).
    rows = b.rows;
    std::swap(rows[3], rows[4]);
    rows[3].seq = 4;
    rows[4].seq = 5;
    v = verifyAuditChain(b.key, rows);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 4);

    rows = b.rows;
    rows.insert(rows.begin() + 3, rows[1]);  // row 2 again
    v = verifyAuditChain(b.key, rows);
    EXPECT_EQ(v.first_bad_seq, 4);
    EXPECT_NE(v.problem.find("row 2 appears again"), std::string::npos) << v.problem;
}

TEST(AuditChain, CutTailIsOnlyDetectedWithTheRecordedHead) {
    const auto b = sampleChain();
    const AuditHead head = verifyAuditChain(b.key, b.rows).head;
    auto rows = b.rows;
    rows.resize(6);
    // Without the head a shorter chain is a valid chain: the limitation --head addresses.
    EXPECT_TRUE(verifyAuditChain(b.key, rows).ok);
    const auto v = verifyAuditChain(b.key, rows, head);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 7);
    EXPECT_NE(v.problem.find("the chain ends at row 6 but the head recorded 9:" + head.hash), std::string::npos)
        << v.problem;
    EXPECT_FALSE(verifyAuditChain(b.key, {}, head).ok);
}

TEST(AuditChain, GrowthAfterTheHeadIsFineButADifferentHistoryIsNot) {
    auto b = sampleChain();
    const AuditHead head = verifyAuditChain(b.key, b.rows).head;
    b.append("RELOAD", "{}");
    b.append("ISSUE", R"({"serial":7})");
    EXPECT_TRUE(verifyAuditChain(b.key, b.rows, head).ok);

    // Someone with the key rebuilt history: each row is consistent, but row 9 is not the row the head named.
    auto other = sampleChain();
    other.rows[2].payload = R"({"forged":true})";
    for (std::size_t i = 2; i < other.rows.size(); ++i) {
        other.rows[i].prev_hash = other.rows[i - 1].hash;
        other.rows[i].hash = auditRowHash(other.key, other.rows[i]);
    }
    ASSERT_TRUE(verifyAuditChain(other.key, other.rows).ok);
    const auto v = verifyAuditChain(other.key, other.rows, head);
    EXPECT_FALSE(v.ok);
    EXPECT_EQ(v.first_bad_seq, 9);
}

TEST(AuditChain, RetentionPurgeLeavesTheChainIntact) {
    auto b = sampleChain();
    const auto before = verifyAuditChain(b.key, b.rows);
    // The commitment is checkable while the clear value exists...
    ASSERT_FALSE(b.personal.empty());
    EXPECT_EQ(commitPersonal(b.personal[0].first, b.personal[0].second), b.rows[2].subject_commitment);
    EXPECT_NE(commitPersonal(b.personal[0].first, R"({"plate":"沪B00000"})"), b.rows[2].subject_commitment);
    // ...and the purge deletes only the clear values and salts, never a chained row.
    b.personal.clear();
    const auto after = verifyAuditChain(b.key, b.rows, before.head);
    EXPECT_TRUE(after.ok) << after.problem;
    EXPECT_EQ(after.head, before.head);
}

TEST(AuditChain, HeadParsesAndPrints) {
    const std::string h(64, 'a');
    const auto head = AuditHead::parse(" 17:" + std::string(64, 'A') + "\n");
    ASSERT_TRUE(head.has_value());
    EXPECT_EQ(head->count, 17);
    EXPECT_EQ(head->str(), "17:" + h);
    EXPECT_EQ(AuditHead::parse("0:" + kAuditGenesisHash)->count, 0);
    for (const std::string& bad :
         {std::string(""), "17" + h, ":" + h, "-1:" + h, "+1:" + h, "x:" + h, "17:" + h + "0",
          "17:" + std::string(64, 'g'), std::string("17:abc"), "1 7:" + h, "99999999999999999999:" + h}) {
        EXPECT_FALSE(AuditHead::parse(bad).has_value()) << bad;
    }
}

class AuditKeyFile : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "vg-auditkey-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { fs::remove_all(dir_); }
    fs::path dir_;
};

TEST_F(AuditKeyFile, SaveLoadRoundTripWithMode0640) {
    const AuditKey key = AuditKey::generate();
    EXPECT_NE(key.bytes, AuditKey::generate().bytes);
    const auto old_umask = ::umask(022);
    ASSERT_TRUE(key.save(dir_ / "audit.key").has_value());
    ::umask(old_umask);
    struct stat st {};
    ASSERT_EQ(::stat((dir_ / "audit.key").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u);
    const auto loaded = AuditKey::load(dir_ / "audit.key");
    ASSERT_TRUE(loaded.has_value()) << loaded.error();
    EXPECT_EQ(loaded->bytes, key.bytes);
}

TEST_F(AuditKeyFile, BadFilesAreNamed) {
    for (const std::string& text :
         {std::string(""), std::string("# nothing\n"), std::string(63, 'a') + "\n",
          std::string(64, 'a') + "\n" + std::string(64, 'b') + "\n", std::string(64, 'z') + "\n"}) {
        std::ofstream(dir_ / "audit.key", std::ios::trunc) << text;
        const auto r = AuditKey::load(dir_ / "audit.key");
        ASSERT_FALSE(r.has_value()) << text;
        EXPECT_NE(r.error().find((dir_ / "audit.key").string()), std::string::npos) << r.error();
    }
    EXPECT_FALSE(AuditKey::load(dir_ / "missing.key").has_value());
    fs::create_directory(dir_ / "adir");
    EXPECT_FALSE(AuditKey::load(dir_ / "adir").has_value());
}

}  // namespace
}  // namespace vg::gate
