// lib/prox: shortest paths and the per-source tree cache, against
// Floyd-Warshall on random graphs.
#include "prox/spf.hpp"

#include <gtest/gtest.h>

#include <random>

namespace {

using namespace sr::prox;

Topology random_topology(std::mt19937& rng, int n, int m, std::uint32_t max_metric) {
    Topology t;
    for (int i = 0; i < n; ++i) t.add_router("r" + std::to_string(i));
    std::uniform_int_distribution<int> node(0, n - 1);
    std::uniform_int_distribution<std::uint32_t> metric(1, max_metric);
    for (int i = 0; i < m; ++i) {
        int a = node(rng), b = node(rng);
        if (a != b) t.add_link(a, b, metric(rng));
    }
    return t;
}

std::vector<std::vector<std::uint64_t>> floyd_warshall(const Topology& t) {
    std::size_t n = t.size();
    std::vector<std::vector<std::uint64_t>> d(n, std::vector<std::uint64_t>(n, kUnreachable));
    for (RouterId i = 0; i < n; ++i) {
        d[i][i] = 0;
        for (auto& l : t.links(i)) d[i][l.to] = std::min<std::uint64_t>(d[i][l.to], l.metric);
    }
    for (std::size_t k = 0; k < n; ++k)
        for (std::size_t i = 0; i < n; ++i)
            if (d[i][k] != kUnreachable)
                for (std::size_t j = 0; j < n; ++j)
                    if (d[k][j] != kUnreachable) d[i][j] = std::min(d[i][j], d[i][k] + d[k][j]);
    return d;
}

TEST(ProxSpf, MatchesFloydWarshallOnRandomGraphs) {
    std::mt19937 rng(7);
    for (int round = 0; round < 30; ++round) {
        int n = 2 + round * 2;
        // Sparse rounds leave several components: unreachable must agree too.
        auto t = random_topology(rng, n, round % 3 == 0 ? n / 2 : 3 * n, round % 2 ? 5 : 1000000);
        auto ref = floyd_warshall(t);
        Graph g(t);
        for (RouterId s = 0; s < t.size(); ++s) EXPECT_EQ(spf(g, s), ref[s]) << "round " << round << " source " << s;
    }
}

TEST(ProxSpf, LargeMetricsDoNotOverflow) {
    Topology t;
    for (int i = 0; i < 4; ++i) t.add_router(std::to_string(i));
    for (int i = 0; i < 3; ++i) t.add_link(i, i + 1, 0xffffffffu);
    EXPECT_EQ(spf(Graph(t), 0)[3], 3ull * 0xffffffffu);
}

TEST(ProxSpf, CacheReusesTreesAndNoticesNewVersions) {
    Topology t;
    for (int i = 0; i < 3; ++i) t.add_router(std::to_string(i));
    t.add_link(0, 1, 4);
    t.add_link(1, 2, 4);
    SpfCache cache(2);
    EXPECT_EQ(cache.cost(t, 0, 2), 8u);
    EXPECT_EQ(cache.cost(t, 0, 1), 4u);
    EXPECT_EQ(cache.computed(), 1u);
    t.add_link(0, 2, 3);  // new version: trees dropped
    EXPECT_EQ(cache.cost(t, 0, 2), 3u);
    EXPECT_EQ(cache.computed(), 2u);
    cache.tree(t, 1);
    cache.tree(t, 2);  // capacity 2: source 0 evicted
    EXPECT_EQ(cache.cached(), 2u);
    EXPECT_EQ(cache.cost(t, 0, 1), 4u);
    EXPECT_EQ(cache.computed(), 5u);
    Topology other = t;  // same state, same version: nothing recomputed
    EXPECT_EQ(cache.cost(other, 0, 1), 4u);
    EXPECT_EQ(cache.computed(), 5u);
    Topology isolated;
    isolated.add_router("x");
    isolated.add_router("y");
    EXPECT_EQ(cache.cost(isolated, 0, 1), kUnreachable);
}

}  // namespace
