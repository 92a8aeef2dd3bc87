// The audit chain read back row by row, newest first, for people to look at (the console's 审计 page). Reads only.
#include <SQLiteCpp/SQLiteCpp.h>

#include <algorithm>

#include "gate/ledger.h"
#include "gate/ledger_internal.h"

namespace vg::gate {

using namespace ledger_detail;

LedgerResult<std::vector<AuditEntry>> Ledger::auditEntries(const AuditEntryFilter& filter) {
    return guarded([&]() -> LedgerResult<std::vector<AuditEntry>> {
        std::string sql =
            "SELECT a.seq, a.at, a.kind, a.payload, COALESCE(p.clear, '') FROM audit_log a "
            "LEFT JOIN audit_personal p ON p.seq = a.seq WHERE a.seq < ?";
        if (filter.without_decisions) sql += " AND a.kind <> 'DECISION'";
        sql += " ORDER BY a.seq DESC LIMIT ?";
        SQLite::Statement q(impl_->db, sql);
        q.bind(1, static_cast<std::int64_t>(filter.before.value_or(INT64_MAX)));
        q.bind(2, std::clamp(filter.limit, 1, 1000));
        std::vector<AuditEntry> out;
        while (q.executeStep()) {
            AuditEntry e;
            e.seq = q.getColumn(0).getInt64();
            e.at = reqTime(q.getColumn(1));
            e.kind = q.getColumn(2).getString();
            e.payload = q.getColumn(3).getString();
            e.personal = q.getColumn(4).getString();
            out.push_back(std::move(e));
        }
        return out;
    });
}

}  // namespace vg::gate
