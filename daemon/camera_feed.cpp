#include "daemon/camera_feed.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace vg::daemon {

namespace {
vision::QrOptions cardQrOptions() {
    vision::QrOptions o;
    o.max_symbols = 1;                    // one card at a time at a card post: the cheapest zxing setting
    o.mode = vision::QrScanMode::Camera;  // one second-pass variant per frame, rotating: bounded per-frame cost
    return o;
}
// Capture (nice 0) before the readers, so a camera is read on its schedule however busy the box. QR (a few ms a
// frame) before the plate search (tens of ms), so a card is read in the first frame it can be, but not so far before
// it that an overloaded box (QR no longer keeping up) starves the plate vote: at nice 0 against 10 it did, with two
// ASan daemons on 2 cores; at 5 against 10 the plate search still gets about a quarter of a contended core.
constexpr int kQrNice = 5;
constexpr int kPlateNice = 10;
gate::TimePoint toGate(vision::FrameTime t) { return std::chrono::time_point_cast<gate::Duration>(t); }
}  // namespace

CameraFeed::CameraFeed(CameraFeedOptions options, vision::FrameClock& clock, Metrics& metrics, Post post, Event event,
                       std::unique_ptr<PlateSeer> plates)
    : options_(std::move(options)),
      clock_(clock),
      metrics_(metrics),
      post_(std::move(post)),
      plates_(std::move(plates)),
      qr_(cardQrOptions()) {
    auto source = vision::makeFrameSource(options_.source, options_.source_options, clock);
    std::vector<vision::FrameWorker::Consumer> readers;
    if (options_.read_qr) readers.push_back({"qr", [this](const vision::Frame& f) { readQr(f); }, kQrNice});
    // The plate search takes mostly what CPU is left once frames are captured and QR-read; a car's plate is voted
    // over the frames it gets.
    if (plates_) readers.push_back({"plate", [this](const vision::Frame& f) { readPlates(f); }, kPlateNice});
    if (readers.empty()) readers.push_back({"none", [this](const vision::Frame& f) { announceStreaming(f); }});
    worker_ = std::make_unique<vision::FrameWorker>(std::move(source), options_.worker_options, clock,
                                                    std::move(readers), std::move(event));
}

CameraFeed::~CameraFeed() { stop(); }

void CameraFeed::start() { worker_->start(); }
void CameraFeed::stop() { worker_->stop(); }

void CameraFeed::announceStreaming(const vision::Frame& frame) {
    if (!streaming_.test_and_set()) {
        // The first frame a reader of this camera takes, with its index and capture time: the clock of a clip played
        // as a camera (frame N was captured about N / fps after frame 0), which bench/daemon measures latency on.
        spdlog::info(
            "CAMERA_STREAMING {}",
            nlohmann::json{
                {"lane", options_.lane},
                {"camera", options_.role},
                {"index", frame.index},
                {"captured_ms",
                 std::chrono::duration_cast<std::chrono::milliseconds>(frame.captured.time_since_epoch()).count()}}
                .dump());
    }
}

void CameraFeed::readQr(const vision::Frame& frame) {
    announceStreaming(frame);
    const auto t0 = clock_.now();
    const auto reads = qr_.read(frame.image, frame.captured);
    metrics_.observeDecode(options_.lane, "qr", std::chrono::duration<double>(clock_.now() - t0).count());
    for (const auto& r : reads) {
        LaneObservation o;
        o.kind = LaneObservation::Kind::Qr;
        o.text = r.text;
        o.frame_time = toGate(frame.captured);
        o.frame = frame.image;
        post_(std::move(o));
    }
}

void CameraFeed::readPlates(const vision::Frame& frame) {
    announceStreaming(frame);
    const auto t0 = clock_.now();
    PlateLook look = plates_->read(frame.image, toGate(frame.captured));
    if (look.searched) {
        metrics_.observeDecode(options_.lane, "plate", std::chrono::duration<double>(clock_.now() - t0).count());
    } else {
        metrics_.countStillPlateFrame(options_.lane);
    }
    // A still frame is a frame looked at without a plate, like the search it repeats: the lane may end a vote on it.
    LaneObservation looked;
    looked.kind = LaneObservation::Kind::PlateFrame;
    looked.frame_time = toGate(frame.captured);
    looked.reads = static_cast<int>(look.reads.size());
    for (auto& r : look.reads) post_(std::move(r));
    post_(std::move(looked));  // after the frame's reads, on the same lane loop
}

}  // namespace vg::daemon
