// The PlateSeer over the vision plate pipeline (finder + trained reader + grammar). One per plate camera, used
// on that camera's processing thread only (the pipeline owns a cv::dnn::Net).
//
// A frame whose view (the lane region, or the whole frame) has not changed since a search that found no plate is not
// searched again (vision::StillScene): an empty lane costs a thumbnail a frame (about 1 ms) instead of a whole plate
// search (20-40 ms), and the core goes to the frames in which a car arrives. While a plate has been read within
// kLongestStill every frame is searched, still or not: the vote wants the car's frames, and a marginal plate that is
// read in some frames and missed in others must not lose the frames after a miss. A still view is searched again at
// least every kLongestStill, so a plate that came into view without moving the thumbnail (too small or faint) waits
// at most that.
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>

#include "daemon/camera_feed.h"
#include "vision/plate_pipeline.h"
#include "vision/still_scene.h"

namespace vg::daemon {

namespace {

constexpr auto kLongestStill = std::chrono::seconds(1);

cv::Rect plateBox(const vision::PlateQuad& quad) {
    std::vector<cv::Point2f> points(quad.begin(), quad.end());
    return cv::boundingRect(points);
}

class PipelineSeer final : public PlateSeer {
  public:
    PipelineSeer(vision::PlatePipeline pipeline, std::optional<cv::Rect> roi)
        : pipeline_(std::move(pipeline)), roi_(roi) {}
    PlateLook read(const cv::Mat& image, gate::TimePoint frame_time) override {
        cv::Mat thumb = still_.thumbnail(image, roi_.value_or(cv::Rect{}));
        // Frames come in capture order; a clock that went back (a camera reopened) is searched, not trusted.
        const auto within = [&](const std::optional<gate::TimePoint>& t) {
            return t && frame_time >= *t && frame_time - *t < kLongestStill;
        };
        if (!within(last_read_) && within(last_search_) && !still_.changed(thumb)) return {{}, false};
        vision::PlateReadOptions o;
        if (roi_) o.roi = *roi_;
        o.min_confidence = 0.2F;  // junk below this would only dilute the vote
        o.max_reads = 1;          // one car at a barrier: the best read of the frame
        std::vector<LaneObservation> out;
        for (const auto& r : pipeline_.read(image, o)) {
            LaneObservation obs;
            obs.kind = LaneObservation::Kind::Plate;
            obs.text = r.text;
            obs.char_confidence = r.char_confidence;
            obs.confidence = r.confidence;
            obs.frame_time = frame_time;
            obs.frame = image;
            obs.plate_box = plateBox(r.quad);
            out.push_back(std::move(obs));
        }
        still_.remember(std::move(thumb));
        last_search_ = frame_time;
        if (!out.empty()) last_read_ = frame_time;
        return {std::move(out), true};
    }

  private:
    vision::PlatePipeline pipeline_;
    std::optional<cv::Rect> roi_;
    vision::StillScene still_;
    std::optional<gate::TimePoint> last_search_;  // the frame the last search was made on
    std::optional<gate::TimePoint> last_read_;    // the last frame a search read a plate in
};

}  // namespace

std::expected<std::unique_ptr<PlateSeer>, std::string> makePlateSeer(const std::string& lane,
                                                                     std::optional<cv::Rect> roi,
                                                                     const std::filesystem::path& model_dir) {
    auto pipeline = model_dir.empty() ? vision::PlatePipeline::loadDefault() : vision::PlatePipeline::load(model_dir);
    if (!pipeline) {
        spdlog::error("PLATE_READER_UNAVAILABLE {}",
                      nlohmann::json{{"lane", lane},
                                     {"error", pipeline.error()},
                                     {"note", "plates read as unread: cards wait for the guard (rule 13)"}}
                          .dump());
        return std::unexpected(pipeline.error());
    }
    return std::make_unique<PipelineSeer>(std::move(*pipeline), roi);
}

}  // namespace vg::daemon
