// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Files written whole or not at all, with their final mode from the first byte on.
#include <sys/types.h>

#include <filesystem>
#include <string_view>

namespace pakt {

/// Writes `contents` to `path` atomically: a temporary file in the same directory (so rename()
/// stays within one file system) created with `mode` (exactly, whatever the umask), fsync,
/// rename, then fsync of the directory so the rename itself survives a power cut. Throws
/// std::runtime_error naming the path.
void write_file_atomically(const std::filesystem::path& path, std::string_view contents,
                           mode_t mode);

}  // namespace pakt
