// The settings model: plain value types, one field per key of voucher-gate.toml (field names = key names).
// Built by vg::config::load()/defaults() (config_loader.h); immutable once built, so any thread may read a copy.
// Nothing here throws. The meaning, default, range and reload behaviour of each field: config/keys.cpp
// (rendered into docs/configuration.md).
#pragma once

#include <array>
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vg::config {

using Duration = std::chrono::milliseconds;

enum class OverstayExit { Open, Hold };
enum class UnreadPlate { Guard, Presence, Never };
enum class ExitOnError { Open, Hold };
enum class Direction { Entry, Exit };
enum class RelayDriver { Sim, Gpio, ModbusTcp, ModbusRtu, Serial };
enum class PresenceDriver { Sim, Gpio };
enum class AnnouncerDriver { Log, Tts };

// The TOML spelling of each value ("open", "modbus-tcp", ...).
std::string_view toString(OverstayExit v);
std::string_view toString(UnreadPlate v);
std::string_view toString(ExitOnError v);
std::string_view toString(Direction v);
std::string_view toString(RelayDriver v);
std::string_view toString(PresenceDriver v);
std::string_view toString(AnnouncerDriver v);

struct SiteSettings {
    std::string name;           // UTF-8, may be empty
    std::string phone;          // the office's phone number, printed on cards and pages; may be empty
    std::string timezone;       // a tz database name, checked at load
    std::string unit_pattern;   // ECMAScript regex a unit must match, checked at load
    std::string phone_pattern;  // ECMAScript regex a phone number must match, checked at load
    bool operator==(const SiteSettings&) const = default;
};

struct VoucherSettings {
    int per_month = 0;
    std::vector<std::string> eligible_categories;
    int grace_days = 0;
    std::filesystem::path key_file;
    bool operator==(const VoucherSettings&) const = default;
};

struct StaySettings {
    Duration max{};
    Duration grace{};
    OverstayExit overstay_exit = OverstayExit::Open;
    double overstay_fee_per_hour = 0;  // yuan per started hour; 0 = no fee
    Duration sweep_every{};
    bool operator==(const StaySettings&) const = default;
};

struct DatabaseSettings {
    std::filesystem::path path;
    int retention_days = 0;
    int evidence_days = 0;  // decision frames kept (the effective value is at most retention_days)
    Duration busy_timeout{};
    std::filesystem::path spool_path;
    bool operator==(const DatabaseSettings&) const = default;
};

struct AuditSettings {
    std::filesystem::path key_file;
    bool operator==(const AuditSettings&) const = default;
};

struct HttpSettings {
    std::string listen;  // "host:port" or "[v6]:port", port checked at load
    bool operator==(const HttpSettings&) const = default;
};

struct WebSettings {
    std::string listen;  // the console's address, checked at load
    Duration session_idle{};
    bool operator==(const WebSettings&) const = default;
};

struct LogSettings {
    bool plates = false;  // plates in the journal's DECISION lines
    bool operator==(const LogSettings&) const = default;
};

struct ControlSettings {
    std::filesystem::path socket;
    bool operator==(const ControlSettings&) const = default;
};

// [lanes]: the lane-level values every [[lane]] inherits unless it overrides them.
struct LaneDefaults {
    Duration pair_window{};
    Duration repeat_window{};
    Duration readmit_window{};
    Duration plate_timeout{};
    UnreadPlate unread_plate = UnreadPlate::Guard;
    double min_plate_confidence = 0;
    ExitOnError exit_on_error = ExitOnError::Open;
    Duration camera_stall_after{};
    Duration tailgate_gap{};  // loop detector: TAILGATE_SUSPECTED
    bool operator==(const LaneDefaults&) const = default;
};

// [lane.relay]. Only the keys of the chosen driver may appear in the file; the others keep their defaults.
struct RelaySettings {
    RelayDriver driver = RelayDriver::Sim;
    Duration pulse{};
    Duration max_hold{};
    std::filesystem::path file;  // sim: JSON lines of what the relay was asked
    std::string chip;            // gpio: "gpiochip0" or "/dev/gpiochip0"
    int line = 0;                // gpio: line offset on the chip
    bool active_low = false;     // gpio
    std::string host;            // modbus-tcp
    int port = 0;                // modbus-tcp
    std::string device;          // modbus-rtu, serial: "/dev/ttyUSB0"
    int baud = 0;                // modbus-rtu, serial
    std::string parity;          // modbus-rtu: "N", "E" or "O"
    int unit = 0;                // modbus-tcp, modbus-rtu: slave id
    int coil = 0;                // modbus-tcp, modbus-rtu: coil address (0-based)
    Duration timeout{};          // modbus-tcp, modbus-rtu, serial: response timeout
    int channel = 0;             // serial: relay channel on the board (1-based)

    // modbus-tcp, modbus-rtu: the discrete input the barrier sets once it has opened (none: not read back), and
    // how long after a pulse it may take.
    std::optional<int> opened_input;
    Duration opened_within{};
    bool operator==(const RelaySettings&) const = default;
};

// [lane.presence]: the barrier's loop detector (rule 13 "presence", rule 14).
struct PresenceSettings {
    PresenceDriver driver = PresenceDriver::Sim;
    std::filesystem::path file;  // sim: vehicle present while the file's first byte is '1'
    std::string chip;            // gpio
    int line = 0;                // gpio
    bool active_low = false;     // gpio
    bool operator==(const PresenceSettings&) const = default;
};

// [lane.announcer]: what the driver hears ("welcome, please leave by 18:30").
struct AnnouncerSettings {
    AnnouncerDriver driver = AnnouncerDriver::Log;
    std::string voice;  // tts: espeak-ng voice name
    bool operator==(const AnnouncerSettings&) const = default;
};

// One [[lane]]; the inherited LaneDefaults fields hold the *effective* values ([lanes] with this lane's
// overrides applied), so `lane.readmit_window` is what the lane must use.
struct LaneSettings : LaneDefaults {
    std::string name;
    Direction direction = Direction::Entry;
    std::string plate_camera;          // a source: /dev/videoN, rtsp://, http(s)://, video file, folder
    std::string card_camera;           // = plate_camera unless given
    std::optional<double> camera_fps;  // unset: the file's own rate, 10 for folders
    bool camera_loop = false;
    std::optional<std::array<int, 4>> roi;  // x, y, w, h in the plate camera's pixels
    bool dry_run = false;
    RelaySettings relay;
    std::optional<PresenceSettings> presence;
    std::optional<AnnouncerSettings> announcer;
    bool operator==(const LaneSettings&) const = default;
};

struct Settings {
    SiteSettings site;
    VoucherSettings vouchers;
    StaySettings stay;
    DatabaseSettings database;
    AuditSettings audit;
    HttpSettings http;
    WebSettings web;
    LogSettings log;
    ControlSettings control;
    LaneDefaults lanes;
    std::vector<LaneSettings> lane;  // in file order; may be empty (the daemon requires at least one)
    bool operator==(const Settings&) const = default;
};

}  // namespace vg::config
