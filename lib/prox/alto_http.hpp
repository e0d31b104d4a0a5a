// ALTO over HTTP: the evhttp server of sr-proxd, and a small evhttp client.
//
// AltoHttpServer binds one evhttp to "ADDR:PORT" (IPv4, or IPv6 as
// "[ADDR]:PORT"; port 0 picks a free one) on the daemon's sr::Loop. Every
// request is turned into an AltoRequest (method, target, Content-Type,
// Accept, body, peer address), answered by handle_alto() (alto.hpp) from the
// AltoModel, and written back with its status, Content-Type and Allow; one
// access-log line per request ("alto: METHOD PATH STATUS BYTES", info).
// The model is read during the callback only, so a model that swaps its data
// between callbacks (gateway mode, alto_remote.hpp) is always seen whole.
//
// Limits are evhttp's own: max_body (a larger Content-Length, or a chunked
// body growing past it, gets 413 from evhttp before our callback runs, so
// such requests are not in the access log; the connection is closed at
// once, so a client still writing its body may see a reset rather than the
// 413: we do not read a large body only to refuse it), max_headers (header block
// size), and timeout_s (read/write inactivity per connection). Methods other
// than GET/HEAD/POST reach handle_alto(), which answers 405 with Allow.
//
// http_fetch() is the client side, for gateway mode: one request on its own
// evhttp_connection, the callback runs once in the loop with (status,
// Content-Type, body) or an error text; the connection is freed afterwards.
// Only "http://" URLs (no TLS); host names resolve with a blocking
// getaddrinfo (libevent without an evdns base), so gateways should be given
// by address.
//
// libevent writes to sockets without MSG_NOSIGNAL: the process must ignore
// SIGPIPE, as sr daemons do (lib/core/daemon.cpp).
#pragma once

#include "core/http_listen.hpp"
#include "core/loop.hpp"
#include "prox/alto.hpp"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

struct evhttp;
struct evhttp_request;
struct evhttp_bound_socket;

namespace sr::prox {

struct AltoHttpConfig {
    std::string listen = "127.0.0.1:8080";  // "ADDR:PORT" or "[V6ADDR]:PORT"
    // base_url empty: "http://" + the bound address and port.
    AltoConfig alto{"", "networkmap"};
    std::size_t max_body = 1 << 20;
    std::size_t max_headers = 16 << 10;
    int timeout_s = 30;
};

class AltoHttpServer {
  public:
    // Binds at once. Throws sr::Error("config") (78, as every daemon for an address it cannot use).
    AltoHttpServer(Loop& loop, const AltoModel& model, AltoHttpConfig config);
    ~AltoHttpServer();
    AltoHttpServer(const AltoHttpServer&) = delete;
    AltoHttpServer& operator=(const AltoHttpServer&) = delete;

    std::uint16_t port() const { return port_; }
    const AltoConfig& alto_config() const { return config_.alto; }

    struct Stats {
        std::uint64_t requests = 0, client_errors = 0, server_errors = 0, bytes_out = 0;
    };
    const Stats& stats() const { return stats_; }

  private:
    static void on_request(evhttp_request* req, void* self);
    void handle(evhttp_request* req);

    const AltoModel& model_;
    AltoHttpConfig config_;
    evhttp* http_ = nullptr;
    std::uint16_t port_ = 0;
    Stats stats_;
};


struct HttpResult {
    int status = 0;  // 0 when there was no response; see error
    std::string content_type;
    std::string body;
    std::string error;  // empty on a response (of any status)
};

struct HttpFetch {
    std::string url;  // http://HOST[:PORT]/PATH[?QUERY]; HOST may be [v6]
    std::string accept;
    std::string method = "GET";  // or "POST"
    std::string content_type;    // for POST
    std::string body;            // for POST
    int timeout_s = 10;
    std::size_t max_body = 16 << 20;
};

// Starts the request; `done` runs exactly once, later, in the loop.
void http_fetch(Loop& loop, const HttpFetch& fetch, std::function<void(HttpResult)> done);

}  // namespace sr::prox
