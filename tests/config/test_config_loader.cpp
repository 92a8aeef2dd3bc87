// The loader as a property manager meets it: every kind of mistake names the key and the line; defaults, lane
// overrides and the card camera fallback give the values the gate will use.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "config/config_loader.h"
#include "config/keys.h"

namespace vg::config {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr std::string_view kLane = R"(
[[lane]]
name = "entry-1"
direction = "entry"
plate_camera = "/dev/video0"

[lane.relay]
driver = "sim"
file = "/tmp/relay-entry-1.jsonl"
)";

ConfigError errorOf(std::string_view text) {
    auto r = loadFromString(text, "voucher-gate.toml");
    EXPECT_FALSE(r.has_value()) << "expected an error for:\n" << text;
    return r ? ConfigError{} : r.error();
}

Settings ok(std::string_view text) {
    auto r = loadFromString(text, "voucher-gate.toml");
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().str());
    return r ? *r : Settings{};
}

TEST(ConfigLoader, EmptyFileGivesTheDocumentedDefaultsAndNoLanes) {
    const Settings s = ok("");
    EXPECT_EQ(s, defaults());
    EXPECT_EQ(s.site.name, "");
    EXPECT_EQ(s.site.timezone, "Asia/Shanghai");
    EXPECT_EQ(s.vouchers.per_month, 2);
    EXPECT_EQ(s.vouchers.eligible_categories, (std::vector<std::string>{"living-alone", "elderly-only"}));
    EXPECT_EQ(s.vouchers.grace_days, 0);
    EXPECT_EQ(s.vouchers.key_file, "/var/lib/voucher-gate/voucher.keys");
    EXPECT_EQ(s.stay.max, 4h);
    EXPECT_EQ(s.stay.grace, 15min);
    EXPECT_EQ(s.stay.overstay_exit, OverstayExit::Open);
    EXPECT_EQ(s.stay.overstay_fee_per_hour, 0.0);
    EXPECT_EQ(s.stay.sweep_every, 1min);
    EXPECT_EQ(s.database.path, "/var/lib/voucher-gate/ledger.db");
    EXPECT_EQ(s.database.retention_days, 365);
    EXPECT_EQ(s.database.busy_timeout, 2s);
    EXPECT_EQ(s.database.spool_path, "/var/lib/voucher-gate/spool.jsonl");
    EXPECT_EQ(s.audit.key_file, "/var/lib/voucher-gate/audit.key");
    EXPECT_EQ(s.http.listen, "127.0.0.1:8080");
    EXPECT_FALSE(s.log.plates);
    EXPECT_TRUE(ok("[log]\nplates = true\n").log.plates);
    EXPECT_EQ(s.control.socket, "/run/voucher-gate/control.sock");
    EXPECT_EQ(s.lanes.pair_window, 60s);
    EXPECT_EQ(s.lanes.repeat_window, 60s);
    EXPECT_EQ(s.lanes.readmit_window, 10min);
    EXPECT_EQ(s.lanes.plate_timeout, 8s);
    EXPECT_EQ(s.lanes.unread_plate, UnreadPlate::Guard);
    EXPECT_DOUBLE_EQ(s.lanes.min_plate_confidence, 0.8);
    EXPECT_EQ(s.lanes.exit_on_error, ExitOnError::Open);
    EXPECT_EQ(s.lanes.camera_stall_after, 5s);
    EXPECT_TRUE(s.lane.empty());
}

TEST(ConfigLoader, ChangingTheStayIsOneLine) {
    const Settings s = ok("[stay]\nmax = \"2h30m\"\n");
    EXPECT_EQ(s.stay.max, 150min);
}

TEST(ConfigLoader, SyntaxErrorGivesLineAndColumn) {
    const ConfigError e = errorOf("[site]\nname = \"a\"\ntimezone = \n");
    EXPECT_EQ(e.line, 3);
    EXPECT_GT(e.column, 0);
    EXPECT_THAT(e.str(), HasSubstr("voucher-gate.toml:3:"));
}

TEST(ConfigLoader, UnknownTopLevelKeySuggestsTheSection) {
    const ConfigError e = errorOf("[site]\nname = \"x\"\n\n[vouchrs]\nper_month = 2\n");
    EXPECT_EQ(e.key, "vouchrs");
    EXPECT_EQ(e.line, 4);
    EXPECT_THAT(e.message, HasSubstr("did you mean [vouchers]"));
}

TEST(ConfigLoader, UnknownKeyInStaySuggestsTheClosestKey) {
    const ConfigError e = errorOf("[stay]\nmax = \"4h\"\ngrase = \"10m\"\n");
    EXPECT_EQ(e.key, "stay.grase");
    EXPECT_EQ(e.line, 3);
    EXPECT_EQ(e.str(), "voucher-gate.toml:3: stay.grase: unknown key (did you mean \"grace\"?)");
}

TEST(ConfigLoader, KeyInTheWrongSectionSaysWhereItBelongs) {
    const ConfigError e = errorOf("[stay]\npair_window = \"30s\"\n");
    EXPECT_EQ(e.key, "stay.pair_window");
    EXPECT_THAT(e.message, HasSubstr("belongs in [lanes]"));
}

TEST(ConfigLoader, UnknownKeyInsideALane) {
    const ConfigError e = errorOf(std::string(kLane) +
                                  "\n[[lane]]\nname = \"exit-1\"\ndirection = \"exit\"\n"
                                  "plate_camra = \"/dev/video2\"\n");
    EXPECT_EQ(e.key, "lane[exit-1].plate_camra");
    EXPECT_EQ(e.line, 14);
    EXPECT_THAT(e.message, HasSubstr("did you mean \"plate_camera\""));
}

TEST(ConfigLoader, UnknownKeyInALanesRelay) {
    const ConfigError e = errorOf(std::string(kLane) + "pulse_length = \"1s\"\n");
    EXPECT_EQ(e.key, "lane[entry-1].relay.pulse_length");
    EXPECT_EQ(e.line, 10);
}

TEST(ConfigLoader, KeyOfAnotherRelayDriverIsNamed) {
    const ConfigError e = errorOf(std::string(kLane) + "host = \"10.0.0.5\"\n");
    EXPECT_EQ(e.key, "lane[entry-1].relay.host");
    EXPECT_THAT(e.message, HasSubstr("only for driver \"modbus-tcp\", but driver is \"sim\""));
}

TEST(ConfigLoader, TheBarriersOpenedInputIsAnOptionalModbusKey) {
    const std::string modbus =
        "[[lane]]\nname = \"entry-1\"\ndirection = \"entry\"\nplate_camera = \"/dev/video0\"\n"
        "[lane.relay]\ndriver = \"modbus-tcp\"\nhost = \"10.0.0.5\"\n";
    const Settings none = ok(modbus);
    EXPECT_FALSE(none.lane[0].relay.opened_input.has_value());  // not read back unless configured
    EXPECT_EQ(none.lane[0].relay.opened_within, 2s);
    const Settings s = ok(modbus + "opened_input = 4\nopened_within = \"3s\"\n");
    EXPECT_EQ(s.lane[0].relay.opened_input, 4);
    EXPECT_EQ(s.lane[0].relay.opened_within, 3s);
    EXPECT_EQ(errorOf(modbus + "opened_input = 70000\n").key, "lane[entry-1].relay.opened_input");
    const ConfigError e = errorOf(std::string(kLane) + "opened_input = 4\n");
    EXPECT_EQ(e.key, "lane[entry-1].relay.opened_input");
    EXPECT_THAT(e.message, HasSubstr("only for driver"));
}

TEST(ConfigLoader, TailgateGapIsALanesKeyALaneMayOverride) {
    EXPECT_EQ(ok(std::string(kLane)).lane[0].tailgate_gap, 2s);
    EXPECT_EQ(ok("[lanes]\ntailgate_gap = \"5s\"\n" + std::string(kLane)).lane[0].tailgate_gap, 5s);
    EXPECT_EQ(errorOf("[lanes]\ntailgate_gap = \"5m\"\n").key, "lanes.tailgate_gap");
}

TEST(ConfigLoader, WrongTypeNamesWhatWasExpected) {
    const ConfigError e = errorOf("[vouchers]\nper_month = \"two\"\n");
    EXPECT_EQ(e.key, "vouchers.per_month");
    EXPECT_EQ(e.line, 2);
    EXPECT_EQ(e.message, "expected an integer, got a string");

    const ConfigError t = errorOf("stay = 5\n");
    EXPECT_EQ(t.key, "stay");
    EXPECT_EQ(t.line, 1);
}

TEST(ConfigLoader, OutOfRangeNamesTheRange) {
    const ConfigError e = errorOf("[vouchers]\n\nper_month = 40\n");
    EXPECT_EQ(e.key, "vouchers.per_month");
    EXPECT_EQ(e.line, 3);
    EXPECT_EQ(e.message, "40 is out of range: must be between 1 and 31");

    const ConfigError c = errorOf("[lanes]\nmin_plate_confidence = 1.5\n");
    EXPECT_EQ(c.key, "lanes.min_plate_confidence");

    const ConfigError d = errorOf("[stay]\nmax = \"31d\"\n");
    EXPECT_EQ(d.message, "\"31d\" is out of range: must be between 1m and 30d");

    const ConfigError f = errorOf("[stay]\noverstay_fee_per_hour = -1\n");
    EXPECT_EQ(f.key, "stay.overstay_fee_per_hour");
}

TEST(ConfigLoader, BadDurationShowsExamples) {
    const ConfigError e = errorOf("\n[stay]\nmax = \"4x\"\n");
    EXPECT_EQ(e.str(), "voucher-gate.toml:3: stay.max: \"4x\" is not a duration (use e.g. \"90s\", \"15m\", \"4h\")");
    EXPECT_EQ(errorOf("[stay]\nmax = 4\n").message,
              "expected a duration string like \"90s\", \"15m\", \"4h\", got an integer");
    EXPECT_EQ(errorOf("[stay]\ngrace = \"-5m\"\n").key, "stay.grace");
}

TEST(ConfigLoader, DurationSyntax) {
    EXPECT_EQ(parseDuration("500ms"), 500ms);
    EXPECT_EQ(parseDuration("90s"), 90s);
    EXPECT_EQ(parseDuration("2d"), 48h);
    EXPECT_EQ(parseDuration("1h30m"), 90min);
    EXPECT_EQ(parseDuration("0s"), 0ms);
    for (std::string_view bad :
         {"", "4", "-1s", "+1s", "1.5h", "30m1h", "1h1h", "1 h", "h", "1sms", "4x", "99999999999999999999d"}) {
        EXPECT_FALSE(parseDuration(bad).has_value()) << bad;
    }
    EXPECT_EQ(formatDuration(90min), "1h30m");
    EXPECT_EQ(formatDuration(500ms), "500ms");
    EXPECT_EQ(formatDuration(0ms), "0s");
}

TEST(ConfigLoader, DuplicateLaneNameNamesTheFirstOne) {
    const ConfigError e = errorOf(std::string(kLane) + std::string(kLane));
    EXPECT_EQ(e.key, "lane[entry-1].name");
    EXPECT_EQ(e.line, 12);
    EXPECT_THAT(e.message, HasSubstr("already the name of the lane at line 3"));
}

TEST(ConfigLoader, MissingLaneNameAndMissingPlateCamera) {
    const ConfigError e = errorOf("[[lane]]\ndirection = \"entry\"\n");
    EXPECT_EQ(e.key, "lane[#1].name");
    EXPECT_EQ(e.line, 1);
    EXPECT_THAT(e.message, HasSubstr("missing; required"));

    const ConfigError c = errorOf("[site]\n[[lane]]\nname = \"a\"\ndirection = \"entry\"\n");
    EXPECT_EQ(c.key, "lane[a].plate_camera");
    EXPECT_EQ(c.line, 2);

    const ConfigError r = errorOf("[[lane]]\nname = \"a\"\ndirection = \"entry\"\nplate_camera = \"/dev/video0\"\n");
    EXPECT_EQ(r.key, "lane[a].relay");
}

TEST(ConfigLoader, BadDirectionDriverAndUnreadPlate) {
    std::string lane(kLane);
    std::string bad = lane;
    bad.replace(bad.find("\"entry\""), 7, "\"entrance\"");
    const ConfigError d = errorOf(bad);
    EXPECT_EQ(d.key, "lane[entry-1].direction");
    EXPECT_EQ(d.line, 4);
    EXPECT_EQ(d.message, "\"entrance\" is not one of \"entry\", \"exit\"");

    bad = lane;
    bad.replace(bad.find("\"sim\""), 5, "\"relayboard\"");
    const ConfigError r = errorOf(bad);
    EXPECT_EQ(r.key, "lane[entry-1].relay.driver");
    EXPECT_EQ(r.line, 8);

    const ConfigError u = errorOf("[lanes]\nunread_plate = \"gaurd\"\n");
    EXPECT_EQ(u.key, "lanes.unread_plate");
    EXPECT_THAT(u.message, HasSubstr("did you mean \"guard\""));
}

TEST(ConfigLoader, CameraSources) {
    auto withCamera = [](std::string_view cam) {
        std::string lane(kLane);
        lane.replace(lane.find("\"/dev/video0\""), 13, "\"" + std::string(cam) + "\"");
        return lane;
    };
    for (std::string_view good :
         {"/dev/video12", "/dev/v4l/by-id/usb-cam-video-index0", "rtsp://10.0.0.9/stream1", "http://cam.local/mjpg",
          "https://cam/x", "/nonexistent/clip.mp4", "/nonexistent/clip.MKV", VG_SOURCE_DIR}) {
        auto r = loadFromString(withCamera(good), "t.toml");
        EXPECT_TRUE(r.has_value()) << good << ": " << (r ? "" : r.error().str());
    }
    for (std::string_view bad : {"/dev/sda", "/dev/videoX", "ftp://cam/x", "/nonexistent/folder", "camera0", ""}) {
        const ConfigError e = errorOf(withCamera(bad));
        EXPECT_EQ(e.key, "lane[entry-1].plate_camera") << bad;
        EXPECT_EQ(e.line, 5) << bad;
    }
}

TEST(ConfigLoader, UnknownTimeZone) {
    const ConfigError e = errorOf("[site]\ntimezone = \"Asia/Beijing\"\n");
    EXPECT_EQ(e.key, "site.timezone");
    EXPECT_EQ(e.line, 2);
    EXPECT_THAT(e.message, HasSubstr("not a time zone"));
    EXPECT_EQ(ok("[site]\ntimezone = \"Europe/Berlin\"\n").site.timezone, "Europe/Berlin");
}

TEST(ConfigLoader, UnitAndPhonePatternsAreRegularExpressionsCheckedAtLoad) {
    const Settings d = defaults();
    EXPECT_FALSE(d.site.unit_pattern.empty());
    EXPECT_FALSE(d.site.phone_pattern.empty());
    const ConfigError e = errorOf("[site]\nname = \"x\"\nunit_pattern = '^([0-9]+'\n");
    EXPECT_EQ(e.key, "site.unit_pattern");
    EXPECT_EQ(e.line, 3);
    EXPECT_THAT(e.message, HasSubstr("is not a regular expression"));
    EXPECT_EQ(errorOf("[site]\nphone_pattern = '[0-9'\n").key, "site.phone_pattern");
    EXPECT_EQ(errorOf("[site]\nphone_pattern = ''\n").key, "site.phone_pattern");
    EXPECT_EQ(ok("[site]\nunit_pattern = '^[0-9]{1,3}号楼[0-9]{3,4}$'\n").site.unit_pattern,
              "^[0-9]{1,3}号楼[0-9]{3,4}$");
}

TEST(ConfigLoader, TheOfficePhoneIsCheckedByThePhonePattern) {
    // site.phone is printed on every card: "abc" was accepted.
    const ConfigError e = errorOf("[site]\nname = \"x\"\nphone = \"abc\"\n");
    EXPECT_EQ(e.key, "site.phone");
    EXPECT_EQ(e.line, 3);
    EXPECT_THAT(e.message, HasSubstr("site.phone_pattern"));
    EXPECT_EQ(ok("[site]\nphone = \"021-5555 1234\"\nphone_pattern = '^[0-9 -]+$'\n").site.phone, "021-5555 1234");
    EXPECT_EQ(ok("[site]\nphone = \"021-55551234\"\n").site.phone, "021-55551234");
    EXPECT_EQ(ok("[site]\nphone = \"\"\n").site.phone, "");
}

TEST(ConfigLoader, ListenAddress) {
    EXPECT_EQ(ok("[http]\nlisten = \"[::1]:9000\"\n").http.listen, "[::1]:9000");
    EXPECT_EQ(errorOf("[http]\nlisten = \"127.0.0.1\"\n").key, "http.listen");
    EXPECT_EQ(errorOf("[http]\nlisten = \"127.0.0.1:70000\"\n").key, "http.listen");
}

TEST(ConfigLoader, LaneInheritsLanesAndOverridesPerLane) {
    const Settings s =
        ok(std::string("[lanes]\nplate_timeout = \"12s\"\nreadmit_window = \"5m\"\n") + std::string(kLane) +
           "\n[[lane]]\nname = \"exit-1\"\ndirection = \"exit\"\nplate_camera = \"/dev/video2\"\n"
           "card_camera = \"rtsp://10.0.0.7/card\"\nplate_timeout = \"3s\"\nexit_on_error = \"hold\"\n"
           "roi = [10, 20, 640, 360]\ncamera_fps = 12.5\n"
           "[lane.relay]\ndriver = \"modbus-tcp\"\nhost = \"10.0.0.5\"\ncoil = 3\npulse = \"1s\"\n"
           "[lane.presence]\ndriver = \"gpio\"\nline = 4\n"
           "[lane.announcer]\ndriver = \"tts\"\n");
    ASSERT_EQ(s.lane.size(), 2u);
    const LaneSettings& entry = s.lane[0];
    EXPECT_EQ(entry.plate_timeout, 12s);
    EXPECT_EQ(entry.readmit_window, 5min);
    EXPECT_EQ(entry.exit_on_error, ExitOnError::Open);
    EXPECT_EQ(entry.card_camera, "/dev/video0");  // defaults to the plate camera
    EXPECT_FALSE(entry.roi.has_value());
    EXPECT_FALSE(entry.camera_fps.has_value());
    EXPECT_EQ(entry.relay.pulse, 500ms);
    EXPECT_EQ(entry.relay.max_hold, 30min);
    EXPECT_EQ(entry.relay.file, "/tmp/relay-entry-1.jsonl");
    EXPECT_FALSE(entry.presence.has_value());
    EXPECT_FALSE(entry.announcer.has_value());

    const LaneSettings& exit = s.lane[1];
    EXPECT_EQ(exit.direction, Direction::Exit);
    EXPECT_EQ(exit.plate_timeout, 3s);
    EXPECT_EQ(exit.readmit_window, 5min);
    EXPECT_EQ(exit.exit_on_error, ExitOnError::Hold);
    EXPECT_EQ(exit.card_camera, "rtsp://10.0.0.7/card");
    EXPECT_EQ(exit.roi, (std::array<int, 4>{10, 20, 640, 360}));
    EXPECT_EQ(exit.camera_fps, 12.5);
    EXPECT_EQ(exit.relay.driver, RelayDriver::ModbusTcp);
    EXPECT_EQ(exit.relay.host, "10.0.0.5");
    EXPECT_EQ(exit.relay.port, 502);
    EXPECT_EQ(exit.relay.unit, 1);
    EXPECT_EQ(exit.relay.coil, 3);
    EXPECT_EQ(exit.relay.pulse, 1s);
    ASSERT_TRUE(exit.presence.has_value());
    EXPECT_EQ(exit.presence->driver, PresenceDriver::Gpio);
    EXPECT_EQ(exit.presence->chip, "gpiochip0");
    EXPECT_EQ(exit.presence->line, 4);
    ASSERT_TRUE(exit.announcer.has_value());
    EXPECT_EQ(exit.announcer->voice, "cmn");
    EXPECT_EQ(s.lanes.plate_timeout, 12s);  // [lanes] itself is untouched by lane overrides
}

TEST(ConfigLoader, LaneOverrideIsValidatedLikeTheDefault) {
    const ConfigError e = errorOf(std::string(kLane) +
                                  "\n[[lane]]\nname = \"b\"\ndirection = \"exit\"\n"
                                  "plate_camera = \"/dev/video1\"\nrepeat_window = \"2h\"\n");
    EXPECT_EQ(e.key, "lane[b].repeat_window");
    EXPECT_EQ(e.line, 15);
}

TEST(ConfigLoader, PresencePolicyNeedsAPresenceInput) {
    const ConfigError e = errorOf("[lanes]\nunread_plate = \"presence\"\n" + std::string(kLane));
    EXPECT_EQ(e.key, "lane[entry-1].unread_plate");
    EXPECT_THAT(e.message, HasSubstr("[lane.presence]"));
    const Settings s = ok("[lanes]\nunread_plate = \"presence\"\n" + std::string(kLane) +
                          "[lane.presence]\ndriver = \"sim\"\nfile = \"/tmp/p\"\n");
    EXPECT_EQ(s.lane[0].unread_plate, UnreadPlate::Presence);
}

TEST(ConfigLoader, RelayDriversRequireTheirOwnKeys) {
    const ConfigError e = errorOf(
        "[[lane]]\nname = \"a\"\ndirection = \"entry\"\nplate_camera = \"/dev/video0\"\n"
        "[lane.relay]\ndriver = \"gpio\"\n");
    EXPECT_EQ(e.key, "lane[a].relay.line");
    EXPECT_EQ(e.line, 5);
    const Settings s =
        ok("[[lane]]\nname = \"a\"\ndirection = \"entry\"\nplate_camera = \"/dev/video0\"\n"
           "[lane.relay]\ndriver = \"serial\"\ndevice = \"/dev/ttyUSB1\"\nchannel = 2\n");
    EXPECT_EQ(s.lane[0].relay.driver, RelayDriver::Serial);
    EXPECT_EQ(s.lane[0].relay.device, "/dev/ttyUSB1");
    EXPECT_EQ(s.lane[0].relay.baud, 9600);
    EXPECT_EQ(s.lane[0].relay.channel, 2);
    const ConfigError h = errorOf(std::string(kLane) + "pulse = \"5s\"\nmax_hold = \"2s\"\n");
    EXPECT_EQ(h.key, "lane[entry-1].relay.max_hold");
}

TEST(ConfigLoader, LaneAsPlainTableIsExplained) {
    const ConfigError e = errorOf("[lane]\nname = \"a\"\n");
    EXPECT_EQ(e.key, "lane");
    EXPECT_THAT(e.message, HasSubstr("[[lane]]"));
}

TEST(ConfigLoader, ChineseSiteNameAndLaneName) {
    const Settings s = ok("[site]\nname = \"春光苑小区\"\n" + std::string(kLane) +
                          "\n[[lane]]\nname = \"东门出口\"\ndirection = \"exit\"\nplate_camera = \"/dev/video1\"\n"
                          "[lane.relay]\ndriver = \"sim\"\nfile = \"/tmp/r2\"\n");
    EXPECT_EQ(s.site.name, "春光苑小区");
    EXPECT_EQ(s.lane[1].name, "东门出口");
    EXPECT_EQ(errorOf("[[lane]]\nname = \"east gate\"\n").key, "lane[#1].name");
}

TEST(ConfigLoader, MissingFileIsAnErrorNamingThePath) {
    auto r = load("/nonexistent/voucher-gate.toml");
    ASSERT_FALSE(r.has_value());
    EXPECT_THAT(r.error().str(), HasSubstr("/nonexistent/voucher-gate.toml: no such file"));
}

TEST(ConfigLoader, LoadResolvesRelativePathsAgainstTheFilesFolder) {
    const auto dir = std::filesystem::path(VG_BINARY_DIR) / "config-test-relative";
    std::filesystem::create_directories(dir / "frames");
    {
        std::ofstream out(dir / "gate.toml");
        out << "[database]\npath = \"ledger.db\"\n"
            << "[[lane]]\nname = \"a\"\ndirection = \"entry\"\nplate_camera = \"frames\"\n"
            << "[lane.relay]\ndriver = \"sim\"\nfile = \"relay.jsonl\"\n";
    }
    auto r = load(dir / "gate.toml");
    ASSERT_TRUE(r.has_value()) << r.error().str();
    EXPECT_EQ(r->database.path, dir / "ledger.db");
    EXPECT_EQ(r->lane[0].plate_camera, (dir / "frames").string());
    EXPECT_EQ(r->lane[0].relay.file, dir / "relay.jsonl");
}

TEST(ConfigLoader, RestartRequiredChangesNamesEveryRestartKey) {
    const Settings base = defaults();
    for (const KeyDoc& k : keyTable()) {
        const std::string_view key = k.key;
        if (key.starts_with("lane.")) continue;  // per lane: RestartRequiredChangesNamesLaneDevices
        const auto dot = key.find('.');
        std::string value;
        switch (k.type) {
            case KeyType::Path:
                value = "\"/tmp/changed\"";
                break;
            case KeyType::Listen:
                value = "\"127.0.0.1:9999\"";
                break;
            // The range's upper bound differs from every default.
            case KeyType::Period:
                value = "\"" + std::string(k.range.substr(k.range.find("..") + 2)) + "\"";
                break;
            case KeyType::Integer:
            case KeyType::Number:
                value = std::string(k.range.substr(k.range.find("..") + 2));
                break;
            case KeyType::String:
                value = "\"changed\"";
                break;
            case KeyType::TimeZone:
                value = "\"Europe/Paris\"";
                break;
            case KeyType::Pattern:
                value = "'^changed$'";
                break;
            case KeyType::StringList:
                value = "[\"x\"]";
                break;
            case KeyType::Choice:
                value = "\"hold\"";
                break;
            case KeyType::Boolean:
                value = "true";  // every boolean defaults to false
                break;
            default:
                FAIL() << "no test value for " << key;
        }
        if (key == "lanes.unread_plate") value = "\"never\"";
        if (key == "site.phone") value = "\"021-62345678\"";  // must match site.phone_pattern
        const std::string text =
            "[" + std::string(key.substr(0, dot)) + "]\n" + std::string(key.substr(dot + 1)) + " = " + value + "\n";
        const Settings next = ok(text);
        ASSERT_NE(next, base) << key;
        const auto changes = restartRequiredChanges(base, next);
        if (k.reloads) {
            EXPECT_TRUE(changes.empty()) << key;
        } else {
            EXPECT_EQ(changes, std::vector<std::string>{std::string(key)}) << key;
        }
    }
}

TEST(ConfigLoader, RestartRequiredChangesNamesLaneDevices) {
    const std::string lane = "[[lane]]\nname = \"entry-1\"\ndirection = \"entry\"\nplate_camera = \"rtsp://cam/1\"\n";
    const std::string relay = "[lane.relay]\ndriver = \"sim\"\nfile = \"/tmp/r.jsonl\"\n";
    const Settings base = ok(lane + relay);
    EXPECT_TRUE(restartRequiredChanges(
                    base, ok(lane + "readmit_window = \"5m\"\ndry_run = true\n" + relay + "pulse = \"1s\"\n"))
                    .empty())
        << "timing, rules, dry_run and the pulse reload live";
    EXPECT_EQ(restartRequiredChanges(base, ok("[[lane]]\nname = \"entry-1\"\ndirection = \"entry\"\n"
                                              "plate_camera = \"rtsp://cam/2\"\n" +
                                              relay)),
              (std::vector<std::string>{"lane[entry-1].plate_camera", "lane[entry-1].card_camera"}));
    EXPECT_EQ(restartRequiredChanges(base, ok(lane + "[lane.relay]\ndriver = \"sim\"\nfile = \"/tmp/s.jsonl\"\n")),
              std::vector<std::string>{"lane[entry-1].relay.file"});
    EXPECT_EQ(restartRequiredChanges(base, ok("")), std::vector<std::string>{"lane[entry-1] (removed)"});
    for (const KeyDoc& k : keyTable()) {
        const std::string_view key = k.key;
        const bool live = key == "lane.dry_run" || key == "lane.relay.pulse" || key == "lane.pair_window";
        if (key.starts_with("lane.") && live) {
            EXPECT_TRUE(k.reloads) << key;
        }
        if (key == "lane.plate_camera" || key == "lane.relay.file" || key == "lane.presence" ||
            key == "lane.announcer" || key == "lane.name") {
            EXPECT_FALSE(k.reloads) << key << " is documented as needing a restart";
        }
    }
}

TEST(ConfigLoader, EveryEnumHasItsTomlSpelling) {
    EXPECT_EQ(toString(RelayDriver::ModbusRtu), "modbus-rtu");
    EXPECT_EQ(toString(UnreadPlate::Presence), "presence");
    EXPECT_EQ(toString(OverstayExit::Hold), "hold");
    EXPECT_EQ(toString(Direction::Exit), "exit");
    EXPECT_EQ(toString(AnnouncerDriver::Tts), "tts");
    EXPECT_EQ(toString(PresenceDriver::Gpio), "gpio");
    EXPECT_EQ(toString(ExitOnError::Open), "open");
}

}  // namespace
}  // namespace vg::config
