// lib/prox/ospf/lsdb: the database's newer-instance rules and ages
// (RFC 2328 13.1, 14), and the topology an area's LSAs describe (16.1).
#include "prox/ospf/lsdb.hpp"

#include <gtest/gtest.h>

namespace {

using namespace sr::prox::ospf;
using sr::prox::Address;
using sr::prox::Prefix;
using sr::prox::RouterId;
using sr::prox::Topology;

constexpr std::int64_t kSec = 1'000'000;

std::uint32_t ip(const char* s) { return parse_dotted(s); }

std::string router_lsa(const char* id, std::vector<RouterLink> links, std::int32_t seq = kInitialSequence,
                       std::uint16_t age = 1) {
    Lsa l;
    l.header.type = 1;
    l.header.id = l.header.adv_router = ip(id);
    l.header.seq = seq;
    l.header.age = age;
    l.body = RouterLsa{0, std::move(links)};
    return encode_lsa(l);
}

std::string network_lsa(const char* dr_addr, const char* dr, std::vector<std::uint32_t> routers) {
    Lsa l;
    l.header.type = 2;
    l.header.id = ip(dr_addr);
    l.header.adv_router = ip(dr);
    l.body = NetworkLsa{ip("255.255.255.0"), std::move(routers)};
    return encode_lsa(l);
}

std::string external_lsa(const char* asbr, const char* net, std::uint32_t mask) {
    Lsa l;
    l.header.type = 5;
    l.header.id = ip(net);
    l.header.adv_router = ip(asbr);
    l.body = ExternalLsa{mask, true, 20, 0, 0};
    return encode_lsa(l);
}

RouterLink p2p(const char* to, const char* addr, std::uint16_t metric) {
    return {ip(to), ip(addr), LinkType::point_to_point, metric};
}
RouterLink transit(const char* dr_addr, const char* addr, std::uint16_t metric) {
    return {ip(dr_addr), ip(addr), LinkType::transit, metric};
}
RouterLink stub(const char* net, const char* mask, std::uint16_t metric) {
    return {ip(net), ip(mask), LinkType::stub, metric};
}

std::uint32_t metric(const Topology& t, const char* a, const char* b) {
    for (const auto& l : t.links(*t.find(a)))
        if (l.to == *t.find(b)) return l.metric;
    return 0;
}

TEST(OspfLsdb, NewerInstancesReplaceOlderOnesAndAgesRunOn) {
    Lsdb db;
    EXPECT_TRUE(db.install(router_lsa("1.1.1.1", {}, kInitialSequence + 1), 0));
    EXPECT_FALSE(db.install(router_lsa("1.1.1.1", {}, kInitialSequence), 0)) << "an older sequence number";
    EXPECT_FALSE(db.install(router_lsa("1.1.1.1", {}, kInitialSequence + 1), 0)) << "the same instance";
    EXPECT_TRUE(db.install(router_lsa("1.1.1.1", {stub("10.0.0.0", "255.0.0.0", 1)}, kInitialSequence + 2), 0));
    std::uint64_t v = db.version();
    const LsdbEntry* e = db.find({1, ip("1.1.1.1"), ip("1.1.1.1")});
    ASSERT_NE(e, nullptr);
    EXPECT_EQ(db.age(*e, 100 * kSec), 101);
    EXPECT_EQ(decode_lsa_header(db.aged_bytes(*e, 100 * kSec)).age, 101);
    EXPECT_TRUE(lsa_checksum_ok(db.aged_bytes(*e, 100 * kSec))) << "the age is outside the checksum";
    // A MaxAge instance of the same sequence is newer (a flushed LSA).
    EXPECT_TRUE(db.install(router_lsa("1.1.1.1", {stub("10.0.0.0", "255.0.0.0", 1)}, kInitialSequence + 2, kMaxAge), 0));
    EXPECT_GT(db.version(), v);
    EXPECT_EQ(db.expire(0).size(), 1u);
    EXPECT_EQ(db.size(), 0u);
    // Ages reach MaxAge on their own.
    db.install(router_lsa("2.2.2.2", {}), 0);
    EXPECT_TRUE(db.expire((kMaxAge - 2) * kSec).empty());
    EXPECT_EQ(db.expire(kMaxAge * kSec).size(), 1u);
    EXPECT_THROW(db.install(std::string(20, '\0'), 0), OspfError);
}

// R1 -p2p- R2 (10 one way, 20 the other); R2, R3, R4 on a LAN whose DR is
// R3 (10.1.0.3); R4 an ASBR; R5 claims a link to R1 that R1 does not
// confirm; 9.9.9.9 is the passive router itself, on the LAN with MaxMetric.
Lsdb area() {
    Lsdb db;
    db.install(router_lsa("1.1.1.1", {p2p("2.2.2.2", "10.0.12.1", 10), stub("1.1.1.1", "255.255.255.255", 0)}), 0);
    db.install(router_lsa("2.2.2.2", {p2p("1.1.1.1", "10.0.12.2", 20), transit("10.1.0.3", "10.1.0.2", 5)}), 0);
    db.install(router_lsa("3.3.3.3", {transit("10.1.0.3", "10.1.0.3", 7)}), 0);
    db.install(router_lsa("4.4.4.4", {transit("10.1.0.3", "10.1.0.4", 1)}), 0);
    db.install(router_lsa("5.5.5.5", {p2p("1.1.1.1", "10.0.15.5", 3)}), 0);
    db.install(router_lsa("9.9.9.9", {transit("10.1.0.3", "10.1.0.9", kMaxMetric)}), 0);
    db.install(network_lsa("10.1.0.3", "3.3.3.3", {ip("2.2.2.2"), ip("3.3.3.3"), ip("4.4.4.4"), ip("9.9.9.9")}), 0);
    db.install(external_lsa("4.4.4.4", "203.0.113.0", ip("255.255.255.0")), 0);
    return db;
}

TEST(OspfLsdb, TheTopologyOfAnAreaWithAsymmetricCostsALanAndAnAsbr) {
    Lsdb db = area();
    Topology t = build_topology(db, 0, ip("9.9.9.9"), [](std::uint32_t id) {
        return id == parse_dotted("1.1.1.1") ? std::string("r1") : std::string();
    });
    EXPECT_EQ(t.size(), 5u);  // r1, 2.2.2.2, 3.3.3.3, 4.4.4.4, 5.5.5.5: not the passive router
    EXPECT_FALSE(t.find("9.9.9.9"));
    EXPECT_EQ(metric(t, "r1", "2.2.2.2"), 10u);
    EXPECT_EQ(metric(t, "2.2.2.2", "r1"), 20u);
    // The LAN: each router to each other at its own cost to the network.
    EXPECT_EQ(metric(t, "2.2.2.2", "3.3.3.3"), 5u);
    EXPECT_EQ(metric(t, "2.2.2.2", "4.4.4.4"), 5u);
    EXPECT_EQ(metric(t, "3.3.3.3", "2.2.2.2"), 7u);
    EXPECT_EQ(metric(t, "4.4.4.4", "3.3.3.3"), 1u);
    // Not two-way: R5 -> R1 is not confirmed by R1.
    EXPECT_EQ(metric(t, "5.5.5.5", "r1"), 0u);
    EXPECT_EQ(metric(t, "r1", "5.5.5.5"), 0u);
    // Addresses and prefixes.
    EXPECT_EQ(t.router_of(*Address::parse("10.0.12.2")), t.find("2.2.2.2"));
    EXPECT_EQ(t.router_of(*Address::parse("10.1.0.4")), t.find("4.4.4.4"));
    auto has_prefix = [&](const char* p, const char* r) {
        for (const auto& [prefix, at] : t.prefixes())
            if (prefix.str() == p) return at == *t.find(r);
        return false;
    };
    EXPECT_TRUE(has_prefix("1.1.1.1/32", "r1"));
    EXPECT_TRUE(has_prefix("10.1.0.0/24", "3.3.3.3")) << "the LAN's prefix at its DR";
    EXPECT_TRUE(has_prefix("203.0.113.0/24", "4.4.4.4")) << "the external at its ASBR";
}

TEST(OspfLsdb, AFlushedRouterLeavesTheTopology) {
    Lsdb db = area();
    db.install(router_lsa("4.4.4.4", {transit("10.1.0.3", "10.1.0.4", 1)}, kInitialSequence, kMaxAge), 0);
    Topology t = build_topology(db, 0, ip("9.9.9.9"));
    EXPECT_FALSE(t.find("4.4.4.4"));
    EXPECT_EQ(metric(t, "2.2.2.2", "3.3.3.3"), 5u);
    for (const auto& [prefix, at] : t.prefixes()) EXPECT_NE(prefix.str(), "203.0.113.0/24");
}

}  // namespace
