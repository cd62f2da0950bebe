// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#pragma once
// One request on a fresh TLS connection, timed from connect() to the first byte and to the whole
// answer; shared by the benchmarks that compare paktd's first answer with a bare Beast server's
// (`tools/bench connect` and `tools/bench http`). Header-only: each benchmark is a single
// translation unit that compiles Beast anyway.
#include <fmt/format.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace pakt::bench {

struct FirstAnswerTiming {
    double first_byte_ms = 0;  ///< from connect() to the first byte of the answer
    double answer_ms = 0;      ///< from connect() to the end of the answer
};

/// Connects to 127.0.0.1:`port` (TCP_NODELAY), completes the TLS handshake with `client_tls`,
/// sends `GET target` with "Connection: close" and reads the answer. Session resumption is the
/// caller's choice, through `client_tls`. Throws std::system_error on a network or TLS failure
/// and std::runtime_error if the answer is not 200.
inline FirstAnswerTiming time_fresh_connection(boost::asio::io_context& ioc,
                                               boost::asio::ssl::context& client_tls,
                                               std::uint16_t port,
                                               const std::string& target = "/healthz") {
    namespace asio = boost::asio;
    namespace beast = boost::beast;
    namespace bhttp = boost::beast::http;
    using tcp = asio::ip::tcp;
    using Clock = std::chrono::steady_clock;

    const auto start = Clock::now();
    tcp::socket socket(ioc);
    socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
    socket.set_option(tcp::no_delay(true));
    asio::ssl::stream<tcp::socket> stream(std::move(socket), client_tls);
    stream.handshake(asio::ssl::stream_base::client);
    bhttp::request<bhttp::empty_body> request{bhttp::verb::get, target, 11};
    request.set(bhttp::field::host, "127.0.0.1");
    request.keep_alive(false);
    bhttp::write(stream, request);
    beast::flat_buffer buffer;
    const std::size_t n = stream.read_some(buffer.prepare(4096));
    buffer.commit(n);
    const auto first_byte = Clock::now();
    bhttp::response<bhttp::string_body> response;
    bhttp::read(stream, buffer, response);
    const auto answer = Clock::now();
    if (response.result_int() != 200) {
        throw std::runtime_error(fmt::format("GET {} answered {}", target, response.result_int()));
    }
    beast::error_code ignored;
    stream.lowest_layer().close(ignored);
    return {std::chrono::duration<double, std::milli>(first_byte - start).count(),
            std::chrono::duration<double, std::milli>(answer - start).count()};
}

}  // namespace pakt::bench
