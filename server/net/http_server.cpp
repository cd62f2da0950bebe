// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "server/net/http_server.hpp"

#include <pthread.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <condition_variable>
#include <list>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#ifdef __GLIBC__
#include <malloc.h>
#endif

#include "common/crypto.hpp"
#include "server/http/router.hpp"
#include "server/net/client_address.hpp"

namespace pakt::server::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

// After answering 413 or 501 we keep reading (and discarding) what the client still sends, so
// it sees the answer instead of a connection reset; bounded in bytes and time.
constexpr std::size_t kMaxDrainBytes = 64 * 1024 * 1024;
constexpr std::size_t kDrainBufferBytes = 16 * 1024;
constexpr std::chrono::seconds kDrainTimeout{5};
constexpr std::chrono::seconds kTlsShutdownTimeout{2};

// A kept-alive connection waits for its next request with a small read; the request's buffer
// is allocated only once bytes arrive.
constexpr std::size_t kFirstReadBytes = 1024;
// Beyond the header limit, room in the read buffer for the start of a body or of a pipelined
// request; reads of a body go through it in pieces of at most this much.
constexpr std::size_t kReadBufferSlack = 16 * 1024;

// Told to clients in Retry-After when the handler queue is full.
constexpr int kOverloadedRetryAfterS = 5;

// Memory freed by many closed connections stays in glibc's arenas (most of it in the middle of
// the heap, where free() never returns it). When the number of open connections has fallen to
// half of its peak, and by at least kTrimAfterClosed, malloc_trim(0) hands the free pages back.
// Checked on a timer, so that the last connections of a flood are trimmed too.
constexpr std::chrono::seconds kTrimCheckInterval{1};
constexpr std::size_t kTrimAfterClosed = 16;

// Refused connections are logged at most once per interval, with how many there were.
constexpr std::chrono::seconds kRefusalLogInterval{10};

bool acceptable_request_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
        if (!ok) return false;
    }
    return true;
}

// A request id for the logs: 16 hex digits from a per-thread generator seeded once from the
// system's randomness. It correlates log lines and answers; it is no secret, so it needs no
// cryptographic generator (OpenSSL's costs a getpid system call per request for fork safety).
std::string new_request_id() {
    thread_local std::uint64_t state = std::stoull(random_hex(8), nullptr, 16);
    // splitmix64 (Steele, Lea, Flood 2014): every output distinct for 2^64 calls.
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id(16, '0');
    for (int i = 15; i >= 0; --i, z >>= 4) id[static_cast<std::size_t>(i)] = kHex[z & 0xf];
    return id;
}

std::string_view trim_ows(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    return text;
}

// RFC 9112 6.1: the only transfer coding paktd decodes is chunked, so a Transfer-Encoding
// field, if present, must say exactly that. Beast would accept "gzip, chunked" and hand the
// still-compressed body on as if it were plain.
template <class Fields>
bool acceptable_transfer_coding(const Fields& fields) {
    std::size_t fields_seen = 0;
    std::size_t codings = 0;
    bool chunked = false;
    for (const auto& field : fields) {
        if (field.name() != bhttp::field::transfer_encoding) continue;
        ++fields_seen;
        std::string_view value = field.value();
        while (true) {
            const auto comma = value.find(',');
            const std::string_view coding = trim_ows(value.substr(0, comma));
            if (!coding.empty()) {
                ++codings;
                chunked = beast::iequals(coding, "chunked");
            }
            if (comma == std::string_view::npos) break;
            value.remove_prefix(comma + 1);
        }
    }
    return fields_seen == 0 || (codings == 1 && chunked);
}

}  // namespace

class SessionBase {
  public:
    virtual ~SessionBase() = default;
    virtual void begin_shutdown() = 0;
    /// Closes the connection if it is still idle between requests (to make room for another).
    virtual void evict_if_idle() = 0;
};

// Network threads when the configuration says 0: half the hardware threads, at least one. The
// handler pool and the database writer need the other half; and on a small machine one network
// thread beats two, which wake each other for every completion (tools/bench http on 2 cores:
// /healthz at 0.68x a bare Beast server with two, 0.80x and the same CPU per request with one).
namespace {
unsigned io_thread_count(const ServerConfig& c) {
    return c.io_threads != 0 ? c.io_threads : std::max(1u, std::thread::hardware_concurrency() / 2);
}
}  // namespace

struct HttpServer::Impl {
    const ServerConfig& config;
    asio::ssl::context* tls;
    RequestHandler handler;
    CompletionObserver observer;
    RequestTraitsLookup request_traits;
    const TrustedProxies trusted;

    struct Connection {
        std::weak_ptr<SessionBase> session;
        std::string limit_key;  ///< empty: exempt from the per-address limit
        bool idle = false;      ///< on idle_order
        std::list<std::uint64_t>::iterator idle_position;
    };

    // Declared before the io_context: sessions whose handlers are still queued when it is
    // destroyed unregister themselves here.
    std::atomic<bool> stopping{false};
    bool stopped = false;
    mutable std::mutex sessions_mutex;
    std::condition_variable sessions_empty;
    std::map<std::uint64_t, Connection> sessions;
    std::unordered_map<std::string, std::size_t> per_address;
    std::list<std::uint64_t> idle_order;  ///< kept-alive connections, longest idle first
    std::uint64_t next_session_id = 0;
    std::size_t peak_since_trim = 0;
    std::optional<std::size_t> trimmed_at_open;  ///< open connections at the last trim

    // Requests queued for or running on the handler pool.
    std::atomic<std::size_t> handler_load{0};

    // Refused connections not yet logged (touched on the acceptor's strand only).
    std::size_t refused_unlogged = 0;
    SteadyClock::time_point refusal_logged_at{};

    asio::io_context ioc;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    asio::thread_pool handler_pool;
    tcp::acceptor acceptor;
    asio::steady_timer trim_timer;
    std::vector<std::thread> threads;
    std::uint16_t bound_port = 0;

    Impl(const ServerConfig& c, asio::ssl::context* t, RequestHandler h, CompletionObserver o)
        : config(c),
          tls(t),
          handler(std::move(h)),
          observer(std::move(o)),
          trusted(c.trusted_proxies),
          ioc(static_cast<int>(io_thread_count(c))),
          handler_pool(std::max(1u, c.handler_threads)),
          acceptor(asio::make_strand(ioc)),
          trim_timer(asio::make_strand(ioc)) {}

    void do_accept();
    void on_accept(beast::error_code ec, tcp::socket socket);
    void refused(const std::string& remote, const char* why);
    void schedule_trim_check();
    void check_trim();

    RequestTraits traits_for(std::string_view method, std::string_view target) const {
        return request_traits ? request_traits(method, target) : RequestTraits{config.body_limit_bytes, false};
    }

    // Admits a connection from `limit_key` (empty: exempt) unless the per-address or the overall
    // cap forbids it; when the server is full, the longest-idle keep-alive connection is picked
    // to make room and returned in `evict`. Returns the new connection's id.
    std::optional<std::uint64_t> admit(const std::string& limit_key,
                                       std::shared_ptr<SessionBase>& evict, const char*& why) {
        std::lock_guard lock(sessions_mutex);
        if (!limit_key.empty()) {
            const auto it = per_address.find(limit_key);
            if (it != per_address.end() && it->second >= config.max_connections_per_address) {
                why = "limits.max_connections_per_address";
                return std::nullopt;
            }
        }
        if (sessions.size() >= config.max_connections) {
            // Over the cap by one until the evicted connection has closed (or, if it received a
            // request meanwhile, until some connection closes): bounded by the idle ones.
            while (!evict && !idle_order.empty()) {
                auto& victim = sessions.at(idle_order.front());
                idle_order.pop_front();
                victim.idle = false;
                evict = victim.session.lock();
            }
            if (!evict) {
                why = "limits.max_connections";
                return std::nullopt;
            }
        }
        const auto id = next_session_id++;
        sessions[id].limit_key = limit_key;
        if (!limit_key.empty()) ++per_address[limit_key];
        peak_since_trim = std::max(peak_since_trim, sessions.size());
        return id;
    }

    void attach(std::uint64_t id, const std::shared_ptr<SessionBase>& s) {
        std::lock_guard lock(sessions_mutex);
        sessions.at(id).session = s;
    }

    void unregister_session(std::uint64_t id) {
        std::lock_guard lock(sessions_mutex);
        const auto it = sessions.find(id);
        if (it == sessions.end()) return;
        if (it->second.idle) idle_order.erase(it->second.idle_position);
        if (!it->second.limit_key.empty()) {
            const auto count = per_address.find(it->second.limit_key);
            if (count != per_address.end() && --count->second == 0) per_address.erase(count);
        }
        sessions.erase(it);
        if (sessions.empty()) sessions_empty.notify_all();
    }

    void set_idle(std::uint64_t id, bool idle) {
        std::lock_guard lock(sessions_mutex);
        const auto it = sessions.find(id);
        if (it == sessions.end() || it->second.idle == idle) return;
        if (idle) {
            it->second.idle_position = idle_order.insert(idle_order.end(), id);
        } else {
            idle_order.erase(it->second.idle_position);
        }
        it->second.idle = idle;
    }
};

// One connection. Stream is beast::tcp_stream (plain) or beast::ssl_stream<beast::tcp_stream>.
// All of a session's handlers run on its strand; the request handler runs on the handler pool
// and posts its answer back to the strand.
//
// Reading a request has three deadlines: an idle keep-alive connection waits up to read_timeout
// for the first byte of its next request; from there (or, for a connection's first request,
// from the end of the TLS handshake) the header must be complete within header_timeout; then
// the body must arrive at min_body_bytes_per_second on average once min_body_rate_grace has
// passed.
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
  public:
    static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

    Session(HttpServer::Impl& server, tcp::socket&& socket, std::string remote, std::uint64_t id)
        : server_(server),
          stream_(make_stream(server, std::move(socket))),
          remote_(std::move(remote)),
          id_(id),
          buffer_(server.config.header_limit_bytes + kReadBufferSlack) {
        if constexpr (kTls) {
            // OpenSSL's record buffers (about 34 KiB) are freed while the connection is idle.
            SSL_set_mode(stream_.native_handle(), SSL_MODE_RELEASE_BUFFERS);
        }
    }

    ~Session() override { server_.unregister_session(id_); }

    void run() {
        asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->start(); });
    }

    void begin_shutdown() override {
        asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
            self->close_after_response_ = true;
            // A connection waiting for (or still receiving) a request has nothing in flight:
            // close it now. One whose request is being handled or answered closes after that
            // answer.
            if (self->state_ == State::idle || self->state_ == State::reading_header ||
                self->state_ == State::reading_body || self->state_ == State::handshaking) {
                beast::get_lowest_layer(self->stream_).cancel();
            }
        });
    }

    void evict_if_idle() override {
        asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
            if (self->state_ != State::idle) return;
            self->close_after_response_ = true;
            beast::get_lowest_layer(self->stream_).cancel();
        });
    }

  private:
    enum class State {
        handshaking,
        idle,
        reading_header,
        reading_body,
        handling,
        writing,
        closing
    };

    static Stream make_stream(HttpServer::Impl& server, tcp::socket&& socket) {
        if constexpr (kTls) {
            return Stream(std::move(socket), *server.tls);
        } else {
            return Stream(std::move(socket));
        }
    }

    void start() {
        if (server_.stopping) return do_close();
        if constexpr (kTls) {
            state_ = State::handshaking;
            beast::get_lowest_layer(stream_).expires_after(server_.config.handshake_timeout);
            stream_.async_handshake(
                asio::ssl::stream_base::server,
                beast::bind_front_handler(&Session::on_handshake, this->shared_from_this()));
        } else {
            read_header();
        }
    }

    void on_handshake(beast::error_code ec) {
        if (ec) {
            spdlog::debug("tls handshake from {} failed: {}", remote_, ec.message());
            return;  // the socket closes with the session
        }
        read_header();
    }

    static bool is_gone(const beast::error_code& ec) {
        return ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
               ec == beast::error::timeout || ec == asio::ssl::error::stream_truncated ||
               ec == asio::error::connection_reset || ec == asio::error::eof;
    }

    // Between requests of a kept-alive connection: nothing is held but the connection itself.
    void wait_for_next_request() {
        if (close_after_response_) return do_close();
        if (buffer_.size() > 0) return read_header();  // pipelined
        state_ = State::idle;
        buffer_.shrink_to_fit();
        server_.set_idle(id_, true);
        beast::get_lowest_layer(stream_).expires_after(server_.config.read_timeout);
        stream_.async_read_some(
            buffer_.prepare(kFirstReadBytes),
            beast::bind_front_handler(&Session::on_first_bytes, this->shared_from_this()));
    }

    void on_first_bytes(beast::error_code ec, std::size_t n) {
        server_.set_idle(id_, false);
        if (ec) return do_close();
        buffer_.commit(n);
        read_header();
    }

    void read_header() {
        state_ = State::reading_header;
        parser_.emplace();
        // No body limit yet: it depends on the route, known once the header is read.
        parser_->body_limit(boost::none);
        parser_->header_limit(static_cast<std::uint32_t>(server_.config.header_limit_bytes));
        beast::get_lowest_layer(stream_).expires_after(server_.config.header_timeout);
        bhttp::async_read_header(
            stream_, buffer_, *parser_,
            beast::bind_front_handler(&Session::on_header, this->shared_from_this()));
    }

    void on_header(beast::error_code ec, std::size_t) {
        if (is_gone(ec)) return do_close();
        request_started_ = SteadyClock::now();
        if (ec == bhttp::error::header_limit) {
            return answer_and_close(431, "headers-too-large", "Request header fields too large",
                                    "the request header exceeds " +
                                        std::to_string(server_.config.header_limit_bytes) +
                                        " bytes",
                                    false);
        }
        if (ec) {
            spdlog::debug("unparseable request from {}: {}", remote_, ec.message());
            return answer_and_close(400, "malformed-request", "Malformed request",
                                    "the request is not valid HTTP/1.1: " + ec.message(), false);
        }
        const auto& header = parser_->get();
        if (!acceptable_transfer_coding(header)) {
            return answer_and_close(501, "unsupported-transfer-coding",
                                    "Unsupported transfer coding",
                                    "Transfer-Encoding must be \"chunked\" or absent", true);
        }
        const RequestTraits traits = server_.traits_for(header.method_string(), header.target());
        body_limit_ = traits.body_limit;
        run_inline_ = traits.run_inline;
        const auto declared = parser_->content_length();
        if (declared && *declared > body_limit_) return body_too_large();
        parser_->body_limit(body_limit_);
        if (parser_->is_done()) return on_request();
        state_ = State::reading_body;
        body_started_ = SteadyClock::now();
        body_bytes_ = 0;
        read_body();
    }

    void read_body() {
        const auto rate = std::max<std::size_t>(1, server_.config.min_body_bytes_per_second);
        const auto earned = std::chrono::milliseconds(static_cast<std::int64_t>(
            body_bytes_ / rate * 1000 + body_bytes_ % rate * 1000 / rate));
        // Credit earned by sending fast is not a licence to stall: a body that stops arriving
        // for the idle time (read_timeout) is cut whatever it sent before.
        beast::get_lowest_layer(stream_).expires_at(
            std::min(body_started_ + server_.config.min_body_rate_grace + earned,
                     SteadyClock::now() + server_.config.read_timeout));
        bhttp::async_read_some(
            stream_, buffer_, *parser_,
            beast::bind_front_handler(&Session::on_body, this->shared_from_this()));
    }

    void on_body(beast::error_code ec, std::size_t n) {
        body_bytes_ += n;
        if (ec == beast::error::timeout) {
            spdlog::debug("request body from {} slower than {} bytes/s; closing", remote_,
                          server_.config.min_body_bytes_per_second);
            return do_close();
        }
        if (is_gone(ec)) return do_close();
        if (ec == bhttp::error::body_limit) return body_too_large();
        if (ec) {
            spdlog::debug("unparseable request body from {}: {}", remote_, ec.message());
            return answer_and_close(400, "malformed-request", "Malformed request",
                                    "the request is not valid HTTP/1.1: " + ec.message(), false);
        }
        if (!parser_->is_done()) return read_body();
        on_request();
    }

    void body_too_large() {
        answer_and_close(413, "payload-too-large", "Payload too large",
                         "the request body exceeds " + std::to_string(body_limit_) + " bytes",
                         /*drain=*/true);
    }

    std::string client_address(const bhttp::request<bhttp::string_body>& message) const {
        if (server_.trusted.empty()) return remote_;
        std::vector<std::string_view> forwarded;
        // In the order received: each proxy appends to the list, and several fields form one.
        for (const auto& field : message) {
            if (beast::iequals(field.name_string(), "X-Forwarded-For")) {
                forwarded.push_back(field.value());
            }
        }
        return net::client_address(remote_, server_.trusted, forwarded);
    }

    void on_request() {
        auto message = parser_->release();
        parser_.reset();
        request_ = http::Request{};
        request_.method = std::string(message.method_string());
        request_.target = std::string(message.target());
        for (const auto& field : message) {
            request_.headers.emplace(std::string(field.name_string()), std::string(field.value()));
        }
        request_.body = std::move(message.body());
        request_.remote_address = client_address(message);
        auto incoming_id = request_.header("X-Request-Id");
        request_.request_id =
            incoming_id && acceptable_request_id(*incoming_id) ? *incoming_id : new_request_id();
        keep_alive_ = message.keep_alive();
        version_ = message.version();
        head_ = message.method() == bhttp::verb::head;

        state_ = State::handling;
        // No read timer while the handler runs: the request is complete, the client waits.
        beast::get_lowest_layer(stream_).expires_never();
        if (run_inline_) return do_write(server_.handler(request_), false);
        if (server_.handler_load.fetch_add(1) >= server_.config.max_queued_requests) {
            server_.handler_load.fetch_sub(1);
            auto response = http::problem_response(
                http::ApiError(503, "overloaded", "Server overloaded",
                               "too many requests are waiting to be handled; retry later")
                    .with_retry_after(kOverloadedRetryAfterS));
            response.route = "overloaded";
            return do_write(std::move(response), false);
        }
        asio::post(server_.handler_pool, [self = this->shared_from_this()] {
            struct Done {
                std::atomic<std::size_t>& load;
                ~Done() { load.fetch_sub(1); }
            };
            std::optional<http::Response> response;
            {
                Done done{self->server_.handler_load};
                response.emplace(self->server_.handler(self->request_));
            }
            asio::post(self->stream_.get_executor(),
                       [self, response = std::move(*response)]() mutable {
                           self->do_write(std::move(response), false);
                       });
        });
    }

    void answer_and_close(int status, std::string type, std::string title, std::string detail,
                          bool drain) {
        if (request_.request_id.empty()) request_.request_id = new_request_id();
        if (request_.method.empty() && parser_ && parser_->is_header_done()) {
            request_.method = std::string(parser_->get().method_string());
            request_.target = std::string(parser_->get().target());
            head_ = parser_->get().method() == bhttp::verb::head;
        }
        request_.remote_address =
            parser_ && parser_->is_header_done() ? client_address(parser_->get()) : remote_;
        keep_alive_ = false;
        version_ = 11;
        drain_after_write_ = drain;
        http::Response response = http::problem_response(
            http::ApiError(status, std::move(type), std::move(title), std::move(detail)));
        do_write(std::move(response), true);
    }

    template <class Message>
    void set_common_headers(Message& res, const http::Response& response, bool keep) {
        res.version(version_);
        res.result(static_cast<unsigned>(response.status));
        for (const auto& [name, value] : response.headers) res.insert(name, value);
        res.set("X-Request-Id", request_.request_id);
        res.set("X-Content-Type-Options", "nosniff");
        if (res.find(bhttp::field::cache_control) == res.end()) {
            res.set(bhttp::field::cache_control, "no-store");
        }
        if constexpr (kTls) res.set("Strict-Transport-Security", "max-age=31536000");
        res.keep_alive(keep);
    }

    void do_write(http::Response response, bool close) {
        state_ = State::writing;
        server_.observer(request_, response, SteadyClock::now() - request_started_);
        const bool keep = keep_alive_ && !close && !close_after_response_ && !server_.stopping;
        close_after_write_ = !keep;
        if (head_) return do_write_head(std::move(response), keep);
        if (response.stream) return do_write_stream(std::move(response), keep);
        res_.emplace();
        set_common_headers(*res_, response, keep);
        res_->body() = std::move(response.body);
        res_->prepare_payload();
        beast::get_lowest_layer(stream_).expires_after(server_.config.write_timeout);
        bhttp::async_write(stream_, *res_,
                           beast::bind_front_handler(&Session::on_write, this->shared_from_this()));
    }

    // HEAD (RFC 9110 9.3.2): the header a GET would have had, with its Content-Length (or, for
    // a streamed answer, its chunked Transfer-Encoding), and no body. A streamed answer's
    // producer is never called: dropping it releases what it holds.
    void do_write_head(http::Response response, bool keep) {
        head_res_.emplace();
        set_common_headers(*head_res_, response, keep);
        const bool no_content = response.status == 204 || response.status == 304 ||
                                (response.status >= 100 && response.status < 200);
        if (no_content) {
            // RFC 9110: these answers carry no Content-Length of a body they never have.
        } else if (response.stream) {
            head_res_->set(bhttp::field::transfer_encoding, "chunked");
        } else {
            head_res_->set(bhttp::field::content_length, std::to_string(response.body.size()));
        }
        response = {};
        head_sr_.emplace(*head_res_);
        beast::get_lowest_layer(stream_).expires_after(server_.config.write_timeout);
        bhttp::async_write_header(
            stream_, *head_sr_,
            beast::bind_front_handler(&Session::on_head_written, this->shared_from_this()));
    }

    void on_head_written(beast::error_code ec, std::size_t bytes) {
        head_sr_.reset();
        head_res_.reset();
        on_write(ec, bytes);
    }

    // A streamed answer: the header with chunked transfer encoding, then one chunk at a time,
    // each produced on the handler pool so a long export never blocks a network thread, and
    // never more than one chunk in memory.
    void do_write_stream(http::Response response, bool keep) {
        producer_ = std::move(response.stream);
        stream_res_.emplace();
        set_common_headers(*stream_res_, response, keep);
        stream_res_->chunked(true);
        stream_sr_.emplace(*stream_res_);
        beast::get_lowest_layer(stream_).expires_after(server_.config.write_timeout);
        bhttp::async_write_header(
            stream_, *stream_sr_,
            beast::bind_front_handler(&Session::on_stream_header, this->shared_from_this()));
    }

    void next_chunk() {
        asio::post(server_.handler_pool, [self = this->shared_from_this()] {
            std::string chunk;
            bool more = false;
            bool failed = false;
            try {
                more = self->producer_(chunk);
            } catch (const std::exception& e) {
                spdlog::error("request_id={} streaming the answer failed: {}",
                              self->request_.request_id, e.what());
                failed = true;
            }
            asio::post(self->stream_.get_executor(),
                       [self, chunk = std::move(chunk), more, failed]() mutable {
                           self->write_chunk(std::move(chunk), more, failed);
                       });
        });
    }

    void write_chunk(std::string chunk, bool more, bool failed) {
        if (failed) {
            // The status line is out; cutting the connection is the only honest signal left.
            producer_ = nullptr;
            beast::error_code ignored;
            beast::get_lowest_layer(stream_).socket().close(ignored);
            return;
        }
        stream_more_ = more;
        beast::get_lowest_layer(stream_).expires_after(server_.config.write_timeout);
        if (chunk.empty() && more) return next_chunk();
        chunk_ = std::move(chunk);
        if (chunk_.empty()) {
            return asio::async_write(
                stream_, bhttp::make_chunk_last(),
                beast::bind_front_handler(&Session::on_stream_done, this->shared_from_this()));
        }
        asio::async_write(
            stream_, bhttp::make_chunk(asio::buffer(chunk_)),
            beast::bind_front_handler(&Session::on_chunk_written, this->shared_from_this()));
    }

    void on_stream_header(beast::error_code ec, std::size_t) {
        if (ec) {
            producer_ = nullptr;
            return;
        }
        next_chunk();
    }

    void on_chunk_written(beast::error_code ec, std::size_t) {
        if (ec) {
            producer_ = nullptr;
            return;
        }
        chunk_.clear();
        if (stream_more_) return next_chunk();
        asio::async_write(
            stream_, bhttp::make_chunk_last(),
            beast::bind_front_handler(&Session::on_stream_done, this->shared_from_this()));
    }

    void on_stream_done(beast::error_code ec, std::size_t bytes) {
        producer_ = nullptr;  // releases what the producer held (its read connection)
        stream_sr_.reset();
        stream_res_.reset();
        chunk_ = std::string();
        on_write(ec, bytes);
    }

    void on_write(beast::error_code ec, std::size_t) {
        res_.reset();
        if (ec) return;  // the peer left; the session ends
        if (drain_after_write_) return do_drain();
        if (close_after_write_) return do_close();
        request_ = http::Request{};
        head_ = false;
        wait_for_next_request();
    }

    void do_drain() {
        state_ = State::closing;
        if (!drain_buffer_) {
            drain_buffer_ = std::make_unique<char[]>(kDrainBufferBytes);
            // One deadline for the whole drain, not one per read: a client trickling a byte
            // every few seconds must not hold the connection open beyond it.
            beast::get_lowest_layer(stream_).expires_after(kDrainTimeout);
        }
        stream_.async_read_some(
            asio::buffer(drain_buffer_.get(), kDrainBufferBytes),
            beast::bind_front_handler(&Session::on_drain, this->shared_from_this()));
    }

    void on_drain(beast::error_code ec, std::size_t n) {
        drained_ += n;
        if (ec || drained_ >= kMaxDrainBytes) return do_close();
        do_drain();
    }

    void do_close() {
        state_ = State::closing;
        parser_.reset();
        if (server_.stopping) {
            // Shutting down: do not wait up to kTlsShutdownTimeout for a close_notify from a
            // client that is not reading; closing the socket is enough for it to see the end.
            beast::error_code ignored;
            beast::get_lowest_layer(stream_).socket().close(ignored);
            return;
        }
        if constexpr (kTls) {
            beast::get_lowest_layer(stream_).expires_after(kTlsShutdownTimeout);
            stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
                beast::error_code ignored;
                beast::get_lowest_layer(self->stream_).socket().close(ignored);
            });
        } else {
            beast::error_code ignored;
            stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        }
    }

    HttpServer::Impl& server_;
    Stream stream_;
    std::string remote_;
    std::uint64_t id_;
    State state_ = State::reading_header;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::size_t body_limit_ = 0;
    bool run_inline_ = false;  ///< the current request's handler runs on this thread
    SteadyClock::time_point body_started_{};
    std::size_t body_bytes_ = 0;
    http::Request request_;
    std::optional<bhttp::response<bhttp::string_body>> res_;
    SteadyClock::time_point request_started_ = SteadyClock::now();
    unsigned version_ = 11;
    bool keep_alive_ = true;
    bool head_ = false;
    bool close_after_response_ = false;
    bool close_after_write_ = false;
    bool drain_after_write_ = false;
    std::size_t drained_ = 0;
    std::unique_ptr<char[]> drain_buffer_;  ///< only while draining
    std::optional<bhttp::response<bhttp::empty_body>> head_res_;
    std::optional<bhttp::response_serializer<bhttp::empty_body>> head_sr_;
    std::function<bool(std::string&)> producer_;
    std::optional<bhttp::response<bhttp::empty_body>> stream_res_;
    std::optional<bhttp::response_serializer<bhttp::empty_body>> stream_sr_;
    std::string chunk_;
    bool stream_more_ = true;
};

void HttpServer::Impl::do_accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
        on_accept(ec, std::move(socket));
    });
}

void HttpServer::Impl::refused(const std::string& remote, const char* why) {
    ++refused_unlogged;
    const auto now = SteadyClock::now();
    if (now - refusal_logged_at < kRefusalLogInterval) return;
    spdlog::warn("{} connection(s) refused, the last from {} ({} reached)", refused_unlogged,
                 remote, why);
    refused_unlogged = 0;
    refusal_logged_at = now;
}

void HttpServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec && !stopping) {
        beast::error_code ep_ec;
        const auto endpoint = socket.remote_endpoint(ep_ec);
        std::string remote = "unknown";
        if (!ep_ec) {
            remote = canonical_address(endpoint.address().to_string())
                         .value_or(endpoint.address().to_string());
        }
        const std::string limit_key = trusted.trusts(remote) ? "" : connection_limit_key(remote);
        std::shared_ptr<SessionBase> evict;
        const char* why = "";
        const auto id = admit(limit_key, evict, why);
        if (!id) {
            refused(remote, why);
            socket.close(ep_ec);
        } else {
            if (evict) evict->evict_if_idle();
            // Small requests and answers must not wait for Nagle's algorithm to meet the peer's
            // delayed ACK (about 40 ms per exchange on Linux).
            socket.set_option(tcp::no_delay(true), ep_ec);
            try {
                if (tls) {
                    auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
                        *this, std::move(socket), std::move(remote), *id);
                    attach(*id, s);
                    s->run();
                } else {
                    auto s = std::make_shared<Session<beast::tcp_stream>>(
                        *this, std::move(socket), std::move(remote), *id);
                    attach(*id, s);
                    s->run();
                }
            } catch (const std::exception& e) {
                // E.g. SSL_new failing under memory pressure: the connection was counted by
                // admit() but no session exists to uncount it.
                spdlog::error("connection not served: {}", e.what());
                unregister_session(*id);
            }
        }
    } else if (ec) {
        spdlog::warn("accept failed: {}", ec.message());
    }
    if (!stopping) do_accept();
}

void HttpServer::Impl::schedule_trim_check() {
    trim_timer.expires_after(kTrimCheckInterval);
    trim_timer.async_wait([this](beast::error_code ec) {
        if (ec || stopping) return;
        check_trim();
        schedule_trim_check();
    });
}

void HttpServer::Impl::check_trim() {
    std::size_t peak = 0;
    std::size_t open = 0;
    {
        std::lock_guard lock(sessions_mutex);
        open = sessions.size();
        peak = peak_since_trim;
        // A fall noticed while still under way is trimmed again at its end, once.
        const bool fall_begins = peak >= open + kTrimAfterClosed && open <= peak / 2;
        const bool fall_continues = trimmed_at_open && open < *trimmed_at_open;
        if (!fall_begins && !fall_continues) {
            trimmed_at_open.reset();
            return;
        }
        peak_since_trim = open;
        trimmed_at_open = open;
    }
#ifdef __GLIBC__
    malloc_trim(0);
#endif
    spdlog::info("open connections fell from {} to {}: freed memory returned to the system", peak,
                 open);
}

HttpServer::HttpServer(const ServerConfig& config, asio::ssl::context* tls, RequestHandler handler,
                       CompletionObserver observer)
    : impl_(std::make_unique<Impl>(config, tls, std::move(handler), std::move(observer))) {}

HttpServer::~HttpServer() { shutdown(std::chrono::milliseconds(0)); }

void HttpServer::set_body_limit(BodyLimit limit) {
    if (!limit) {
        impl_->request_traits = nullptr;  // the configured limit for every request
        return;
    }
    impl_->request_traits = [limit = std::move(limit)](std::string_view method, std::string_view target) {
        return RequestTraits{limit(method, target), false};
    };
}

void HttpServer::set_request_traits(RequestTraitsLookup lookup) { impl_->request_traits = std::move(lookup); }

void HttpServer::start() {
    Impl& s = *impl_;
    const auto address = asio::ip::make_address(s.config.listen_address);
    const tcp::endpoint endpoint(address, s.config.listen_port);
    s.acceptor.open(endpoint.protocol());
    s.acceptor.set_option(asio::socket_base::reuse_address(true));
    s.acceptor.bind(endpoint);
    s.acceptor.listen(asio::socket_base::max_listen_connections);
    s.bound_port = s.acceptor.local_endpoint().port();
    s.work.emplace(s.ioc.get_executor());
    asio::dispatch(s.acceptor.get_executor(), [&s] { s.do_accept(); });
    asio::dispatch(s.trim_timer.get_executor(), [&s] { s.schedule_trim_check(); });
    const unsigned n = io_thread_count(s.config);
    for (unsigned i = 0; i < n; ++i) {
        s.threads.emplace_back([&s] {
            pthread_setname_np(pthread_self(), "pakt-net");
            s.ioc.run();
        });
    }
}

std::uint16_t HttpServer::port() const { return impl_->bound_port; }

std::size_t HttpServer::connections() const {
    std::lock_guard lock(impl_->sessions_mutex);
    return impl_->sessions.size();
}

void HttpServer::shutdown(std::chrono::milliseconds grace) {
    Impl& s = *impl_;
    if (s.stopped) return;
    s.stopped = true;
    s.stopping = true;
    if (!s.threads.empty()) {
        asio::post(s.acceptor.get_executor(), [&s] {
            beast::error_code ignored;
            s.acceptor.close(ignored);
        });
        asio::post(s.trim_timer.get_executor(), [&s] { s.trim_timer.cancel(); });
        std::vector<std::shared_ptr<SessionBase>> live;
        {
            std::lock_guard lock(s.sessions_mutex);
            for (auto& [id, connection] : s.sessions) {
                if (auto p = connection.session.lock()) live.push_back(std::move(p));
            }
        }
        for (auto& session : live) session->begin_shutdown();
        live.clear();
        {
            std::unique_lock lock(s.sessions_mutex);
            if (!s.sessions_empty.wait_for(lock, grace, [&s] { return s.sessions.empty(); })) {
                spdlog::warn("shutdown: {} connections still busy after {} ms; closing them",
                             s.sessions.size(), grace.count());
            }
        }
    }
    // Handlers still running finish (their writes commit); answers for connections already cut
    // are dropped.
    s.work.reset();
    s.handler_pool.join();
    s.ioc.stop();
    for (auto& t : s.threads) t.join();
    s.threads.clear();
}

}  // namespace pakt::server::net
