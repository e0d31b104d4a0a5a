// lib/prox: longest-prefix match against a brute-force reference on random
// tables, both families. Prefixes are drawn around a few bases so that they
// nest and overlap heavily; queries are drawn near them and at random.
#include "prox/lpm.hpp"

#include <gtest/gtest.h>

#include <random>

namespace {

using namespace sr::prox;
using Route = Lpm::Route;

std::optional<std::uint32_t> brute(const std::vector<Route>& routes, const Address& a) {
    int best_len = -1;
    std::optional<std::uint32_t> best;
    for (auto& [p, v] : routes)
        if (p.contains(a) && p.len >= best_len) {  // >=: the later duplicate wins
            best_len = p.len;
            best = v;
        }
    return best;
}

Address random_near(std::mt19937_64& rng, const std::vector<Address>& bases, Family f, int keep_max) {
    Address a = bases[rng() % bases.size()];
    int n = f == Family::v4 ? 4 : 16;
    int keep = static_cast<int>(rng() % (keep_max + 1));  // leading bits kept from the base
    for (int i = keep; i < n * 8; ++i)
        if (rng() & 1) a.bytes[i / 8] ^= static_cast<std::uint8_t>(0x80 >> (i % 8));
    return a;
}

// min_len: the shortest prefix drawn (a table of many short IPv4 prefixes
// would have DIR-24-8 paint millions of entries per route).
void check_family(Family f, std::uint64_t seed, int routes_n, int queries, int min_len = 0) {
    std::mt19937_64 rng(seed);
    int bits = f == Family::v4 ? 32 : 128;
    std::vector<Address> bases;
    for (int i = 0; i < 4; ++i) {
        Address a;
        a.family = f;
        for (int j = 0; j < bits / 8; ++j) a.bytes[j] = static_cast<std::uint8_t>(rng());
        bases.push_back(a);
    }
    std::vector<Route> routes;
    for (int i = 0; i < routes_n; ++i) {
        int len;
        auto r = rng() % 10;
        if (r == 0) len = static_cast<int>(rng() % (bits + 1));            // anywhere
        else if (r < 4) len = f == Family::v4 ? 24 : 48;                    // the common lengths
        else if (r < 6) len = f == Family::v4 ? 25 + rng() % 8 : 64 + rng() % 65;  // long ones
        else len = static_cast<int>(rng() % (bits / 2 + 1));
        len = std::max(len, min_len);
        Prefix p(random_near(rng, bases, f, len), len);
        routes.push_back({p, static_cast<std::uint32_t>(rng() % 1000)});
        if (rng() % 20 == 0) routes.push_back({p, static_cast<std::uint32_t>(rng() % 1000)});  // duplicate
    }
    Lpm lpm(routes);
    int hits = 0;
    for (int q = 0; q < queries; ++q) {
        Address a = random_near(rng, bases, f, bits);
        auto want = brute(routes, a);
        hits += want.has_value();
        ASSERT_EQ(lpm.lookup(a), want) << a.str() << " seed " << seed;
        // A query on a prefix's own first address exercises exact boundaries.
        const auto& p = routes[rng() % routes.size()].first;
        ASSERT_EQ(lpm.lookup(p.addr), brute(routes, p.addr)) << p.str();
    }
    EXPECT_GT(hits, queries / 4);  // the test is not vacuous
}

TEST(ProxLpm, IPv4MatchesBruteForce) {
    for (std::uint64_t seed = 1; seed <= 12; ++seed) check_family(Family::v4, seed, 50 + 40 * seed, 2000);
}

// From kSmallV4 routes on, IPv4 goes to DIR-24-8; below, to the hashed table.
TEST(ProxLpm, LargeIPv4TableMatchesBruteForce) { check_family(Family::v4, 99, Lpm::kSmallV4 + 500, 100, 12); }

TEST(ProxLpm, SmallIPv4TableTakesNoDirectTable) {
    std::vector<Route> routes;
    for (std::uint32_t i = 0; i < 1000; ++i) routes.push_back({Prefix(Address::v4(0x0a000000 | i << 8), 24), i});
    Lpm lpm(routes);
    EXPECT_LT(lpm.memory_bytes(), std::size_t{1} << 20);
    EXPECT_EQ(lpm.lookup(*Address::parse("10.0.3.7")), 3u);
}

TEST(ProxLpm, IPv6MatchesBruteForce) {
    for (std::uint64_t seed = 1; seed <= 12; ++seed) check_family(Family::v6, seed, 50 + 40 * seed, 2000);
}

TEST(ProxLpm, MixedFamiliesDoNotMeet) {
    std::vector<Route> routes = {{*Prefix::parse("0.0.0.0/0"), 1}, {*Prefix::parse("::/0"), 2},
                                 {*Prefix::parse("::ffff:0:0/96"), 3}};
    Lpm lpm(routes);
    EXPECT_EQ(lpm.lookup(*Address::parse("10.1.2.3")), 1u);
    EXPECT_EQ(lpm.lookup(*Address::parse("2001:db8::1")), 2u);
    EXPECT_EQ(lpm.lookup(*Address::parse("::ffff:10.1.2.3")), 3u);
}

TEST(ProxLpm, EmptyAndEdges) {
    Lpm empty;
    EXPECT_FALSE(empty.lookup(*Address::parse("1.2.3.4")));
    EXPECT_FALSE(empty.lookup(*Address::parse("::1")));
    EXPECT_EQ(empty.memory_bytes(), 0u);
    std::vector<Route> routes = {{*Prefix::parse("10.0.0.0/8"), 0},  {*Prefix::parse("10.1.2.3/32"), 7},
                                 {*Prefix::parse("10.1.2.0/25"), 5}, {*Prefix::parse("10.1.0.0/16"), Lpm::kMaxValue},
                                 {*Prefix::parse("2001:db8::/32"), 9}, {*Prefix::parse("2001:db8::1/128"), 10}};
    Lpm lpm(routes);
    EXPECT_EQ(lpm.lookup(*Address::parse("10.200.0.1")), 0u);  // value 0 is a value
    EXPECT_EQ(lpm.lookup(*Address::parse("10.1.2.3")), 7u);
    EXPECT_EQ(lpm.lookup(*Address::parse("10.1.2.4")), 5u);
    EXPECT_EQ(lpm.lookup(*Address::parse("10.1.2.200")), Lpm::kMaxValue);
    EXPECT_EQ(lpm.lookup(*Address::parse("11.0.0.0")), std::nullopt);
    EXPECT_EQ(lpm.lookup(*Address::parse("2001:db8::1")), 10u);
    EXPECT_EQ(lpm.lookup(*Address::parse("2001:db8::2")), 9u);
    EXPECT_EQ(lpm.lookup(*Address::parse("2001:db9::")), std::nullopt);
    EXPECT_EQ(lpm.v4_routes(), 4u);
    EXPECT_EQ(lpm.v6_routes(), 2u);
    std::vector<Route> bad = {{*Prefix::parse("10.0.0.0/8"), Lpm::kMaxValue + 1}};
    EXPECT_THROW(Lpm{bad}, std::invalid_argument);
}

}  // namespace

// Endpoints as sr-ctl and sr-lookup print them are addresses too (issue 13).
TEST(ProxAddress, ParseEndpointTakesAddressesAndEndpoints) {
    using sr::prox::Address;
    EXPECT_EQ(Address::parse_endpoint("192.0.2.1")->str(), "192.0.2.1");
    EXPECT_EQ(Address::parse_endpoint("192.0.2.1:4100")->str(), "192.0.2.1");
    EXPECT_EQ(Address::parse_endpoint("2001:db8::1")->str(), "2001:db8::1");
    EXPECT_EQ(Address::parse_endpoint("[2001:db8::1]:4100")->str(), "2001:db8::1");
    EXPECT_EQ(Address::parse_endpoint("[2001:db8::1]")->str(), "2001:db8::1");
    for (const char* bad : {"", "192.0.2.1:", "192.0.2.1:x", "192.0.2.1:123456", "[192.0.2.1]:80", "[2001:db8::1",
                            "[2001:db8::1]x", "host:80", "::1:80:"})
        EXPECT_FALSE(Address::parse_endpoint(bad)) << bad;
}
