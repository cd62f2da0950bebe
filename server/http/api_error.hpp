// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// What a client sees when a request fails: thrown by handlers, mapped to RFC 9457 problem+json
// at the router's one catch site. Internal details never go into an ApiError.
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "common/problem_list.hpp"

namespace pakt::server::http {

struct FieldError;
/// The field errors of an answer: at most kMaxListedProblems listed, the rest counted (the
/// problem+json member `more_errors`).
using FieldErrors = ProblemList<FieldError>;

struct FieldError {
    std::string field;                ///< JSON field name (dotted path) or CSV column
    std::string message;              ///< what is wrong, for a person
    std::optional<std::size_t> line;  ///< for uploaded files: 1-based line, header is line 1
};

class ApiError : public std::runtime_error {
  public:
    ApiError(int status, std::string type, std::string title, std::string detail,
             FieldErrors errors = {})
        : std::runtime_error(detail),
          status_(status),
          type_(std::move(type)),
          title_(std::move(title)),
          detail_(std::move(detail)),
          errors_(std::move(errors)) {}

    int status() const { return status_; }
    const std::string& type() const { return type_; }  ///< short slug, e.g. "validation-failed"
    const std::string& title() const { return title_; }
    const std::string& detail() const { return detail_; }
    const FieldErrors& errors() const { return errors_; }
    std::optional<int> retry_after_s() const { return retry_after_s_; }
    ApiError& with_retry_after(int seconds) {
        retry_after_s_ = seconds;
        return *this;
    }

    static ApiError bad_request(std::string detail, FieldErrors errors = {}) {
        return {400, "malformed-request", "Malformed request", std::move(detail),
                std::move(errors)};
    }
    static ApiError unauthorized(std::string detail = "a valid bearer token is required") {
        return {401, "unauthorized", "Authentication required", std::move(detail)};
    }
    static ApiError forbidden(std::string detail = "your role does not allow this action") {
        return {403, "forbidden", "Forbidden", std::move(detail)};
    }
    static ApiError not_found(std::string detail = "no such resource") {
        return {404, "not-found", "Not found", std::move(detail)};
    }
    static ApiError conflict(std::string detail, FieldErrors errors = {}) {
        return {409, "conflict", "Conflict", std::move(detail), std::move(errors)};
    }
    static ApiError unprocessable(std::string detail, FieldErrors errors = {}) {
        return {422, "validation-failed", "Validation failed", std::move(detail),
                std::move(errors)};
    }
    static ApiError unsupported_media_type(std::string detail) {
        return {415, "unsupported-media-type", "Unsupported media type", std::move(detail)};
    }
    static ApiError too_many_requests(std::string detail, int retry_after_s) {
        return ApiError(429, "rate-limited", "Too many requests", std::move(detail))
            .with_retry_after(retry_after_s);
    }

  private:
    int status_;
    std::string type_;
    std::string title_;
    std::string detail_;
    FieldErrors errors_;
    std::optional<int> retry_after_s_;
};

}  // namespace pakt::server::http
