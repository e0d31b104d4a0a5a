// The simulated network shared by sr-sim's PNS mode (pns_sim.cpp) and
// sr-scribe-sim (scribe_sim.cpp): overlay nodes on the routers of a router
// topology, one-way latency from all-pairs shortest paths, and the cost
// model sr-proxd would serve sr-dhtd for proximity neighbour selection.
//
// The routers: a Topology Zoo GraphML file (lib/prox graphml.hpp; link
// metric = great-circle km, or 1 between routers without coordinates), or
// a generated graph (--random-graph R: R routers at random positions over a
// Europe-sized area, each linked to the nearest earlier one and to its two
// nearest overall; written out with --write-graphml). Only the largest
// connected component is used. Overlay node i sits on one router (round
// robin over a seeded shuffle of the routers, or uniformly at random with
// --placement random) and has address 10.A.B.C = 10.0.0.0 + i. One-way
// latency between two nodes is
//     access_us + km_us * SPF km + hop_us * router hops on that path
// (defaults 1000 us, 5 us/km, 100 us), computed once for all router pairs
// with lib/prox spf.hpp, along with each path's links (for link stress).
#pragma once

#include "dht/pastry.hpp"
#include "prox/cost.hpp"
#include "prox/topology.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

namespace sr::sim {

struct NetworkOptions {
    std::string graphml;
    int random_graph = 0;
    std::string write_graphml;
    int nodes = 1000;
    std::uint64_t seed = 1;
    bool random_placement = false;
    double access_us = 1000, km_us = 5, hop_us = 100;

    // Takes option `a` if it is one of the above but --nodes and --seed
    // (which each program documents itself): val() gives its argument, num()
    // parses a number, and bad() is called for a bad value.
    bool take(const std::string& a, const std::function<std::string()>& val,
              const std::function<double(const std::string&)>& num, const std::function<void()>& bad);
    // Whether the options are consistent: one graph source, sane latencies.
    bool valid() const;
    static constexpr const char* kUsage =
        "{--graphml FILE | --random-graph R [--write-graphml FILE]}\n"
        "              [--placement rr|random] [--access-us US] [--km-us US] [--hop-us US]";
};

struct Network {
    std::string name;
    prox::Topology topo;
    std::size_t routers_total = 0, links_total = 0;
    std::vector<prox::RouterId> used;     // the largest component
    std::vector<std::uint64_t> km;        // used x used SPF metric (km)
    std::vector<std::uint32_t> hops;      // used x used router hops on that shortest path
    std::vector<std::int32_t> pred;       // used x used: the router before b on a's path to b (-1: b == a)
    std::vector<std::int32_t> link_of;    // used x used: the link between adjacent routers, else -1
    std::size_t links = 0;                // links inside the largest component (link_of's range)
    std::vector<int> at;                  // node -> index into used
    std::vector<std::int64_t> lat_cache;  // used x used one-way latency (us)
    std::unique_ptr<prox::CostModel> cost;  // the topology with every node's address as a host prefix

    std::int64_t latency(int a, int b) const {
        return lat_cache[static_cast<std::size_t>(at[a]) * used.size() + static_cast<std::size_t>(at[b])];
    }
    // Calls f(link) for each router link on the path a message from node a
    // to node b takes (none when both sit on the same router).
    template <typename F>
    void for_each_link(int a, int b, F&& f) const {
        const std::size_t u = used.size(), ra = static_cast<std::size_t>(at[a]);
        for (auto x = static_cast<std::size_t>(at[b]); x != ra;) {
            auto p = static_cast<std::size_t>(pred[ra * u + x]);
            f(static_cast<std::size_t>(link_of[p * u + x]));
            x = p;
        }
    }
    // The summary line's fields: graph, routers, links, mean km and hops.
    std::string describe() const;
};

Network build_network(const NetworkOptions& o);
std::string random_graphml(int routers, std::uint64_t seed);

// Node i's address, 10.0.0.0 + i, and back (-1 when not one of n nodes).
std::string addr_of(int i);
int index_of(const std::string& a, int n);

std::uint64_t splitmix(std::uint64_t x);
double unit(std::mt19937_64& rng);
double wall_s();

// How a node picks among candidates for a routing-table slot.
enum class Policy { Topology, Rtt, Random };
const char* policy_name(Policy p);
std::optional<Policy> policy_from(const std::string& s);
// Node i's Proximity under policy p: null for rtt (the core's measured RTT).
std::unique_ptr<pastry::Proximity> make_proximity(Policy p, const Network& net, int i, const Id& id,
                                                  std::uint64_t seed);

// PNS on the topology: the IGP cost between two nodes' addresses that a
// prox::CostModel gives (what sr-proxd gives sr-dhtd): the SPF km between
// their routers, 0 on the same router.
class TopologyCost final : public pastry::Proximity {
  public:
    TopologyCost(prox::CostModel& m, int self, int n);
    std::optional<double> cost(const pastry::NodeRef& peer) override;

  private:
    prox::CostModel& m_;
    prox::Address self_;
    int n_;
};

// The baseline without PNS: a pseudo-random cost per unordered pair (a hash
// of the two ids and the seed), consistent, symmetric, blind to locality.
class RandomCost final : public pastry::Proximity {
  public:
    RandomCost(Id self, std::uint64_t seed) : self_(self), seed_(seed) {}
    std::optional<double> cost(const pastry::NodeRef& peer) override;

  private:
    Id self_;
    std::uint64_t seed_;
};

}  // namespace sr::sim
