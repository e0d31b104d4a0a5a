// The simulated router network (sim_network.hpp).
#include "sim_network.hpp"

#include "prox/graphml.hpp"
#include "prox/spf.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <set>
#include <span>
#include <stdexcept>

namespace sr::sim {

namespace px = sr::prox;

bool NetworkOptions::take(const std::string& a, const std::function<std::string()>& val,
                          const std::function<double(const std::string&)>& num, const std::function<void()>& bad) {
    if (a == "--graphml") graphml = val();
    else if (a == "--random-graph") random_graph = static_cast<int>(num(val()));
    else if (a == "--write-graphml") write_graphml = val();
    else if (a == "--placement") {
        std::string v = val();
        if (v == "rr") random_placement = false;
        else if (v == "random") random_placement = true;
        else bad();
    } else if (a == "--access-us") access_us = num(val());
    else if (a == "--km-us") km_us = num(val());
    else if (a == "--hop-us") hop_us = num(val());
    else return false;
    return true;
}

bool NetworkOptions::valid() const {
    bool has_graph = !graphml.empty() || random_graph > 0;
    return has_graph && (graphml.empty() || random_graph == 0) && random_graph >= 0 && random_graph <= 100000 &&
           nodes >= 2 && nodes <= (1 << 24) && access_us >= 1 && km_us >= 0 && hop_us >= 0 &&
           (write_graphml.empty() || random_graph > 0);
}

std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

double unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1p-53; }

double wall_s() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

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

Network build_network(const NetworkOptions& o) {
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
    std::vector<std::int32_t> index(r, -1);  // router -> index into used
    for (std::size_t v = 0; v < r; ++v)
        if (comp[v] == best) {
            index[v] = static_cast<std::int32_t>(net.used.size());
            net.used.push_back(static_cast<px::RouterId>(v));
        }

    const std::size_t u = net.used.size();
    net.link_of.assign(u * u, -1);
    for (std::size_t a = 0; a < u; ++a)
        for (const auto& l : g.arcs(net.used[a])) {
            auto b = static_cast<std::size_t>(index[l.to]);
            if (net.link_of[a * u + b] >= 0) continue;
            net.link_of[a * u + b] = net.link_of[b * u + a] = static_cast<std::int32_t>(net.links++);
        }

    // All pairs: SPF metric, and router hops along a shortest path (fewest
    // among equal-cost ones): relax in order of distance (metrics are >= 1).
    // The router before each on that path is kept too, for link stress.
    net.km.assign(u * u, 0);
    net.hops.assign(u * u, 0);
    net.pred.assign(u * u, -1);
    net.lat_cache.assign(u * u, 0);
    std::vector<std::uint64_t> dist;
    std::vector<std::uint32_t> h(r);
    std::vector<std::int32_t> before(r);
    std::vector<px::RouterId> order;
    for (std::size_t a = 0; a < u; ++a) {
        px::spf(g, net.used[a], dist);
        order.assign(net.used.begin(), net.used.end());
        std::sort(order.begin(), order.end(), [&](auto x, auto y) { return dist[x] < dist[y]; });
        std::fill(h.begin(), h.end(), UINT32_MAX);
        std::fill(before.begin(), before.end(), -1);
        h[net.used[a]] = 0;
        for (auto v : order)
            for (const auto& l : g.arcs(v))
                if (dist[v] + l.metric == dist[l.to] && h[v] + 1 < h[l.to]) {
                    h[l.to] = h[v] + 1;
                    before[l.to] = index[v];
                }
        for (std::size_t b = 0; b < u; ++b) {
            auto rb = net.used[b];
            std::size_t k = a * u + b;
            net.km[k] = dist[rb];
            net.hops[k] = h[rb];
            net.pred[k] = before[rb];
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

std::string Network::describe() const {
    std::uint64_t km_sum = 0, pairs = 0, hop_sum = 0;
    const std::size_t u = used.size();
    for (std::size_t k = 0; k < u * u; ++k)
        if (k / u != k % u) {
            km_sum += km[k];
            hop_sum += hops[k];
            ++pairs;
        }
    char buf[512];
    std::snprintf(buf, sizeof buf, "graph=%s routers=%zu/%zu links=%zu mean_router_km=%.0f mean_router_hops=%.2f",
                  name.c_str(), u, routers_total, links_total,
                  pairs ? static_cast<double>(km_sum) / static_cast<double>(pairs) : 0.0,
                  pairs ? static_cast<double>(hop_sum) / static_cast<double>(pairs) : 0.0);
    return buf;
}

// ---- proximity ---------------------------------------------------------------------

namespace {

px::Address node_addr(int i) { return px::Address::v4(0x0A000000u + static_cast<std::uint32_t>(i)); }

}  // namespace

TopologyCost::TopologyCost(px::CostModel& m, int self, int n) : m_(m), self_(node_addr(self)), n_(n) {}

std::optional<double> TopologyCost::cost(const pastry::NodeRef& peer) {
    int j = index_of(peer.addr, n_);
    if (j < 0) return std::nullopt;
    auto c = m_.cost(self_, node_addr(j));
    if (!c) return std::nullopt;
    return static_cast<double>(*c);
}

std::optional<double> RandomCost::cost(const pastry::NodeRef& peer) {
    const Id& a = std::min(self_, peer.id);
    const Id& b = std::max(self_, peer.id);
    std::uint64_t x = splitmix(seed_ ^ a.hi);
    x = splitmix(x ^ a.lo);
    x = splitmix(x ^ b.hi);
    x = splitmix(x ^ b.lo);
    return static_cast<double>(x >> 44);  // 0 .. 2^20 - 1
}

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

std::unique_ptr<pastry::Proximity> make_proximity(Policy p, const Network& net, int i, const Id& id,
                                                  std::uint64_t seed) {
    switch (p) {
        case Policy::Topology: return std::make_unique<TopologyCost>(*net.cost, i, static_cast<int>(net.at.size()));
        case Policy::Random: return std::make_unique<RandomCost>(id, seed);
        case Policy::Rtt: break;
    }
    return nullptr;
}

}  // namespace sr::sim
