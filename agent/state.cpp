// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "agent/state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace pakt::agent {
namespace {

std::string errno_text() { return std::strerror(errno); }

// Writes all of `data` to `fd`, retrying short writes and EINTR.
bool write_all(int fd, std::string_view data) {
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

std::filesystem::path state_file(const std::filesystem::path& state_dir) {
    return state_dir / "state.json";
}

std::filesystem::path spool_file(const std::filesystem::path& state_dir) {
    return state_dir / "spool.db";
}

std::filesystem::path ca_file(const std::filesystem::path& state_dir) {
    return state_dir / "server-ca.pem";
}

void ensure_state_dir(const std::filesystem::path& state_dir) {
    if (std::filesystem::create_directories(state_dir)) {
        std::filesystem::permissions(state_dir, std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::replace);
    }
}

EnrollmentState load_state(const std::filesystem::path& state_dir) {
    const auto file = state_file(state_dir);
    const std::string name = file.string();
    std::ifstream in(file);
    if (!in) {
        if (!std::filesystem::exists(file)) {
            throw StateError(name + ": not enrolled (run 'pakt-agent enroll' first)");
        }
        throw StateError(name + ": cannot read: " + errno_text());
    }
    std::stringstream text;
    text << in.rdbuf();
    const auto json = nlohmann::json::parse(text.str(), nullptr, false);
    const auto string_field = [&](const char* key) -> std::string {
        const auto it = json.find(key);
        if (it == json.end() || !it->is_string()) {
            throw StateError(name + ": malformed: '" + key + "' must be a string");
        }
        return it->get<std::string>();
    };
    if (!json.is_object()) throw StateError(name + ": malformed: not a JSON object");

    EnrollmentState state;
    state.server_url = string_field("server_url");
    state.agent_id = string_field("agent_id");
    state.node_key = string_field("node_key");
    state.pin_sha256 = string_field("pin_sha256");
    const auto has_ca = json.find("has_ca_file");
    const auto interval = json.find("checkin_interval_s");
    if (has_ca == json.end() || !has_ca->is_boolean()) {
        throw StateError(name + ": malformed: 'has_ca_file' must be a boolean");
    }
    if (interval == json.end() || !interval->is_number_integer()) {
        throw StateError(name + ": malformed: 'checkin_interval_s' must be an integer");
    }
    state.has_ca_file = has_ca->get<bool>();
    state.checkin_interval_s = interval->get<std::int64_t>();
    if (!parse_server_url(state.server_url)) {
        throw StateError(name + ": malformed: 'server_url' is not an https URL");
    }
    if (state.has_ca_file == !state.pin_sha256.empty()) {
        throw StateError(name + ": malformed: exactly one of a CA file and a pin must be set");
    }
    return state;
}

void save_state(const std::filesystem::path& state_dir, const EnrollmentState& state) {
    const nlohmann::json json = {
        {"server_url", state.server_url},   {"agent_id", state.agent_id},
        {"node_key", state.node_key},       {"pin_sha256", state.pin_sha256},
        {"has_ca_file", state.has_ca_file}, {"checkin_interval_s", state.checkin_interval_s}};
    const std::string text = json.dump(2) + "\n";
    const auto file = state_file(state_dir);
    const auto temporary = state_dir / "state.json.tmp";

    // The mode is set at creation: a chmod afterwards would leave a moment in which another
    // local user could open the node key.
    const int fd =
        ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) throw StateError(temporary.string() + ": cannot create: " + errno_text());
    const bool written = write_all(fd, text) && ::fchmod(fd, 0600) == 0 && ::fsync(fd) == 0;
    const std::string write_error = errno_text();
    ::close(fd);
    if (!written) {
        std::filesystem::remove(temporary);
        throw StateError(temporary.string() + ": cannot write: " + write_error);
    }
    if (::rename(temporary.c_str(), file.c_str()) != 0) {
        throw StateError(file.string() + ": cannot replace: " + errno_text());
    }
    const int dir = ::open(state_dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

tls::ClientTrust client_trust(const std::filesystem::path& state_dir,
                              const EnrollmentState& state) {
    tls::ClientTrust trust;
    if (state.has_ca_file) {
        trust.ca_file = ca_file(state_dir);
    } else {
        trust.pin_sha256 = state.pin_sha256;
    }
    return trust;
}

}  // namespace pakt::agent
