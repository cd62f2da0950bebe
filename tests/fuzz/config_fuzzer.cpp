// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The TOML configuration files (server/config, agent/config, common/toml_entry): paktd.toml and
// pakt-agent.toml, which an operator edits by hand. The first byte chooses the reader ('0'..'2',
// taken modulo 3): 0 paktd's load_config, 1 pakt-agent's load_config, 2 paktd's --listen value
// (apply_listen). The loaders read a file, so the rest of the input is written to one scratch
// file per process (in /dev/shm when there is one) and rewritten for each input.
// Property: a bad file is a ConfigError; nothing else escapes (no other exception, no crash).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <system_error>

#include "agent/config.hpp"
#include "server/config.hpp"

namespace {

class ScratchFile {
  public:
    ScratchFile() {
        std::error_code ec;
        const std::filesystem::path shm = "/dev/shm";
        const auto dir =
            std::filesystem::is_directory(shm, ec) ? shm : std::filesystem::temp_directory_path();
        path_ = dir / ("pakt-fuzz-config-" + std::to_string(::getpid()) + ".toml");
    }
    ~ScratchFile() {
        std::error_code ec;
        std::filesystem::remove(path_, ec);
    }
    const std::filesystem::path& write(std::string_view text) const {
        std::ofstream out(path_, std::ios::binary | std::ios::trunc);
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        return path_;
    }

  private:
    std::filesystem::path path_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const ScratchFile file;
    if (size == 0) return 0;
    const unsigned selector = static_cast<std::uint8_t>(data[0] - '0') % 3u;
    const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
    try {
        switch (selector) {
            case 0:
                (void)pakt::server::load_config(file.write(text));
                break;
            case 1:
                (void)pakt::agent::load_config(file.write(text));
                break;
            default: {
                pakt::server::ServerConfig config;
                pakt::server::apply_listen(config, std::string(text), "--listen");
                break;
            }
        }
    } catch (const pakt::ConfigError&) {
        // The expected answer to a bad file: it names the file, the key and what was expected.
    }
    return 0;
}
