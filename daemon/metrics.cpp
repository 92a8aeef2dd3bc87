#include "daemon/metrics.h"

#include <fmt/format.h>

#include <algorithm>

namespace vg::daemon {

namespace {
std::vector<double> latencyBounds() {
    return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5};
}
std::string escapeLabel(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}
}  // namespace

Histogram::Histogram(std::vector<double> bounds) : bounds_(std::move(bounds)), buckets_(bounds_.size() + 1, 0) {}

void Histogram::observe(double seconds) {
    const auto it = std::lower_bound(bounds_.begin(), bounds_.end(), seconds);
    ++buckets_[static_cast<std::size_t>(it - bounds_.begin())];
    sum_ += seconds;
    ++count_;
}

double Histogram::quantileUpperBound(double q) const {
    if (count_ == 0) return 0;
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
        cumulative += buckets_[i];
        if (static_cast<double>(cumulative) >= q * static_cast<double>(count_)) return bounds_[i];
    }
    return bounds_.empty() ? 0 : bounds_.back() * 2;
}

void Histogram::render(std::string& out, const std::string& name, const std::string& labels) const {
    const std::string sep = labels.empty() ? "" : ",";
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
        cumulative += buckets_[i];
        out += fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, bounds_[i], cumulative);
    }
    cumulative += buckets_.back();
    out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cumulative);
    out += fmt::format("{}_sum{{{}}} {}\n", name, labels, sum_);
    out += fmt::format("{}_count{{{}}} {}\n", name, labels, count_);
}

Histogram& Metrics::histogram(std::map<std::string, Histogram>& m, const std::string& key) {
    auto it = m.find(key);
    if (it == m.end()) it = m.emplace(key, Histogram(latencyBounds())).first;
    return it->second;
}

void Metrics::observeDecode(const std::string& lane, const std::string& what, double seconds) {
    std::lock_guard lock(mutex_);
    histogram(decode_, lane + '\x1f' + what).observe(seconds);
}
void Metrics::observeDecision(const std::string& lane, double seconds) {
    std::lock_guard lock(mutex_);
    histogram(decision_, lane).observe(seconds);
}
void Metrics::observeCardToRelay(const std::string& lane, double seconds) {
    std::lock_guard lock(mutex_);
    histogram(card_to_relay_, lane).observe(seconds);
}
void Metrics::countDecision(const std::string& lane, const std::string& reason) {
    std::lock_guard lock(mutex_);
    ++decisions_[{lane, reason}];
}
void Metrics::countRelayFault(const std::string& lane, const std::string& driver) {
    std::lock_guard lock(mutex_);
    ++relay_faults_[{lane, driver}];
}
void Metrics::countEvent(const std::string& lane, const std::string& event) {
    std::lock_guard lock(mutex_);
    ++events_[{lane, event}];
}
void Metrics::countOverstays(std::uint64_t n) {
    std::lock_guard lock(mutex_);
    overstays_ += n;
}
void Metrics::countEvidence(const std::string& outcome) {
    std::lock_guard lock(mutex_);
    ++evidence_[outcome];
}
void Metrics::setCarsInside(std::int64_t n) {
    std::lock_guard lock(mutex_);
    cars_inside_ = n;
}

std::uint64_t Metrics::decisions(const std::string& lane, const std::string& reason) const {
    std::lock_guard lock(mutex_);
    const auto it = decisions_.find({lane, reason});
    return it == decisions_.end() ? 0 : it->second;
}

std::uint64_t Metrics::events(const std::string& lane, const std::string& event) const {
    std::lock_guard lock(mutex_);
    const auto it = events_.find({lane, event});
    return it == events_.end() ? 0 : it->second;
}

std::uint64_t Metrics::evidence(const std::string& outcome) const {
    std::lock_guard lock(mutex_);
    const auto it = evidence_.find(outcome);
    return it == evidence_.end() ? 0 : it->second;
}

void Metrics::countStillPlateFrame(const std::string& lane) {
    std::lock_guard lock(mutex_);
    ++still_plate_frames_[lane];
}

std::uint64_t Metrics::stillPlateFrames(const std::string& lane) const {
    std::lock_guard lock(mutex_);
    const auto it = still_plate_frames_.find(lane);
    return it == still_plate_frames_.end() ? 0 : it->second;
}

std::uint64_t Metrics::relayFaults() const {
    std::lock_guard lock(mutex_);
    std::uint64_t n = 0;
    for (const auto& [k, v] : relay_faults_) n += v;
    return n;
}

std::string Metrics::render(const std::vector<CameraGauge>& cameras) const {
    std::lock_guard lock(mutex_);
    std::string out;
    out += "# HELP vg_frames_processed_total Frames handed to a reader (qr, plate), per lane and camera.\n";
    out += "# TYPE vg_frames_processed_total counter\n";
    for (const auto& c : cameras) {
        for (const auto& r : c.readers)
            out += fmt::format("vg_frames_processed_total{{lane=\"{}\",camera=\"{}\",reader=\"{}\"}} {}\n",
                               escapeLabel(c.lane), c.role, r.name, r.frames_processed);
    }
    out +=
        "# HELP vg_frames_dropped_total Frames replaced by a newer one before a reader took them (it fell "
        "behind).\n";
    out += "# TYPE vg_frames_dropped_total counter\n";
    for (const auto& c : cameras) {
        for (const auto& r : c.readers)
            out += fmt::format("vg_frames_dropped_total{{lane=\"{}\",camera=\"{}\",reader=\"{}\"}} {}\n",
                               escapeLabel(c.lane), c.role, r.name, r.frames_dropped);
    }
    out +=
        "# HELP vg_plate_frames_still_total Plate frames not searched: the view had not changed since a search "
        "that found no plate.\n";
    out += "# TYPE vg_plate_frames_still_total counter\n";
    for (const auto& [lane, v] : still_plate_frames_)
        out += fmt::format("vg_plate_frames_still_total{{lane=\"{}\"}} {}\n", escapeLabel(lane), v);
    out += "# HELP vg_camera_up 1 while the camera delivers frames.\n# TYPE vg_camera_up gauge\n";
    for (const auto& c : cameras) {
        out += fmt::format("vg_camera_up{{lane=\"{}\",camera=\"{}\"}} {}\n", escapeLabel(c.lane), c.role, c.up ? 1 : 0);
    }
    out += "# HELP vg_decode_seconds Time to read one frame (QR or plate).\n# TYPE vg_decode_seconds histogram\n";
    for (const auto& [key, h] : decode_) {
        const auto cut = key.find('\x1f');
        h.render(out, "vg_decode_seconds",
                 fmt::format("lane=\"{}\",what=\"{}\"", escapeLabel(key.substr(0, cut)), key.substr(cut + 1)));
    }
    out += "# HELP vg_decision_seconds Time the ledger took to decide and commit.\n";
    out += "# TYPE vg_decision_seconds histogram\n";
    for (const auto& [lane, h] : decision_) {
        h.render(out, "vg_decision_seconds", fmt::format("lane=\"{}\"", escapeLabel(lane)));
    }
    out += "# HELP vg_card_to_relay_seconds From the frame in which the card was first read to the relay command.\n";
    out += "# TYPE vg_card_to_relay_seconds histogram\n";
    for (const auto& [lane, h] : card_to_relay_) {
        h.render(out, "vg_card_to_relay_seconds", fmt::format("lane=\"{}\"", escapeLabel(lane)));
    }
    out += "# HELP vg_decisions_total Decisions by lane and reason code.\n# TYPE vg_decisions_total counter\n";
    for (const auto& [k, v] : decisions_) {
        out += fmt::format("vg_decisions_total{{lane=\"{}\",reason=\"{}\"}} {}\n", escapeLabel(k.first), k.second, v);
    }
    out += "# HELP vg_relay_faults_total Relay commands that failed, by lane and driver.\n";
    out += "# TYPE vg_relay_faults_total counter\n";
    for (const auto& [k, v] : relay_faults_) {
        out +=
            fmt::format("vg_relay_faults_total{{lane=\"{}\",driver=\"{}\"}} {}\n", escapeLabel(k.first), k.second, v);
    }
    out +=
        "# HELP vg_lane_events_total Faults and suspicions that are no decision (TAILGATE_SUSPECTED, "
        "BARRIER_NOT_OPENED), by lane and event.\n";
    out += "# TYPE vg_lane_events_total counter\n";
    for (const auto& [k, v] : events_) {
        out += fmt::format("vg_lane_events_total{{lane=\"{}\",event=\"{}\"}} {}\n", escapeLabel(k.first), k.second, v);
    }
    out +=
        "# HELP vg_evidence_total Evidence frames of decisions: written, dropped (the writer fell behind), "
        "failed.\n";
    out += "# TYPE vg_evidence_total counter\n";
    for (const auto& [outcome, v] : evidence_)
        out += fmt::format("vg_evidence_total{{outcome=\"{}\"}} {}\n", outcome, v);
    out += "# HELP vg_overstays_total Visits that became overstays (OVERSTAY_STARTED).\n";
    out += "# TYPE vg_overstays_total counter\n";
    out += fmt::format("vg_overstays_total {}\n", overstays_);
    if (cars_inside_ >= 0) {
        out += "# HELP vg_cars_inside Cars currently inside on vouchers.\n# TYPE vg_cars_inside gauge\n";
        out += fmt::format("vg_cars_inside {}\n", cars_inside_);
    }
    return out;
}

}  // namespace vg::daemon
