// Deterministic tests of the sans-IO Pastry core: hand-made ids, a fake
// clock and a tiny in-test network that delivers Send effects.
#include "dht/pastry.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <set>

using namespace sr;
using namespace sr::pastry;

namespace {

Id mk(std::uint64_t hi, std::uint64_t lo = 0) { return Id{hi, lo}; }
NodeRef ref(std::uint64_t hi, const std::string& addr) { return NodeRef{mk(hi), addr}; }

template <class T>
std::vector<T> effects_of(const std::vector<Effect>& effs) {
    std::vector<T> out;
    for (const auto& e : effs)
        if (auto* x = std::get_if<T>(&e)) out.push_back(*x);
    return out;
}

template <class M>
std::vector<Send> sends_of(const std::vector<Effect>& effs) {
    std::vector<Send> out;
    for (const auto& s : effects_of<Send>(effs))
        if (std::holds_alternative<M>(s.msg)) out.push_back(s);
    return out;
}

std::vector<Id> ids(const std::vector<NodeRef>& v) {
    std::vector<Id> out;
    for (const auto& n : v) out.push_back(n.id);
    return out;
}

// A node alone in its ring, ready to receive.
std::unique_ptr<Node> lone(const NodeRef& self, Config cfg = {}) {
    auto n = std::make_unique<Node>(self, cfg, 0);
    auto e = n->bootstrap({}, 0);
    EXPECT_EQ(effects_of<Joined>(e).size(), 1u);
    return n;
}

// Tell `n` that `peer` exists, by a message straight from it.
void meet(Node& n, const NodeRef& peer, std::int64_t now = 0) { n.receive(Ping{peer, 0, false}, now); }

// ---- a tiny deterministic network ---------------------------------------------------

struct Net {
    struct Flight {
        std::string from;
        Send send;
    };
    std::map<std::string, std::unique_ptr<Node>> nodes;
    std::set<std::string> dead;
    std::multimap<std::int64_t, Flight> queue;
    std::map<std::string, std::vector<Effect>> log;  // every non-Send effect per node
    std::function<std::int64_t(const std::string&, const std::string&)> latency =
        [](const std::string&, const std::string&) { return std::int64_t{10'000}; };
    std::int64_t now = 0;
    Config cfg;
    std::uint64_t delivered = 0;

    Node& add(const NodeRef& self, const std::vector<std::string>& seeds) {
        auto& n = nodes[self.addr];
        n = std::make_unique<Node>(self, cfg, now);
        apply(self.addr, n->bootstrap(seeds, now));
        return *n;
    }
    void apply(const std::string& from, std::vector<Effect> effs) {
        for (auto& e : effs) {
            if (auto* s = std::get_if<Send>(&e)) {
                auto at = now + latency(from, s->to.addr);
                queue.emplace(at, Flight{from, std::move(*s)});
            } else {
                log[from].push_back(std::move(e));
            }
        }
    }
    void run_until(std::int64_t t) {
        for (;;) {
            std::int64_t tq = queue.empty() ? INT64_MAX : queue.begin()->first;
            std::int64_t tn = INT64_MAX;
            std::string who;
            for (auto& [a, n] : nodes)
                if (!dead.count(a) && n->next_wakeup() < tn) {
                    tn = n->next_wakeup();
                    who = a;
                }
            std::int64_t next = std::min(tq, tn);
            if (next > t) break;
            now = std::max(now, next);
            if (tq <= tn) {
                auto f = std::move(queue.begin()->second);
                queue.erase(queue.begin());
                auto it = nodes.find(f.send.to.addr);
                if (it == nodes.end() || dead.count(f.send.to.addr)) continue;  // lost
                ++delivered;
                apply(it->first, it->second->receive(f.send.msg, now));
            } else {
                apply(who, nodes[who]->tick(now));
            }
        }
        now = t;
    }
    std::vector<const Node*> live() const {
        std::vector<const Node*> v;
        for (auto& [a, n] : nodes)
            if (!dead.count(a) && n->joined()) v.push_back(n.get());
        return v;
    }
    // The leaf-set halves every node should have, by brute force.
    void expect_consistent_leaf_sets() const {
        auto all = live();
        for (const Node* x : all) {
            std::vector<Id> others;
            for (const Node* y : all)
                if (y != x) others.push_back(y->self().id);
            const Id& s = x->self().id;
            std::size_t h = static_cast<std::size_t>(cfg.leaf_set_size / 2);
            auto right = others, left = others;
            std::sort(right.begin(), right.end(), [&](const Id& a, const Id& b) { return (a - s) < (b - s); });
            std::sort(left.begin(), left.end(), [&](const Id& a, const Id& b) { return (s - a) < (s - b); });
            right.resize(std::min(h, right.size()));
            left.resize(std::min(h, left.size()));
            EXPECT_EQ(ids(x->leaf_right()), right) << "right half of " << x->self().addr;
            EXPECT_EQ(ids(x->leaf_left()), left) << "left half of " << x->self().addr;
        }
    }
    // Follows next_hop from `from` and returns where the route ends. A hop
    // to a dead node fails like a refused connection: the sender is told
    // (peer_unreachable) and picks again.
    const Node* route(const Node* from, const Id& key, int* hops = nullptr) {
        Node* cur = nodes.at(from->self().addr).get();
        for (int i = 0, tries = 0; i < 64 && tries < 64; ++tries) {
            auto nh = cur->next_hop(key);
            if (!nh) {
                if (hops) *hops = i;
                return cur;
            }
            if (dead.count(nh->addr)) {
                apply(cur->self().addr, cur->peer_unreachable(*nh, now));
                continue;
            }
            cur = nodes.at(nh->addr).get();
            ++i;
        }
        return nullptr;
    }
    const Node* root_of(const Id& key) const {
        const Node* best = nullptr;
        for (const Node* n : live())
            if (!best || closer_to(key, n->self().id, best->self().id)) best = n;
        return best;
    }
};

}  // namespace

// ---- data structures ---------------------------------------------------------------

TEST(PastryLeafSet, HalvesSortedNearestFirstAndBounded) {
    LeafSet ls(mk(0x8000000000000000), 2);
    for (std::uint64_t h : std::initializer_list<std::uint64_t>{0x8100000000000000, 0x8200000000000000, 0x8300000000000000, 0x7f00000000000000,
                            0x7e00000000000000, 0x7d00000000000000})
        ls.insert(NodeRef{mk(h), "a"});
    EXPECT_EQ(ids(ls.right()), (std::vector<Id>{mk(0x8100000000000000), mk(0x8200000000000000)}));
    EXPECT_EQ(ids(ls.left()), (std::vector<Id>{mk(0x7f00000000000000), mk(0x7e00000000000000)}));
    EXPECT_FALSE(ls.wraps());
    EXPECT_TRUE(ls.in_range(mk(0x7e00000000000000)));
    EXPECT_TRUE(ls.in_range(mk(0x81ffffffffffffff)));
    EXPECT_FALSE(ls.in_range(mk(0x8300000000000000)));
    EXPECT_FALSE(ls.in_range(mk(0x1000000000000000)));
    EXPECT_FALSE(ls.would_accept(mk(0x8300000000000000)));
    EXPECT_TRUE(ls.would_accept(mk(0x8080000000000000)));
    LeafSet::Delta d;
    EXPECT_TRUE(ls.insert(NodeRef{mk(0x8080000000000000), "b"}, &d));
    ASSERT_EQ(d.entered.size(), 1u);
    ASSERT_EQ(d.left.size(), 1u);
    EXPECT_EQ(d.left[0].id, mk(0x8200000000000000));
    EXPECT_TRUE(ls.remove(mk(0x7f00000000000000)));
    EXPECT_FALSE(ls.contains(mk(0x7f00000000000000)));
    EXPECT_EQ(ls.size(), 3u);
}

TEST(PastryLeafSet, SmallRingWrapsAndSharesMembers) {
    LeafSet ls(mk(0x1000000000000000), 4);
    ls.insert(NodeRef{mk(0x5000000000000000), "a"});
    ls.insert(NodeRef{mk(0xa000000000000000), "b"});
    EXPECT_EQ(ls.left().size(), 2u);
    EXPECT_EQ(ls.right().size(), 2u);
    EXPECT_EQ(ls.size(), 2u);
    EXPECT_TRUE(ls.wraps());
    EXPECT_TRUE(ls.in_range(mk(0xffff000000000000)));
    auto none = [](const NodeRef&) { return false; };
    EXPECT_EQ(ls.closest(mk(0x9000000000000000), none), mk(0xa000000000000000));
    EXPECT_EQ(ls.closest(mk(0x0000000000000001), none), mk(0x1000000000000000));  // self
}

TEST(PastryRoutingTable, SlotsFollowSharedPrefixAndDigit) {
    RoutingTable rt(mk(0x1234000000000000), 4);
    EXPECT_EQ(rt.rows(), 32);
    EXPECT_EQ(rt.cols(), 16);
    auto s = rt.slot_for(mk(0x1284000000000000));
    ASSERT_TRUE(s);
    EXPECT_EQ(s->row, 2);
    EXPECT_EQ(s->col, 8);
    EXPECT_FALSE(rt.slot_for(mk(0x1234000000000000)));
    EXPECT_FALSE(rt.set(NodeRef{mk(0x1284000000000000), "a"}));
    auto prev = rt.set(NodeRef{mk(0x1285000000000000), "b"});
    ASSERT_TRUE(prev);
    EXPECT_EQ(prev->addr, "a");
    EXPECT_TRUE(rt.contains(mk(0x1285000000000000)));
    EXPECT_EQ(rt.size(), 1u);
    EXPECT_TRUE(rt.remove(mk(0x1285000000000000)));
    EXPECT_EQ(rt.depth(), 0);
}

// ---- routing -------------------------------------------------------------------------

TEST(PastryRouting, NextHopUsesLeafSetThenRoutingTableThenRareCase) {
    Config cfg;
    cfg.leaf_set_size = 4;  // two on each side
    auto n = lone(ref(0x8000000000000000, "self"), cfg);
    for (auto [h, a] : std::vector<std::pair<std::uint64_t, std::string>>{
             {0x8010000000000000, "r1"}, {0x8020000000000000, "r2"}, {0x7ff0000000000000, "l1"},
             {0x7fe0000000000000, "l2"}, {0x3000000000000000, "row0-3"}, {0x8500000000000000, "row1-5"},
             {0xc000000000000000, "row0-c"}})
        meet(*n, ref(h, a));
    ASSERT_EQ(n->leaf_set().size(), 4u);

    // In leaf range: numerically closest of leaves and self.
    EXPECT_EQ(n->next_hop(mk(0x8019000000000000))->addr, "r2");
    EXPECT_EQ(n->next_hop(mk(0x8017000000000000))->addr, "r1");
    EXPECT_FALSE(n->next_hop(mk(0x8000000000000001)));  // we are the root
    EXPECT_FALSE(n->next_hop(mk(0x8000000000000000)));
    // Tie between self (0x80..00) and r1 (0x8010..): key midway; smaller id wins.
    EXPECT_FALSE(n->next_hop(mk(0x8008000000000000)));
    // Outside the range: routing table, row = shared prefix, column = key digit.
    EXPECT_EQ(n->next_hop(mk(0x3abc000000000000))->addr, "row0-3");
    EXPECT_EQ(n->next_hop(mk(0x85ff000000000000))->addr, "row1-5");
    // Rare case: no entry for 0x9..., but "row0-c" shares 0 digits (>= l=0)
    // and is numerically closer to 0x9f00.. than we are... and r2 is closest
    // of those sharing the prefix: pick the closest such node.
    EXPECT_EQ(n->next_hop(mk(0xbf00000000000000))->addr, "row0-c");
    // And with nothing closer known than ourselves we are the root.
    auto m = lone(ref(0x8000000000000000, "self"), cfg);
    meet(*m, ref(0x8010000000000000, "r1"));
    meet(*m, ref(0x8020000000000000, "r2"));
    meet(*m, ref(0x7ff0000000000000, "l1"));
    meet(*m, ref(0x7fe0000000000000, "l2"));
    meet(*m, ref(0x8030000000000000, "r3"));
    // Rare case: r3 (0x8030.., routing table row 2) is closer to 0x84.. than r2.
    EXPECT_EQ(m->next_hop(mk(0x8400000000000000))->addr, "r3");
}

TEST(PastryRouting, ReplicaSetIsClosestFirst) {
    auto n = lone(ref(0x8000000000000000, "self"));
    meet(*n, ref(0x8010000000000000, "a"));
    meet(*n, ref(0x7ff0000000000000, "b"));
    meet(*n, ref(0x8100000000000000, "c"));
    auto r = n->replica_set(mk(0x8011000000000000), 3);
    ASSERT_EQ(r.size(), 3u);
    EXPECT_EQ(r[0].addr, "a");
    EXPECT_EQ(r[1].addr, "self");
    EXPECT_EQ(r[2].addr, "b");
    EXPECT_EQ(n->replica_set(mk(1), 10).size(), 4u);
}

// A suspected leaf (a probe missed, not yet declared dead) is skipped by
// routing, so the replica set skips it too: its first node is the one
// messages for the key are delivered to. Scribe's root handover relies on
// that: a root the replica set says is not first hands over and rejoins the
// tree, and when routing brought its Join back to itself it became root
// again and asked again, without end (sr-scribe-sim after mass failure).
TEST(PastryRouting, ReplicaSetSkipsSuspectsAsRoutingDoes) {
    auto n = lone(ref(0x8000000000000000, "self"));
    meet(*n, ref(0x8010000000000000, "a"));
    meet(*n, ref(0x7ff0000000000000, "b"));
    Id key = mk(0x8011000000000000);
    ASSERT_EQ(n->next_hop(key)->addr, "a");
    n->peer_unreachable(NodeRef{Id{}, "a"}, 10);  // one miss: suspected, still a leaf
    ASSERT_EQ(n->leaf_set().size(), 2u);
    EXPECT_FALSE(n->next_hop(key));  // self is the closest not suspected
    auto r = n->replica_set(key, 2);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].addr, "self");
    EXPECT_EQ(r[1].addr, "b");
}

// ---- join ------------------------------------------------------------------------------

TEST(PastryJoin, AloneWithoutSeeds) {
    Node n(ref(0x42, "x"), Config{}, 0);
    auto e = n.bootstrap({}, 0);
    EXPECT_EQ(effects_of<Joined>(e).size(), 1u);
    EXPECT_TRUE(n.joined());
    EXPECT_FALSE(n.next_hop(mk(0x1234)));
}

TEST(PastryJoin, SeveralNodesBuildCorrectLeafSets) {
    Net net;
    net.cfg.leaf_set_size = 4;
    std::vector<std::uint64_t> his = {0x1000000000000000, 0x9000000000000000, 0x5000000000000000,
                                      0x5100000000000000, 0xe000000000000000, 0x2000000000000000,
                                      0x5080000000000000, 0xa000000000000000, 0x0100000000000000};
    for (std::size_t i = 0; i < his.size(); ++i) {
        std::vector<std::string> seeds;
        if (i > 0) seeds.push_back("n0");
        net.add(ref(his[i], "n" + std::to_string(i)), seeds);
        net.run_until(net.now + 500'000);
    }
    net.run_until(net.now + 3'000'000);
    for (const Node* n : net.live()) EXPECT_TRUE(n->joined());
    EXPECT_EQ(net.live().size(), his.size());
    net.expect_consistent_leaf_sets();
    // Every key reaches its root from every node.
    for (std::uint64_t k = 0; k < 64; ++k) {
        Id key = mk(k * 0x0400000000000000 + 0x123456789, k);
        for (const Node* from : net.live()) EXPECT_EQ(net.route(from, key), net.root_of(key));
    }
    // Joiners announced themselves: LeafSetChanged effects came out.
    EXPECT_FALSE(effects_of<LeafSetChanged>(net.log["n0"]).empty());
}

TEST(PastryJoin, ConcurrentJoinsConverge) {
    Net net;
    net.cfg.leaf_set_size = 4;
    net.add(ref(0x1000000000000000, "n0"), {});
    for (int i = 1; i < 12; ++i)  // all at once, through the same seed
        net.add(ref(0x1000000000000000 + static_cast<std::uint64_t>(i) * 0x0100000000000000, "n" + std::to_string(i)),
                {"n0"});
    net.run_until(5'000'000);
    EXPECT_EQ(net.live().size(), 12u);
    net.expect_consistent_leaf_sets();
}

TEST(PastryJoin, TriesNextSeedAfterTimeout) {
    Config cfg;
    Node n(ref(0x42, "x"), cfg, 0);
    auto e = n.bootstrap({"dead:1", "alive:2"}, 0);
    auto js = sends_of<JoinRequest>(e);
    ASSERT_EQ(js.size(), 1u);
    EXPECT_EQ(js[0].to.addr, "dead:1");
    EXPECT_EQ(js[0].to.id, Id{});
    EXPECT_EQ(n.next_wakeup(), cfg.join_timeout_us);
    e = n.tick(cfg.join_timeout_us);
    js = sends_of<JoinRequest>(e);
    ASSERT_EQ(js.size(), 1u);
    EXPECT_EQ(js[0].to.addr, "alive:2");
    EXPECT_FALSE(n.joined());
    // The root answers: joined, and everyone learned is announced to.
    e = n.receive(JoinReply{ref(0x43, "root"), {ref(0x41, "l")}, {ref(0x9000000000000000, "far")}}, 1);
    EXPECT_TRUE(n.joined());
    EXPECT_EQ(effects_of<Joined>(e).size(), 1u);
    EXPECT_EQ(sends_of<Announce>(e).size(), 3u);
    EXPECT_EQ(n.leaf_set().size(), 3u);
}

// ---- failure detection and repair ---------------------------------------------------------

TEST(PastryFailure, DeadLeafDetectedAfterMaxMissedAndRepaired) {
    Net net;
    net.cfg.leaf_set_size = 4;
    std::vector<std::uint64_t> his = {0x1000000000000000, 0x2000000000000000, 0x3000000000000000,
                                      0x4000000000000000, 0x5000000000000000, 0x6000000000000000,
                                      0x7000000000000000, 0x8000000000000000};
    for (std::size_t i = 0; i < his.size(); ++i) {
        net.add(ref(his[i], "n" + std::to_string(i)), i ? std::vector<std::string>{"n0"} : std::vector<std::string>{});
        net.run_until(net.now + 300'000);
    }
    net.run_until(net.now + 3'000'000);
    net.expect_consistent_leaf_sets();
    for (auto& [a, n] : net.log) n.clear();

    net.dead.insert("n4");  // 0x50..: a leaf of n2, n3, n5, n6
    std::int64_t t0 = net.now;
    net.run_until(t0 + 400'000);  // less than max_missed timeouts: still suspected, not dead
    for (const char* a : {"n3", "n5"}) EXPECT_TRUE(effects_of<PeerDead>(net.log[a]).empty()) << a;
    net.run_until(t0 + 20'000'000);
    for (const char* a : {"n2", "n3", "n5", "n6"}) {
        auto dead = effects_of<PeerDead>(net.log[a]);
        ASSERT_EQ(dead.size(), 1u) << a;
        EXPECT_EQ(dead[0].peer.addr, "n4");
        bool removed = false;
        for (auto& c : effects_of<LeafSetChanged>(net.log[a]))
            for (auto& r : c.removed) removed = removed || r.addr == "n4";
        EXPECT_TRUE(removed) << a;
        EXPECT_GE(net.nodes[a]->counters().peers_dead, 1u);
    }
    net.expect_consistent_leaf_sets();  // repaired: n3's right half is now n5, n6
    Id key = mk(0x5000000000000001);  // n4's place: n5 is the root now
    for (const Node* n : net.live()) EXPECT_EQ(net.route(n, key), net.nodes["n5"].get());
}

TEST(PastryFailure, UnreachableCountsAsMissedProbe) {
    Config cfg;
    auto n = lone(ref(0x8000000000000000, "self"), cfg);
    NodeRef p = ref(0x8100000000000000, "p");
    meet(*n, p);
    std::vector<Effect> e;
    for (int i = 0; i < cfg.max_missed; ++i) {
        EXPECT_TRUE(effects_of<PeerDead>(e).empty());
        e = n->peer_unreachable(NodeRef{Id{}, "p"}, 10 + i);  // by address, as a transport knows it
    }
    auto dead = effects_of<PeerDead>(e);
    ASSERT_EQ(dead.size(), 1u);
    EXPECT_EQ(dead[0].peer, p);
    EXPECT_TRUE(n->leaf_set().empty());
    // Stale hearsay cannot resurrect it; a message from it can.
    n->receive(LeafSetReply{ref(0x7000000000000000, "q"), {p}}, 20);
    EXPECT_EQ(n->leaf_set().size(), 1u);  // only q
    meet(*n, p, 30);
    EXPECT_EQ(n->leaf_set().size(), 2u);
}

TEST(PastryFailure, DepartedPeerRemovedAtOnce) {
    auto n = lone(ref(0x8000000000000000, "self"));
    meet(*n, ref(0x8100000000000000, "p"));
    meet(*n, ref(0x8200000000000000, "q"));
    auto e = n->receive(Departed{ref(0x8100000000000000, "p")}, 5);
    EXPECT_EQ(effects_of<PeerDead>(e).size(), 1u);
    EXPECT_EQ(n->leaf_set().size(), 1u);
    EXPECT_EQ(n->counters().peers_departed, 1u);
    // The leaf-set repair asks the farthest remaining leaf on that side.
    auto req = sends_of<LeafSetRequest>(e);
    ASSERT_FALSE(req.empty());
    EXPECT_EQ(req[0].to.addr, "q");
}

TEST(PastryFailure, RttTimeoutIsClampedAndBacksOff) {
    Config cfg;
    auto n = lone(ref(0x8000000000000000, "self"), cfg);
    NodeRef p = ref(0x8100000000000000, "p");
    meet(*n, p, 0);
    // First heartbeat after a silent period pings p; answer in 30 ms.
    std::int64_t t = n->next_wakeup();
    while (true) {
        auto e = n->tick(t);
        auto pings = sends_of<Ping>(e);
        bool found = false;
        for (auto& s : pings)
            if (s.to == p) {
                n->receive(Pong{p, std::get<Ping>(s.msg).nonce, {}}, t + 30'000);
                found = true;
            }
        if (found) break;
        t = n->next_wakeup();
        ASSERT_LT(t, 10'000'000);
    }
    ASSERT_TRUE(n->rtt_us(p.id));
    EXPECT_DOUBLE_EQ(*n->rtt_us(p.id), 30'000.0);
    auto rt = n->routing_table();
    ASSERT_EQ(rt.size(), 1u);
    EXPECT_EQ(rt[0].rtt_us, 30'000);
    // p goes silent. srtt + 4 * rttvar = 90 ms is clamped to 200 ms, and each
    // retry doubles it: dead 200 + 400 + 800 ms after the first lost ping.
    std::int64_t first_ping = -1, dead_at = -1;
    for (int i = 0; i < 1000 && dead_at < 0; ++i) {
        t = n->next_wakeup();
        auto e = n->tick(t);
        for (auto& s : sends_of<Ping>(e))
            if (s.to == p && first_ping < 0) first_ping = t;
        if (!effects_of<PeerDead>(e).empty()) dead_at = t;
    }
    ASSERT_GE(first_ping, 0);
    EXPECT_EQ(dead_at - first_ping, 1'400'000);
    EXPECT_EQ(n->counters().peers_dead, 1u);
    EXPECT_TRUE(n->routing_table().empty());
}

// ---- proximity neighbour selection ----------------------------------------------------------

namespace {
struct FakeProximity : Proximity {
    std::map<std::string, double> costs;
    std::optional<double> cost(const NodeRef& n) override {
        auto it = costs.find(n.addr);
        if (it == costs.end()) return std::nullopt;
        return it->second;
    }
};
}  // namespace

TEST(PastryProximity, PluginCostPicksNearerCandidateEitherOrder) {
    Config cfg;
    cfg.leaf_set_size = 2;
    FakeProximity prox;
    prox.costs = {{"near", 1.0}, {"far", 9.0}};
    // Filler leaves so the candidates (0x3...) stay out of the leaf set.
    for (int order = 0; order < 2; ++order) {
        auto n = lone(ref(0x8000000000000000, "self"), cfg);
        n->set_proximity(&prox);
        meet(*n, ref(0x8000000000000100, "l"));
        meet(*n, ref(0x7fffffffffffff00, "r"));
        NodeRef a = ref(0x3100000000000000, order ? "near" : "far");
        NodeRef b = ref(0x3200000000000000, order ? "far" : "near");
        meet(*n, a);
        meet(*n, b);
        std::string in_slot;
        for (auto& e : n->routing_table())
            if (e.row == 0 && e.col == 3) in_slot = e.node.addr;
        EXPECT_EQ(in_slot, "near") << "order " << order;
    }
}

TEST(PastryProximity, UnknownCostIsProbedThenLowerRttWins) {
    Config cfg;
    cfg.leaf_set_size = 2;
    auto n = lone(ref(0x8000000000000000, "self"), cfg);
    meet(*n, ref(0x8000000000000100, "l"));
    meet(*n, ref(0x7fffffffffffff00, "r"));
    NodeRef first = ref(0x3100000000000000, "first");
    NodeRef second = ref(0x3200000000000000, "second");
    auto slot = [&] {
        for (auto& x : n->routing_table())
            if (x.row == 0 && x.col == 3) return x.node.addr;
        return std::string();
    };
    auto ping_to = [](const std::vector<Effect>& e, const std::string& addr) -> std::uint64_t {
        for (auto& s : sends_of<Ping>(e))
            if (s.to.addr == addr) return std::get<Ping>(s.msg).nonce;
        return 0;
    };
    meet(*n, first, 1000);  // empty slot: taken at once, cost unknown
    EXPECT_EQ(slot(), "first");
    // A contender with unknown cost is measured before anything is decided.
    auto e = n->receive(Ping{second, 0, false}, 2000);
    std::uint64_t ns = ping_to(e, "second");
    ASSERT_NE(ns, 0u);
    EXPECT_EQ(slot(), "first");
    // second answers in 5 ms; now the holder's cost is the unknown one.
    e = n->receive(Pong{second, ns, {}}, 7000);
    std::uint64_t nf = ping_to(e, "first");
    ASSERT_NE(nf, 0u);
    EXPECT_EQ(slot(), "first");
    // The holder answers in 80 ms: the nearer contender takes the slot.
    n->receive(Pong{first, nf, {}}, 1000 + 7000 + 80'000 - 1000);
    EXPECT_EQ(slot(), "second");
    ASSERT_TRUE(n->rtt_us(second.id));
    EXPECT_DOUBLE_EQ(*n->rtt_us(second.id), 5000.0);
    // A farther newcomer does not displace it.
    NodeRef third = ref(0x3300000000000000, "third");
    e = n->receive(Ping{third, 0, false}, 100'000);
    std::uint64_t nt = ping_to(e, "third");
    ASSERT_NE(nt, 0u);
    n->receive(Pong{third, nt, {}}, 150'000);
    EXPECT_EQ(slot(), "second");
}

// ---- malformed and hostile input ---------------------------------------------------------------

TEST(PastryRobustness, SelfClaimingAndInvalidSendersIgnored) {
    NodeRef self = ref(0x8000000000000000, "self");
    auto n = lone(self);
    auto before = n->counters().ignored;
    EXPECT_TRUE(n->receive(Ping{NodeRef{self.id, "evil"}, 1, true}, 1).empty());
    EXPECT_TRUE(n->receive(Ping{NodeRef{mk(5), ""}, 1, true}, 1).empty());
    EXPECT_TRUE(n->receive(Ping{NodeRef{Id{}, "zero"}, 1, true}, 1).empty());
    EXPECT_TRUE(n->receive(LeafSetReply{NodeRef{mk(7), std::string(300, 'x')}, {}}, 1).empty());
    EXPECT_EQ(n->counters().ignored, before + 4);
    EXPECT_TRUE(n->leaf_set().empty());
    EXPECT_EQ(n->routing_table().size(), 0u);
}

TEST(PastryRobustness, InvalidEntriesInsideMessagesSkipped) {
    NodeRef self = ref(0x8000000000000000, "self");
    auto n = lone(self);
    auto e = n->receive(
        LeafSetReply{ref(0x8100000000000000, "p"),
                     {NodeRef{self.id, "impostor"}, NodeRef{Id{}, "zero"}, NodeRef{mk(0x8200000000000000), ""},
                      ref(0x8300000000000000, "ok")}},
        1);
    // Only "ok" is worth a probe; nothing invalid entered any table.
    auto pings = sends_of<Ping>(e);
    ASSERT_EQ(pings.size(), 1u);
    EXPECT_EQ(pings[0].to.addr, "ok");
    EXPECT_EQ(ids(n->leaf_set()), std::vector<Id>{mk(0x8100000000000000)});
}

TEST(PastryRobustness, ConflictingAddressForKnownIdIgnored) {
    auto n = lone(ref(0x8000000000000000, "self"));
    meet(*n, ref(0x8100000000000000, "p"));
    auto before = n->counters().ignored;
    n->receive(LeafSetRequest{ref(0x8100000000000000, "hijack")}, 2);
    EXPECT_EQ(n->counters().ignored, before + 1);
    EXPECT_EQ(n->leaf_set()[0].addr, "p");
}

TEST(PastryRobustness, UnexpectedMessagesDoNotCorruptState) {
    auto n = lone(ref(0x8000000000000000, "self"));
    meet(*n, ref(0x8100000000000000, "p"));
    // A JoinReply while joined, a Pong with an unknown nonce, a row out of range,
    // a JoinRequest for our own id or with absurd hop counts.
    n->receive(JoinReply{ref(0x8200000000000000, "q"), {ref(0x1, "z")}, {}}, 1);
    n->receive(Pong{ref(0x8100000000000000, "p"), 999, {}}, 2);
    auto e = n->receive(RowRequest{ref(0x8100000000000000, "p"), 1000}, 3);
    EXPECT_TRUE(sends_of<RowReply>(e).empty());
    e = n->receive(JoinRequest{ref(0x8100000000000000, "p"), ref(0x8000000000000000, "me2"), 0, 0, {}}, 4);
    EXPECT_TRUE(sends_of<JoinReply>(e).empty());
    e = n->receive(JoinRequest{ref(0x8100000000000000, "p"), ref(0x9, "j"), 1000, 0, {}}, 5);
    EXPECT_TRUE(sends_of<JoinReply>(e).empty());
    EXPECT_EQ(ids(n->leaf_set()), std::vector<Id>{mk(0x8100000000000000)});
    EXPECT_FALSE(n->rtt_us(mk(0x8100000000000000)));
    // A Departed from a stranger changes nothing.
    e = n->receive(Departed{ref(0x8300000000000000, "stranger")}, 6);
    EXPECT_TRUE(effects_of<PeerDead>(e).empty());
}

TEST(PastryRobustness, ConfigValidated) {
    Config c;
    c.b = 3;
    EXPECT_THROW(Node(ref(1, "a"), c, 0), std::invalid_argument);
    c = Config{};
    c.leaf_set_size = 7;
    EXPECT_THROW(Node(ref(1, "a"), c, 0), std::invalid_argument);
    EXPECT_THROW(Node(NodeRef{Id{}, "a"}, Config{}, 0), std::invalid_argument);
}

// ---- a bigger deterministic run ---------------------------------------------------------------

TEST(PastryNetwork, FiftyNodesRouteCorrectlyBeforeAndAfterFailures) {
    Net net;
    std::uint64_t x = 12345;
    auto rnd = [&] {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        return x;
    };
    for (int i = 0; i < 50; ++i) {
        net.add(NodeRef{Id{rnd(), rnd()}, "n" + std::to_string(i)},
                i ? std::vector<std::string>{"n" + std::to_string(rnd() % i)} : std::vector<std::string>{});
        net.run_until(net.now + 50'000);
    }
    net.run_until(net.now + 5'000'000);
    ASSERT_EQ(net.live().size(), 50u);
    net.expect_consistent_leaf_sets();
    auto check_routes = [&] {
        int wrong = 0;
        for (int k = 0; k < 200; ++k) {
            Id key{rnd(), rnd()};
            auto live = net.live();
            const Node* from = live[rnd() % live.size()];
            if (net.route(from, key) != net.root_of(key)) ++wrong;
        }
        return wrong;
    };
    EXPECT_EQ(check_routes(), 0);
    for (int i = 0; i < 50; i += 7) net.dead.insert("n" + std::to_string(i));
    net.run_until(net.now + 60'000'000);
    net.expect_consistent_leaf_sets();
    EXPECT_EQ(check_routes(), 0);
}

// A seed that cannot be reached: each failure is reported (JoinFailed), and
// once every seed has failed in a round the next round waits 1 s, doubling up
// to the bound, instead of hammering the seed.
TEST(PastryJoin, BacksOffAfterEachRoundOfFailedSeeds) {
    Config cfg;
    cfg.join_backoff_max_us = 8'000'000;
    Node n(ref(0x42, "x"), cfg, 0);
    n.bootstrap({"dead:1"}, 0);
    std::int64_t now = 0;
    for (std::int64_t expected : {1'000'000, 2'000'000, 4'000'000, 8'000'000, 8'000'000}) {
        auto e = n.peer_unreachable(NodeRef{Id{}, "dead:1"}, now);
        auto failed = effects_of<JoinFailed>(e);
        ASSERT_EQ(failed.size(), 1u);
        EXPECT_EQ(failed[0].seed, "dead:1");
        EXPECT_EQ(failed[0].retry_in_us, expected);
        EXPECT_FALSE(failed[0].timed_out);
        EXPECT_TRUE(sends_of<JoinRequest>(e).empty());  // not at once
        EXPECT_EQ(n.next_wakeup(), now + expected);
        // A second report of the same failure while waiting changes nothing.
        EXPECT_TRUE(effects_of<JoinFailed>(n.peer_unreachable(NodeRef{Id{}, "dead:1"}, now)).empty());
        now += expected;
        EXPECT_EQ(sends_of<JoinRequest>(n.tick(now)).size(), 1u);
    }
    // No reply within join_timeout is a failure too.
    now += cfg.join_timeout_us;
    auto failed = effects_of<JoinFailed>(n.tick(now));
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_TRUE(failed[0].timed_out);
    EXPECT_EQ(failed[0].attempt, 6u);
}
