// Micro-benchmarks of lib/prox's pure pieces (Google Benchmark):
//  - SPF: a full Dijkstra tree on a generated 10,000-router graph with ~3x
//    links (target <= 5 ms);
//  - LPM: build of a generated full-size IPv4 table (1 M prefixes, mostly
//    /24, some /16-/23, few shorter, a few longer; target <= 1 s) and lookups
//    of uniformly random addresses (target >= 50 M/s on one core); IPv6 too;
//  - the cost model: a build with 1 M external routes (the rebuild after a
//    BGP change) and rank() of 16 candidates from a warm source;
//  - GraphML: the largest Topology Zoo file, when ../shared/data is present.
// Run: build/tests/bench/prox_micro (ctest -L bench runs it too).
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>

#include "prox/cost.hpp"
#include "prox/graphml.hpp"
#include "prox/lpm.hpp"
#include "prox/spf.hpp"

namespace {

using namespace sr::prox;

Topology make_graph(int n, int links, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    Topology t;
    for (int i = 0; i < n; ++i) t.add_router("r" + std::to_string(i));
    for (int i = 1; i < n; ++i) t.add_link(i, rng() % i, 1 + rng() % 100);  // a random tree: connected
    for (int i = n - 1; i < links; ++i) {
        RouterId a = rng() % n, b = rng() % n;
        if (a != b) t.add_link(a, b, 1 + rng() % 100);
    }
    return t;
}

void BM_Spf10k(benchmark::State& state) {
    auto t = make_graph(10000, 30000, 1);
    Graph g(t);
    std::vector<std::uint64_t> dist;
    RouterId src = 0;
    for (auto _ : state) {
        spf(g, src, dist);
        benchmark::DoNotOptimize(dist.data());
        src = (src + 7919) % 10000;
    }
    state.counters["routers"] = 10000;
    state.counters["links"] = static_cast<double>(t.link_count());
}
BENCHMARK(BM_Spf10k)->Unit(benchmark::kMillisecond);

std::vector<Lpm::Route> make_v4_table(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<Lpm::Route> routes;
    routes.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
        int r = static_cast<int>(rng() % 1000), len;
        if (r < 600) len = 24;
        else if (r < 690) len = 23;
        else if (r < 790) len = 22;
        else if (r < 840) len = 21;
        else if (r < 890) len = 20;
        else if (r < 920) len = 19;
        else if (r < 940) len = 18;
        else if (r < 955) len = 17;
        else if (r < 980) len = 16;
        else if (r < 995) len = 8 + static_cast<int>(rng() % 8);
        else len = 25 + static_cast<int>(rng() % 8);
        routes.push_back({Prefix(Address::v4(static_cast<std::uint32_t>(rng())), len),
                          static_cast<std::uint32_t>(rng() % 1000)});
    }
    return routes;
}

const std::vector<Lpm::Route>& v4_table() {
    static auto t = make_v4_table(1000000, 42);
    return t;
}

void BM_LpmBuildV4_1M(benchmark::State& state) {
    const auto& routes = v4_table();
    for (auto _ : state) {
        Lpm lpm(routes);
        benchmark::DoNotOptimize(lpm.memory_bytes());
    }
    state.counters["routes"] = static_cast<double>(routes.size());
}
BENCHMARK(BM_LpmBuildV4_1M)->Unit(benchmark::kMillisecond)->Iterations(5);

void BM_LpmLookupV4_1M(benchmark::State& state) {
    static Lpm lpm(v4_table());
    std::mt19937_64 rng(9);
    std::vector<std::uint32_t> addrs(1 << 20);
    for (auto& a : addrs) a = static_cast<std::uint32_t>(rng());
    std::uint64_t found = 0;
    for (auto _ : state) {
        std::uint32_t acc = 0;
        for (auto a : addrs) acc += lpm.lookup_v4(a) != Lpm::kNone;
        found += acc;
        benchmark::DoNotOptimize(acc);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * addrs.size()));
    state.counters["hit_ratio"] = double(found) / double(state.iterations() * addrs.size());
    state.counters["MiB"] = double(lpm.memory_bytes()) / (1 << 20);
}
BENCHMARK(BM_LpmLookupV4_1M);

void BM_LpmLookupV4_Address(benchmark::State& state) {  // through the generic API
    static Lpm lpm(v4_table());
    std::mt19937_64 rng(10);
    std::vector<Address> addrs(1 << 18);
    for (auto& a : addrs) a = Address::v4(static_cast<std::uint32_t>(rng()));
    for (auto _ : state) {
        std::uint32_t acc = 0;
        for (auto& a : addrs) acc += lpm.lookup(a).has_value();
        benchmark::DoNotOptimize(acc);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * addrs.size()));
}
BENCHMARK(BM_LpmLookupV4_Address);

// IPv6: 200 k prefixes, about half /48, the rest /29-/47 and a few /64.
std::vector<Lpm::Route> make_v6_table(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<Lpm::Route> routes;
    for (std::size_t i = 0; i < n; ++i) {
        int r = static_cast<int>(rng() % 100);
        int len = r < 50 ? 48 : r < 65 ? 32 : r < 75 ? 44 : r < 82 ? 40 : r < 97 ? 29 + static_cast<int>(rng() % 19) : 64;
        Address a;
        a.family = Family::v6;
        a.bytes[0] = 0x20;
        a.bytes[1] = static_cast<std::uint8_t>(rng() % 16);  // 2000::/12, like the real table
        for (int j = 2; j < 16; ++j) a.bytes[j] = static_cast<std::uint8_t>(rng());
        routes.push_back({Prefix(a, len), static_cast<std::uint32_t>(rng() % 1000)});
    }
    return routes;
}

void BM_LpmBuildV6_200k(benchmark::State& state) {
    auto routes = make_v6_table(200000, 5);
    for (auto _ : state) {
        Lpm lpm(routes);
        benchmark::DoNotOptimize(lpm.memory_bytes());
    }
}
BENCHMARK(BM_LpmBuildV6_200k)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_LpmLookupV6_200k(benchmark::State& state) {
    auto routes = make_v6_table(200000, 5);
    Lpm lpm(routes);
    std::mt19937_64 rng(11);
    std::vector<Address> addrs(1 << 18);
    for (std::size_t i = 0; i < addrs.size(); ++i) {
        // Half inside announced prefixes, half random in 2000::/12.
        Address a = routes[rng() % routes.size()].first.addr;
        int from = i % 2 ? 48 : 12;
        for (int b = from; b < 128; ++b)
            if (rng() & 1) a.bytes[b / 8] ^= static_cast<std::uint8_t>(0x80 >> (b % 8));
        addrs[i] = a;
    }
    for (auto _ : state) {
        std::uint32_t acc = 0;
        for (auto& a : addrs) acc += lpm.lookup_v6(a) != Lpm::kNone;
        benchmark::DoNotOptimize(acc);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * addrs.size()));
    state.counters["MiB"] = double(lpm.memory_bytes()) / (1 << 20);
}
BENCHMARK(BM_LpmLookupV6_200k);

// 10,000 routers, each with a loopback 172.16.x.y and a /24 of 10.0.0.0/10;
// external routes from the 1 M-prefix table, next hops spread over routers.
struct CostFixture {
    std::unique_ptr<CostModel> model;
    std::vector<ExternalRoute> routes;
    CostFixture() {
        auto t = make_graph(10000, 30000, 3);
        for (RouterId r = 0; r < 10000; ++r) {
            t.add_address(r, Address::v4(0xac100000u + r));
            t.add_prefix(Prefix(Address::v4(0x0a000000u + (r << 8)), 24), r);
        }
        std::mt19937_64 rng(4);
        for (auto& [p, v] : v4_table())
            routes.push_back({p, Address::v4(0xac100000u + static_cast<std::uint32_t>(rng() % 10000)),
                              static_cast<std::uint32_t>(1 + rng() % 8)});
        model = std::make_unique<CostModel>(std::move(t), routes);
    }
};

CostFixture& cost_fixture() {
    static CostFixture f;
    return f;
}

void BM_CostModelBuild_1M(benchmark::State& state) {
    auto& f = cost_fixture();
    for (auto _ : state) {
        CostModel m(f.model->topology(), f.routes);
        benchmark::DoNotOptimize(m.external_routes());
    }
    state.counters["routes"] = static_cast<double>(f.model->external_routes());
    state.counters["classes"] = static_cast<double>(f.model->external_classes());
}
BENCHMARK(BM_CostModelBuild_1M)->Unit(benchmark::kMillisecond)->Iterations(3);

void BM_CostRank16_Warm(benchmark::State& state) {
    auto& m = *cost_fixture().model;
    std::mt19937_64 rng(5);
    std::vector<Address> sources(64), cands(16);
    for (auto& s : sources) s = Address::v4(0x0a000000u + static_cast<std::uint32_t>(rng() % (10000 << 8)));
    for (auto& c : cands) c = Address::v4(static_cast<std::uint32_t>(rng()));
    for (auto& s : sources) m.rank(s, cands);  // warm the SPF cache
    std::size_t i = 0;
    for (auto _ : state) {
        auto r = m.rank(sources[i++ % sources.size()], cands);
        benchmark::DoNotOptimize(r.data());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}
BENCHMARK(BM_CostRank16_Warm);

void BM_GraphmlZoo(benchmark::State& state) {
    // Beside the checkout (a sibling shared/data), as run from its root or from build/.
    const char* candidates[] = {"../shared/data/topology-zoo/Kdl.graphml", "../../shared/data/topology-zoo/Kdl.graphml"};
    std::string path;
    if (const char* env = std::getenv("SR_TOPOLOGY_ZOO")) path = std::string(env) + "/Kdl.graphml";
    for (auto* c : candidates)
        if (path.empty() && std::filesystem::exists(c)) path = c;
    if (path.empty() || !std::filesystem::exists(path)) {
        state.SkipWithError("Topology Zoo data not present (set SR_TOPOLOGY_ZOO)");
        return;
    }
    std::size_t routers = 0;
    for (auto _ : state) routers = load_graphml(path).size();
    state.counters["routers"] = static_cast<double>(routers);
}
BENCHMARK(BM_GraphmlZoo)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
