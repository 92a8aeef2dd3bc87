// The pass at the barrier: decide() and decideOnce() gather the facts (the Impl queries here), apply the pure
// rules of rules.cpp and commit the decision with its audit row in one transaction, or fail closed (and spool
// an exit, rule 8); confirm() for the guard's answer to a held car; the replay of spooled exits through the
// same pass; recordEvent(); and the audit append (Impl::appendAudit) every change of the ledger makes.
#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "gate/exit_spool.h"
#include "gate/input_check.h"
#include "gate/ledger.h"
#include "gate/ledger_internal.h"

namespace vg::gate {

using namespace ledger_detail;

namespace {

std::string localDate(const SiteZone& zone, TimePoint t) { return zone.formatLocal(t, "%Y-%m-%d"); }

json decisionPayload(const Decision& d) {
    json p{{"reason", toString(d.reason)},       {"admit", d.admit},   {"lane", d.lane},
           {"direction", toString(d.direction)}, {"at", isoUtc(d.at)}, {"plate_unread", d.plate_unread}};
    if (d.visit) p["visit"] = *d.visit;
    if (d.serial) p["serial"] = *d.serial;
    if (!d.unit.empty()) p["unit"] = d.unit;
    if (d.deadline) p["deadline"] = isoUtc(*d.deadline);
    if (d.overstay) p["overstay_ms"] = d.overstay->count();
    if (d.fee) p["fee"] = *d.fee;
    if (d.spooled) p["spooled"] = true;
    return p;
}

// Text that cannot be stored as given (not UTF-8, control characters) in what the caller observed. The daemon's
// readers never produce such text; this stops any other path from half-storing it (or storing it once as raw
// bytes and once, in the audit row, as U+FFFD).
std::optional<std::string> observationProblem(const Observation& obs, const std::optional<Manual>& manual) {
    if (obs.plate) {
        if (auto p = textProblem("plate", obs.plate->text)) return p;
    }
    if (auto p = textProblem("lane", obs.lane)) return p;
    if (manual) return manualProblem(*manual);
    return std::nullopt;
}

Decision refuseObservation(const Observation& obs, const RuleSettings& settings, TimePoint now,
                           const std::string& problem) {
    Decision d;
    if (!textProblem("lane", obs.lane)) d.lane = obs.lane;
    d.direction = obs.direction;
    d.at = obs.at.value_or(now);
    d.plate_unread = true;
    if (obs.direction == Direction::Entry) {
        d.reason = Reason::DenyInternal;
    } else {
        d.reason = settings.exit_on_error == OnError::Open ? Reason::ReleaseOnError : Reason::HoldOnError;
    }
    d.message = fmt::format("{}; nothing was recorded", problem);
    d.admit = opensBarrier(d.reason);
    return d;
}

}  // namespace

std::optional<std::string> ledger_detail::manualProblem(const Manual& manual) {
    if (auto p = textProblem("operator", manual.operator_name)) return p;
    return textProblem("reason", manual.reason);
}

std::int64_t Ledger::Impl::appendAudit(const AuditKey& key, std::string_view kind, const json& payload, TimePoint now,
                                       const json& personal) {
    AuditRow row;
    std::string prev = kAuditGenesisHash;
    std::int64_t seq = 1;
    {
        SQLite::Statement last(db, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
        if (last.executeStep()) {
            seq = last.getColumn(0).getInt64() + 1;
            prev = last.getColumn(1).getString();
        }
    }
    row.seq = seq;
    row.at = isoUtc(now);
    row.kind = std::string(kind);
    if (!actor.empty() && payload.is_object() && !payload.contains("by")) {
        json with_actor = payload;
        with_actor["by"] = actor;
        row.payload = with_actor.dump(-1, ' ', false, json::error_handler_t::strict);
    } else {
        row.payload = payload.dump(-1, ' ', false, json::error_handler_t::strict);
    }
    std::string salt;
    std::string clear;
    if (!personal.is_null() && !personal.empty()) {
        salt = randomSaltHex();
        clear = personal.dump(-1, ' ', false, json::error_handler_t::strict);
        row.subject_commitment = commitPersonal(salt, clear);
    }
    row.prev_hash = prev;
    row.hash = auditRowHash(key, row);
    SQLite::Statement ins(db,
                          "INSERT INTO audit_log(seq, at, kind, payload, subject_commitment, prev_hash, hash) "
                          "VALUES(?,?,?,?,?,?,?)");
    ins.bind(1, row.seq);
    ins.bind(2, row.at);
    ins.bind(3, row.kind);
    ins.bind(4, row.payload);
    ins.bind(5, row.subject_commitment);
    ins.bind(6, row.prev_hash);
    ins.bind(7, row.hash);
    ins.exec();
    if (!salt.empty()) {
        SQLite::Statement p(db, "INSERT INTO audit_personal(seq, salt, clear) VALUES(?,?,?)");
        p.bind(1, row.seq);
        p.bind(2, salt);
        p.bind(3, clear);
        p.exec();
    }
    return seq;
}

std::optional<TimePoint> Ledger::Impl::newestRecord() {
    SQLite::Statement q(db, "SELECT MAX(at) FROM audit_log");
    if (!q.executeStep()) return std::nullopt;
    return optTime(q.getColumn(0));
}

std::vector<OpenVisitFacts> Ledger::Impl::inside() {
    std::vector<OpenVisitFacts> out;
    SQLite::Statement q(db,
                        "SELECT v.id, v.serial, h.unit, COALESCE(v.plate, ''), v.plate_unread, v.entered_at, "
                        "v.deadline FROM visits v JOIN households h ON h.id = v.household_id "
                        "WHERE v.exited_at IS NULL AND v.voided_at IS NULL ORDER BY v.entered_at");
    while (q.executeStep()) {
        out.push_back(OpenVisitFacts{.id = q.getColumn(0).getInt64(),
                                     .serial = static_cast<std::uint32_t>(q.getColumn(1).getInt64()),
                                     .unit = q.getColumn(2).getString(),
                                     .plate = q.getColumn(3).getString(),
                                     .plate_unread = q.getColumn(4).getInt() != 0,
                                     .entered_at = reqTime(q.getColumn(5)),
                                     .deadline = reqTime(q.getColumn(6))});
    }
    return out;
}

std::optional<VoucherFacts> Ledger::Impl::voucherFacts(std::uint32_t serial) {
    SQLite::Statement q(db,
                        "SELECT v.serial, h.unit, h.category, v.month, v.revoked_at IS NOT NULL, "
                        "v.replaced_by IS NOT NULL, h.removed_at IS NOT NULL FROM vouchers v "
                        "JOIN households h ON h.id = v.household_id WHERE v.serial = ?");
    q.bind(1, static_cast<std::int64_t>(serial));
    if (!q.executeStep()) return std::nullopt;
    VoucherFacts f;
    f.serial = serial;
    f.unit = q.getColumn(1).getString();
    f.category = q.getColumn(2).getString();
    f.month = YearMonth::fromIndex(q.getColumn(3).getInt());
    f.revoked = q.getColumn(4).getInt() != 0;
    f.replaced = q.getColumn(5).getInt() != 0;
    f.household_removed = q.getColumn(6).getInt() != 0;
    SQLite::Statement v(db,
                        "SELECT id, COALESCE(plate, ''), plate_unread, entered_at, deadline, exited_at "
                        "FROM visits WHERE serial = ? AND (voided_at IS NULL OR voucher_restored = 0) "
                        "ORDER BY id DESC LIMIT 1");
    v.bind(1, static_cast<std::int64_t>(serial));
    if (v.executeStep()) {
        f.visit_id = v.getColumn(0).getInt64();
        f.visit_plate = v.getColumn(1).getString();
        f.visit_plate_unread = v.getColumn(2).getInt() != 0;
        f.visit_entered_at = reqTime(v.getColumn(3));
        f.visit_deadline = reqTime(v.getColumn(4));
        f.visit_exited_at = optTime(v.getColumn(5));
        if (!f.visit_exited_at) {
            // A voided (not restored) visit still consumed the voucher but the car is not inside.
            SQLite::Statement voided(db, "SELECT voided_at IS NOT NULL FROM visits WHERE id = ?");
            voided.bind(1, *f.visit_id);
            if (voided.executeStep() && voided.getColumn(0).getInt() != 0) f.visit_exited_at = f.visit_entered_at;
        }
    }
    return f;
}

std::optional<bool> Ledger::Impl::plateResident(const std::string& plate, const SiteZone& zone, TimePoint t) {
    SQLite::Statement q(db, "SELECT kind, until FROM vehicles WHERE plate = ?");
    q.bind(1, plate);
    if (!q.executeStep()) return std::nullopt;
    const std::string kind = q.getColumn(0).getString();
    if (!q.getColumn(1).isNull() && q.getColumn(1).getString() < localDate(zone, t)) return std::nullopt;
    return kind == "resident";
}

Decision Ledger::decide(const Observation& obs, const RuleSettings& settings, TimePoint now, bool dry_run,
                        const std::optional<Manual>& manual) {
    if (auto problem = observationProblem(obs, manual)) return refuseObservation(obs, settings, now, *problem);
    if (auto w = writable("a decision"); !w && !dry_run)
        return refuseObservation(obs, settings, now, w.error().message);
    std::error_code ec;
    const auto spooled = options_.spool_path.empty() ? 0 : std::filesystem::file_size(options_.spool_path, ec);
    int replayed = 0;
    if (!dry_run && !options_.read_only && !ec && spooled > 0) {
        // A failure leaves the spool as it was, for the next decision or the daemon's sweep to replay.
        replayed = replaySpool(settings, now).value_or(0);
    }
    auto d = decideOnce(obs, settings, now, dry_run, manual, std::nullopt, std::nullopt);
    d.spool_replayed = replayed;
    return d;
}

Decision Ledger::decideOnce(const Observation& obs, const RuleSettings& settings, TimePoint now, bool dry_run,
                            const std::optional<Manual>& manual, const std::optional<std::string>& spool_event_id,
                            std::optional<Reason> refusal) {
    auto& db = impl_->db;
    std::string failure;
    // Two attempts: if a racing process consumed the voucher between our read and our write, the unique
    // indexes refuse our insert and the second attempt sees the first use.
    for (int attempt = 0; attempt < 2; ++attempt) {
        try {
            // A decision (and a dry run, which answers as the real one would, locked ledger included) takes
            // the write lock up front; a read-only ledger can only answer dry runs, from a read snapshot.
            const bool snapshot = dry_run && options_.read_only;
            SQLite::Transaction tx(
                db, snapshot ? SQLite::TransactionBehavior::DEFERRED : SQLite::TransactionBehavior::IMMEDIATE);
            if (spool_event_id) {
                SQLite::Statement seen(db, "SELECT 1 FROM spool_applied WHERE event_id = ?");
                seen.bind(1, *spool_event_id);
                if (seen.executeStep())
                    return Decision{.reason = Reason::ReleaseOnError, .message = "already replayed"};
            }
            LedgerFacts facts;
            facts.newest_record = impl_->newestRecord();
            const TimePoint t = obs.at.value_or(now);
            const bool read = plateRead(obs, settings);
            const std::string plate = read ? normalizePlate(obs.plate->text) : std::string{};
            if (read) facts.plate_resident = impl_->plateResident(plate, zone_, t);
            if (obs.token) {
                auto payload = decodeToken(*obs.token, keys_);
                if (!payload) {
                    facts.token_error = payload.error();
                } else {
                    facts.token = *payload;
                    facts.voucher = impl_->voucherFacts(payload->serial);
                    facts.token_unknown_serial = !facts.voucher.has_value();
                }
            }
            facts.inside = impl_->inside();
            Ruling ruling = gate::decide(obs, facts, settings, zone_, now);
            Decision& d = ruling.decision;
            if (refusal) {
                d.reason = *refusal;
                d.admit = false;
                d.message = fmt::format("refused by the guard {}: {}", manual ? manual->operator_name : "",
                                        manual ? manual->reason : "");
                ruling.effect = {};
            }
            if (dry_run) return d;  // the transaction rolls back: nothing written

            const auto entry_month = zone_.monthOf(d.at).index();
            switch (ruling.effect.kind) {
                case EffectKind::StartVisit: {
                    SQLite::Statement hh(db, "SELECT household_id FROM vouchers WHERE serial = ?");
                    hh.bind(1, static_cast<std::int64_t>(*d.serial));
                    if (!hh.executeStep()) throw std::runtime_error("voucher vanished during the decision");
                    SQLite::Statement ins(db,
                                          "INSERT INTO visits(serial, household_id, plate, plate_unread, entry_lane, "
                                          "entered_at, deadline, month) VALUES(?,?,?,?,?,?,?,?)");
                    ins.bind(1, static_cast<std::int64_t>(*d.serial));
                    ins.bind(2, hh.getColumn(0).getInt64());
                    if (ruling.effect.plate.empty()) {
                        ins.bind(3);
                    } else {
                        ins.bind(3, ruling.effect.plate);
                    }
                    ins.bind(4, ruling.effect.plate_unread ? 1 : 0);
                    ins.bind(5, d.lane);
                    ins.bind(6, isoUtc(d.at));
                    ins.bind(7, isoUtc(ruling.effect.deadline));
                    ins.bind(8, entry_month);
                    ins.exec();
                    d.visit = db.getLastInsertRowid();
                    break;
                }
                case EffectKind::CloseVisit: {
                    SQLite::Statement up(db,
                                         "UPDATE visits SET exited_at = ?, exit_lane = ?, overstay_ms = ?, fee = ?, "
                                         "plate = CASE WHEN ? <> '' THEN ? ELSE plate END "
                                         "WHERE id = ? AND exited_at IS NULL AND voided_at IS NULL");
                    up.bind(1, isoUtc(d.at));
                    up.bind(2, d.lane);
                    if (ruling.effect.overstay) {
                        up.bind(3, static_cast<std::int64_t>(ruling.effect.overstay->count()));
                    } else {
                        up.bind(3);
                    }
                    if (ruling.effect.fee) {
                        up.bind(4, *ruling.effect.fee);
                    } else {
                        up.bind(4);
                    }
                    up.bind(5, ruling.effect.plate);
                    up.bind(6, ruling.effect.plate);
                    up.bind(7, *ruling.effect.visit);
                    if (up.exec() != 1) throw std::runtime_error("the visit to close is no longer open");
                    break;
                }
                case EffectKind::None:
                case EffectKind::RecordPlate:
                    break;
            }
            json payload = decisionPayload(d);
            json personal = json::object();
            if (!d.plate.empty()) personal["plate"] = d.plate;
            // The sentence may name plates ("already used ... by 沪A12345"): personal, purged with them.
            if (!d.message.empty()) personal["message"] = d.message;
            // DENY_VOUCHER_USED: when and by which car the voucher was used, for the sentence in other words.
            if (d.first_used_at) personal["first_used_at"] = isoUtc(*d.first_used_at);
            if (!d.first_used_plate.empty()) personal["first_used_plate"] = d.first_used_plate;
            if (obs.plate && !obs.plate->text.empty()) {
                personal["plate_seen"] = obs.plate->text;
                payload["plate_confidence"] = obs.plate->confidence;
            }
            if (manual) {
                personal["operator"] = manual->operator_name;
                payload["manual_reason"] = manual->reason;
                payload["manual"] = true;
            }
            if (obs.at) payload["recorded_at"] = isoUtc(now);
            if (spool_event_id) {
                payload["spool_event"] = *spool_event_id;
                SQLite::Statement sa(db, "INSERT INTO spool_applied(event_id, applied_at) VALUES(?, ?)");
                sa.bind(1, *spool_event_id);
                sa.bind(2, isoUtc(now));
                sa.exec();
            }
            d.audit_seq = impl_->appendAudit(audit_key_, "DECISION", payload, now, personal);
            tx.commit();
            return d;
        } catch (const SQLite::Exception& e) {
            failure = fromException(e).message;
            if (e.getErrorCode() == SQLITE_CONSTRAINT && attempt == 0) continue;
            break;
        } catch (const std::exception& e) {
            failure = fromException(e).message;
            break;
        }
    }
    // Fail closed at entry; at an exit, open (or hold) and spool so that nothing is lost (rule 8).
    Decision d;
    d.lane = obs.lane;
    d.direction = obs.direction;
    d.at = obs.at.value_or(now);
    d.plate_unread = !plateRead(obs, settings);
    if (!d.plate_unread) d.plate = normalizePlate(obs.plate->text);
    if (obs.direction == Direction::Entry || spool_event_id) {
        d.reason = Reason::DenyInternal;
        d.message = fmt::format("entry refused, the ledger failed: {}", failure);
        if (spool_event_id) d.reason = Reason::ReleaseOnError;
    } else {
        d.reason = settings.exit_on_error == OnError::Open ? Reason::ReleaseOnError : Reason::HoldOnError;
        if (dry_run) {
            d.message = fmt::format("the ledger failed ({}); a real exit would be spooled for replay", failure);
        } else {
            d.spooled = spool(obs, now);
            d.message = d.spooled ? fmt::format("the ledger failed ({}); exit decision spooled for replay", failure)
                                  : fmt::format(
                                        "the ledger failed ({}) and the exit spool {} could not be written "
                                        "either: this exit is recorded nowhere but in the log",
                                        failure, options_.spool_path.string());
        }
    }
    d.admit = opensBarrier(d.reason);
    return d;
}

bool Ledger::spool(const Observation& obs, TimePoint now) { return ExitSpool(options_.spool_path).append(obs, now); }

LedgerResult<int> Ledger::replaySpool(const RuleSettings& settings, TimePoint now) {
    if (auto w = writable("replaying the exit spool"); !w) return std::unexpected(w.error());
    // The spooled car has already left through the open barrier: holding it for the guard would leave its
    // visit open for ever, so a replayed overstay is always released (and recorded).
    RuleSettings replay_settings = settings;
    replay_settings.overstay_exit = OnError::Open;
    return ExitSpool(options_.spool_path).replay([&](const Observation& obs, const std::string& event_id) {
        const Manual manual{"spool", "exit decided while the ledger was unavailable, replayed"};
        auto d = decideOnce(obs, replay_settings, now, false, manual, event_id, std::nullopt);
        if (d.audit_seq > 0) return ExitSpool::Replayed::Applied;
        // decideOnce()'s answer for an event an earlier replay applied but could not clear from the file.
        return d.message == "already replayed" ? ExitSpool::Replayed::AlreadyApplied : ExitSpool::Replayed::Failed;
    });
}

Decision Ledger::confirm(const Observation& held, const RuleSettings& settings, TimePoint now, const Manual& manual,
                         bool refuse, const std::optional<std::string>& plate) {
    // What the guard typed is checked first, and a command that cannot be taken as given never opens: an exit's
    // "open on an internal error" is for a ledger that fails while a car waits, not for a refusal or a reason that
    // cannot be stored (the car stays held; the guard is told why). A guard's refusal never opens, whatever fails.
    RuleSettings hold_on_error = settings;
    hold_on_error.exit_on_error = OnError::Hold;
    auto problem = observationProblem(held, manual);
    std::optional<std::string> typed_plate;
    if (!problem && plate && !plate->empty()) {
        if (auto checked = checkPlate("plate", *plate)) {
            typed_plate = *checked;
        } else {
            problem = checked.error();
        }
    }
    if (problem) return refuseObservation(held, hold_on_error, now, *problem);
    if (auto w = writable("a guard's confirmation"); !w)
        return refuseObservation(held, refuse ? hold_on_error : settings, now, w.error().message);
    if (refuse) return decideOnce(held, settings, now, false, manual, std::nullopt, Reason::DenyGuardRefused);
    Observation obs = held;
    RuleSettings s = settings;
    if (typed_plate) {
        obs.plate = PlateSeen{*typed_plate, 1.0};
    } else {
        // The guard vouches that a vehicle is there: admit with the plate unread (rule 13).
        s.unread_plate = UnreadPlatePolicy::Presence;
        obs.presence = Presence::Present;
    }
    s.overstay_exit = OnError::Open;  // a held overstay is released by the guard's answer
    s.min_plate_confidence = std::min(s.min_plate_confidence, 1.0);
    return decideOnce(obs, s, now, false, manual, std::nullopt, std::nullopt);
}

LedgerResult<std::int64_t> Ledger::recordEvent(std::string_view kind, const std::string& payload_json, TimePoint now,
                                               const std::string& personal_json) {
    if (auto w = writable("recording an event"); !w) return std::unexpected(w.error());
    return guarded([&]() -> LedgerResult<std::int64_t> {
        SQLite::Transaction tx(impl_->db, SQLite::TransactionBehavior::IMMEDIATE);
        json payload = json::parse(payload_json, nullptr, false);
        if (payload.is_discarded()) payload = json{{"text", payload_json}};
        json personal = personal_json.empty() ? json() : json::parse(personal_json, nullptr, false);
        if (personal.is_discarded()) personal = json{{"text", personal_json}};
        const auto seq = impl_->appendAudit(audit_key_, kind, payload, now, personal);
        tx.commit();
        return seq;
    });
}

}  // namespace vg::gate
