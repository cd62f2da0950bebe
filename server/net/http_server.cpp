#include "server/net/http_server.hpp"

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/crypto.hpp"
#include "server/http/router.hpp"

namespace pakt::server::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;

namespace {

// After answering 413 we keep reading (and discarding) what the client still sends, so it sees
// the answer instead of a connection reset; bounded in bytes and time.
constexpr std::size_t kMaxDrainBytes = 64 * 1024 * 1024;
constexpr std::chrono::seconds kDrainTimeout{5};
constexpr std::chrono::seconds kTlsShutdownTimeout{2};

bool acceptable_request_id(std::string_view id) {
    if (id.empty() || id.size() > 128) return false;
    for (char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '_' || c == '.';
        if (!ok) return false;
    }
    return true;
}

}  // namespace

class SessionBase {
public:
    virtual ~SessionBase() = default;
    virtual void begin_shutdown() = 0;
};

struct HttpServer::Impl {
    const ServerConfig& config;
    asio::ssl::context* tls;
    RequestHandler handler;
    CompletionObserver observer;

    // Declared before the io_context: sessions whose handlers are still queued when it is
    // destroyed unregister themselves here.
    std::atomic<bool> stopping{false};
    bool stopped = false;
    mutable std::mutex sessions_mutex;
    std::condition_variable sessions_empty;
    std::map<std::uint64_t, std::weak_ptr<SessionBase>> sessions;
    std::uint64_t next_session_id = 0;

    asio::io_context ioc;
    std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
    asio::thread_pool handler_pool;
    tcp::acceptor acceptor;
    std::vector<std::thread> threads;
    std::uint16_t bound_port = 0;


    Impl(const ServerConfig& c, asio::ssl::context* t, RequestHandler h, CompletionObserver o)
        : config(c),
          tls(t),
          handler(std::move(h)),
          observer(std::move(o)),
          ioc(static_cast<int>(c.io_threads == 0 ? std::max(1u, std::thread::hardware_concurrency())
                                                 : c.io_threads)),
          handler_pool(std::max(1u, c.handler_threads)),
          acceptor(asio::make_strand(ioc)) {}

    void do_accept();
    void on_accept(beast::error_code ec, tcp::socket socket);

    std::uint64_t register_session(const std::shared_ptr<SessionBase>& s) {
        std::lock_guard lock(sessions_mutex);
        const auto id = next_session_id++;
        sessions[id] = s;
        return id;
    }
    void unregister_session(std::uint64_t id) {
        std::lock_guard lock(sessions_mutex);
        sessions.erase(id);
        if (sessions.empty()) sessions_empty.notify_all();
    }
};

// One connection. Stream is beast::tcp_stream (plain) or beast::ssl_stream<beast::tcp_stream>.
// All of a session's handlers run on its strand; the request handler runs on the handler pool
// and posts its answer back to the strand.
template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
public:
    static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

    Session(HttpServer::Impl& server, tcp::socket&& socket, std::string remote)
        : server_(server), stream_(make_stream(server, std::move(socket))), remote_(std::move(remote)) {}

    ~Session() override { server_.unregister_session(id_); }

    void run(std::uint64_t id) {
        id_ = id;
        asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->start(); });
    }

    void begin_shutdown() override {
        asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
            self->close_after_response_ = true;
            // A connection waiting for its next request has nothing in flight: close it now.
            // One whose request is being handled or answered closes after that answer.
            if (self->state_ == State::reading || self->state_ == State::handshaking) {
                beast::get_lowest_layer(self->stream_).cancel();
            }
        });
    }

private:
    enum class State { handshaking, reading, handling, writing, closing };

    static Stream make_stream(HttpServer::Impl& server, tcp::socket&& socket) {
        if constexpr (kTls) return Stream(std::move(socket), *server.tls);
        else return Stream(std::move(socket));
    }

    void start() {
        if constexpr (kTls) {
            state_ = State::handshaking;
            beast::get_lowest_layer(stream_).expires_after(server_.config.handshake_timeout);
            stream_.async_handshake(asio::ssl::stream_base::server,
                                    beast::bind_front_handler(&Session::on_handshake, this->shared_from_this()));
        } else {
            do_read();
        }
    }

    void on_handshake(beast::error_code ec) {
        if (ec) {
            spdlog::debug("tls handshake from {} failed: {}", remote_, ec.message());
            return;  // the socket closes with the session
        }
        do_read();
    }

    void do_read() {
        if (close_after_response_) return do_close();
        state_ = State::reading;
        parser_.emplace();
        parser_->body_limit(server_.config.body_limit_bytes);
        parser_->header_limit(static_cast<std::uint32_t>(server_.config.header_limit_bytes));
        beast::get_lowest_layer(stream_).expires_after(server_.config.read_timeout);
        bhttp::async_read(stream_, buffer_, *parser_,
                          beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec == bhttp::error::end_of_stream || ec == asio::error::operation_aborted ||
            ec == beast::error::timeout || ec == asio::ssl::error::stream_truncated ||
            ec == asio::error::connection_reset || ec == asio::error::eof) {
            return do_close();
        }
        request_started_ = SteadyClock::now();
        if (ec == bhttp::error::body_limit) {
            return answer_and_close(413, "payload-too-large", "Payload too large",
                                    "the request body exceeds " + std::to_string(server_.config.body_limit_bytes) + " bytes",
                                    /*drain=*/true);
        }
        if (ec == bhttp::error::header_limit) {
            return answer_and_close(431, "headers-too-large", "Request header fields too large",
                                    "the request header exceeds " + std::to_string(server_.config.header_limit_bytes) + " bytes",
                                    false);
        }
        if (ec) {
            spdlog::debug("unparseable request from {}: {}", remote_, ec.message());
            return answer_and_close(400, "malformed-request", "Malformed request",
                                    "the request is not valid HTTP/1.1: " + ec.message(), false);
        }

        auto message = parser_->release();
        request_ = http::Request{};
        request_.method = std::string(message.method_string());
        request_.target = std::string(message.target());
        for (const auto& field : message) {
            request_.headers.emplace(std::string(field.name_string()), std::string(field.value()));
        }
        request_.body = std::move(message.body());
        request_.remote_address = remote_;
        auto incoming_id = request_.header("X-Request-Id");
        request_.request_id = incoming_id && acceptable_request_id(*incoming_id) ? *incoming_id : random_hex(8);
        keep_alive_ = message.keep_alive();
        version_ = message.version();

        state_ = State::handling;
        // No read timer while the handler runs: the request is complete, the client waits.
        beast::get_lowest_layer(stream_).expires_never();
        asio::post(server_.handler_pool, [self = this->shared_from_this()] {
            http::Response response = self->server_.handler(self->request_);
            asio::post(self->stream_.get_executor(), [self, response = std::move(response)]() mutable {
                self->do_write(std::move(response), false);
            });
        });
    }

    void answer_and_close(int status, std::string type, std::string title, std::string detail, bool drain) {
        if (request_.request_id.empty()) request_.request_id = random_hex(8);
        if (request_.method.empty() && parser_ && parser_->is_header_done()) {
            request_.method = std::string(parser_->get().method_string());
            request_.target = std::string(parser_->get().target());
        }
        request_.remote_address = remote_;
        keep_alive_ = false;
        version_ = 11;
        drain_after_write_ = drain;
        http::Response response = http::problem_response(
            http::ApiError(status, std::move(type), std::move(title), std::move(detail)));
        do_write(std::move(response), true);
    }

    void do_write(http::Response response, bool close) {
        state_ = State::writing;
        server_.observer(request_, response, SteadyClock::now() - request_started_);
        const bool keep = keep_alive_ && !close && !close_after_response_ && !server_.stopping;
        if (response.stream) return do_write_stream(std::move(response), keep);
        res_ = {};
        res_.version(version_);
        res_.result(static_cast<unsigned>(response.status));
        for (const auto& [name, value] : response.headers) res_.insert(name, value);
        res_.set("X-Request-Id", request_.request_id);
        res_.set("X-Content-Type-Options", "nosniff");
        if (res_.find(bhttp::field::cache_control) == res_.end()) res_.set(bhttp::field::cache_control, "no-store");
        if constexpr (kTls) res_.set("Strict-Transport-Security", "max-age=31536000");
        res_.body() = std::move(response.body);
        res_.keep_alive(keep);
        res_.prepare_payload();
        close_after_write_ = !keep;
        beast::get_lowest_layer(stream_).expires_after(server_.config.write_timeout);
        bhttp::async_write(stream_, res_, beast::bind_front_handler(&Session::on_write, this->shared_from_this()));
    }

    // A streamed answer: the header with chunked transfer encoding, then one chunk at a time,
    // each produced on the handler pool so a long export never blocks a network thread, and
    // never more than one chunk in memory.
    void do_write_stream(http::Response response, bool keep) {
        producer_ = std::move(response.stream);
        stream_res_.emplace();
        stream_res_->version(version_);
        stream_res_->result(static_cast<unsigned>(response.status));
        for (const auto& [name, value] : response.headers) stream_res_->insert(name, value);
        stream_res_->set("X-Request-Id", request_.request_id);
        stream_res_->set("X-Content-Type-Options", "nosniff");
        if (stream_res_->find(bhttp::field::cache_control) == stream_res_->end()) {
            stream_res_->set(bhttp::field::cache_control, "no-store");
        }
        if constexpr (kTls) stream_res_->set("Strict-Transport-Security", "max-age=31536000");
        stream_res_->keep_alive(keep);
        stream_res_->chunked(true);
        close_after_write_ = !keep;
        stream_sr_.emplace(*stream_res_);
        beast::get_lowest_layer(stream_).expires_after(server_.config.write_timeout);
        bhttp::async_write_header(stream_, *stream_sr_,
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
                spdlog::error("request_id={} streaming the answer failed: {}", self->request_.request_id, e.what());
                failed = true;
            }
            asio::post(self->stream_.get_executor(), [self, chunk = std::move(chunk), more, failed]() mutable {
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
            return asio::async_write(stream_, bhttp::make_chunk_last(),
                                     beast::bind_front_handler(&Session::on_stream_done, this->shared_from_this()));
        }
        asio::async_write(stream_, bhttp::make_chunk(asio::buffer(chunk_)),
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
        asio::async_write(stream_, bhttp::make_chunk_last(),
                          beast::bind_front_handler(&Session::on_stream_done, this->shared_from_this()));
    }

    void on_stream_done(beast::error_code ec, std::size_t bytes) {
        producer_ = nullptr;  // releases what the producer held (its read connection)
        stream_sr_.reset();
        stream_res_.reset();
        on_write(ec, bytes);
    }

    void on_write(beast::error_code ec, std::size_t) {
        if (ec) return;  // the peer left; the session ends
        if (drain_after_write_) return do_drain();
        if (close_after_write_) return do_close();
        request_ = http::Request{};
        do_read();
    }

    void do_drain() {
        state_ = State::closing;
        beast::get_lowest_layer(stream_).expires_after(kDrainTimeout);
        stream_.async_read_some(asio::buffer(drain_buffer_),
                                beast::bind_front_handler(&Session::on_drain, this->shared_from_this()));
    }

    void on_drain(beast::error_code ec, std::size_t n) {
        drained_ += n;
        if (ec || drained_ >= kMaxDrainBytes) return do_close();
        do_drain();
    }

    void do_close() {
        state_ = State::closing;
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
    std::uint64_t id_ = 0;
    State state_ = State::reading;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    http::Request request_;
    bhttp::response<bhttp::string_body> res_;
    SteadyClock::time_point request_started_ = SteadyClock::now();
    unsigned version_ = 11;
    bool keep_alive_ = true;
    bool close_after_response_ = false;
    bool close_after_write_ = false;
    bool drain_after_write_ = false;
    std::size_t drained_ = 0;
    std::array<char, 64 * 1024> drain_buffer_{};
    std::function<bool(std::string&)> producer_;
    std::optional<bhttp::response<bhttp::empty_body>> stream_res_;
    std::optional<bhttp::response_serializer<bhttp::empty_body>> stream_sr_;
    std::string chunk_;
    bool stream_more_ = true;
};

void HttpServer::Impl::do_accept() {
    acceptor.async_accept(asio::make_strand(ioc),
                          [this](beast::error_code ec, tcp::socket socket) { on_accept(ec, std::move(socket)); });
}

void HttpServer::Impl::on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (!ec && !stopping) {
        beast::error_code ep_ec;
        const auto endpoint = socket.remote_endpoint(ep_ec);
        std::string remote = ep_ec ? std::string("unknown") : endpoint.address().to_string();
        bool over_cap = false;
        {
            std::lock_guard lock(sessions_mutex);
            over_cap = sessions.size() >= config.max_connections;
        }
        if (over_cap) {
            spdlog::warn("connection from {} refused: {} connections open (limits.max_connections)", remote,
                         config.max_connections);
            socket.close(ep_ec);
        } else if (tls) {
            auto s = std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(*this, std::move(socket), remote);
            s->run(register_session(s));
        } else {
            auto s = std::make_shared<Session<beast::tcp_stream>>(*this, std::move(socket), remote);
            s->run(register_session(s));
        }
    } else if (ec) {
        spdlog::warn("accept failed: {}", ec.message());
    }
    if (!stopping) do_accept();
}

HttpServer::HttpServer(const ServerConfig& config, asio::ssl::context* tls, RequestHandler handler,
                       CompletionObserver observer)
    : impl_(std::make_unique<Impl>(config, tls, std::move(handler), std::move(observer))) {}

HttpServer::~HttpServer() { shutdown(std::chrono::milliseconds(0)); }

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
    const unsigned n = s.config.io_threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : s.config.io_threads;
    for (unsigned i = 0; i < n; ++i) s.threads.emplace_back([&s] { s.ioc.run(); });
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
        std::vector<std::shared_ptr<SessionBase>> live;
        {
            std::lock_guard lock(s.sessions_mutex);
            for (auto& [id, weak] : s.sessions) {
                if (auto p = weak.lock()) live.push_back(std::move(p));
            }
        }
        for (auto& session : live) session->begin_shutdown();
        live.clear();
        {
            std::unique_lock lock(s.sessions_mutex);
            if (!s.sessions_empty.wait_for(lock, grace, [&s] { return s.sessions.empty(); })) {
                spdlog::warn("shutdown: {} connections still busy after {} ms; closing them", s.sessions.size(),
                             grace.count());
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
