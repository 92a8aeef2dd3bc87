// Evidence frames (issue 15): for each audited decision taken on a camera frame, that frame downscaled to at most
// kEvidenceWidth pixels wide (JPEG) and the plate crop at native size (PNG), in options::evidenceFiles(dir, audit_seq).
// Writing never holds back a lane: lanes hand a decision's frame to EvidenceWriter::submit(), which only queues it
// (cv::Mat copies share their pixels) and drops it, counted and logged, when the bounded queue is full; the writer's
// own thread encodes and writes, each file under a temporary name renamed into place, so a reader never sees half a
// file. A failed write is logged (EVIDENCE_FAILED) and counted; the decision itself is already in the ledger.
// purge() deletes, on the same thread, evidence written before a cutoff (database.evidence_days).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <expected>
#include <filesystem>
#include <mutex>
#include <opencv2/core.hpp>
#include <optional>
#include <string>
#include <thread>

#include "daemon/metrics.h"
#include "gate/site_time.h"

namespace vg::daemon {

inline constexpr int kEvidenceWidth = 960;  // the frame is kept at most this wide
inline constexpr int kEvidenceJpegQuality = 85;

// What a decision was taken on: the camera frame, and the plate's box in it when a plate was read.
struct Evidence {
    cv::Mat frame;
    std::optional<cv::Rect> plate;
};

// Writes the decision's files into `dir` (which must exist): the frame, and the crop when there is a plate box
// inside the frame. Returns "" or what went wrong. Any thread; nothing throws.
std::string writeEvidence(const std::filesystem::path& dir, std::int64_t audit_seq, const Evidence& e);
// Deletes the evidence files in `dir` last written before `cutoff` (and temporary files a crash left); other
// files are left alone. Returns how many files went, or why the folder could not be read.
std::expected<int, std::string> purgeEvidence(const std::filesystem::path& dir, gate::TimePoint cutoff);

class EvidenceWriter {
  public:
    // Queues at most `capacity` decisions. The thread starts with start(); until then submit() only queues.
    EvidenceWriter(std::filesystem::path dir, std::size_t capacity, Metrics& metrics);
    ~EvidenceWriter();  // writes what is queued, then joins
    EvidenceWriter(const EvidenceWriter&) = delete;
    EvidenceWriter& operator=(const EvidenceWriter&) = delete;

    void start();
    // Any thread; never waits for the disk. False when the queue was full and the evidence dropped.
    bool submit(std::int64_t audit_seq, Evidence e);
    // Any thread: deletes evidence written before `cutoff`, after the writes queued before it. One purge is pending
    // at most (the latest cutoff wins); it is never dropped.
    void purge(gate::TimePoint cutoff);
    // Waits until everything queued so far is written and any purge done (tests; needs start()).
    void flush();
    const std::filesystem::path& dir() const { return dir_; }

  private:
    struct Job {
        std::int64_t audit_seq = 0;
        Evidence evidence;
    };
    void run();

    std::filesystem::path dir_;
    std::size_t capacity_;
    Metrics& metrics_;
    std::mutex m_;
    std::condition_variable wake_;
    std::condition_variable idle_;
    std::deque<Job> queue_;
    std::optional<gate::TimePoint> purge_;
    bool busy_ = false;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace vg::daemon
