// The provider's topology as sr-proxd sees it (DESIGN §7): a graph of routers
// (or PoPs) joined by bidirectional links with IGP metrics, each router with
// its own addresses (BGP next hops resolve to the router owning them) and the
// prefixes attached to it (endpoints map to routers by longest-prefix match).
//
// A Topology is a plain value, built by the parsers (topology_file.hpp,
// graphml.hpp) or by hand. Routers are numbered densely from 0 in insertion
// order (RouterId), so per-router data elsewhere (SPF trees, LPM values) are
// flat vectors. Adjacency is a vector per router; parallel links collapse to
// the smallest metric (what a link-state IGP would use). Every mutation stamps
// the value with a fresh, process-wide unique version, so a cache keyed by
// version (spf.hpp) notices both edits and a wholesale replacement (a reload).
//
// Misuse (unknown id, duplicate name, zero metric) throws
// std::invalid_argument; the parsers check first and report file and line.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "prox/address.hpp"

namespace sr::prox {

using RouterId = std::uint32_t;

struct Link {
    RouterId to;
    std::uint32_t metric;  // >= 1
};

class Topology {
public:
    Topology();

    // Adds a router; throws on an empty or duplicate name.
    RouterId add_router(std::string name);
    // Adds (or lowers the metric of) the link a<->b. a != b, metric >= 1.
    void add_link(RouterId a, RouterId b, std::uint32_t metric);
    // One direction only, as a link-state IGP has it (each router states
    // its own cost onto the link: a->b may differ from b->a); lowers a
    // smaller existing metric likewise. link_count() counts a pair once.
    void add_arc(RouterId a, RouterId b, std::uint32_t metric);
    // The router owns this address (a BGP next hop, a loopback). An address
    // owned by another router throws.
    void add_address(RouterId r, const Address& a);
    // Attaches a prefix to a router. Attaching the same prefix to another
    // router throws; to the same router again is a no-op.
    void add_prefix(const Prefix& p, RouterId r);

    std::size_t size() const { return names_.size(); }
    const std::string& name(RouterId r) const { return names_.at(r); }
    std::optional<RouterId> find(std::string_view name) const;
    std::span<const Link> links(RouterId r) const { return adj_.at(r); }
    std::size_t link_count() const { return link_count_; }  // undirected links
    const std::vector<std::pair<Address, RouterId>>& addresses() const { return addresses_; }
    const std::vector<std::pair<Prefix, RouterId>>& prefixes() const { return prefixes_; }
    // The router owning exactly this address.
    std::optional<RouterId> router_of(const Address& a) const;
    // Unique per distinct state across the process; 0 is never used.
    std::uint64_t version() const { return version_; }

private:
    void touch();

    std::vector<std::string> names_;
    std::unordered_map<std::string, RouterId> by_name_;
    std::vector<std::vector<Link>> adj_;
    std::size_t link_count_ = 0;
    std::vector<std::pair<Address, RouterId>> addresses_;
    std::unordered_map<Address, RouterId, AddressHash> by_address_;
    std::vector<std::pair<Prefix, RouterId>> prefixes_;
    std::unordered_map<std::string, RouterId> by_prefix_;  // key: Prefix::str()
    std::uint64_t version_;
};

}  // namespace sr::prox
