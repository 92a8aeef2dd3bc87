// One camera of a lane: a vision::FrameWorker (a capture thread, and per reader a processing thread on which the
// newest frame wins) that reads QR codes (card camera) and plates (plate camera, when a plate reader is available)
// and hands each read to `post` as a LaneObservation; the App's `post` forwards it to the lane's own loop. A camera
// serving both has two readers on two threads: the QR read (a few ms) sees every frame even while the plate search
// (tens of ms) falls behind, so a card is read in the first frame it can be.
// Owned by the App; start()/stop() from the main thread; stats() from any thread. Nothing throws after
// construction.
#pragma once

#include <atomic>
#include <expected>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "daemon/lane_observation.h"
#include "daemon/metrics.h"
#include "vision/frame_worker.h"
#include "vision/qr_reader.h"

namespace vg::daemon {

// What the plate reader made of one frame: its plate reads, or (`searched` false) that it did not search the frame
// because the view had not changed since a search that found no plate: no plate, as then.
struct PlateLook {
    std::vector<LaneObservation> reads;
    bool searched = true;
};

// Plate reading as the lane needs it: every plate in a frame with its text and per-character confidences.
// Declared here (its consumer); an adapter over the vision plate pipeline implements it. Called from one
// camera's processing thread only, with frames in capture order.
class PlateSeer {
  public:
    virtual ~PlateSeer() = default;
    virtual PlateLook read(const cv::Mat& image, gate::TimePoint frame_time) = 0;
};

// The plate reader of one plate camera, or why there is none (logged as PLATE_READER_UNAVAILABLE) when the model
// cannot be loaded. `roi` (the lane's, in the camera's pixels) restricts the plate search (and the still-view test)
// only. `model_dir`: the
// directory holding plate_reader.* and plate_detector.*; empty = where the build or the installation put them.
std::expected<std::unique_ptr<PlateSeer>, std::string> makePlateSeer(const std::string& lane,
                                                                     std::optional<cv::Rect> roi = std::nullopt,
                                                                     const std::filesystem::path& model_dir = {});

struct CameraFeedOptions {
    std::string lane;
    std::string role;    // "card", "plate" or "plate+card" (one camera serving both)
    std::string source;  // the config string
    vision::SourceOptions source_options;
    vision::WorkerOptions worker_options;
    bool read_qr = true;
    bool read_plates = false;        // a plate camera of its lane
    std::string plate_reader_error;  // read_plates, but the plate reader could not be loaded: why
};

class CameraFeed {
  public:
    using Post = std::function<void(LaneObservation)>;
    using Event = std::function<void(const vision::WorkerEvent&)>;

    CameraFeed(CameraFeedOptions options, vision::FrameClock& clock, Metrics& metrics, Post post, Event event,
               std::unique_ptr<PlateSeer> plates);
    ~CameraFeed();
    void start();
    void stop();
    vision::WorkerStats stats() const { return worker_->stats(); }
    const CameraFeedOptions& options() const { return options_; }
    // A plate camera without its plate reader: its lane reads every plate as unread (/healthz: degraded).
    bool plateReaderUnavailable() const { return options_.read_plates && !plates_; }

  private:
    void announceStreaming(const vision::Frame& frame);
    void readQr(const vision::Frame& frame);
    void readPlates(const vision::Frame& frame);
    CameraFeedOptions options_;
    vision::FrameClock& clock_;  // times the reads for the metrics
    Metrics& metrics_;
    Post post_;
    std::unique_ptr<PlateSeer> plates_;
    vision::QrReader qr_;
    std::atomic_flag streaming_;  // CAMERA_STREAMING logged (by whichever reader saw the first frame)
    std::unique_ptr<vision::FrameWorker> worker_;
};

}  // namespace vg::daemon
