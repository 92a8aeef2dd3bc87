// decisions(): the decisions of the audit log found by plate, unit, lane, reason and time, newest first. A
// decision is an audit row: kind DECISION (ledger_decide.cpp: the payload holds what the chain may show, the
// personal part the plate, the operator and the sentence), or the guard's MANUAL_OPEN / MANUAL_HOLD_OPEN
// (daemon/lane.cpp), shown as ADMIT_MANUAL.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <string>
#include <vector>

#include "gate/ledger.h"
#include "gate/ledger_internal.h"

namespace vg::gate {

using namespace ledger_detail;

namespace {

constexpr int kMaxDecisions = 10000;

std::string stringAt(const json& j, const char* key) {
    const auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::optional<TimePoint> timeAt(const json& j, const char* key) {
    const std::string text = stringAt(j, key);
    if (text.empty()) return std::nullopt;
    const auto t = parseIsoUtc(text);
    return t ? std::optional<TimePoint>(*t) : std::nullopt;
}

DecisionRecord recordOf(std::int64_t seq, const std::string& kind, const std::string& logged_at,
                        const std::string& payload_text, const std::string& personal_text) {
    const json payload = json::parse(payload_text, nullptr, false);
    const json personal = personal_text.empty() ? json::object() : json::parse(personal_text, nullptr, false);
    const json p = payload.is_object() ? payload : json::object();
    const json c = personal.is_object() ? personal : json::object();
    DecisionRecord r;
    r.seq = seq;
    r.lane = stringAt(p, "lane");
    r.operator_name = stringAt(c, "operator");
    r.message = stringAt(c, "message");
    if (kind == "DECISION") {
        r.reason = reasonFromString(stringAt(p, "reason")).value_or(Reason::DenyInternal);
        r.direction = stringAt(p, "direction");
        r.admit = p.value("admit", false);
        r.plate = stringAt(c, "plate");
        r.unit = stringAt(p, "unit");
        if (const auto s = p.find("serial"); s != p.end() && s->is_number_unsigned()) {
            r.serial = s->get<std::uint32_t>();
        }
        if (const auto v = p.find("visit"); v != p.end() && v->is_number_integer()) r.visit = v->get<std::int64_t>();
        r.plate_unread = p.value("plate_unread", false);
        r.deadline = timeAt(p, "deadline");
        if (const auto o = p.find("overstay_ms"); o != p.end() && o->is_number_integer()) {
            r.overstay = Duration(o->get<std::int64_t>());
        }
        if (const auto f = p.find("fee"); f != p.end() && f->is_number()) r.fee = f->get<double>();
        r.spooled = p.value("spooled", false);
        r.first_used_at = timeAt(c, "first_used_at");
        r.first_used_plate = stringAt(c, "first_used_plate");
        r.manual_reason = stringAt(p, "manual_reason");
        if (r.message.empty()) r.message = r.manual_reason;
    } else {
        r.reason = Reason::AdmitManual;
        r.admit = true;
        r.manual_reason = stringAt(p, "reason");  // the guard's reason for opening
        if (r.message.empty()) r.message = r.manual_reason;
    }
    const std::string at = stringAt(p, "at");
    r.at = parseIsoUtc(at.empty() ? logged_at : at).value_or(parseIsoUtc(logged_at).value_or(TimePoint{}));
    return r;
}

}  // namespace

LedgerResult<std::vector<DecisionRecord>> Ledger::decisions(const DecisionFilter& filter) {
    if (filter.limit < 1 || filter.limit > kMaxDecisions) {
        return std::unexpected(LedgerError{
            LedgerError::Kind::Invalid, fmt::format("limit {} is out of range: 1 to {}", filter.limit, kMaxDecisions)});
    }
    std::string plate;
    if (filter.plate) {
        plate = normalizePlate(*filter.plate);
        if (plate.empty()) {
            return std::unexpected(
                LedgerError{LedgerError::Kind::Invalid, fmt::format("'{}' is not a plate", *filter.plate)});
        }
    }
    return guarded([&]() -> LedgerResult<std::vector<DecisionRecord>> {
        // The decision's own time: the payload's (a back-dated --at), else when the row was written.
        std::string sql =
            "SELECT a.seq, a.kind, a.at, a.payload, COALESCE(p.clear, '') FROM audit_log a "
            "LEFT JOIN audit_personal p ON p.seq = a.seq "
            "WHERE a.kind IN ('DECISION', 'MANUAL_OPEN', 'MANUAL_HOLD_OPEN')";
        std::vector<std::string> binds;
        if (filter.before_seq) sql += fmt::format(" AND a.seq < {}", *filter.before_seq);
        if (filter.plate) {
            sql += " AND a.kind = 'DECISION' AND json_extract(p.clear, '$.plate') = ?";
            binds.push_back(plate);
        }
        if (filter.unit) {
            sql += " AND a.kind = 'DECISION' AND json_extract(a.payload, '$.unit') = ?";
            binds.push_back(*filter.unit);
        }
        if (filter.lane) {
            sql += " AND json_extract(a.payload, '$.lane') = ?";
            binds.push_back(*filter.lane);
        }
        if (filter.reason) {
            sql +=
                " AND (CASE WHEN a.kind = 'DECISION' THEN json_extract(a.payload, '$.reason') ELSE 'ADMIT_MANUAL' "
                "END) = ?";
            binds.emplace_back(toString(*filter.reason));
        }
        const char* at = " COALESCE(json_extract(a.payload, '$.at'), a.at)";
        if (filter.since) {
            sql += fmt::format(" AND{} >= ?", at);
            binds.push_back(isoUtc(*filter.since));
        }
        if (filter.until) {
            sql += fmt::format(" AND{} < ?", at);
            binds.push_back(isoUtc(*filter.until));
        }
        sql += fmt::format(" ORDER BY a.seq DESC LIMIT {}", filter.limit);
        SQLite::Statement q(impl_->db, sql);
        for (std::size_t i = 0; i < binds.size(); ++i) q.bind(static_cast<int>(i + 1), binds[i]);
        std::vector<DecisionRecord> out;
        while (q.executeStep()) {
            out.push_back(recordOf(q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString(),
                                   q.getColumn(3).getString(), q.getColumn(4).getString()));
        }
        return out;
    });
}

}  // namespace vg::gate
