// lib/prox: Topology model and the native topology file.
#include "prox/topology.hpp"
#include "prox/topology_file.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace {

using namespace sr::prox;

std::string error_of(std::string_view text, const Topology* base = nullptr) {
    try {
        if (base) parse_topology(text, "net.topo", *base);
        else parse_topology(text, "net.topo");
    } catch (const sr::Error& e) {
        EXPECT_EQ(e.code, "config");
        return e.what();
    }
    return "";
}

TEST(ProxTopology, ModelBasics) {
    Topology t;
    auto v0 = t.version();
    auto a = t.add_router("a");
    auto b = t.add_router("b");
    EXPECT_NE(t.version(), v0);
    t.add_link(a, b, 10);
    t.add_link(b, a, 5);  // parallel: keeps the smaller metric both ways
    t.add_link(a, b, 7);
    ASSERT_EQ(t.links(a).size(), 1u);
    EXPECT_EQ(t.links(a)[0].metric, 5u);
    EXPECT_EQ(t.links(b)[0].metric, 5u);
    EXPECT_EQ(t.link_count(), 1u);
    EXPECT_THROW(t.add_router("a"), std::invalid_argument);
    EXPECT_THROW(t.add_link(a, a, 1), std::invalid_argument);
    EXPECT_THROW(t.add_link(a, b, 0), std::invalid_argument);
    t.add_address(a, *Address::parse("192.0.2.1"));
    EXPECT_THROW(t.add_address(b, *Address::parse("192.0.2.1")), std::invalid_argument);
    EXPECT_EQ(t.router_of(*Address::parse("192.0.2.1")), a);
    EXPECT_FALSE(t.router_of(*Address::parse("192.0.2.2")));
    Topology copy = t;
    EXPECT_EQ(copy.version(), t.version());
    copy.add_router("c");
    EXPECT_NE(copy.version(), t.version());
}

TEST(ProxTopology, ParsesAllStatements) {
    auto t = parse_topology(R"(# a small network
router ams 192.0.2.1 2001:db8::1   # loopbacks
router "New York" 192.0.2.2
link ams "New York" 80
link ams fra 10     # fra is declared below
router fra
prefix 10.0.0.0/8 ams
prefix 2001:db8:100::/48 "New York"
)",
                            "net.topo");
    ASSERT_EQ(t.size(), 3u);
    auto ams = *t.find("ams"), ny = *t.find("New York"), fra = *t.find("fra");
    EXPECT_EQ(t.name(ny), "New York");
    EXPECT_EQ(t.link_count(), 2u);
    EXPECT_EQ(t.router_of(*Address::parse("2001:db8::1")), ams);
    EXPECT_EQ(t.router_of(*Address::parse("192.0.2.2")), ny);
    ASSERT_EQ(t.prefixes().size(), 2u);
    EXPECT_EQ(t.prefixes()[0].first.str(), "10.0.0.0/8");
    EXPECT_EQ(t.prefixes()[1].second, ny);
    EXPECT_EQ(t.links(fra).size(), 1u);
}

TEST(ProxTopology, ErrorsNameFileLineAndProblem) {
    struct Case {
        const char* text;
        const char* expect;
    } cases[] = {
        {"router a\nrouter a\n", "net.topo:2: duplicate router 'a' (first on line 1)"},
        {"router a\nlink a b 3\n", "net.topo:2: unknown router 'b'"},
        {"router a\nprefix 10.0.0.0/8 zz\n", "net.topo:2: unknown router 'zz'"},
        {"router a\nrouter b\nlink a b 0\n", "net.topo:3: bad metric '0'"},
        {"router a\nrouter b\nlink a b -3\n", "bad metric '-3'"},
        {"router a\nrouter b\nlink a b 4294967296\n", "bad metric"},
        {"router a\nrouter b\nlink a b 1x\n", "bad metric '1x'"},
        {"router a\nrouter b\nlink a b 1 2\n", "net.topo:3: trailing junk '2'"},
        {"router a\nlink a a 1\n", "to itself"},
        {"router a\nlink a\n", "link needs NAME NAME METRIC"},
        {"router a\nprefix 10.0.0.0/33 a\n", "bad CIDR '10.0.0.0/33'"},
        {"router a\nprefix 10.0.0.0 a\n", "bad CIDR"},
        {"router a\nprefix 10.1.2.3/8 a\n", "host bits set in '10.1.2.3/8' (did you mean 10.0.0.0/8?)"},
        {"router a\nprefix 10.0.0.0/8 a b\n", "trailing junk 'b'"},
        {"router a 10.0.0.300\n", "net.topo:1: bad address '10.0.0.300'"},
        {"router a 10.0.0.1\nrouter b 10.0.0.1\n", "net.topo:2: address 10.0.0.1 already belongs to router 'a'"},
        {"router a\nrouter b\nprefix 10.0.0.0/8 a\nprefix 10.0.0.0/8 b\n", "net.topo:4: prefix 10.0.0.0/8 already attached"},
        {"\n\nswitch a\n", "net.topo:3: unknown statement 'switch'"},
        {"router \"a b\n", "unterminated"},
        {"router\n", "router needs a NAME"},
    };
    for (auto& c : cases) {
        auto msg = error_of(c.text);
        EXPECT_NE(msg.find(c.expect), std::string::npos) << "input:\n" << c.text << "got: " << msg;
    }
}

TEST(ProxTopology, FailedParseLeavesBaseUntouched) {
    auto base = parse_topology("router a\nrouter b\nlink a b 3\n", "base.topo");
    auto version = base.version();
    EXPECT_NE(error_of("prefix 10.0.0.0/8 a\nlink a b 0\n", &base), "");
    EXPECT_EQ(base.version(), version);
    EXPECT_TRUE(base.prefixes().empty());
    EXPECT_EQ(base.links(0)[0].metric, 3u);
}

TEST(ProxTopology, MergeOntoBase) {
    auto base = parse_topology("router \"New York\"\nrouter Chicago\nlink \"New York\" Chicago 1145\n", "g");
    auto merged = parse_topology(
        "router \"New York\" 192.0.2.1\nprefix 198.51.100.0/24 Chicago\nrouter extra\nlink extra Chicago 5\n",
        "p.topo", base);
    EXPECT_EQ(merged.size(), 3u);
    EXPECT_EQ(merged.router_of(*Address::parse("192.0.2.1")), merged.find("New York"));
    EXPECT_EQ(merged.prefixes().size(), 1u);
    EXPECT_EQ(base.size(), 2u);
    EXPECT_TRUE(base.addresses().empty());
    // Duplicates within the one merged file are still errors.
    EXPECT_NE(error_of("router Chicago\nrouter Chicago\n", &base).find("duplicate router"), std::string::npos);
}

TEST(ProxTopology, LoadMissingFileIsConfigError) {
    try {
        load_topology_file("/nonexistent/x.topo");
        FAIL();
    } catch (const sr::Error& e) {
        EXPECT_EQ(e.code, "config");
        EXPECT_NE(std::string(e.what()).find("/nonexistent/x.topo"), std::string::npos);
    }
}

}  // namespace
