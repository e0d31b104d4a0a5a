// lib/prox/isis/lsdb: the database's newer-instance rules, lifetimes and
// purges (ISO 10589 7.3.16), and the topology the LSPs of three FRR routers
// describe: a LAN through its pseudonode and a point-to-point link, each
// direction at its own metric.
#include "prox/isis/lsdb.hpp"

#include "isis_frr_capture.hpp"

#include <gtest/gtest.h>

namespace {

using namespace sr::prox::isis;
using sr::prox::Address;
using sr::prox::Prefix;
using sr::prox::Topology;

constexpr std::int64_t kSec = 1'000'000;

SystemId sys(int n) { return SystemId{0, 0, 0, 0, 0, static_cast<std::uint8_t>(n)}; }

Lsdb frr_database(std::int64_t now) {
    Lsdb db;
    for (const auto& c : isis_capture::pdus())
        if (c.type == 20) {
            Lsp l = std::get<Lsp>(decode(c.bytes, {}));
            db.install(c.bytes, l, now);
        }
    return db;
}

std::uint32_t metric(const Topology& t, const char* a, const char* b) {
    for (const auto& l : t.links(*t.find(a)))
        if (l.to == *t.find(b)) return l.metric;
    return 0;
}

TEST(IsisLsdb, FrrRoutersMakeTheirTopology) {
    Lsdb db = frr_database(0);
    EXPECT_EQ(db.size(), 4u);  // three routers and the LAN's pseudonode
    Topology t = build_topology({&db}, 10 * kSec, sys(99));
    ASSERT_EQ(t.size(), 3u);
    ASSERT_TRUE(t.find("rtr-a") && t.find("rtr-b") && t.find("rtr-c"));
    EXPECT_EQ(metric(t, "rtr-a", "rtr-b"), 10u);  // over the LAN, each at its own metric
    EXPECT_EQ(metric(t, "rtr-b", "rtr-a"), 20u);
    EXPECT_EQ(metric(t, "rtr-b", "rtr-c"), 20u);  // point-to-point
    EXPECT_EQ(metric(t, "rtr-c", "rtr-b"), 30u);
    EXPECT_EQ(metric(t, "rtr-a", "rtr-c"), 0u);
    auto owner = [&](const char* prefix) {
        for (const auto& [p, r] : t.prefixes())
            if (p == *Prefix::parse(prefix)) return t.name(r);
        return std::string("-");
    };
    EXPECT_EQ(owner("192.0.2.1/32"), "rtr-a");
    EXPECT_EQ(owner("192.0.2.3/32"), "rtr-c");
    EXPECT_EQ(owner("2001:db8:50::1/128"), "rtr-a");
    EXPECT_EQ(t.name(*t.router_of(Address::v4(0xc0000202))), "rtr-b");  // TLV 132

    // As rtr-b sees it (itself left out): a and c remain, with no link.
    Topology from_b = build_topology({&db}, 10 * kSec, sys(2));
    EXPECT_EQ(from_b.size(), 2u);
    EXPECT_EQ(from_b.link_count(), 0u);
}

TEST(IsisLsdb, NewerInstancesPurgesAndLifetimes) {
    Lsdb db;
    Lsp l;
    l.id.system = sys(5);
    l.seq = 4;
    l.lifetime = 100;
    ASSERT_TRUE(db.install(encode(l, {}), l, 0));
    EXPECT_EQ(db.lifetime(*db.find(l.id), 30 * kSec), 70);
    EXPECT_EQ(lsp_entry(db.current_bytes(*db.find(l.id), 30 * kSec)).lifetime, 70);
    Lsp older = l;
    older.seq = 3;
    EXPECT_FALSE(db.install(encode(older, {}), older, kSec));
    EXPECT_EQ(db.compare(l.entry(), kSec), Lsdb::Compare::same);
    Lsp purge = l;
    purge.lifetime = 0;  // the same number, purged: newer
    EXPECT_EQ(db.compare(purge.entry(), kSec), Lsdb::Compare::newer);
    ASSERT_TRUE(db.install(encode(purge, {}), purge, kSec));
    EXPECT_TRUE(db.expire(30 * kSec).empty());  // kept ZeroAgeLifetime
    EXPECT_EQ(db.expire(62 * kSec).size(), 1u);
    EXPECT_EQ(db.size(), 0u);

    // One that runs out of lifetime is a purge, then goes.
    ASSERT_TRUE(db.install(encode(l, {}), l, 100 * kSec));
    EXPECT_TRUE(db.expire(150 * kSec).empty());
    Topology t = build_topology({&db}, 201 * kSec, sys(99));
    EXPECT_EQ(t.size(), 0u);  // out of the topology at once
    EXPECT_TRUE(db.expire(250 * kSec).empty());
    EXPECT_EQ(db.expire(261 * kSec).size(), 1u);
}

TEST(IsisLsdb, OneWayLinksAndExcludedMetricsStayOut) {
    auto lsp = [](int n, std::vector<IsReach> reach) {
        Lsp l;
        l.id.system = sys(n);
        l.tlvs.is_reach = std::move(reach);
        return l;
    };
    Lsdb db;
    for (const Lsp& l : {lsp(1, {{sys(2), 0, 5}, {sys(3), 0, 0xffffff}}), lsp(2, {{sys(1), 0, 7}}),
                         lsp(3, {{sys(1), 0, 4}, {sys(4), 0, 9}}), lsp(4, {})})
        db.install(encode(l, {}), l, 0);
    Topology t = build_topology({&db}, 0, sys(99));
    EXPECT_EQ(t.size(), 4u);
    EXPECT_EQ(metric(t, "0000.0000.0001", "0000.0000.0002"), 5u);
    EXPECT_EQ(metric(t, "0000.0000.0002", "0000.0000.0001"), 7u);
    EXPECT_EQ(metric(t, "0000.0000.0001", "0000.0000.0003"), 0u);  // 0xffffff: out of SPF
    EXPECT_EQ(metric(t, "0000.0000.0003", "0000.0000.0001"), 0u);  // 1 does not list 3 back
    EXPECT_EQ(metric(t, "0000.0000.0003", "0000.0000.0004"), 0u);  // 4 lists no one
}

}  // namespace
