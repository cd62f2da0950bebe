// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// Logging set-up for Pakt's programs: spdlog's default logger writing UTC timestamps to stderr.
#include <string_view>

namespace pakt {

/// How log lines reach stderr.
enum class LogOutput {
    /// Each line is written as it is logged (coloured on a terminal): for the command-line tools
    /// and the agent, whose output a person or a test reads as it happens.
    immediate,
    /// For paktd, which logs a line per request: lines are collected and written together at most
    /// kLogBatchWindow after the first of them (or once 64 KiB are waiting), so a busy server pays
    /// one write(2) per batch rather than per request. Warnings and errors, an explicit flush and
    /// the process's end write everything waiting at once. On a terminal, lines go out as
    /// `immediate` (a person is watching).
    batched,
};

/// Configures the default spdlog logger. `level` is trace|debug|info|warn|error|off;
/// throws std::invalid_argument for anything else. Call once, before threads start.
void setup_logging(std::string_view level, LogOutput output = LogOutput::immediate);

}  // namespace pakt
