// vg-config-docs: prints or writes the documents rendered from the config key table.
//   vg-config-docs --write SOURCE_DIR   writes docs/configuration.md and config/voucher-gate.example.toml
//   vg-config-docs --example | --markdown   prints one of them
#include <cstdio>
#include <exception>
#include <fstream>
#include <string_view>

#include "config/keys.h"

namespace {

bool writeFile(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    out.close();
    if (!out) {
        std::fprintf(stderr, "vg-config-docs: cannot write %s\n", path.c_str());
        return false;
    }
    std::printf("wrote %s\n", path.c_str());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string_view mode = argc > 1 ? argv[1] : "";
    if (mode == "--write" && argc == 3) {
        const std::string root = argv[2];
        const bool ok = writeFile(root + "/docs/configuration.md", vg::config::renderConfigurationMarkdown()) &&
                        writeFile(root + "/config/voucher-gate.example.toml", vg::config::renderExampleToml());
        return ok ? 0 : 1;
    }
    if (mode == "--example" && argc == 2) {
        std::fputs(vg::config::renderExampleToml().c_str(), stdout);
        return 0;
    }
    if (mode == "--markdown" && argc == 2) {
        std::fputs(vg::config::renderConfigurationMarkdown().c_str(), stdout);
        return 0;
    }
    std::fprintf(stderr, "usage: vg-config-docs --write SOURCE_DIR | --example | --markdown\n");
    return 2;
}
