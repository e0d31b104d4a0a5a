// lib/prox/isis/router: three-way adjacencies, synchronisation, flooding
// with acknowledgments and retransmission between Router instances on
// simulated point-to-point links, and a LAN with a DIS played by crafted
// PDUs.
#include "prox/isis/router.hpp"

#include <gtest/gtest.h>

#include <deque>

namespace {

using namespace sr::prox::isis;
using sr::prox::Prefix;

constexpr std::int64_t kSec = 1'000'000;
const std::string kArea("\x49\x00\x01", 3);

SystemId sys(int n) { return SystemId{0, 0, 0, 0, 0, static_cast<std::uint8_t>(n)}; }
Mac mac(int n) { return Mac{0x02, 0, 0, 0, 0, static_cast<std::uint8_t>(n)}; }

CircuitConfig circuit(const char* name, int m, bool p2p = true, Auth auth = {}) {
    CircuitConfig c;
    c.name = name;
    c.mac = mac(m);
    c.point_to_point = p2p;
    c.hello_interval = 1;
    c.hello_multiplier = 4;
    c.circuit_id = static_cast<std::uint32_t>(m);
    c.hello_auth = auth;
    c.prefixes = {*Prefix::parse("10.0." + std::to_string(m) + ".0/24")};
    return c;
}

RouterConfig router(int n, std::vector<CircuitConfig> circuits) {
    RouterConfig r;
    r.system = sys(n);
    r.area = kArea;
    r.hostname = "r" + std::to_string(n);
    r.circuits = std::move(circuits);
    return r;
}

struct Lab {
    struct End {
        std::size_t router, circuit;
    };
    struct Link {
        End a, b;
        bool up = true;
    };
    std::vector<std::unique_ptr<Router>> routers;
    std::vector<Link> links;
    std::int64_t now = 1000 * kSec;
    std::deque<std::pair<End, Send>> wire;
    std::vector<AdjacencyChanged> changes;
    std::vector<Dropped> drops;

    std::size_t add(RouterConfig c) {
        routers.push_back(std::make_unique<Router>(std::move(c)));
        return routers.size() - 1;
    }
    void take(std::size_t r, std::vector<Effect> effects) {
        for (auto& e : effects) {
            if (auto* s = std::get_if<Send>(&e)) wire.emplace_back(End{r, s->circuit}, std::move(*s));
            if (auto* c = std::get_if<AdjacencyChanged>(&e)) changes.push_back(*c);
            if (auto* d = std::get_if<Dropped>(&e)) drops.push_back(*d);
        }
    }
    void deliver() {
        for (int guard = 0; !wire.empty() && guard < 100000; ++guard) {
            auto [from, s] = std::move(wire.front());
            wire.pop_front();
            for (const auto& l : links) {
                if (!l.up) continue;
                const End* to = l.a.router == from.router && l.a.circuit == from.circuit   ? &l.b
                                : l.b.router == from.router && l.b.circuit == from.circuit ? &l.a
                                                                                           : nullptr;
                if (!to) continue;
                Mac src = routers[from.router]->config().circuits[from.circuit].mac;
                take(to->router, routers[to->router]->receive(to->circuit, src, s.pdu, now));
            }
        }
    }
    void start() {
        for (std::size_t r = 0; r < routers.size(); ++r) take(r, routers[r]->start(now));
        deliver();
    }
    void run(std::int64_t until) {
        while (true) {
            std::int64_t next = INT64_MAX;
            for (const auto& r : routers) next = std::min(next, r->next_wakeup());
            if (next > until) break;
            now = std::max(now, next);
            for (std::size_t r = 0; r < routers.size(); ++r)
                if (routers[r]->next_wakeup() <= now) take(r, routers[r]->tick(now));
            deliver();
        }
        now = until;
    }
    AdjacencyState state(std::size_t r, std::size_t c) const {
        const auto& adjs = routers[r]->circuits()[c].adjacencies;
        return adjs.empty() ? AdjacencyState::down : adjs.front().state;
    }
};

const Lsp* lsp_of(const Router& r, int n) {
    const LsdbEntry* e = r.lsdb(2).find(LspId{sys(n), 0, 0});
    return e ? &e->lsp : nullptr;
}

TEST(IsisRouter, PointToPointPairComesUpThreeWayAndSyncs) {
    Lab lab;
    auto a = lab.add(router(1, {circuit("a0", 1)}));
    auto b = lab.add(router(2, {circuit("b0", 2)}));
    lab.links.push_back({{a, 0}, {b, 0}});
    lab.start();
    lab.run(lab.now + 3 * kSec);
    EXPECT_EQ(lab.state(a, 0), AdjacencyState::up);
    EXPECT_EQ(lab.state(b, 0), AdjacencyState::up);
    for (auto r : {a, b}) {
        EXPECT_EQ(lab.routers[r]->lsdb(2).size(), 2u);
        const Lsp* l = lsp_of(*lab.routers[r], 1);
        ASSERT_NE(l, nullptr);
        EXPECT_TRUE(l->overload());  // never transit
        ASSERT_EQ(l->tlvs.is_reach.size(), 1u);
        EXPECT_EQ(l->tlvs.is_reach[0].system, sys(2));
        EXPECT_EQ(l->tlvs.hostname, "r1");
    }
    EXPECT_TRUE(lab.drops.empty()) << lab.drops.front().reason;
}

TEST(IsisRouter, ChainFloodsAcknowledgesRetransmitsAndForgetsTheDead) {
    Lab lab;
    auto a = lab.add(router(1, {circuit("a0", 1)}));
    auto b = lab.add(router(2, {circuit("b0", 2), circuit("b1", 3)}));
    auto c = lab.add(router(3, {circuit("c0", 4)}));
    lab.links.push_back({{a, 0}, {b, 0}});
    lab.links.push_back({{b, 1}, {c, 0}, false});
    lab.start();
    lab.run(lab.now + 5 * kSec);
    ASSERT_EQ(lab.state(a, 0), AdjacencyState::up);
    lab.links[1].up = true;
    lab.run(lab.now + 1 * kSec);
    lab.links[0].up = false;  // B's floods to A are lost for a while
    lab.run(lab.now + 2 * kSec);
    lab.links[0].up = true;
    lab.run(lab.now + 12 * kSec);
    EXPECT_EQ(lab.routers[a]->lsdb(2).size(), 3u);
    EXPECT_EQ(lab.routers[c]->lsdb(2).size(), 3u);
    EXPECT_GT(lab.routers[b]->counters().retransmissions, 0u);
    for (const auto& circuit : lab.routers[b]->circuits()) EXPECT_TRUE(circuit.srm[1].empty());
    const Lsp* lb = lsp_of(*lab.routers[a], 2);
    ASSERT_NE(lb, nullptr);
    EXPECT_EQ(lb->tlvs.is_reach.size(), 2u);

    lab.links[1].up = false;  // C goes silent
    lab.run(lab.now + 10 * kSec);
    EXPECT_EQ(lab.state(b, 1), AdjacencyState::down);
    lb = lsp_of(*lab.routers[a], 2);
    EXPECT_EQ(lb->tlvs.is_reach.size(), 1u);
    EXPECT_EQ(lab.routers[b]->counters().adjacencies_lost, 1u);
}

TEST(IsisRouter, WrongHelloKeyGivesNoAdjacencyAndSaysWhy) {
    Lab lab;
    auto a = lab.add(router(1, {circuit("a0", 1, true, {Auth::Kind::hmac_md5, "one"})}));
    auto b = lab.add(router(2, {circuit("b0", 2, true, {Auth::Kind::hmac_md5, "two"})}));
    lab.links.push_back({{a, 0}, {b, 0}});
    lab.start();
    lab.run(lab.now + 10 * kSec);
    EXPECT_EQ(lab.state(a, 0), AdjacencyState::down);
    ASSERT_FALSE(lab.drops.empty());
    EXPECT_NE(lab.drops.front().reason.find("authentication"), std::string::npos) << lab.drops.front().reason;
}

TEST(IsisRouter, OurOldLspFromBeforeARestartIsSteppedPast) {
    Lab lab;
    auto a = lab.add(router(1, {circuit("a0", 1)}));
    auto b = lab.add(router(2, {circuit("b0", 2)}));
    lab.links.push_back({{a, 0}, {b, 0}});
    lab.start();
    lab.run(lab.now + 5 * kSec);
    std::uint32_t before = lsp_of(*lab.routers[b], 1)->seq;
    EXPECT_GE(before, 2u);
    // It comes back under another name: its new LSP must replace the old
    // one, whose numbers it begins below.
    RouterConfig again = router(1, {circuit("a0", 1)});
    again.hostname = "r1-again";
    lab.routers[a] = std::make_unique<Router>(again);
    lab.take(a, lab.routers[a]->start(lab.now));
    lab.deliver();
    lab.run(lab.now + 10 * kSec);
    EXPECT_GT(lsp_of(*lab.routers[b], 1)->seq, before);
    EXPECT_EQ(lsp_of(*lab.routers[b], 1)->tlvs.hostname, "r1-again");
    EXPECT_EQ(lab.state(b, 0), AdjacencyState::up);
}

TEST(IsisRouter, OnALanItFollowsTheDisAndAsksForWhatItLacks) {
    RouterConfig cfg = router(1, {circuit("e0", 1, false)});
    Router r(cfg);
    std::int64_t now = 1000 * kSec;
    r.start(now);
    // The DIS (priority 64) names its pseudonode 0000.0000.0009.02 and lists our MAC.
    Hello h;
    h.type = PduType::l2_lan_hello;
    h.source = sys(9);
    h.priority = 64;
    h.lan_id = {0, 0, 0, 0, 0, 9, 2};
    h.tlvs.areas = {kArea};
    h.tlvs.lan_neighbors = {mac(1)};
    auto out = r.receive(0, mac(9), encode(h, {}), now);
    EXPECT_EQ(r.circuits()[0].adjacencies.front().state, AdjacencyState::up);
    // Our next Hello names the DIS's LAN ID.
    now += 2 * kSec;
    out = r.tick(now);
    bool named = false;
    for (const auto& e : out)
        if (auto* s = std::get_if<Send>(&e))
            if (auto p = decode(s->pdu, {}); auto* ours = std::get_if<Hello>(&p)) named = ours->lan_id == h.lan_id;
    EXPECT_TRUE(named);
    // A CSNP listing an LSP we lack: we ask for it in a PSNP.
    Snp csnp;
    csnp.level = 2;
    csnp.source = {0, 0, 0, 0, 0, 9, 0};
    csnp.end = LspId{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0xff, 0xff};
    csnp.tlvs.lsp_entries.push_back({1000, LspId{sys(9), 0, 0}, 5, 0x1234});
    out = r.receive(0, mac(9), encode(csnp, {}), now);
    bool asked = false;
    for (const auto& e : out)
        if (auto* s = std::get_if<Send>(&e))
            if (auto p = decode(s->pdu, {}); auto* psnp = std::get_if<Snp>(&p))
                asked = !psnp->complete && psnp->tlvs.lsp_entries.size() == 1 &&
                        psnp->tlvs.lsp_entries[0].id == (LspId{sys(9), 0, 0});
    EXPECT_TRUE(asked);
    // Our LSP reaches the LAN through the DIS's pseudonode, at most a second later.
    now += 2 * kSec;
    r.tick(now);
    const Lsp* ours = lsp_of(r, 1);
    ASSERT_NE(ours, nullptr);
    ASSERT_EQ(ours->tlvs.is_reach.size(), 1u);
    EXPECT_EQ(ours->tlvs.is_reach[0].system, sys(9));
    EXPECT_EQ(ours->tlvs.is_reach[0].pseudonode, 2);
}

}  // namespace

namespace {

// After our restart the neighbour still says Up: we answer Down, it starts
// over with Initializing, and the adjacency comes up (RFC 5303 3.2).
TEST(IsisRouter, ANeighbourStillUpFromBeforeOurRestartStartsOver) {
    Router r(router(1, {circuit("a0", 1)}));
    std::int64_t now = 1000 * kSec;
    r.start(now);
    Hello h;
    h.type = PduType::p2p_hello;
    h.source = sys(2);
    h.tlvs.areas = {kArea};
    ThreeWay w;
    w.state = ThreeWay::up;
    w.local_circuit = 7;
    w.neighbor = sys(1);
    w.neighbor_circuit = 1;
    h.tlvs.three_way = w;
    r.receive(0, mac(2), encode(h, {}), now);
    EXPECT_EQ(r.circuits()[0].adjacencies.front().state, AdjacencyState::down);
    auto out = r.tick(now + kSec);  // our next Hello
    std::optional<ThreeWay> ours;
    for (const auto& e : out)
        if (auto* s = std::get_if<Send>(&e))
            if (auto p = decode(s->pdu, {}); auto* hello = std::get_if<Hello>(&p)) ours = hello->tlvs.three_way;
    ASSERT_TRUE(ours);
    EXPECT_EQ(ours->state, ThreeWay::down);
    h.tlvs.three_way->state = ThreeWay::initializing;
    r.receive(0, mac(2), encode(h, {}), now);
    EXPECT_EQ(r.circuits()[0].adjacencies.front().state, AdjacencyState::up);
}

}  // namespace
