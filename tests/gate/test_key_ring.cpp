// Token key ring: file round trip, mode 0640, atomic replacement, errors naming file and line, rotation.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "gate/key_ring.h"
#include "gate/token.h"

namespace vg::gate {
namespace {

namespace fs = std::filesystem;

class KeyRingTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "vg-keyring-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
    }
    void TearDown() override { fs::remove_all(dir_); }
    void write(const std::string& name, const std::string& text) { std::ofstream(dir_ / name) << text; }

    fs::path dir_;
    TimePoint t0_ = parseIsoUtc("2026-11-01T08:00:00.000Z").value();
};

TEST_F(KeyRingTest, SaveLoadRoundTripWithMode0640) {
    KeyRing ring;
    ASSERT_EQ(ring.addKey(t0_).value(), 1);
    ASSERT_EQ(ring.addKey(t0_ + std::chrono::hours(24)).value(), 2);
    ASSERT_TRUE(ring.retire(1, t0_ + std::chrono::hours(48)).has_value());
    const auto old_umask = ::umask(077);  // the mode must not depend on the caller's umask
    const auto saved = ring.save(dir_ / "voucher.keys");
    ::umask(old_umask);
    ASSERT_TRUE(saved.has_value()) << saved.error();

    struct stat st {};
    ASSERT_EQ(::stat((dir_ / "voucher.keys").c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0640u);

    const auto loaded = KeyRing::load(dir_ / "voucher.keys");
    ASSERT_TRUE(loaded.has_value()) << loaded.error();
    EXPECT_EQ(loaded->keys(), ring.keys());
    EXPECT_NE(ring.keys()[0].secret, ring.keys()[1].secret);
    ASSERT_NE(loaded->active(), nullptr);
    EXPECT_EQ(loaded->active()->id, 2);

    // Saving again replaces the file; no temporary file is left behind.
    ASSERT_TRUE(ring.addKey(t0_).has_value());
    ASSERT_TRUE(ring.save(dir_ / "voucher.keys").has_value());
    EXPECT_EQ(KeyRing::load(dir_ / "voucher.keys")->keys().size(), 3u);
    EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator{}), 1);
}

TEST_F(KeyRingTest, TokensSurviveTheFile) {
    KeyRing ring;
    const auto id = ring.addKey(t0_).value();
    const auto token = encodeToken({kTokenVersion1, id, 42, YearMonth{2026, 12}}, ring).value();
    ASSERT_TRUE(ring.save(dir_ / "k").has_value());
    const auto loaded = KeyRing::load(dir_ / "k").value();
    EXPECT_EQ(decodeToken(token, loaded).value().serial, 42u);
}

TEST_F(KeyRingTest, RotationRetireAndExhaustion) {
    KeyRing ring;
    EXPECT_EQ(ring.active(), nullptr);
    EXPECT_FALSE(ring.retire(1, t0_).has_value());
    ASSERT_TRUE(ring.addKey(t0_).has_value());
    ASSERT_TRUE(ring.retire(1, t0_).has_value());
    EXPECT_EQ(ring.active(), nullptr);
    const auto again = ring.retire(1, t0_);
    ASSERT_FALSE(again.has_value());
    EXPECT_NE(again.error().find("already retired"), std::string::npos);
    for (int i = 2; i <= 255; ++i) ASSERT_EQ(ring.addKey(t0_).value(), i);
    EXPECT_FALSE(ring.addKey(t0_).has_value());
    EXPECT_EQ(ring.active()->id, 255);
    EXPECT_FALSE(ring.insert(TokenKey{}).has_value());
}

TEST_F(KeyRingTest, LoadErrorsNameFileAndLine) {
    const std::string hdr = "# comment\n\nvg-token-keys 1\n";
    const std::string secret(64, 'a');
    struct Case {
        std::string text;
        std::string line;
        std::string words;
    };
    const std::vector<Case> cases = {
        {"1 2026-11-01T00:00:00.000Z - " + secret + "\n", ":1:", "first line"},
        {"# only\nvg-token-keys 2\n", ":2:", "newer"},
        {hdr + "1 2026-11-01T00:00:00.000Z -\n", ":4:", "4 fields"},
        {hdr + "0 2026-11-01T00:00:00.000Z - " + secret + "\n", ":4:", "1 to 255"},
        {hdr + "256 2026-11-01T00:00:00.000Z - " + secret + "\n", ":4:", "1 to 255"},
        {hdr + "x 2026-11-01T00:00:00.000Z - " + secret + "\n", ":4:", "1 to 255"},
        {hdr + "1 2026-11-01 - " + secret + "\n", ":4:", "creation time"},
        {hdr + "1 2026-11-01T00:00:00.000Z never " + secret + "\n", ":4:", "retirement time"},
        {hdr + "1 2026-11-01T00:00:00.000Z - abc\n", ":4:", "64 hex"},
        {hdr + "1 2026-11-01T00:00:00.000Z - " + std::string(64, 'g') + "\n", ":4:", "64 hex"},
        {hdr + "1 2026-11-01T00:00:00.000Z - " + secret + "\n1 2026-11-01T00:00:00.000Z - " + secret + "\n",
         ":5:", "twice"},
        {"", "", "empty"},
    };
    for (const Case& c : cases) {
        write("bad.keys", c.text);
        const auto r = KeyRing::load(dir_ / "bad.keys");
        ASSERT_FALSE(r.has_value()) << c.text;
        EXPECT_NE(r.error().find((dir_ / "bad.keys").string() + c.line), std::string::npos) << r.error();
        EXPECT_NE(r.error().find(c.words), std::string::npos) << r.error();
    }
    const auto missing = KeyRing::load(dir_ / "nope.keys");
    ASSERT_FALSE(missing.has_value());
    EXPECT_NE(missing.error().find("nope.keys"), std::string::npos);
}

TEST_F(KeyRingTest, HandWrittenFileWithCommentsAndCrLf) {
    write("k",
          "# keys\r\nvg-token-keys 1\r\n\r\n  # old key\r\n3 2026-01-01T00:00:00.000Z "
          "2026-06-01T00:00:00.000Z " +
              std::string(64, 'A') + "\r\n7\t2026-06-01T00:00:00.000Z\t-\t" + std::string(64, '0') + "\r\n");
    const auto ring = KeyRing::load(dir_ / "k");
    ASSERT_TRUE(ring.has_value()) << ring.error();
    ASSERT_EQ(ring->keys().size(), 2u);
    EXPECT_TRUE(ring->find(3)->retired.has_value());
    EXPECT_EQ(ring->find(3)->secret[0], 0xaa);
    EXPECT_EQ(ring->active()->id, 7);
    EXPECT_EQ(ring->find(5), nullptr);
}

}  // namespace
}  // namespace vg::gate
