// Frame sources: a folder of images (sorted, paced, looping, disappearing), a video file written here with
// cv::VideoWriter (own rate, as fast as possible, looping, deleted mid-stream), a missing device, source
// selection from the config string.
#include <fmt/format.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>

#include "tests/vision/test_frame_fakes.h"

namespace vg::vision {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::ManualFrameClock;

class TempDir {
  public:
    TempDir() {
        path_ =
            fs::temp_directory_path() / ("vg_frames_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++));
        fs::remove_all(path_);
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

  private:
    static inline int counter_ = 0;
    fs::path path_;
};

cv::Mat grey(int v) { return cv::Mat(48, 64, CV_8UC3, cv::Scalar::all(v)); }
int valueOf(const Frame& f) { return f.image.at<cv::Vec3b>(24, 32)[0]; }

TEST(FolderSource, PlaysImagesSortedByNameAtTheRequestedRate) {
    TempDir dir;
    cv::imwrite((dir.path() / "b.png").string(), grey(20));
    cv::imwrite((dir.path() / "a.png").string(), grey(10));
    cv::imwrite((dir.path() / "c.png").string(), grey(30));
    std::ofstream(dir.path() / "notes.txt") << "not an image";
    ManualFrameClock clock;
    SourceOptions opt;
    opt.fps = 4;
    auto src = makeFrameSource(dir.path().string(), opt, clock);
    ASSERT_TRUE(src->open());
    EXPECT_NE(src->describe().find("3 images"), std::string::npos) << src->describe();

    std::vector<int> values;
    std::vector<FrameTime> times;
    for (int i = 0; i < 3; ++i) {
        auto f = src->read({});
        ASSERT_TRUE(f) << f.error().message;
        values.push_back(valueOf(*f));
        times.push_back(f->captured);
    }
    EXPECT_EQ(values, (std::vector<int>{10, 20, 30}));
    EXPECT_EQ(times[1] - times[0], 250ms);
    EXPECT_EQ(times[2] - times[1], 250ms);
    auto end = src->read({});
    ASSERT_FALSE(end);
    EXPECT_EQ(end.error().kind, SourceError::Kind::Ended);
}

TEST(FolderSource, DefaultsToTenFramesPerSecondAndLoops) {
    TempDir dir;
    cv::imwrite((dir.path() / "1.jpg").string(), grey(50));
    cv::imwrite((dir.path() / "2.jpg").string(), grey(150));
    ManualFrameClock clock;
    SourceOptions opt;
    opt.loop = true;
    auto src = makeFolderSource(dir.path(), opt, clock);
    ASSERT_TRUE(src->open());
    const auto t0 = clock.now();
    std::vector<int> values;
    for (int i = 0; i < 5; ++i) {
        auto f = src->read({});
        ASSERT_TRUE(f);
        values.push_back(valueOf(*f) > 100 ? 2 : 1);
    }
    EXPECT_EQ(values, (std::vector<int>{1, 2, 1, 2, 1}));
    EXPECT_EQ(clock.now() - t0, 400ms);
}

// Played like a camera: each frame is stamped with when it was due, a late reader gets the frames it missed at
// once (a driver's few buffers), and one far behind restarts the schedule instead of bursting through the backlog.
TEST(FolderSource, StampsEachFrameWithItsDueTimeAndCatchesUpABoundedLag) {
    TempDir dir;
    for (int i = 0; i < 12; ++i) cv::imwrite((dir.path() / fmt::format("{:02}.png", i)).string(), grey(i + 1));
    ManualFrameClock clock;
    SourceOptions opt;
    opt.fps = 10;
    auto src = makeFolderSource(dir.path(), opt, clock);
    ASSERT_TRUE(src->open());
    const auto wall0 = clock.wallNow();
    const auto at = [&](int k) { return wall0 + std::chrono::milliseconds(100 * k); };

    auto f = src->read({});
    ASSERT_TRUE(f);
    EXPECT_EQ(f->captured, at(0));
    clock.advance(250ms);  // the reader was busy: frames 1 and 2 were due meanwhile
    for (int k = 1; k <= 3; ++k) {
        f = src->read({});
        ASSERT_TRUE(f);
        EXPECT_EQ(valueOf(*f), k + 1);
        EXPECT_EQ(f->captured, at(k)) << "frame " << k;  // stamped when due, not when the late reader took it
    }
    EXPECT_EQ(clock.wallNow(), at(3));  // frames 1 and 2 came at once; frame 3 was waited for

    clock.advance(2s);  // far behind: the schedule restarts from now
    f = src->read({});
    ASSERT_TRUE(f);
    EXPECT_EQ(f->captured, clock.wallNow());
    const auto restart = f->captured;
    f = src->read({});
    ASSERT_TRUE(f);
    EXPECT_EQ(f->captured, restart + 100ms);
}

TEST(FolderSource, FolderThatDisappearsMidStreamIsAFailureNotAnEnd) {
    auto dir = std::make_unique<TempDir>();
    const fs::path path = dir->path();
    cv::imwrite((path / "1.png").string(), grey(1));
    cv::imwrite((path / "2.png").string(), grey(2));
    ManualFrameClock clock;
    SourceOptions opt;
    opt.loop = true;
    auto src = makeFolderSource(path, opt, clock);
    ASSERT_TRUE(src->open());
    ASSERT_TRUE(src->read({}));
    dir.reset();  // removes the folder
    auto f = src->read({});
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().kind, SourceError::Kind::Failed);
    EXPECT_NE(f.error().message.find(path.string()), std::string::npos) << f.error().message;
    auto reopened = src->open();
    ASSERT_FALSE(reopened);
    EXPECT_NE(reopened.error().message.find("no such folder"), std::string::npos);
}

TEST(FolderSource, EmptyOrMissingFolderFailsToOpen) {
    TempDir dir;
    ManualFrameClock clock;
    EXPECT_FALSE(makeFolderSource(dir.path(), {}, clock)->open());
    EXPECT_FALSE(makeFolderSource(dir.path() / "nope", {}, clock)->open());
}

fs::path writeClip(const fs::path& dir, int frames, double fps) {
    const fs::path file = dir / "clip.avi";
    cv::VideoWriter w(file.string(), cv::VideoWriter::fourcc('M', 'J', 'P', 'G'), fps, cv::Size(64, 48));
    EXPECT_TRUE(w.isOpened());
    for (int i = 0; i < frames; ++i) w.write(grey(40 * (i + 1)));
    w.release();
    return file;
}

TEST(VideoFileSource, PlaysAtItsOwnRateThenEnds) {
    TempDir dir;
    const auto file = writeClip(dir.path(), 5, 20);
    ManualFrameClock clock;
    auto src = makeFrameSource(file.string(), {}, clock);
    ASSERT_TRUE(src->open());
    const auto t0 = clock.now();
    std::vector<int> values;
    for (int i = 0; i < 5; ++i) {
        auto f = src->read({});
        ASSERT_TRUE(f) << f.error().message;
        values.push_back((valueOf(*f) + 20) / 40);
    }
    EXPECT_EQ(values, (std::vector<int>{1, 2, 3, 4, 5}));  // MJPG is lossy: compare coarsely
    EXPECT_EQ(clock.now() - t0, 200ms);                    // 4 periods of 50 ms
    auto end = src->read({});
    ASSERT_FALSE(end);
    EXPECT_EQ(end.error().kind, SourceError::Kind::Ended);
}

TEST(VideoFileSource, AsFastAsPossibleNeverWaits) {
    TempDir dir;
    const auto file = writeClip(dir.path(), 3, 5);
    ManualFrameClock clock;
    SourceOptions opt;
    opt.fps = -1;
    auto src = makeVideoFileSource(file, opt, clock);
    ASSERT_TRUE(src->open());
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(src->read({}));
    EXPECT_EQ(clock.slept(), std::chrono::steady_clock::duration::zero());
}

TEST(VideoFileSource, LoopsAndNoticesAFileDeletedMidStream) {
    TempDir dir;
    const auto file = writeClip(dir.path(), 2, 10);
    ManualFrameClock clock;
    SourceOptions opt;
    opt.loop = true;
    opt.fps = 50;
    auto src = makeVideoFileSource(file, opt, clock);
    ASSERT_TRUE(src->open());
    for (int i = 0; i < 4; ++i) ASSERT_TRUE(src->read({})) << "frame " << i;  // twice round
    ASSERT_TRUE(src->read({}));
    fs::remove(file);
    ASSERT_TRUE(src->read({}));  // the open file still plays to its end
    auto f = src->read({});
    ASSERT_FALSE(f);
    EXPECT_EQ(f.error().kind, SourceError::Kind::Failed);
    EXPECT_NE(f.error().message.find("clip.avi"), std::string::npos) << f.error().message;
}

TEST(DeviceSource, MissingDeviceIsAnErrorNamingIt) {
    ManualFrameClock clock;
    SourceOptions opt;
    opt.width = 1280;
    opt.height = 720;
    opt.fourcc = "MJPG";
    auto src = makeFrameSource("/dev/video97", opt, clock);
    EXPECT_NE(src->describe().find("v4l2 /dev/video97 1280x720"), std::string::npos) << src->describe();
    auto r = src->open();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, SourceError::Kind::Failed);
    EXPECT_NE(r.error().message.find("/dev/video97"), std::string::npos);
}

TEST(SourceKind, ChosenFromTheConfigString) {
    TempDir dir;
    EXPECT_EQ(sourceKindOf("/dev/video0"), SourceKind::Device);
    EXPECT_EQ(sourceKindOf("rtsp://10.0.0.5:554/stream1"), SourceKind::Stream);
    EXPECT_EQ(sourceKindOf("http://cam.local/mjpg"), SourceKind::Stream);
    EXPECT_EQ(sourceKindOf("https://cam.local/mjpg"), SourceKind::Stream);
    EXPECT_EQ(sourceKindOf(dir.path().string()), SourceKind::Folder);
    EXPECT_EQ(sourceKindOf("/var/lib/voucher-gate/demo.mp4"), SourceKind::VideoFile);
}

TEST(FolderSource, WorkerPlaysAFolderThroughTheCallback) {
    TempDir dir;
    for (int i = 0; i < 3; ++i) cv::imwrite((dir.path() / (std::to_string(i) + ".png")).string(), grey(60 * (i + 1)));
    ManualFrameClock clock;
    testing::Recorder rec;
    SourceOptions opt;
    opt.fps = -1;
    FrameWorker worker(
        makeFrameSource(dir.path().string(), opt, clock), {}, clock, [&](const Frame& f) { rec.onFrame(f); },
        [&](const WorkerEvent& e) { rec.onEvent(e); });
    worker.start();
    ASSERT_TRUE(rec.waitFor([](testing::Recorder& r) {
        return r.count(WorkerEvent::Kind::SourceEnded) == 1 && !r.values_.empty() && r.values_.back() == 180;
    }));
    worker.stop();
    const auto s = worker.stats();
    EXPECT_EQ(s.frames_read, 3u);
    EXPECT_EQ(s.frames_processed + s.frames_dropped, 3u);
    ASSERT_FALSE(rec.values_.empty());
    EXPECT_EQ(rec.values_.back(), 180);  // whatever was dropped, the newest frame was processed
}

}  // namespace
}  // namespace vg::vision
