// Pastry core, part 1: construction, message dispatch, join, routing.
// Liveness, table placement and repair are in pastry_maintenance.cpp.
#include "dht/pastry.hpp"

#include <algorithm>
#include <stdexcept>

namespace sr::pastry {

namespace {

constexpr std::uint32_t kMaxJoinHops = 64;
// A JoinReply may make the joiner announce itself to |L| plus this many
// rows' worth (max(|L|, 2^b) each) of unknown nodes: a true reply from an
// overlay of up to 2^(4b) nodes fits whole.
constexpr std::size_t kJoinReplyRows = 4;

const Config& validated(const Config& c) {
    if (c.b != 1 && c.b != 2 && c.b != 4 && c.b != 8) throw std::invalid_argument("pastry: b must be 1, 2, 4 or 8");
    if (c.leaf_set_size < 2 || c.leaf_set_size > 128 || c.leaf_set_size % 2 != 0)
        throw std::invalid_argument("pastry: leaf_set_size must be even, 2..128");
    if (c.neighbourhood_size < 0 || c.neighbourhood_size > 128)
        throw std::invalid_argument("pastry: neighbourhood_size must be 0..128");
    if (c.heartbeat_us <= 0 || c.rt_probe_us <= 0 || c.rt_maintenance_us <= 0 || c.join_timeout_us <= 0 ||
        c.join_retry_us <= 0 || c.join_backoff_max_us < c.join_retry_us ||
        c.min_timeout_us <= 0 || c.max_timeout_us < c.min_timeout_us)
        throw std::invalid_argument("pastry: periods and timeouts must be positive, min <= max");
    if (c.max_missed < 1) throw std::invalid_argument("pastry: max_missed must be >= 1");
    return c;
}

const NodeRef& validated(const NodeRef& n) {
    if (!valid_peer(n)) throw std::invalid_argument("pastry: self needs a non-zero id and an address");
    return n;
}

std::uint64_t splitmix(std::uint64_t& s) {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

}  // namespace

const char* message_name(std::size_t kind) {
    static const char* const names[] = {"join_request", "join_reply", "announce", "leafset_request",
                                        "leafset_reply", "row_request", "row_reply", "ping", "pong",
                                        "departed"};
    static_assert(std::size(names) == kMessageKinds);
    return kind < kMessageKinds ? names[kind] : "unknown";
}

Node::Node(NodeRef self, Config cfg, std::int64_t /*now_us*/)
    : self_(validated(self)),
      cfg_(validated(cfg)),
      leaf_(self_.id, cfg_.leaf_set_size / 2),
      rt_(self_.id, cfg_.b),
      peer_cap_(std::max<std::size_t>(
          1024, 2 * (static_cast<std::size_t>(rt_.rows() * rt_.cols()) + cfg_.leaf_set_size + cfg_.neighbourhood_size))),
      rng_(self_.id.hi ^ (self_.id.lo * 0x9e3779b97f4a7c15ULL)) {}

std::uint64_t Node::random() { return splitmix(rng_); }

// ---- effect plumbing -----------------------------------------------------------

void Node::send(const NodeRef& to, Message m) {
    ++counters_.msgs_out[m.index()];
    out_.push_back(Send{to, std::move(m)});
}

void Node::add_leaf_delta(const LeafSet::Delta& d) {
    auto touch = [&](const NodeRef& n, bool add) {
        for (const auto& [m, first] : leaf_touch_)
            if (m.id == n.id) return;
        leaf_touch_.emplace_back(n, add);
    };
    for (const auto& n : d.entered) touch(n, true);
    for (const auto& n : d.left) touch(n, false);
    for (const auto& n : d.left)
        if (Peer* p = find_peer(n.id)) p->in_leaf = false;
}

std::vector<Effect> Node::finish() {
    if (!leaf_touch_.empty()) {
        LeafSetChanged c;
        for (auto& [n, first_add] : leaf_touch_) {
            bool member = leaf_.contains(n.id);
            if (first_add && member) c.added.push_back(std::move(n));
            else if (!first_add && !member) c.removed.push_back(std::move(n));
        }
        leaf_touch_.clear();
        if (!c.added.empty() || !c.removed.empty()) out_.push_back(std::move(c));
    }
    std::vector<Effect> r;
    r.swap(out_);
    return r;
}

// ---- join ----------------------------------------------------------------------------

std::vector<Effect> Node::bootstrap(const std::vector<std::string>& seed_addrs, std::int64_t now) {
    if (state_ != State::Idle) return {};
    for (const auto& a : seed_addrs)
        if (!a.empty() && a.size() <= kMaxAddrLen && a != self_.addr) seeds_.push_back(a);
    if (seeds_.empty()) {
        state_ = State::Joined;
        out_.emplace_back(std::in_place_type<Joined>);
        start_timers(now);
        return finish();
    }
    state_ = State::Joining;
    seed_idx_ = 0;
    send_join_request(now);
    return finish();
}

void Node::send_join_request(std::int64_t now) {
    ++counters_.join_attempts;
    join_waiting_ = false;
    send(NodeRef{Id{}, seeds_[seed_idx_]}, JoinRequest{self_, self_, 0, 0, {}});
    join_deadline_ = now + cfg_.join_timeout_us;
}

void Node::join_failed(std::int64_t now, bool timed_out) {
    ++join_failures_;
    std::size_t n = seeds_.size();
    std::int64_t delay = 0;
    if (join_failures_ % n == 0) {  // every seed failed in this round: back off before the next
        std::uint64_t doublings = std::min<std::uint64_t>(join_failures_ / n - 1, 30);
        delay = std::min(cfg_.join_backoff_max_us, cfg_.join_retry_us << doublings);
    }
    out_.emplace_back(JoinFailed{seeds_[seed_idx_], join_failures_, delay, timed_out});
    seed_idx_ = (seed_idx_ + 1) % n;
    if (delay == 0) {
        send_join_request(now);
    } else {
        join_waiting_ = true;
        join_deadline_ = now + delay;
    }
}

void Node::start_timers(std::int64_t now) {
    // Random phases, so that nodes started together do not probe in lockstep.
    next_heartbeat_ = now + 1 + static_cast<std::int64_t>(random() % cfg_.heartbeat_us);
    std::int64_t sweep = std::max<std::int64_t>(1, cfg_.rt_probe_us / 4);
    next_rt_probe_ = now + sweep + static_cast<std::int64_t>(random() % sweep);
    // Routing-table maintenance starts at 1/8 of its period and backs off to
    // the full period: a fresh table (built from the join path, in a ring
    // that may still be growing) fills its empty slots quickly.
    maintenance_period_ = std::max(cfg_.heartbeat_us, cfg_.rt_maintenance_us / 8);
    next_maintenance_ = now + maintenance_period_ / 2 + static_cast<std::int64_t>(random() % maintenance_period_);
    next_gc_ = now + gc_period();
}

void Node::on_join_request(const JoinRequest& m) {
    const NodeRef& j = m.joiner;
    if (!valid_peer(j) || j.id == self_.id || m.hops >= kMaxJoinHops) {
        ++counters_.ignored;
        return;
    }
    const std::size_t max_entries = static_cast<std::size_t>(rt_.rows() * rt_.cols()) + kMaxJoinHops;
    JoinRequest fwd{self_, j, m.hops + 1, std::min<std::uint32_t>(m.next_row, rt_.rows()), {}};
    fwd.entries.reserve(std::min(max_entries, m.entries.size() + rt_.cols() * 2 + 1));
    for (const auto& e : m.entries)
        if (fwd.entries.size() < max_entries) fwd.entries.push_back(e);
    // Our rows next_row..l suit the joiner (it shares l digits with us), and
    // we are a candidate ourselves.
    int l = self_.id.shared_prefix(j.id, cfg_.b);
    if (fwd.entries.size() < max_entries) fwd.entries.push_back(self_);
    for (int r = static_cast<int>(fwd.next_row); r <= l && r < rt_.rows(); ++r)
        for (auto& e : rt_.row(r))
            if (e.id != j.id && fwd.entries.size() < max_entries) fwd.entries.push_back(std::move(e));
    fwd.next_row = std::max<std::uint32_t>(fwd.next_row, static_cast<std::uint32_t>(std::min(l + 1, rt_.rows())));

    if (auto hop = route(j.id, &j.id)) {
        ++counters_.joins_forwarded;
        send(*hop, std::move(fwd));
        return;
    }
    // We are the joiner's root.
    ++counters_.joins_answered;
    JoinReply rep{self_, {}, std::move(fwd.entries)};
    for (auto& n : leaf_.members())
        if (n.id != j.id) rep.leaves.push_back(std::move(n));
    send(j, std::move(rep));
}

void Node::on_join_reply(const JoinReply& m, std::int64_t now) {
    state_ = State::Joined;
    join_deadline_ = INT64_MAX;
    join_waiting_ = false;
    installing_ = true;
    bool unused = false;
    heard_from(m.from, now, &unused);
    std::vector<Id> learned{m.from.id};
    // Every node learned here gets an Announce: a connection to an address
    // the sender chose. A true reply holds the root's leaf set and a few
    // routing-table rows (about log_{2^b} N of them filled, in an overlay of
    // N nodes): the unknown nodes installed are bounded to |L| plus
    // kJoinReplyRows rows' worth of the per-message budget, the rest
    // dropped and counted like other hearsay. Leaves first, then entries
    // in route order (the seed's top rows first).
    hearsay_budget_ = static_cast<std::size_t>(cfg_.leaf_set_size) +
                      kJoinReplyRows * static_cast<std::size_t>(std::max(cfg_.leaf_set_size, rt_.cols()));
    auto install = [&](const NodeRef& n) {
        if (!valid_peer(n) || n.id == self_.id) return;
        Peer* p = find_peer(n.id);
        if (p && p->ref.addr != n.addr) return;
        if (!p) {
            if (hearsay_budget_ == 0) {
                ++counters_.hearsay_dropped;
                return;
            }
            if (!(p = new_peer(n, now))) return;
            --hearsay_budget_;
        }
        if (std::find(learned.begin(), learned.end(), n.id) == learned.end()) learned.push_back(n.id);
        place(*p, now, nullptr);
    };
    for (const auto& n : m.leaves) install(n);
    for (const auto& n : m.entries) install(n);
    installing_ = false;
    // Introduce ourselves to everyone we learned of; their Pongs give RTTs
    // for proximity selection and, from our neighbours, their leaf sets.
    for (const Id& id : learned)
        if (Peer* p = find_peer(id); p && !p->nonce) probe(*p, now, ProbeKind::Announce);
    out_.emplace_back(std::in_place_type<Joined>);
    start_timers(now);
}

// ---- dispatch ------------------------------------------------------------------------

std::vector<Effect> Node::receive(const Message& msg, std::int64_t now) {
    if (state_ == State::Left || state_ == State::Idle) return {};
    ++counters_.msgs_in[msg.index()];
    hearsay_budget_ = static_cast<std::size_t>(std::max(cfg_.leaf_set_size, rt_.cols()));
    const NodeRef& from = sender(msg);
    if (!valid_peer(from) || from.id == self_.id) {
        ++counters_.ignored;
        return finish();
    }
    if (state_ == State::Joining) {
        if (const auto* r = std::get_if<JoinReply>(&msg)) on_join_reply(*r, now);
        else if (const auto* p = std::get_if<Ping>(&msg)) send(from, Pong{self_, p->nonce, {}});
        else ++counters_.ignored;
        return finish();
    }

    if (const auto* j = std::get_if<JoinRequest>(&msg)) {
        // The first hop comes from the joiner itself, which must not enter
        // our tables before it has joined (it cannot route yet).
        bool unused = false;
        if (j->from.id != j->joiner.id && heard_from(from, now, &unused) == Heard::Conflict) {
            ++counters_.ignored;
            return finish();
        }
        on_join_request(*j);
        return finish();
    }
    if (std::holds_alternative<JoinReply>(msg)) {  // a late answer to a join we no longer wait for
        ++counters_.ignored;
        return finish();
    }
    if (std::holds_alternative<Departed>(msg)) {
        const Peer* p = find_peer(from.id);
        if (p && p->ref.addr == from.addr) {
            ++counters_.peers_departed;
            declare_dead(from.id, now, true);
        }
        return finish();
    }
    if (const auto* p = std::get_if<Pong>(&msg)) {
        on_pong(*p, now);
        return finish();
    }

    bool new_leaf = false;
    if (heard_from(from, now, &new_leaf) == Heard::Conflict) {
        ++counters_.ignored;
        return finish();
    }
    bool sent_leaves = false;
    std::visit(
        [&](const auto& m) {
            using T = std::decay_t<decltype(m)>;
            if constexpr (std::is_same_v<T, Announce>) {
                Pong r{self_, m.nonce, {}};
                if (leaf_.contains(from.id)) {
                    r.leaves = leaf_.members();
                    sent_leaves = true;
                }
                send(from, std::move(r));
            } else if constexpr (std::is_same_v<T, LeafSetRequest>) {
                send(from, LeafSetReply{self_, leaf_.members()});
                sent_leaves = true;
            } else if constexpr (std::is_same_v<T, LeafSetReply>) {
                for (const auto& n : m.leaves) consider_hearsay(n, now);
            } else if constexpr (std::is_same_v<T, RowRequest>) {
                if (m.row < static_cast<std::uint32_t>(rt_.rows()))
                    send(from, RowReply{self_, m.row, rt_.row(static_cast<int>(m.row))});
                else
                    ++counters_.ignored;
            } else if constexpr (std::is_same_v<T, RowReply>) {
                for (const auto& n : m.entries) consider_hearsay(n, now);
            } else if constexpr (std::is_same_v<T, Ping>) {
                Pong r{self_, m.nonce, {}};
                if (m.want_leaves) {
                    r.leaves = leaf_.members();
                    sent_leaves = true;
                }
                send(from, std::move(r));
            }
        },
        msg);
    // A node that just entered our leaf set learns our neighbours at once.
    if (new_leaf && !sent_leaves) send(from, LeafSetReply{self_, leaf_.members()});
    return finish();
}

void Node::on_pong(const Pong& m, std::int64_t now) {
    Peer* p = find_peer(m.from.id);
    if (p && p->ref.addr == m.from.addr && m.nonce != 0 && p->nonce == m.nonce) {
        rtt_sample(*p, static_cast<double>(now - p->sent), now);
        drop_probe(p->nonce);
        p->nonce = 0;
    }
    bool new_leaf = false;
    if (heard_from(m.from, now, &new_leaf, p) == Heard::Conflict) {
        ++counters_.ignored;
        return;
    }
    for (const auto& n : m.leaves) consider_hearsay(n, now);
    if (new_leaf && m.leaves.empty()) send(m.from, LeafSetReply{self_, leaf_.members()});
}

// ---- routing ---------------------------------------------------------------------------

bool Node::suspect(const Id& id) const {
    const Peer* p = find_peer(id);
    return p && p->missed > 0;
}

std::optional<NodeRef> Node::route(const Id& key, const Id* exclude) const {
    auto skip = [&](const NodeRef& n) { return (exclude && n.id == *exclude) || suspect(n.id); };
    // 1. Within the leaf set's range: the numerically closest of leaves and self.
    if (leaf_.in_range(key) && !(leaf_.empty() && rt_.size() > 0)) {
        Id best = leaf_.closest(key, skip);
        if (best == self_.id) return std::nullopt;
        return *leaf_.find(best);
    }
    // 2. The routing-table entry sharing one more digit with the key.
    int l = self_.id.shared_prefix(key, cfg_.b);
    if (l >= rt_.rows()) return std::nullopt;
    const NodeRef* e = rt_.get(l, static_cast<int>(key.digit(l, cfg_.b)));
    if (e && !skip(*e)) return *e;
    // 3. Rare case: any known node sharing at least l digits with the key
    //    and numerically closer to it than we are (the closest such).
    const NodeRef* best = nullptr;
    Id best_id = self_.id;
    auto consider = [&](const NodeRef& n) {
        if (skip(n)) return;
        if (n.id.shared_prefix(key, cfg_.b) >= l && closer_to(key, n.id, best_id)) {
            best = &n;
            best_id = n.id;
        }
    };
    for (const auto* side : {&leaf_.left(), &leaf_.right()})
        for (const auto& n : *side) consider(n);
    rt_.for_each_from(l, [&](int, int, const NodeRef& n) { consider(n); });
    for (const auto& nb : nbr_) consider(nb.node);
    if (best) return *best;
    // Only suspects left: trying one beats wrongly claiming to be the root.
    if (e && !(exclude && e->id == *exclude)) return *e;
    return std::nullopt;
}

std::optional<NodeRef> Node::next_hop(const Id& key) const {
    if (state_ != State::Joined) return std::nullopt;
    return route(key, nullptr);
}

std::vector<NodeRef> Node::replica_set(const Id& key, int k) const {
    // Without the suspects, as route() goes without them: the first is then
    // the node messages for the key are delivered to. An application that
    // hands a key's role over to the first (Scribe's root) would otherwise
    // be told to hand over by one and have it handed back by the other.
    std::vector<NodeRef> all;
    for (auto& n : leaf_.members())
        if (!suspect(n.id)) all.push_back(std::move(n));
    all.push_back(self_);
    if (k <= 0) return {};
    std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(k), all.size());
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(),
                      [&](const NodeRef& a, const NodeRef& b) { return closer_to(key, a.id, b.id); });
    all.resize(n);
    return all;
}

// ---- introspection -----------------------------------------------------------------

std::vector<RouteEntry> Node::routing_table() const {
    std::vector<RouteEntry> out;
    rt_.for_each([&](int r, int c, const NodeRef& n) {
        const Peer* p = find_peer(n.id);
        out.push_back(RouteEntry{r, c, n, p && p->has_rtt ? static_cast<std::int64_t>(p->srtt) : -1});
    });
    return out;
}

std::vector<Neighbour> Node::neighbourhood() const { return nbr_; }

std::optional<double> Node::rtt_us(const Id& peer) const {
    const Peer* p = find_peer(peer);
    if (!p || !p->has_rtt) return std::nullopt;
    return p->srtt;
}

std::vector<Effect> Node::leave(std::int64_t /*now*/) {
    if (state_ != State::Joined) {
        state_ = State::Left;
        return {};
    }
    std::vector<Id> told;
    auto tell = [&](const NodeRef& n) {
        if (std::find(told.begin(), told.end(), n.id) != told.end()) return;
        told.push_back(n.id);
        send(n, Departed{self_});
    };
    for (const auto& n : leaf_.members()) tell(n);
    rt_.for_each([&](int, int, const NodeRef& n) { tell(n); });
    state_ = State::Left;
    return finish();
}

}  // namespace sr::pastry
