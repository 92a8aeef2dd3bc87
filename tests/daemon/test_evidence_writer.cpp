// Evidence frames on disk: what a decision leaves in the evidence folder, a writer that falls behind drops
// (counted) rather than holding up a lane, and the purge by age on the daemon's (manual) clock.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>

#include "daemon/evidence_writer.h"
#include "fakes/manual_clock.h"
#include "options/evidence.h"

namespace vg::daemon {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

const gate::TimePoint kNow = gate::TimePoint{std::chrono::sys_days{std::chrono::year{2026} / 12 / 5}} + 6h;

class EvidenceTest : public ::testing::Test {
  protected:
    EvidenceTest() : dir_(fs::temp_directory_path() / ("vg-evidence-" + std::to_string(::getpid()))) {
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    ~EvidenceTest() override { fs::remove_all(dir_); }

    // A 1920x1080 camera frame with a plate-coloured patch where the plate is.
    static Evidence carFrame() {
        Evidence e{cv::Mat(1080, 1920, CV_8UC3, cv::Scalar(90, 90, 90)), cv::Rect(800, 700, 220, 70)};
        e.frame(*e.plate).setTo(cv::Scalar(200, 60, 0));
        return e;
    }
    // A file as the writer leaves it, last written `age` before kNow.
    fs::path oldFile(const std::string& name, gate::Duration age) {
        const fs::path p = dir_ / name;
        std::ofstream(p) << "x";
        fs::last_write_time(p, std::chrono::file_clock::from_sys(kNow - age));
        return p;
    }

    fs::path dir_;
    Metrics metrics_;
};

TEST_F(EvidenceTest, ADecisionLeavesItsFrameDownscaledAndThePlateCropAtNativeSize) {
    EvidenceWriter writer(dir_, 4, metrics_);
    writer.start();
    ASSERT_TRUE(writer.submit(42, carFrame()));
    writer.flush();
    const auto files = options::evidenceFiles(dir_, 42);
    const cv::Mat frame = cv::imread(files.frame.string());
    ASSERT_FALSE(frame.empty());
    EXPECT_EQ(frame.cols, 960);
    EXPECT_EQ(frame.rows, 540);
    const cv::Mat plate = cv::imread(files.plate.string());
    ASSERT_FALSE(plate.empty());
    EXPECT_EQ(plate.size(), cv::Size(220, 70));
    EXPECT_EQ(plate.at<cv::Vec3b>(35, 110), cv::Vec3b(200, 60, 0)) << "PNG: the crop's pixels as the camera saw them";
    EXPECT_EQ(metrics_.evidence("written"), 1u);
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 2) << "no temporary file left";
}

TEST_F(EvidenceTest, ACardOnlyDecisionHasAFrameAndNoCrop) {
    EvidenceWriter writer(dir_, 4, metrics_);
    writer.start();
    Evidence card{cv::Mat(480, 640, CV_8UC3, cv::Scalar(1, 2, 3)), std::nullopt};
    ASSERT_TRUE(writer.submit(7, card));
    writer.flush();
    const auto files = options::evidenceFiles(dir_, 7);
    EXPECT_EQ(cv::imread(files.frame.string()).cols, 640) << "a small frame is kept as it is";
    EXPECT_FALSE(fs::exists(files.plate));
}

TEST_F(EvidenceTest, AFullQueueDropsTheEvidenceCountedAndNeverWaits) {
    EvidenceWriter writer(dir_, 2, metrics_);  // not started: a writer stuck on a slow disk
    EXPECT_TRUE(writer.submit(1, carFrame()));
    EXPECT_TRUE(writer.submit(2, carFrame()));
    EXPECT_FALSE(writer.submit(3, carFrame()));
    EXPECT_EQ(metrics_.evidence("dropped"), 1u);
    writer.start();
    writer.flush();
    EXPECT_TRUE(fs::exists(options::evidenceFiles(dir_, 1).frame));
    EXPECT_TRUE(fs::exists(options::evidenceFiles(dir_, 2).frame));
    EXPECT_FALSE(fs::exists(options::evidenceFiles(dir_, 3).frame));
}

TEST_F(EvidenceTest, AWriteThatFailsIsCountedAndTheWriterGoesOn) {
    EvidenceWriter writer(dir_ / "gone", 4, metrics_);
    writer.start();
    ASSERT_TRUE(writer.submit(1, carFrame()));
    writer.flush();
    EXPECT_EQ(metrics_.evidence("failed"), 1u);
    EXPECT_EQ(metrics_.evidence("written"), 0u);
}

TEST_F(EvidenceTest, ThePurgeDeletesEvidenceOlderThanTheDaysKeptAndNothingElse) {
    fakes::ManualClock clock(kNow);
    const auto old_frame = oldFile("10.jpg", std::chrono::days(31));
    const auto old_plate = oldFile("10-plate.png", std::chrono::days(31));
    const auto old_tmp = oldFile("11.jpg.tmp", std::chrono::days(31));
    const auto kept_frame = oldFile("12.jpg", std::chrono::days(29));
    const auto kept_plate = oldFile("12-plate.png", std::chrono::days(29));
    const auto not_ours = oldFile("notes.txt", std::chrono::days(400));

    EvidenceWriter writer(dir_, 4, metrics_);
    writer.start();
    writer.purge(clock.now() - std::chrono::days(30));
    writer.flush();
    EXPECT_FALSE(fs::exists(old_frame));
    EXPECT_FALSE(fs::exists(old_plate));
    EXPECT_FALSE(fs::exists(old_tmp));
    EXPECT_TRUE(fs::exists(kept_frame));
    EXPECT_TRUE(fs::exists(kept_plate));
    EXPECT_TRUE(fs::exists(not_ours));

    clock.advance(std::chrono::days(2));  // two days on, the 29-day-old pair is past 30 days
    auto purged = purgeEvidence(dir_, clock.now() - std::chrono::days(30));
    ASSERT_TRUE(purged);
    EXPECT_EQ(*purged, 2);
    EXPECT_FALSE(fs::exists(kept_frame));
    EXPECT_TRUE(fs::exists(not_ours));
}

}  // namespace
}  // namespace vg::daemon
