#include "daemon/evidence_writer.h"

#include <spdlog/spdlog.h>

#include <charconv>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <vector>

#include "daemon/logging.h"
#include "options/evidence.h"

namespace vg::daemon {

namespace fs = std::filesystem;

namespace {

// Encodes into `path` under a temporary name, then renames it into place.
std::string writeImage(const fs::path& path, const std::string& ext, const cv::Mat& image,
                       const std::vector<int>& params) {
    std::vector<uchar> bytes;
    try {
        if (!cv::imencode(ext, image, bytes, params)) return "cannot encode " + path.filename().string();
    } catch (const cv::Exception& e) {
        return "cannot encode " + path.filename().string() + ": " + e.what();
    }
    fs::path tmp = path;
    tmp += ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
        out.close();
        if (!out) {
            std::error_code ec;
            fs::remove(tmp, ec);
            return "cannot write " + tmp.string();
        }
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        fs::remove(tmp, ec);
        return "cannot rename into " + path.string() + ": " + ec.message();
    }
    return "";
}

// "<seq>.jpg", "<seq>-plate.png" and their ".tmp" leftovers: the files this writer makes.
bool isEvidenceName(const std::string& name) {
    std::string_view n = name;
    if (n.ends_with(".tmp")) n.remove_suffix(4);
    if (n.ends_with("-plate.png")) {
        n.remove_suffix(10);
    } else if (n.ends_with(".jpg")) {
        n.remove_suffix(4);
    } else {
        return false;
    }
    std::int64_t seq = 0;
    const auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), seq);
    return !n.empty() && ec == std::errc{} && end == n.data() + n.size();
}

}  // namespace

std::string writeEvidence(const fs::path& dir, std::int64_t audit_seq, const Evidence& e) {
    if (e.frame.empty()) return "no frame";
    const auto files = options::evidenceFiles(dir, audit_seq);
    cv::Mat small = e.frame;
    if (e.frame.cols > kEvidenceWidth) {
        const int height = std::max(1, e.frame.rows * kEvidenceWidth / e.frame.cols);
        cv::resize(e.frame, small, cv::Size(kEvidenceWidth, height), 0, 0, cv::INTER_AREA);
    }
    std::string error = writeImage(files.frame, ".jpg", small, {cv::IMWRITE_JPEG_QUALITY, kEvidenceJpegQuality});
    if (!error.empty()) return error;
    if (e.plate) {
        const cv::Rect box = *e.plate & cv::Rect(0, 0, e.frame.cols, e.frame.rows);
        if (!box.empty()) error = writeImage(files.plate, ".png", e.frame(box), {});
    }
    return error;
}

std::expected<int, std::string> purgeEvidence(const fs::path& dir, gate::TimePoint cutoff) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) return std::unexpected("cannot read " + dir.string() + ": " + ec.message());
    int removed = 0;
    for (const auto& entry : it) {
        if (!entry.is_regular_file(ec) || !isEvidenceName(entry.path().filename().string())) continue;
        const auto written = fs::last_write_time(entry.path(), ec);
        if (ec) continue;
        if (std::chrono::file_clock::to_sys(written) >= cutoff) continue;
        if (fs::remove(entry.path(), ec)) ++removed;
    }
    return removed;
}

EvidenceWriter::EvidenceWriter(fs::path dir, std::size_t capacity, Metrics& metrics)
    : dir_(std::move(dir)), capacity_(capacity), metrics_(metrics) {}

EvidenceWriter::~EvidenceWriter() {
    {
        std::lock_guard lock(m_);
        stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void EvidenceWriter::start() {
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
}

bool EvidenceWriter::submit(std::int64_t audit_seq, Evidence e) {
    {
        std::lock_guard lock(m_);
        if (queue_.size() < capacity_) {
            queue_.push_back(Job{audit_seq, std::move(e)});
            wake_.notify_one();
            return true;
        }
    }
    metrics_.countEvidence("dropped");
    spdlog::warn("EVIDENCE_DROPPED {}", dumpJson({{"audit_seq", audit_seq},
                                                  {"queued", capacity_},
                                                  {"note", "the evidence writer is behind; the decision is kept"}}));
    return false;
}

void EvidenceWriter::purge(gate::TimePoint cutoff) {
    {
        std::lock_guard lock(m_);
        purge_ = cutoff;
    }
    wake_.notify_one();
}

void EvidenceWriter::flush() {
    std::unique_lock lock(m_);
    idle_.wait(lock, [this] { return (queue_.empty() && !purge_ && !busy_) || !thread_.joinable(); });
}

void EvidenceWriter::run() {
    std::unique_lock lock(m_);
    for (;;) {
        wake_.wait(lock, [this] { return stop_ || !queue_.empty() || purge_; });
        if (!queue_.empty()) {
            Job job = std::move(queue_.front());
            queue_.pop_front();
            busy_ = true;
            lock.unlock();
            const std::string error = writeEvidence(dir_, job.audit_seq, job.evidence);
            if (error.empty()) {
                metrics_.countEvidence("written");
            } else {
                metrics_.countEvidence("failed");
                spdlog::error("EVIDENCE_FAILED {}", dumpJson({{"audit_seq", job.audit_seq},
                                                              {"error", error},
                                                              {"note", "the decision is kept, without its frame"}}));
            }
            lock.lock();
            busy_ = false;
        } else if (purge_) {
            const gate::TimePoint cutoff = *purge_;
            purge_.reset();
            busy_ = true;
            lock.unlock();
            const auto purged = purgeEvidence(dir_, cutoff);
            if (!purged) {
                spdlog::error("EVIDENCE_PURGE_FAILED {}", dumpJson({{"error", purged.error()}}));
            } else if (*purged > 0) {
                spdlog::info("EVIDENCE_PURGED {}", dumpJson({{"files", *purged}}));
            }
            lock.lock();
            busy_ = false;
        } else if (stop_) {
            break;
        }
        if (queue_.empty() && !purge_) idle_.notify_all();
    }
    idle_.notify_all();
}

}  // namespace vg::daemon
