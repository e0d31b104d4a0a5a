// An HTTP server's client connections, bounded (issue 9: connection
// floods): sr-cached's and sr-streamd's, on libevent's evhttp.
//
// evhttp alone bounds neither the number of client connections nor how
// long one may take to send a request: its timeout is per read, so a client
// sending a header byte every few seconds (slowloris) or idling on a
// persistent connection holds a descriptor for ever, and enough of them use
// up the process's descriptors. This tracks every client connection and
//   - refuses one beyond --max-connections in all, or beyond
//     --max-connections-per-source from one address (an IPv6 client by its
//     /64): it gets a 503 and is closed at once;
//   - closes one whose request (header, and body if any) has not fully
//     arrived --header-timeout seconds after the connection opened or after
//     the request's first byte (408), and one idle between requests for
//     --keepalive-timeout seconds.
//
// How, with libevent 2.1's public API only: evhttp_set_bevcb tells us of
// each new connection (its bufferevent, before evhttp gives it the socket);
// we look at it once the loop is back (a zero timer, or at once when a
// request arrives first), by its descriptor: peer address, and the socket's
// inode so that a later check knows the descriptor still is that socket
// (evhttp frees connections without telling us: the close callback is the
// fills'). A request's start and its answer's end (evhttp's on-complete
// callback) move a connection between busy and idle. To close one we shut
// its socket down; evhttp then sees the end of the stream and frees it.
//
// Finding the connections evhttp has freed costs an fstat each. At a limit
// every new connection would want that pass over all of them, so a flood of
// refused connections at --max-connections (thousands open) would buy
// thousands of system calls each: the pass runs at most once every
// kPruneEvery (and from the sweep timer), and between passes the counts
// may still hold connections closed since, so a connection is refused a
// little early rather than the daemon spending its CPU on refusals.
#pragma once

#include "core/loop.hpp"

#include <CLI/CLI.hpp>

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

struct evhttp;
struct evhttp_request;
struct bufferevent;
struct event_base;
struct evbuffer;
struct evbuffer_cb_info;

namespace sr {

struct ConnectionLimits {
    std::size_t max_connections = 0;         // 0: a third of what the descriptor limit leaves (64 kept)
    std::size_t max_per_source = 256;        // one address (IPv6: its /64)
    std::int64_t header_timeout_us = 20'000'000;
    std::int64_t keepalive_timeout_us = 15'000'000;
};

// The options that set them, the same in every daemon with an HTTP server:
// --max-connections, --max-connections-per-source, --header-timeout,
// --keepalive-timeout.
struct ConnectionOptions {
    std::size_t max_connections = 0, max_connections_per_source = 256;  // 0: (RLIMIT_NOFILE - 64) / 3
    double header_timeout = 20, keepalive_timeout = 15;
};
void add_connection_options(CLI::App& app, ConnectionOptions& o);
ConnectionLimits connection_limits(const ConnectionOptions& o);

// max_connections 0 → a third of the descriptors beyond 64: a client being
// filled holds about three (its connection, the upstream's, the store file);
// Error("config") when a given one leaves fewer than 64 descriptors for
// everything else.
ConnectionLimits resolve_connection_limits(ConnectionLimits l);

struct ConnectionStats {
    std::uint64_t refused = 0;    // over a limit: 503 and closed
    std::uint64_t timed_out = 0;  // request too slow (408) or idle too long
    std::uint64_t checked = 0;    // liveness checks (one fstat each) while pruning
};

class ClientConnections {
  public:
    static constexpr std::int64_t kPruneEvery = 100'000;  // µs between two passes at a limit

    // Throws Error("config") when max_connections is not below the descriptor limit.
    ClientConnections(Loop& loop, ConnectionLimits limits);
    ~ClientConnections();
    ClientConnections(const ClientConnections&) = delete;
    ClientConnections& operator=(const ClientConnections&) = delete;

    void attach(evhttp* http);  // before the first connection
    // A request has arrived: false when its connection was refused (answer it
    // with nothing more than an error). Arranges request_done at its end.
    bool request_started(evhttp_request* req);
    void detach();  // before evhttp_free: let go of connections not yet looked at

    std::size_t open() const { return conns_.size() - closing_; }
    std::size_t max_connections() const { return limits_.max_connections; }
    const ConnectionStats& stats() const { return stats_; }

  private:
    struct Conn {
        ClientConnections* owner;
        int fd;
        ino_t ino;
        std::string source;
        bool busy = false, idle = false, closing = false;
        std::int64_t deadline_us = 0;
    };
    static bufferevent* new_bev(event_base* base, void* self);
    static void on_input(evbuffer* b, const evbuffer_cb_info* info, void* conn);
    static void on_complete(evhttp_request* req, void* self);
    void admit_pending();
    void admit(bufferevent* bev);
    bool alive(const Conn& c) const;
    void forget(int fd);
    void prune();      // drop the connections evhttp has freed: one fstat each
    void prune_if_due();  // prune, unless that was done less than kPruneEvery ago
    void close(Conn& c, const char* answer);
    void sweep();
    Conn* find(evhttp_request* req);

    Loop& loop_;
    ConnectionLimits limits_;
    std::unordered_map<int, std::unique_ptr<Conn>> conns_;  // by descriptor
    std::map<std::string, std::size_t> per_source_;          // counted: not closing
    std::size_t closing_ = 0;
    std::vector<bufferevent*> pending_;  // new, not looked at yet (a reference held)
    Timer admit_timer_, sweep_timer_;
    std::int64_t last_prune_us_ = -kPruneEvery;
    ConnectionStats stats_;
};

}  // namespace sr
