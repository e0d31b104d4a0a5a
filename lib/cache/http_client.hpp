// The HTTP/1.1 client of sr-cached: fetches from origins, peer caches and
// service instances.
//
// Why not evhttp's client: evhttp creates its sockets inside connect, so a
// flow's DSCP (IP_TOS / IPV6_TCLASS) could only be set after its first
// packets had left, and its body callbacks give no way to stop a fill that
// nobody waits for any more. So the client is Debian's http-parser under a
// bufferevent on a socket we create and mark ourselves (DESIGN §10: "an HTTP
// parser where evhttp cannot stream"). The server side stays on evhttp.
//
// An Exchange is one request and its streamed response: on_head once when
// the header has arrived, on_body for each piece, then on_done exactly once
// (ok = the whole body arrived). Connections are kept per (endpoint, DSCP)
// and reused; a request that fails on a reused connection before any byte of
// the answer came is retried once on a fresh one (the origin may have closed
// an idle connection just as we used it).
#pragma once

#include "cache/policy.hpp"
#include "core/loop.hpp"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sr::cache {

struct Endpoint {
    sockaddr_storage addr{};
    socklen_t len = 0;
    std::string host_header;  // "host[:port]" as sent in Host
    std::string str() const;  // "ADDR:PORT"
    bool operator<(const Endpoint& o) const;
};

// "http://host[:port]/path" split; only http (TLS is left to a front end).
struct Url {
    std::string host;  // as written, without brackets
    std::uint16_t port = 80;
    std::string path = "/";  // path and query
    std::string authority() const;  // host[:port] (port omitted when 80)
};
Url parse_url(const std::string& url);  // throws Error("invalid_params") naming the problem
// Resolves a literal address or a name (getaddrinfo; at configuration time
// only, it blocks). Throws Error("config").
Endpoint resolve_endpoint(const std::string& host, std::uint16_t port);

struct ClientRequest {
    std::string method = "GET";
    std::string target = "/";  // origin-form
    Headers headers;           // Host is added from the endpoint when missing
    std::string body;
    int dscp = -1;             // -1: leave the socket's default
};

struct ResponseHead {
    int status = 0;
    Headers headers;
    std::uint64_t content_length = UINT64_MAX;  // UINT64_MAX: not known in advance
};

struct ClientLimits {
    std::int64_t connect_timeout_us = 5'000'000;
    std::int64_t read_timeout_us = 30'000'000;  // no byte for this long: failed
    std::size_t max_idle_per_endpoint = 32;
};

class HttpClient {
  public:
    struct Exchange;
    struct Callbacks {
        std::function<void(const ResponseHead&)> on_head;
        std::function<void(const char*, std::size_t)> on_body;
        std::function<void(bool ok, const std::string& error)> on_done;
    };
    using Handle = std::shared_ptr<Exchange>;

    HttpClient(Loop& loop, ClientLimits limits = {});
    ~HttpClient();

    // Starts the exchange; callbacks run later, from the loop, never inside fetch().
    Handle fetch(const Endpoint& to, ClientRequest req, Callbacks cb);
    // Stops an exchange: no callback runs after this; its connection is closed.
    void cancel(const Handle& h);
    // Stops reading the answer (no on_body, no read timeout) until resume():
    // the upstream is held back by TCP instead of filling our disk.
    void pause(const Handle& h);
    void resume(const Handle& h);
    std::size_t idle_connections() const;

    struct Conn;

  private:
    friend struct Conn;
    void release(std::unique_ptr<Conn> c);  // back to the idle pool or closed
    Loop& loop_;
    ClientLimits limits_;
    std::map<std::pair<Endpoint, int>, std::vector<std::unique_ptr<Conn>>> idle_;
    std::map<Conn*, std::unique_ptr<Conn>> active_;
};

// Sets the DSCP on a socket of either family (the upper six bits of the TOS
// / traffic class byte). Returns false and leaves errno on failure.
bool set_dscp(int fd, int dscp);

}  // namespace sr::cache
