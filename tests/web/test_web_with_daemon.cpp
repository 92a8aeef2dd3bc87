// The guard's page against the real daemon: a car held for an unread plate is confirmed from 道闸, the daemon admits
// it and pulses the relay once; the decision then shows in 通行记录.
#include <gtest/gtest.h>
#include <sodium.h>

#include "daemon/daemon_harness.h"
#include "web/console_site.h"

namespace vg::testing {
namespace {

int pulseCount(const Site& s, const std::string& lane) {
    return count(relayActions(s.relayFile(lane)), "action", "pulse");
}

TEST(WebWithDaemon, AGuardsConfirmFromThePageReachesTheDaemonAndPulsesOnce) {
    ASSERT_GE(sodium_init(), 0);
    Site s("web-guard");
    s.lanes = {{"entry-1"}};
    const auto tokens = s.issue(1);
    s.makeClip("entry-1", "frames=5\nframes=30 card=" + tokens[0] + "\nframes=20\n");
    auto added =
        run(fmt::format("printf 'correct-horse\\n' | '{}' --config '{}' user add zhang --role guard "
                        "--password-stdin",
                        VG_CLI_BIN, s.config().string()));
    ASSERT_EQ(added.rc, 0) << added.out;
    s.startDaemon();
    ASSERT_TRUE(s.waitDecisions(1)) << s.logText();
    ASSERT_EQ(s.decisions()[0]["reason"], "HOLD_PLATE_UNREAD");

    ConsoleSite web("", s.dir);
    const auto cookie = web.login("zhang");
    ASSERT_NE(cookie, "");
    const auto gate_page = web.request("GET", "/gate", "", cookie);
    EXPECT_EQ(gate_page.status, 200);
    EXPECT_NE(gate_page.body.find("entry-1"), std::string::npos);
    const auto csrf = ConsoleSite::field(gate_page.body, "csrf");
    // No reason: refused by the page, nothing reaches the relay.
    auto r = web.request("POST", "/gate", "cmd=confirm&lane=entry-1&reason=&csrf=" + csrf, cookie);
    EXPECT_EQ(r.status, 303);
    EXPECT_EQ(pulseCount(s, "entry-1"), 0);
    r = web.request("POST", "/gate",
                    "cmd=confirm&lane=entry-1&plate=%E6%B2%AAA12345&reason=mud+on+the+plate&csrf=" + csrf, cookie);
    EXPECT_EQ(r.status, 303);
    const auto after = web.request("GET", "/gate", "", cookie);
    EXPECT_NE(after.body.find("已确认放行"), std::string::npos) << after.body;
    EXPECT_NE(after.body.find("放行：车辆 沪A12345 凭停车券"), std::string::npos)
        << "the decision in words: " << after.body;
    EXPECT_EQ(pulseCount(s, "entry-1"), 1);
    // Twice: the daemon has no car waiting any more; still one pulse.
    r = web.request("POST", "/gate", "cmd=confirm&lane=entry-1&reason=again&csrf=" + csrf, cookie);
    EXPECT_EQ(pulseCount(s, "entry-1"), 1);
    const auto refused = web.request("GET", "/gate", "", cookie);
    EXPECT_NE(refused.body.find("道闸服务拒绝"), std::string::npos);
    // The admission is in 通行记录 with the guard's name.
    const auto log = web.request("GET", "/decisions?plate=%E6%B2%AAA12345", "", cookie);
    EXPECT_NE(log.body.find("zhang"), std::string::npos) << log.body;
    EXPECT_EQ(s.stopDaemon(), 0);
}

}  // namespace
}  // namespace vg::testing
