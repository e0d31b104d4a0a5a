// Attacks on the Pastry core (issue 9, item 15): a message naming many
// nodes must not make the node probe (so connect to) many addresses.
#include "dht/pastry.hpp"

#include <gtest/gtest.h>

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
