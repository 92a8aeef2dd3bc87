#include "vision/frame_source.h"

#include <fmt/format.h>

#include <algorithm>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/videoio.hpp>
#include <system_error>

namespace vg::vision {

bool SystemFrameClock::sleepUntil(SteadyTime deadline, std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    return !cv.wait_until(lock, stop, deadline, [] { return false; }) && !stop.stop_requested();
}

namespace {

using std::chrono::duration_cast;
using std::chrono::milliseconds;

SourceError failed(std::string message) { return {SourceError::Kind::Failed, std::move(message)}; }

// Paces a file or folder at a frame rate like a camera: the schedule starts when the first frame has been read (so
// opening the file or starting a decoder is not counted against it) and frame k is due 1/fps after frame k-1's
// slot. A reader running late catches up by at most kCatchUp frames (a camera's driver buffers about that many);
// further behind, the schedule restarts from now, so a stalled consumer does not cause a long burst afterwards.
class Pacer {
  public:
    static constexpr int kCatchUp = 4;
    Pacer(FrameClock& clock, double fps) : clock_(clock), fps_(fps) {}
    void setFps(double fps) { fps_ = fps; }
    void reset() { next_.reset(); }
    // Waits until the next frame is due and returns when that was (the first frame: now); nullopt when stopped.
    std::optional<SteadyTime> wait(const std::stop_token& stop) {
        const SteadyTime now = clock_.now();
        if (fps_ <= 0 || !next_) return stop.stop_requested() ? std::nullopt : std::optional(now);
        if (now - *next_ > kCatchUp * period()) next_ = now;
        if (*next_ > now && !clock_.sleepUntil(*next_, stop)) return std::nullopt;
        const SteadyTime due = *next_;
        next_ = due + period();
        if (stop.stop_requested()) return std::nullopt;
        return due;
    }
    // The frame read in the slot `due` returned: its time stamp (wall clock). The first frame starts the schedule
    // and is stamped when it was read; every later one when it was due.
    FrameTime stamp(SteadyTime due) {
        const SteadyTime now = clock_.now();
        if (!next_) {
            if (fps_ > 0) next_ = now + period();
            return clock_.wallNow();
        }
        return clock_.wallNow() - std::chrono::duration_cast<FrameTime::duration>(now - due);
    }

  private:
    std::chrono::steady_clock::duration period() const {
        return duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(1.0 / fps_));
    }
    FrameClock& clock_;
    double fps_;
    std::optional<SteadyTime> next_;
};

int fourccOf(const std::string& s) {
    if (s.size() != 4) return 0;
    return cv::VideoWriter::fourcc(s[0], s[1], s[2], s[3]);
}

// Devices and streams: VideoCapture::read() blocks until the device delivers (V4L2 uses its own select timeout,
// FFmpeg the read timeout set at open).
class CaptureSource final : public FrameSource {
  public:
    CaptureSource(std::string target, bool stream, SourceOptions opt, FrameClock& clock)
        : target_(std::move(target)), stream_(stream), opt_(std::move(opt)), clock_(clock) {}

    std::expected<void, SourceError> open() override {
        close();
        std::vector<int> params;
        if (stream_) {
            // FFmpeg reads its options from the environment at open; TCP avoids the smeared frames of RTSP over
            // UDP on a busy LAN. Left alone when the operator has set it.
            ::setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp", 0);
            params = {cv::CAP_PROP_OPEN_TIMEOUT_MSEC, static_cast<int>(opt_.open_timeout.count()),
                      cv::CAP_PROP_READ_TIMEOUT_MSEC, static_cast<int>(opt_.read_timeout.count())};
        } else {
            if (!std::filesystem::exists(target_)) return std::unexpected(failed(target_ + ": no such device"));
            if (int f = fourccOf(opt_.fourcc)) params.insert(params.end(), {cv::CAP_PROP_FOURCC, f});
            if (opt_.width > 0) params.insert(params.end(), {cv::CAP_PROP_FRAME_WIDTH, opt_.width});
            if (opt_.height > 0) params.insert(params.end(), {cv::CAP_PROP_FRAME_HEIGHT, opt_.height});
            if (opt_.fps > 0) params.insert(params.end(), {cv::CAP_PROP_FPS, static_cast<int>(opt_.fps)});
        }
        try {
            if (!cap_.open(target_, stream_ ? cv::CAP_FFMPEG : cv::CAP_V4L2, params) || !cap_.isOpened())
                return std::unexpected(failed("cannot open " + describe()));
        } catch (const cv::Exception& e) {
            return std::unexpected(failed("cannot open " + describe() + ": " + e.what()));
        }
        return {};
    }

    std::expected<Frame, SourceError> read(std::stop_token) override {
        if (!cap_.isOpened()) return std::unexpected(failed(describe() + " is not open"));
        Frame f;
        try {
            if (!cap_.read(f.image) || f.image.empty())
                return std::unexpected(SourceError{SourceError::Kind::NoFrame, "no frame from " + describe()});
        } catch (const cv::Exception& e) {
            return std::unexpected(failed("read error on " + describe() + ": " + e.what()));
        }
        f.captured = clock_.wallNow();
        return f;
    }

    void close() override { cap_.release(); }

    std::string describe() const override {
        if (stream_) return "stream " + redact(target_);
        std::string d = "v4l2 " + target_;
        if (opt_.width > 0 && opt_.height > 0) d += fmt::format(" {}x{}", opt_.width, opt_.height);
        if (opt_.fps > 0) d += fmt::format("@{}", opt_.fps);
        if (!opt_.fourcc.empty()) d += " " + opt_.fourcc;
        return d;
    }

  private:
    // RTSP URLs often carry a camera password: keep it out of logs.
    static std::string redact(const std::string& url) {
        const auto scheme = url.find("://");
        const auto at = url.find('@');
        if (scheme == std::string::npos || at == std::string::npos || at < scheme) return url;
        return url.substr(0, scheme + 3) + "***" + url.substr(at);
    }

    std::string target_;
    bool stream_;
    SourceOptions opt_;
    FrameClock& clock_;
    cv::VideoCapture cap_;
};

class VideoFileSource final : public FrameSource {
  public:
    VideoFileSource(std::filesystem::path file, SourceOptions opt, FrameClock& clock)
        : file_(std::move(file)), opt_(std::move(opt)), pacer_(clock, 0) {}

    std::expected<void, SourceError> open() override {
        pacer_.reset();
        return load();
    }

    std::expected<Frame, SourceError> read(std::stop_token stop) override {
        for (int attempt = 0; attempt < 2; ++attempt) {
            if (!cap_.isOpened()) return std::unexpected(failed(describe() + " is not open"));
            const auto due = pacer_.wait(stop);
            if (!due) return std::unexpected(SourceError{SourceError::Kind::NoFrame, "stopped"});
            Frame f;
            bool ok = false;
            try {
                ok = cap_.read(f.image) && !f.image.empty();
            } catch (const cv::Exception&) {
                ok = false;
            }
            if (ok) {
                played_any_ = true;
                f.captured = pacer_.stamp(*due);
                return f;
            }
            if (!played_any_) return std::unexpected(failed("no frames in " + file_.string()));
            if (!opt_.loop) return std::unexpected(SourceError{SourceError::Kind::Ended, file_.string() + " ended"});
            if (auto r = load(); !r) return std::unexpected(r.error());
        }
        return std::unexpected(failed("no frames in " + file_.string()));
    }

    void close() override { cap_.release(); }
    std::string describe() const override { return "video file " + file_.string(); }

  private:
    std::expected<void, SourceError> load() {
        close();
        // Reopened (not rewound) when looping, so that a file deleted mid-stream is noticed at the next pass.
        std::error_code ec;
        if (!std::filesystem::is_regular_file(file_, ec))
            return std::unexpected(failed(file_.string() + ": no such video file"));
        try {
            if (!cap_.open(file_.string(), cv::CAP_ANY) || !cap_.isOpened())
                return std::unexpected(failed("cannot open video file " + file_.string()));
        } catch (const cv::Exception& e) {
            return std::unexpected(failed("cannot open video file " + file_.string() + ": " + e.what()));
        }
        double fps = opt_.fps;
        if (fps == 0) {
            fps = cap_.get(cv::CAP_PROP_FPS);
            if (!(fps > 0 && fps < 1000)) fps = 25;
        }
        pacer_.setFps(fps);
        played_any_ = false;
        return {};
    }

    std::filesystem::path file_;
    SourceOptions opt_;
    Pacer pacer_;  // holds the clock
    cv::VideoCapture cap_;
    bool played_any_ = false;
};

class FolderSource final : public FrameSource {
  public:
    FolderSource(std::filesystem::path folder, SourceOptions opt, FrameClock& clock)
        : folder_(std::move(folder)), opt_(std::move(opt)), pacer_(clock, opt_.fps == 0 ? 10 : opt_.fps) {}

    std::expected<void, SourceError> open() override {
        pacer_.reset();
        return load();
    }

    void close() override {
        files_.clear();
        next_ = 0;
    }

    std::string describe() const override {
        return fmt::format("folder {} ({} images)", folder_.string(), files_.size());
    }

  private:
    std::expected<void, SourceError> load() {
        files_.clear();
        next_ = 0;
        std::error_code ec;
        if (!std::filesystem::is_directory(folder_, ec))
            return std::unexpected(failed(folder_.string() + ": no such folder"));
        for (std::filesystem::directory_iterator it(folder_, ec), end; !ec && it != end; it.increment(ec)) {
            std::string ext = it->path().extension().string();
            std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
            if (ext == ".jpg" || ext == ".jpeg" || ext == ".png" || ext == ".bmp" || ext == ".webp" || ext == ".tif" ||
                ext == ".tiff" || ext == ".pgm" || ext == ".ppm")
                files_.push_back(it->path());
        }
        if (ec) return std::unexpected(failed("cannot list " + folder_.string() + ": " + ec.message()));
        if (files_.empty()) return std::unexpected(failed(folder_.string() + ": no images"));
        std::sort(files_.begin(), files_.end());
        return {};
    }

  public:
    std::expected<Frame, SourceError> read(std::stop_token stop) override {
        if (files_.empty()) return std::unexpected(failed(describe() + " is not open"));
        // Unreadable single files are skipped; a folder with nothing readable left is a failure.
        for (std::size_t tries = 0; tries < files_.size(); ++tries) {
            if (next_ >= files_.size()) {
                if (!opt_.loop)
                    return std::unexpected(SourceError{SourceError::Kind::Ended, folder_.string() + " ended"});
                // Listed again at each pass: images added or removed meanwhile are seen, a vanished folder fails.
                if (auto r = load(); !r) return std::unexpected(r.error());
            }
            const auto path = files_[next_++];
            const auto due = pacer_.wait(stop);
            if (!due) return std::unexpected(SourceError{SourceError::Kind::NoFrame, "stopped"});
            Frame f;
            try {
                f.image = cv::imread(path.string(), cv::IMREAD_COLOR);
            } catch (const cv::Exception&) {
                f.image.release();
            }
            if (!f.image.empty()) {
                f.captured = pacer_.stamp(*due);
                return f;
            }
            std::error_code ec;
            if (!std::filesystem::is_directory(folder_, ec))
                return std::unexpected(failed(folder_.string() + ": folder disappeared"));
        }
        return std::unexpected(failed(folder_.string() + ": no readable images"));
    }

  private:
    std::filesystem::path folder_;
    SourceOptions opt_;
    Pacer pacer_;  // holds the clock
    std::vector<std::filesystem::path> files_;
    std::size_t next_ = 0;
};

bool startsWith(const std::string& s, std::string_view prefix) { return s.rfind(prefix, 0) == 0; }

}  // namespace

SourceKind sourceKindOf(const std::string& spec) {
    if (startsWith(spec, "/dev/")) return SourceKind::Device;
    if (startsWith(spec, "rtsp://") || startsWith(spec, "rtsps://") || startsWith(spec, "http://") ||
        startsWith(spec, "https://"))
        return SourceKind::Stream;
    std::error_code ec;
    if (std::filesystem::is_directory(spec, ec)) return SourceKind::Folder;
    return SourceKind::VideoFile;
}

std::unique_ptr<FrameSource> makeDeviceSource(const std::string& device, const SourceOptions& options,
                                              FrameClock& clock) {
    return std::make_unique<CaptureSource>(device, false, options, clock);
}
std::unique_ptr<FrameSource> makeStreamSource(const std::string& url, const SourceOptions& options, FrameClock& clock) {
    return std::make_unique<CaptureSource>(url, true, options, clock);
}
std::unique_ptr<FrameSource> makeVideoFileSource(const std::filesystem::path& file, const SourceOptions& options,
                                                 FrameClock& clock) {
    return std::make_unique<VideoFileSource>(file, options, clock);
}
std::unique_ptr<FrameSource> makeFolderSource(const std::filesystem::path& folder, const SourceOptions& options,
                                              FrameClock& clock) {
    return std::make_unique<FolderSource>(folder, options, clock);
}

std::unique_ptr<FrameSource> makeFrameSource(const std::string& spec, const SourceOptions& options, FrameClock& clock) {
    switch (sourceKindOf(spec)) {
        case SourceKind::Device:
            return makeDeviceSource(spec, options, clock);
        case SourceKind::Stream:
            return makeStreamSource(spec, options, clock);
        case SourceKind::Folder:
            return makeFolderSource(spec, options, clock);
        case SourceKind::VideoFile:
            break;
    }
    return makeVideoFileSource(spec, options, clock);
}

}  // namespace vg::vision
