// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// A fresh directory under the system's temporary directory ($TMPDIR, default /tmp), removed with
// everything in it when the object goes out of scope. Used by the tests of paktd, paktctl and
// pakt-agent and by the benchmarks (library pakt_temp_dir: no dependencies).
#include <filesystem>

namespace pakt::test {

class TempDir {
public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

}  // namespace pakt::test
