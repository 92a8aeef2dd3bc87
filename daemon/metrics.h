// The daemon's counters and histograms, rendered as Prometheus text for /metrics. Lanes and camera threads
// update it; the HTTP handler renders it. Thread-safe (one mutex; every call is a few additions). Never throws
// except std::bad_alloc.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace vg::daemon {

class Histogram {
  public:
    explicit Histogram(std::vector<double> bounds);
    void observe(double seconds);
    // Prometheus lines for `name` with `labels` ("lane=\"entry-1\"", may be empty).
    void render(std::string& out, const std::string& name, const std::string& labels) const;
    std::uint64_t count() const { return count_; }
    // The smallest bucket bound below which at least q of the observations fall (upper estimate), or 0.
    double quantileUpperBound(double q) const;

  private:
    std::vector<double> bounds_;
    std::vector<std::uint64_t> buckets_;  // cumulative at render time; per-bucket here
    double sum_ = 0;
    std::uint64_t count_ = 0;
};

// Per-lane camera figures the App collects from its FrameWorkers at render time.
struct CameraGauge {
    std::string lane;
    std::string role;  // "plate", "card" or "plate+card"
    struct Reader {
        std::string name;  // "qr" or "plate": each reader of a camera has its own thread and keeps what it can
        std::uint64_t frames_processed = 0;
        std::uint64_t frames_dropped = 0;
    };
    std::vector<Reader> readers;
    double frame_age_seconds = -1;  // -1: no frame yet
    bool up = false;
};

class Metrics {
  public:
    void observeDecode(const std::string& lane, const std::string& what, double seconds);  // what: "qr", "plate"
    void observeDecision(const std::string& lane, double seconds);                         // the ledger call
    void observeCardToRelay(const std::string& lane, double seconds);
    void countDecision(const std::string& lane, const std::string& reason);
    void countRelayFault(const std::string& lane, const std::string& driver);
    // Faults and suspicions that are no decision: TAILGATE_SUSPECTED, BARRIER_NOT_OPENED.
    void countEvent(const std::string& lane, const std::string& event);
    void countOverstays(std::uint64_t n);
    // Evidence frames by outcome: "written", "dropped" (the writer's queue was full), "failed" (encoding, disk).
    void countEvidence(const std::string& outcome);
    // A plate frame not searched: the view had not changed since a search that found no plate (StillScene).
    void countStillPlateFrame(const std::string& lane);
    void setCarsInside(std::int64_t n);

    std::string render(const std::vector<CameraGauge>& cameras) const;
    std::uint64_t decisions(const std::string& lane, const std::string& reason) const;
    std::uint64_t relayFaults() const;
    std::uint64_t events(const std::string& lane, const std::string& event) const;
    std::uint64_t evidence(const std::string& outcome) const;
    std::uint64_t stillPlateFrames(const std::string& lane) const;

  private:
    Histogram& histogram(std::map<std::string, Histogram>& m, const std::string& key);
    mutable std::mutex mutex_;
    std::map<std::string, Histogram> decode_;         // key: lane\x1fwhat
    std::map<std::string, Histogram> decision_;       // key: lane
    std::map<std::string, Histogram> card_to_relay_;  // key: lane
    std::map<std::pair<std::string, std::string>, std::uint64_t> decisions_;
    std::map<std::pair<std::string, std::string>, std::uint64_t> relay_faults_;
    std::map<std::pair<std::string, std::string>, std::uint64_t> events_;
    std::map<std::string, std::uint64_t> evidence_;
    std::map<std::string, std::uint64_t> still_plate_frames_;  // key: lane
    std::uint64_t overstays_ = 0;
    std::int64_t cars_inside_ = -1;
};

}  // namespace vg::daemon
