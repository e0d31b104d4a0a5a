// The proximity cost model (DESIGN §7): which of these addresses is nearest
// to this one, from the provider's topology.
//
// Placement: an address is placed by ONE longest-prefix match (lpm.hpp) over
//  - internal prefixes: those attached to routers and every router's own
//    addresses (as host prefixes) -> that router;
//  - external routes (from BGP or an MRT dump): prefix -> (egress router,
//    AS-path length). A route's next hop resolves to its egress router by
//    the router owning that address, else by the internal prefix holding it
//    (an interface subnet); routes whose next hop resolves nowhere are
//    dropped and counted. Several routes for one prefix: the shortest AS
//    path wins, ties the first given (the BGP core normally feeds best
//    paths only).
// The longest match wins across both kinds, as in a router's FIB; at equal
// length the internal prefix wins. LPM values are router ids for internal
// matches and, past them, indexes of distinct (egress, AS hops) classes, so
// the table stays small whatever the number of routes.
//
// cost(from, to) = IGP shortest-path cost between the two placements'
// routers + as_hop_penalty x (AS hops of from + AS hops of to). An internal
// address has 0 AS hops, so internal-to-internal is the pure IGP cost and a
// destination outside the domain costs the path to its egress plus the
// per-hop penalty; the formula is symmetric. nullopt when either address
// cannot be placed or the routers are in different components. Sums
// saturate at UINT64_MAX - 1 rather than wrap.
//
// Trees come from an SpfCache keyed by source router, so rank() computes at
// most one tree per query. A CostModel is immutable apart from that cache:
// one per worker thread, rebuilt and swapped when the topology or the route
// set changes (the build is a full LPM rebuild: see lpm.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "prox/lpm.hpp"
#include "prox/spf.hpp"
#include "prox/topology.hpp"

namespace sr::prox {

struct ExternalRoute {
    Prefix prefix;
    Address next_hop;
    std::uint32_t as_path_length = 0;
};

struct CostOptions {
    std::uint64_t as_hop_penalty = 1000;  // IGP metric units per AS-path hop
    std::size_t spf_cache = 1024;         // SPF trees kept (one per source router)
};

struct Placement {
    RouterId router = 0;          // the router, or the egress for an external route
    bool external = false;
    std::uint32_t as_hops = 0;    // AS-path length for an external route, else 0
    auto operator<=>(const Placement&) const = default;
};

struct Ranked {
    std::size_t index;                  // into the candidates given
    std::optional<std::uint64_t> cost;  // nullopt: unplaceable or unreachable
};

class CostModel {
public:
    explicit CostModel(Topology topology, std::span<const ExternalRoute> routes = {}, CostOptions options = {});

    const Topology& topology() const { return topology_; }
    const CostOptions& options() const { return options_; }

    std::optional<Placement> place(const Address& a) const;
    std::optional<std::uint64_t> cost(const Address& from, const Address& to);
    // Candidates by cost ascending; ties keep input order; unplaceable and
    // unreachable candidates last, in input order.
    std::vector<Ranked> rank(const Address& from, std::span<const Address> candidates);
    // The PID of an address: its router's name, or "ext:EGRESS:HOPS" for an
    // address placed by an external route; nullopt if unplaceable.
    std::optional<std::string> pid(const Address& a) const;

    std::size_t external_routes() const { return external_routes_; }      // prefixes kept
    std::size_t unresolved_routes() const { return unresolved_routes_; }  // routes dropped: next hop not in the domain
    std::size_t external_classes() const { return classes_.size(); }
    std::size_t memory_bytes() const { return lpm_.memory_bytes(); }

private:
    std::uint64_t total(std::uint64_t igp, const Placement& a, const Placement& b) const;

    Topology topology_;
    CostOptions options_;
    Lpm lpm_;
    std::vector<std::pair<RouterId, std::uint32_t>> classes_;  // (egress, AS hops)
    SpfCache spf_;
    std::size_t external_routes_ = 0, unresolved_routes_ = 0;
};

}  // namespace sr::prox
