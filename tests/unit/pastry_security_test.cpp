// Attacks on the Pastry core (issue 9, item 15): a message naming many
// nodes must not make the node probe (so connect to) many addresses, nor a
// full peer table keep a live neighbour out of the leaf set.
#include "dht/pastry.hpp"

#include <gtest/gtest.h>

#include <optional>

#include <string>

using namespace sr;
using namespace sr::pastry;

namespace {

std::size_t pings(const std::vector<Effect>& effs) {
    std::size_t n = 0;
    for (const auto& e : effs)
        if (auto* s = std::get_if<Send>(&e); s && std::holds_alternative<Ping>(s->msg)) ++n;
    return n;
}

}  // namespace

TEST(PastrySecurity, ForgedRowOfManyNodesProbesAtMostARowsWorth) {
    Config cfg;
    Node n(NodeRef{Id{0x1000000000000000, 0}, "10.0.0.1:4100"}, cfg, 0);
    n.bootstrap({}, 0);
    RowReply forged{NodeRef{Id{0x9000000000000000, 0}, "10.0.0.2:4100"}, 0, {}};
    for (std::uint64_t i = 0; i < 256; ++i)  // distinct ids, each in an empty slot or the leaf set
        forged.entries.push_back(NodeRef{Id{(i << 56) | (i << 40) | 7, i}, "192.0.2.7:" + std::to_string(30000 + i)});
    auto effs = n.receive(forged, 1'000);
    std::size_t bound = static_cast<std::size_t>(std::max(cfg.leaf_set_size, 1 << cfg.b));
    EXPECT_LE(pings(effs), bound);
    EXPECT_GE(n.counters().hearsay_dropped, 256 - bound - 1);
    // The budget is per message: the next message may probe again.
    LeafSetReply next{NodeRef{Id{0x9000000000000000, 0}, "10.0.0.2:4100"}, {}};
    for (std::uint64_t i = 0; i < 8; ++i)
        next.leaves.push_back(NodeRef{Id{0x1000000000000000, 1000 + i}, "192.0.2.8:" + std::to_string(31000 + i)});
    EXPECT_EQ(pings(n.receive(next, 2'000)), 8u);
}

// A JoinReply is installed whole by the joiner, which announces itself to
// every node it names: a forged one naming thousands of nodes must not make
// it connect to thousands of addresses (the same bound as other hearsay,
// with room for a true reply's leaf set and several rows).
TEST(PastrySecurity, ForgedJoinReplyOfManyNodesAnnouncesToABoundedNumber) {
    Config cfg;
    Node n(NodeRef{Id{0x1000000000000000, 0}, "10.0.0.1:4100"}, cfg, 0);
    n.bootstrap({"10.0.0.2:4100"}, 0);
    ASSERT_FALSE(n.joined());
    JoinReply forged{NodeRef{Id{0x9000000000000000, 0}, "10.0.0.2:4100"}, {}, {}};
    for (std::uint64_t i = 0; i < 128; ++i)
        forged.leaves.push_back(NodeRef{Id{0x1000000000000000, 1000 + i}, "192.0.2.8:" + std::to_string(31000 + i)});
    for (std::uint64_t i = 0; i < 4000; ++i)
        forged.entries.push_back(
            NodeRef{Id{(i << 52) | (i << 36) | 7, i + 1}, "192.0.2.7:" + std::to_string(20000 + i)});
    auto effs = n.receive(forged, 1'000);
    EXPECT_TRUE(n.joined());
    std::size_t announces = 0;
    for (const auto& e : effs)
        if (auto* s = std::get_if<Send>(&e); s && std::holds_alternative<Announce>(s->msg)) ++announces;
    const std::size_t row = static_cast<std::size_t>(std::max(cfg.leaf_set_size, 1 << cfg.b));
    const std::size_t bound = static_cast<std::size_t>(cfg.leaf_set_size) + 4 * row + 1;  // + the sender
    EXPECT_LE(announces, bound);
    EXPECT_GE(announces, 2 * row);  // a true reply's worth still gets through
    EXPECT_GE(n.counters().hearsay_dropped, 128 + 4000 - bound);
    EXPECT_LE(n.known_peers(), bound + 1);
}

// A node whose peer table is full of idle peers (many joins at once, or one
// host naming many ids) must still take a live neighbour into its leaf set:
// the idle peer heard from longest ago makes room. Other newcomers do not.
TEST(PastrySecurity, AFullPeerTableStillTakesALeafSetNeighbour) {
    struct NearOne : Proximity {  // the first node of the crowd holds its routing slot
        std::optional<double> cost(const NodeRef& n) override { return n.addr == "192.0.2.1:1" ? 0.0 : 100.0; }
    } proximity;
    Config cfg;
    const Id self{0x1000000000000000, 0};
    Node n(NodeRef{self, "10.0.0.1:4100"}, cfg, 0);
    n.set_proximity(&proximity);
    n.bootstrap({}, 0);
    // A crowd in one routing-table slot (first digit 9): a leaf set's worth
    // fills the leaf set, one holds the slot, the rest have no role.
    std::size_t before = 0;
    for (std::uint64_t i = 1; i <= 3000; ++i) {
        n.receive(Ping{NodeRef{Id{0x9000000000000000 | (i << 20), i}, "192.0.2." + std::to_string(i % 250 + 1) + ":" +
                                                                       std::to_string(i)},
                       i, false},
                  1'000 + static_cast<std::int64_t>(i));
        if (n.known_peers() == before) break;  // full
        before = n.known_peers();
    }
    ASSERT_LT(before, 3000u);
    const std::int64_t later = 10 * cfg.heartbeat_us;
    // Another in the middle of the crowd, no leaf-set candidate: refused as before.
    n.receive(Ping{NodeRef{Id{0x9000000000000000 | (500ull << 20) | 1, 0}, "192.0.2.9:9"}, 1, false}, later);
    EXPECT_EQ(n.counters().peers_evicted, 0u);
    // A neighbour right next to this node's id: it gets in.
    NodeRef neighbour{Id{self.hi, 5}, "198.51.100.1:4100"};
    n.receive(Ping{neighbour, 2, false}, later + 1);
    EXPECT_EQ(n.counters().peers_evicted, 1u);
    EXPECT_EQ(n.known_peers(), before);
    ASSERT_FALSE(n.leaf_right().empty());
    EXPECT_EQ(n.leaf_right().front().id, neighbour.id);
}
