// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "common/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace pakt {

void write_file_atomically(const std::filesystem::path& path, std::string_view contents,
                           mode_t mode) {
    const std::filesystem::path tmp =
        path.string() + ".tmp-" + std::to_string(static_cast<long>(::getpid()));
    const auto error = [&](const std::string& what) {
        return std::runtime_error("cannot " + what + " '" + path.string() +
                                  "': " + std::strerror(errno));
    };
    ::unlink(tmp.c_str());
    // O_EXCL with the final mode: a private file is never readable by others, not even
    // between open() and a later chmod().
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) throw error("create a temporary file for");
    std::size_t written = 0;
    while (written < contents.size()) {
        const ssize_t n = ::write(fd, contents.data() + written, contents.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const auto e = error("write");
            ::close(fd);
            ::unlink(tmp.c_str());
            throw e;
        }
        written += static_cast<std::size_t>(n);
    }
    // The umask may have removed bits from `mode` but never adds any; fchmod makes the mode
    // exactly what was asked for.
    if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
        const auto e = error("write");
        ::close(fd);
        ::unlink(tmp.c_str());
        throw e;
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const auto e = error("rename a temporary file to");
        ::unlink(tmp.c_str());
        throw e;
    }
    const auto dir = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
    const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd >= 0) {
        ::fsync(dir_fd);
        ::close(dir_fd);
    }
}

}  // namespace pakt
