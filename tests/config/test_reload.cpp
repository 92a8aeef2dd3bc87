// A SIGHUP reload as the key table says: every restart-only key keeps its running value and is named, every live
// key applies, lanes added or removed wait for a restart. The keys are taken from keyTable(), so a new key is
// tested (or this file fails) without anyone remembering to add it here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "config/config_loader.h"
#include "config/keys.h"
#include "config/reload.h"

namespace vg::config {
namespace {

using ::testing::Contains;

Settings ok(const std::string& text) {
    auto r = loadFromString(text, "voucher-gate.toml");
    EXPECT_TRUE(r.has_value()) << (r ? "" : r.error().str()) << "\n" << text;
    return r ? *r : Settings{};
}

std::vector<std::string_view> split(std::string_view text, char sep) {
    std::vector<std::string_view> out;
    while (true) {
        const auto at = text.find(sep);
        out.push_back(text.substr(0, at));
        if (at == std::string_view::npos) return out;
        text = text.substr(at + 1);
    }
}

std::string unquoted(std::string_view v) {
    return v.size() >= 2 && v.front() == '"' ? std::string(v.substr(1, v.size() - 2)) : std::string(v);
}

// A value of the key's type that differs from `current` (TOML text; empty = the key's default).
std::string otherValue(const KeyDoc& k, std::string current) {
    if (current.empty()) current = std::string(k.default_toml);
    const auto bounds = split(k.range, '.');  // "a..b" -> {a, "", b}
    switch (k.type) {
        case KeyType::Period: {
            const std::string hi = "\"" + std::string(bounds.back()) + "\"";
            return current == hi ? "\"" + std::string(bounds.front()) + "\"" : hi;
        }
        case KeyType::Integer:
        case KeyType::Number: {
            const std::string hi(k.range.substr(k.range.find("..") + 2));
            return current == hi ? std::string(k.range.substr(0, k.range.find(".."))) : hi;
        }
        case KeyType::Boolean:
            return current == "true" ? "false" : "true";
        case KeyType::Choice:
            for (auto c : split(k.range, '|')) {
                if (std::string(c) != unquoted(current)) return "\"" + std::string(c) + "\"";
            }
            break;
        case KeyType::String:
            return "\"changed\"";
        case KeyType::Path:
            return "\"/tmp/changed\"";
        case KeyType::StringList:
            return "[\"x\"]";
        case KeyType::TimeZone:
            return "\"Europe/Paris\"";
        case KeyType::Listen:
            return "\"127.0.0.1:9999\"";
        case KeyType::Camera:
            return "\"rtsp://cam/2\"";
        case KeyType::Roi:
            return "[1, 2, 30, 40]";
        case KeyType::Pattern:
            return "'^[0-9]+$'";
        case KeyType::Table:
            break;
    }
    ADD_FAILURE() << "no other value for " << k.key;
    return "";
}

bool accepts(const KeyDoc& k, std::string_view driver) {
    if (k.drivers.empty()) return true;
    for (auto d : split(k.drivers, '|')) {
        if (d == driver) return true;
    }
    return false;
}

// One lane as TOML tables: "lane", "lane.relay", "lane.presence", "lane.announcer" -> key -> value.
using Tables = std::map<std::string, std::map<std::string, std::string>>;

// A table of the given driver with the keys it requires, from the key table's examples.
std::map<std::string, std::string> tableFor(std::string_view table, std::string_view driver) {
    std::map<std::string, std::string> t{{"driver", "\"" + std::string(driver) + "\""}};
    for (const KeyDoc& k : keyTable()) {
        const auto dot = k.key.rfind('.');
        if (k.key.substr(0, dot) != table || k.need != Need::Required || !accepts(k, driver)) continue;
        if (k.key.ends_with(".driver")) continue;
        t[std::string(k.key.substr(dot + 1))] = std::string(k.example);
    }
    return t;
}

std::string firstDriver(const KeyDoc& k, std::string_view table, std::string_view fallback) {
    if (!k.key.starts_with(std::string(table) + ".") || k.drivers.empty()) return std::string(fallback);
    return std::string(split(k.drivers, '|').front());
}

// The lane a key is tested on: its table set to a driver that accepts the key, presence and announcer present.
Tables laneFor(const KeyDoc& k) {
    Tables t;
    t["lane"] = {{"name", "\"entry-1\""},
                 {"direction", "\"entry\""},
                 {"plate_camera", "\"rtsp://cam/1\""},
                 {"card_camera", "\"rtsp://cam/9\""}};  // else it follows plate_camera
    t["lane.relay"] = tableFor("lane.relay", firstDriver(k, "lane.relay", "sim"));
    t["lane.presence"] = tableFor("lane.presence", firstDriver(k, "lane.presence", "sim"));
    t["lane.announcer"] = tableFor("lane.announcer", firstDriver(k, "lane.announcer", "tts"));
    return t;
}

std::string render(const Tables& lane, const std::string& extra = "") {
    std::string out = extra + "[[lane]]\n";
    for (const auto& [key, value] : lane.at("lane")) out += key + " = " + value + "\n";
    for (const auto& [table, keys] : lane) {
        if (table == "lane") continue;
        out += "[" + table + "]\n";
        for (const auto& [key, value] : keys) out += key + " = " + value + "\n";
    }
    return out;
}

TEST(Reload, EveryKeyOfTheKeyTableHasAField) {
    for (const KeyDoc& k : keyTable()) EXPECT_TRUE(reloadKnows(k.key)) << k.key << ": add its field in reload.cpp";
    EXPECT_FALSE(reloadKnows("stay.nonsense"));
}

TEST(Reload, SiteAndLanesKeysApplyOrKeepTheirRunningValueAsTheKeyTableSays) {
    const Tables lane = laneFor(KeyDoc{});
    const Settings running = ok(render(lane));
    for (const KeyDoc& k : keyTable()) {
        if (k.key.starts_with("lane.")) continue;
        const auto dot = k.key.find('.');
        const std::string value = k.key == "lanes.unread_plate" ? "\"never\""
                                  : k.key == "site.phone"       ? "\"021-62345678\""  // by site.phone_pattern
                                                                : otherValue(k, "");
        const std::string section =
            "[" + std::string(k.key.substr(0, dot)) + "]\n" + std::string(k.key.substr(dot + 1)) + " = " + value + "\n";
        const Settings next = ok(section + render(lane));
        ASSERT_NE(next, running) << k.key;
        const auto plan = planReload(running, next);
        if (k.reloads) {
            EXPECT_EQ(plan.applied, next) << k.key << " reloads live";
            EXPECT_TRUE(plan.restart.empty()) << k.key;
        } else {
            EXPECT_EQ(plan.applied, running) << k.key << " needs a restart: its running value stays";
            EXPECT_EQ(plan.restart, std::vector<std::string>{std::string(k.key)}) << k.key;
        }
    }
}

TEST(Reload, LaneKeysApplyOrKeepTheirRunningValueAsTheKeyTableSays) {
    for (const KeyDoc& k : keyTable()) {
        const bool laneKey = k.key.starts_with("lane.");
        if (!laneKey && !k.key.starts_with("lanes.")) continue;
        if (k.key == "lane.relay") continue;  // a required table: no value of its own; its keys are tested here
        const std::string table(laneKey ? k.key.substr(0, k.key.rfind('.')) : "lane");
        const std::string leaf(k.key.substr(k.key.rfind('.') + 1));
        const Tables lane = laneFor(k);
        Tables changed = lane;
        if (k.type == KeyType::Table) {
            changed.erase(std::string(k.key));  // an optional table taken out
        } else if (leaf == "driver") {
            changed[table] = tableFor(table, unquoted(otherValue(k, lane.at(table).at("driver"))));
        } else {
            const auto& keys = lane.at(table);
            changed[table][leaf] = otherValue(k, keys.contains(leaf) ? keys.at(leaf) : "");
            if (k.key == "lanes.unread_plate") changed[table][leaf] = "\"never\"";
        }
        const Settings running = ok(render(lane));
        const Settings next = ok(render(changed));
        ASSERT_NE(next, running) << k.key;
        const auto plan = planReload(running, next);
        if (k.key == "lane.name") {
            EXPECT_EQ(plan.applied, running);
            EXPECT_EQ(plan.restart, (std::vector<std::string>{"lane[entry-1] (removed)", "lane[changed] (added)"}));
        } else if (k.reloads) {
            EXPECT_EQ(plan.applied, next) << k.key << " reloads live";
            EXPECT_TRUE(plan.restart.empty()) << k.key;
        } else {
            const std::string named = "lane[entry-1]." + std::string(k.key.substr(k.key.find('.') + 1));
            EXPECT_EQ(plan.applied, running) << k.key << " needs a restart: its running value stays";
            EXPECT_THAT(plan.restart, Contains(named)) << k.key;
            if (leaf != "driver") {
                EXPECT_EQ(plan.restart.size(), 1U) << k.key;
            }
        }
    }
}

TEST(Reload, LiveKeysApplyWhileRestartKeysBesideThemKeepTheirRunningValues) {
    const Tables lane = laneFor(KeyDoc{});
    Tables changed = lane;
    changed["lane"]["roi"] = "[1, 2, 30, 40]";
    changed["lane"]["dry_run"] = "true";
    changed["lane.relay"]["pulse"] = "\"1s\"";
    const Settings running = ok(render(lane));
    const Settings next = ok(render(changed, "[stay]\nmax = \"2h\"\n[http]\nlisten = \"127.0.0.1:9999\"\n"));
    const auto plan = planReload(running, next);
    EXPECT_EQ(plan.applied.stay.max, std::chrono::hours(2));
    EXPECT_TRUE(plan.applied.lane.at(0).dry_run);
    EXPECT_EQ(plan.applied.lane.at(0).relay.pulse, std::chrono::seconds(1));
    EXPECT_EQ(plan.applied.http, running.http);
    EXPECT_EQ(plan.applied.lane.at(0).roi, running.lane.at(0).roi);
    EXPECT_EQ(plan.restart, (std::vector<std::string>{"http.listen", "lane[entry-1].roi"}));
}

TEST(Reload, LanesAddedOrRemovedWaitForARestart) {
    Tables a = laneFor(KeyDoc{});
    Tables b = a;
    b["lane"]["name"] = "\"exit-1\"";
    b["lane"]["direction"] = "\"exit\"";
    const Settings one = ok(render(a));
    const Settings two = ok(render(a) + render(b));
    auto added = planReload(one, two);
    EXPECT_EQ(added.applied.lane, one.lane);
    EXPECT_EQ(added.restart, std::vector<std::string>{"lane[exit-1] (added)"});
    auto removed = planReload(two, one);
    EXPECT_EQ(removed.applied.lane, two.lane);
    EXPECT_EQ(removed.restart, std::vector<std::string>{"lane[exit-1] (removed)"});
}

// What the loader says at start-up about a file that breaks a check spanning keys.
std::string loaderSays(const std::string& text) {
    auto r = loadFromString(text, "voucher-gate.toml");
    EXPECT_FALSE(r.has_value()) << text;
    return r ? std::string{} : r.error().key + ": " + r.error().message;
}

TEST(Reload, UnreadPlatePresenceOnALaneRunningWithoutAPresenceInputIsRefusedAsTheLoaderRefusesIt) {
    Tables running_lane = laneFor(KeyDoc{});
    running_lane.erase("lane.presence");
    Tables next_lane = laneFor(KeyDoc{});  // adds [lane.presence] (restart-only) with unread_plate (live)
    next_lane["lane"]["unread_plate"] = "\"presence\"";
    const Settings running = ok(render(running_lane));
    const Settings next = ok(render(next_lane));
    const auto plan = planReload(running, next);
    Tables broken = running_lane;
    broken["lane"]["unread_plate"] = "\"presence\"";
    EXPECT_EQ(plan.refused, loaderSays(render(broken)));
    EXPECT_THAT(plan.refused, ::testing::HasSubstr("lane[entry-1].unread_plate"));
}

TEST(Reload, APulseLongerThanTheRunningMaxHoldIsRefusedAsTheLoaderRefusesIt) {
    Tables running_lane = laneFor(KeyDoc{});
    running_lane["lane.relay"]["max_hold"] = "\"1s\"";
    running_lane["lane.relay"]["pulse"] = "\"500ms\"";
    Tables next_lane = running_lane;
    next_lane["lane.relay"]["max_hold"] = "\"5s\"";  // restart-only: stays at 1s
    next_lane["lane.relay"]["pulse"] = "\"2s\"";     // live
    const auto plan = planReload(ok(render(running_lane)), ok(render(next_lane)));
    Tables broken = running_lane;
    broken["lane.relay"]["pulse"] = "\"2s\"";
    EXPECT_EQ(plan.refused, loaderSays(render(broken)));
    EXPECT_THAT(plan.refused, ::testing::HasSubstr("lane[entry-1].relay.max_hold"));
}

TEST(Reload, AFileThatAppliesWithTheKeptKeysIsNotRefused) {
    const Tables lane = laneFor(KeyDoc{});
    Tables changed = lane;
    changed["lane"]["unread_plate"] = "\"presence\"";  // the lane runs with its presence input
    changed["lane.relay"]["pulse"] = "\"1s\"";
    EXPECT_EQ(planReload(ok(render(lane)), ok(render(changed))).refused, "");
}

}  // namespace
}  // namespace vg::config
