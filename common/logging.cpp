#include "common/logging.hpp"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace pakt {

void setup_logging(std::string_view level) {
    // spdlog::level::from_str maps unknown names to "off", which would silently hide every log
    // line after a typo in the configuration; accept only the documented names.
    static constexpr std::string_view kLevels[] = {"trace", "debug", "info",
                                                   "warn",  "error", "off"};
    bool known = false;
    for (const auto name : kLevels) known = known || name == level;
    if (!known) {
        throw std::invalid_argument("log level must be trace|debug|info|warn|error|off, got '" +
                                    std::string(level) + "'");
    }

    // stderr keeps stdout free for machine-readable output (paktctl) and is what systemd's
    // journal collects. The logger is not registered under a name of its own, so calling this
    // again (e.g. from several tests) replaces the default instead of throwing "already exists".
    auto logger = std::make_shared<spdlog::logger>(
        "", std::make_shared<spdlog::sinks::stderr_color_sink_mt>());
    logger->set_level(spdlog::level::from_str(std::string(level)));
    // UTC so that logs from server and agents in different zones line up.
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    // Warnings and errors reach the disk even if the process dies right after.
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace pakt
