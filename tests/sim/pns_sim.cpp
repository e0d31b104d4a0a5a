// sr-sim --graphml FILE | --random-graph R: proximity neighbour selection
// (PNS) on a router-level topology, the policies side by side in one run.
//
// The network: the routers of a Topology Zoo GraphML file (lib/prox
// graphml.hpp; link metric = great-circle km, or 1 between routers without
// coordinates), or of a generated graph (--random-graph R: R routers at
// random positions over a Europe-sized area, each linked to the nearest
// earlier one and to its two nearest overall; written out with
// --write-graphml). Only the largest connected component is used. Overlay
// node i sits on one router (round robin over a seeded shuffle of the
// routers, or uniformly at random with --placement random) and has address
// 10.A.B.C = 10.0.0.0 + i. One-way latency between two nodes is
//     access_us + km_us * SPF km + hop_us * router hops on that path
// (defaults 1000 us, 5 us/km, 100 us), from all-pairs shortest paths
// computed once with lib/prox spf.hpp.
//
// The policies, each a separate simulation over the same routers, ids,
// placement, join order and routed keys:
//   topology  Node::set_proximity with a Proximity that asks a
//             prox::CostModel (what sr-proxd serves sr-dhtd) for the IGP cost
//             between the two nodes' addresses: each node's address is a
//             host prefix attached to its router, so the cost is the SPF km
//             between the routers (0 on the same router), without the access
//             and per-hop delays of the latency model.
//   rtt       no Proximity: the core's smoothed RTT from its own probes.
//   random    a Proximity returning a pseudo-random cost per unordered pair
//             (a hash of the two ids and the seed): consistent, symmetric,
//             and blind to locality; the baseline without PNS.
//
// Each run: nodes join one by one (--join-gap-ms apart, each through the
// lowest-latency node already joined), then --settle-s of simulated time so
// the periodic routing-table maintenance can improve the tables, then --keys
// random keys are routed from random nodes hop by hop with next_hop. Per
// route: hops, and stretch = sum of the hop latencies / latency from the
// source straight to the root (routes ending at their source are not
// counted). The table gives mean and median stretch, the ratio of summed
// path latency to summed direct latency, and mean hops.
//
// --check: exit 1 unless every node joined and every route ended at the
// right root under every policy, and the mean stretch of policy A is lower
// than that of policy B for --expect-lower A,B (default topology,random when
// both ran).
#include "pns_sim.hpp"

#include "dht/pastry.hpp"
#include "prox/cost.hpp"
#include "prox/graphml.hpp"
#include "prox/spf.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <queue>
#include <random>
#include <set>
#include <span>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace sr::sim {

namespace {

using namespace sr::pastry;
namespace px = sr::prox;

enum class Policy { Topology, Rtt, Random };

const char* policy_name(Policy p) {
    switch (p) {
        case Policy::Topology: return "topology";
        case Policy::Rtt: return "rtt";
        case Policy::Random: return "random";
    }
    return "?";
}

std::optional<Policy> policy_from(const std::string& s) {
    if (s == "topology") return Policy::Topology;
    if (s == "rtt") return Policy::Rtt;
    if (s == "random") return Policy::Random;
    return std::nullopt;
}

struct Options {
    std::string graphml;
    int random_graph = 0;
    std::string write_graphml;
    int nodes = 1000;
    int keys = 10000;
    std::uint64_t seed = 1;
    std::vector<Policy> policies{Policy::Topology, Policy::Rtt, Policy::Random};
    bool random_placement = false;
    double access_us = 1000, km_us = 5, hop_us = 100;
    double join_gap_ms = 5, settle_s = 120;
    bool check = false;
    std::optional<std::pair<Policy, Policy>> expect_lower;
    bool verbose = false;
};

[[noreturn]] void usage(int code) {
    std::fprintf(code ? stderr : stdout,
                 "usage: sr-sim {--graphml FILE | --random-graph R [--write-graphml FILE]}\n"
                 "              [--nodes N] [--keys K] [--seed S] [--pns all|topology,rtt,random]\n"
                 "              [--placement rr|random] [--access-us US] [--km-us US] [--hop-us US]\n"
                 "              [--join-gap-ms MS] [--settle-s S] [--check] [--expect-lower A,B] [-v]\n");
    std::exit(code);
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string part;
    while (std::getline(ss, part, ',')) out.push_back(part);
    return out;
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) usage(64);
            return argv[++i];
        };
        auto num = [&](const std::string& s) {
            char* end = nullptr;
            double d = std::strtod(s.c_str(), &end);
            if (s.empty() || *end || !std::isfinite(d)) usage(64);
            return d;
        };
        if (a == "--graphml") o.graphml = val();
        else if (a == "--random-graph") o.random_graph = static_cast<int>(num(val()));
        else if (a == "--write-graphml") o.write_graphml = val();
        else if (a == "--nodes") o.nodes = static_cast<int>(num(val()));
        else if (a == "--keys") o.keys = static_cast<int>(num(val()));
        else if (a == "--seed") o.seed = static_cast<std::uint64_t>(num(val()));
        else if (a == "--pns") {
            std::string v = val();
            o.policies.clear();
            if (v == "all") o.policies = {Policy::Topology, Policy::Rtt, Policy::Random};
            else
                for (const auto& p : split(v)) {
                    auto pol = policy_from(p);
                    if (!pol) usage(64);
                    if (std::find(o.policies.begin(), o.policies.end(), *pol) == o.policies.end())
                        o.policies.push_back(*pol);
                }
        } else if (a == "--placement") {
            std::string v = val();
            if (v == "rr") o.random_placement = false;
            else if (v == "random") o.random_placement = true;
            else usage(64);
        } else if (a == "--access-us") o.access_us = num(val());
        else if (a == "--km-us") o.km_us = num(val());
        else if (a == "--hop-us") o.hop_us = num(val());
        else if (a == "--join-gap-ms") o.join_gap_ms = num(val());
        else if (a == "--settle-s") o.settle_s = num(val());
        else if (a == "--check") o.check = true;
        else if (a == "--expect-lower") {
            auto parts = split(val());
            if (parts.size() != 2) usage(64);
            auto x = policy_from(parts[0]), y = policy_from(parts[1]);
            if (!x || !y || *x == *y) usage(64);
            o.expect_lower = std::make_pair(*x, *y);
        } else if (a == "-v" || a == "--verbose") o.verbose = true;
        else if (a == "-h" || a == "--help") usage(0);
        else usage(64);
    }
    bool has_graph = !o.graphml.empty() || o.random_graph > 0;
    if (!has_graph || (!o.graphml.empty() && o.random_graph > 0) || o.random_graph < 0 ||
        o.random_graph > 100000 || o.nodes < 2 || o.nodes > (1 << 24) || o.keys < 1 || o.policies.empty() ||
        o.access_us < 1 || o.km_us < 0 || o.hop_us < 0 || o.join_gap_ms < 0 || o.settle_s < 0 ||
        (!o.write_graphml.empty() && o.random_graph == 0))
        usage(64);
    if (o.expect_lower) {
        auto ran = [&](Policy p) { return std::find(o.policies.begin(), o.policies.end(), p) != o.policies.end(); };
        if (!ran(o.expect_lower->first) || !ran(o.expect_lower->second)) usage(64);
    }
    return o;
}

double wall_s() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

double unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1p-53; }

// ---- the generated graph ---------------------------------------------------------

std::string random_graphml(int routers, std::uint64_t seed) {
    std::mt19937_64 rng(splitmix(seed ^ 0x67726170686d6cULL));
    std::vector<double> lat(routers), lon(routers);
    for (int i = 0; i < routers; ++i) {
        lat[i] = 36 + 24 * unit(rng);   // 36..60 N
        lon[i] = -10 + 40 * unit(rng);  // 10 W..30 E
    }
    auto d = [&](int a, int b) { return px::great_circle_km(lat[a], lon[a], lat[b], lon[b]); };
    std::set<std::pair<int, int>> edges;
    auto link = [&](int a, int b) { edges.emplace(std::min(a, b), std::max(a, b)); };
    for (int i = 1; i < routers; ++i) {  // a spanning tree: each to the nearest earlier router
        int best = 0;
        for (int j = 1; j < i; ++j)
            if (d(i, j) < d(i, best)) best = j;
        link(i, best);
    }
    for (int i = 0; i < routers; ++i) {  // and to its two nearest overall
        std::vector<std::pair<double, int>> near;
        for (int j = 0; j < routers; ++j)
            if (j != i) near.emplace_back(d(i, j), j);
        auto k = std::min<std::size_t>(2, near.size());
        std::partial_sort(near.begin(), near.begin() + static_cast<std::ptrdiff_t>(k), near.end());
        for (std::size_t m = 0; m < k; ++m) link(i, near[m].second);
    }
    std::string x =
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
        "<graphml xmlns=\"http://graphml.graphdrawing.org/xmlns\">\n"
        "  <key attr.name=\"Latitude\" attr.type=\"double\" for=\"node\" id=\"d0\"/>\n"
        "  <key attr.name=\"Longitude\" attr.type=\"double\" for=\"node\" id=\"d1\"/>\n"
        "  <key attr.name=\"label\" attr.type=\"string\" for=\"node\" id=\"d2\"/>\n"
        "  <graph edgedefault=\"undirected\">\n";
    char buf[256];
    for (int i = 0; i < routers; ++i) {
        std::snprintf(buf, sizeof buf,
                      "    <node id=\"%d\"><data key=\"d0\">%.5f</data><data key=\"d1\">%.5f</data>"
                      "<data key=\"d2\">r%d</data></node>\n",
                      i, lat[i], lon[i], i);
        x += buf;
    }
    for (auto [a, b] : edges) {
        std::snprintf(buf, sizeof buf, "    <edge source=\"%d\" target=\"%d\"/>\n", a, b);
        x += buf;
    }
    x += "  </graph>\n</graphml>\n";
    return x;
}

// ---- the network ---------------------------------------------------------------------

std::string addr_of(int i) {
    return "10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." +
           std::to_string(i & 255);
}

struct Network {
    std::string name;
    px::Topology topo;
    std::size_t routers_total = 0, links_total = 0;
    std::vector<px::RouterId> used;   // the largest component
    std::vector<std::uint64_t> km;    // used x used SPF metric (km)
    std::vector<std::uint32_t> hops;  // used x used router hops on that shortest path
    std::vector<int> at;              // node -> index into used
    std::vector<std::int64_t> lat_cache;  // used x used one-way latency (us)
    std::unique_ptr<px::CostModel> cost;  // the topology with every node's address as a host prefix

    std::int64_t latency(int a, int b) const {
        return lat_cache[static_cast<std::size_t>(at[a]) * used.size() + static_cast<std::size_t>(at[b])];
    }
};

Network build_network(const Options& o) {
    Network net;
    if (o.random_graph > 0) {
        std::string xml = random_graphml(o.random_graph, o.seed);
        if (!o.write_graphml.empty()) {
            std::ofstream f(o.write_graphml, std::ios::binary);
            f << xml;
            if (!f) throw std::runtime_error("cannot write " + o.write_graphml);
        }
        net.name = "random-" + std::to_string(o.random_graph);
        net.topo = px::parse_graphml(xml, net.name);
    } else {
        net.topo = px::load_graphml(o.graphml);
        net.name = o.graphml.substr(o.graphml.find_last_of('/') + 1);
        if (auto dot = net.name.rfind(".graphml"); dot != std::string::npos) net.name.resize(dot);
    }
    net.routers_total = net.topo.size();
    net.links_total = net.topo.link_count();
    if (net.routers_total == 0) throw std::runtime_error(net.name + ": no routers");
    px::Graph g(net.topo);

    // Largest connected component.
    const std::size_t r = g.size();
    std::vector<int> comp(r, -1);
    int best = -1;
    std::size_t best_size = 0;
    for (std::size_t s = 0, c = 0; s < r; ++s) {
        if (comp[s] >= 0) continue;
        std::vector<px::RouterId> stack{static_cast<px::RouterId>(s)};
        comp[s] = static_cast<int>(c);
        std::size_t size = 0;
        while (!stack.empty()) {
            auto v = stack.back();
            stack.pop_back();
            ++size;
            for (const auto& l : g.arcs(v))
                if (comp[l.to] < 0) {
                    comp[l.to] = static_cast<int>(c);
                    stack.push_back(l.to);
                }
        }
        if (size > best_size) {
            best_size = size;
            best = static_cast<int>(c);
        }
        ++c;
    }
    for (std::size_t v = 0; v < r; ++v)
        if (comp[v] == best) net.used.push_back(static_cast<px::RouterId>(v));

    // All pairs: SPF metric, and router hops along a shortest path (fewest
    // among equal-cost ones): relax in order of distance (metrics are >= 1).
    const std::size_t u = net.used.size();
    net.km.assign(u * u, 0);
    net.hops.assign(u * u, 0);
    net.lat_cache.assign(u * u, 0);
    std::vector<std::uint64_t> dist;
    std::vector<std::uint32_t> h(r);
    std::vector<px::RouterId> order;
    for (std::size_t a = 0; a < u; ++a) {
        px::spf(g, net.used[a], dist);
        order.assign(net.used.begin(), net.used.end());
        std::sort(order.begin(), order.end(), [&](auto x, auto y) { return dist[x] < dist[y]; });
        std::fill(h.begin(), h.end(), UINT32_MAX);
        h[net.used[a]] = 0;
        for (auto v : order)
            for (const auto& l : g.arcs(v))
                if (dist[v] + l.metric == dist[l.to]) h[l.to] = std::min(h[l.to], h[v] + 1);
        for (std::size_t b = 0; b < u; ++b) {
            auto rb = net.used[b];
            std::size_t k = a * u + b;
            net.km[k] = dist[rb];
            net.hops[k] = h[rb];
            net.lat_cache[k] = static_cast<std::int64_t>(
                std::llround(o.access_us + o.km_us * static_cast<double>(dist[rb]) + o.hop_us * h[rb]));
        }
    }

    // Placement.
    std::mt19937_64 rng(splitmix(o.seed ^ 0x706c616365ULL));
    std::vector<int> perm(u);
    for (std::size_t i = 0; i < u; ++i) perm[i] = static_cast<int>(i);
    std::shuffle(perm.begin(), perm.end(), rng);
    net.at.resize(static_cast<std::size_t>(o.nodes));
    for (int i = 0; i < o.nodes; ++i)
        net.at[static_cast<std::size_t>(i)] =
            o.random_placement ? static_cast<int>(rng() % u) : perm[static_cast<std::size_t>(i) % u];

    // The cost model sr-proxd would build: each node's address attached to
    // its router as a host prefix.
    px::Topology t = net.topo;
    for (int i = 0; i < o.nodes; ++i)
        t.add_prefix(px::Prefix(px::Address::v4(0x0A000000u + static_cast<std::uint32_t>(i)), 32),
                     net.used[static_cast<std::size_t>(net.at[static_cast<std::size_t>(i)])]);
    px::CostOptions co;
    co.spf_cache = r;
    net.cost = std::make_unique<px::CostModel>(std::move(t), std::span<const px::ExternalRoute>{}, co);
    return net;
}

int index_of(const std::string& a, int n) {
    if (a.size() < 8 || a.compare(0, 3, "10.") != 0) return -1;
    int parts[3] = {0, 0, 0}, k = 0;
    for (std::size_t i = 3; i < a.size(); ++i) {
        char c = a[i];
        if (c >= '0' && c <= '9') parts[k] = parts[k] * 10 + (c - '0');
        else if (c == '.' && k < 2) ++k;
        else return -1;
    }
    if (k != 2) return -1;
    int idx = (parts[0] << 16) | (parts[1] << 8) | parts[2];
    return idx < n ? idx : -1;
}

// ---- the policies ----------------------------------------------------------------

class TopologyCost final : public Proximity {
  public:
    TopologyCost(px::CostModel& m, int self, int n) : m_(m), self_(addr(self)), n_(n) {}
    std::optional<double> cost(const NodeRef& peer) override {
        int j = index_of(peer.addr, n_);
        if (j < 0) return std::nullopt;
        auto c = m_.cost(self_, addr(j));
        if (!c) return std::nullopt;
        return static_cast<double>(*c);
    }

  private:
    static px::Address addr(int i) { return px::Address::v4(0x0A000000u + static_cast<std::uint32_t>(i)); }
    px::CostModel& m_;
    px::Address self_;
    int n_;
};

class RandomCost final : public Proximity {
  public:
    RandomCost(Id self, std::uint64_t seed) : self_(self), seed_(seed) {}
    std::optional<double> cost(const NodeRef& peer) override {
        const Id& a = std::min(self_, peer.id);
        const Id& b = std::max(self_, peer.id);
        std::uint64_t x = splitmix(seed_ ^ a.hi);
        x = splitmix(x ^ a.lo);
        x = splitmix(x ^ b.hi);
        x = splitmix(x ^ b.lo);
        return static_cast<double>(x >> 44);  // 0 .. 2^20 - 1
    }

  private:
    Id self_;
    std::uint64_t seed_;
};

// ---- one simulation ----------------------------------------------------------------

struct Result {
    Policy policy{};
    int joined = 0, routes = 0, correct = 0, failed = 0, max_hops = 0;
    long total_hops = 0;
    std::vector<double> stretch;
    double path_sum = 0, direct_sum = 0;
    double rt_entries = 0, rt_entry_latency_ms = 0;
    std::uint64_t sent = 0;
    double sim_s = 0, wall = 0;
    double mean_hops() const { return routes ? static_cast<double>(total_hops) / routes : 0; }
    double mean_stretch() const {
        double s = 0;
        for (double x : stretch) s += x;
        return stretch.empty() ? 0 : s / static_cast<double>(stretch.size());
    }
    double median_stretch() const {
        if (stretch.empty()) return 0;
        auto v = stretch;
        auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
        std::nth_element(v.begin(), mid, v.end());
        return *mid;
    }
};

class Run {
  public:
    Run(const Options& o, Network& net, const std::vector<Id>& ids, Policy p)
        : opt_(o), net_(net), ids_(ids), policy_(p) {}
    Result go();

  private:
    enum Kind : std::uint8_t { kDeliver, kTick };
    struct Ev {
        std::int64_t t;
        std::uint64_t seq;
        std::int32_t node;
        std::int32_t payload;
        Kind kind;
    };
    struct Later {
        bool operator()(const Ev& a, const Ev& b) const { return a.t != b.t ? a.t > b.t : a.seq > b.seq; }
    };
    struct SimNode {
        std::unique_ptr<Node> core;
        std::unique_ptr<Proximity> prox;
        NodeRef ref;
        bool joined = false;
        std::int64_t scheduled = INT64_MAX;
    };

    void push(std::int64_t t, Kind k, int node, int payload) { q_.push(Ev{t, seq_++, node, payload, k}); }
    int store(Message&& m) {
        if (!free_.empty()) {
            int s = free_.back();
            free_.pop_back();
            slab_[static_cast<std::size_t>(s)] = std::move(m);
            return s;
        }
        slab_.push_back(std::move(m));
        return static_cast<int>(slab_.size() - 1);
    }
    void apply(int i, std::vector<Effect>&& effs);
    void run_until(std::int64_t t);
    void start_node(int i);
    void route(Result& r);

    const Options& opt_;
    Network& net_;
    const std::vector<Id>& ids_;
    Policy policy_;
    std::vector<SimNode> nodes_;
    std::priority_queue<Ev, std::vector<Ev>, Later> q_;
    std::vector<Message> slab_;
    std::vector<int> free_;
    std::uint64_t seq_ = 0, sent_ = 0;
    std::int64_t now_ = 0;
    int joined_ = 0;
};

void Run::apply(int i, std::vector<Effect>&& effs) {
    for (auto& e : effs) {
        if (auto* s = std::get_if<Send>(&e)) {
            ++sent_;
            int d = index_of(s->to.addr, static_cast<int>(nodes_.size()));
            if (d < 0 || !nodes_[static_cast<std::size_t>(d)].core) continue;  // lost
            push(now_ + net_.latency(i, d), kDeliver, d, store(std::move(s->msg)));
        } else if (std::holds_alternative<Joined>(e)) {
            auto& n = nodes_[static_cast<std::size_t>(i)];
            if (!n.joined) ++joined_;
            n.joined = true;
        }
    }
    auto& n = nodes_[static_cast<std::size_t>(i)];
    std::int64_t w = n.core->next_wakeup();
    if (w < n.scheduled) {
        n.scheduled = w;
        push(std::max(w, now_), kTick, i, 0);
    }
}

void Run::run_until(std::int64_t t) {
    while (!q_.empty() && q_.top().t <= t) {
        Ev ev = q_.top();
        q_.pop();
        now_ = std::max(now_, ev.t);
        auto& n = nodes_[static_cast<std::size_t>(ev.node)];
        if (ev.kind == kDeliver) {
            Message m = std::move(slab_[static_cast<std::size_t>(ev.payload)]);
            free_.push_back(ev.payload);
            apply(ev.node, n.core->receive(m, now_));
        } else {
            if (ev.t != n.scheduled) continue;  // stale
            n.scheduled = INT64_MAX;
            apply(ev.node, n.core->tick(now_));
        }
    }
    now_ = std::max(now_, t);
}

void Run::start_node(int i) {
    auto& n = nodes_[static_cast<std::size_t>(i)];
    n.core = std::make_unique<Node>(n.ref, Config{}, now_);
    switch (policy_) {
        case Policy::Topology:
            n.prox = std::make_unique<TopologyCost>(*net_.cost, i, static_cast<int>(nodes_.size()));
            break;
        case Policy::Random: n.prox = std::make_unique<RandomCost>(n.ref.id, opt_.seed); break;
        case Policy::Rtt: break;
    }
    n.core->set_proximity(n.prox.get());
    // Bootstrap through the lowest-latency node that has joined (Pastry
    // assumes a nearby contact), the same under every policy.
    int best = -1;
    for (int j = 0; j < i; ++j) {
        if (!nodes_[static_cast<std::size_t>(j)].joined) continue;
        if (best < 0 || net_.latency(i, j) < net_.latency(i, best)) best = j;
    }
    std::vector<std::string> seeds;
    if (best >= 0) seeds.push_back(nodes_[static_cast<std::size_t>(best)].ref.addr);
    else if (i > 0) seeds.push_back(nodes_[0].ref.addr);
    apply(i, n.core->bootstrap(seeds, now_));
}

void Run::route(Result& r) {
    const int n = static_cast<int>(nodes_.size());
    std::vector<std::pair<Id, int>> live;
    for (int i = 0; i < n; ++i) live.emplace_back(nodes_[static_cast<std::size_t>(i)].ref.id, i);
    std::sort(live.begin(), live.end());
    auto root_of = [&](const Id& key) {
        auto it = std::lower_bound(live.begin(), live.end(), std::make_pair(key, -1));
        const auto& succ = it == live.end() ? live.front() : *it;
        const auto& pred = it == live.begin() ? live.back() : *(it - 1);
        return closer_to(key, succ.first, pred.first) ? succ.second : pred.second;
    };
    std::mt19937_64 rng(splitmix(opt_.seed ^ 0x6b657973ULL));  // same keys under every policy
    for (int k = 0; k < opt_.keys; ++k) {
        Id key{rng(), rng()};
        int src = live[rng() % live.size()].second;
        int cur = src, hops = 0;
        std::int64_t path = 0;
        bool ok = false;
        while (hops <= 64) {
            auto nh = nodes_[static_cast<std::size_t>(cur)].core->next_hop(key);
            if (!nh) {
                ok = true;
                break;
            }
            int d = index_of(nh->addr, n);
            if (d < 0) break;
            path += net_.latency(cur, d);
            cur = d;
            ++hops;
        }
        ++r.routes;
        if (!ok) {
            ++r.failed;
            continue;
        }
        if (cur == root_of(key)) ++r.correct;
        r.total_hops += hops;
        r.max_hops = std::max(r.max_hops, hops);
        if (cur != src) {
            auto direct = net_.latency(src, cur);
            r.stretch.push_back(static_cast<double>(path) / static_cast<double>(direct));
            r.path_sum += static_cast<double>(path);
            r.direct_sum += static_cast<double>(direct);
        }
    }
    // What the tables hold: entries per node and their mean one-way latency.
    double entries = 0, lat = 0;
    for (int i = 0; i < n; ++i)
        for (const auto& e : nodes_[static_cast<std::size_t>(i)].core->routing_table()) {
            int d = index_of(e.node.addr, n);
            if (d < 0) continue;
            entries += 1;
            lat += static_cast<double>(net_.latency(i, d));
        }
    r.rt_entries = entries / n;
    r.rt_entry_latency_ms = entries ? lat / entries / 1000 : 0;
}

Result Run::go() {
    const double t0 = wall_s();
    const int n = opt_.nodes;
    nodes_.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) nodes_[static_cast<std::size_t>(i)].ref = NodeRef{ids_[static_cast<std::size_t>(i)], addr_of(i)};
    const auto gap = static_cast<std::int64_t>(opt_.join_gap_ms * 1000);
    for (int i = 0; i < n; ++i) {
        run_until(now_ + gap);
        start_node(i);
        if (i == 0) run_until(now_ + 1000);
    }
    run_until(now_ + static_cast<std::int64_t>(opt_.settle_s * 1e6));
    Result r;
    r.policy = policy_;
    r.joined = joined_;
    route(r);
    r.sent = sent_;
    r.sim_s = static_cast<double>(now_) / 1e6;
    r.wall = wall_s() - t0;
    return r;
}

}  // namespace

bool pns_requested(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--graphml" || a == "--random-graph" || a == "--pns") return true;
    }
    return false;
}

int pns_main(int argc, char** argv) {
    Options o = parse(argc, argv);
    try {
        const double t0 = wall_s();
        Network net = build_network(o);
        std::uint64_t km_sum = 0, pairs = 0, hop_sum = 0;
        const std::size_t u = net.used.size();
        for (std::size_t k = 0; k < u * u; ++k)
            if (k / u != k % u) {
                km_sum += net.km[k];
                hop_sum += net.hops[k];
                ++pairs;
            }
        std::printf("sr-sim pns graph=%s routers=%zu/%zu links=%zu mean_router_km=%.0f mean_router_hops=%.2f "
                    "setup_wall_s=%.2f\n",
                    net.name.c_str(), u, net.routers_total, net.links_total,
                    pairs ? static_cast<double>(km_sum) / static_cast<double>(pairs) : 0.0,
                    pairs ? static_cast<double>(hop_sum) / static_cast<double>(pairs) : 0.0, wall_s() - t0);
        std::printf("sr-sim pns nodes=%d placement=%s keys=%d seed=%llu latency_us=%.0f+%.1f/km+%.0f/hop "
                    "join_gap_ms=%.1f settle_s=%.0f\n",
                    o.nodes, o.random_placement ? "random" : "rr", o.keys, static_cast<unsigned long long>(o.seed),
                    o.access_us, o.km_us, o.hop_us, o.join_gap_ms, o.settle_s);

        std::mt19937_64 rng(o.seed);
        std::vector<Id> ids(static_cast<std::size_t>(o.nodes));
        for (auto& id : ids) {
            do id = Id{rng(), rng()};
            while ((id.hi | id.lo) == 0);
        }
        std::vector<Result> results;
        std::printf("%-9s %9s %11s %9s %8s %12s %14s %11s %12s %10s %11s %8s\n", "policy", "joined", "correct",
                    "mean_hops", "max_hops", "mean_stretch", "median_stretch", "path/direct", "mean_path_ms",
                    "rt_entries", "rt_entry_ms", "wall_s");
        for (Policy p : o.policies) {
            Run run(o, net, ids, p);
            Result r = run.go();
            std::printf("%-9s %4d/%-4d %5d/%-5d %9.3f %8d %12.3f %14.3f %11.3f %12.2f %10.1f %11.2f %8.2f\n",
                        policy_name(p), r.joined, o.nodes, r.correct, r.routes, r.mean_hops(), r.max_hops,
                        r.mean_stretch(), r.median_stretch(), r.direct_sum > 0 ? r.path_sum / r.direct_sum : 0.0,
                        r.stretch.empty() ? 0.0 : r.path_sum / static_cast<double>(r.stretch.size()) / 1000,
                        r.rt_entries, r.rt_entry_latency_ms, r.wall);
            std::fflush(stdout);
            results.push_back(std::move(r));
        }

        bool good = true;
        for (const auto& r : results)
            if (r.joined != o.nodes || r.correct != r.routes) good = false;
        auto find = [&](Policy p) -> const Result* {
            for (const auto& r : results)
                if (r.policy == p) return &r;
            return nullptr;
        };
        auto expect = o.expect_lower;
        if (!expect && find(Policy::Topology) && find(Policy::Random))
            expect = std::make_pair(Policy::Topology, Policy::Random);
        if (expect) {
            const Result* a = find(expect->first);
            const Result* b = find(expect->second);
            bool lower = a->mean_stretch() < b->mean_stretch();
            std::printf("%-9s mean_stretch(%s)=%.3f %s mean_stretch(%s)=%.3f\n", "expect", policy_name(a->policy),
                        a->mean_stretch(), lower ? "<" : ">=", policy_name(b->policy), b->mean_stretch());
            good = good && lower;
        }
        std::printf("%-9s %s\n", "result", good ? "OK" : "FAIL");
        std::fflush(stdout);
        return o.check && !good ? 1 : 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sr-sim: %s\n", e.what());
        return 70;
    }
}

}  // namespace sr::sim
