// Camera frame sources behind one small interface, all through cv::VideoCapture or cv::imread: a V4L2 device
// (/dev/videoN), an RTSP/HTTP(S) stream (FFmpeg, TCP transport), a video file and a folder of images.
// A FrameSource is used by ONE thread at a time (the FrameWorker's capture thread); it is not synchronised.
// open() and read() return errors as values and never throw. Pacing (files and folders played at a frame rate)
// goes through the injected FrameClock, so tests never sleep.
#pragma once

#include <chrono>
#include <cstdint>
#include <expected>
#include <filesystem>
#include <memory>
#include <opencv2/core.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

namespace vg::vision {

using FrameTime = std::chrono::system_clock::time_point;
using SteadyTime = std::chrono::steady_clock::time_point;

// The time seam of frame sources and workers. now() drives pacing, stall detection and frame ages; wallNow()
// stamps frames. sleepUntil() returns false at once when `stop` is requested. Thread-safe.
class FrameClock {
  public:
    virtual ~FrameClock() = default;
    virtual SteadyTime now() const = 0;
    virtual FrameTime wallNow() const = 0;
    virtual bool sleepUntil(SteadyTime deadline, std::stop_token stop) = 0;
};

// The real clocks; sleepUntil() wakes early on a stop request. A shared instance is fine (stateless).
class SystemFrameClock final : public FrameClock {
  public:
    SteadyTime now() const override { return std::chrono::steady_clock::now(); }
    FrameTime wallNow() const override { return std::chrono::system_clock::now(); }
    bool sleepUntil(SteadyTime deadline, std::stop_token stop) override;
};

struct Frame {
    cv::Mat image;  // BGR (or what the source delivers)
    // Wall clock. A live camera: when the frame was read from it. A file or folder played at a rate: when the
    // frame was due in that playback (as a camera's sensor would stamp it), so decoding it counts as latency.
    FrameTime captured{};
    std::uint64_t index = 0;  // counts frames read from this source since the worker started
};

struct SourceError {
    enum class Kind {
        Failed,   // cannot open / read now (device gone, connection refused, file deleted): retry later
        NoFrame,  // opened, but nothing arrived within the read timeout (counts towards the stall)
        Ended,    // a file or folder played once has ended: do not retry
    };
    Kind kind = Kind::Failed;
    std::string message;
};

class FrameSource {
  public:
    virtual ~FrameSource() = default;
    virtual std::expected<void, SourceError> open() = 0;
    // Returns the next frame. File and folder sources wait (through the clock) until it is due; live sources
    // return as soon as the device delivers, or NoFrame/Failed after the read timeout (streams: read_timeout;
    // V4L2: OpenCV's own select timeout of about 10 s, but an unplugged camera fails at once).
    virtual std::expected<Frame, SourceError> read(std::stop_token stop) = 0;
    virtual void close() = 0;
    virtual std::string describe() const = 0;  // for logs: "v4l2 /dev/video0 1280x720@15", "folder /x (12 images)"
};

struct SourceOptions {
    // V4L2: requested size, rate and pixel format (0 / empty: the driver's default). Also streams: not applied.
    int width = 0;
    int height = 0;
    std::string fourcc;  // e.g. "MJPG", "YUYV"
    // Files and folders: frames per second. 0 = the file's own rate (10 for folders); < 0 = as fast as possible.
    double fps = 0;
    bool loop = false;  // files and folders start again at the end (camera_loop)
    // Streams: open and read timeouts (CAP_PROP_OPEN_TIMEOUT_MSEC / READ_TIMEOUT_MSEC).
    std::chrono::milliseconds open_timeout{5000};
    std::chrono::milliseconds read_timeout{5000};
};

enum class SourceKind { Device, Stream, VideoFile, Folder };

// Which kind a `plate_camera` / `card_camera` string names: "/dev/videoN" (or any /dev/ path), rtsp:// http://
// https:// URLs, an existing directory, otherwise a video file. Does not touch devices.
SourceKind sourceKindOf(const std::string& spec);

// Builds (does not open) the source for a config string. `clock` must outlive the source.
std::unique_ptr<FrameSource> makeFrameSource(const std::string& spec, const SourceOptions& options, FrameClock& clock);

// The individual sources, for callers that know what they want.
std::unique_ptr<FrameSource> makeDeviceSource(const std::string& device, const SourceOptions& options,
                                              FrameClock& clock);
std::unique_ptr<FrameSource> makeStreamSource(const std::string& url, const SourceOptions& options, FrameClock& clock);
std::unique_ptr<FrameSource> makeVideoFileSource(const std::filesystem::path& file, const SourceOptions& options,
                                                 FrameClock& clock);
std::unique_ptr<FrameSource> makeFolderSource(const std::filesystem::path& folder, const SourceOptions& options,
                                              FrameClock& clock);

}  // namespace vg::vision
