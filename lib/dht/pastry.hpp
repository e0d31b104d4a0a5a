// Pastry: the sans-IO overlay core of sr-dhtd (DESIGN §2).
//
// WHAT IT DOES
//   Key-based routing over a ring of 128-bit ids (Rowstron & Druschel 2001)
//   with MSPastry-style failure detection and repair (Castro et al. 2004):
//   next_hop(key) gives the node a message for key goes to next, or nullopt
//   when this node is the key's root (the numerically closest live node it
//   knows of; ties by sr::closer_to, so all nodes agree on one root).
//
// DATA STRUCTURES
//   LeafSet       L/2 nearest nodes on each side (leafset.hpp)
//   RoutingTable  128/b rows x 2^b columns, rows filled lazily (routing_table.hpp)
//   neighbourhood the |M| directly-heard nodes of lowest proximity cost
//   peers_        (FlatIdMap, flat_id_map.hpp: one cache miss per lookup)
//                 one Peer per node we track: smoothed RTT (srtt/rttvar),
//                 consecutive missed probes, the outstanding probe's nonce,
//                 when we last heard from it, which tables hold it. Nodes
//                 only learned of from others ("hearsay") live here too while
//                 probed, and as a bounded RTT cache afterwards.
//   dead_         recently declared-dead ids: hearsay about them is ignored
//                 for a while, so stale leaf sets cannot resurrect them (a
//                 message straight from the node clears the mark).
//   probes_       the outstanding probes and their deadlines (a few dozen at
//                 most; a flat vector beats a heap here)
//
// HOW EVENTS FLOW
//   The host (lib/dht/node.cpp, tests/sim) feeds the core three inputs and
//   carries out the Effects they return; the core never blocks, never reads
//   a clock and never touches a socket:
//     receive(msg, now)         a decoded overlay message (pastry_wire.hpp)
//     tick(now)                 when now >= next_wakeup(): probe timeouts,
//                               heartbeats, routing-table probes, maintenance
//     peer_unreachable(p, now)  the host could not connect/send to p
//   Effects: Send{to, msg}, Joined, LeafSetChanged{added, removed} (net change
//   over the call), PeerDead{peer}.
//
//   Every valid message's sender is direct evidence that it is alive: it is
//   offered to the leaf set and the routing table at once. Nodes named inside
//   messages (rows, leaf sets) are only hearsay: they are probed with a Ping
//   first and enter the tables when their Pong arrives, which also gives
//   their RTT for proximity neighbour selection (a candidate competing for an
//   occupied slot wins only with a lower cost: the Proximity plug-in's cost
//   when it has one, else the measured srtt).
//
// JOIN
//   bootstrap() sends JoinRequest{joiner = self} to the first seed address.
//   Each node on the route appends the routing-table rows it can contribute
//   (rows next_row..shared_prefix(self, joiner)) and itself, and forwards by
//   next_hop(joiner id) with the joiner excluded; the root answers JoinReply
//   with its leaf set and the collected rows. The joiner installs that state,
//   sends Announce to every node it learned (each answers Pong, with its leaf
//   set when the joiner falls into it) and reports Joined. No reply within
//   join_timeout, or the seed unreachable: JoinFailed, and the next seed,
//   round robin, forever; once every seed has failed in a round, the next
//   round waits join_retry_us, doubled each round up to join_backoff_max_us.
//
// FAILURE DETECTION AND REPAIR
//   Every heartbeat_us each leaf not heard from within the period gets a
//   Ping, and one leaf (round robin) is asked for its leaf set (Ping with
//   want_leaves): the periodic exchange that makes leaf sets converge after
//   mass failure or concurrent joins. Routing-table entries are probed every
//   rt_probe_us. A probe times out after clamp(srtt + 4*rttvar) * 2^missed;
//   max_missed consecutive timeouts (or host-reported unreachability) declare
//   the peer dead: it leaves every table (PeerDead, LeafSetChanged), the
//   farthest live leaf on its side is asked for its leaf set, and another
//   node of its routing-table row (else of a deeper row) for that row.
//   Every rt_maintenance_us (sooner while the node is new: the period starts
//   at 1/8 and doubles) a random entry of each row is asked for its row.
//   A node that adds a directly-heard node to its leaf set sends it its own
//   leaf set, so neighbours learn of each other quickly.
//
// SAFETY
//   A message whose sender is invalid (zero id, empty or over-long address),
//   claims our id, or claims a known id under another address is ignored
//   whole; invalid entries inside messages are skipped. Each hearsay node
//   probed is a connection the host may have to open, to an address another
//   node chose: one received message probes at most max(|L|, 2^b) unknown
//   nodes (what a true leaf set or routing-table row can hold), the rest
//   is dropped and counted (hearsay_dropped), so a forged list cannot make
//   the node connect to many addresses. A JoinReply, taken once per join
//   and installed without probes, announces the joiner to at most |L| +
//   4 * max(|L|, 2^b) unknown nodes (its leaves first, then its entries in
//   route order); the rest are dropped and counted the same way. Outgoing lists are
//   bounded (a JoinReply carries at most 128/b * 2^b entries plus path nodes
//   and L leaves), and so are all tables, the RTT cache and the dead list.
#pragma once

#include "dht/flat_id_map.hpp"
#include "dht/leafset.hpp"
#include "dht/pastry_types.hpp"
#include "dht/routing_table.hpp"

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

namespace sr::pastry {

struct Config {
    int b = 4;                 // digit size in bits: 1, 2, 4 or 8
    int leaf_set_size = 16;    // |L|, half on each side; even, 2..128
    int neighbourhood_size = 16;  // |M|, 0..128
    std::int64_t heartbeat_us = 1'000'000;        // leaf-set pings and leaf-set exchange
    std::int64_t rt_probe_us = 30'000'000;        // routing-table entry liveness probes
    std::int64_t rt_maintenance_us = 60'000'000;  // periodic row exchange
    std::int64_t min_timeout_us = 200'000;
    std::int64_t max_timeout_us = 5'000'000;
    int max_missed = 3;
    std::int64_t join_timeout_us = 5'000'000;
    // After every seed has failed once more, wait before the next round:
    // join_retry_us, doubling each round up to join_backoff_max_us.
    std::int64_t join_retry_us = 1'000'000;
    std::int64_t join_backoff_max_us = 60'000'000;
};

// ---- messages (all carry the sender in `from`) ------------------------------

// Routed towards joiner.id. `entries` accumulates routing-table rows of the
// nodes on the path (and the nodes themselves); rows below next_row are
// already covered.
struct JoinRequest {
    NodeRef from;
    NodeRef joiner;
    std::uint32_t hops = 0;
    std::uint32_t next_row = 0;
    std::vector<NodeRef> entries;
    bool operator==(const JoinRequest&) const = default;
};
// From the joiner's root, straight to the joiner.
struct JoinReply {
    NodeRef from;
    std::vector<NodeRef> leaves;
    std::vector<NodeRef> entries;
    bool operator==(const JoinReply&) const = default;
};
// A newly joined node introduces itself; answered with a Pong (carrying the
// receiver's leaf set when the newcomer belongs in it).
struct Announce {
    NodeRef from;
    std::uint64_t nonce = 0;
    bool operator==(const Announce&) const = default;
};
struct LeafSetRequest {
    NodeRef from;
    bool operator==(const LeafSetRequest&) const = default;
};
// Answer to LeafSetRequest, and pushed unasked to a node just added to the
// sender's leaf set.
struct LeafSetReply {
    NodeRef from;
    std::vector<NodeRef> leaves;
    bool operator==(const LeafSetReply&) const = default;
};
struct RowRequest {
    NodeRef from;
    std::uint32_t row = 0;
    bool operator==(const RowRequest&) const = default;
};
struct RowReply {
    NodeRef from;
    std::uint32_t row = 0;
    std::vector<NodeRef> entries;
    bool operator==(const RowReply&) const = default;
};
struct Ping {
    NodeRef from;
    std::uint64_t nonce = 0;
    bool want_leaves = false;
    bool operator==(const Ping&) const = default;
};
struct Pong {
    NodeRef from;
    std::uint64_t nonce = 0;            // the Ping's (or Announce's)
    std::vector<NodeRef> leaves;        // when asked, else empty
    bool operator==(const Pong&) const = default;
};
// Graceful leave: receivers drop the sender at once and repair.
struct Departed {
    NodeRef from;
    bool operator==(const Departed&) const = default;
};

using Message = std::variant<JoinRequest, JoinReply, Announce, LeafSetRequest, LeafSetReply, RowRequest,
                             RowReply, Ping, Pong, Departed>;
inline constexpr std::size_t kMessageKinds = std::variant_size_v<Message>;
const char* message_name(std::size_t kind);  // "join_request", ... for counters
inline const NodeRef& sender(const Message& m) {
    return std::visit([](const auto& x) -> const NodeRef& { return x.from; }, m);
}

// ---- effects ------------------------------------------------------------------

struct Send {
    NodeRef to;  // to.id is zero only for a JoinRequest to a seed address
    Message msg;
};
struct Joined {};
// A join attempt through seed failed (no reply within join_timeout, or the
// host could not reach it); the next one goes out in retry_in_us.
struct JoinFailed {
    std::string seed;
    std::uint64_t attempt = 0;  // failures so far
    std::int64_t retry_in_us = 0;
    bool timed_out = false;
};
struct LeafSetChanged {
    std::vector<NodeRef> added, removed;
};
struct PeerDead {
    NodeRef peer;
};
using Effect = std::variant<Send, Joined, JoinFailed, LeafSetChanged, PeerDead>;

// Topological cost between this node and a peer (lower = nearer); nullopt
// when unknown, in which case the measured RTT is used.
class Proximity {
  public:
    virtual ~Proximity() = default;
    virtual std::optional<double> cost(const NodeRef&) = 0;
};

// ---- introspection --------------------------------------------------------------

struct RouteEntry {
    int row = 0;
    int col = 0;
    NodeRef node;
    std::int64_t rtt_us = -1;  // smoothed RTT, -1 when not measured yet
};
struct Neighbour {
    NodeRef node;
    double cost = 0;
};
struct Counters {
    std::array<std::uint64_t, kMessageKinds> msgs_in{}, msgs_out{};
    std::uint64_t ignored = 0;         // invalid, self-claiming, conflicting or unexpected messages
    std::uint64_t peers_dead = 0;      // declared failed
    std::uint64_t peers_departed = 0;  // left gracefully
    std::uint64_t leaf_repairs = 0;    // leaf-set requests sent after a loss
    std::uint64_t rt_repairs = 0;      // row requests sent after a loss
    std::uint64_t probes = 0;          // Pings sent
    std::uint64_t probe_timeouts = 0;
    std::uint64_t joins_forwarded = 0;
    std::uint64_t joins_answered = 0;  // as root
    std::uint64_t join_attempts = 0;   // JoinRequests sent by this node
    std::uint64_t hearsay_dropped = 0; // unknown nodes named in a message beyond its probe budget
    std::uint64_t peers_evicted = 0;   // idle peers forgotten to make room for a leaf-set candidate
};

class Node {
  public:
    // Throws std::invalid_argument for an invalid self or config.
    Node(NodeRef self, Config cfg, std::int64_t now_us);

    // nullptr (the default): proximity is the measured RTT. Not owned.
    void set_proximity(Proximity* p) { proximity_ = p; }

    // Starts joining through the seeds (addresses; their ids are unknown).
    // With no usable seed the node forms a ring alone and is Joined at once.
    std::vector<Effect> bootstrap(const std::vector<std::string>& seed_addrs, std::int64_t now);
    std::vector<Effect> receive(const Message& m, std::int64_t now);
    std::vector<Effect> tick(std::int64_t now);
    // The time tick() wants to be called next; INT64_MAX when idle.
    std::int64_t next_wakeup() const;
    // The host could not connect or send to p (matched by id, or by address
    // when p.id is zero): counts as a missed probe; max_missed in a row kill.
    std::vector<Effect> peer_unreachable(const NodeRef& p, std::int64_t now);
    // Graceful leave: tells leaf set and routing table (Departed); the node
    // is unusable afterwards.
    std::vector<Effect> leave(std::int64_t now);

    std::optional<NodeRef> next_hop(const Id& key) const;
    bool joined() const { return state_ == State::Joined; }
    const NodeRef& self() const { return self_; }
    const Config& config() const { return cfg_; }

    std::vector<NodeRef> leaf_set() const { return leaf_.members(); }
    // The k nodes of the leaf set and self closest to key, closest first;
    // suspected nodes (a probe missed) left out, as next_hop leaves them out.
    std::vector<NodeRef> replica_set(const Id& key, int k) const;
    // Whether key lies within the leaf set's range: only then is
    // replica_set(key) the key's true neighbourhood rather than this node's.
    bool in_leaf_range(const Id& key) const { return leaf_.in_range(key); }

    // Introspection (dht.leafset / dht.routes / sys.stats).
    std::vector<RouteEntry> routing_table() const;
    const std::vector<NodeRef>& leaf_left() const { return leaf_.left(); }    // nearest first
    const std::vector<NodeRef>& leaf_right() const { return leaf_.right(); }  // nearest first
    std::vector<Neighbour> neighbourhood() const;
    const Counters& counters() const { return counters_; }
    std::size_t known_peers() const { return peers_.size(); }
    std::optional<double> rtt_us(const Id& peer) const;

  private:
    enum class State { Idle, Joining, Joined, Left };
    struct Peer {
        NodeRef ref;
        double srtt = 0, rttvar = 0;
        bool has_rtt = false;
        int missed = 0;
        std::uint64_t nonce = 0;  // outstanding probe, 0 = none
        std::int64_t sent = 0;
        std::int64_t last_heard = INT64_MIN / 4;
        bool in_leaf = false, in_rt = false, in_nbr = false;
        Id rt_lost_to;             // the slot holder it lost a contest to (zero: none)
        bool has_role() const { return in_leaf || in_rt || in_nbr; }
    };
    struct Probe {
        std::int64_t at;  // deadline
        Id id;
        std::uint64_t nonce;
    };

    // pastry.cpp: dispatch, join, routing
    std::vector<Effect> finish();
    void send(const NodeRef& to, Message m);
    std::optional<NodeRef> route(const Id& key, const Id* exclude) const;
    bool suspect(const Id& id) const;
    void on_join_request(const JoinRequest& m);
    void on_join_reply(const JoinReply& m, std::int64_t now);
    void send_join_request(std::int64_t now);
    void join_failed(std::int64_t now, bool timed_out);  // JoinFailed; the next seed now or after a back-off
    void start_timers(std::int64_t now);
    void on_pong(const Pong& m, std::int64_t now);
    void add_leaf_delta(const LeafSet::Delta& d);

    // pastry_maintenance.cpp: liveness, tables, repair
    enum class Heard { Ok, Conflict };
    Heard heard_from(const NodeRef& n, std::int64_t now, bool* new_leaf, Peer* known = nullptr);
    void consider_hearsay(const NodeRef& n, std::int64_t now);
    void place(Peer& p, std::int64_t now, bool* new_leaf);
    void try_routing_table(Peer& p, std::int64_t now);
    bool lost_to_holder(const Peer& p) const;
    void update_neighbourhood(Peer& p);
    std::optional<double> cost(const Peer& p) const;
    Peer* find_peer(const Id& id);
    const Peer* find_peer(const Id& id) const;
    Peer* new_peer(const NodeRef& n, std::int64_t now);
    enum class ProbeKind { Ping, PingWantLeaves, Announce };
    void probe(Peer& p, std::int64_t now, ProbeKind kind = ProbeKind::Ping);
    std::int64_t rto(const Peer& p) const;
    void drop_probe(std::uint64_t nonce);
    void rtt_sample(Peer& p, double sample_us, std::int64_t now);
    void on_probe_timeout(Peer& p, std::int64_t now);
    void miss(Peer& p, std::int64_t now);
    void declare_dead(const Id& id, std::int64_t now, bool departed);
    void repair_leaf(LeafSet::Side s);
    void repair_row(int row);
    void heartbeat(std::int64_t now);
    void probe_routing_table(std::int64_t now);
    void maintain_routing_table();
    void collect_garbage(std::int64_t now);
    std::uint64_t random();

    NodeRef self_;
    Config cfg_;
    State state_ = State::Idle;
    Proximity* proximity_ = nullptr;
    LeafSet leaf_;
    RoutingTable rt_;
    std::vector<Neighbour> nbr_;  // ascending cost
    FlatIdMap<Peer> peers_;
    std::unordered_map<Id, std::int64_t, IdHash> dead_;
    std::vector<Probe> probes_;
    std::size_t peer_cap_;

    std::vector<std::string> seeds_;
    std::size_t seed_idx_ = 0;
    std::int64_t join_deadline_ = INT64_MAX;  // the reply is late, or (join_waiting_) the next attempt is due
    bool join_waiting_ = false;
    std::uint64_t join_failures_ = 0;
    std::int64_t next_heartbeat_ = INT64_MAX;
    std::int64_t next_rt_probe_ = INT64_MAX;
    std::int64_t next_maintenance_ = INT64_MAX;
    std::int64_t maintenance_period_ = 0;
    std::int64_t next_gc_ = INT64_MAX;
    std::size_t exchange_idx_ = 0;
    std::uint64_t next_nonce_ = 1;
    std::size_t hearsay_budget_ = 0;  // probes of unknown nodes the message being received may still start
    std::uint64_t rng_;
    bool installing_ = false;    // placing join state: no contest probes yet
    // (slot holder, contender): contests waiting for the holder's first cost
    std::vector<std::pair<Id, Id>> contenders_;
    std::int64_t gc_period() const { return std::max(10 * cfg_.heartbeat_us, cfg_.rt_maintenance_us / 2); }

    // Effects of the call in progress.
    std::vector<Effect> out_;
    std::vector<std::pair<NodeRef, bool>> leaf_touch_;  // (node, first change was an add)
    Counters counters_;
};

}  // namespace sr::pastry
