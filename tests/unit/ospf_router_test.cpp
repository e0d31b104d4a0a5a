// lib/prox/ospf/router: adjacencies, database exchange and flooding between
// Router instances joined by simulated links, and against crafted packets
// for the broadcast cases (a priority-0 router is never DR, so two of ours
// alone never become adjacent on a LAN).
#include "prox/ospf/router.hpp"

#include <gtest/gtest.h>

#include <deque>
#include <functional>

namespace {

using namespace sr::prox::ospf;

constexpr std::int64_t kSec = 1'000'000;

std::uint32_t ip(const char* s) { return parse_dotted(s); }

InterfaceConfig itf(const char* name, const char* addr, InterfaceType type, Auth auth = {}) {
    InterfaceConfig c;
    c.name = name;
    c.address = ip(addr);
    c.mask = ip("255.255.255.0");
    c.type = type;
    c.auth = auth;
    return c;
}

// Routers joined point-to-point: what one sends on an interface reaches the
// other end, unless the link is cut.
struct Lab {
    struct End {
        std::size_t router, interface;
    };
    struct Link {
        End a, b;
        bool up = true;
    };
    std::vector<std::unique_ptr<Router>> routers;
    std::vector<Link> links;
    std::int64_t now = 1000 * kSec;
    std::deque<std::pair<End, Send>> wire;
    std::vector<NeighborChanged> changes;
    std::vector<Dropped> drops;

    std::size_t add(RouterConfig c) {
        routers.push_back(std::make_unique<Router>(std::move(c)));
        return routers.size() - 1;
    }
    void take(std::size_t r, std::vector<Effect> effects) {
        for (auto& e : effects) {
            if (auto* s = std::get_if<Send>(&e)) wire.emplace_back(End{r, s->interface}, std::move(*s));
            if (auto* c = std::get_if<NeighborChanged>(&e)) changes.push_back(*c);
            if (auto* d = std::get_if<Dropped>(&e)) drops.push_back(*d);
        }
    }
    void deliver() {
        for (int guard = 0; !wire.empty() && guard < 100000; ++guard) {
            auto [from, s] = std::move(wire.front());
            wire.pop_front();
            for (const auto& l : links) {
                if (!l.up) continue;
                const End* to = nullptr;
                if (l.a.router == from.router && l.a.interface == from.interface) to = &l.b;
                if (l.b.router == from.router && l.b.interface == from.interface) to = &l.a;
                if (!to) continue;
                std::uint32_t src = routers[from.router]->config().interfaces[from.interface].address;
                take(to->router, routers[to->router]->receive(to->interface, src, s.bytes, now));
            }
        }
    }
    void start() {
        for (std::size_t r = 0; r < routers.size(); ++r) take(r, routers[r]->start(now));
        deliver();
    }
    // Runs every router's timers up to `until`.
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
    const Router::Neighbor* neighbor(std::size_t r, std::size_t i, const char* rid) const {
        const auto& ns = routers[r]->interfaces()[i].neighbors;
        auto it = ns.find(ip(rid));
        return it == ns.end() ? nullptr : &it->second;
    }
    NeighborState state(std::size_t r, std::size_t i, const char* rid) const {
        const auto* n = neighbor(r, i, rid);
        return n ? n->state : NeighborState::down;
    }
};

RouterConfig router(const char* id, std::vector<InterfaceConfig> interfaces) {
    RouterConfig c;
    c.router_id = ip(id);
    c.interfaces = std::move(interfaces);
    c.crypto_sequence_base = 5000;
    return c;
}

std::vector<RouterLink> links_of(const Router& r, const char* id) {
    const LsdbEntry* e = r.lsdb().find(LsaKey{1, ip(id), ip(id)});
    if (!e) return {};
    return std::get<RouterLsa>(e->lsa.body).links;
}

TEST(OspfRouter, PointToPointPairReachesFullAndSharesDatabases) {
    for (bool first_is_master : {true, false}) {
        Lab lab;
        const char* a_id = first_is_master ? "9.9.9.9" : "1.1.1.1";
        auto a = lab.add(router(a_id, {itf("a0", "10.0.0.1", InterfaceType::point_to_point)}));
        auto b = lab.add(router("5.5.5.5", {itf("b0", "10.0.0.2", InterfaceType::point_to_point)}));
        lab.links.push_back({{a, 0}, {b, 0}});
        lab.start();
        lab.run(lab.now + 2 * kSec);
        EXPECT_EQ(lab.state(a, 0, "5.5.5.5"), NeighborState::full);
        EXPECT_EQ(lab.state(b, 0, a_id), NeighborState::full);
        lab.run(lab.now + 10 * kSec);  // MinLSInterval passes: the new router-LSAs go out
        for (auto r : {a, b}) {
            EXPECT_EQ(lab.routers[r]->lsdb().size(), 2u);
            auto la = links_of(*lab.routers[r], a_id);
            ASSERT_EQ(la.size(), 2u) << "router " << r;
            EXPECT_EQ(la[0].type, LinkType::point_to_point);
            EXPECT_EQ(la[0].id, ip("5.5.5.5"));
            EXPECT_EQ(la[0].metric, kMaxMetric);  // never transit
            EXPECT_EQ(la[1].type, LinkType::stub);
            EXPECT_EQ(la[1].id, ip("10.0.0.0"));
        }
        EXPECT_TRUE(lab.drops.empty()) << lab.drops.front().reason;
    }
}

TEST(OspfRouter, ChainLearnsByExchangeAndByFloodingAndForgetsTheDead) {
    Lab lab;
    auto a = lab.add(router("1.1.1.1", {itf("a0", "10.0.1.1", InterfaceType::point_to_point)}));
    auto b = lab.add(router("2.2.2.2", {itf("b0", "10.0.1.2", InterfaceType::point_to_point),
                                        itf("b1", "10.0.2.2", InterfaceType::point_to_point)}));
    auto c = lab.add(router("3.3.3.3", {itf("c0", "10.0.2.3", InterfaceType::point_to_point)}));
    lab.links.push_back({{a, 0}, {b, 0}});
    lab.links.push_back({{b, 1}, {c, 0}, false});
    lab.start();
    lab.run(lab.now + 10 * kSec);
    ASSERT_EQ(lab.state(a, 0, "2.2.2.2"), NeighborState::full);
    EXPECT_EQ(lab.routers[a]->lsdb().size(), 2u);

    lab.links[1].up = true;  // C arrives later: A hears of it by flooding through B
    lab.run(lab.now + 20 * kSec);
    ASSERT_EQ(lab.state(c, 0, "2.2.2.2"), NeighborState::full);
    EXPECT_EQ(lab.routers[c]->lsdb().size(), 3u);  // by the exchange with B
    EXPECT_EQ(lab.routers[a]->lsdb().size(), 3u);  // by flooding
    EXPECT_EQ(links_of(*lab.routers[a], "2.2.2.2").size(), 4u);  // p2p + stub on each side

    lab.links[1].up = false;  // C goes silent: B's dead interval ends it
    lab.run(lab.now + 45 * kSec);
    EXPECT_EQ(lab.state(b, 1, "3.3.3.3"), NeighborState::down);
    auto lb = links_of(*lab.routers[a], "2.2.2.2");
    EXPECT_EQ(std::count_if(lb.begin(), lb.end(), [](const RouterLink& l) { return l.type == LinkType::point_to_point; }),
              1);
    bool logged = false;
    for (const auto& ch : lab.changes)
        logged |= ch.router_id == ip("3.3.3.3") && ch.to == NeighborState::down && ch.reason.find("no Hello") == 0;
    EXPECT_TRUE(logged);
    EXPECT_EQ(lab.routers[b]->counters().adjacencies_lost, 1u);
}

TEST(OspfRouter, LostUpdatesAreRetransmittedUntilAcknowledged) {
    Lab lab;
    auto a = lab.add(router("1.1.1.1", {itf("a0", "10.0.1.1", InterfaceType::point_to_point)}));
    auto b = lab.add(router("2.2.2.2", {itf("b0", "10.0.1.2", InterfaceType::point_to_point),
                                        itf("b1", "10.0.2.2", InterfaceType::point_to_point)}));
    auto c = lab.add(router("3.3.3.3", {itf("c0", "10.0.2.3", InterfaceType::point_to_point)}));
    lab.links.push_back({{a, 0}, {b, 0}});
    lab.links.push_back({{b, 1}, {c, 0}, false});
    lab.start();
    lab.run(lab.now + 10 * kSec);
    lab.links[1].up = true;
    // B's floods to A are lost for a while; the retransmissions get through.
    lab.run(lab.now + 2 * kSec);
    lab.links[0].up = false;
    lab.run(lab.now + 6 * kSec);
    lab.links[0].up = true;
    lab.run(lab.now + 20 * kSec);
    EXPECT_EQ(lab.routers[a]->lsdb().size(), 3u);
    EXPECT_GT(lab.routers[b]->counters().retransmissions, 0u);
    for (const auto& [rid, n] : lab.routers[b]->interfaces()[0].neighbors) EXPECT_TRUE(n.retransmit.empty());
}

TEST(OspfRouter, WrongKeyGivesNoAdjacencyAndSaysWhy) {
    Auth k1{Auth::Kind::md5, "secret-one", 1}, k2{Auth::Kind::md5, "secret-two", 1};
    Lab lab;
    auto a = lab.add(router("1.1.1.1", {itf("a0", "10.0.0.1", InterfaceType::point_to_point, k1)}));
    auto b = lab.add(router("2.2.2.2", {itf("b0", "10.0.0.2", InterfaceType::point_to_point, k2)}));
    lab.links.push_back({{a, 0}, {b, 0}});
    lab.start();
    lab.run(lab.now + 30 * kSec);
    EXPECT_EQ(lab.state(a, 0, "2.2.2.2"), NeighborState::down);
    ASSERT_FALSE(lab.drops.empty());
    EXPECT_NE(lab.drops.front().reason.find("authentication"), std::string::npos) << lab.drops.front().reason;

    Lab good;  // the same key on both ends: Full
    a = good.add(router("1.1.1.1", {itf("a0", "10.0.0.1", InterfaceType::point_to_point, k1)}));
    b = good.add(router("2.2.2.2", {itf("b0", "10.0.0.2", InterfaceType::point_to_point, k1)}));
    good.links.push_back({{a, 0}, {b, 0}});
    good.start();
    good.run(good.now + 2 * kSec);
    EXPECT_EQ(good.state(a, 0, "2.2.2.2"), NeighborState::full);
}

// A broadcast network with a DR (priority 1) and another DROther, played by
// crafted packets.
struct Lan {
    Router r{router("1.1.1.1", {itf("e0", "10.0.0.1", InterfaceType::broadcast)})};
    std::int64_t now = 1000 * kSec;
    std::vector<Effect> last;

    std::vector<Send> sends() const {
        std::vector<Send> out;
        for (const auto& e : last)
            if (auto* s = std::get_if<Send>(&e)) out.push_back(*s);
        return out;
    }
    void hello(const char* rid, const char* addr, std::uint8_t prio, const char* dr, bool lists_us) {
        Hello h;
        h.mask = ip("255.255.255.0");
        h.priority = prio;
        h.dr = ip(dr);
        if (lists_us) h.neighbors.push_back(ip("1.1.1.1"));
        last = r.receive(0, ip(addr), encode(Packet{ip(rid), 0, h}, {}), now);
    }
};

TEST(OspfRouter, OnALanItBecomesAdjacentWithTheDrOnly) {
    Lan lan;
    lan.last = lan.r.start(lan.now);
    lan.hello("9.9.9.9", "10.0.0.9", 1, "10.0.0.9", true);  // the DR
    lan.hello("5.5.5.5", "10.0.0.5", 0, "10.0.0.9", true);  // another DROther
    const auto& itf = lan.r.interfaces()[0];
    EXPECT_EQ(itf.dr, ip("10.0.0.9"));
    EXPECT_EQ(itf.neighbors.at(ip("9.9.9.9")).state, NeighborState::exstart);
    EXPECT_EQ(itf.neighbors.at(ip("5.5.5.5")).state, NeighborState::two_way);

    // The DR (higher id) is master: its first Database Description makes us slave.
    DbDescription d;
    d.flags = kFlagInit | kFlagMore | kFlagMasterSlave;
    d.seq = 777;
    lan.last = lan.r.receive(0, ip("10.0.0.9"), encode(Packet{ip("9.9.9.9"), 0, d}, {}), lan.now);
    EXPECT_EQ(itf.neighbors.at(ip("9.9.9.9")).state, NeighborState::exchange);
    auto s = lan.sends();
    ASSERT_EQ(s.size(), 1u);
    EXPECT_EQ(s[0].destination, ip("10.0.0.9"));
    auto reply = std::get<DbDescription>(decode(s[0].bytes, {}).body);
    EXPECT_EQ(reply.seq, 777u);
    EXPECT_EQ(reply.flags & kFlagMasterSlave, 0);
    EXPECT_EQ(reply.headers.size(), 1u);  // our router-LSA

    // It describes one LSA we lack and ends: we ask for it.
    Lsa l;
    l.header.type = 1;
    l.header.id = l.header.adv_router = ip("9.9.9.9");
    l.body = RouterLsa{0, {{ip("10.0.0.9"), ip("10.0.0.9"), LinkType::transit, 10}}};
    std::string lsa = encode_lsa(l);
    DbDescription d2;
    d2.flags = kFlagMasterSlave;
    d2.seq = 778;
    d2.headers.push_back(decode_lsa_header(lsa));
    lan.last = lan.r.receive(0, ip("10.0.0.9"), encode(Packet{ip("9.9.9.9"), 0, d2}, {}), lan.now);
    EXPECT_EQ(itf.neighbors.at(ip("9.9.9.9")).state, NeighborState::loading);
    bool asked = false;
    for (const auto& snd : lan.sends())
        if (auto p = decode(snd.bytes, {}); auto* r = std::get_if<LsRequest>(&p.body))
            asked = r->keys.size() == 1 && r->keys[0] == (LsaKey{1, ip("9.9.9.9"), ip("9.9.9.9")});
    EXPECT_TRUE(asked);

    LsUpdate u;
    u.lsas.push_back(lsa);
    lan.last = lan.r.receive(0, ip("10.0.0.9"), encode(Packet{ip("9.9.9.9"), 0, u}, {}), lan.now);
    EXPECT_EQ(itf.neighbors.at(ip("9.9.9.9")).state, NeighborState::full);
    EXPECT_NE(lan.r.lsdb().find(LsaKey{1, ip("9.9.9.9"), ip("9.9.9.9")}), nullptr);
    bool acked = false;
    for (const auto& snd : lan.sends())
        if (auto p = decode(snd.bytes, {}); auto* a = std::get_if<LsAck>(&p.body)) acked = a->headers.size() == 1;
    EXPECT_TRUE(acked);

    // Full with the DR: our router-LSA names the transit network, at max metric.
    lan.now += 6 * kSec;
    lan.last = lan.r.tick(lan.now);
    auto ours = std::get<RouterLsa>(lan.r.lsdb().find(LsaKey{1, ip("1.1.1.1"), ip("1.1.1.1")})->lsa.body);
    ASSERT_EQ(ours.links.size(), 1u);
    EXPECT_EQ(ours.links[0].type, LinkType::transit);
    EXPECT_EQ(ours.links[0].id, ip("10.0.0.9"));
    EXPECT_EQ(ours.links[0].metric, kMaxMetric);
}

TEST(OspfRouter, HelloMismatchesAreDroppedWithTheReason) {
    Lan lan;
    lan.last = lan.r.start(lan.now);
    Hello h;
    h.mask = ip("255.255.255.0");
    h.dead_interval = 120;
    lan.last = lan.r.receive(0, ip("10.0.0.9"), encode(Packet{ip("9.9.9.9"), 0, h}, {}), lan.now);
    ASSERT_EQ(lan.last.size(), 1u);
    EXPECT_EQ(std::get<Dropped>(lan.last[0]).reason, "Hello: dead interval 120, ours is 40");
    EXPECT_TRUE(lan.r.interfaces()[0].neighbors.empty());

    h.dead_interval = 40;
    lan.last = lan.r.receive(0, ip("10.0.0.9"), encode(Packet{ip("9.9.9.9"), 7, h}, {}), lan.now);
    EXPECT_EQ(std::get<Dropped>(lan.last[0]).reason, "area 0.0.0.7, ours is 0.0.0.0");
    lan.last = lan.r.receive(0, ip("10.0.9.9"), encode(Packet{ip("9.9.9.9"), 0, h}, {}), lan.now);
    EXPECT_EQ(std::get<Dropped>(lan.last[0]).reason, "source not on the interface's subnet");
}

TEST(OspfRouter, ReplayedCryptographicSequenceIsRefused) {
    Auth k{Auth::Kind::hmac_sha256, "k", 3};
    Router r(router("1.1.1.1", {itf("e0", "10.0.0.1", InterfaceType::broadcast, k)}));
    r.start(0);
    Hello h;
    h.mask = ip("255.255.255.0");
    r.receive(0, ip("10.0.0.9"), encode(Packet{ip("9.9.9.9"), 0, h}, k, 100), 0);
    auto out = r.receive(0, ip("10.0.0.9"), encode(Packet{ip("9.9.9.9"), 0, h}, k, 99), 0);
    ASSERT_EQ(out.size(), 1u);
    EXPECT_NE(std::get<Dropped>(out[0]).reason.find("sequence number went back"), std::string::npos);
}

TEST(OspfRouter, OurOldRouterLsaFromBeforeARestartIsSteppedPast) {
    Lab lab;
    auto a = lab.add(router("1.1.1.1", {itf("a0", "10.0.0.1", InterfaceType::point_to_point)}));
    auto b = lab.add(router("2.2.2.2", {itf("b0", "10.0.0.2", InterfaceType::point_to_point)}));
    lab.links.push_back({{a, 0}, {b, 0}});
    lab.start();
    lab.run(lab.now + 20 * kSec);
    auto seq_before = lab.routers[b]->lsdb().find(LsaKey{1, ip("1.1.1.1"), ip("1.1.1.1")})->lsa.header.seq;
    EXPECT_GT(seq_before, kInitialSequence);
    // A restarts: it begins again at the initial sequence number, learns its
    // old instance from B, and steps past it.
    lab.routers[a] = std::make_unique<Router>(router("1.1.1.1", {itf("a0", "10.0.0.1", InterfaceType::point_to_point)}));
    lab.take(a, lab.routers[a]->start(lab.now));
    lab.deliver();
    lab.run(lab.now + 20 * kSec);
    auto seq_after = lab.routers[b]->lsdb().find(LsaKey{1, ip("1.1.1.1"), ip("1.1.1.1")})->lsa.header.seq;
    EXPECT_GT(seq_after, seq_before);
    EXPECT_EQ(lab.state(b, 0, "1.1.1.1"), NeighborState::full);
    EXPECT_EQ(links_of(*lab.routers[b], "1.1.1.1").size(), 2u);
}

}  // namespace

namespace {

TEST(OspfRouter, CryptographicSequenceNumbersGrowWithEveryPacket) {
    Auth k{Auth::Kind::md5, "key", 1};
    Router r(router("1.1.1.1", {itf("e0", "10.0.0.1", InterfaceType::broadcast, k)}));
    std::vector<std::uint32_t> seqs;
    auto collect = [&](const std::vector<Effect>& out) {
        for (const auto& e : out)
            if (auto* s = std::get_if<Send>(&e)) seqs.push_back(decode(s->bytes, k).crypto_sequence);
    };
    collect(r.start(0));
    Hello h;
    h.mask = ip("255.255.255.0");
    h.priority = 1;
    h.dr = ip("10.0.0.9");
    h.neighbors.push_back(ip("1.1.1.1"));
    // Within the same second: a Hello in answer, then a Database Description.
    collect(r.receive(0, ip("10.0.0.9"), encode(Packet{ip("9.9.9.9"), 0, h}, k, 1), 0));
    // The DR does not answer: the Database Description goes again, signed afresh.
    std::size_t before = seqs.size();
    collect(r.tick(6 * kSec));
    ASSERT_GT(seqs.size(), before);
    ASSERT_GE(seqs.size(), 2u);
    EXPECT_EQ(seqs[0], 5000u);  // the wall clock given at start
    for (std::size_t i = 1; i < seqs.size(); ++i) EXPECT_GT(seqs[i], seqs[i - 1]);  // FRR refuses an equal one
}

}  // namespace

namespace {

TEST(OspfRouter, DatabaseBeyondItsBoundRefusesNewLsas) {
    Lab lab;
    auto a_cfg = router("1.1.1.1", {itf("a0", "10.0.0.1", InterfaceType::point_to_point)});
    a_cfg.max_lsas = 5;
    auto a = lab.add(a_cfg);
    auto b = lab.add(router("2.2.2.2", {itf("b0", "10.0.0.2", InterfaceType::point_to_point)}));
    lab.links.push_back({{a, 0}, {b, 0}});
    lab.start();
    lab.run(lab.now + 2 * kSec);
    ASSERT_EQ(lab.state(a, 0, "2.2.2.2"), NeighborState::full);
    // B's neighbour floods twenty external LSAs through B.
    LsUpdate u;
    for (int i = 0; i < 20; ++i) {
        Lsa l;
        l.header.type = 5;
        l.header.id = ip("203.0.113.0") + static_cast<std::uint32_t>(i << 8);
        l.header.adv_router = ip("7.7.7.7");
        l.body = ExternalLsa{ip("255.255.255.0"), true, 20, 0, 0};
        u.lsas.push_back(encode_lsa(l));
    }
    lab.take(a, lab.routers[a]->receive(0, ip("10.0.0.2"), encode(Packet{ip("2.2.2.2"), 0, u}, {}), lab.now));
    lab.deliver();
    EXPECT_EQ(lab.routers[a]->lsdb().size(), 5u);
    EXPECT_EQ(lab.routers[a]->counters().lsas_refused, 17u);  // 2 router-LSAs + 3 of the 20 fit
    // Refused ones are acknowledged all the same: B does not send them for ever.
    lab.run(lab.now + 30 * kSec);
    EXPECT_EQ(lab.routers[a]->lsdb().size(), 5u);
}

}  // namespace
