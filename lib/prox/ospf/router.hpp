// sr-proxd's passive OSPFv2 router (issue 12): the interface and neighbour
// state machines, database exchange, flooding and our own router-LSA, in
// one area. Sans-IO (DESIGN §2): packets and the time in, effects out; the
// host (prox/ospf_host) owns the raw sockets.
//
// WHAT IT IS
//   A router that learns the area's whole database and carries no traffic:
//   priority 0 on every interface, so it is never DR or BDR; its router-LSA
//   gives every transit and point-to-point link the metric 0xffff (RFC 6987
//   max-metric) and keeps the interface's own subnet as a stub; it
//   originates nothing else. Everything else follows RFC 2328:
//   - Interfaces (9): broadcast or point-to-point. A priority-0 router goes
//     straight to DROther; the DR and BDR come from the neighbours' Hellos
//     by the election of 9.4 (steps 1-3; we are never a candidate).
//   - Neighbours (10): Down, Init, 2-Way, ExStart, Exchange, Loading, Full.
//     An adjacency forms with the point-to-point peer, and on a broadcast
//     network with the DR and the BDR only (10.4). ExStart settles master
//     and slave by router id; Database Description packets are exchanged in
//     either role, with the duplicate and mismatch rules of 10.6 and 10.8;
//     what the neighbour has newer goes on the request list, asked in LS
//     Requests one at a time and retransmitted each RxmtInterval.
//   - Flooding (13): a newer LSA is installed, acknowledged (a direct LS Ack
//     to the sender) and flooded to the adjacencies of every interface but
//     where it came from, kept on each one's retransmission list until
//     acknowledged. An LSA we hold newer is sent back. An LSA that claims to
//     be ours (13.4) makes us step our sequence number past it, or flush it
//     when it is not one we originate.
//   - Aging (14): LSAs that reach MaxAge leave the database once no
//     retransmission list holds them; ours is refreshed every 30 minutes
//     and re-originated at most every MinLSInterval when links change.
//   - Authentication per interface (wire.hpp): received cryptographic
//     sequence numbers must not decrease per neighbour (D.4.3).
//
// HOW EVENTS FLOW
//   The host calls, with a monotonic time in µs (never read inside):
//     start(now)                     Hellos begin, our router-LSA is made
//     receive(ifindex, src, payload, now)
//                                    one IP payload of protocol 89 from src
//     tick(now)                      when now >= next_wakeup()
//   and carries out the returned Effects: Send{interface, destination,
//   bytes} (224.0.0.5 AllSPFRouters, 224.0.0.6 AllDRouters or a neighbour's
//   address), NeighborChanged (log it), Dropped (count it; log it at a
//   bounded rate). The database is lsdb(); its version() changes with every
//   install or removal, which is when the host rebuilds the topology.
//
// BOUNDS
//   Neighbours per interface (kMaxNeighbors) and LSAs in the database
//   (max_lsas): past either, new ones are dropped and counted. Retransmission
//   and request lists hold keys of the database, so they are bounded by it.
//   Every packet we build fits the interface MTU, except an LSA larger than
//   it, which goes alone (the kernel fragments it).
#pragma once

#include "prox/ospf/lsdb.hpp"
#include "prox/ospf/wire.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace sr::prox::ospf {

inline constexpr std::uint32_t kAllSpfRouters = 0xe0000005;  // 224.0.0.5
inline constexpr std::uint32_t kAllDRouters = 0xe0000006;    // 224.0.0.6
inline constexpr std::size_t kMaxNeighbors = 256;
inline constexpr std::int64_t kLsRefreshUs = 1800'000'000;   // LSRefreshTime (RFC 2328 B)
inline constexpr std::int64_t kMinLsIntervalUs = 5'000'000;  // MinLSInterval

enum class InterfaceType { broadcast, point_to_point };
enum class NeighborState { down, init, two_way, exstart, exchange, loading, full };
const char* state_name(NeighborState s);

struct InterfaceConfig {
    std::string name;            // for logs and prox.igp
    std::uint32_t address = 0;   // our primary IPv4 address on it (host order)
    std::uint32_t mask = 0;
    std::uint16_t mtu = 1500;
    InterfaceType type = InterfaceType::broadcast;
    std::uint16_t cost = 10;     // of the stub link to the interface's subnet
    std::uint16_t hello_interval = 10;      // seconds
    std::uint32_t dead_interval = 40;       // seconds
    std::uint16_t retransmit_interval = 5;  // seconds
    Auth auth;
};

struct RouterConfig {
    std::uint32_t router_id = 0;
    std::uint32_t area = 0;
    std::vector<InterfaceConfig> interfaces;  // index = the host's interface number
    std::size_t max_lsas = 200'000;
    // Cryptographic sequence numbers sent are this plus the seconds since
    // start(), or one more than the last when that is not more: the host
    // passes the wall clock, so they keep growing across restarts as RFC
    // 5709 asks.
    std::uint32_t crypto_sequence_base = 0;
};

// ---- effects ----------------------------------------------------------------

struct Send {
    std::size_t interface = 0;
    std::uint32_t destination = 0;  // host order
    std::string bytes;              // the OSPF packet (the IP payload)
};
struct NeighborChanged {
    std::size_t interface = 0;
    std::uint32_t router_id = 0;
    std::uint32_t address = 0;
    NeighborState from = NeighborState::down, to = NeighborState::down;
    std::string reason;
};
struct Dropped {
    std::size_t interface = 0;
    std::uint32_t source = 0;
    std::string reason;  // "authentication: ...", "hello: dead interval 40 != 30", ...
};
using Effect = std::variant<Send, NeighborChanged, Dropped>;

struct RouterCounters {
    std::uint64_t packets_in = 0, packets_out = 0, dropped = 0;
    std::uint64_t lsas_installed = 0, lsas_refused = 0;  // refused: past max_lsas
    std::uint64_t retransmissions = 0;
    std::uint64_t adjacencies_lost = 0;
    std::uint64_t originated = 0;  // instances of our router-LSA
};

class Router {
  public:
    struct Neighbor {
        std::uint32_t router_id = 0, address = 0;
        std::uint8_t priority = 0;
        std::uint32_t dr = 0, bdr = 0;  // as its last Hello declared them
        NeighborState state = NeighborState::down;
        std::int64_t dead_at = 0;
        std::optional<std::uint32_t> crypto_sequence;  // highest received
        // Database exchange.
        bool master = false;  // we are master
        std::uint32_t dd_seq = 0;
        std::uint8_t last_dd_flags = 0;
        std::uint32_t last_dd_seq = 0;  // the neighbour's last DD (for duplicates)
        bool have_last_dd = false;
        std::optional<DbDescription> last_dd_sent;  // resent on duplicates and retransmission
        std::int64_t dd_retransmit_at = INT64_MAX;
        std::vector<LsaHeader> summary;  // what is left to describe, taken from the back
        bool sent_more = true, their_more = true;  // the More bits of the last packets
        std::map<LsaKey, LsaHeader> requests;  // what we want from it
        std::set<LsaKey> requested;            // in the LS Request outstanding
        std::int64_t request_retransmit_at = INT64_MAX;
        std::map<LsaKey, LsaHeader> retransmit;  // flooded to it, not yet acknowledged
        std::int64_t retransmit_at = INT64_MAX;
        std::int64_t full_since = 0;
    };
    struct Interface {
        InterfaceConfig cfg;
        std::uint32_t dr = 0, bdr = 0;  // interface addresses, 0: none
        std::map<std::uint32_t, Neighbor> neighbors;  // by router id
        std::int64_t hello_at = 0;
    };

    // Throws std::invalid_argument for a bad config (router id 0, no interface).
    explicit Router(RouterConfig cfg);

    std::vector<Effect> start(std::int64_t now);
    std::vector<Effect> receive(std::size_t interface, std::uint32_t source, std::string_view payload,
                                std::int64_t now);
    std::vector<Effect> tick(std::int64_t now);
    std::int64_t next_wakeup() const;

    const Lsdb& lsdb() const { return lsdb_; }
    const std::vector<Interface>& interfaces() const { return interfaces_; }
    const RouterConfig& config() const { return cfg_; }
    const RouterCounters& counters() const { return counters_; }

  private:
    using Out = std::vector<Effect>;

    void hello(Out& out, std::size_t index, std::uint32_t source, const Packet& p, const Hello& h);
    void db_description(Out& out, std::size_t index, Neighbor& n, const DbDescription& d);
    void ls_request(Out& out, std::size_t index, Neighbor& n, const LsRequest& r);
    void ls_update(Out& out, std::size_t index, Neighbor& n, const LsUpdate& u);
    void ls_ack(Neighbor& n, const LsAck& a);

    void set_state(Out& out, std::size_t index, Neighbor& n, NeighborState to, const std::string& reason);
    void elect(Out& out, std::size_t index);
    bool wants_adjacency(const Interface& itf, const Neighbor& n) const;
    void adjacency_ok(Out& out, std::size_t index, Neighbor& n);
    void kill(Out& out, std::size_t index, std::uint32_t router_id, const std::string& reason);
    void clear_lists(Neighbor& n);
    void start_exchange(Out& out, std::size_t index, Neighbor& n);
    void mismatch(Out& out, std::size_t index, Neighbor& n, const std::string& reason);
    void negotiation_done(Out& out, std::size_t index, Neighbor& n);
    void send_dd(Out& out, std::size_t index, Neighbor& n, std::uint8_t flags);
    void resend_dd(Out& out, std::size_t index, Neighbor& n);
    void exchange_done(Out& out, std::size_t index, Neighbor& n);
    void send_requests(Out& out, std::size_t index, Neighbor& n);
    void satisfied(Out& out, std::size_t index, Neighbor& n, const LsaKey& key);
    void retransmit(Out& out, std::size_t index, Neighbor& n);
    bool any_exchanging() const;

    void install(Out& out, std::size_t from_interface, Neighbor* from, const std::string& bytes, const Lsa& lsa);
    void flood(Out& out, std::size_t from_interface, const Neighbor* from, const LsaHeader& h);
    void self_originated(Out& out, const Lsa& received);
    void schedule_origination();
    RouterLsa our_router_lsa() const;
    void originate(Out& out);
    void expire();

    std::size_t payload_budget(const Interface& itf) const;
    std::uint32_t crypto_sequence();
    bool fresh_sequence(Neighbor& n, const Packet& p);
    void send_hello(Out& out, std::size_t index);
    void send_updates(Out& out, std::size_t index, std::uint32_t destination, const std::vector<std::string>& lsas);
    void send_acks(Out& out, std::size_t index, std::uint32_t destination, const std::vector<LsaHeader>& acks);
    void send(Out& out, std::size_t index, std::uint32_t destination, Packet::Body body);
    void send_raw(Out& out, std::size_t index, std::uint32_t destination, std::string bytes);
    void drop(Out& out, std::size_t index, std::uint32_t source, std::string reason);

    RouterConfig cfg_;
    std::vector<Interface> interfaces_;
    Lsdb lsdb_;
    RouterCounters counters_;
    std::int64_t started_ = 0;
    std::int32_t our_seq_ = kInitialSequence - 1;  // of our router-LSA's last instance
    std::int64_t originated_at_ = INT64_MIN / 2;
    std::int64_t originate_at_ = INT64_MAX;  // a pending origination
    std::int64_t expire_at_ = INT64_MAX;
    std::int64_t now_ = 0;  // of the call being handled
    std::uint32_t dd_sequences_ = 0;
    std::uint32_t last_crypto_sequence_ = 0;
};

}  // namespace sr::prox::ospf
