// lib/prox: the cost model against a brute-force reference (Floyd-Warshall
// distances, linear longest-prefix scans) on generated topologies.
#include "prox/cost.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "prox/topology_file.hpp"

namespace {

using namespace sr::prox;

Address a(const char* s) { return *Address::parse(s); }

TEST(ProxCost, SmallExample) {
    auto t = parse_topology(R"(
router ams 192.0.2.1
router fra 192.0.2.2
router lon 192.0.2.3
router isolated
link ams fra 10
link fra lon 5
prefix 10.1.0.0/16 ams
prefix 10.2.0.0/16 fra
prefix 10.3.0.0/16 lon
prefix 10.4.0.0/16 isolated
prefix 2001:db8:1::/48 ams
)",
                            "t");
    std::vector<ExternalRoute> routes = {
        {*Prefix::parse("198.51.100.0/24"), a("192.0.2.3"), 2},  // via lon, 2 AS hops
        {*Prefix::parse("198.51.100.0/24"), a("192.0.2.1"), 4},  // longer path: loses
        {*Prefix::parse("203.0.113.0/24"), a("10.2.3.4"), 1},    // next hop inside fra's subnet
        {*Prefix::parse("10.1.2.0/24"), a("192.0.2.3"), 1},      // more specific than ams's /16: wins
        {*Prefix::parse("10.3.0.0/16"), a("192.0.2.1"), 1},      // same as lon's internal: internal wins
        {*Prefix::parse("192.0.2.128/25"), a("172.16.0.1"), 1},  // next hop nowhere: dropped
    };
    CostModel m(t, routes, {.as_hop_penalty = 100});
    EXPECT_EQ(m.external_routes(), 4u);
    EXPECT_EQ(m.unresolved_routes(), 1u);
    EXPECT_EQ(m.cost(a("10.1.0.1"), a("10.1.9.9")), 0u);
    EXPECT_EQ(m.cost(a("10.1.0.1"), a("10.3.0.1")), 15u);
    EXPECT_EQ(m.cost(a("2001:db8:1::5"), a("10.2.0.1")), 10u);
    EXPECT_EQ(m.cost(a("10.1.0.1"), a("198.51.100.7")), 15u + 200u);
    EXPECT_EQ(m.cost(a("198.51.100.7"), a("10.1.0.1")), 15u + 200u);  // symmetric
    EXPECT_EQ(m.cost(a("10.1.0.1"), a("203.0.113.1")), 10u + 100u);
    EXPECT_EQ(m.cost(a("10.1.0.1"), a("10.1.2.3")), 15u + 100u);
    EXPECT_EQ(m.cost(a("10.1.0.1"), a("10.3.0.9")), 15u);
    EXPECT_EQ(m.cost(a("10.1.0.1"), a("10.4.0.1")), std::nullopt);  // other component
    EXPECT_EQ(m.cost(a("10.1.0.1"), a("8.8.8.8")), std::nullopt);   // unplaceable
    EXPECT_EQ(m.cost(a("192.0.2.2"), a("192.0.2.3")), 5u);          // router addresses place too
    EXPECT_EQ(m.pid(a("10.2.0.1")), "fra");
    EXPECT_EQ(m.pid(a("198.51.100.1")), "ext:lon:2");
    EXPECT_EQ(m.pid(a("8.8.8.8")), std::nullopt);
    std::vector<Address> cands = {a("8.8.8.8"), a("10.3.0.1"), a("198.51.100.1"), a("10.2.0.1"),
                                  a("10.3.0.2"), a("10.4.0.1"), a("10.1.0.1")};
    auto r = m.rank(a("10.1.5.5"), cands);
    std::vector<std::size_t> order;
    for (auto& x : r) order.push_back(x.index);
    EXPECT_EQ(order, (std::vector<std::size_t>{6, 3, 1, 4, 2, 0, 5}));
    EXPECT_EQ(r[0].cost, 0u);
    EXPECT_FALSE(r[5].cost);
    auto none = m.rank(a("8.8.8.8"), cands);  // unplaceable source: all last, input order
    for (std::size_t i = 0; i < none.size(); ++i) EXPECT_EQ(none[i].index, i);
}

TEST(ProxCost, PenaltySaturates) {
    auto t = parse_topology("router a 192.0.2.1\n", "t");
    std::vector<ExternalRoute> routes = {{*Prefix::parse("0.0.0.0/0"), a("192.0.2.1"), 1000}};
    CostModel m(t, routes, {.as_hop_penalty = ~0ULL / 10});
    EXPECT_EQ(m.cost(a("1.1.1.1"), a("2.2.2.2")), kUnreachable - 1);
}

// --- brute-force reference ---------------------------------------------------

struct Ref {
    std::vector<std::vector<std::uint64_t>> dist;
    std::vector<std::pair<Prefix, Placement>> table;  // in priority order: later wins at equal length
    std::uint64_t penalty;

    std::optional<Placement> place(const Address& x) const {
        int best = -1;
        std::optional<Placement> out;
        for (auto& [p, pl] : table)
            if (p.contains(x) && p.len >= best) {
                best = p.len;
                out = pl;
            }
        return out;
    }
    std::optional<std::uint64_t> cost(const Address& x, const Address& y) const {
        auto p = place(x), q = place(y);
        if (!p || !q || dist[p->router][q->router] == kUnreachable) return std::nullopt;
        return dist[p->router][q->router] + penalty * (p->as_hops + q->as_hops);
    }
};

Ref reference(const Topology& t, const std::vector<ExternalRoute>& routes, std::uint64_t penalty) {
    Ref ref;
    ref.penalty = penalty;
    std::size_t n = t.size();
    ref.dist.assign(n, std::vector<std::uint64_t>(n, kUnreachable));
    for (RouterId i = 0; i < n; ++i) {
        ref.dist[i][i] = 0;
        for (auto& l : t.links(i)) ref.dist[i][l.to] = std::min<std::uint64_t>(ref.dist[i][l.to], l.metric);
    }
    for (std::size_t k = 0; k < n; ++k)
        for (std::size_t i = 0; i < n; ++i)
            for (std::size_t j = 0; j < n; ++j)
                if (ref.dist[i][k] != kUnreachable && ref.dist[k][j] != kUnreachable)
                    ref.dist[i][j] = std::min(ref.dist[i][j], ref.dist[i][k] + ref.dist[k][j]);
    std::vector<std::pair<Prefix, Placement>> internal;
    for (auto& [p, r] : t.prefixes()) internal.push_back({p, {r, false, 0}});
    for (auto& [x, r] : t.addresses()) internal.push_back({Prefix(x, x.max_len()), {r, false, 0}});
    Ref inner{{}, internal, 0};
    // Per prefix: the resolvable route with the shortest path, first given.
    std::vector<std::pair<Prefix, Placement>> external;
    for (auto& r : routes) {
        std::optional<RouterId> egress = t.router_of(r.next_hop);
        if (!egress)
            if (auto p = inner.place(r.next_hop)) egress = p->router;
        if (!egress) continue;
        Placement pl{*egress, true, r.as_path_length};
        auto it = std::find_if(external.begin(), external.end(), [&](auto& e) { return e.first == r.prefix; });
        if (it == external.end()) external.push_back({r.prefix, pl});
        else if (pl.as_hops < it->second.as_hops) it->second = pl;
    }
    ref.table = external;
    ref.table.insert(ref.table.end(), internal.begin(), internal.end());
    return ref;
}

TEST(ProxCost, MatchesBruteForceOnRandomTopologies) {
    std::mt19937_64 rng(2024);
    auto pick = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
    for (int round = 0; round < 25; ++round) {
        std::size_t n = 2 + pick(30);
        Topology t;
        for (std::size_t i = 0; i < n; ++i) t.add_router("r" + std::to_string(i));
        std::size_t links = pick(3 * n);
        for (std::size_t i = 0; i < links; ++i) {
            auto x = pick(n), y = pick(n);
            if (x != y) t.add_link(x, y, 1 + rng() % 50);
        }
        // Addresses come from a small space so that prefixes nest and collide.
        auto random_v4 = [&] { return Address::v4(0x0a000000u | static_cast<std::uint32_t>(rng() % 4096)); };
        auto random_v6 = [&] {
            Address x = *Address::parse("2001:db8::");
            x.bytes[15] = static_cast<std::uint8_t>(rng());
            x.bytes[14] = static_cast<std::uint8_t>(rng() % 4);
            return x;
        };
        auto random_addr = [&] { return rng() % 4 ? random_v4() : random_v6(); };
        auto random_prefix = [&] {
            Address x = random_addr();
            int len = x.family == Family::v4 ? 18 + static_cast<int>(rng() % 15) : 112 + static_cast<int>(rng() % 17);
            return Prefix(x, len);
        };
        for (std::size_t i = 0; i < n; ++i) {
            if (rng() % 2) {
                auto x = random_addr();
                if (!t.router_of(x)) t.add_address(i, x);
            }
            for (int k = static_cast<int>(pick(4)); k > 0; --k) {
                auto p = random_prefix();
                bool taken = std::any_of(t.prefixes().begin(), t.prefixes().end(), [&](auto& e) { return e.first == p; });
                if (!taken) t.add_prefix(p, i);
            }
        }
        std::vector<ExternalRoute> routes;
        for (std::size_t k = pick(60); k > 0; --k)
            routes.push_back({random_prefix(), random_addr(), static_cast<std::uint32_t>(pick(6))});
        std::uint64_t penalty = 1 + pick(100);
        CostModel m(t, routes, {.as_hop_penalty = penalty, .spf_cache = 1 + pick(4)});
        auto ref = reference(t, routes, penalty);
        int placed = 0;
        for (int q = 0; q < 300; ++q) {
            auto x = random_addr(), y = random_addr();
            ASSERT_EQ(m.place(x), ref.place(x)) << x.str() << " round " << round;
            placed += ref.place(x).has_value();
            ASSERT_EQ(m.cost(x, y), ref.cost(x, y)) << x.str() << " -> " << y.str() << " round " << round;
        }
        EXPECT_GT(placed, 0) << "round " << round;
        for (int q = 0; q < 20; ++q) {
            auto from = random_addr();
            std::vector<Address> cands(1 + pick(12));
            for (auto& c : cands) c = random_addr();
            std::vector<Ranked> want;
            for (std::size_t i = 0; i < cands.size(); ++i) want.push_back({i, ref.cost(from, cands[i])});
            std::stable_sort(want.begin(), want.end(), [](auto& p, auto& q) {
                if (p.cost.has_value() != q.cost.has_value()) return p.cost.has_value();
                return p.cost && *p.cost < *q.cost;
            });
            auto got = m.rank(from, cands);
            ASSERT_EQ(got.size(), want.size());
            for (std::size_t i = 0; i < got.size(); ++i) {
                EXPECT_EQ(got[i].index, want[i].index) << "round " << round;
                EXPECT_EQ(got[i].cost, want[i].cost) << "round " << round;
            }
        }
    }
}

}  // namespace
