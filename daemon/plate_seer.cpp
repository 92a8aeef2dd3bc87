// The PlateSeer over the vision plate pipeline (finder + trained reader + grammar). One per plate camera, used
// on that camera's processing thread only (the pipeline owns a cv::dnn::Net).
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "daemon/camera_feed.h"
#include "vision/plate_pipeline.h"

namespace vg::daemon {

namespace {

cv::Rect plateBox(const vision::PlateQuad& quad) {
    std::vector<cv::Point2f> points(quad.begin(), quad.end());
    return cv::boundingRect(points);
}

class PipelineSeer final : public PlateSeer {
  public:
    PipelineSeer(vision::PlatePipeline pipeline, std::optional<cv::Rect> roi)
        : pipeline_(std::move(pipeline)), roi_(roi) {}
    std::vector<LaneObservation> read(const cv::Mat& image, gate::TimePoint frame_time) override {
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
        return out;
    }

  private:
    vision::PlatePipeline pipeline_;
    std::optional<cv::Rect> roi_;
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
