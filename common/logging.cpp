// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "common/logging.hpp"

#include <pthread.h>
#include <signal.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace pakt {
namespace {

constexpr auto kLogBatchWindow = std::chrono::milliseconds(50);
constexpr std::size_t kLogBatchBytes = 64 * 1024;

/// A sink that collects formatted lines and writes them to a file descriptor in batches (see
/// LogOutput::batched). Everything runs under base_sink's mutex, the writes too, so lines reach
/// the descriptor in the order they were logged.
class BatchedSink final : public spdlog::sinks::base_sink<std::mutex> {
  public:
    explicit BatchedSink(int fd) : fd_(fd) {
        buffer_.reserve(kLogBatchBytes);
        // The writer must not take the signals paktd waits for with sigwait (its main thread
        // blocks them only after logging is set up): a thread inherits the creator's mask.
        sigset_t all, previous;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &previous);
        writer_ = std::thread([this] { run(); });
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    }

    ~BatchedSink() override {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        wake_.notify_one();
        writer_.join();
        write_out();  // what was logged after the writer's last batch
    }

  protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t formatted;
        formatter_->format(msg, formatted);
        buffer_.append(formatted.data(), formatted.size());
        if (buffer_.size() >= kLogBatchBytes) return write_out();
        if (!pending_) {
            pending_ = true;  // the writer wakes once per batch, not per line
            wake_.notify_one();
        }
    }

    void flush_() override { write_out(); }

  private:
    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            wake_.wait(lock, [this] { return pending_ || stopping_; });
            if (stopping_) return;
            // Let the batch fill; a full buffer is written by the logging thread itself.
            wake_.wait_for(lock, kLogBatchWindow, [this] { return stopping_; });
            write_out();
        }
    }

    // Called with mutex_ held.
    void write_out() {
        pending_ = false;
        std::size_t done = 0;
        while (done < buffer_.size()) {
            const ssize_t n = ::write(fd_, buffer_.data() + done, buffer_.size() - done);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;  // nowhere to log to: drop the lines rather than block forever
            done += static_cast<std::size_t>(n);
        }
        buffer_.clear();
    }

    const int fd_;
    std::string buffer_;
    bool pending_ = false;
    bool stopping_ = false;
    std::condition_variable wake_;
    std::thread writer_;
};

}  // namespace

void setup_logging(std::string_view level, LogOutput output) {
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
    spdlog::sink_ptr sink;
    if (output == LogOutput::batched && ::isatty(STDERR_FILENO) == 0) {
        sink = std::make_shared<BatchedSink>(STDERR_FILENO);
    } else {
        sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    }
    auto logger = std::make_shared<spdlog::logger>("", std::move(sink));
    logger->set_level(spdlog::level::from_str(std::string(level)));
    // UTC so that logs from server and agents in different zones line up.
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    // Warnings and errors reach the disk even if the process dies right after.
    logger->flush_on(spdlog::level::warn);
    spdlog::set_default_logger(std::move(logger));
}

}  // namespace pakt
