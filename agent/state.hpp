// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// The agent's enrollment state in <state_dir>/state.json: which server it reports to, how it
// trusts that server, and its identity there (agent id and node key). Written once by
// `pakt-agent enroll`, read by every other command. The node key is a bearer secret, so the file
// has mode 0600 and the directory 0700.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/https_url.hpp"
#include "common/tls.hpp"

namespace pakt::agent {

using pakt::parse_server_url;
using pakt::ServerUrl;

struct EnrollmentState {
    std::string server_url;
    std::string agent_id;
    std::string node_key;
    std::string pin_sha256;    ///< the server certificate's SHA-256, or
    bool has_ca_file = false;  ///< the CA that signed it, copied to <state_dir>/server-ca.pem
    std::int64_t checkin_interval_s = 0;  ///< the server's interval at enrollment; 0 = unknown
};

/// Raised for a missing, unreadable or malformed state file; the message names the file.
class StateError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

std::filesystem::path state_file(const std::filesystem::path& state_dir);
std::filesystem::path spool_file(const std::filesystem::path& state_dir);
std::filesystem::path ca_file(const std::filesystem::path& state_dir);

/// Creates `state_dir` (mode 0700) if missing. Throws std::filesystem::filesystem_error.
void ensure_state_dir(const std::filesystem::path& state_dir);

/// Reads state.json. Throws StateError ("not enrolled" if the file does not exist).
EnrollmentState load_state(const std::filesystem::path& state_dir);

/// Writes state.json atomically (temporary file with mode 0600, fsync, rename, fsync of the
/// directory), so a crash leaves the old or the new state, never half of one. Throws StateError.
void save_state(const std::filesystem::path& state_dir, const EnrollmentState& state);

/// How to trust the server, as enrolled.
tls::ClientTrust client_trust(const std::filesystem::path& state_dir, const EnrollmentState& state);

}  // namespace pakt::agent
