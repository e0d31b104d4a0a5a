// Adj-RIB-In: apply/withdraw/flush, attribute sharing, memory bound.
#include "prox/bgp/rib.hpp"
#include "prox/bgp/session.hpp"

#include <gtest/gtest.h>

#include <set>

using namespace sr::prox;
using namespace sr::prox::bgp;

namespace {

Prefix P(const char* s) { return *Prefix::parse(s); }
Address A(const char* s) { return *Address::parse(s); }

Attributes attrs(const char* nh, std::vector<std::uint32_t> path, std::vector<std::uint32_t> comms = {}) {
    Attributes a;
    a.next_hop = A(nh);
    a.as_path = std::move(path);
    a.path_len = static_cast<std::uint32_t>(a.as_path.size());
    a.origin = Origin::igp;
    a.communities = std::move(comms);
    return a;
}

Prefix v4_prefix(std::uint32_t i) { return Prefix(Address::v4(0x0a000000u + (i << 8)), 24); }

}  // namespace

TEST(BgpRib, ApplyWithdrawFlush) {
    AdjRibIn rib;
    RoutesChanged rc;
    rc.announced.push_back({attrs("192.0.2.1", {65001}), {P("10.0.0.0/8"), P("10.1.0.0/16")}});
    rc.announced.push_back({attrs("2001:db8::1", {65001}), {P("2001:db8::/32")}});
    auto c = rib.apply(rc);
    EXPECT_EQ(c.announced, 3u);
    EXPECT_EQ(rib.size(), 3u);
    EXPECT_EQ(rib.size(Family::v4), 2u);
    EXPECT_EQ(rib.size(Family::v6), 1u);
    EXPECT_EQ(rib.attribute_sets(), 2u);
    ASSERT_TRUE(rib.find(P("10.1.0.0/16")));
    EXPECT_EQ(rib.find(P("10.1.0.0/16"))->next_hop, A("192.0.2.1"));
    EXPECT_FALSE(rib.find(P("10.2.0.0/16")));

    // Withdraw + re-announce in one change: announced wins.
    RoutesChanged rc2;
    rc2.withdrawn = {P("10.0.0.0/8"), P("10.1.0.0/16"), P("192.0.2.0/24")};
    rc2.announced.push_back({attrs("192.0.2.2", {65002, 65003}), {P("10.0.0.0/8")}});
    c = rib.apply(rc2);
    EXPECT_EQ(c.withdrawn, 2u);
    EXPECT_EQ(rib.size(), 2u);
    EXPECT_EQ(rib.find(P("10.0.0.0/8"))->next_hop, A("192.0.2.2"));
    EXPECT_EQ(rib.find(P("10.0.0.0/8"))->path_length(), 2u);
    EXPECT_EQ(rib.attribute_sets(), 2u);  // the 192.0.2.1 set is gone

    EXPECT_TRUE(rib.withdraw(P("2001:db8::/32")));
    EXPECT_FALSE(rib.withdraw(P("2001:db8::/32")));
    EXPECT_EQ(rib.attribute_sets(), 1u);

    std::set<std::string> seen;
    rib.for_each([&](const Prefix& p, const Attributes& a) { seen.insert(p.str() + " " + a.next_hop.str()); });
    EXPECT_EQ(seen, (std::set<std::string>{"10.0.0.0/8 192.0.2.2"}));

    rib.flush();
    EXPECT_EQ(rib.size(), 0u);
    EXPECT_EQ(rib.attribute_sets(), 0u);
    rib.announce(P("10.0.0.0/8"), attrs("192.0.2.1", {1}));
    EXPECT_EQ(rib.size(), 1u);
    EXPECT_EQ(rib.attribute_sets(), 1u);
}

TEST(BgpRib, ReplacingARouteMovesItsReference) {
    AdjRibIn rib;
    auto a = attrs("192.0.2.1", {1});
    auto b = attrs("192.0.2.1", {1, 2});
    rib.announce(P("10.0.0.0/8"), a);
    rib.announce(P("10.0.0.0/8"), a);  // same again: still one reference
    rib.announce(P("11.0.0.0/8"), a);
    EXPECT_EQ(rib.attribute_sets(), 1u);
    rib.announce(P("10.0.0.0/8"), b);
    rib.announce(P("11.0.0.0/8"), b);
    EXPECT_EQ(rib.attribute_sets(), 1u);
    EXPECT_EQ(*rib.find(P("11.0.0.0/8")), b);
    rib.withdraw(P("10.0.0.0/8"));
    rib.withdraw(P("11.0.0.0/8"));
    EXPECT_EQ(rib.attribute_sets(), 0u);
}

TEST(BgpRib, TenThousandPrefixesShareThreeAttributeSets) {
    AdjRibIn rib;
    const Attributes sets[3] = {attrs("192.0.2.1", {65001, 100}, {1}), attrs("192.0.2.2", {65001, 200}),
                                attrs("192.0.2.1", {65001, 100}, {2})};
    // Announced one prefix per RoutesChanged, as attribute copies, in a
    // mixed order: interning must find the equal set each time.
    for (std::uint32_t i = 0; i < 10'000; ++i) {
        RoutesChanged rc;
        rc.announced.push_back({sets[(i * 7) % 3], {v4_prefix(i)}});
        rib.apply(rc);
    }
    EXPECT_EQ(rib.size(), 10'000u);
    EXPECT_EQ(rib.attribute_sets(), 3u);
    std::set<const Attributes*> objects;
    rib.for_each([&](const Prefix&, const Attributes& a) { objects.insert(&a); });
    EXPECT_EQ(objects.size(), 3u);
    EXPECT_EQ(*rib.find(v4_prefix(1)), sets[1]);
    // Withdraw every prefix of one set: two sets remain.
    for (std::uint32_t i = 0; i < 10'000; ++i)
        if ((i * 7) % 3 == 0) rib.withdraw(v4_prefix(i));
    EXPECT_EQ(rib.attribute_sets(), 2u);
}

TEST(BgpRib, MemoryPerPrefixForAFullTable) {
    // 500,000 prefixes over 2,000 attribute sets (a full table from one
    // peer has tens of thousands at most; fewer per prefix is harder).
    AdjRibIn rib;
    const std::uint32_t n = 500'000;
    std::vector<Attributes> sets;
    for (std::uint32_t k = 0; k < 2'000; ++k)
        sets.push_back(attrs("192.0.2.1", {65001, 3356, 1000 + k, 2000 + k}, {0xfde90000u + k}));
    for (std::uint32_t i = 0; i < n; ++i) {
        Prefix p(Address::v4(0x01000000u + i * 32), 27);
        rib.announce(p, sets[i % sets.size()]);
    }
    EXPECT_EQ(rib.size(), n);
    EXPECT_EQ(rib.attribute_sets(), sets.size());
    double per_prefix = static_cast<double>(rib.memory_bytes()) / n;
    EXPECT_LT(per_prefix, 100.0);  // the daemon's budget is 400 for everything
    RecordProperty("bytes_per_prefix", std::to_string(per_prefix));
}

TEST(BgpRib, FedBySessionEffects) {
    SessionConfig c;
    c.local_as = 65000;
    c.router_id = 1;
    c.peer_as = 65001;
    Session s(c);
    AdjRibIn rib;
    auto run = [&](const std::vector<Effect>& fx) {
        for (const auto& e : fx) {
            if (auto* rc = std::get_if<RoutesChanged>(&e)) rib.apply(*rc);
            if (std::holds_alternative<SessionDown>(e)) rib.flush();
        }
    };
    s.tcp_connected(0);
    Open o;
    o.my_as = 65001;
    o.hold_time = 90;
    o.bgp_id = 2;
    o.capabilities = make_capabilities({kIpv4Unicast, kIpv6Unicast}, 65001);
    run(s.bytes_received(encode(o), 1));
    run(s.bytes_received(encode_keepalive(), 2));
    ASSERT_EQ(s.state(), State::Established);
    Update u;
    u.attrs.origin = Origin::igp;
    u.attrs.as_path = AsPath{{SegmentType::as_sequence, {65001}}, {SegmentType::as_set, {7, 8, 9}}};
    u.attrs.next_hop = A("192.0.2.1");
    for (std::uint32_t i = 0; i < 500; ++i) u.nlri.push_back(v4_prefix(i));
    run(s.bytes_received(encode(u), 3));
    EXPECT_EQ(rib.size(), 500u);
    EXPECT_EQ(rib.attribute_sets(), 1u);
    const auto* a = rib.find(v4_prefix(42));
    ASSERT_TRUE(a);
    EXPECT_EQ(a->as_path, (std::vector<std::uint32_t>{65001, 7, 8, 9}));
    EXPECT_EQ(a->path_length(), 2u);  // the AS_SET counts one
    EXPECT_TRUE(a->has_as_set);
    EXPECT_FALSE(a->origin_as());
    run(s.tcp_closed(4));
    EXPECT_EQ(rib.size(), 0u);
}
