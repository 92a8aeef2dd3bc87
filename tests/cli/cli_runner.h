// Runs the built voucher-gate binary (VG_CLI_BIN) in a scratch directory with its own config, capturing
// stdout and the exit status. For end-to-end tests of the CLI contract.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <random>
#include <string>

namespace vg::test {

struct CliRun {
    int status = -1;
    std::string out;
    nlohmann::json json() const { return nlohmann::json::parse(out.substr(0, out.find('\n'))); }
};

class CliSandbox {
  public:
    CliSandbox() {
        std::random_device rd;
        dir_ = std::filesystem::temp_directory_path() / ("vg-cli-" + std::to_string(rd()));
        std::filesystem::create_directories(dir_);
        writeConfig("");
    }
    ~CliSandbox() {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    // Config with the sandbox's paths plus `extra` TOML (appended; may contain tables).
    void writeConfig(const std::string& extra) {
        std::ofstream(dir_ / "vg.toml") << "[vouchers]\nkey_file = \"keys\"\n[database]\npath = \"ledger.db\"\n"
                                           "spool_path = \"spool.jsonl\"\n[audit]\nkey_file = \"audit.key\"\n"
                                        << extra;
    }
    const std::filesystem::path& dir() const { return dir_; }
    std::filesystem::path db() const { return dir_ / "ledger.db"; }

    // args are shell words already quoted by the caller where needed.
    CliRun run(const std::string& args) const { return runWith("", args); }
    // Runs the CLI behind `prefix` (shell words: environment assignments, or a command such as setpriv that
    // runs the rest as another user).
    CliRun runWith(const std::string& prefix, const std::string& args) const {
        const std::string cmd = "cd '" + dir_.string() + "' && " + prefix + " '" VG_CLI_BIN "' --config vg.toml " +
                                args + " 2>>'" + (dir_ / "stderr.log").string() + "'";
        CliRun r;
        FILE* p = ::popen(cmd.c_str(), "r");
        if (!p) return r;
        std::array<char, 4096> buf{};
        std::size_t n = 0;
        while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.out.append(buf.data(), n);
        const int raw = ::pclose(p);
        r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
        return r;
    }
    // What the runs wrote to stderr so far.
    std::string stderrText() const {
        std::ifstream in(dir_ / "stderr.log");
        return std::string(std::istreambuf_iterator<char>(in), {});
    }

  private:
    std::filesystem::path dir_;
};

}  // namespace vg::test
