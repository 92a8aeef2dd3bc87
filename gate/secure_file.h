// Secret files (token keys, the audit key): written atomically with mode 0640 and read back with a size
// limit. A crash or power cut leaves either the old file or the new one, never a torn mix. Thread-safe for
// distinct paths; never throws (errors are values naming the file and the system error).
#pragma once

#include <cstddef>
#include <expected>
#include <filesystem>
#include <string>
#include <string_view>

namespace vg::gate {

// Writes a temp file in the same directory (created 0600, then set to exactly 0640 whatever the umask),
// fsyncs it, renames it over `path` and fsyncs the directory. When `path` already exists its owner and group
// are carried over where the caller may do so (root, or a group it belongs to); otherwise the caller chowns.
std::expected<void, std::string> writeSecretFile(const std::filesystem::path& path, std::string_view contents);

// Reads a whole regular file of at most `max_size` bytes.
std::expected<std::string, std::string> readSecretFile(const std::filesystem::path& path,
                                                       std::size_t max_size = 1 << 20);

}  // namespace vg::gate
