// `cmake --install` of this build into a scratch DESTDIR: every program the installed units run and every file
// their Documentation= names is installed, the models land where the programs look for them, and a second install
// keeps an edited config. (packaging/test-install.sh tries the Debian package itself in a fresh Debian 12 root.)
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;

namespace {

const fs::path kPrefix = VG_INSTALL_PREFIX;         // CMAKE_INSTALL_PREFIX
const fs::path kModelDir = VG_INSTALLED_MODEL_DIR;  // where the programs look for the models
const fs::path kConfig = "/etc/voucher-gate/voucher-gate.toml";

std::string readFile(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// DESTDIR + an absolute path.
fs::path under(const fs::path& root, const fs::path& absolute) { return root / absolute.relative_path(); }

class InstallLayout : public ::testing::Test {
  protected:
    fs::path root_ = fs::temp_directory_path() / ("vg_install_" + std::to_string(::getpid()));

    void SetUp() override { fs::remove_all(root_); }
    void TearDown() override { fs::remove_all(root_); }

    void install() {
        const std::string log = (root_.string() + ".log");
        const std::string command =
            "DESTDIR='" + root_.string() + "' '" VG_CMAKE_COMMAND "' --install '" VG_BINARY_DIR "' >'" + log + "' 2>&1";
        const int status = std::system(command.c_str());
        const std::string output = readFile(log);
        fs::remove(log);
        ASSERT_EQ(status, 0) << command << "\n" << output;
    }
};

// Exec*= programs and Documentation=file: paths of a unit file.
std::vector<fs::path> namedPaths(const std::string& unit) {
    std::vector<fs::path> paths;
    std::istringstream lines(unit);
    for (std::string line; std::getline(lines, line);) {
        if (line.starts_with("Exec")) {
            auto value = line.substr(line.find('=') + 1);
            value = value.substr(value.find_first_not_of("-@:+!"));
            value = value.substr(0, value.find(' '));
            // Ours only: /bin/kill and friends come from Debian.
            if (value.find("voucher-gate") != std::string::npos) paths.emplace_back(value);
        } else if (line.starts_with("Documentation=")) {
            std::istringstream words(line.substr(line.find('=') + 1));
            for (std::string word; words >> word;) {
                if (word.starts_with("file:")) paths.emplace_back(word.substr(5));
            }
        }
    }
    return paths;
}

TEST_F(InstallLayout, UnitsNameOnlyInstalledProgramsAndDocs) {
    install();
    const fs::path unitDir = under(root_, kPrefix / "lib/systemd/system");
    ASSERT_TRUE(fs::exists(unitDir / "voucher-gated.service"));
    int checked = 0;
    for (const auto& entry : fs::directory_iterator(unitDir)) {
        const auto paths = namedPaths(readFile(entry.path()));
        EXPECT_FALSE(paths.empty()) << entry.path();
        for (const auto& path : paths) {
            EXPECT_TRUE(path.is_absolute()) << entry.path() << " names " << path;
            EXPECT_TRUE(fs::exists(under(root_, path))) << entry.path() << " names " << path << ", not installed";
            ++checked;
        }
    }
    EXPECT_GE(checked, 3);  // ExecStartPre, ExecStart, Documentation of voucher-gated.service
    EXPECT_TRUE(fs::exists(under(root_, kPrefix / "lib/sysusers.d/voucher-gate.conf")));
    EXPECT_TRUE(fs::exists(under(root_, kPrefix / "lib/tmpfiles.d/voucher-gate.conf")));
}

TEST_F(InstallLayout, ModelsLandWhereTheProgramsLook) {
    install();
    for (const char* name : {"plate_reader.onnx", "plate_reader.json", "plate_detector.onnx", "plate_detector.json",
                             "plate_province.onnx", "plate_province.json"}) {
        EXPECT_TRUE(fs::exists(under(root_, kModelDir / name))) << (kModelDir / name) << " not installed";
    }
    // The directory is compiled into both programs (vision's loaders); under the configured prefix.
    EXPECT_TRUE(kModelDir.string().starts_with(kPrefix.string())) << kModelDir;
    for (const char* program : {"bin/voucher-gate", "sbin/voucher-gated"}) {
        const auto binary = readFile(under(root_, kPrefix / program));
        EXPECT_NE(binary.find(kModelDir.string() + '\0'), std::string::npos)
            << program << " does not look in " << kModelDir;
    }
}

TEST_F(InstallLayout, ExampleConfigIsInstalledOnceAndNeverOverwritten) {
    install();
    const fs::path config = under(root_, kConfig);
    ASSERT_TRUE(fs::exists(config));
    EXPECT_EQ(readFile(config), readFile(fs::path(VG_SOURCE_DIR) / "config/voucher-gate.example.toml"));
    std::ofstream(config, std::ios::app) << "# edited on the box\n";
    install();
    EXPECT_NE(readFile(config).find("# edited on the box"), std::string::npos) << "a re-install overwrote the config";
}

}  // namespace
