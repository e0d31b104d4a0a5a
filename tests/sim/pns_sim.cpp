// sr-sim --graphml FILE | --random-graph R: proximity neighbour selection
// (PNS) on a router-level topology, the policies side by side in one run.
//
// The network (sim_network.hpp): overlay nodes on the routers of a Topology
// Zoo GraphML file or of a generated graph, one-way latency from the
// shortest paths between their routers; the overlay's event loop is
// sim_overlay.hpp.
//
// The policies, each a separate simulation over the same routers, ids,
// placement, join order and routed keys:
//   topology  Node::set_proximity with a Proximity that asks a
//             prox::CostModel (what sr-proxd serves sr-dhtd) for the IGP cost
//             between the two nodes' addresses: each node's address is a
//             host prefix attached to its router, so the cost is the SPF km
//             between the routers (0 on the same router), without the access
//             and per-hop delays of the latency model.
//   rtt       no Proximity: the core's smoothed RTT from its own probes.
//   random    a Proximity returning a pseudo-random cost per unordered pair
//             (a hash of the two ids and the seed): consistent, symmetric,
//             and blind to locality; the baseline without PNS.
//
// Each run: nodes join one by one (--join-gap-ms apart, each through the
// lowest-latency node already joined), then --settle-s of simulated time so
// the periodic routing-table maintenance can improve the tables, then --keys
// random keys are routed from random nodes hop by hop with next_hop. Per
// route: hops, and stretch = sum of the hop latencies / latency from the
// source straight to the root (routes ending at their source are not
// counted). The table gives mean and median stretch, the ratio of summed
// path latency to summed direct latency, and mean hops.
//
// --check: exit 1 unless every node joined and every route ended at the
// right root under every policy, and the mean stretch of policy A is lower
// than that of policy B for --expect-lower A,B (default topology,random when
// both ran).
#include "pns_sim.hpp"

#include "dht/pastry.hpp"
#include "sim_network.hpp"
#include "sim_overlay.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace sr::sim {

namespace {

using namespace sr::pastry;

struct Options {
    NetworkOptions net;
    int keys = 10000;
    std::vector<Policy> policies{Policy::Topology, Policy::Rtt, Policy::Random};
    double join_gap_ms = 5, settle_s = 120;
    bool check = false;
    std::optional<std::pair<Policy, Policy>> expect_lower;
    bool verbose = false;
};

[[noreturn]] void usage(int code) {
    std::fprintf(code ? stderr : stdout,
                 "usage: sr-sim {--graphml FILE | --random-graph R [--write-graphml FILE]}\n"
                 "              [--nodes N] [--keys K] [--seed S] [--pns all|topology,rtt,random]\n"
                 "              [--placement rr|random] [--access-us US] [--km-us US] [--hop-us US]\n"
                 "              [--join-gap-ms MS] [--settle-s S] [--check] [--expect-lower A,B] [-v]\n");
    std::exit(code);
}

std::vector<std::string> split(const std::string& s) {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string part;
    while (std::getline(ss, part, ',')) out.push_back(part);
    return out;
}

Options parse(int argc, char** argv) {
    Options o;
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
        else if (a == "--keys") o.keys = static_cast<int>(num(val()));
        else if (a == "--seed") o.net.seed = static_cast<std::uint64_t>(num(val()));
        else if (a == "--pns") {
            std::string v = val();
            o.policies.clear();
            if (v == "all") o.policies = {Policy::Topology, Policy::Rtt, Policy::Random};
            else
                for (const auto& p : split(v)) {
                    auto pol = policy_from(p);
                    if (!pol) usage(64);
                    if (std::find(o.policies.begin(), o.policies.end(), *pol) == o.policies.end())
                        o.policies.push_back(*pol);
                }
        } else if (a == "--join-gap-ms") o.join_gap_ms = num(val());
        else if (a == "--settle-s") o.settle_s = num(val());
        else if (a == "--check") o.check = true;
        else if (a == "--expect-lower") {
            auto parts = split(val());
            if (parts.size() != 2) usage(64);
            auto x = policy_from(parts[0]), y = policy_from(parts[1]);
            if (!x || !y || *x == *y) usage(64);
            o.expect_lower = std::make_pair(*x, *y);
        } else if (a == "-v" || a == "--verbose") o.verbose = true;
        else if (a == "-h" || a == "--help") usage(0);
        else usage(64);
    }
    if (!o.net.valid() || o.keys < 1 || o.policies.empty() || o.join_gap_ms < 0 || o.settle_s < 0) usage(64);
    if (o.expect_lower) {
        auto ran = [&](Policy p) { return std::find(o.policies.begin(), o.policies.end(), p) != o.policies.end(); };
        if (!ran(o.expect_lower->first) || !ran(o.expect_lower->second)) usage(64);
    }
    return o;
}

// ---- one simulation ----------------------------------------------------------------

struct Result {
    Policy policy{};
    int joined = 0, routes = 0, correct = 0, failed = 0, max_hops = 0;
    long total_hops = 0;
    std::vector<double> stretch;
    double path_sum = 0, direct_sum = 0;
    double rt_entries = 0, rt_entry_latency_ms = 0;
    std::uint64_t sent = 0;
    double sim_s = 0, wall = 0;
    double mean_hops() const { return routes ? static_cast<double>(total_hops) / routes : 0; }
    double mean_stretch() const {
        double s = 0;
        for (double x : stretch) s += x;
        return stretch.empty() ? 0 : s / static_cast<double>(stretch.size());
    }
    double median_stretch() const {
        if (stretch.empty()) return 0;
        auto v = stretch;
        auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
        std::nth_element(v.begin(), mid, v.end());
        return *mid;
    }
};
class Run {
  public:
    Run(const Options& o, const Network& net, const std::vector<Id>& ids, Policy p)
        : opt_(o), net_(net), ov_(net, ids, 1'000'000), policy_(p) {}
    Result go();

  private:
    void route(Result& r);

    const Options& opt_;
    const Network& net_;
    Overlay ov_;
    Policy policy_;
};

void Run::route(Result& r) {
    const int n = ov_.size();
    Ring ring(ov_);
    const auto& live = ring.nodes();
    std::mt19937_64 rng(splitmix(opt_.net.seed ^ 0x6b657973ULL));  // same keys under every policy
    for (int k = 0; k < opt_.keys; ++k) {
        Id key{rng(), rng()};
        int src = live[rng() % live.size()].second;
        int cur = src, hops = 0;
        std::int64_t path = 0;
        bool ok = false;
        while (hops <= 64) {
            auto nh = ov_.core(cur).next_hop(key);
            if (!nh) {
                ok = true;
                break;
            }
            int d = index_of(nh->addr, n);
            if (d < 0) break;
            path += net_.latency(cur, d);
            cur = d;
            ++hops;
        }
        ++r.routes;
        if (!ok) {
            ++r.failed;
            continue;
        }
        if (cur == ring.root_of(key)) ++r.correct;
        r.total_hops += hops;
        r.max_hops = std::max(r.max_hops, hops);
        if (cur != src) {
            auto direct = net_.latency(src, cur);
            r.stretch.push_back(static_cast<double>(path) / static_cast<double>(direct));
            r.path_sum += static_cast<double>(path);
            r.direct_sum += static_cast<double>(direct);
        }
    }
    // What the tables hold: entries per node and their mean one-way latency.
    double entries = 0, lat = 0;
    for (int i = 0; i < n; ++i)
        for (const auto& e : ov_.core(i).routing_table()) {
            int d = index_of(e.node.addr, n);
            if (d < 0) continue;
            entries += 1;
            lat += static_cast<double>(net_.latency(i, d));
        }
    r.rt_entries = entries / n;
    r.rt_entry_latency_ms = entries ? lat / entries / 1000 : 0;
}
Result Run::go() {
    const double t0 = wall_s();
    ov_.join_all(static_cast<std::int64_t>(opt_.join_gap_ms * 1000), static_cast<std::int64_t>(opt_.settle_s * 1e6),
                 [&](int i) { return make_proximity(policy_, net_, i, ov_.node(i).ref.id, opt_.net.seed); });
    Result r;
    r.policy = policy_;
    r.joined = ov_.joined();
    route(r);
    r.sent = ov_.sent();
    r.sim_s = static_cast<double>(ov_.now()) / 1e6;
    r.wall = wall_s() - t0;
    return r;
}

}  // namespace

bool pns_requested(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--graphml" || a == "--random-graph" || a == "--pns") return true;
    }
    return false;
}

int pns_main(int argc, char** argv) {
    Options o = parse(argc, argv);
    try {
        const double t0 = wall_s();
        Network net = build_network(o.net);
        std::printf("sr-sim pns %s setup_wall_s=%.2f\n", net.describe().c_str(), wall_s() - t0);
        std::printf("sr-sim pns nodes=%d placement=%s keys=%d seed=%llu latency_us=%.0f+%.1f/km+%.0f/hop "
                    "join_gap_ms=%.1f settle_s=%.0f\n",
                    o.net.nodes, o.net.random_placement ? "random" : "rr", o.keys,
                    static_cast<unsigned long long>(o.net.seed), o.net.access_us, o.net.km_us, o.net.hop_us,
                    o.join_gap_ms, o.settle_s);

        std::vector<Id> ids = random_ids(o.net.nodes, o.net.seed);
        std::vector<Result> results;
        std::printf("%-9s %9s %11s %9s %8s %12s %14s %11s %12s %10s %11s %8s\n", "policy", "joined", "correct",
                    "mean_hops", "max_hops", "mean_stretch", "median_stretch", "path/direct", "mean_path_ms",
                    "rt_entries", "rt_entry_ms", "wall_s");
        for (Policy p : o.policies) {
            Run run(o, net, ids, p);
            Result r = run.go();
            std::printf("%-9s %4d/%-4d %5d/%-5d %9.3f %8d %12.3f %14.3f %11.3f %12.2f %10.1f %11.2f %8.2f\n",
                        policy_name(p), r.joined, o.net.nodes, r.correct, r.routes, r.mean_hops(), r.max_hops,
                        r.mean_stretch(), r.median_stretch(), r.direct_sum > 0 ? r.path_sum / r.direct_sum : 0.0,
                        r.stretch.empty() ? 0.0 : r.path_sum / static_cast<double>(r.stretch.size()) / 1000,
                        r.rt_entries, r.rt_entry_latency_ms, r.wall);
            std::fflush(stdout);
            results.push_back(std::move(r));
        }

        bool good = true;
        for (const auto& r : results)
            if (r.joined != o.net.nodes || r.correct != r.routes) good = false;
        auto find = [&](Policy p) -> const Result* {
            for (const auto& r : results)
                if (r.policy == p) return &r;
            return nullptr;
        };
        auto expect = o.expect_lower;
        if (!expect && find(Policy::Topology) && find(Policy::Random))
            expect = std::make_pair(Policy::Topology, Policy::Random);
        if (expect) {
            const Result* a = find(expect->first);
            const Result* b = find(expect->second);
            bool lower = a->mean_stretch() < b->mean_stretch();
            std::printf("%-9s mean_stretch(%s)=%.3f %s mean_stretch(%s)=%.3f\n", "expect", policy_name(a->policy),
                        a->mean_stretch(), lower ? "<" : ">=", policy_name(b->policy), b->mean_stretch());
            good = good && lower;
        }
        std::printf("%-9s %s\n", "result", good ? "OK" : "FAIL");
        std::fflush(stdout);
        return o.check && !good ? 1 : 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "sr-sim: %s\n", e.what());
        return 70;
    }
}

}  // namespace sr::sim

