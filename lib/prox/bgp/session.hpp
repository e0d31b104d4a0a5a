// Passive BGP-4 session: the sans-IO core of one peering of sr-proxd
// (DESIGN §2, §7).
//
// WHAT IT DOES
//   Runs the RFC 4271 finite state machine for one peer over a TCP
//   connection the host owns: sends our OPEN (4-octet AS, route refresh,
//   multiprotocol for the configured families), checks the peer's (version,
//   peer AS, hold time, BGP identifier), keeps the session alive with
//   KEEPALIVEs, and turns the peer's UPDATEs into RoutesChanged effects. It
//   is passive: it never sends an UPDATE (not even End-of-RIB); the only
//   messages it sends are OPEN, KEEPALIVE, NOTIFICATION and, on request,
//   ROUTE-REFRESH.
//
// DATA STRUCTURES
//   a Framer (wire.hpp) holding the partial message; the state; what the
//   OPEN exchange negotiated (families = ours ∩ theirs, 4-octet AS, hold
//   time, route refresh); two deadlines (hold timer, next KEEPALIVE);
//   End-of-RIB seen per family; counters. No routes: the host keeps them in
//   an AdjRibIn (rib.hpp) fed by RoutesChanged.
//
// HOW EVENTS FLOW
//   The host calls, with the current time in µs (never read inside):
//     connecting(now)           it started a TCP connect (Idle -> Connect)
//     tcp_connected(now)        the connection is up (either direction):
//                               send OPEN -> OpenSent, hold timer 240 s
//     bytes_received(data,now)  framed and decoded; see below
//     tcp_closed(now)           the peer or the network closed it
//     tick(now)                 when now >= next_wakeup(): hold timer expiry
//                               (NOTIFICATION 4/0), KEEPALIVE due
//     stop(reason, now)         administrative shutdown (NOTIFICATION 6/2)
//     request_refresh(family)   ROUTE-REFRESH when the peer supports it
//   and carries out the returned Effects in order: Send{bytes} (write them),
//   CloseConnection{reason} (close the socket after writing), Established,
//   SessionDown{reason} (flush this peer's routes, reconnect after
//   Backoff::next()), RoutesChanged, EndOfRib{family}, UpdateError.
//
//   OpenSent --OPEN ok--> KEEPALIVE sent, OpenConfirm --KEEPALIVE-->
//   Established. Hold time = min(ours, theirs); 0 disables both timers,
//   else KEEPALIVE every hold/3. Any error a decoder or check finds sends
//   the NOTIFICATION it names, then CloseConnection + SessionDown, and the
//   session returns to Idle (ready for the next tcp_connected). A
//   NOTIFICATION from the peer: CloseConnection + SessionDown, no answer.
//   Messages out of order are FSM errors 5/1, 5/2, 5/3 (RFC 6608).
//
//   UPDATE (Established only): withdrawn prefixes and MP_UNREACH become
//   RoutesChanged::withdrawn; NLRI and MP_REACH become announcements with
//   the effective AS path (AS4_PATH merged for a 2-octet peer). RFC 7606
//   treat-as-withdraw turns every prefix of the UPDATE into a withdrawal and
//   adds an UpdateError effect. Prefixes of families not negotiated are
//   ignored. An End-of-RIB marker gives EndOfRib{family}.
//
//   Connection collisions (RFC 4271 §6.8) are the host's business: it keeps
//   at most one connection per peer and calls tcp_closed before the next
//   tcp_connected.
#pragma once

#include "prox/bgp/route.hpp"
#include "prox/bgp/wire.hpp"

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sr::prox::bgp {

struct SessionConfig {
    std::uint32_t local_as = 0;   // 4-octet; AS_TRANS goes in the OPEN when > 65535
    std::uint32_t router_id = 0;  // BGP identifier, host order, non-zero
    std::uint32_t peer_as = 0;    // expected peer AS; 0 accepts any
    std::uint16_t hold_time = 90; // seconds: 0 or >= 3
    std::vector<AfiSafi> families{kIpv4Unicast, kIpv6Unicast};
    std::int64_t open_hold_us = 240'000'000;  // hold timer while waiting for the peer's OPEN
};

enum class State { Idle, Connect, OpenSent, OpenConfirm, Established };
const char* state_name(State s);

// ---- effects --------------------------------------------------------------------

struct Send {
    std::string bytes;
};
struct CloseConnection {
    std::string reason;
};
struct Established {
    std::uint32_t peer_as = 0;
    std::uint32_t peer_id = 0;
    std::uint16_t hold_time = 0;  // negotiated
    std::vector<AfiSafi> families;
    bool four_octet_as = false;
    bool route_refresh = false;
};
struct SessionDown {
    std::string reason;
    std::optional<Notification> sent;      // the NOTIFICATION we sent, if any
    std::optional<Notification> received;  // the peer's, if that is why
};
struct EndOfRib {
    AfiSafi family;
};
// An UPDATE had attribute errors (RFC 7606): its prefixes were withdrawn
// (treat_as_withdraw) or just some attributes discarded. For the log.
struct UpdateError {
    std::string reason;
    bool treat_as_withdraw = false;
};
using Effect = std::variant<Send, CloseConnection, Established, SessionDown, RoutesChanged, EndOfRib, UpdateError>;

struct SessionCounters {
    std::array<std::uint64_t, 6> msgs_in{}, msgs_out{};  // by MessageType (index 0 unused)
    std::uint64_t established = 0;         // times the session came up
    std::uint64_t prefixes_announced = 0;
    std::uint64_t prefixes_withdrawn = 0;
    std::uint64_t prefixes_ignored = 0;    // of families not negotiated
    std::uint64_t treat_as_withdraw = 0;   // UPDATEs
    std::uint64_t attributes_discarded = 0;
    std::uint64_t errors_sent = 0;         // NOTIFICATIONs we sent
};

class Session {
  public:
    // Throws std::invalid_argument for a bad config (router id 0, local AS 0,
    // hold time 1 or 2, no family).
    explicit Session(SessionConfig cfg);

    std::vector<Effect> connecting(std::int64_t now);
    std::vector<Effect> tcp_connected(std::int64_t now);
    std::vector<Effect> bytes_received(std::string_view data, std::int64_t now);
    std::vector<Effect> tcp_closed(std::int64_t now);
    std::vector<Effect> tick(std::int64_t now);
    // Sends Cease/administrative shutdown with `reason` (RFC 8203 text) when
    // a connection is up, then CloseConnection + SessionDown.
    std::vector<Effect> stop(std::string_view reason, std::int64_t now);
    // A ROUTE-REFRESH for `family`; nothing when not Established, the family
    // is not negotiated or the peer did not announce route refresh.
    std::vector<Effect> request_refresh(AfiSafi family);

    // When tick() wants to run next; INT64_MAX when no timer is armed.
    std::int64_t next_wakeup() const;

    State state() const { return state_; }
    const SessionConfig& config() const { return cfg_; }
    // What the OPEN exchange agreed; meaningful from OpenConfirm on.
    const Established& negotiated() const { return neg_; }
    const PeerCapabilities& peer_capabilities() const { return peer_caps_; }
    bool end_of_rib(AfiSafi family) const;
    const SessionCounters& counters() const { return counters_; }

  private:
    void send(std::vector<Effect>& out, std::string bytes, MessageType t);
    void fail(std::vector<Effect>& out, std::uint8_t code, std::uint8_t subcode, std::string data,
              const std::string& reason);
    void down(std::vector<Effect>& out, SessionDown d, bool close);
    void reset();
    void on_message(std::vector<Effect>& out, const std::string& m, std::int64_t now);
    void on_open(std::vector<Effect>& out, const Open& o, std::int64_t now);
    void on_update(std::vector<Effect>& out, Update u);
    bool negotiated_family(AfiSafi f) const;
    void arm_hold(std::int64_t now);

    SessionConfig cfg_;
    State state_ = State::Idle;
    Framer framer_;
    Established neg_;
    PeerCapabilities peer_caps_;
    std::int64_t hold_deadline_ = INT64_MAX;
    std::int64_t keepalive_deadline_ = INT64_MAX;
    std::vector<AfiSafi> eor_;
    SessionCounters counters_;
};

// Reconnect back-off: exponential from `initial_us` doubling to `max_us`,
// each delay multiplied by a jitter factor in [0.75, 1] (RFC 4271 §10) from
// `jitter` (uniform in [0, 1); none: factor 1). Call next() after each
// failure or SessionDown, reset() once a session has stayed Established.
class Backoff {
  public:
    explicit Backoff(std::function<double()> jitter = {}, std::int64_t initial_us = 1'000'000,
                     std::int64_t max_us = 120'000'000);
    std::int64_t next();
    void reset() { base_ = initial_; }

  private:
    std::function<double()> jitter_;
    std::int64_t initial_, max_, base_;
};

}  // namespace sr::prox::bgp
