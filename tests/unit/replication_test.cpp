#include "dht/replication.hpp"

#include <gtest/gtest.h>

using namespace sr;
using namespace sr::dht;

namespace {

constexpr std::int64_t S = kUsPerSecond;

Id id(std::uint64_t lo, std::uint64_t hi = 0) { return Id{hi, lo}; }
ReplicaPeer peer(std::uint64_t lo, std::uint64_t hi = 0) {
    return ReplicaPeer{id(lo, hi), "10.0.0." + std::to_string(lo % 250) + ":4000"};
}

std::vector<std::uint64_t> los(const std::vector<ReplicaPeer>& ps) {
    std::vector<std::uint64_t> out;
    for (auto& p : ps) out.push_back(p.id.lo);
    return out;
}

void put_key(Store& s, Id key) {
    Record r;
    r.key = key;
    r.writer = id(999);
    r.vid = 1;
    r.seq = 1;
    r.type = "kv";
    r.value = "v";
    r.expires_us = 100 * S;
    s.put(r, 0);
}

const ReplicaPeer self = peer(1000);
const std::vector<ReplicaPeer> ring = {peer(900), peer(950), peer(1100), peer(1200)};

std::vector<std::uint64_t> keys_for(const HandoverPlan& plan, std::uint64_t peer_lo) {
    for (auto& [p, keys] : plan.pushes)
        if (p.id == id(peer_lo)) {
            std::vector<std::uint64_t> out;
            for (auto& k : keys) out.push_back(k.lo);
            return out;
        }
    return {};
}

}  // namespace

TEST(ReplicaSet, ClosestFirstWithTiesToTheSmallerId) {
    std::vector<ReplicaPeer> leaf = {peer(50), peer(80), peer(120), peer(200), peer(300)};
    // key 110: 100 and 120 both at 10 (100 first), then 80 (30), 50 (60), 200 (90)
    EXPECT_EQ(los(replica_set(id(110), peer(100), leaf, 4)), (std::vector<std::uint64_t>{100, 120, 80, 50}));
    EXPECT_EQ(los(replica_set(id(110), peer(100), leaf, 1)), (std::vector<std::uint64_t>{100}));
    EXPECT_EQ(los(replica_set(id(290), peer(100), leaf, 2)), (std::vector<std::uint64_t>{300, 200}));
}

TEST(ReplicaSet, WrapsAroundZero) {
    const std::uint64_t top = ~0ull;  // id(top, top) = 2^128 - 1
    ReplicaPeer self_hi = peer(top - 100, top);  // just below 2^128
    std::vector<ReplicaPeer> leaf = {peer(5), peer(40), peer(top - 1000, top), peer(1000)};
    // key 2^128 - 3: self is 98 below, id 5 is 8 above (across zero), 40 is 43 above
    auto rs = replica_set(id(top - 2, top), self_hi, leaf, 3);
    ASSERT_EQ(rs.size(), 3u);
    EXPECT_EQ(rs[0].id, id(5));
    EXPECT_EQ(rs[1].id, id(40));
    EXPECT_EQ(rs[2].id, self_hi.id);
    // key 3: 5 is 2 above, the self is 104 away
    auto rs2 = replica_set(id(3), self_hi, leaf, 3);
    EXPECT_EQ(rs2[0].id, id(5));
    EXPECT_EQ(rs2[1].id, id(40));
    EXPECT_EQ(rs2[2].id, self_hi.id);
}

TEST(ReplicaSet, SmallOverlayReplicatesOnEveryone) {
    EXPECT_EQ(los(replica_set(id(7), self, {}, 4)), (std::vector<std::uint64_t>{1000}));
    EXPECT_EQ(los(replica_set(id(7), self, {peer(2000)}, 4)), (std::vector<std::uint64_t>{1000, 2000}));
    // Duplicates and the self in the leaf set count once.
    EXPECT_EQ(los(replica_set(id(7), self, {peer(2000), self, peer(2000)}, 4)),
              (std::vector<std::uint64_t>{1000, 2000}));
    EXPECT_EQ(replica_set(id(7), self, ring, 0).size(), 1u);
}

TEST(Handover, CloserNodeJoins) {
    Store s;
    // k = 3, self = 1000, ring 900 950 1100 1200:
    //   A=1010: [1000 950 1100] -> with 1020: [1000 1020 950]  push, stay
    //   B=1090: [1100 1000 1200] -> [1100 1020 1000]           push, stay
    //   C=1150: [1100 1200 1000] -> [1100 1200 1020]           push, drop
    //   D=930:  [950 900 1000]   -> unchanged                  nothing
    for (std::uint64_t k : {1010, 1090, 1150, 930}) put_key(s, id(k));
    auto joined = ring;
    joined.push_back(peer(1020));
    auto plan = plan_handover(s, self, ring, joined, 3, 0);
    ASSERT_EQ(plan.pushes.size(), 1u);
    EXPECT_EQ(plan.pushes[0].first, peer(1020));
    EXPECT_EQ(keys_for(plan, 1020), (std::vector<std::uint64_t>{1010, 1090, 1150}));
    EXPECT_EQ(plan.drop_after_push, std::vector<Id>{id(1150)});
}

TEST(Handover, ReplicaHolderDies) {
    Store s;
    //   A=1010: [1000 950 1100] -> without 950: [1000 1100 900]  push A to 900
    //   D=960:  [950 1000 900]  -> [1000 900 1100]               push D to 1100
    //   B=1090: [1100 1000 1200] -> unchanged                    nothing
    for (std::uint64_t k : {1010, 960, 1090}) put_key(s, id(k));
    std::vector<ReplicaPeer> after = {peer(900), peer(1100), peer(1200)};
    auto plan = plan_handover(s, self, ring, after, 3, 0);
    ASSERT_EQ(plan.pushes.size(), 2u);
    EXPECT_EQ(plan.pushes[0].first.id, id(900));  // ascending peer ids
    EXPECT_EQ(keys_for(plan, 900), (std::vector<std::uint64_t>{1010}));
    EXPECT_EQ(keys_for(plan, 1100), (std::vector<std::uint64_t>{960}));
    EXPECT_TRUE(plan.drop_after_push.empty());
}

TEST(Handover, TombstonesMoveExpiredKeysDoNot) {
    Store s;
    Record t;
    t.key = id(1010);
    t.writer = id(5);
    t.vid = 1;
    t.seq = 1;
    t.type = "kv";
    t.tombstone = true;
    t.expires_us = 100 * S;
    s.put(t, 0);
    Record e = t;
    e.key = id(1090);
    e.tombstone = false;
    e.expires_us = 10 * S;
    s.put(e, 0);
    auto joined = ring;
    joined.push_back(peer(1020));
    auto plan = plan_handover(s, self, ring, joined, 3, 20 * S);
    EXPECT_EQ(keys_for(plan, 1020), (std::vector<std::uint64_t>{1010}));
}

TEST(Handover, NoChangeNoPlan) {
    Store s;
    for (std::uint64_t k : {1010, 1090, 1150, 930}) put_key(s, id(k));
    EXPECT_TRUE(plan_handover(s, self, ring, ring, 3, 0).empty());
}

TEST(Handover, OrphanKeysFindAHome) {
    Store s;
    put_key(s, id(5000));  // with k = 2 its replicas are 1200 and 1100, not this node
    auto plan = plan_handover(s, self, ring, ring, 2, 0);
    EXPECT_EQ(keys_for(plan, 1200), (std::vector<std::uint64_t>{5000}));
    EXPECT_EQ(keys_for(plan, 1100), (std::vector<std::uint64_t>{5000}));
    EXPECT_EQ(plan.drop_after_push, std::vector<Id>{id(5000)});
}

TEST(Handover, SecondNodeOfASmallOverlayGetsEverything) {
    Store s;
    for (std::uint64_t k : {1, 500, 1000, 70000}) put_key(s, id(k));
    auto plan = plan_handover(s, self, {}, {peer(2000)}, 4, 0);
    EXPECT_EQ(keys_for(plan, 2000), (std::vector<std::uint64_t>{1, 500, 1000, 70000}));
    EXPECT_TRUE(plan.drop_after_push.empty());
}

// Works with any peer type that has an .id.
TEST(Handover, TemplatedOverThePeerType) {
    struct Node {
        Id id;
        int port;
    };
    Store s;
    put_key(s, id(1015));  // k = 1: this node is the only replica until 1020 joins
    std::vector<Node> before = {{id(950), 1}}, after = {{id(950), 1}, {id(1020), 2}};
    auto plan = plan_handover(s, Node{id(1000), 0}, before, after, 1, 0);
    ASSERT_EQ(plan.pushes.size(), 1u);
    EXPECT_EQ(plan.pushes[0].first.port, 2);
    EXPECT_EQ(plan.drop_after_push, std::vector<Id>{id(1015)});
}
