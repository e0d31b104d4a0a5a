// Pastry core, part 2: liveness (probes, RTT, timeouts), table placement
// with proximity neighbour selection, failure handling and repair, timers.
#include "dht/pastry.hpp"

#include <algorithm>
#include <cmath>

namespace sr::pastry {

namespace {
void advance(std::int64_t& next, std::int64_t period, std::int64_t now) {
    next += period;
    if (next <= now) next = now + period;  // the host slept: do not burst
}
}  // namespace

// ---- peers -------------------------------------------------------------------------

Node::Peer* Node::find_peer(const Id& id) {
    return peers_.find(id);
}

const Node::Peer* Node::find_peer(const Id& id) const { return peers_.find(id); }

// The table is bounded (peer_cap_). When it is full, a node that belongs in
// the leaf set still gets in: it takes the place of the peer heard from
// longest ago among those with no role, no probe outstanding and nothing
// heard for a heartbeat (so no caller is holding it). Without this, a full
// table (many joins at once, or one host naming many ids) locked the leaf
// set: a live neighbour was refused until idle entries expired a minute later.
Node::Peer* Node::new_peer(const NodeRef& n, std::int64_t now) {
    if (peers_.size() >= peer_cap_) {
        if (!leaf_.would_accept(n.id)) return nullptr;
        const Id* victim = nullptr;
        std::int64_t oldest = now - cfg_.heartbeat_us;
        peers_.for_each([&](const Id& id, Peer& q) {
            if (q.has_role() || q.nonce || q.last_heard > oldest) return;
            oldest = q.last_heard;
            victim = &id;
        });
        if (!victim) return nullptr;
        Id gone = *victim;
        peers_.erase(gone);
        ++counters_.peers_evicted;
    }
    auto [p, fresh] = peers_.try_emplace(n.id);
    if (fresh) p->ref = n;
    return p;
}

std::optional<double> Node::cost(const Peer& p) const {
    if (proximity_)
        if (auto c = proximity_->cost(p.ref)) return c;
    if (p.has_rtt) return p.srtt;
    return std::nullopt;
}

Node::Heard Node::heard_from(const NodeRef& n, std::int64_t now, bool* new_leaf, Peer* known) {
    Peer* p = known ? known : find_peer(n.id);
    if (p) {
        if (p->ref.addr != n.addr) return Heard::Conflict;
    } else {
        if (!dead_.empty()) dead_.erase(n.id);  // it talks to us: it lives
        if (!(p = new_peer(n, now))) return Heard::Ok;
    }
    p->last_heard = now;
    p->missed = 0;
    place(*p, now, new_leaf);
    return Heard::Ok;
}

void Node::place(Peer& p, std::int64_t now, bool* new_leaf) {
    if (leaf_.would_accept(p.ref.id)) {
        LeafSet::Delta d;
        bool added = leaf_.insert(p.ref, &d);
        p.in_leaf = leaf_.contains(p.ref.id);
        add_leaf_delta(d);
        if (added && new_leaf) *new_leaf = true;
    }
    if (!p.in_rt && !lost_to_holder(p)) try_routing_table(p, now);
}

bool Node::lost_to_holder(const Peer& p) const {
    if (p.rt_lost_to == Id{}) return false;
    auto s = rt_.slot_for(p.ref.id);
    const NodeRef* occ = s ? rt_.get(*s) : nullptr;
    return occ && occ->id == p.rt_lost_to;
}

// Proximity neighbour selection: an empty slot takes any live candidate; an
// occupied one changes hands only to a candidate of lower cost. Unknown
// costs are measured (Ping) before deciding.
void Node::try_routing_table(Peer& p, std::int64_t now) {
    auto s = rt_.slot_for(p.ref.id);
    if (!s) return;
    const NodeRef* occ = rt_.get(*s);
    if (!occ) {
        rt_.set(p.ref);
        p.in_rt = true;
        return;
    }
    if (occ->id == p.ref.id) {
        p.in_rt = true;
        return;
    }
    Peer* o = find_peer(occ->id);
    auto cp = cost(p);
    if (!cp) {
        if (!p.nonce && !installing_) probe(p, now);
        return;
    }
    auto co = o ? cost(*o) : std::nullopt;
    if (!co) {
        if (o && !installing_) {
            if (!o->nonce) probe(*o, now);
            // Decide when the holder's cost arrives (bounded list).
            if (contenders_.size() >= 64) contenders_.erase(contenders_.begin());
            contenders_.emplace_back(o->ref.id, p.ref.id);
        }
        return;
    }
    if (*cp < *co) {
        rt_.set(p.ref);
        p.in_rt = true;
        if (o) {
            o->in_rt = false;
            o->rt_lost_to = p.ref.id;
        }
    } else {
        p.rt_lost_to = o->ref.id;
    }
}

void Node::update_neighbourhood(Peer& p) {
    const auto m = static_cast<std::size_t>(cfg_.neighbourhood_size);
    if (m == 0) return;
    auto c = cost(p);
    if (!c) return;
    auto it = std::find_if(nbr_.begin(), nbr_.end(), [&](const Neighbour& x) { return x.node.id == p.ref.id; });
    if (it != nbr_.end()) nbr_.erase(it);
    else if (nbr_.size() >= m && *c >= nbr_.back().cost) return;
    auto pos = std::upper_bound(nbr_.begin(), nbr_.end(), *c,
                                [](double v, const Neighbour& x) { return v < x.cost; });
    nbr_.insert(pos, Neighbour{p.ref, *c});
    p.in_nbr = true;
    if (nbr_.size() > m) {
        if (Peer* q = find_peer(nbr_.back().node.id)) q->in_nbr = false;
        nbr_.pop_back();
    }
}

void Node::consider_hearsay(const NodeRef& n, std::int64_t now) {
    if (!valid_peer(n) || n.id == self_.id) return;
    // Leaf-set gossip names mostly our own leaves: already known and live,
    // their routing-table candidacy settled when we heard from them.
    if (leaf_.contains(n.id)) return;
    Peer* p = find_peer(n.id);
    if (p && p->ref.addr != n.addr) return;
    if (p && p->in_leaf && p->in_rt) return;
    bool want = leaf_.would_accept(n.id);
    if (!want && !(p && (p->in_rt || lost_to_holder(*p)))) {
        if (auto s = rt_.slot_for(n.id)) {
            const NodeRef* occ = rt_.get(*s);
            if (!occ) {
                want = true;
            } else if (occ->id != n.id) {
                // A contest: worth a probe unless known costs say it loses.
                std::optional<double> cn;
                if (p) cn = cost(*p);
                else if (proximity_) cn = proximity_->cost(n);
                const Peer* o = find_peer(occ->id);
                std::optional<double> co = o ? cost(*o) : std::nullopt;
                want = !(cn && co && *cn >= *co);
            }
        }
    }
    if (!want) return;
    if (p) {
        if (now - p->last_heard < cfg_.heartbeat_us) place(*p, now, nullptr);  // heard just now
        else if (!p->nonce) probe(*p, now);
        return;
    }
    if (!dead_.empty() && dead_.count(n.id)) return;  // no resurrection by hearsay
    if (hearsay_budget_ == 0) {
        ++counters_.hearsay_dropped;
        return;
    }
    if ((p = new_peer(n, now))) {
        --hearsay_budget_;
        probe(*p, now);
    }
}

// ---- probes and RTT ----------------------------------------------------------------

std::int64_t Node::rto(const Peer& p) const {
    double base = p.has_rtt ? p.srtt + 4 * p.rttvar : 1'000'000.0;
    auto t = std::clamp(static_cast<std::int64_t>(base), cfg_.min_timeout_us, cfg_.max_timeout_us);
    for (int i = 0; i < p.missed && t < cfg_.max_timeout_us; ++i) t *= 2;  // back off while suspect
    return std::min(t, cfg_.max_timeout_us);
}

void Node::probe(Peer& p, std::int64_t now, ProbeKind kind) {
    if (p.nonce) drop_probe(p.nonce);  // superseded
    p.nonce = next_nonce_++;
    p.sent = now;
    probes_.push_back(Probe{now + rto(p), p.ref.id, p.nonce});
    ++counters_.probes;
    if (kind == ProbeKind::Announce) send(p.ref, Announce{self_, p.nonce});
    else send(p.ref, Ping{self_, p.nonce, kind == ProbeKind::PingWantLeaves});
}

void Node::drop_probe(std::uint64_t nonce) {
    for (std::size_t i = 0; i < probes_.size(); ++i)
        if (probes_[i].nonce == nonce) {
            probes_[i] = probes_.back();
            probes_.pop_back();
            return;
        }
}

void Node::rtt_sample(Peer& p, double s, std::int64_t now) {
    s = std::max(0.0, s);
    if (!p.has_rtt) {
        p.srtt = s;
        p.rttvar = s / 2;
        p.has_rtt = true;
        p.rt_lost_to = Id{};  // contests lost on unknown cost are void
        // A slot holder's first cost: contenders measured while it was
        // unknown can be decided now.
        if (p.in_rt && !contenders_.empty()) {
            std::vector<Id> ready;
            for (auto it = contenders_.begin(); it != contenders_.end();)
                if (it->first == p.ref.id) {
                    ready.push_back(it->second);
                    it = contenders_.erase(it);
                } else {
                    ++it;
                }
            for (const Id& id : ready)
                if (Peer* q = find_peer(id); q && !q->in_rt && !lost_to_holder(*q)) try_routing_table(*q, now);
        }
    } else {
        p.rttvar = 0.75 * p.rttvar + 0.25 * std::abs(p.srtt - s);
        p.srtt = 0.875 * p.srtt + 0.125 * s;
    }
    update_neighbourhood(p);
}

void Node::on_probe_timeout(Peer& p, std::int64_t now) {
    ++counters_.probe_timeouts;
    p.nonce = 0;
    if (p.last_heard >= p.sent) {  // it spoke to us meanwhile: alive
        p.missed = 0;
        return;
    }
    miss(p, now);
}

void Node::miss(Peer& p, std::int64_t now) {
    Id id = p.ref.id;
    ++p.missed;
    if (!p.has_role()) {  // a candidate that does not answer is not worth more
        dead_[id] = now;
        peers_.erase(id);
        return;
    }
    if (p.missed >= cfg_.max_missed) {
        declare_dead(id, now, false);
        return;
    }
    probe(p, now);
}

std::vector<Effect> Node::peer_unreachable(const NodeRef& ref, std::int64_t now) {
    if (state_ == State::Joining) {
        if (!join_waiting_ && !seeds_.empty() && ref.addr == seeds_[seed_idx_]) join_failed(now, false);
        return finish();
    }
    if (state_ != State::Joined) return {};
    Peer* p = nullptr;
    if ((ref.id.hi | ref.id.lo) != 0) {
        p = find_peer(ref.id);
        if (p && p->ref.addr != ref.addr) p = nullptr;
    } else {
        peers_.for_each([&](const Id&, Peer& q) {
            if (!p && q.ref.addr == ref.addr) p = &q;
        });
    }
    if (p) {
        drop_probe(p->nonce);  // whatever we sent is lost
        p->nonce = 0;
        miss(*p, now);
    }
    return finish();
}

// ---- failure and repair ------------------------------------------------------------

void Node::declare_dead(const Id& id, std::int64_t now, bool departed) {
    Peer* p = find_peer(id);
    if (!p) return;
    NodeRef ref = p->ref;
    bool in_left = leaf_.in_side(id, LeafSet::Side::Left);
    bool in_right = leaf_.in_side(id, LeafSet::Side::Right);
    LeafSet::Delta d;
    if (leaf_.remove(id, &d)) add_leaf_delta(d);
    auto slot = rt_.slot_for(id);
    bool was_rt = rt_.remove(id);
    if (p->in_nbr)
        nbr_.erase(std::remove_if(nbr_.begin(), nbr_.end(), [&](const Neighbour& x) { return x.node.id == id; }),
                   nbr_.end());
    if (p->nonce) drop_probe(p->nonce);
    peers_.erase(id);
    dead_[id] = now;
    if (!departed) ++counters_.peers_dead;
    out_.push_back(PeerDead{ref});
    if (in_left) repair_leaf(LeafSet::Side::Left);
    if (in_right) repair_leaf(LeafSet::Side::Right);
    if (was_rt && slot) repair_row(slot->row);
}

// MSPastry: ask the farthest live leaf on the damaged side for its leaf set;
// it knows the nodes just beyond our view. With that side empty, ask the
// nearest node in that direction that we know from any table.
void Node::repair_leaf(LeafSet::Side side) {
    const auto& v = leaf_.side(side);
    for (auto it = v.rbegin(); it != v.rend(); ++it)
        if (!suspect(it->id)) {
            ++counters_.leaf_repairs;
            send(*it, LeafSetRequest{self_});
            return;
        }
    const NodeRef* best = nullptr;
    Id bd;
    auto consider = [&](const NodeRef& n) {
        if (suspect(n.id)) return;
        Id d = side == LeafSet::Side::Right ? n.id - self_.id : self_.id - n.id;
        if (!best || d < bd) {
            best = &n;
            bd = d;
        }
    };
    for (const auto& n : leaf_.side(side == LeafSet::Side::Left ? LeafSet::Side::Right : LeafSet::Side::Left))
        consider(n);
    rt_.for_each([&](int, int, const NodeRef& n) { consider(n); });
    for (const auto& nb : nbr_) consider(nb.node);
    if (best) {
        ++counters_.leaf_repairs;
        send(*best, LeafSetRequest{self_});
    }
}

// MSPastry: a lost entry of row r is replaced from the row r of another
// node in row r (it shares our first r digits), else of a deeper row.
void Node::repair_row(int row) {
    std::vector<NodeRef> c;
    for (int r = row; c.empty() && r < rt_.depth(); ++r)
        for (auto& n : rt_.row(r))
            if (!suspect(n.id)) c.push_back(std::move(n));
    if (c.empty()) return;
    ++counters_.rt_repairs;
    send(c[random() % c.size()], RowRequest{self_, static_cast<std::uint32_t>(row)});
}

// ---- periodic work ----------------------------------------------------------------

void Node::heartbeat(std::int64_t now) {
    const auto& left = leaf_.left();
    const auto& right = leaf_.right();
    // Periodic leaf-set exchange with one member, round robin over both halves.
    if (std::size_t n = left.size() + right.size()) {
        std::size_t k = exchange_idx_++ % n;
        const NodeRef& t = k < right.size() ? right[k] : left[k - right.size()];
        Peer* p = find_peer(t.id);
        if (p && !p->nonce) probe(*p, now, ProbeKind::PingWantLeaves);
        else send(t, LeafSetRequest{self_});
    }
    // Liveness: ping the leaves we have not heard from within the period
    // (a member of both halves is probed once: the first probe sets nonce).
    for (const auto* side : {&right, &left})
        for (const auto& n : *side) {
            Peer* p = find_peer(n.id);
            if (p && !p->nonce && now - p->last_heard >= cfg_.heartbeat_us) probe(*p, now);
        }
    // Periodic repair of a depleted half (the ring is larger than what we see).
    if (leaf_.empty() ? rt_.size() > 0 : !leaf_.wraps()) {
        for (auto s : {LeafSet::Side::Left, LeafSet::Side::Right})
            if (!leaf_.full(s)) repair_leaf(s);
    }
}

void Node::probe_routing_table(std::int64_t now) {
    auto check = [&](const NodeRef& n) {
        Peer* p = find_peer(n.id);
        if (p && !p->nonce && now - p->last_heard >= cfg_.rt_probe_us) probe(*p, now);
    };
    rt_.for_each([&](int, int, const NodeRef& n) { check(n); });
    for (const auto& nb : nbr_) check(nb.node);
}

void Node::maintain_routing_table() {
    for (int r = 0; r < rt_.depth(); ++r) {
        std::vector<NodeRef> row = rt_.row(r);
        row.erase(std::remove_if(row.begin(), row.end(), [&](const NodeRef& n) { return suspect(n.id); }), row.end());
        if (!row.empty()) send(row[random() % row.size()], RowRequest{self_, static_cast<std::uint32_t>(r)});
    }
}

void Node::collect_garbage(std::int64_t now) {
    peers_.erase_if([&](const Id&, const Peer& p) {
        return !p.has_role() && !p.nonce && now - p.last_heard > cfg_.rt_maintenance_us;
    });
    for (auto it = dead_.begin(); it != dead_.end();) {
        if (now - it->second > cfg_.rt_maintenance_us) it = dead_.erase(it);
        else ++it;
    }
    if (dead_.size() > peer_cap_) dead_.clear();  // bounded; forgetting only costs a probe
}

std::vector<Effect> Node::tick(std::int64_t now) {
    if (state_ == State::Idle || state_ == State::Left) return {};
    if (state_ == State::Joining) {
        if (now >= join_deadline_) {
            if (join_waiting_) send_join_request(now);  // the back-off is over
            else join_failed(now, true);                 // no reply in time
        }
        return finish();
    }
    if (!probes_.empty()) {
        std::vector<Probe> due;
        for (std::size_t i = 0; i < probes_.size();) {
            if (probes_[i].at <= now) {
                due.push_back(probes_[i]);
                probes_[i] = probes_.back();
                probes_.pop_back();
            } else {
                ++i;
            }
        }
        std::sort(due.begin(), due.end(), [](const Probe& a, const Probe& b) { return a.at < b.at; });
        for (const auto& t : due) {
            Peer* p = find_peer(t.id);
            if (p && p->nonce == t.nonce) on_probe_timeout(*p, now);
        }
    }
    if (now >= next_heartbeat_) {
        heartbeat(now);
        advance(next_heartbeat_, cfg_.heartbeat_us, now);
    }
    if (now >= next_rt_probe_) {
        probe_routing_table(now);
        advance(next_rt_probe_, std::max<std::int64_t>(1, cfg_.rt_probe_us / 4), now);
    }
    if (now >= next_maintenance_) {
        maintain_routing_table();
        advance(next_maintenance_, maintenance_period_, now);
        maintenance_period_ = std::min(cfg_.rt_maintenance_us, 2 * maintenance_period_);
    }
    if (now >= next_gc_) {
        collect_garbage(now);
        advance(next_gc_, gc_period(), now);
    }
    return finish();
}

std::int64_t Node::next_wakeup() const {
    if (state_ == State::Joining) return join_deadline_;
    if (state_ != State::Joined) return INT64_MAX;
    std::int64_t t = std::min({next_heartbeat_, next_rt_probe_, next_maintenance_, next_gc_});
    for (const auto& pr : probes_) t = std::min(t, pr.at);
    return t;
}

}  // namespace sr::pastry
