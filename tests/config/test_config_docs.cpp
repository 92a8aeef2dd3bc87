// The committed example config and docs/configuration.md are generated from the key table; these tests fail
// when someone edits one without the other, and pin the example's promise that its values are the defaults.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "config/config_loader.h"
#include "config/keys.h"

namespace vg::config {
namespace {

using namespace std::chrono_literals;

const std::filesystem::path kSource = VG_SOURCE_DIR;
const std::string kRegenerate =
    "regenerate with: cmake --build <build> --target vg-config-docs && <build>/config/vg-config-docs --write " +
    kSource.string();

std::string readFile(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

// The first differing line, so the failure says where the drift is.
std::string firstDifference(const std::string& committed, const std::string& rendered) {
    std::istringstream a(committed), b(rendered);
    std::string la, lb;
    for (int line = 1;; ++line) {
        const bool ha = static_cast<bool>(std::getline(a, la));
        const bool hb = static_cast<bool>(std::getline(b, lb));
        if (!ha && !hb) return "(identical)";
        if (!ha || !hb || la != lb) {
            return "line " + std::to_string(line) + ":\n  committed: " + (ha ? la : "<end>") +
                   "\n  rendered:  " + (hb ? lb : "<end>");
        }
    }
}

TEST(ConfigDocs, CommittedExampleMatchesTheKeyTable) {
    const std::string committed = readFile(kSource / "config/voucher-gate.example.toml");
    const std::string rendered = renderExampleToml();
    EXPECT_EQ(committed, rendered) << firstDifference(committed, rendered) << "\n" << kRegenerate;
}

TEST(ConfigDocs, CommittedMarkdownMatchesTheKeyTable) {
    const std::string committed = readFile(kSource / "docs/configuration.md");
    const std::string rendered = renderConfigurationMarkdown();
    EXPECT_EQ(committed, rendered) << firstDifference(committed, rendered) << "\n" << kRegenerate;
}

TEST(ConfigDocs, ExampleFileLoadsToTheDefaultsWithTwoLanes) {
    auto loaded = load(kSource / "config/voucher-gate.example.toml");
    ASSERT_TRUE(loaded.has_value()) << loaded.error().str();
    Settings s = *loaded;
    ASSERT_EQ(s.lane.size(), 2u);
    const LaneSettings entry = s.lane[0];
    const LaneSettings exit = s.lane[1];
    s.lane.clear();
    EXPECT_EQ(s, defaults());

    EXPECT_EQ(entry.name, "entry-1");
    EXPECT_EQ(entry.direction, Direction::Entry);
    EXPECT_EQ(entry.plate_camera, "/dev/video0");
    EXPECT_EQ(entry.card_camera, "/dev/video1");
    EXPECT_EQ(exit.name, "exit-1");
    EXPECT_EQ(exit.direction, Direction::Exit);
    for (const LaneSettings& lane : {entry, exit}) {
        EXPECT_EQ(static_cast<const LaneDefaults&>(lane), defaults().lanes) << lane.name;
        EXPECT_FALSE(lane.dry_run);
        EXPECT_FALSE(lane.camera_loop);
        EXPECT_FALSE(lane.roi.has_value());
        EXPECT_FALSE(lane.camera_fps.has_value());
        EXPECT_EQ(lane.relay.driver, RelayDriver::Sim);
        EXPECT_EQ(lane.relay.pulse, 500ms);
        EXPECT_EQ(lane.relay.max_hold, 30min);
        EXPECT_EQ(lane.relay.file, "/var/lib/voucher-gate/relay-" + lane.name + ".jsonl");
        EXPECT_FALSE(lane.presence.has_value());
        EXPECT_FALSE(lane.announcer.has_value());
    }
}

TEST(ConfigDocs, EveryKeyIsDocumentedAndEveryDefaultLoads) {
    const std::string md = renderConfigurationMarkdown();
    for (const KeyDoc& k : keyTable()) {
        EXPECT_FALSE(k.doc.empty()) << k.key;
        EXPECT_NE(md.find("`" + std::string(k.key) + "`"), std::string::npos) << k.key;
        EXPECT_EQ(k.need == Need::Default, !k.default_toml.empty()) << k.key;
        if (k.need != Need::Default && k.type != KeyType::Table && k.key.starts_with("lane.")) {
            EXPECT_FALSE(k.example.empty()) << k.key << " needs an example value";
        }
    }
    // Every documented product key is in the table (PRODUCT.md's config table).
    for (std::string_view key : {"site.name",
                                 "site.timezone",
                                 "vouchers.per_month",
                                 "vouchers.eligible_categories",
                                 "vouchers.grace_days",
                                 "vouchers.key_file",
                                 "stay.max",
                                 "stay.grace",
                                 "stay.overstay_exit",
                                 "stay.overstay_fee_per_hour",
                                 "stay.sweep_every",
                                 "database.path",
                                 "database.retention_days",
                                 "database.busy_timeout",
                                 "database.spool_path",
                                 "audit.key_file",
                                 "http.listen",
                                 "control.socket",
                                 "lanes.pair_window",
                                 "lanes.repeat_window",
                                 "lanes.readmit_window",
                                 "lanes.plate_timeout",
                                 "lanes.unread_plate",
                                 "lanes.min_plate_confidence",
                                 "lanes.exit_on_error",
                                 "lanes.camera_stall_after"}) {
        EXPECT_NE(findKey(key), nullptr) << key;
    }
}

}  // namespace
}  // namespace vg::config
