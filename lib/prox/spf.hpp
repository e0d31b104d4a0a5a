// Shortest paths over a Topology (topology.hpp): IGP cost between routers.
//
// Graph is a compressed-sparse-row snapshot of the adjacency (one offsets
// array, one arc array), built once per topology version, so Dijkstra walks
// contiguous memory. spf() is Dijkstra from one router over the whole graph
// with a binary heap and lazy deletion (stale entries skipped on pop): the
// heap holds at most one entry per relaxation, O((V+E) log V); on 10,000
// routers and 30,000 links a full tree takes well under the 5 ms budget (see
// tests/bench/prox_micro.cpp). Distances are 64-bit sums of 32-bit metrics;
// kUnreachable marks routers in another component.
//
// SpfCache keeps whole trees per source router, because cost queries come
// many per source (rank one client against many candidates). It remembers
// the Topology's version: when the topology it is handed differs, the graph
// is rebuilt and every tree dropped. At most `capacity` trees are kept; the
// oldest computed goes first. Not thread-safe (one per worker).
#pragma once

#include <cstdint>
#include <deque>
#include <limits>
#include <memory>
#include <span>
#include <unordered_map>
#include <vector>

#include "prox/topology.hpp"

namespace sr::prox {

inline constexpr std::uint64_t kUnreachable = std::numeric_limits<std::uint64_t>::max();

class Graph {
public:
    Graph() = default;
    explicit Graph(const Topology& t);
    std::size_t size() const { return offsets_.empty() ? 0 : offsets_.size() - 1; }
    std::span<const Link> arcs(RouterId r) const {
        return {arcs_.data() + offsets_[r], arcs_.data() + offsets_[r + 1]};
    }
    std::uint64_t version() const { return version_; }

private:
    std::vector<std::uint32_t> offsets_;
    std::vector<Link> arcs_;
    std::uint64_t version_ = 0;
};

// Distance from source to every router (kUnreachable where none).
std::vector<std::uint64_t> spf(const Graph& g, RouterId source);
// Same, reusing out's storage.
void spf(const Graph& g, RouterId source, std::vector<std::uint64_t>& out);

class SpfCache {
public:
    explicit SpfCache(std::size_t capacity = 1024) : capacity_(capacity ? capacity : 1) {}

    // The tree from source over t; recomputed or reset as needed. The span
    // stays valid until the next call.
    std::span<const std::uint64_t> tree(const Topology& t, RouterId source);
    // Cost between two routers (kUnreachable if disconnected).
    std::uint64_t cost(const Topology& t, RouterId a, RouterId b) { return tree(t, a)[b]; }

    std::size_t cached() const { return trees_.size(); }
    std::uint64_t computed() const { return computed_; }  // trees computed so far

private:
    void sync(const Topology& t);

    std::size_t capacity_;
    Graph graph_;
    std::unordered_map<RouterId, std::vector<std::uint64_t>> trees_;
    std::deque<RouterId> order_;
    std::uint64_t computed_ = 0;
};

}  // namespace sr::prox
