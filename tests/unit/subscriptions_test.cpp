// Listen subscriptions at a key's root (subscriptions.hpp): the bounds, and
// that refused requests leave nothing behind.
#include "dht/subscriptions.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace sr;
using namespace sr::dht;

namespace {

pastry::NodeRef node(std::uint64_t i) { return {Id{0xabc, i + 1}, "192.0.2.1:" + std::to_string(10000 + i % 50000)}; }
const Id kKey = Id::hash("kv", "hot");

}  // namespace

TEST(Subscriptions, RefreshKeepsOneEntry) {
    Subscriptions s;
    EXPECT_FALSE(s.subscribe(kKey, node(1), 7, 100));
    EXPECT_FALSE(s.subscribe(kKey, node(1), 7, 200));
    EXPECT_EQ(s.size(), 1u);
    EXPECT_EQ(s.held_by(node(1).id), 1u);
    s.expire(150);
    EXPECT_EQ(s.size(), 1u);  // refreshed to 200
    s.expire(200);
    EXPECT_EQ(s.size(), 0u);
    EXPECT_EQ(s.nodes(), 0u);
}

TEST(Subscriptions, OneNodeGetsItsShareOfAKey) {
    Subscriptions s;
    for (std::uint64_t id = 1; id <= s.limits().per_node_key; ++id) EXPECT_FALSE(s.subscribe(kKey, node(1), id, 100));
    auto r = s.subscribe(kKey, node(1), 99, 100);
    ASSERT_TRUE(r);
    EXPECT_STREQ(r->which, "node_key");
    EXPECT_FALSE(s.subscribe(kKey, node(2), 99, 100));  // another node still may
}

// An open-overlay peer claims a fresh origin id in every listen request on a
// key whose slots are taken: each is refused, and none may leave a per-node
// count behind (the table would grow without bound).
TEST(Subscriptions, RefusedFreshNodeIdsLeaveNoTrace) {
    SubscriptionLimits lim;
    lim.per_key = 8;
    lim.total = 16;
    Subscriptions s(lim);
    for (std::uint64_t i = 0; i < lim.per_key; ++i) ASSERT_FALSE(s.subscribe(kKey, node(i), 1, 1'000'000));
    ASSERT_EQ(s.nodes(), lim.per_key);
    for (std::uint64_t i = 1000; i < 21000; ++i) {
        auto r = s.subscribe(kKey, node(i), 1, 1'000'000);
        ASSERT_TRUE(r);
        EXPECT_STREQ(r->which, "key");
    }
    EXPECT_EQ(s.nodes(), lim.per_key);
    EXPECT_EQ(s.held_by(node(1000).id), 0u);
    // Refused by the total as well.
    for (std::uint64_t i = 0; i < lim.total - lim.per_key; ++i)
        ASSERT_FALSE(s.subscribe(Id::hash("kv", "k" + std::to_string(i)), node(i), 1, 1'000'000));
    for (std::uint64_t i = 30000; i < 40000; ++i) {
        auto r = s.subscribe(Id::hash("kv", "other"), node(i), 1, 1'000'000);
        ASSERT_TRUE(r);
        EXPECT_STREQ(r->which, "total");
    }
    EXPECT_EQ(s.size(), lim.total);
    EXPECT_EQ(s.nodes(), lim.per_key);  // nodes 0..7 hold all 16
}

TEST(Subscriptions, ANodeHasAMaximumInAll) {
    SubscriptionLimits lim;
    lim.per_node = 3;
    Subscriptions s(lim);
    for (int i = 0; i < 3; ++i) ASSERT_FALSE(s.subscribe(Id::hash("kv", std::to_string(i)), node(5), 1, 100));
    auto r = s.subscribe(Id::hash("kv", "x"), node(5), 1, 100);
    ASSERT_TRUE(r);
    EXPECT_STREQ(r->which, "node");
    EXPECT_EQ(s.held_by(node(5).id), 3u);
    s.expire(100);
    EXPECT_EQ(s.nodes(), 0u);
    EXPECT_FALSE(s.subscribe(Id::hash("kv", "x"), node(5), 1, 200));
}

TEST(Subscriptions, ForKeySkipsExpiredAndOtherKeys) {
    Subscriptions s;
    s.subscribe(kKey, node(1), 1, 100);
    s.subscribe(kKey, node(2), 2, 300);
    s.subscribe(Id::hash("kv", "cold"), node(3), 3, 300);
    std::vector<std::uint64_t> ids;
    s.for_key(kKey, 200, [&](std::uint64_t id, const Subscriptions::Entry& e) {
        ids.push_back(id);
        EXPECT_EQ(e.node, node(2));
    });
    EXPECT_EQ(ids, (std::vector<std::uint64_t>{2}));
}
