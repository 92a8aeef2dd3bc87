// 道闸's lane box: the daemon's `status` record of one lane in the guard's words.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "web/console_internal.h"

namespace vg::web {
namespace {

// The words before the folded technical details (the raw record repeats every code in English).
std::string wordsOf(const nlohmann::json& lane) {
    const std::string box = laneBox(lane);
    return box.substr(0, box.find("<details>"));
}

TEST(WebGatePage, ALoopEventIsShownInWordsNotOnlyInTheDetails) {
    const nlohmann::json lane{{"name", "entry-1"},
                              {"direction", "entry"},
                              {"state", "idle"},
                              {"presence", "absent"},
                              {"last_event", {{"event", "TAILGATE_SUSPECTED"}, {"at", "2026-12-05T10:00:02+08:00"}}}};
    const std::string words = wordsOf(lane);
    EXPECT_NE(words.find("疑似跟车"), std::string::npos) << words;
    EXPECT_NE(words.find("2026-12-05T10:00:02+08:00"), std::string::npos) << words;
    EXPECT_NE(words.find("地感线圈：无车"), std::string::npos) << words;
    const nlohmann::json not_opened{
        {"name", "exit-1"}, {"state", "idle"}, {"last_event", {{"event", "BARRIER_NOT_OPENED"}, {"at", "10:00"}}}};
    EXPECT_NE(wordsOf(not_opened).find("道闸没有抬起"), std::string::npos);
}

TEST(WebGatePage, AnUnknownLoopIsNotShownAsNoCar) {
    const nlohmann::json lane{{"name", "entry-1"}, {"state", "idle"}, {"presence", "unknown"}};
    const std::string words = wordsOf(lane);
    EXPECT_EQ(words.find("无车"), std::string::npos) << words;
    EXPECT_NE(words.find("读不到"), std::string::npos) << words;
}

}  // namespace
}  // namespace vg::web
