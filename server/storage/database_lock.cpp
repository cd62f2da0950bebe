// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/storage/database_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

namespace pakt::server {

std::filesystem::path DatabaseLock::lock_file_for(const std::filesystem::path& database_file) {
    // One lock file per database file, however it is named (a relative path, a symlink to it).
    std::error_code ec;
    std::filesystem::path file = std::filesystem::weakly_canonical(database_file, ec);
    if (ec) file = std::filesystem::absolute(database_file);
    return std::filesystem::path(file.string() + ".lock");
}

std::optional<DatabaseLock> DatabaseLock::try_acquire(const std::filesystem::path& database_file) {
    std::filesystem::path file = lock_file_for(database_file);
    // O_CLOEXEC: a child process (a test's paktd, an agent) must not inherit the lock and keep it
    // after this process has let go.
    const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw std::system_error(errno, std::generic_category(),
                                "cannot open the lock file '" + file.string() + "'");
    }
    // flock locks belong to the open file description, so a second open() in this process
    // conflicts like another process would (an fcntl lock would not).
    int rc = 0;
    do {
        rc = ::flock(fd, LOCK_EX | LOCK_NB);
    } while (rc != 0 && errno == EINTR);
    if (rc != 0) {
        const int error = errno;
        ::close(fd);
        if (error == EWOULDBLOCK) return std::nullopt;
        throw std::system_error(error, std::generic_category(),
                                "cannot lock the lock file '" + file.string() + "'");
    }
    return DatabaseLock(fd, std::move(file));
}

DatabaseLock::DatabaseLock(DatabaseLock&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), file_(std::move(other.file_)) {}

DatabaseLock& DatabaseLock::operator=(DatabaseLock&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        file_ = std::move(other.file_);
    }
    return *this;
}

DatabaseLock::~DatabaseLock() {
    if (fd_ >= 0) ::close(fd_);  // closing the only descriptor releases the lock
}

}  // namespace pakt::server
