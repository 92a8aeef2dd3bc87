// Where a decision's evidence lives: the frame it was taken on (downscaled JPEG) and the plate crop at native size
// (PNG), one pair per audited decision, named by the decision's audit row. The daemon writes them, the retention
// sweep deletes them, the CLI's `decisions` and the console show them: this is the one mapping they share.
// Pure; nothing throws.
#pragma once

#include <cstdint>
#include <filesystem>

#include "config/settings.h"

namespace vg::options {

struct EvidenceFiles {
    std::filesystem::path frame;  // <dir>/<seq>.jpg
    std::filesystem::path plate;  // <dir>/<seq>-plate.png
};

// The evidence folder: "evidence" beside the ledger (database.path), under the state directory.
std::filesystem::path evidenceDir(const config::Settings& s);
// The two files of the decision recorded as audit row `audit_seq`.
EvidenceFiles evidenceFiles(const std::filesystem::path& dir, std::int64_t audit_seq);
// Days evidence is kept: database.evidence_days, never more than database.retention_days.
int evidenceDays(const config::Settings& s);

}  // namespace vg::options
