// The streaming verifier must give the same verdicts as the vector one on rows read in seq order.
#include <gtest/gtest.h>

#include "gate/audit_chain.h"

namespace vg::gate {
namespace {

std::vector<AuditRow> chain(const AuditKey& key, int n) {
    std::vector<AuditRow> rows;
    std::string prev = kAuditGenesisHash;
    for (int i = 1; i <= n; ++i) {
        AuditRow r{.seq = i,
                   .at = "2026-11-20T02:00:00.000Z",
                   .kind = "DECISION",
                   .payload = "{\"n\":" + std::to_string(i) + "}",
                   .subject_commitment = "",
                   .prev_hash = prev};
        r.hash = auditRowHash(key, r);
        prev = r.hash;
        rows.push_back(r);
    }
    return rows;
}

AuditVerdict stream(const AuditKey& key, const std::vector<AuditRow>& rows, std::optional<AuditHead> head = {}) {
    AuditChainVerifier v(key, head);
    for (const auto& r : rows) {
        if (!v.add(r)) break;
    }
    return v.finish();
}

TEST(AuditChainStream, AgreesWithTheVectorVerifier) {
    const auto key = AuditKey::generate();
    auto rows = chain(key, 20);
    const AuditHead head{12, rows[11].hash};
    EXPECT_EQ(stream(key, rows).ok, true);
    EXPECT_EQ(stream(key, rows, head).ok, true);
    EXPECT_EQ(stream(key, rows).head, verifyAuditChain(key, rows).head);

    auto altered = rows;
    altered[6].payload = "{\"n\":70}";
    EXPECT_EQ(stream(key, altered).first_bad_seq, verifyAuditChain(key, altered).first_bad_seq);
    EXPECT_EQ(stream(key, altered).first_bad_seq, 7);

    auto deleted = rows;
    deleted.erase(deleted.begin() + 9);
    EXPECT_EQ(stream(key, deleted).first_bad_seq, 10);
    EXPECT_FALSE(stream(key, deleted).ok);

    auto cut = rows;
    cut.resize(8);
    EXPECT_TRUE(stream(key, cut).ok) << "without a head a cut tail looks like a shorter chain";
    const auto verdict = stream(key, cut, head);
    EXPECT_FALSE(verdict.ok);
    EXPECT_EQ(verdict.first_bad_seq, 9);
    EXPECT_EQ(verdict.problem, verifyAuditChain(key, cut, head).problem);

    const AuditHead other{12, std::string(64, 'a')};
    EXPECT_FALSE(stream(key, rows, other).ok) << "a head that the chain never had";
}

}  // namespace
}  // namespace vg::gate
