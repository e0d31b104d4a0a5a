// The overlay transport of sr-dhtd: framed messages over TCP between nodes.
//
// Why TCP and not UDP: a value may be 64 KiB and a join reply carries whole
// routing-table rows, both past what one UDP datagram safely carries (65,507
// bytes at most, far less without IP fragmentation); TCP gives ordering and
// flow control for free, and a connection reset on loopback or a LAN tells
// us at once that a peer has died, which speeds up failure detection beside
// the heartbeats of the Pastry core.
//
// Each node sends only on connections it opened itself (one per peer
// address) and receives on connections others opened. A connection starts
// with the acceptor's hello: magic "SRO1" and a fresh 16-byte nonce. Then the
// opener sends frames:
//
//   u32 length | u8 flags | payload[length] | mac[32] if flags & 1
//   mac = HMAC-SHA256(key, nonce | u64 sequence | payload)
//
// With an overlay key the acceptor requires a valid MAC on every frame and a
// sequence number one above the last: a frame from a node without the key,
// altered in flight, or replayed (on this or another connection, whose nonce
// differs) fails the check, is counted and the connection is closed.
// Without a key frames carry no MAC and the overlay is open.
//
// The opener's first frame is an introduction: an empty payload (with its
// MAC in a keyed overlay). Receivers deliver no message for it.
//
// Outgoing frames queue while a connection is being opened and its hello
// awaited; a peer that cannot be reached, or whose connection breaks,
// is reported through on_unreachable so the Pastry core can repair.
//
// BOUNDS BEFORE AUTHENTICATION (DESIGN §11). An inbound connection is
// "authenticated" once its first frame has arrived whole: with a key, with
// a valid MAC; in an open overlay any well-framed first frame counts, which
// proves nothing about the peer, only that it speaks the protocol. Until
// then a connection may buffer at most one small frame (kPreAuthMaxFrame,
// enforced with a read watermark, so an attacker's bytes stay in the
// kernel), must authenticate within handshake_timeout_us, and counts
// against max_unauthenticated (in total) and max_per_source (per source
// address; IPv6 by /64). In an open overlay, where anyone authenticates,
// the per-source limit counts every inbound connection of the source.
// max_inbound is lowered at start to fit the file-descriptor limit (the
// soft limit is first raised to the hard one).
//
// BOUNDS ON OUTBOUND CONNECTIONS. Addresses to send to come from messages
// of other nodes (hearsay, the origin of a request), so one message could
// make a node open many connections. Outbound connections are bounded in
// total (max_outbound: the least recently used idle one is closed to make
// room, else the send is refused) and in connection attempts in flight
// (max_connecting); a refused send is counted and dropped like a lost message.
// Outbound connections leave from the IP of --listen (unless it is a
// wildcard), so a peer sees each node as its own source address; on
// loopback every node would otherwise come from 127.0.0.1.
#pragma once

#include "core/loop.hpp"
#include "core/rpc.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

struct evconnlistener;
struct bufferevent;
struct sockaddr;

namespace sr::dht {

struct TransportConfig {
    std::string listen;                 // "127.0.0.7:4100", "[::1]:4100"
    std::optional<std::string> key;     // pre-shared overlay key
    std::size_t max_frame = 256 << 10;  // one overlay message
    std::size_t max_queue = 16 << 20;   // unsent bytes per peer before frames are dropped
    std::int64_t connect_timeout_us = 3'000'000;
    std::int64_t idle_timeout_us = 300'000'000;
    std::size_t max_inbound = 4096;     // accepted connections at once; more are refused
    std::int64_t handshake_timeout_us = 10'000'000;  // to authenticate after the accept
    std::size_t max_unauthenticated = 256;  // inbound connections not authenticated yet, in total
    std::size_t max_per_source = 16;    // see BOUNDS BEFORE AUTHENTICATION
    std::size_t max_outbound = 1024;    // opened connections at once
    std::size_t max_connecting = 256;   // opened connections still waiting for their hello
};

// The largest frame accepted before the connection is authenticated.
inline constexpr std::size_t kPreAuthMaxFrame = 4096;

class Transport {
  public:
    Transport(Loop& loop, TransportConfig cfg, rpc::Counters& counters);
    ~Transport();

    void start();                         // bind and listen; throws Error("config")
    void stop();                          // close everything
    std::string local_address() const;    // the bound address, "ip:port"

    // Queues payload for addr, opening a connection when there is none.
    void send(const std::string& addr, const std::string& payload);
    void drop_peer(const std::string& addr);
    // A new overlay key (or none) for every frame from now on; open
    // connections are closed so that both ends start over with it.
    void set_key(std::optional<std::string> key);

    std::function<void(const std::string& payload)> on_message;
    std::function<void(const std::string& addr, const std::string& why)> on_unreachable;  // why: for the log

    // Parses "host:port" or "[v6]:port"; false when malformed.
    static bool parse_address(const std::string& addr, sockaddr* out, int* out_len);

    struct Stats {
        std::size_t inbound = 0, unauthenticated = 0, outbound = 0, connecting = 0;
    };
    Stats stats() const;
    const TransportConfig& config() const { return cfg_; }  // the effective limits, after start()

  private:
    struct Outbound;
    struct Inbound;
    static void accept_cb(evconnlistener*, int fd, sockaddr*, int, void* self);
    void close_outbound(const std::string& addr, bool report, const std::string& why = {});
    void close_inbound(Inbound* in);
    void flush_outbound(Outbound& out);
    void read_inbound(Inbound& in);
    void authenticated(Inbound& in);
    void release_source(Inbound& in);  // in stops counting against its source's limit
    bool make_room_outbound();         // false: at max_outbound with nothing idle to close
    void refuse(const char* counter, const std::string& what);
    void fit_fd_limit();
    int outbound_socket(const sockaddr* to) const;
    std::string mac(const std::string& nonce, std::uint64_t seq, const char* data, std::size_t len) const;

    Loop& loop_;
    TransportConfig cfg_;
    std::unique_ptr<rpc::AcceptGuard> accept_guard_;
    rpc::Counters& counters_;
    evconnlistener* listener_ = nullptr;
    std::string local_;
    std::string bind_from_;  // sockaddr bytes of the listen IP, port 0, outbound connections bind to (empty: any)
    std::map<std::string, std::unique_ptr<Outbound>> out_;
    std::map<Inbound*, std::unique_ptr<Inbound>> in_;
    std::map<std::string, std::size_t> per_source_;  // source -> connections counted against it
    std::size_t unauthenticated_ = 0;
    std::size_t connecting_ = 0;
};

}  // namespace sr::dht
