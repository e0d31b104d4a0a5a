// The Scribe core driven through a small simulated overlay: 32 cores with
// random ids, routed messages hopping by longer shared hex prefix towards
// the numerically closest live node (each intermediate node gets
// on_forward), direct messages to live nodes, replica sets from the sorted
// ring, leaf-set changes on deaths, and a clock that moves only by tick().
#include "core/error.hpp"
#include "event/scribe.hpp"
#include "event/scribe_wire.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

using namespace sr;
using namespace sr::event;

namespace {

constexpr std::int64_t S = 1'000'000;
constexpr std::int64_t kWall0 = 1'700'000'000LL * S;

class Sim {
  public:
    struct Node {
        NodeHandle handle;
        std::unique_ptr<Scribe> core;
        bool alive = true;
        bool deaf = false;  // drops messages sent straight to it, as a lossy link would
        bool drop_fetch_replies = false;
        std::vector<Message> delivered;
        std::vector<Gap> gaps;
        std::vector<Published> published;
        std::vector<PublishFailed> failed;
        std::vector<Fetched> fetched;
    };

    std::vector<Node> nodes;
    std::int64_t now = 0;
    Limits limits;
    static constexpr std::size_t kLeafHalf = 4;
    static constexpr int kDigitBits = 2;

    explicit Sim(std::size_t n, Limits l = {}, std::uint64_t seed = 1) : limits(l) {
        std::mt19937_64 rng(seed);
        for (std::size_t i = 0; i < n; ++i) {
            Node node;
            node.handle = NodeHandle{Id{rng(), rng()}, "10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250) + ":4000"};
            node.core = std::make_unique<Scribe>(node.handle, limits);
            nodes.push_back(std::move(node));
        }
        // Subscribers and publishers of "news" other than its root, whose
        // death a test may want to watch them through.
        const std::size_t root = root_of(topic_key("news"));
        for (std::size_t i = 0; i < n; ++i) {
            if (i == root) continue;
            if (subs.size() < 8) subs.push_back(i);
            else if (pubs.size() < 4) pubs.push_back(i);
        }
    }

    std::vector<std::size_t> subs, pubs;

    std::int64_t wall() const { return kWall0 + now; }
    Scribe& core(std::size_t i) { return *nodes[i].core; }

    std::optional<std::size_t> index_of(const Id& id) const {
        for (std::size_t i = 0; i < nodes.size(); ++i)
            if (nodes[i].handle.id == id) return i;
        return std::nullopt;  // a forged handle: nobody answers there
    }

    std::size_t root_of(const Id& key) const {
        std::optional<std::size_t> best;
        for (std::size_t i = 0; i < nodes.size(); ++i)
            if (nodes[i].alive && (!best || closer_to(key, nodes[i].handle.id, nodes[*best].handle.id))) best = i;
        return *best;
    }

    // Pastry-like: a live node sharing a longer prefix with the key (the
    // shortest such prefix, then the closest to this node), else the root.
    // Digits are base 4, not Pastry's 16: among 32 nodes hex routes are
    // nearly all one hop, and the trees would have no interior nodes.
    std::size_t next_hop(std::size_t cur, const Id& key) const {
        int have = nodes[cur].handle.id.shared_prefix(key, kDigitBits);
        std::optional<std::size_t> best;
        int best_len = 0;
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            if (!nodes[i].alive) continue;
            int len = nodes[i].handle.id.shared_prefix(key, kDigitBits);
            if (len <= have) continue;
            if (!best || len < best_len ||
                (len == best_len && ring_distance(nodes[i].handle.id, nodes[cur].handle.id) <
                                        ring_distance(nodes[*best].handle.id, nodes[cur].handle.id))) {
                best = i;
                best_len = len;
            }
        }
        return best ? *best : root_of(key);
    }

    template <typename F>
    void apply(std::size_t i, F&& f) {
        std::vector<Effect> out;
        f(*nodes[i].core, out);
        for (auto& e : out) effect(i, std::move(e));
    }

    void effect(std::size_t i, Effect e) {
        Node& n = nodes[i];
        if (auto* r = std::get_if<RouteTo>(&e)) queue_.push_back([this, i, r = *r] { route(i, r.key, r.payload); });
        else if (auto* s = std::get_if<SendTo>(&e)) queue_.push_back([this, i, s = *s] { send(i, s.to, s.payload); });
        else if (auto* a = std::get_if<AskReplicaSet>(&e)) queue_.push_back([this, i, k = a->key] { replica_set(i, k); });
        else if (auto* d = std::get_if<Deliver>(&e)) n.delivered.push_back(d->m);
        else if (auto* g = std::get_if<Gap>(&e)) n.gaps.push_back(*g);
        else if (auto* p = std::get_if<Published>(&e)) n.published.push_back(*p);
        else if (auto* f = std::get_if<PublishFailed>(&e)) n.failed.push_back(*f);
        else if (auto* fe = std::get_if<Fetched>(&e)) n.fetched.push_back(*fe);
    }

    void route(std::size_t from, const Id& key, std::string payload) {
        if (!nodes[from].alive) return;
        std::size_t cur = from;
        for (int hops = 0; hops < 64; ++hops) {
            std::size_t root = root_of(key);
            if (cur == root) {
                apply(cur, [&](Scribe& c, auto& out) {
                    c.on_deliver(key, payload, nodes[from].handle, now, wall(), out);
                });
                return;
            }
            std::size_t next = next_hop(cur, key);
            if (cur != from) {
                ForwardDecision d;
                apply(cur, [&](Scribe& c, auto& out) {
                    d = c.on_forward(key, payload, nodes[next].handle, now, wall(), out);
                });
                ++forwards;
                if (d.drop) return;
                if (d.payload) payload = *d.payload;
            }
            cur = next;
        }
        ADD_FAILURE() << "routing loop";
    }

    void send(std::size_t from, const NodeHandle& to, const std::string& payload) {
        auto found = index_of(to.id);
        if (!found) return;
        std::size_t i = *found;
        if (!nodes[i].alive || nodes[i].deaf || !nodes[from].alive) return;
        if (nodes[i].drop_fetch_replies && std::holds_alternative<wire::FetchReply>(wire::decode(payload))) return;
        apply(i, [&](Scribe& c, auto& out) { c.on_receive(payload, nodes[from].handle, now, wall(), out); });
    }

    std::vector<std::size_t> ring() const {
        std::vector<std::size_t> live;
        for (std::size_t i = 0; i < nodes.size(); ++i)
            if (nodes[i].alive) live.push_back(i);
        std::sort(live.begin(), live.end(), [&](auto a, auto b) { return nodes[a].handle.id < nodes[b].handle.id; });
        return live;
    }

    void replica_set(std::size_t i, const Id& key) {
        if (!nodes[i].alive) return;
        auto live = ring();
        std::sort(live.begin(), live.end(), [&](auto a, auto b) {
            return closer_to(key, nodes[a].handle.id, nodes[b].handle.id);
        });
        live.resize(std::min<std::size_t>(live.size(), limits.replicas + 1));
        std::vector<NodeHandle> set;
        for (auto j : live) set.push_back(nodes[j].handle);
        apply(i, [&](Scribe& c, auto& out) { c.on_replica_set(key, set, now, out); });
    }

    std::set<std::size_t> leafset(std::size_t i) const {
        auto live = ring();
        auto pos = std::find(live.begin(), live.end(), i) - live.begin();
        std::set<std::size_t> out;
        for (std::size_t k = 1; k <= kLeafHalf && k < live.size(); ++k) {
            out.insert(live[(pos + k) % live.size()]);
            out.insert(live[(pos + live.size() - k) % live.size()]);
        }
        return out;
    }

    void run() {
        for (int steps = 0; !queue_.empty(); ++steps) {
            ASSERT_LT(steps, 1'000'000) << "messages never settle";
            auto job = std::move(queue_.front());
            queue_.pop_front();
            job();
        }
    }

    // Moves the clock on in steps, ticking every live core.
    void advance(std::int64_t us, std::int64_t step = S / 10) {
        for (std::int64_t end = now + us; now < end;) {
            now = std::min(end, now + step);
            for (std::size_t i = 0; i < nodes.size(); ++i)
                if (nodes[i].alive && now >= nodes[i].core->next_deadline())
                    apply(i, [&](Scribe& c, auto& out) { c.tick(now, wall(), out); });
            run();
        }
    }

    void kill(std::size_t dead) {
        std::map<std::size_t, std::set<std::size_t>> before;
        for (auto i : ring()) before[i] = leafset(i);
        nodes[dead].alive = false;
        for (auto i : ring()) {
            auto after = leafset(i);
            std::vector<NodeHandle> added, removed;
            for (auto j : after)
                if (!before[i].count(j)) added.push_back(nodes[j].handle);
            for (auto j : before[i])
                if (!after.count(j)) removed.push_back(nodes[j].handle);
            if (!added.empty() || !removed.empty())
                apply(i, [&](Scribe& c, auto& out) { c.on_leafset(added, removed, now, out); });
        }
        run();
    }

    void subscribe(std::size_t i, const std::string& topic) {
        apply(i, [&](Scribe& c, auto& out) { c.subscribe(topic, now, out); });
        run();
    }
    void unsubscribe(std::size_t i, const std::string& topic) {
        apply(i, [&](Scribe& c, auto& out) { c.unsubscribe(topic, now, out); });
        run();
    }
    std::uint64_t publish(std::size_t i, const std::string& topic, const std::string& payload, bool retain = false) {
        std::uint64_t token = 0;
        apply(i, [&](Scribe& c, auto& out) { token = c.publish(topic, payload, retain, now, wall(), out); });
        run();
        return token;
    }
    std::uint64_t fetch(std::size_t i, const std::string& topic, std::uint64_t from) {
        std::uint64_t token = 0;
        apply(i, [&](Scribe& c, auto& out) { token = c.fetch(topic, from, now, out); });
        run();
        return token;
    }

    // Every acknowledged publish: seq -> payload.
    std::map<std::uint64_t, std::string> acknowledged(const std::map<std::uint64_t, std::string>& sent_by_token,
                                                      std::size_t publisher) const {
        std::map<std::uint64_t, std::string> out;
        for (const auto& p : nodes[publisher].published) {
            auto it = sent_by_token.find(p.token);
            if (it != sent_by_token.end()) out[p.seq] = it->second;
        }
        return out;
    }

    std::size_t forwards = 0;

  private:
    std::deque<std::function<void()>> queue_;
};

// Delivered in strictly increasing seq order, each acknowledged message
// once with its payload, and every seq in between either delivered or
// reported in a gap: nothing skipped silently.
void expect_complete(const Sim::Node& n, const std::map<std::uint64_t, std::string>& acked, const char* who) {
    std::map<std::uint64_t, std::string> got;
    for (std::size_t k = 0; k < n.delivered.size(); ++k) {
        if (k > 0) {
            EXPECT_GT(n.delivered[k].seq, n.delivered[k - 1].seq) << who << ": out of order or duplicate";
        }
        got[n.delivered[k].seq] = n.delivered[k].payload;
    }
    for (const auto& [seq, payload] : acked) {
        auto it = got.find(seq);
        if (it == got.end()) {
            ADD_FAILURE() << who << ": acknowledged seq " << seq << " not delivered";
            continue;
        }
        EXPECT_EQ(it->second, payload) << who << " seq " << seq;
    }
    std::set<std::uint64_t> accounted;
    for (const auto& [seq, p] : got) accounted.insert(seq);
    for (const auto& g : n.gaps)
        for (auto s = g.from; s <= g.to; ++s) EXPECT_TRUE(accounted.insert(s).second) << who << ": seq " << s << " twice";
    if (accounted.empty()) return;
    for (auto s = *accounted.begin(); s <= *accounted.rbegin(); ++s)
        EXPECT_TRUE(accounted.count(s)) << who << ": seq " << s << " skipped silently";
}

struct Traffic {
    std::map<std::size_t, std::map<std::uint64_t, std::string>> sent;  // publisher -> token -> payload
    std::map<std::uint64_t, std::string> acked(const Sim& sim) const {
        std::map<std::uint64_t, std::string> all;
        for (const auto& [p, tokens] : sent) {
            auto a = sim.acknowledged(tokens, p);
            for (auto& [seq, payload] : a) {
                EXPECT_FALSE(all.count(seq)) << "seq " << seq << " acknowledged twice";
                all[seq] = payload;
            }
        }
        return all;
    }
    void publish(Sim& sim, std::size_t publisher, const std::string& topic, int round) {
        std::string payload = "p" + std::to_string(publisher) + "-" + std::to_string(round);
        sent[publisher][sim.publish(publisher, topic, payload)] = payload;
    }
};

void subscribe_all(Sim& sim, const std::string& topic, std::optional<std::vector<std::size_t>> who = std::nullopt) {
    for (auto i : who.value_or(sim.subs)) sim.subscribe(i, topic);
    sim.advance(3 * S);  // trees built, every subscriber told where the topic is
}

// A node in the topic's tree with children, neither root, subscriber nor publisher.
std::optional<std::size_t> interior_node(Sim& sim, const std::string& topic) {
    for (std::size_t i = 0; i < sim.nodes.size(); ++i) {
        if (std::count(sim.pubs.begin(), sim.pubs.end(), i)) continue;
        auto t = sim.core(i).tree(topic);
        if (t.member && !t.root && !t.children.empty() && t.local_subscribers == 0) return i;
    }
    return std::nullopt;
}

// A subscriber with no children, whose losses are its own.
std::size_t leaf_subscriber(Sim& sim, const std::string& topic) {
    for (auto s : sim.subs)
        if (sim.core(s).tree(topic).children.empty()) return s;
    ADD_FAILURE() << "every subscriber forwards";
    return sim.subs[0];
}

std::size_t root_node(Sim& sim, const std::string& topic) {
    for (std::size_t i = 0; i < sim.nodes.size(); ++i)
        if (sim.nodes[i].alive && sim.core(i).tree(topic).root) return i;
    ADD_FAILURE() << "no root";
    return 0;
}

}  // namespace

// The overlay scenarios run on several random overlays each.
constexpr std::uint64_t kSeeds = 6;

static void all_acknowledged_reach_every_subscriber(std::uint64_t seed) {
    Sim sim(32, {}, seed);
    subscribe_all(sim, "news");
    Traffic traffic;
    for (int round = 0; round < 25; ++round) {
        for (auto p : sim.pubs) traffic.publish(sim, p, "news", round);
        sim.advance(S / 5);
    }
    sim.advance(5 * S);
    auto acked = traffic.acked(sim);
    EXPECT_EQ(acked.size(), 100u);
    EXPECT_EQ(acked.begin()->first, 1u);
    EXPECT_EQ(acked.rbegin()->first, 100u);
    for (auto s : sim.subs) {
        expect_complete(sim.nodes[s], acked, "subscriber");
        EXPECT_EQ(sim.nodes[s].delivered.size(), 100u);
        EXPECT_TRUE(sim.nodes[s].gaps.empty());
    }
    EXPECT_GT(sim.forwards, 0u) << "the overlay never routed through an intermediate node";
}

TEST(Scribe, EveryAcknowledgedPublishReachesEverySubscriberOnceInOrder) {
    for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        all_acknowledged_reach_every_subscriber(seed);
    }
}

// False when the tree has no node to kill for the test.
static bool interior_death_misses_nothing(std::uint64_t seed) {
    Sim sim(32, {}, seed);
    subscribe_all(sim, "news");
    auto interior = interior_node(sim, "news");
    if (!interior) return false;  // every forwarder is also a subscriber or publisher
    Traffic traffic;
    traffic.publish(sim, sim.pubs[0], "news", 0);
    sim.kill(*interior);
    // Published while the subtree's parent is dead: these never reach it
    // down the tree and must be replayed.
    for (int round = 1; round < 6; ++round) {
        for (auto p : sim.pubs) traffic.publish(sim, p, "news", round);
        sim.advance(S / 10);
    }
    sim.advance(10 * S);
    auto acked = traffic.acked(sim);
    EXPECT_EQ(acked.size(), 21u);
    std::uint64_t rejoins = 0;
    for (std::size_t i = 0; i < sim.nodes.size(); ++i) {
        if (!sim.nodes[i].alive) continue;
        auto c = sim.core(i).counters();
        if (c.count("event.rejoins")) rejoins += c.at("event.rejoins");
        for (const auto& child : sim.core(i).tree("news").children)
            EXPECT_NE(child.id, sim.nodes[*interior].handle.id) << "a dead child kept";
    }
    EXPECT_GT(rejoins, 0u);
    for (auto s : sim.subs) {
        expect_complete(sim.nodes[s], acked, "subscriber");
        EXPECT_TRUE(sim.nodes[s].gaps.empty());
        auto t = sim.core(s).tree("news");
        EXPECT_TRUE(t.root || t.parent.has_value());
    }
    return true;
}

TEST(Scribe, InteriorNodeDeathRejoinsTheSubtreeWhichMissesNothing) {
    int tried = 0;
    for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        tried += interior_death_misses_nothing(seed);
    }
    EXPECT_GE(tried, 3);
}

static void root_death_loses_nothing(std::uint64_t seed) {
    Sim sim(32, {}, seed);
    subscribe_all(sim, "news");
    Traffic traffic;
    for (int round = 0; round < 5; ++round)
        for (auto p : sim.pubs) traffic.publish(sim, p, "news", round);
    sim.advance(S);
    auto root = root_node(sim, "news");
    EXPECT_EQ(sim.core(root).tree("news").last_seq, 20u);
    // Publishes in flight when the root dies: numbered, maybe replicated,
    // never answered. Their publishers retry with the same token.
    sim.nodes[sim.pubs[0]].deaf = true;
    traffic.publish(sim, sim.pubs[0], "news", 5);
    sim.nodes[sim.pubs[0]].deaf = false;
    sim.kill(root);
    for (int round = 6; round < 11; ++round) {
        for (auto p : sim.pubs) traffic.publish(sim, p, "news", round);
        sim.advance(S / 5);
    }
    sim.advance(10 * S);
    auto acked = traffic.acked(sim);
    EXPECT_EQ(acked.size(), 41u);
    EXPECT_EQ(acked.rbegin()->first, 41u) << "numbering restarted or skipped";
    auto new_root = root_node(sim, "news");
    EXPECT_NE(new_root, root);
    EXPECT_EQ(sim.core(new_root).counters().at("event.takeovers"), 1u);
    for (auto s : sim.subs) {
        expect_complete(sim.nodes[s], acked, "subscriber");
        EXPECT_EQ(sim.nodes[s].delivered.size(), 41u);
        EXPECT_TRUE(sim.nodes[s].gaps.empty());
    }
}

TEST(Scribe, RootDeathNumberingContinuesAtTheReplicaWithNothingLost) {
    for (std::uint64_t seed = 1; seed <= kSeeds; ++seed) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        root_death_loses_nothing(seed);
    }
}

TEST(Scribe, MessagesBeyondTheBufferAreAGapNeverASilentSkip) {
    Limits l;
    l.buffer_messages = 5;
    Sim sim(32, l);
    subscribe_all(sim, "news");
    const std::size_t s = leaf_subscriber(sim, "news");
    sim.nodes[s].deaf = true;
    Traffic traffic;
    for (int round = 0; round < 20; ++round) traffic.publish(sim, sim.pubs[0], "news", round);
    sim.nodes[s].deaf = false;
    traffic.publish(sim, sim.pubs[0], "news", 20);
    sim.advance(5 * S);
    auto acked = traffic.acked(sim);
    ASSERT_EQ(acked.size(), 21u);
    const auto& n = sim.nodes[s];
    ASSERT_EQ(n.gaps.size(), 1u);
    EXPECT_EQ(n.gaps[0].topic, "news");
    EXPECT_EQ(n.gaps[0].from, 1u);
    EXPECT_EQ(n.gaps[0].to, 16u);  // 17..21 still buffered at the root
    ASSERT_EQ(n.delivered.size(), 5u);
    EXPECT_EQ(n.delivered.front().seq, 17u);
    std::map<std::uint64_t, std::string> buffered(acked.find(17), acked.end());
    expect_complete(n, buffered, "the deaf subscriber");
    EXPECT_EQ(sim.core(s).counters().at("event.gaps"), 16u);
    for (auto o : sim.subs)
        if (o != s) expect_complete(sim.nodes[o], acked, "subscriber");
}

TEST(Scribe, UnansweredFetchesEndAsAGap) {
    Sim sim(32);
    subscribe_all(sim, "news");
    const std::size_t s = leaf_subscriber(sim, "news");
    Traffic traffic;
    sim.nodes[s].deaf = true;
    traffic.publish(sim, sim.pubs[0], "news", 0);
    traffic.publish(sim, sim.pubs[0], "news", 1);
    sim.nodes[s].deaf = false;
    // The next heartbeat tells the subscriber seqs up to 2 exist; the
    // root's answers to its fetches are all lost.
    sim.nodes[s].drop_fetch_replies = true;
    sim.advance(3 * S);
    EXPECT_TRUE(sim.nodes[s].gaps.empty()) << "given up before the last attempt";
    sim.advance(5 * S);
    ASSERT_EQ(sim.nodes[s].gaps.size(), 1u);
    EXPECT_EQ(sim.nodes[s].gaps[0].from, 1u);
    EXPECT_EQ(sim.nodes[s].gaps[0].to, 2u);
    EXPECT_TRUE(sim.nodes[s].delivered.empty());
    // Later messages flow again.
    sim.nodes[s].drop_fetch_replies = false;
    traffic.publish(sim, sim.pubs[0], "news", 2);
    ASSERT_EQ(sim.nodes[s].delivered.size(), 1u);
    EXPECT_EQ(sim.nodes[s].delivered[0].seq, 3u);
}

TEST(Scribe, RetainedMessageReachesALateSubscriberThroughFetchFromZero) {
    Sim sim(32);
    subscribe_all(sim, "state");
    sim.publish(sim.pubs[0], "state", "on", true);
    sim.publish(sim.pubs[0], "state", "chatter");
    sim.advance(S);
    const std::size_t late = 20;
    sim.subscribe(late, "state");
    auto token = sim.fetch(late, "state", 0);
    sim.advance(S);
    ASSERT_EQ(sim.nodes[late].fetched.size(), 1u);
    const auto& f = sim.nodes[late].fetched[0];
    EXPECT_EQ(f.token, token);
    EXPECT_EQ(f.code, "");
    ASSERT_EQ(f.messages.size(), 1u);  // the retained one alone, not the buffer
    EXPECT_TRUE(f.messages[0].retained);
    EXPECT_EQ(f.messages[0].payload, "on");
    EXPECT_EQ(f.messages[0].seq, 1u);
    EXPECT_EQ(f.last_seq, 2u);
    // The late subscriber starts live from the present: nothing replayed twice.
    sim.publish(sim.pubs[0], "state", "later");
    sim.advance(S);
    ASSERT_EQ(sim.nodes[late].delivered.size(), 1u);
    EXPECT_EQ(sim.nodes[late].delivered[0].payload, "later");
}

TEST(Scribe, UnsubscribePrunesTheBranch) {
    Sim sim(32);
    subscribe_all(sim, "news");
    std::size_t forwarders = 0;
    for (std::size_t i = 0; i < sim.nodes.size(); ++i) {
        auto t = sim.core(i).tree("news");
        if (t.member && !t.root && t.local_subscribers == 0) ++forwarders;
    }
    ASSERT_GT(forwarders, 0u);
    for (auto s : sim.subs) sim.unsubscribe(s, "news");
    sim.advance(S);
    for (std::size_t i = 0; i < sim.nodes.size(); ++i) {
        EXPECT_FALSE(sim.core(i).tree("news").member) << "node " << i << " still in the tree";
        EXPECT_TRUE(sim.core(i).tree("news").children.empty());
    }
    // Heartbeats stop with the tree: nothing is rejected or dropped later.
    sim.advance(5 * S);
    for (std::size_t i = 0; i < sim.nodes.size(); ++i) {
        auto c = sim.core(i).counters();
        EXPECT_EQ(c.count("event.rejoins"), 0u);
    }
}

TEST(Scribe, RetriedPublishIsNumberedOnce) {
    Sim sim(32);
    subscribe_all(sim, "news");
    const std::size_t p = sim.pubs[0];
    // The root's answer is lost: the publisher retries with the same token.
    sim.nodes[p].deaf = true;
    auto token = sim.publish(p, "news", "once");
    sim.nodes[p].deaf = false;
    EXPECT_TRUE(sim.nodes[p].published.empty());
    sim.advance(5 * S);
    ASSERT_EQ(sim.nodes[p].published.size(), 1u);
    EXPECT_EQ(sim.nodes[p].published[0].token, token);
    EXPECT_EQ(sim.nodes[p].published[0].seq, 1u);
    auto root = root_node(sim, "news");
    EXPECT_EQ(sim.core(root).counters().at("event.published"), 1u);
    EXPECT_GE(sim.core(root).counters().at("event.publish_retries"), 1u);
    for (auto s : sim.subs) EXPECT_EQ(sim.nodes[s].delivered.size(), 1u);
}

TEST(Scribe, PublishAtTheRootIsNumberedThereInTheSameSequence) {
    Sim sim(32);
    subscribe_all(sim, "news");
    auto root = root_node(sim, "news");
    const std::size_t p = sim.pubs[0];
    sim.publish(p, "news", "routed");
    sim.advance(1 * S);
    for (int i = 0; i < 3; ++i) sim.publish(root, "news", "at the root " + std::to_string(i));
    sim.advance(1 * S);
    sim.publish(p, "news", "routed again");
    sim.advance(5 * S);
    // Not routed to itself through the overlay, numbered in the one sequence.
    EXPECT_GE(sim.core(root).counters().at("event.published_locally"), 1u);
    EXPECT_EQ(sim.core(root).counters().at("event.published"), 5u);
    ASSERT_EQ(sim.nodes[root].published.size(), 3u);
    EXPECT_EQ(sim.nodes[root].published[0].seq, 2u);
    EXPECT_EQ(sim.nodes[root].published[2].seq, 4u);
    ASSERT_EQ(sim.nodes[p].published.size(), 2u);
    EXPECT_EQ(sim.nodes[p].published[1].seq, 5u);
    for (auto s : sim.subs) {
        ASSERT_EQ(sim.nodes[s].delivered.size(), 5u) << "subscriber " << s;
        for (std::size_t i = 0; i < 5; ++i) EXPECT_EQ(sim.nodes[s].delivered[i].seq, i + 1);
    }
}

// Every node stopped cleanly and started again (a maintenance of the whole
// overlay): each restores what it saved, and the numbering and the replay
// buffer carry on instead of starting again at 1.
TEST(Scribe, AWholeOverlayRestartedCleanlyCarriesOnFromTheSavedRootState) {
    Sim sim(32);
    subscribe_all(sim, "news");
    Traffic traffic;
    for (int round = 0; round < 3; ++round) traffic.publish(sim, sim.pubs[0], "news", round);
    sim.advance(S);
    std::vector<std::string> saved;
    for (auto& n : sim.nodes) saved.push_back(n.core->save_roots());
    for (std::size_t i = 0; i < sim.nodes.size(); ++i) {
        sim.nodes[i].core = std::make_unique<Scribe>(sim.nodes[i].handle, sim.limits);
        sim.apply(i, [&](Scribe& c, auto& out) { c.restore_roots(saved[i], sim.now, sim.wall(), out); });
    }
    sim.advance(S);  // the replica sets asked for: the root takes over
    std::size_t root = root_node(sim, "news");
    EXPECT_EQ(sim.core(root).tree("news").last_seq, 3u);
    traffic.publish(sim, sim.pubs[0], "news", 3);
    sim.advance(5 * S);
    std::uint64_t after = 0;
    for (auto& p : sim.nodes[sim.pubs[0]].published) after = std::max(after, p.seq);
    EXPECT_EQ(after, 4u) << "numbering restarted";
    // The replay buffer came back too: a fetch from 1 gets all four.
    std::size_t s = sim.subs[0];
    sim.apply(s, [&](Scribe& c, auto& out) { c.fetch("news", 1, sim.now, out); });
    sim.advance(2 * S);
    ASSERT_FALSE(sim.nodes[s].fetched.empty());
    const Fetched& f = sim.nodes[s].fetched.back();
    EXPECT_TRUE(f.code.empty());
    EXPECT_FALSE(f.gap.has_value());
    ASSERT_EQ(f.messages.size(), 4u);
    EXPECT_EQ(f.messages.front().seq, 1u);
}

TEST(Scribe, SavedRootStateThatIsNotOursIsRefused) {
    Sim sim(4);
    std::vector<Effect> out;
    EXPECT_THROW(sim.core(0).restore_roots("", 0, 0, out), sr::DecodeError);
    EXPECT_THROW(sim.core(0).restore_roots("\x93\xa3" "abc\x01\x90", 0, 0, out), sr::DecodeError);
    std::string ok = sim.core(0).save_roots();
    EXPECT_EQ(sim.core(1).restore_roots(ok, 0, 0, out), 0u);
    EXPECT_THROW(sim.core(0).restore_roots(ok.substr(0, ok.size() - 1) + "\x01", 0, 0, out), sr::DecodeError);
}

TEST(Scribe, PublishOverTheRateLimitIsAnsweredOverQuota) {
    Limits l;
    l.topic_rate = 1;
    l.topic_burst = 3;
    Sim sim(32, l);
    subscribe_all(sim, "news");
    for (int i = 0; i < 5; ++i) sim.publish(sim.pubs[0], "news", "m" + std::to_string(i));
    sim.advance(S / 10);
    EXPECT_EQ(sim.nodes[sim.pubs[0]].published.size(), 3u);
    ASSERT_EQ(sim.nodes[sim.pubs[0]].failed.size(), 2u);
    EXPECT_EQ(sim.nodes[sim.pubs[0]].failed[0].code, "over_quota");
    // The bucket refills.
    sim.advance(2 * S);
    sim.publish(sim.pubs[0], "news", "later");
    EXPECT_EQ(sim.nodes[sim.pubs[0]].published.size(), 4u);
}

TEST(Scribe, LocalApiRefusesBadInput) {
    Limits l;
    l.max_topics = 1;
    Scribe core(NodeHandle{Id::hash("node", "x"), "a:1"}, l);
    std::vector<Effect> out;
    auto code_of = [&](auto&& f) -> std::string {
        try {
            f();
        } catch (const Error& e) {
            return e.code;
        }
        return "";
    };
    EXPECT_EQ(code_of([&] { core.subscribe("", 0, out); }), "invalid_params");
    EXPECT_EQ(code_of([&] { core.subscribe(std::string(257, 't'), 0, out); }), "invalid_params");
    EXPECT_EQ(code_of([&] { core.publish("t", std::string((64 << 10) + 1, 'p'), false, 0, 0, out); }), "too_large");
    core.subscribe("one", 0, out);
    EXPECT_EQ(code_of([&] { core.subscribe("two", 0, out); }), "over_quota");
}

// next_deadline() is a bound kept as deadlines are set, not a walk of every
// topic (which made each input cost O(topics)): it may come early, never late.
TEST(Scribe, NextDeadlineIsNeverLaterThanATimeoutDue) {
    Limits l;
    l.heartbeat_us = 60 * S;
    Scribe core(NodeHandle{Id::hash("node", "x"), "x:1"}, l);
    std::vector<Effect> out;
    core.tick(0, kWall0, out);  // the first heartbeat; nothing else is due
    EXPECT_EQ(core.next_deadline(), 60 * S);
    auto routes = [&] {
        return std::count_if(out.begin(), out.end(), [](const Effect& e) { return std::holds_alternative<RouteTo>(e); });
    };
    // No root ever answers this lone core: the publish is resent, then fails.
    out.clear();
    std::uint64_t token = core.publish("t", "p", false, 10 * S, 10 * S, out);
    EXPECT_EQ(routes(), 1);
    EXPECT_LE(core.next_deadline(), 10 * S + l.fetch_timeout_us);
    out.clear();
    core.tick(core.next_deadline(), kWall0, out);
    EXPECT_EQ(routes(), 1);  // resent
    EXPECT_LE(core.next_deadline(), 10 * S + l.publish_timeout_us);
    out.clear();
    while (out.empty() || !std::holds_alternative<PublishFailed>(out.back())) {
        ASSERT_LT(core.next_deadline(), 60 * S);
        core.tick(core.next_deadline(), kWall0, out);
    }
    EXPECT_EQ(std::get<PublishFailed>(out.back()).token, token);
    // A fetch is retried at its deadline too.
    out.clear();
    core.fetch("u", 0, 20 * S, out);
    EXPECT_LE(core.next_deadline(), 20 * S + l.fetch_timeout_us);
    out.clear();
    core.tick(20 * S + l.fetch_timeout_us, kWall0, out);
    EXPECT_EQ(routes(), 1);
}

TEST(Scribe, NodeOverMaxChildrenPassesTheJoinOn) {
    Limits l;
    l.max_children = 1;
    Scribe core(NodeHandle{Id::hash("node", "x"), "x:1"}, l);
    const Id key = topic_key("news");
    std::vector<Effect> out;
    NodeHandle a{Id::hash("node", "a"), "a:1"}, b{Id::hash("node", "b"), "b:1"};
    auto first = core.on_forward(key, wire::encode(wire::Join{"news", a}), a, 0, kWall0, out);
    EXPECT_FALSE(first.drop);
    ASSERT_TRUE(first.payload);  // grafts itself: the next hop adopts this node
    auto rewritten = std::get<wire::Join>(wire::decode(*first.payload));
    EXPECT_EQ(rewritten.child.id, core.self().id);
    out.clear();
    auto second = core.on_forward(key, wire::encode(wire::Join{"news", b}), a, 0, kWall0, out);
    EXPECT_FALSE(second.drop);
    EXPECT_FALSE(second.payload) << "passed on unchanged, for the next node up to adopt b";
    EXPECT_TRUE(out.empty()) << "no JoinAck to b";
    EXPECT_EQ(core.tree("news").children.size(), 1u);

    // Across an overlay: no node but the root has more children than allowed.
    l.max_children = 2;
    Sim sim(32, l, 3);
    std::vector<std::size_t> many;
    for (std::size_t i = 0; i < sim.nodes.size() && many.size() < 16; ++i)
        if (!std::count(sim.pubs.begin(), sim.pubs.end(), i)) many.push_back(i);
    subscribe_all(sim, "news", many);
    Traffic traffic;
    for (auto p : sim.pubs) traffic.publish(sim, p, "news", 0);
    sim.advance(S);
    for (std::size_t i = 0; i < sim.nodes.size(); ++i) {
        auto t = sim.core(i).tree("news");
        if (!t.root) {
            EXPECT_LE(t.children.size(), 2u);
        }
    }
    for (auto s : many)
        expect_complete(sim.nodes[s], traffic.acked(sim), "subscriber");
}

TEST(Scribe, GarbageInputThrowsDecodeErrorOnly) {
    Sim sim(32);
    subscribe_all(sim, "news");
    Traffic traffic;
    traffic.publish(sim, sim.pubs[0], "news", 0);
    sim.advance(S);
    std::mt19937_64 rng(11);
    const Id key = topic_key("news");
    std::vector<std::string> samples{
        wire::encode(wire::Join{"news", sim.nodes[3].handle}),
        wire::encode(wire::Publish{"news", sim.nodes[3].handle, 1, "x", false}),
        wire::encode(wire::Fetch{"news", sim.nodes[3].handle, 1, 1, 5, true}),
        wire::encode(wire::Data{"news", wire::Item{2, 0, "d"}}),
        wire::encode(wire::Heartbeat{{{"news", 9u}}}),
        wire::encode(wire::RootSync{"news", 3, {}, std::nullopt}),
        wire::encode(wire::FetchReply{"news", 1, 3, std::nullopt, {wire::Item{1, 0, "a"}}, std::nullopt}),
    };
    int decoded = 0;
    for (int i = 0; i < 3000; ++i) {
        std::string bytes;
        if (i % 3 == 0) {
            bytes.resize(rng() % 48);
            for (auto& c : bytes) c = static_cast<char>(rng());
        } else {
            bytes = samples[rng() % samples.size()];
            if (i % 3 == 1) bytes[rng() % bytes.size()] = static_cast<char>(rng());
        }
        std::size_t at = rng() % sim.nodes.size();
        std::size_t from = rng() % sim.nodes.size();
        try {
            switch (i % 4) {
            case 0:
                sim.apply(at, [&](Scribe& c, auto& out) {
                    c.on_receive(bytes, sim.nodes[from].handle, sim.now, sim.wall(), out);
                });
                break;
            case 1:
                sim.apply(at, [&](Scribe& c, auto& out) {
                    c.on_forward(key, bytes, sim.nodes[from].handle, sim.now, sim.wall(), out);
                });
                break;
            default:
                sim.apply(at, [&](Scribe& c, auto& out) {
                    c.on_deliver(key, bytes, sim.nodes[from].handle, sim.now, sim.wall(), out);
                });
            }
            ++decoded;
        } catch (const DecodeError&) {
        }
        sim.run();
    }
    EXPECT_GT(decoded, 0);
    // The overlay still works afterwards.
    sim.advance(10 * S);
    sim.publish(sim.pubs[1], "news", "after");
    sim.advance(S);
    EXPECT_FALSE(sim.nodes[sim.pubs[1]].published.empty());
}

// An overlay member that is not a node's parent sends it a message with a
// far-off number: taken in, it would be delivered, and would make every
// real message after it look like an old duplicate.
TEST(Scribe, DataFromANodeOtherThanTheParentIsRefused) {
    Sim sim(32);
    subscribe_all(sim, "news");
    Traffic traffic;
    traffic.publish(sim, sim.pubs[0], "news", 0);
    sim.advance(S);
    std::size_t s = leaf_subscriber(sim, "news");
    auto parent = sim.core(s).tree("news").parent;
    ASSERT_TRUE(parent);
    std::size_t forger = 0;
    while (forger == s || sim.nodes[forger].handle.id == parent->id) ++forger;
    auto forged = wire::encode(wire::Data{"news", wire::Item{1'000'000, 0, "forged"}});
    sim.apply(s, [&](Scribe& c, auto& out) { c.on_receive(forged, sim.nodes[forger].handle, sim.now, sim.wall(), out); });
    sim.advance(5 * S);
    traffic.publish(sim, sim.pubs[0], "news", 1);
    sim.advance(S);
    for (const auto& m : sim.nodes[s].delivered) EXPECT_NE(m.payload, "forged");
    expect_complete(sim.nodes[s], traffic.acked(sim), "subscriber");
}

// sr-eventd restarted on the root's node (same node id, its state gone):
// the node is still the key's root, and must carry on from its replicas'
// numbering instead of starting again at 1, which subscribers would take
// for old duplicates.
TEST(Scribe, RootRestartedWithoutItsStateCarriesOnTheNumberingFromItsReplicas) {
    Sim sim(32);
    subscribe_all(sim, "news");
    Traffic traffic;
    for (int round = 0; round < 3; ++round) traffic.publish(sim, sim.pubs[0], "news", round);
    sim.advance(S);
    std::size_t root = root_node(sim, "news");
    sim.nodes[root].core = std::make_unique<Scribe>(sim.nodes[root].handle, sim.limits);
    std::uint64_t before = 0;
    for (auto& p : sim.nodes[sim.pubs[0]].published) before = std::max(before, p.seq);
    traffic.publish(sim, sim.pubs[0], "news", 3);
    sim.advance(5 * S);
    std::uint64_t after = 0;
    for (auto& p : sim.nodes[sim.pubs[0]].published) after = std::max(after, p.seq);
    EXPECT_EQ(before, 3u);
    EXPECT_EQ(after, 4u) << "numbering restarted at the restarted root";
    for (auto s : sim.subs)
        if (s != root) expect_complete(sim.nodes[s], traffic.acked(sim), "subscriber");
}
