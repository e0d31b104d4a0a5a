// One BGP peering of sr-proxd: binds the sans-IO session (bgp/session.hpp)
// to a TCP connection on the event loop, and keeps the peer's Adj-RIB-In.
//
// sr-proxd always opens the connection itself (to PEER:PORT, from the
// configured local address so that multihop sessions come from a known
// source) and reconnects with exponential back-off after any loss. When the
// session goes down the peer's routes are flushed at once (on_change tells
// the service to rebuild), so answers never rest on a dead session.
#pragma once

#include "core/loop.hpp"
#include "core/rpc.hpp"
#include "core/value.hpp"
#include "prox/bgp/rib.hpp"
#include "prox/bgp/session.hpp"

#include <functional>
#include <memory>
#include <string>

struct bufferevent;

namespace sr::prox {

struct PeerConfig {
    Address address;
    std::uint16_t port = 179;
    std::uint32_t peer_as = 0;
    std::optional<Address> local_address;  // source of our connection
    std::uint16_t hold_time = 90;          // seconds we offer (hold=, else --bgp-hold)
    std::string description;
};

// "ADDRESS AS [port=N] [local=ADDRESS] [hold=SECONDS] [name=TEXT]", the form
// of --bgp-peer. Throws Error("config") naming what is wrong.
PeerConfig parse_peer(const std::string& spec, std::uint16_t* hold_time);

class BgpPeer {
  public:
    BgpPeer(Loop& loop, PeerConfig cfg, bgp::SessionConfig session, rpc::Counters& counters);
    ~BgpPeer();

    void start();
    void stop(const std::string& reason);  // NOTIFICATION cease, then close
    void refresh();                        // ROUTE-REFRESH for every family

    const bgp::AdjRibIn& rib() const { return rib_; }
    const PeerConfig& config() const { return cfg_; }
    bool established() const { return session_.state() == bgp::State::Established; }
    // Established and still sending its initial table (no End-of-RIB yet for
    // every family), for at most kInitialLoadUs.
    bool loading() const;
    static constexpr std::int64_t kInitialLoadUs = 5'000'000;
    Value status() const;

    // Called after the RIB changed (routes learned, withdrawn or flushed).
    std::function<void()> on_change;

  private:
    void connect();
    void apply(std::vector<bgp::Effect> effects);
    void close_socket();
    void lost(const std::string& why);
    void arm_session_timer();

    Loop& loop_;
    PeerConfig cfg_;
    rpc::Counters& counters_;
    bgp::Session session_;
    bgp::AdjRibIn rib_;
    bgp::Backoff backoff_;
    bufferevent* bev_ = nullptr;
    Timer session_timer_, reconnect_timer_;
    std::int64_t established_at_ = 0;
    std::string last_error_;
    bool stopping_ = false;
};

}  // namespace sr::prox
