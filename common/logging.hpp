#pragma once
// Logging set-up for Pakt's programs: spdlog's default logger writing UTC timestamps to stderr.
#include <string_view>

namespace pakt {

/// Configures the default spdlog logger. `level` is trace|debug|info|warn|error|off;
/// throws std::invalid_argument for anything else. Call once, before threads start.
void setup_logging(std::string_view level);

}  // namespace pakt
