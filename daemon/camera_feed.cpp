#include "daemon/camera_feed.h"

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace vg::daemon {

namespace {
vision::QrOptions cardQrOptions() {
    vision::QrOptions o;
    o.max_symbols = 1;  // one card at a time at a card post: the cheapest zxing setting
    o.mode = vision::QrScanMode::Camera;  // one second-pass variant per frame, rotating: bounded per-frame cost
    return o;
}
gate::TimePoint toGate(vision::FrameTime t) {
    return std::chrono::time_point_cast<gate::Duration>(t);
}
}  // namespace

CameraFeed::CameraFeed(CameraFeedOptions options, vision::FrameClock& clock, Metrics& metrics, Post post,
                       Event event, std::unique_ptr<PlateSeer> plates)
    : options_(std::move(options)), metrics_(metrics), post_(std::move(post)), plates_(std::move(plates)),
      qr_(cardQrOptions()) {
    auto source = vision::makeFrameSource(options_.source, options_.source_options, clock);
    worker_ = std::make_unique<vision::FrameWorker>(
        std::move(source), options_.worker_options, clock, [this](const vision::Frame& f) { onFrame(f); },
        std::move(event));
}

CameraFeed::~CameraFeed() { stop(); }

void CameraFeed::start() { worker_->start(); }
void CameraFeed::stop() { worker_->stop(); }

void CameraFeed::onFrame(const vision::Frame& frame) {
    const gate::TimePoint at = toGate(frame.captured);
    if (!streaming_) {
        // The first frame this camera delivers, with its index and capture time: the clock of a clip played as a
        // camera (frame N was captured about N / fps after frame 0), which bench/daemon measures latency on.
        streaming_ = true;
        spdlog::info("CAMERA_STREAMING {}",
                     nlohmann::json{{"lane", options_.lane}, {"camera", options_.role}, {"index", frame.index},
                                    {"captured_ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                                        frame.captured.time_since_epoch())
                                                        .count()}}
                         .dump());
    }
    if (options_.read_qr) {
        const auto t0 = std::chrono::steady_clock::now();
        const auto reads = qr_.read(frame.image, frame.captured);
        metrics_.observeDecode(options_.lane, "qr",
                               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        for (const auto& r : reads) {
            LaneObservation o;
            o.kind = LaneObservation::Kind::Qr;
            o.text = r.text;
            o.frame_time = at;
            post_(std::move(o));
        }
    }
    if (plates_) {
        const auto t0 = std::chrono::steady_clock::now();
        auto reads = plates_->read(frame.image, at);
        metrics_.observeDecode(options_.lane, "plate",
                               std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
        for (auto& r : reads) post_(std::move(r));
    }
}

}  // namespace vg::daemon
