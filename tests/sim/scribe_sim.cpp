// sr-scribe-sim: many sans-IO Scribe cores (lib/event/scribe.hpp) on as
// many sans-IO Pastry cores with proximity neighbour selection, on a router
// topology (DESIGN §9; issue 10's Scribe simulation).
//
// The network and the overlay are sr-sim's PNS mode's (sim_network.hpp,
// sim_overlay.hpp): N nodes on the routers of a Topology Zoo graph
// (--graphml) or a generated one (--random-graph), latency from shortest
// paths, nodes joining one by one through the nearest joined node and
// choosing routing-table entries by the topological cost (--pns topology,
// the default; rtt or random for comparison), then --settle-s of
// maintenance.
//
// Scribe on top, wired as sr-eventd is to sr-dhtd:
//   RouteTo      the message travels hop by hop: at every node, the
//                origin's included, Pastry's next_hop(key) picks the next
//                node and Scribe's on_forward sees it first (app.forward):
//                it may stop it (a Join reaching a node already in the tree)
//                or rewrite it (a Join grafting this node); at the key's
//                root on_deliver (app.deliver). Each hop takes the latency
//                between the two nodes.
//   SendTo       straight to the node, after the latency (app.receive).
//   AskReplicaSet  answered (as an event, like the RPC it is) from the
//                node's Pastry replica_set(key, replicas + 1).
//   LeafSetChanged of the Pastry core: on_leafset (app.update).
//   tick         at each core's next_deadline(); the first at a random
//                offset, so heartbeats are not all in the same microsecond.
// A message to a dead node is lost, and the sender's Pastry core hears
// peer_unreachable when its transport would notice (sim_overlay.hpp).
//
// Topics. Topic r (1..T) is named "t<r>" and has
//     size(r) = max(1, floor(F * N * r^-a + 0.5))
// subscribers (a = --zipf 1.25 and F = --largest 1 by default: the first
// topic has every node), as in Scribe's evaluation (Castro et al., JSAC
// 2002: 1,500 groups, N * r^-1.25). Subscribers are distinct nodes drawn
// uniformly at random; each subscribes at a random moment of --subscribe-s.
//
// Phases:
//   1. Pastry joins and settles; a Scribe core is attached to every node.
//   2. Subscriptions, then --quiet-s for heartbeats to settle the trees.
//   3. Tree check (below), stress, and one publish per topic from a random
//      node, all at the same moment; --deliver-s later, delays and link
//      stress.
//   4. --fail-fraction of the nodes fail at once; --repair-s of simulated
//      time (Pastry repair, Scribe heartbeats, rejoins, root takeover).
//   5. Tree check, stress and a fresh publish per topic, as in 3.
//
// The tree check: per topic, the live node numerically closest to the
// key (brute force) must act as root; from every live subscriber the
// chain of parents must reach it, each parent alive and listing the node
// below as a child, every node on the way in the tree.
//
// What is measured, per publish round:
//   delay stretch  per live subscriber s other than the publisher P:
//                  (delay P -> root: the time the Publish took through the
//                  overlay) + (delay root -> s: from the moment the root
//                  sends the message down the tree to s's Deliver), over the
//                  unicast latency P -> s ("from_publisher"). The wait
//                  between the two, while the root has a replica acknowledge
//                  the message (sr's addition to Scribe), is left out. Also
//                  "from_root": delay root -> s over unicast root -> s, the
//                  tree's own stretch. Mean, median, p90 and max over
//                  subscribers; per topic also RAD (mean delay via Scribe /
//                  mean unicast delay over its subscribers) and RMD (max /
//                  max), averaged over topics: Scribe's paper's "relative
//                  average / maximum delay".
//   node stress    per live node, children summed over all topics it is in;
//                  also the number of trees it is in and of non-empty
//                  children tables. Max, and mean over all live nodes.
//   link stress    messages of the round (the Publish's overlay hops and
//                  every Data sent down the trees; not sr's replication)
//                  crossing each router link, from the shortest router path
//                  of every overlay hop (hops between nodes on one router
//                  cross none). Against IP multicast: each topic's message
//                  crossing each link of the shortest-path tree from P's
//                  router to its subscribers' once. Max, mean over all
//                  links, and mean over the links used.
//
// --check: exit 1 (and "result FAIL") unless every node joined, both tree
// checks pass, every live subscriber received both rounds' messages and
// no Scribe input threw. A topic whose root and whole replica set failed
// at once ("root_state_lost") has lost its numbering: the new root starts
// again at seq 1, which the subscribers that delivered the old seq 1 drop
// as a duplicate. Beyond what 1 + replicas copies survive, its misses are
// reported ("missed_there") but do not fail the check.
#include "dht/pastry.hpp"
#include "event/scribe.hpp"
#include "event/scribe_wire.hpp"
#include "sim_network.hpp"
#include "sim_overlay.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

using namespace sr;
using namespace sr::sim;
namespace ev = sr::event;

namespace {

constexpr std::int64_t kWall0 = 1'700'000'000'000'000LL;  // the cores' wall clock at simulated time 0

struct Options {
    NetworkOptions net;
    Policy pns = Policy::Topology;
    int topics = 1500;
    double zipf = 1.25;
    double largest = 1.0;
    double join_gap_ms = 5, settle_s = 120;
    double subscribe_s = 10, quiet_s = 5, deliver_s = 10;
    double fail_fraction = 0.1, repair_s = 60;
    double unreachable_ms = 1000;
    bool check = false;
    bool verbose = false;
};

[[noreturn]] void usage(int code) {
    std::fprintf(code ? stderr : stdout,
                 "usage: sr-scribe-sim %s\n"
                 "              [--nodes N] [--topics T] [--zipf A] [--largest F] [--seed S]\n"
                 "              [--pns topology|rtt|random] [--join-gap-ms MS] [--settle-s S]\n"
                 "              [--subscribe-s S] [--quiet-s S] [--deliver-s S] [--fail-fraction F]\n"
                 "              [--repair-s S] [--unreachable-ms MS] [--check] [-v]\n"
                 "Topic r of T has max(1, floor(F * N * r^-A + 0.5)) random subscribers (defaults:\n"
                 "N 10000, T 1500, A 1.25, F 1). 10,000 nodes on Kdl take about 3 minutes and 550 MB.\n",
                 NetworkOptions::kUsage);
    std::exit(code);
}

Options parse(int argc, char** argv) {
    Options o;
    o.net.nodes = 10000;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto val = [&]() -> std::string {
            if (i + 1 >= argc) usage(64);
            return argv[++i];
        };
        auto num = [&](const std::string& s) {
            char* end = nullptr;
            double d = std::strtod(s.c_str(), &end);
            if (s.empty() || *end || !std::isfinite(d)) usage(64);
            return d;
        };
        if (o.net.take(a, val, num, [] { usage(64); })) continue;
        if (a == "--nodes") o.net.nodes = static_cast<int>(num(val()));
        else if (a == "--seed") o.net.seed = static_cast<std::uint64_t>(num(val()));
        else if (a == "--topics") o.topics = static_cast<int>(num(val()));
        else if (a == "--zipf") o.zipf = num(val());
        else if (a == "--largest") o.largest = num(val());
        else if (a == "--pns") {
            auto p = policy_from(val());
            if (!p) usage(64);
            o.pns = *p;
        } else if (a == "--join-gap-ms") o.join_gap_ms = num(val());
        else if (a == "--settle-s") o.settle_s = num(val());
        else if (a == "--subscribe-s") o.subscribe_s = num(val());
        else if (a == "--quiet-s") o.quiet_s = num(val());
        else if (a == "--deliver-s") o.deliver_s = num(val());
        else if (a == "--fail-fraction") o.fail_fraction = num(val());
        else if (a == "--repair-s") o.repair_s = num(val());
        else if (a == "--unreachable-ms") o.unreachable_ms = num(val());
        else if (a == "--check") o.check = true;
        else if (a == "-v" || a == "--verbose") o.verbose = true;
        else if (a == "-h" || a == "--help") usage(0);
        else usage(64);
    }
    if (!o.net.valid() || o.topics < 1 || o.topics > 1'000'000 || o.zipf < 0 || o.largest <= 0 || o.largest > 1 ||
        o.join_gap_ms < 0 || o.settle_s < 0 || o.subscribe_s < 0 || o.quiet_s < 0 || o.deliver_s <= 0 ||
        o.fail_fraction < 0 || o.fail_fraction >= 1 || o.repair_s < 0 || o.unreachable_ms < 0)
        usage(64);
    return o;
}

std::int64_t us(double s) { return static_cast<std::int64_t>(s * 1e6); }

// The q-quantile of v (sorted here), nearest rank.
double quantile(std::vector<double>& v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, k > 0 ? k - 1 : 0)];
}

double mean(const std::vector<double>& v) {
    double s = 0;
    for (double x : v) s += x;
    return v.empty() ? 0 : s / static_cast<double>(v.size());
}

// Delay via Scribe against unicast: per subscriber, and per topic as
// Scribe's paper's RAD (mean delay via Scribe / mean unicast delay over the
// topic's subscribers) and RMD (max / max).
struct DelayStats {
    std::vector<double> stretch, rad, rmd;
    double via_sum = 0, uni_sum = 0;
    double via_topic = 0, uni_topic = 0, via_max = 0, uni_max = 0;
    void add(double via, double uni) {
        stretch.push_back(via / uni);
        via_topic += via;
        uni_topic += uni;
        via_max = std::max(via_max, via);
        uni_max = std::max(uni_max, uni);
    }
    void end_topic() {
        if (uni_topic > 0) {
            rad.push_back(via_topic / uni_topic);
            rmd.push_back(via_max / uni_max);
            via_sum += via_topic;
            uni_sum += uni_topic;
        }
        via_topic = uni_topic = via_max = uni_max = 0;
    }
    void print(const char* name) {
        const auto n = static_cast<double>(stretch.size());
        const double m = mean(stretch), median = quantile(stretch, 0.5), p90 = quantile(stretch, 0.9);
        std::printf(" %s: n=%zu mean_stretch=%.3f median_stretch=%.3f p90_stretch=%.3f max_stretch=%.2f mean_RAD=%.3f "
                    "mean_RMD=%.3f mean_delay_ms=%.2f mean_unicast_ms=%.2f",
                    name, stretch.size(), m, median, p90, quantile(stretch, 1), mean(rad), mean(rmd),
                    n > 0 ? via_sum / n / 1000 : 0.0, n > 0 ? uni_sum / n / 1000 : 0.0);
    }
};

struct Topic {
    std::string name;
    Id key;
    std::vector<int> subscribers;
    // The root and every node of its replica set failed at once: the root
    // state (last seq, buffer) is gone, and a new root numbers from 1 again.
    bool state_lost = false;
};

// The tree check's tallies over the live subscribers of every topic.
struct TreeCheck {
    long subscribers = 0, in_tree = 0;
    long not_member = 0, no_parent = 0, dead_parent = 0, not_child = 0, wrong_root = 0, too_deep = 0;
    int topics_without_root = 0;
    int extra_roots = 0;  // live nodes acting as root of a topic they are not the root of
    long depth_sum = 0;
    int max_depth = 0;
    bool ok() const { return in_tree == subscribers && topics_without_root == 0; }
};

struct Stress {
    double mean_children = 0, mean_trees = 0, mean_tables = 0;
    std::size_t max_children = 0, max_trees = 0, max_tables = 0;
    std::size_t max_children_one_topic = 0;
    int full_tables = 0;  // (node, topic) pairs at Limits::max_children
};

// One publish per topic, and what became of it.
struct Round {
    struct PerTopic {
        int publisher = -1;
        std::int64_t t_pub = 0;
        int root = -1;               // the node the Publish was delivered to first
        std::int64_t t_root = -1;    // ... when
        std::int64_t t_release = -1; // the root sending it down (or delivering it itself)
        std::string payload;
    };
    std::vector<PerTopic> topics;
    std::unordered_map<std::string, int> by_publish;  // encoded Publish -> topic, to tag it and its retries
    std::unordered_map<std::uint64_t, std::int64_t> delivered;  // topic * N + node -> when
    std::vector<std::uint64_t> scribe_links, ip_links;           // messages per router link
    std::uint64_t data_msgs = 0, publish_hops = 0;
};

class ScribeSim final : public Overlay {
  public:
    ScribeSim(const Options& o, const Network& net, const std::vector<Id>& ids)
        : Overlay(net, ids, static_cast<std::int64_t>(o.unreachable_ms * 1000)), opt_(o),
          rng_(splitmix(o.net.seed ^ 0x736372696265ULL)) {}
    int run();

  private:
    enum : std::uint8_t { kRoute = kApp, kDirect, kTick, kReplicaSet, kSubscribe };
    struct Routed {
        Id key;
        std::string payload;
        int origin = 0;
        int hops = 0;
        int topic = -1;  // a measured Publish: its topic
    };
    struct Direct {
        std::string payload;
        int from = 0;
    };
    struct ScribeNode {
        std::unique_ptr<ev::Scribe> core;
        ev::NodeHandle handle;
        std::int64_t scheduled = INT64_MAX;
    };

    void app_event(std::uint8_t kind, int node, int payload) override;
    void leafset_changed(int node, const pastry::LeafSetChanged& c) override;
    // Runs one input of node i's Scribe core and carries out its effects.
    template <typename F>
    void call(int i, F&& f);
    void carry_out(int i, std::vector<ev::Effect>& out);
    void hop(int at, Routed&& m);
    void count_links(int from, int to, std::vector<std::uint64_t>& links);
    // Node i passes on or delivers a message of topic: the topic's index
    // when it is the round's message, else -1.
    int sent_down(int i, const std::string& topic, const std::string& payload);

    void make_topics();
    TreeCheck check_trees() const;
    Stress stress() const;
    Round publish_round(const char* tag);
    bool report_round(const char* phase, Round& r);
    void report_tree(const char* phase, const TreeCheck& tc, const Stress& s) const;

    std::int64_t wall() const { return kWall0 + now(); }
    const ev::Scribe& scribe(int i) const { return *scribe_[static_cast<std::size_t>(i)].core; }

    const Options& opt_;
    std::mt19937_64 rng_;
    ev::Limits limits_;
    std::vector<ScribeNode> scribe_;
    std::vector<Topic> topics_;
    std::unordered_map<std::string, int> topic_index_;
    std::vector<std::pair<int, int>> subscriptions_;  // (node, topic), in kSubscribe events
    Slab<Routed> routed_;
    Slab<Direct> direct_;
    Slab<Id> replica_asks_;
    Round* measuring_ = nullptr;
    int publishing_ = -1;  // the topic whose round Publish is being made
    bool ticking_ = false;

    // counters
    std::uint64_t routed_hops_ = 0, directs_ = 0, dropped_ = 0, errors_ = 0, gaps_ = 0, publish_failed_ = 0;
};

template <typename F>
void ScribeSim::call(int i, F&& f) {
    auto& n = scribe_[static_cast<std::size_t>(i)];
    std::vector<ev::Effect> out;
    try {
        f(*n.core, out);
    } catch (const std::exception& e) {
        ++errors_;
        if (opt_.verbose) std::fprintf(stderr, "node %d: scribe: %s\n", i, e.what());
    }
    carry_out(i, out);
    // A deadline already past is due now; right after a tick, 1 ms later (a
    // core that kept one past would otherwise spin at one instant).
    std::int64_t w = std::max(n.core->next_deadline(), now() + (ticking_ ? 1000 : 0));
    if (w < n.scheduled) {
        n.scheduled = w;
        push(w, kTick, i, 0);
    }
}

void ScribeSim::carry_out(int i, std::vector<ev::Effect>& out) {
    for (auto& e : out) {
        if (auto* r = std::get_if<ev::RouteTo>(&e)) {
            Routed m{r->key, std::move(r->payload), i, 0, -1};
            if (measuring_) {
                // The round's Publish, or a retry of it (the same bytes).
                if (publishing_ >= 0) measuring_->by_publish.emplace(m.payload, publishing_);
                auto t = measuring_->by_publish.find(m.payload);
                if (t != measuring_->by_publish.end()) m.topic = t->second;
            }
            push(now(), kRoute, i, routed_.put(std::move(m)));  // the origin's own forward step
        } else if (auto* s = std::get_if<ev::SendTo>(&e)) {
            ++directs_;
            int d = index_of(s->to.addr, size());
            if (d < 0) {
                ++dropped_;
                continue;
            }
            if (measuring_) {
                auto msg = ev::wire::decode(s->payload);
                if (auto* data = std::get_if<ev::wire::Data>(&msg)) {
                    ++measuring_->data_msgs;
                    count_links(i, d, measuring_->scribe_links);
                    sent_down(i, data->topic, data->item.payload);
                }
            }
            if (!alive(d)) {
                lost_to(i, d);
                continue;
            }
            push(now() + net().latency(i, d), kDirect, d, direct_.put(Direct{std::move(s->payload), i}));
        } else if (auto* a = std::get_if<ev::AskReplicaSet>(&e)) {
            push(now(), kReplicaSet, i, replica_asks_.put(Id(a->key)));
        } else if (auto* d = std::get_if<ev::Deliver>(&e)) {
            if (!measuring_) continue;
            int t = sent_down(i, d->m.topic, d->m.payload);
            if (t >= 0)
                measuring_->delivered.emplace(
                    static_cast<std::uint64_t>(t) * static_cast<std::uint64_t>(size()) + static_cast<std::uint64_t>(i),
                    now());
        } else if (std::holds_alternative<ev::Gap>(e)) {
            ++gaps_;
        } else if (std::holds_alternative<ev::PublishFailed>(e)) {
            ++publish_failed_;
        }
    }
}

int ScribeSim::sent_down(int i, const std::string& topic, const std::string& payload) {
    auto t = topic_index_.find(topic);
    if (t == topic_index_.end()) return -1;
    auto& pt = measuring_->topics[static_cast<std::size_t>(t->second)];
    if (payload != pt.payload) return -1;
    // The root passing the round's message on (to its children, or to its
    // own subscribers): the delay down the tree counts from here.
    if (i == pt.root && pt.t_release < 0) pt.t_release = now();
    return t->second;
}

void ScribeSim::count_links(int from, int to, std::vector<std::uint64_t>& links) {
    net().for_each_link(from, to, [&](std::size_t l) { ++links[l]; });
}

void ScribeSim::hop(int at, Routed&& m) {
    auto& pastry_core = core(at);
    if (!pastry_core.joined()) {  // sr-dhtd drops what it cannot route yet
        ++dropped_;
        return;
    }
    ++routed_hops_;
    auto next = pastry_core.next_hop(m.key);
    if (!next) {
        if (measuring_ && m.topic >= 0) {
            auto& pt = measuring_->topics[static_cast<std::size_t>(m.topic)];
            if (pt.root < 0) {
                pt.root = at;
                pt.t_root = now();
            }
        }
        const auto& origin = scribe_[static_cast<std::size_t>(m.origin)].handle;
        call(at, [&](ev::Scribe& s, auto& out) { s.on_deliver(m.key, m.payload, origin, now(), wall(), out); });
        return;
    }
    if (m.hops >= 64) {  // sr-dhtd's hop limit
        ++dropped_;
        return;
    }
    ++m.hops;
    int d = index_of(next->addr, size());
    if (d < 0) {
        ++dropped_;
        return;
    }
    ev::ForwardDecision decision;
    const ev::NodeHandle next_handle{next->id, next->addr};
    call(at, [&](ev::Scribe& s, auto& out) {
        decision = s.on_forward(m.key, m.payload, next_handle, now(), wall(), out);
    });
    if (decision.drop) return;
    if (decision.payload) m.payload = std::move(*decision.payload);
    if (measuring_ && m.topic >= 0) {
        ++measuring_->publish_hops;
        count_links(at, d, measuring_->scribe_links);
    }
    if (!alive(d)) {
        lost_to(at, d);
        return;
    }
    push(now() + net().latency(at, d), kRoute, d, routed_.put(std::move(m)));
}

void ScribeSim::app_event(std::uint8_t kind, int node, int payload) {
    auto& n = scribe_[static_cast<std::size_t>(node)];
    switch (kind) {
        case kRoute: {
            Routed m = routed_.take(payload);
            if (!alive(node)) {
                ++lost_;  // died while the message was in flight
                return;
            }
            hop(node, std::move(m));
            return;
        }
        case kDirect: {
            Direct m = direct_.take(payload);
            if (!alive(node)) {
                ++lost_;
                return;
            }
            const auto& from = scribe_[static_cast<std::size_t>(m.from)].handle;
            call(node, [&](ev::Scribe& s, auto& out) { s.on_receive(m.payload, from, now(), wall(), out); });
            return;
        }
        case kTick:
            if (!alive(node) || now() != n.scheduled) return;  // stale
            n.scheduled = INT64_MAX;
            ticking_ = true;
            call(node, [&](ev::Scribe& s, auto& out) { s.tick(now(), wall(), out); });
            ticking_ = false;
            return;
        case kReplicaSet: {
            Id key = replica_asks_.take(payload);
            if (!alive(node)) return;
            std::vector<ev::NodeHandle> set;
            for (auto& r : core(node).replica_set(key, limits_.replicas + 1))
                set.push_back(ev::NodeHandle{r.id, std::move(r.addr)});
            call(node, [&](ev::Scribe& s, auto& out) { s.on_replica_set(key, set, now(), out); });
            return;
        }
        case kSubscribe: {
            auto [i, t] = subscriptions_[static_cast<std::size_t>(payload)];
            if (!alive(i)) return;
            const auto& name = topics_[static_cast<std::size_t>(t)].name;
            call(i, [&](ev::Scribe& s, auto& out) { s.subscribe(name, now(), out); });
            return;
        }
        default: return;
    }
}

void ScribeSim::leafset_changed(int node, const pastry::LeafSetChanged& c) {
    if (scribe_.empty()) return;  // the Pastry phase: no Scribe yet
    std::vector<ev::NodeHandle> added, removed;
    for (const auto& r : c.added) added.push_back(ev::NodeHandle{r.id, r.addr});
    for (const auto& r : c.removed) removed.push_back(ev::NodeHandle{r.id, r.addr});
    call(node, [&](ev::Scribe& s, auto& out) { s.on_leafset(added, removed, now(), out); });
}

// ---- topics and checks -------------------------------------------------------------

void ScribeSim::make_topics() {
    const int n = size();
    std::vector<int> pool(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) pool[static_cast<std::size_t>(i)] = i;
    for (int r = 1; r <= opt_.topics; ++r) {
        double want = std::floor(opt_.largest * n * std::pow(static_cast<double>(r), -opt_.zipf) + 0.5);
        int k = std::clamp(static_cast<int>(want), 1, n);
        Topic t;
        t.name = "t" + std::to_string(r);
        t.key = ev::topic_key(t.name);
        for (int j = 0; j < k; ++j) {  // a partial Fisher-Yates shuffle: k distinct nodes
            auto pick = static_cast<std::size_t>(j + static_cast<int>(rng_() % static_cast<std::uint64_t>(n - j)));
            std::swap(pool[static_cast<std::size_t>(j)], pool[pick]);
            t.subscribers.push_back(pool[static_cast<std::size_t>(j)]);
        }
        topic_index_.emplace(t.name, static_cast<int>(topics_.size()));
        topics_.push_back(std::move(t));
    }
}

TreeCheck ScribeSim::check_trees() const {
    TreeCheck c;
    Ring ring(*this);
    auto is_child = [&](int parent, int child, const std::string& topic) {
        for (const auto& h : scribe(parent).tree(topic).children)
            if (h.id == node(child).ref.id) return true;
        return false;
    };
    for (const auto& t : topics_) {
        const int root = ring.root_of(t.key);
        if (!scribe(root).tree(t.name).root) ++c.topics_without_root;
        for (int s : t.subscribers) {
            if (!alive(s)) continue;
            ++c.subscribers;
            int x = s, depth = 0;
            for (;; ++depth) {
                if (depth > 64) {
                    ++c.too_deep;
                    break;
                }
                auto info = scribe(x).tree(t.name);
                if (info.root) {
                    if (x != root) {
                        ++c.wrong_root;
                        break;
                    }
                    ++c.in_tree;
                    c.depth_sum += depth;
                    c.max_depth = std::max(c.max_depth, depth);
                    break;
                }
                if (!info.member) {
                    ++c.not_member;
                    break;
                }
                if (!info.parent) {
                    ++c.no_parent;
                    break;
                }
                int p = index_of(info.parent->addr, size());
                if (p < 0 || !alive(p)) {
                    ++c.dead_parent;
                    break;
                }
                if (!is_child(p, x, t.name)) {
                    ++c.not_child;
                    break;
                }
                x = p;
            }
        }
    }
    for (int i = 0; i < size(); ++i) {
        if (!alive(i)) continue;
        for (const auto& info : scribe(i).topics())
            if (info.tree.root && ring.root_of(ev::topic_key(info.topic)) != i) ++c.extra_roots;
    }
    return c;
}

Stress ScribeSim::stress() const {
    Stress s;
    double children = 0, trees = 0, tables = 0, live = 0;
    for (int i = 0; i < size(); ++i) {
        if (!alive(i)) continue;
        ++live;
        std::size_t c = 0, n = 0, k = 0;
        for (const auto& info : scribe(i).topics()) {
            ++n;
            c += info.tree.children.size();
            if (!info.tree.children.empty()) ++k;
            s.max_children_one_topic = std::max(s.max_children_one_topic, info.tree.children.size());
            if (info.tree.children.size() >= limits_.max_children) ++s.full_tables;
        }
        children += static_cast<double>(c);
        trees += static_cast<double>(n);
        tables += static_cast<double>(k);
        s.max_children = std::max(s.max_children, c);
        s.max_trees = std::max(s.max_trees, n);
        s.max_tables = std::max(s.max_tables, k);
    }
    if (live > 0) {
        s.mean_children = children / live;
        s.mean_trees = trees / live;
        s.mean_tables = tables / live;
    }
    return s;
}

void ScribeSim::report_tree(const char* phase, const TreeCheck& c, const Stress& s) const {
    std::printf("%-15s subscribers=%ld in_tree=%ld not_member=%ld no_parent=%ld dead_parent=%ld not_child=%ld "
                "wrong_root=%ld too_deep=%ld topics_without_root=%d extra_roots=%d mean_depth=%.2f max_depth=%d\n",
                phase, c.subscribers, c.in_tree, c.not_member, c.no_parent, c.dead_parent, c.not_child, c.wrong_root,
                c.too_deep, c.topics_without_root, c.extra_roots,
                c.in_tree ? static_cast<double>(c.depth_sum) / static_cast<double>(c.in_tree) : 0.0, c.max_depth);
    std::printf("%-15s children_per_node max=%zu mean=%.2f trees_per_node max=%zu mean=%.2f "
                "children_tables_per_node max=%zu mean=%.2f max_children_one_topic=%zu at_max_children=%d\n",
                "node_stress", s.max_children, s.mean_children, s.max_trees, s.mean_trees, s.max_tables,
                s.mean_tables, s.max_children_one_topic, s.full_tables);
}

// ---- one publish per topic ---------------------------------------------------------

Round ScribeSim::publish_round(const char* tag) {
    Round r;
    r.topics.resize(topics_.size());
    r.scribe_links.assign(net().links, 0);
    r.ip_links.assign(net().links, 0);
    std::vector<int> live;
    for (int i = 0; i < size(); ++i)
        if (alive(i)) live.push_back(i);
    measuring_ = &r;
    for (std::size_t t = 0; t < topics_.size(); ++t) {
        auto& pt = r.topics[t];
        pt.publisher = live[static_cast<std::size_t>(rng_() % live.size())];
        pt.t_pub = now();
        pt.payload = std::string(tag) + ":" + topics_[t].name;
        publishing_ = static_cast<int>(t);
        const auto& name = topics_[t].name;
        call(pt.publisher, [&](ev::Scribe& s, auto& out) { s.publish(name, pt.payload, false, now(), wall(), out); });
        publishing_ = -1;
    }
    // IP multicast: one copy per link of the shortest-path tree from the
    // publisher's router to its live subscribers' (stamped per topic; a
    // path meets the tree at the first link already in it).
    std::vector<std::uint32_t> stamp(net().links, 0);
    const std::size_t u = net().used.size();
    for (std::size_t t = 0; t < topics_.size(); ++t) {
        const auto src = static_cast<std::size_t>(net().at[static_cast<std::size_t>(r.topics[t].publisher)]);
        for (int s : topics_[t].subscribers) {
            if (!alive(s)) continue;
            for (auto x = static_cast<std::size_t>(net().at[static_cast<std::size_t>(s)]); x != src;) {
                auto p = static_cast<std::size_t>(net().pred[src * u + x]);
                auto l = static_cast<std::size_t>(net().link_of[p * u + x]);
                if (stamp[l] == t + 1) break;
                stamp[l] = static_cast<std::uint32_t>(t + 1);
                ++r.ip_links[l];
                x = p;
            }
        }
    }
    run_until(now() + us(opt_.deliver_s));
    measuring_ = nullptr;
    return r;
}

bool ScribeSim::report_round(const char* phase, Round& r) {
    // From the publisher (the Publish's overlay route to the root, then down
    // the tree), and from the root alone (down the tree, against unicast
    // from the root: the tree's own stretch, as if the root published).
    DelayStats publisher, root;
    long expected = 0, got = 0, unmeasured = 0, missed_state_lost = 0;
    int state_lost = 0;
    for (std::size_t t = 0; t < topics_.size(); ++t) {
        const auto& pt = r.topics[t];
        const bool measured = pt.root >= 0 && pt.t_release >= 0;
        state_lost += topics_[t].state_lost;
        for (int s : topics_[t].subscribers) {
            if (!alive(s)) continue;
            ++expected;
            auto d = r.delivered.find(static_cast<std::uint64_t>(t) * static_cast<std::uint64_t>(size()) +
                                      static_cast<std::uint64_t>(s));
            if (d == r.delivered.end()) {
                missed_state_lost += topics_[t].state_lost;
                continue;
            }
            ++got;
            if (!measured) {
                ++unmeasured;
                continue;
            }
            const auto down = static_cast<double>(d->second - pt.t_release);
            if (s != pt.publisher)
                publisher.add(static_cast<double>(pt.t_root - pt.t_pub) + down,
                              static_cast<double>(net().latency(pt.publisher, s)));
            if (s != pt.root) root.add(down, static_cast<double>(net().latency(pt.root, s)));
        }
        publisher.end_topic();
        root.end_topic();
    }
    std::printf("%-15s delivered=%ld/%ld root_state_lost=%d missed_there=%ld unmeasured=%ld\n", phase, got, expected,
                state_lost, missed_state_lost, unmeasured);
    std::printf("%-15s", "delay");
    publisher.print("from_publisher");
    std::printf("\n%-15s", "delay");
    root.print("from_root");
    std::printf("\n");
    auto links = [&](const std::vector<std::uint64_t>& v, const char* name) {
        std::uint64_t max = 0, total = 0, used = 0;
        for (auto x : v) {
            max = std::max(max, x);
            total += x;
            used += x > 0;
        }
        std::printf(" %s: max=%llu mean=%.2f mean_used=%.2f used=%llu/%zu total=%llu", name,
                    static_cast<unsigned long long>(max), v.empty() ? 0.0 : static_cast<double>(total) / v.size(),
                    used ? static_cast<double>(total) / static_cast<double>(used) : 0.0,
                    static_cast<unsigned long long>(used), v.size(), static_cast<unsigned long long>(total));
        return total;
    };
    std::printf("%-15s publish_hops=%llu data_msgs=%llu", "link_stress",
                static_cast<unsigned long long>(r.publish_hops), static_cast<unsigned long long>(r.data_msgs));
    auto scribe_total = links(r.scribe_links, "scribe");
    auto ip_total = links(r.ip_links, "ip_multicast");
    std::printf(" scribe/ip=%.2f\n",
                ip_total ? static_cast<double>(scribe_total) / static_cast<double>(ip_total) : 0.0);
    // Where the root state is lost, subscribers that had the old numbering's
    // seq 1 drop the new root's seq 1 as a duplicate: beyond what 1 + replicas
    // copies can survive, reported but not failed.
    return got + missed_state_lost == expected;
}

// ---- the run ------------------------------------------------------------------------

int ScribeSim::run() {
    const double t0 = wall_s();
    const int n = size();
    join_all(static_cast<std::int64_t>(opt_.join_gap_ms * 1000), us(opt_.settle_s),
             [&](int i) { return make_proximity(opt_.pns, net(), i, node(i).ref.id, opt_.net.seed); });
    std::printf("%-15s joined=%d/%d pastry_messages=%llu sim_s=%.1f wall_s=%.1f\n", "join", joined(), n,
                static_cast<unsigned long long>(sent()), static_cast<double>(now()) / 1e6, wall_s() - t0);

    scribe_.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        auto& s = scribe_[static_cast<std::size_t>(i)];
        s.handle = ev::NodeHandle{node(i).ref.id, node(i).ref.addr};
        s.core = std::make_unique<ev::Scribe>(s.handle, limits_);
        s.scheduled = now() + static_cast<std::int64_t>(rng_() % static_cast<std::uint64_t>(limits_.heartbeat_us));
        push(s.scheduled, kTick, i, 0);
    }
    make_topics();
    std::size_t total = 0;
    for (const auto& t : topics_) total += t.subscribers.size();
    std::printf("%-15s topics=%d size(r)=max(1,floor(%g*%d*r^-%g+0.5)) largest=%zu smallest=%zu subscriptions=%zu\n",
                "topics", opt_.topics, opt_.largest, n, opt_.zipf, topics_.front().subscribers.size(),
                topics_.back().subscribers.size(), total);
    for (std::size_t t = 0; t < topics_.size(); ++t)
        for (int s : topics_[t].subscribers) {
            subscriptions_.emplace_back(s, static_cast<int>(t));
            push(now() + static_cast<std::int64_t>(unit(rng_) * static_cast<double>(us(opt_.subscribe_s))), kSubscribe,
                 s, static_cast<int>(subscriptions_.size() - 1));
        }
    run_until(now() + us(opt_.subscribe_s) + us(opt_.quiet_s));
    std::printf("%-15s sim_s=%.1f wall_s=%.1f\n", "subscribed", static_cast<double>(now()) / 1e6, wall_s() - t0);

    TreeCheck before = check_trees();
    report_tree("before_failure", before, stress());
    Round r1 = publish_round("r1");
    bool delivered1 = report_round("before_failure", r1);

    std::vector<int> live;
    for (int i = 0; i < n; ++i)
        if (alive(i)) live.push_back(i);
    std::shuffle(live.begin(), live.end(), rng_);
    int kill = std::min(static_cast<int>(opt_.fail_fraction * n), static_cast<int>(live.size()) - 1);
    std::vector<int> roots;
    Ring ring(*this);
    for (const auto& t : topics_) roots.push_back(ring.root_of(t.key));
    for (int k = 0; k < kill; ++k) fail(live[static_cast<std::size_t>(k)]);
    for (std::size_t t = 0; t < topics_.size(); ++t) {
        auto set = core(roots[t]).replica_set(topics_[t].key, limits_.replicas + 1);
        topics_[t].state_lost = std::none_of(set.begin(), set.end(), [&](const pastry::NodeRef& r) {
            return alive(index_of(r.addr, n));
        });
    }
    run_until(now() + us(opt_.repair_s));
    std::printf("%-15s killed=%d live=%d repair_sim_s=%.1f wall_s=%.1f\n", "failure", kill, n - kill, opt_.repair_s,
                wall_s() - t0);
    TreeCheck after = check_trees();
    report_tree("after_failure", after, stress());
    Round r2 = publish_round("r2");
    bool delivered2 = report_round("after_failure", r2);

    std::printf("%-15s pastry=%llu scribe_routed_hops=%llu scribe_direct=%llu lost=%llu dropped=%llu errors=%llu "
                "gaps=%llu publish_failed=%llu\n",
                "messages", static_cast<unsigned long long>(sent()), static_cast<unsigned long long>(routed_hops_),
                static_cast<unsigned long long>(directs_), static_cast<unsigned long long>(lost()),
                static_cast<unsigned long long>(dropped_), static_cast<unsigned long long>(errors_),
                static_cast<unsigned long long>(gaps_), static_cast<unsigned long long>(publish_failed_));
    std::printf("%-15s simulated_s=%.1f wall_s=%.1f\n", "time", static_cast<double>(now()) / 1e6, wall_s() - t0);
    bool good = joined() == n && before.ok() && after.ok() && delivered1 && delivered2 && errors_ == 0;
    std::printf("%-15s %s\n", "result", good ? "OK" : "FAIL");
    std::fflush(stdout);
    return opt_.check && !good ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    Options o = parse(argc, argv);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each phase's line as it ends, also into a file (long runs)
    try {
        const double t0 = wall_s();
        Network net = build_network(o.net);
        std::printf("sr-scribe-sim %s setup_wall_s=%.2f\n", net.describe().c_str(), wall_s() - t0);
        std::printf("sr-scribe-sim nodes=%d placement=%s seed=%llu pns=%s latency_us=%.0f+%.1f/km+%.0f/hop "
                    "join_gap_ms=%.1f settle_s=%.0f fail_fraction=%.2f repair_s=%.0f\n",
                    o.net.nodes, o.net.random_placement ? "random" : "rr",
                    static_cast<unsigned long long>(o.net.seed), policy_name(o.pns), o.net.access_us, o.net.km_us,
                    o.net.hop_us, o.join_gap_ms, o.settle_s, o.fail_fraction, o.repair_s);
        ScribeSim sim(o, net, random_ids(o.net.nodes, o.net.seed));
        return sim.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sr-scribe-sim: %s\n", e.what());
        return 70;
    }
}
