// sr-sim: an in-process, event-driven simulation of many Pastry cores
// (lib/dht/pastry.hpp) on a synthetic network (DESIGN §9).
//
// The network: nodes placed uniformly on a 1000 x 1000 plane, deterministic
// from --seed; one-way latency = 1 ms + 0.08 ms per unit of distance (up to
// ~114 ms). One priority queue of (time, seq, event) drives everything:
// message deliveries, node ticks (at each core's next_wakeup()) and
// "unreachable" notices. A message to a dead node is lost and its sender
// hears peer_unreachable after 2 x latency + --unreachable-ms, the way a
// transport learns of a refused or timed-out connection. Every
// --wire-every'th message goes through pastry_wire encode/decode, and the
// decoded copy (which must compare equal) is what gets delivered.
//
// Phases:
//   1. N nodes join one by one, --join-gap-ms apart, each through the
//      nearest node already joined (Pastry assumes a nearby bootstrap);
//      then --settle-s of simulated time.
//   2. --keys random keys are routed from random live nodes by following
//      next_hop node by node; each route must end at the numerically closest
//      live node (brute force over a sorted vector of live ids). A hop to a
//      dead node is a failed send: the sender is told (peer_unreachable) and
//      picks again. Hops, stretch (sum of hop latencies / direct latency)
//      and leaf-set exactness are measured.
//   3. --fail-fraction of the nodes die at once; after --repair-s of
//      simulated time the checks of phase 2 run again.
// With --check the exit status is 1 when any route is wrong, mean hops
// exceed log16 N, a node failed to join, or the codec changed a message.
//
// With --graphml FILE or --random-graph R, sr-sim runs the proximity
// neighbour selection comparison instead (pns_sim.cpp).
#include "dht/pastry.hpp"
#include "dht/pastry_wire.hpp"
#include "pns_sim.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <queue>
#include <random>
#include <string>
#include <vector>

using namespace sr;
using namespace sr::pastry;

namespace {

struct Options {
    int nodes = 1000;
    std::uint64_t seed = 1;
    int keys = 1000;
    double fail_fraction = 0.1;
    bool check = false;
    int wire_every = 16;
    double join_gap_ms = 5;
    double settle_s = 30;
    double repair_s = 60;
    double unreachable_ms = 1000;
    bool verbose = false;
};

[[noreturn]] void usage(int code) {
    std::fprintf(code ? stderr : stdout,
                 "usage: sr-sim [--nodes N] [--seed S] [--keys K] [--fail-fraction F] [--check]\n"
                 "              [--wire-every K] [--join-gap-ms MS] [--settle-s S] [--repair-s S]\n"
                 "              [--unreachable-ms MS] [-v]\n"
                 "       sr-sim {--graphml FILE | --random-graph R} [--pns all|topology,rtt,random] ...\n"
                 "              (proximity neighbour selection on a router topology: sr-sim --pns all -h)\n"
                 "The joins take N x --join-gap-ms (default 5) of simulated time, and every live\n"
                 "node pings its leaves each second, so the work grows as N^2 at a fixed gap.\n"
                 "For 100,000 nodes use --join-gap-ms 0.5: the same join rate per leaf set and\n"
                 "the same 50 simulated seconds of joins as 10,000 at 5 (about 20 minutes, 8 GB).\n"
                 "Leaf sets then take longer than --settle-s 30 to become all exact, so --check\n"
                 "can fail before the failure phase (tests/bench/RESULTS.md, issue 10).\n");
    std::exit(code);
}

Options parse(int argc, char** argv) {
    Options o;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto val = [&]() -> const char* {
            if (i + 1 >= argc) usage(64);
            return argv[++i];
        };
        char* end = nullptr;
        auto num = [&](const char* s) {
            double d = std::strtod(s, &end);
            if (end == s || *end) usage(64);
            return d;
        };
        if (a == "--nodes") o.nodes = static_cast<int>(num(val()));
        else if (a == "--seed") o.seed = static_cast<std::uint64_t>(num(val()));
        else if (a == "--keys") o.keys = static_cast<int>(num(val()));
        else if (a == "--fail-fraction") o.fail_fraction = num(val());
        else if (a == "--check") o.check = true;
        else if (a == "--wire-every") o.wire_every = static_cast<int>(num(val()));
        else if (a == "--join-gap-ms") o.join_gap_ms = num(val());
        else if (a == "--settle-s") o.settle_s = num(val());
        else if (a == "--repair-s") o.repair_s = num(val());
        else if (a == "--unreachable-ms") o.unreachable_ms = num(val());
        else if (a == "-v" || a == "--verbose") o.verbose = true;
        else if (a == "-h" || a == "--help") usage(0);
        else usage(64);
    }
    if (o.nodes < 1 || o.nodes > (1 << 24) || o.keys < 0 || o.fail_fraction < 0 || o.fail_fraction >= 1 ||
        o.wire_every < 0 || o.join_gap_ms < 0 || o.settle_s < 0 || o.repair_s < 0 || o.unreachable_ms < 0)
        usage(64);
    return o;
}

double wall_s() {
    using namespace std::chrono;
    return duration<double>(steady_clock::now().time_since_epoch()).count();
}

struct RouteStats {
    int routes = 0, correct = 0, failed = 0, max_hops = 0;
    long total_hops = 0;
    double stretch_sum = 0;
    int stretch_n = 0;
    double leafsets_exact = 0;
    std::vector<int> hop_count;  // hop_count[h]: routes that ended in h hops (as total_hops), for percentiles
    double mean_hops() const { return routes ? static_cast<double>(total_hops) / routes : 0; }
    // Smallest h such that at least fraction q of the counted routes took <= h hops.
    int hops_percentile(double q) const {
        long total = 0, seen = 0;
        for (int c : hop_count) total += c;
        for (int h = 0; h < static_cast<int>(hop_count.size()); ++h) {
            seen += hop_count[h];
            if (seen > 0 && static_cast<double>(seen) >= q * static_cast<double>(total)) return h;
        }
        return 0;
    }
    double mean_stretch() const { return stretch_n ? stretch_sum / stretch_n : 0; }
};

class Sim {
  public:
    explicit Sim(const Options& o) : opt_(o), rng_(o.seed) {}

    int run();

  private:
    enum Kind : std::uint8_t { kDeliver, kTick, kUnreachable };
    struct Ev {
        std::int64_t t;
        std::uint64_t seq;
        std::int32_t node;     // receiver / ticking node / node to notify
        std::int32_t payload;  // message slot, or the unreachable node
        Kind kind;
    };
    struct Later {
        bool operator()(const Ev& a, const Ev& b) const { return a.t != b.t ? a.t > b.t : a.seq > b.seq; }
    };
    struct SimNode {
        std::unique_ptr<Node> core;
        NodeRef ref;
        double x = 0, y = 0;
        bool alive = false;
        bool joined = false;
        std::int64_t scheduled = INT64_MAX;
    };

    // "10.A.B.C": short enough for std::string's small-buffer optimisation.
    static std::string addr_of(int i) {
        return "10." + std::to_string((i >> 16) & 255) + "." + std::to_string((i >> 8) & 255) + "." +
               std::to_string(i & 255);
    }
    int index_of(const std::string& a) const {
        if (a.size() < 8 || a.compare(0, 3, "10.") != 0) return -1;
        int parts[3] = {0, 0, 0}, k = 0;
        for (std::size_t i = 3; i < a.size(); ++i) {
            char c = a[i];
            if (c >= '0' && c <= '9') parts[k] = parts[k] * 10 + (c - '0');
            else if (c == '.' && k < 2) ++k;
            else return -1;
        }
        if (k != 2) return -1;
        int idx = (parts[0] << 16) | (parts[1] << 8) | parts[2];
        return idx < static_cast<int>(nodes_.size()) ? idx : -1;
    }
    std::int64_t latency(int a, int b) const {
        double dx = nodes_[a].x - nodes_[b].x, dy = nodes_[a].y - nodes_[b].y;
        return 1000 + static_cast<std::int64_t>(80.0 * std::sqrt(dx * dx + dy * dy));
    }

    void push(std::int64_t t, Kind k, int node, int payload) { q_.push(Ev{t, seq_++, node, payload, k}); }
    int store(Message&& m) {
        if (!free_.empty()) {
            int s = free_.back();
            free_.pop_back();
            slab_[s] = std::move(m);
            return s;
        }
        slab_.push_back(std::move(m));
        return static_cast<int>(slab_.size() - 1);
    }

    void apply(int i, std::vector<Effect>&& effs);
    void reschedule(int i);
    void run_until(std::int64_t t);
    void start_node(int i);
    RouteStats check_routes(int keys);
    double leafset_exactness() const;
    double routing_table_fill() const;
    void report(const char* phase, const RouteStats& s) const;

    Options opt_;
    std::mt19937_64 rng_;
    std::vector<SimNode> nodes_;
    // Started nodes by position, for start_node's nearest-node search: a
    // kGrid x kGrid grid over the 1000 x 1000 plane (about 1.5 nodes a cell
    // at 100,000 nodes).
    static constexpr int kGrid = 256;
    static constexpr double kCell = 1000.0 / kGrid;
    std::vector<std::vector<int>> grid_ = std::vector<std::vector<int>>(kGrid * kGrid);
    std::priority_queue<Ev, std::vector<Ev>, Later> q_;
    std::vector<Message> slab_;
    std::vector<int> free_;
    std::uint64_t seq_ = 0;
    std::int64_t now_ = 0;

    // counters
    std::uint64_t sent_ = 0, delivered_ = 0, lost_ = 0, wire_rt_ = 0, wire_bad_ = 0, wire_bytes_ = 0;
    std::uint64_t events_ = 0, peer_dead_ = 0, leaf_changes_ = 0;
    std::uint64_t sent_by_kind_[kMessageKinds] = {};
    int joined_ = 0;
};

void Sim::apply(int i, std::vector<Effect>&& effs) {
    for (auto& e : effs) {
        if (auto* s = std::get_if<Send>(&e)) {
            ++sent_;
            ++sent_by_kind_[s->msg.index()];
            int d = index_of(s->to.addr);
            if (d < 0) {
                ++lost_;
                continue;
            }
            if (opt_.wire_every > 0 && sent_ % static_cast<std::uint64_t>(opt_.wire_every) == 0) {
                std::string bytes = encode(s->msg);
                wire_bytes_ += bytes.size();
                ++wire_rt_;
                try {
                    Message back = decode(bytes);
                    if (!(back == s->msg)) ++wire_bad_;
                    s->msg = std::move(back);
                } catch (const std::exception& ex) {
                    ++wire_bad_;
                    if (opt_.verbose) std::fprintf(stderr, "wire: %s\n", ex.what());
                    continue;
                }
            }
            if (!nodes_[d].alive) {
                ++lost_;
                auto delay = 2 * latency(i, d) + static_cast<std::int64_t>(opt_.unreachable_ms * 1000);
                push(now_ + delay, kUnreachable, i, d);
                continue;
            }
            push(now_ + latency(i, d), kDeliver, d, store(std::move(s->msg)));
        } else if (std::holds_alternative<Joined>(e)) {
            if (!nodes_[i].joined) ++joined_;
            nodes_[i].joined = true;
        } else if (std::holds_alternative<PeerDead>(e)) {
            ++peer_dead_;
        } else if (std::holds_alternative<LeafSetChanged>(e)) {
            ++leaf_changes_;
        }
    }
    reschedule(i);
}

void Sim::reschedule(int i) {
    auto& n = nodes_[i];
    std::int64_t w = n.core->next_wakeup();
    if (w < n.scheduled) {
        n.scheduled = w;
        push(std::max(w, now_), kTick, i, 0);
    }
}

void Sim::run_until(std::int64_t t) {
    while (!q_.empty() && q_.top().t <= t) {
        Ev ev = q_.top();
        q_.pop();
        now_ = std::max(now_, ev.t);
        ++events_;
        auto& n = nodes_[ev.node];
        switch (ev.kind) {
            case kDeliver: {
                Message m = std::move(slab_[ev.payload]);
                free_.push_back(ev.payload);
                if (!n.alive) {
                    ++lost_;  // died while the message was in flight
                    break;
                }
                ++delivered_;
                apply(ev.node, n.core->receive(m, now_));
                break;
            }
            case kTick:
                if (!n.alive || ev.t != n.scheduled) break;  // stale
                n.scheduled = INT64_MAX;
                apply(ev.node, n.core->tick(now_));
                break;
            case kUnreachable:
                if (!n.alive) break;
                apply(ev.node, n.core->peer_unreachable(nodes_[ev.payload].ref, now_));
                break;
        }
    }
    now_ = std::max(now_, t);
}

void Sim::start_node(int i) {
    auto& n = nodes_[i];
    n.core = std::make_unique<Node>(n.ref, Config{}, now_);
    n.alive = true;
    // Bootstrap through the nearest node that has joined (ties: lowest index).
    // Scanning every earlier node made the joins O(N^2) (5e9 distances at
    // 100,000 nodes), so the started nodes are kept in a grid of cells, and
    // rings of cells around the newcomer's are searched until no unsearched
    // cell can hold a nearer node.
    const int gx = std::min(kGrid - 1, static_cast<int>(n.x / kCell));
    const int gy = std::min(kGrid - 1, static_cast<int>(n.y / kCell));
    int best = -1;
    double bd = 0;
    auto visit = [&](int cx, int cy) {
        if (cx < 0 || cy < 0 || cx >= kGrid || cy >= kGrid) return;
        for (int j : grid_[cx * kGrid + cy]) {
            if (!nodes_[j].alive || !nodes_[j].joined) continue;
            double dx = n.x - nodes_[j].x, dy = n.y - nodes_[j].y, d = dx * dx + dy * dy;
            if (best < 0 || d < bd || (d == bd && j < best)) {
                best = j;
                bd = d;
            }
        }
    };
    for (int r = 0; r < kGrid; ++r) {
        // Every node in ring r (the cells r steps from the newcomer's) is at
        // least (r - 1) cells away.
        if (best >= 0 && bd < (r - 1) * kCell * (r - 1) * kCell) break;
        for (int cx = gx - r; cx <= gx + r; ++cx) {
            if (cx == gx - r || cx == gx + r) {
                for (int cy = gy - r; cy <= gy + r; ++cy) visit(cx, cy);
            } else {
                visit(cx, gy - r);
                if (r > 0) visit(cx, gy + r);
            }
        }
    }
    grid_[gx * kGrid + gy].push_back(i);
    std::vector<std::string> seeds;
    if (best >= 0) seeds.push_back(nodes_[best].ref.addr);
    else if (i > 0) seeds.push_back(nodes_[0].ref.addr);
    apply(i, n.core->bootstrap(seeds, now_));
}

RouteStats Sim::check_routes(int keys) {
    RouteStats st;
    std::vector<std::pair<Id, int>> live;
    for (int i = 0; i < static_cast<int>(nodes_.size()); ++i)
        if (nodes_[i].alive) live.emplace_back(nodes_[i].ref.id, i);
    std::sort(live.begin(), live.end());
    auto root_of = [&](const Id& key) {
        auto it = std::lower_bound(live.begin(), live.end(), std::make_pair(key, -1));
        const auto& succ = it == live.end() ? live.front() : *it;
        const auto& pred = it == live.begin() ? live.back() : *(it - 1);
        return closer_to(key, succ.first, pred.first) ? succ.second : pred.second;
    };
    for (int k = 0; k < keys; ++k) {
        Id key{rng_(), rng_()};
        int src = live[rng_() % live.size()].second;
        int cur = src, hops = 0, attempts = 0;
        std::int64_t path_latency = 0;
        bool ok = false;
        while (attempts++ < 200 && hops <= 64) {
            auto nh = nodes_[cur].core->next_hop(key);
            if (!nh) {
                ok = true;
                break;
            }
            int d = index_of(nh->addr);
            if (d < 0) break;
            if (!nodes_[d].alive) {  // the send fails: the node learns and picks again
                apply(cur, nodes_[cur].core->peer_unreachable(*nh, now_));
                continue;
            }
            path_latency += latency(cur, d);
            cur = d;
            ++hops;
        }
        ++st.routes;
        if (!ok) {
            ++st.failed;
            continue;
        }
        if (cur == root_of(key)) ++st.correct;
        st.total_hops += hops;
        st.max_hops = std::max(st.max_hops, hops);
        if (static_cast<int>(st.hop_count.size()) <= hops) st.hop_count.resize(hops + 1);
        ++st.hop_count[hops];
        if (cur != src) {
            st.stretch_sum += static_cast<double>(path_latency) / static_cast<double>(latency(src, cur));
            ++st.stretch_n;
        }
    }
    st.leafsets_exact = leafset_exactness();
    if (opt_.verbose) {  // diagnostics
        double peers = 0, rt = 0, live_n = 0;
        for (const auto& n : nodes_)
            if (n.alive) {
                peers += static_cast<double>(n.core->known_peers());
                rt += static_cast<double>(n.core->routing_table().size());
                ++live_n;
            }
        std::printf("%-15s routing_table_fill=%.2f%% mean_rt_entries=%.1f mean_known_peers=%.1f\n", "diag",
                    100.0 * routing_table_fill(), rt / live_n, peers / live_n);
    }
    return st;
}

// Fraction of live nodes whose leaf-set halves are exactly the L/2 nearest
// live nodes on each side.
double Sim::leafset_exactness() const {
    std::vector<std::pair<Id, int>> live;
    for (int i = 0; i < static_cast<int>(nodes_.size()); ++i)
        if (nodes_[i].alive) live.emplace_back(nodes_[i].ref.id, i);
    std::sort(live.begin(), live.end());
    const int n = static_cast<int>(live.size());
    const int h = std::min(Config{}.leaf_set_size / 2, n - 1);
    int exact = 0;
    for (int p = 0; p < n; ++p) {
        const Node& node = *nodes_[live[p].second].core;
        const auto& right = node.leaf_right();
        const auto& left = node.leaf_left();
        bool ok = static_cast<int>(right.size()) == h && static_cast<int>(left.size()) == h;
        for (int k = 0; ok && k < h; ++k) {
            ok = right[k].id == live[(p + 1 + k) % n].first && left[k].id == live[((p - 1 - k) % n + n) % n].first;
        }
        exact += ok;
    }
    return n ? static_cast<double>(exact) / n : 1.0;
}

// The ids that share the first `bits` bits with x, as [lo, hi].
std::pair<Id, Id> prefix_range(const Id& x, int bits) {
    Id lo = x, hi = x;
    auto keep = [](int k) { return k <= 0 ? 0ULL : k >= 64 ? ~0ULL : ~0ULL << (64 - k); };
    lo.hi &= keep(bits);
    hi.hi |= ~keep(bits);
    lo.lo &= keep(bits - 64);
    hi.lo |= ~keep(bits - 64);
    return {lo, hi};
}

// x with base-2^b digit i replaced by d.
Id with_digit(Id x, int i, int b, unsigned d) {
    int per_word = 64 / b;
    std::uint64_t& w = i < per_word ? x.hi : x.lo;
    int shift = 64 - b * (i % per_word + 1);
    std::uint64_t mask = ((1ULL << b) - 1) << shift;
    w = (w & ~mask) | (static_cast<std::uint64_t>(d) << shift);
    return x;
}

// Fraction of routing-table slots that could be filled (some live node has
// that prefix) and are, with a live node.
double Sim::routing_table_fill() const {
    std::vector<Id> live;
    for (const auto& n : nodes_)
        if (n.alive) live.push_back(n.ref.id);
    std::sort(live.begin(), live.end());
    const int b = Config{}.b, rows = Id::bits / b, cols = 1 << b;  // only when -v: 32 x 16 searches a node
    long fillable = 0, filled = 0;
    for (const auto& n : nodes_) {
        if (!n.alive) continue;
        std::vector<char> have(static_cast<std::size_t>(rows * cols), 0);
        for (const auto& e : n.core->routing_table()) {
            int d = index_of(e.node.addr);
            if (d >= 0 && nodes_[d].alive) have[static_cast<std::size_t>(e.row * cols + e.col)] = 1;
        }
        for (int r = 0; r < rows; ++r) {
            for (int c = 0; c < cols; ++c) {
                if (static_cast<unsigned>(c) == n.ref.id.digit(r, b)) continue;
                auto [lo, hi] = prefix_range(with_digit(n.ref.id, r, b, static_cast<unsigned>(c)), b * (r + 1));
                auto it = std::lower_bound(live.begin(), live.end(), lo);
                if (it != live.end() && *it <= hi) {
                    ++fillable;
                    filled += have[static_cast<std::size_t>(r * cols + c)];
                }
            }
        }
    }
    return fillable ? static_cast<double>(filled) / fillable : 1.0;
}

void Sim::report(const char* phase, const RouteStats& s) const {
    std::printf("%-15s routes=%d correct=%d (%.2f%%) failed=%d mean_hops=%.3f p50_hops=%d p90_hops=%d max_hops=%d "
                "mean_stretch=%.3f leafsets_exact=%.2f%%\n",
                phase, s.routes, s.correct, s.routes ? 100.0 * s.correct / s.routes : 100.0, s.failed, s.mean_hops(),
                s.hops_percentile(0.5), s.hops_percentile(0.9), s.max_hops, s.mean_stretch(),
                100.0 * s.leafsets_exact);
}

int Sim::run() {
    const double t0 = wall_s();
    const int n = opt_.nodes;
    nodes_.resize(n);
    std::uniform_real_distribution<double> coord(0.0, 1000.0);
    for (int i = 0; i < n; ++i) {
        nodes_[i].ref = NodeRef{Id{rng_(), rng_()}, addr_of(i)};
        nodes_[i].x = coord(rng_);
        nodes_[i].y = coord(rng_);
    }
    const double log16n = std::log(static_cast<double>(n)) / std::log(16.0);
    std::printf("sr-sim nodes=%d seed=%llu keys=%d fail_fraction=%.3f log16(N)=%.3f\n", n,
                static_cast<unsigned long long>(opt_.seed), opt_.keys, opt_.fail_fraction, log16n);

    // 1. Joins, one by one.
    const auto gap = static_cast<std::int64_t>(opt_.join_gap_ms * 1000);
    for (int i = 0; i < n; ++i) {
        run_until(now_ + gap);
        start_node(i);
        if (i == 0) run_until(now_ + 1000);
    }
    run_until(now_ + static_cast<std::int64_t>(opt_.settle_s * 1e6));
    const double t_join = wall_s();
    // No node has failed yet: any peer declared dead here was alive (a false positive).
    std::printf("%-15s joined=%d/%d sim_s=%.1f wall_s=%.2f peer_dead_effects=%llu\n", "join", joined_, n, now_ / 1e6,
                t_join - t0, static_cast<unsigned long long>(peer_dead_));

    // 2. Routes before failure.
    RouteStats before = check_routes(opt_.keys);
    report("before_failure", before);

    // 3. Fail a fraction at once, let the survivors detect and repair.
    std::vector<int> alive;
    for (int i = 0; i < n; ++i)
        if (nodes_[i].alive) alive.push_back(i);
    std::shuffle(alive.begin(), alive.end(), rng_);
    int kill = static_cast<int>(opt_.fail_fraction * n);
    kill = std::min(kill, static_cast<int>(alive.size()) - 1);
    for (int k = 0; k < kill; ++k) nodes_[alive[k]].alive = false;
    std::uint64_t dead_before = peer_dead_;
    run_until(now_ + static_cast<std::int64_t>(opt_.repair_s * 1e6));
    std::printf("%-15s killed=%d live=%d repair_sim_s=%.1f peer_dead_effects=%llu\n", "failure", kill, n - kill,
                opt_.repair_s, static_cast<unsigned long long>(peer_dead_ - dead_before));
    RouteStats after = kill > 0 || opt_.fail_fraction > 0 ? check_routes(opt_.keys) : before;
    report("after_failure", after);

    const double t_end = wall_s();
    std::printf("%-15s sent=%llu delivered=%llu lost=%llu events=%llu wire_roundtrips=%llu wire_mismatches=%llu "
                "wire_mean_bytes=%.0f\n",
                "messages", static_cast<unsigned long long>(sent_), static_cast<unsigned long long>(delivered_),
                static_cast<unsigned long long>(lost_), static_cast<unsigned long long>(events_),
                static_cast<unsigned long long>(wire_rt_), static_cast<unsigned long long>(wire_bad_),
                wire_rt_ ? static_cast<double>(wire_bytes_) / wire_rt_ : 0.0);
    if (opt_.verbose) {
        std::printf("%-15s", "by_kind");
        for (std::size_t k = 0; k < kMessageKinds; ++k)
            std::printf(" %s=%llu", message_name(k), static_cast<unsigned long long>(sent_by_kind_[k]));
        std::printf("\n");
    }
    std::printf("%-15s simulated_s=%.1f wall_s=%.2f\n", "time", now_ / 1e6, t_end - t0);

    bool good = joined_ == n && before.correct == before.routes && after.correct == after.routes &&
                before.mean_hops() <= log16n && after.mean_hops() <= log16n && wire_bad_ == 0;
    std::printf("%-15s %s\n", "result", good ? "OK" : "FAIL");
    std::fflush(stdout);
    return opt_.check && !good ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    // --graphml / --random-graph / --pns: the PNS comparison (pns_sim.cpp).
    if (sr::sim::pns_requested(argc, argv)) return sr::sim::pns_main(argc, argv);
    Options o = parse(argc, argv);
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // each phase's line as it ends, also into a file (long runs)
    try {
        Sim sim(o);
        return sim.run();
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sr-sim: %s\n", e.what());
        return 70;
    }
}
