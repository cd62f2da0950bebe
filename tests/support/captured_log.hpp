// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// CapturedLog: everything spdlog's default logger writes while it lives, as text; the previous
// default logger is restored when it ends. For tests that check what is (and is not) logged.
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <memory>
#include <mutex>
#include <string>

namespace pakt::test {

class CapturedLog {
  public:
    CapturedLog() : sink_(std::make_shared<Sink>()), previous_(spdlog::default_logger()) {
        spdlog::set_default_logger(std::make_shared<spdlog::logger>("captured", sink_));
    }
    ~CapturedLog() { spdlog::set_default_logger(previous_); }
    CapturedLog(const CapturedLog&) = delete;
    CapturedLog& operator=(const CapturedLog&) = delete;

    std::string text() const { return sink_->text(); }

  private:
    class Sink : public spdlog::sinks::base_sink<std::mutex> {
      public:
        std::string text() {
            std::lock_guard lock(mutex_);
            return text_;
        }

      protected:
        void sink_it_(const spdlog::details::log_msg& msg) override {
            spdlog::memory_buf_t formatted;
            formatter_->format(msg, formatted);
            text_.append(formatted.data(), formatted.size());
        }
        void flush_() override {}

      private:
        std::string text_;
    };

    std::shared_ptr<Sink> sink_;
    std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace pakt::test
