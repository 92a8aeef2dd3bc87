#include "gate/secure_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace vg::gate {
namespace {

std::string sysError(std::string_view what, const std::filesystem::path& path, int err) {
    std::string msg(what);
    msg += ' ';
    msg += path.string();
    msg += ": ";
    msg += std::strerror(err);
    return msg;
}

// Closes the descriptor on every path out of the writer.
class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    int release() {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }

  private:
    int fd_;
};

bool writeAll(int fd, std::string_view data) {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

std::expected<void, std::string> writeSecretFile(const std::filesystem::path& path, std::string_view contents) {
    const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    std::string tmpl = (dir / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
    std::vector<char> name(tmpl.begin(), tmpl.end());
    name.push_back('\0');

    Fd fd(::mkostemp(name.data(), O_CLOEXEC));
    if (fd.get() < 0) return std::unexpected(sysError("cannot create a temporary file next to", path, errno));
    const std::filesystem::path tmp(name.data());
    auto fail = [&](std::string_view what) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return std::unexpected(sysError(what, tmp, err));
    };

    if (::fchmod(fd.get(), 0640) != 0) return fail("cannot set mode 0640 on");
    struct stat old {};
    if (::stat(path.c_str(), &old) == 0) {
        // Best effort: keep the service user's ownership when someone (root) rewrites the file; when this
        // process may not do so the file simply belongs to the caller, as a fresh file would.
        const bool kept = ::fchown(fd.get(), old.st_uid, old.st_gid) == 0 ||
                          ::fchown(fd.get(), static_cast<uid_t>(-1), old.st_gid) == 0;
        static_cast<void>(kept);
    }
    if (!writeAll(fd.get(), contents)) return fail("cannot write");
    if (::fsync(fd.get()) != 0) return fail("cannot flush");
    if (::close(fd.release()) != 0) return fail("cannot close");
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        return std::unexpected(sysError("cannot replace", path, err));
    }
    Fd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dfd.get() < 0 || ::fsync(dfd.get()) != 0) {
        return std::unexpected(sysError("wrote the file but cannot flush its directory", dir, errno));
    }
    return {};
}

std::expected<std::string, std::string> readSecretFile(const std::filesystem::path& path, std::size_t max_size) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) return std::unexpected(sysError("cannot read", path, errno));
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) return std::unexpected(sysError("cannot read", path, errno));
    if (!S_ISREG(st.st_mode)) return std::unexpected("cannot read " + path.string() + ": not a regular file");
    if (static_cast<std::uintmax_t>(st.st_size) > max_size) {
        return std::unexpected("cannot read " + path.string() + ": larger than " + std::to_string(max_size) +
                               " bytes, not a key file");
    }
    std::string out;
    char buf[4096];
    for (;;) {
        const ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return std::unexpected(sysError("cannot read", path, errno));
        }
        if (n == 0) break;
        out.append(buf, static_cast<std::size_t>(n));
        if (out.size() > max_size) {
            return std::unexpected("cannot read " + path.string() + ": larger than " + std::to_string(max_size) +
                                   " bytes, not a key file");
        }
    }
    return out;
}

}  // namespace vg::gate
