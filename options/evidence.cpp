#include "options/evidence.h"

#include <algorithm>
#include <string>

namespace vg::options {

std::filesystem::path evidenceDir(const config::Settings& s) {
    const auto& db = s.database.path;
    return (db.has_parent_path() ? db.parent_path() : std::filesystem::path(".")) / "evidence";
}

EvidenceFiles evidenceFiles(const std::filesystem::path& dir, std::int64_t audit_seq) {
    const std::string seq = std::to_string(audit_seq);
    return {dir / (seq + ".jpg"), dir / (seq + "-plate.png")};
}

int evidenceDays(const config::Settings& s) { return std::min(s.database.evidence_days, s.database.retention_days); }

}  // namespace vg::options
