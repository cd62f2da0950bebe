// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// What the agent's unit tests share: sample files, temporary directories, a fixed "now" and a
// fixed time zone (the samples' zone-less MDM times are read as local time).
#include <chrono>
#include <filesystem>
#include <string>

#include "common/time.hpp"
#include "tests/support/temp_dir.hpp"

namespace pakt::agent::test {

/// tests/agent-data/<name>.
std::filesystem::path sample(const std::string& name);

/// The whole text of a file; fails the test if unreadable.
std::string read_text(const std::filesystem::path& file);

/// The instant the samples were written for: 2026-03-02T09:00:00Z (10:00 in Germany).
Clock::time_point sample_now();

/// Parses an RFC 3339 time or fails the test.
Clock::time_point at(const std::string& rfc3339);

using pakt::test::TempDir;  // a fresh directory, removed with its contents at scope end

}  // namespace pakt::agent::test
