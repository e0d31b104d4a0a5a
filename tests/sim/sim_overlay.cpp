// The Pastry overlay's event loop (sim_overlay.hpp).
#include "sim_overlay.hpp"

#include <algorithm>
#include <random>

namespace sr::sim {

using namespace sr::pastry;

Overlay::Overlay(const Network& net, const std::vector<Id>& ids, std::int64_t unreachable_us)
    : net_(net), unreachable_us_(unreachable_us), nodes_(ids.size()) {
    for (std::size_t i = 0; i < ids.size(); ++i) nodes_[i].ref = NodeRef{ids[i], addr_of(static_cast<int>(i))};
}

void Overlay::join_all(std::int64_t gap_us, std::int64_t settle_us,
                       const std::function<std::unique_ptr<Proximity>(int)>& prox) {
    for (int i = 0; i < size(); ++i) {
        run_until(now_ + gap_us);
        start(i, prox(i));
        if (i == 0) run_until(now_ + 1000);
    }
    run_until(now_ + settle_us);
}

void Overlay::start(int i, std::unique_ptr<Proximity> prox) {
    auto& n = nodes_[static_cast<std::size_t>(i)];
    n.core = std::make_unique<Node>(n.ref, Config{}, now_);
    n.prox = std::move(prox);
    n.core->set_proximity(n.prox.get());
    n.alive = true;
    int best = -1;
    for (int j = 0; j < size(); ++j) {
        const auto& m = nodes_[static_cast<std::size_t>(j)];
        if (j == i || !m.alive || !m.joined) continue;
        if (best < 0 || net_.latency(i, j) < net_.latency(i, best)) best = j;
    }
    std::vector<std::string> seeds;
    if (best >= 0) seeds.push_back(nodes_[static_cast<std::size_t>(best)].ref.addr);
    else if (i > 0) seeds.push_back(nodes_[0].ref.addr);
    apply(i, n.core->bootstrap(seeds, now_));
}

void Overlay::lost_to(int from, int to) {
    ++lost_;
    push(now_ + 2 * net_.latency(from, to) + unreachable_us_, kUnreachable, from, to);
}

void Overlay::apply(int i, std::vector<Effect>&& effs) {
    auto& n = nodes_[static_cast<std::size_t>(i)];
    for (auto& e : effs) {
        if (auto* s = std::get_if<Send>(&e)) {
            ++sent_;
            int d = index_of(s->to.addr, size());
            if (d < 0) {
                ++lost_;
            } else if (!alive(d)) {
                lost_to(i, d);
            } else {
                push(now_ + net_.latency(i, d), kDeliver, d, msgs_.put(std::move(s->msg)));
            }
        } else if (std::holds_alternative<Joined>(e)) {
            if (!n.joined) ++joined_;
            n.joined = true;
        } else if (auto* c = std::get_if<LeafSetChanged>(&e)) {
            leafset_changed(i, *c);
        }
    }
    std::int64_t w = n.core->next_wakeup();
    if (w < n.scheduled) {
        n.scheduled = w;
        push(std::max(w, now_), kTick, i, 0);
    }
}

void Overlay::run_until(std::int64_t t) {
    while (!q_.empty() && q_.top().t <= t) {
        Ev ev = q_.top();
        q_.pop();
        now_ = std::max(now_, ev.t);
        auto& n = nodes_[static_cast<std::size_t>(ev.node)];
        switch (ev.kind) {
            case kDeliver: {
                Message m = msgs_.take(ev.payload);
                if (!n.alive) {
                    ++lost_;  // died while the message was in flight
                    break;
                }
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
                apply(ev.node, n.core->peer_unreachable(nodes_[static_cast<std::size_t>(ev.payload)].ref, now_));
                break;
            default: app_event(ev.kind, ev.node, ev.payload); break;
        }
    }
    now_ = std::max(now_, t);
}

std::vector<Id> random_ids(int n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<Id> ids(static_cast<std::size_t>(n));
    for (auto& id : ids) {
        do id = Id{rng(), rng()};
        while ((id.hi | id.lo) == 0);
    }
    return ids;
}

Ring::Ring(const Overlay& ov) {
    for (int i = 0; i < ov.size(); ++i)
        if (ov.alive(i)) live_.emplace_back(ov.node(i).ref.id, i);
    std::sort(live_.begin(), live_.end());
}

int Ring::root_of(const Id& key) const {
    auto it = std::lower_bound(live_.begin(), live_.end(), std::make_pair(key, -1));
    const auto& succ = it == live_.end() ? live_.front() : *it;
    const auto& pred = it == live_.begin() ? live_.back() : *(it - 1);
    return closer_to(key, succ.first, pred.first) ? succ.second : pred.second;
}

}  // namespace sr::sim
