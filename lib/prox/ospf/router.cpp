#include "prox/ospf/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace sr::prox::ospf {

namespace {

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::int64_t kMinLsArrivalUs = 1'000'000;  // MinLSArrival (RFC 2328 B)
constexpr std::size_t kIpHeader = 20;

bool adjacent(NeighborState s) { return s >= NeighborState::exchange; }
bool exchanging(NeighborState s) { return s == NeighborState::exchange || s == NeighborState::loading; }

bool known_type(std::uint8_t t) { return t >= 1 && t <= 5; }

bool same_instance(const LsaHeader& a, const LsaHeader& b) {
    return a.seq == b.seq && a.checksum == b.checksum && (a.age >= kMaxAge) == (b.age >= kMaxAge);
}

// How `a` compares with `b` as instances of one LSA (RFC 2328 13.1), for
// headers not in the database (request and retransmission lists).
int recency(const LsaHeader& a, const LsaHeader& b) {
    if (a.seq != b.seq) return a.seq > b.seq ? 1 : -1;
    if (a.checksum != b.checksum) return a.checksum > b.checksum ? 1 : -1;
    bool am = a.age >= kMaxAge, bm = b.age >= kMaxAge;
    if (am != bm) return am ? 1 : -1;
    if (std::abs(int(a.age) - int(b.age)) > kMaxAgeDiff) return a.age < b.age ? 1 : -1;
    return 0;
}

}  // namespace

const char* state_name(NeighborState s) {
    switch (s) {
    case NeighborState::down: return "Down";
    case NeighborState::init: return "Init";
    case NeighborState::two_way: return "2-Way";
    case NeighborState::exstart: return "ExStart";
    case NeighborState::exchange: return "Exchange";
    case NeighborState::loading: return "Loading";
    case NeighborState::full: return "Full";
    }
    return "?";
}

Router::Router(RouterConfig cfg) : cfg_(std::move(cfg)) {
    if (cfg_.router_id == 0) throw std::invalid_argument("OSPF router id 0");
    if (cfg_.interfaces.empty()) throw std::invalid_argument("no OSPF interface");
    for (const auto& c : cfg_.interfaces) {
        if (c.hello_interval == 0 || c.dead_interval == 0 || c.retransmit_interval == 0)
            throw std::invalid_argument(c.name + ": OSPF intervals must be positive");
        if (c.mtu < 576) throw std::invalid_argument(c.name + ": MTU below 576");
        interfaces_.push_back(Interface{c, 0, 0, {}, 0});
    }
}

// ---- entry points ------------------------------------------------------------

std::vector<Effect> Router::start(std::int64_t now) {
    now_ = started_ = now;
    Out out;
    for (std::size_t i = 0; i < interfaces_.size(); ++i) send_hello(out, i);
    originate(out);
    expire_at_ = now + kSecond;
    return out;
}

std::vector<Effect> Router::receive(std::size_t index, std::uint32_t source, std::string_view payload,
                                    std::int64_t now) {
    now_ = now;
    Out out;
    if (index >= interfaces_.size()) return out;
    Interface& itf = interfaces_[index];
    ++counters_.packets_in;
    Packet p;
    try {
        p = decode(payload, itf.cfg.auth);
    } catch (const OspfError& e) {
        drop(out, index, source, e.what());
        return out;
    }
    if (p.router_id == cfg_.router_id) return out;  // our own, looped back
    if (p.area_id != cfg_.area) {
        drop(out, index, source, "area " + dotted(p.area_id) + ", ours is " + dotted(cfg_.area));
        return out;
    }
    if (itf.cfg.type == InterfaceType::broadcast && (source & itf.cfg.mask) != (itf.cfg.address & itf.cfg.mask)) {
        drop(out, index, source, "source not on the interface's subnet");
        return out;
    }
    if (const auto* h = std::get_if<Hello>(&p.body)) {
        hello(out, index, source, p, *h);
        return out;
    }
    auto it = itf.neighbors.find(p.router_id);
    if (it == itf.neighbors.end()) {
        drop(out, index, source, "packet from " + dotted(p.router_id) + ", not a neighbour");
        return out;
    }
    Neighbor& n = it->second;
    if (!fresh_sequence(n, p)) {
        drop(out, index, source, "authentication: cryptographic sequence number went back (replay?)");
        return out;
    }
    if (auto* d = std::get_if<DbDescription>(&p.body)) db_description(out, index, n, *d);
    else if (n.state < NeighborState::exchange) drop(out, index, source, "LS packet before the database exchange");
    else if (auto* r = std::get_if<LsRequest>(&p.body)) ls_request(out, index, n, *r);
    else if (auto* u = std::get_if<LsUpdate>(&p.body)) ls_update(out, index, n, *u);
    else if (auto* a = std::get_if<LsAck>(&p.body)) ls_ack(n, *a);
    return out;
}

std::vector<Effect> Router::tick(std::int64_t now) {
    now_ = now;
    Out out;
    for (std::size_t i = 0; i < interfaces_.size(); ++i) {
        Interface& itf = interfaces_[i];
        if (itf.hello_at <= now) send_hello(out, i);
        std::vector<std::uint32_t> dead;
        for (auto& [rid, n] : itf.neighbors) {
            if (n.dead_at <= now) {
                dead.push_back(rid);
                continue;
            }
            if (n.dd_retransmit_at <= now) {
                ++counters_.retransmissions;
                resend_dd(out, i, n);
                n.dd_retransmit_at = now + itf.cfg.retransmit_interval * kSecond;
            }
            if (n.request_retransmit_at <= now) {
                ++counters_.retransmissions;
                n.requested.clear();
                send_requests(out, i, n);
            }
            if (n.retransmit_at <= now) retransmit(out, i, n);
        }
        for (auto rid : dead)
            kill(out, i, rid, "no Hello for " + std::to_string(itf.cfg.dead_interval) + " s");
    }
    if (originate_at_ <= now || originated_at_ + kLsRefreshUs <= now) originate(out);
    if (expire_at_ <= now) {
        expire();
        expire_at_ = now + kSecond;
    }
    return out;
}

std::int64_t Router::next_wakeup() const {
    std::int64_t t = std::min({originate_at_, originated_at_ + kLsRefreshUs, expire_at_});
    for (const auto& itf : interfaces_) {
        t = std::min(t, itf.hello_at);
        for (const auto& [rid, n] : itf.neighbors)
            t = std::min({t, n.dead_at, n.dd_retransmit_at, n.request_retransmit_at, n.retransmit_at});
    }
    return t;
}

// ---- Hello and the neighbour state machine (RFC 2328 9, 10) --------------------

void Router::hello(Out& out, std::size_t index, std::uint32_t source, const Packet& p, const Hello& h) {
    Interface& itf = interfaces_[index];
    const InterfaceConfig& c = itf.cfg;
    std::string mismatch;
    if (c.type == InterfaceType::broadcast && h.mask != c.mask)
        mismatch = "network mask " + dotted(h.mask) + ", ours is " + dotted(c.mask);
    else if (h.hello_interval != c.hello_interval)
        mismatch = "hello interval " + std::to_string(h.hello_interval) + ", ours is " + std::to_string(c.hello_interval);
    else if (h.dead_interval != c.dead_interval)
        mismatch = "dead interval " + std::to_string(h.dead_interval) + ", ours is " + std::to_string(c.dead_interval);
    else if (!(h.options & kOptionE))
        mismatch = "E bit clear (a stub area); ours is a normal area";
    if (!mismatch.empty()) {
        drop(out, index, source, "Hello: " + mismatch);
        return;
    }
    auto [it, fresh] = itf.neighbors.try_emplace(p.router_id);
    if (fresh && itf.neighbors.size() > kMaxNeighbors) {
        itf.neighbors.erase(it);
        drop(out, index, source, "Hello: more than " + std::to_string(kMaxNeighbors) + " neighbours");
        return;
    }
    Neighbor& n = it->second;
    if (fresh) n.router_id = p.router_id;
    if (!fresh_sequence(n, p)) {
        drop(out, index, source, "authentication: cryptographic sequence number went back (replay?)");
        return;
    }
    n.address = source;
    n.priority = h.priority;
    n.dr = h.dr;
    n.bdr = h.bdr;
    n.dead_at = now_ + std::int64_t{c.dead_interval} * kSecond;
    if (n.state == NeighborState::down) {
        set_state(out, index, n, NeighborState::init, "Hello received");
        // Answer at once rather than at our next Hello, so that it sees us
        // and the adjacency forms in one round trip.
        if (itf.hello_at > now_ + kSecond) itf.hello_at = now_;
    }
    bool lists_us = std::find(h.neighbors.begin(), h.neighbors.end(), cfg_.router_id) != h.neighbors.end();
    if (!lists_us) {
        if (n.state >= NeighborState::two_way) {
            set_state(out, index, n, NeighborState::init, "its Hello no longer lists us");
            clear_lists(n);
        }
    } else if (n.state == NeighborState::init) {
        set_state(out, index, n, NeighborState::two_way, "two-way: its Hello lists us");
        if (c.type == InterfaceType::point_to_point) adjacency_ok(out, index, n);
    }
    if (c.type == InterfaceType::broadcast) elect(out, index);
    if (itf.hello_at <= now_) send_hello(out, index);
}

void Router::set_state(Out& out, std::size_t index, Neighbor& n, NeighborState to, const std::string& reason) {
    if (n.state == to) return;
    NeighborState from = n.state;
    out.push_back(NeighborChanged{index, n.router_id, n.address, from, to, reason});
    n.state = to;
    if (to == NeighborState::full) n.full_since = now_;
    if (from == NeighborState::full) ++counters_.adjacencies_lost;
    if (from == NeighborState::full || to == NeighborState::full) schedule_origination();
}

// The election of RFC 2328 9.4, steps 1 to 3, among the neighbours in 2-Way
// or above with a priority; we are never a candidate (priority 0).
void Router::elect(Out& out, std::size_t index) {
    Interface& itf = interfaces_[index];
    auto better = [](const Neighbor* a, const Neighbor* b) {
        return !b || a->priority > b->priority || (a->priority == b->priority && a->router_id > b->router_id);
    };
    const Neighbor *bdr = nullptr, *bdr_declared = nullptr, *dr = nullptr;
    for (const auto& [rid, n] : itf.neighbors) {
        if (n.state < NeighborState::two_way || n.priority == 0) continue;
        if (n.dr == n.address) {
            if (better(&n, dr)) dr = &n;
            continue;
        }
        if (n.bdr == n.address && better(&n, bdr_declared)) bdr_declared = &n;
        if (better(&n, bdr)) bdr = &n;
    }
    if (bdr_declared) bdr = bdr_declared;
    if (!dr) dr = bdr;
    std::uint32_t new_dr = dr ? dr->address : 0, new_bdr = bdr && bdr != dr ? bdr->address : 0;
    if (new_dr == itf.dr && new_bdr == itf.bdr) return;
    bool dr_changed = new_dr != itf.dr;
    itf.dr = new_dr;
    itf.bdr = new_bdr;
    for (auto& [rid, n] : itf.neighbors)
        if (n.state >= NeighborState::two_way) adjacency_ok(out, index, n);
    if (dr_changed) schedule_origination();  // transit link or stub
}

bool Router::wants_adjacency(const Interface& itf, const Neighbor& n) const {
    if (itf.cfg.type == InterfaceType::point_to_point) return true;
    return n.address != 0 && (n.address == itf.dr || n.address == itf.bdr);
}

void Router::adjacency_ok(Out& out, std::size_t index, Neighbor& n) {
    bool wants = wants_adjacency(interfaces_[index], n);
    if (n.state == NeighborState::two_way && wants) {
        set_state(out, index, n, NeighborState::exstart, "adjacency wanted (point-to-point, DR or BDR)");
        start_exchange(out, index, n);
    } else if (n.state >= NeighborState::exstart && !wants) {
        set_state(out, index, n, NeighborState::two_way, "no longer DR or BDR");
        clear_lists(n);
    }
}

void Router::kill(Out& out, std::size_t index, std::uint32_t router_id, const std::string& reason) {
    Interface& itf = interfaces_[index];
    auto it = itf.neighbors.find(router_id);
    if (it == itf.neighbors.end()) return;
    set_state(out, index, it->second, NeighborState::down, reason);
    itf.neighbors.erase(it);
    if (itf.cfg.type == InterfaceType::broadcast) elect(out, index);
}

void Router::clear_lists(Neighbor& n) {
    n.summary.clear();
    n.requests.clear();
    n.requested.clear();
    n.retransmit.clear();
    n.last_dd_sent.reset();
    n.have_last_dd = false;
    n.sent_more = n.their_more = true;  // the first packets after ExStart describe the databases
    n.dd_retransmit_at = n.request_retransmit_at = n.retransmit_at = INT64_MAX;
}

// ---- database exchange (10.6, 10.8) ------------------------------------------

void Router::start_exchange(Out& out, std::size_t index, Neighbor& n) {
    clear_lists(n);
    n.master = true;  // until the neighbour shows a higher router id
    n.dd_seq = static_cast<std::uint32_t>(now_ / 1000) + ++dd_sequences_;
    send_dd(out, index, n, kFlagInit | kFlagMore | kFlagMasterSlave);
}

void Router::mismatch(Out& out, std::size_t index, Neighbor& n, const std::string& reason) {
    NeighborState from = n.state;
    n.state = NeighborState::exstart;
    out.push_back(NeighborChanged{index, n.router_id, n.address, from, n.state, reason});
    if (from == NeighborState::full) {
        ++counters_.adjacencies_lost;
        schedule_origination();
    }
    start_exchange(out, index, n);
}

void Router::db_description(Out& out, std::size_t index, Neighbor& n, const DbDescription& d) {
    const Interface& itf = interfaces_[index];
    if (d.mtu > itf.cfg.mtu) {
        drop(out, index, n.address,
             "Database Description: MTU " + std::to_string(d.mtu) + " above ours, " + std::to_string(itf.cfg.mtu));
        return;
    }
    bool init = d.flags & kFlagInit, more = d.flags & kFlagMore, ms = d.flags & kFlagMasterSlave;
    bool duplicate = n.have_last_dd && d.seq == n.last_dd_seq && d.flags == n.last_dd_flags;
    switch (n.state) {
    case NeighborState::down:
    case NeighborState::init:
    case NeighborState::two_way: return;  // RFC 2328 10.6: ignored (Init would first need a Hello listing us)
    case NeighborState::exstart:
        if (init && more && ms && d.headers.empty() && n.router_id > cfg_.router_id) {
            n.master = false;  // it is master: we follow its sequence number
            n.dd_seq = d.seq;
            negotiation_done(out, index, n);
        } else if (!init && !ms && d.seq == n.dd_seq && n.router_id < cfg_.router_id) {
            negotiation_done(out, index, n);  // we are master, it acknowledged our first packet
        } else {
            return;
        }
        break;
    case NeighborState::exchange:
        if (duplicate) {
            if (!n.master) resend_dd(out, index, n);
            return;
        }
        if (ms == n.master) return mismatch(out, index, n, "Database Description: wrong master/slave bit");
        if (init) return mismatch(out, index, n, "Database Description: initialize bit in Exchange");
        if (n.master ? d.seq != n.dd_seq : d.seq != n.last_dd_seq + 1)
            return mismatch(out, index, n, "Database Description: sequence number out of order");
        break;
    case NeighborState::loading:
    case NeighborState::full:
        if (duplicate) {
            if (!n.master) resend_dd(out, index, n);
            return;
        }
        return mismatch(out, index, n, "Database Description after the exchange");
    }
    // An accepted packet, in Exchange now.
    n.have_last_dd = true;
    n.last_dd_seq = d.seq;
    n.last_dd_flags = d.flags;
    n.their_more = more;
    for (const auto& h : d.headers) {
        if (!known_type(h.type)) continue;  // not ours to hold (we announce no opaque capability)
        if (lsdb_.compare(h, now_) != Lsdb::Compare::newer) continue;
        if (lsdb_.size() + n.requests.size() >= cfg_.max_lsas && !lsdb_.find(h.key())) {
            ++counters_.lsas_refused;
            continue;
        }
        n.requests[h.key()] = h;
    }
    if (n.master) {
        ++n.dd_seq;
        if (!n.sent_more && !n.their_more) {
            n.dd_retransmit_at = INT64_MAX;
            exchange_done(out, index, n);
            return;
        }
        send_dd(out, index, n, kFlagMasterSlave);
    } else {
        n.dd_seq = d.seq;
        send_dd(out, index, n, 0);
        n.dd_retransmit_at = INT64_MAX;  // the slave only answers
        if (!n.sent_more && !n.their_more) {
            exchange_done(out, index, n);
            return;
        }
    }
    send_requests(out, index, n);
}

void Router::negotiation_done(Out& out, std::size_t index, Neighbor& n) {
    set_state(out, index, n, NeighborState::exchange, n.master ? "negotiated: we are master" : "negotiated: we are slave");
    n.summary.clear();
    for (const auto& h : lsdb_.headers(now_))
        if (h.age < kMaxAge) n.summary.push_back(h);
    // Taken from the front as packets go out.
    std::reverse(n.summary.begin(), n.summary.end());
}

// Our next Database Description to `n`, with the headers that fit; the
// More bit says whether any are left.
void Router::send_dd(Out& out, std::size_t index, Neighbor& n, std::uint8_t flags) {
    const Interface& itf = interfaces_[index];
    DbDescription d;
    d.mtu = itf.cfg.mtu;
    d.options = kOptionE;
    d.seq = n.dd_seq;
    if (!(flags & kFlagInit)) {
        std::size_t room = (payload_budget(itf) - 8) / kLsaHeaderSize;
        while (room-- > 0 && !n.summary.empty()) {
            d.headers.push_back(n.summary.back());
            n.summary.pop_back();
        }
        n.sent_more = !n.summary.empty();
        if (n.sent_more) flags |= kFlagMore;
    }
    d.flags = flags;
    n.last_dd_sent = std::move(d);
    resend_dd(out, index, n);
    if (n.master) n.dd_retransmit_at = now_ + itf.cfg.retransmit_interval * kSecond;
}

// Our last Database Description again, signed afresh: a cryptographic
// sequence number sent before would now be refused as a replay.
void Router::resend_dd(Out& out, std::size_t index, Neighbor& n) {
    if (n.last_dd_sent) send(out, index, n.address, *n.last_dd_sent);
}

void Router::exchange_done(Out& out, std::size_t index, Neighbor& n) {
    if (n.requests.empty())
        set_state(out, index, n, NeighborState::full, "database exchanged, nothing to request");
    else {
        set_state(out, index, n, NeighborState::loading, "database exchanged");
        send_requests(out, index, n);
    }
}

// One LS Request at a time: the front of the request list, as much as fits.
void Router::send_requests(Out& out, std::size_t index, Neighbor& n) {
    if (!n.requested.empty()) return;
    if (n.requests.empty()) {
        n.request_retransmit_at = INT64_MAX;
        if (n.state == NeighborState::loading) set_state(out, index, n, NeighborState::full, "loading done");
        return;
    }
    const Interface& itf = interfaces_[index];
    std::size_t room = payload_budget(itf) / 12;
    LsRequest r;
    for (const auto& [key, h] : n.requests) {
        if (r.keys.size() == room) break;
        r.keys.push_back(key);
        n.requested.insert(key);
    }
    send(out, index, n.address, std::move(r));
    n.request_retransmit_at = now_ + itf.cfg.retransmit_interval * kSecond;
}

void Router::satisfied(Out& out, std::size_t index, Neighbor& n, const LsaKey& key) {
    n.requests.erase(key);
    if (n.requested.erase(key) && n.requested.empty()) send_requests(out, index, n);
}

// ---- LS Request, Update, Ack (10.7, 13) ---------------------------------------

void Router::ls_request(Out& out, std::size_t index, Neighbor& n, const LsRequest& r) {
    std::vector<std::string> lsas;
    for (const auto& key : r.keys) {
        const LsdbEntry* e = lsdb_.find(key);
        if (!e) return mismatch(out, index, n, "LS Request for an LSA we do not hold");
        lsas.push_back(lsdb_.aged_bytes(*e, now_));
    }
    send_updates(out, index, n.address, lsas);
}

void Router::ls_update(Out& out, std::size_t index, Neighbor& n, const LsUpdate& u) {
    std::vector<LsaHeader> acks;
    std::vector<std::string> ours_newer;
    for (const auto& bytes : u.lsas) {
        Lsa lsa;
        try {
            lsa = decode_lsa(bytes);
        } catch (const OspfError& e) {
            drop(out, index, n.address, std::string("LS Update: ") + e.what());
            continue;
        }
        const LsaHeader& h = lsa.header;
        if (!known_type(h.type)) continue;  // RFC 2328 13 (2): discarded, not acknowledged
        LsaKey key = h.key();
        const LsdbEntry* held = lsdb_.find(key);
        if (h.age >= kMaxAge && !held && !any_exchanging()) {
            acks.push_back(h);  // 13 (4): nothing to remove; acknowledge and forget
            continue;
        }
        switch (lsdb_.compare(h, now_)) {
        case Lsdb::Compare::newer:
            if (held && now_ - held->installed_us < kMinLsArrivalUs && h.adv_router != cfg_.router_id)
                continue;  // 13 (5a): too soon after the last instance
            if (!held && lsdb_.size() >= cfg_.max_lsas) {
                ++counters_.lsas_refused;
                acks.push_back(h);  // refused, but not to be sent again and again
                continue;
            }
            install(out, index, &n, bytes, lsa);
            acks.push_back(h);
            if (h.adv_router == cfg_.router_id) self_originated(out, lsa);
            break;
        case Lsdb::Compare::same:
            if (auto it = n.retransmit.find(key); it != n.retransmit.end())
                n.retransmit.erase(it);  // an implied acknowledgment
            else
                acks.push_back(h);
            break;
        case Lsdb::Compare::older:
            if (n.requests.count(key)) return mismatch(out, index, n, "LS Update older than what we requested");
            ours_newer.push_back(lsdb_.aged_bytes(*held, now_));
            break;
        }
    }
    send_acks(out, index, n.address, acks);
    send_updates(out, index, n.address, ours_newer);
}

void Router::ls_ack(Neighbor& n, const LsAck& a) {
    for (const auto& h : a.headers) {
        auto it = n.retransmit.find(h.key());
        if (it != n.retransmit.end() && same_instance(it->second, h)) n.retransmit.erase(it);
    }
    if (n.retransmit.empty()) n.retransmit_at = INT64_MAX;
}

void Router::retransmit(Out& out, std::size_t index, Neighbor& n) {
    std::vector<std::string> lsas;
    for (auto it = n.retransmit.begin(); it != n.retransmit.end();) {
        const LsdbEntry* e = lsdb_.find(it->first);
        if (!e) {
            it = n.retransmit.erase(it);
            continue;
        }
        lsas.push_back(lsdb_.aged_bytes(*e, now_));
        ++it;
    }
    if (!lsas.empty()) ++counters_.retransmissions;
    send_updates(out, index, n.address, lsas);
    n.retransmit_at = n.retransmit.empty() ? INT64_MAX : now_ + interfaces_[index].cfg.retransmit_interval * kSecond;
}

bool Router::any_exchanging() const {
    for (const auto& itf : interfaces_)
        for (const auto& [rid, n] : itf.neighbors)
            if (exchanging(n.state)) return true;
    return false;
}

// ---- the database and flooding (13, 13.3, 13.4) ----------------------------------

void Router::install(Out& out, std::size_t from_interface, Neighbor* from, const std::string& bytes, const Lsa& lsa) {
    LsaKey key = lsa.header.key();
    for (auto& itf : interfaces_)
        for (auto& [rid, m] : itf.neighbors) m.retransmit.erase(key);  // 13 (5b): the old instance
    lsdb_.install(bytes, now_);
    ++counters_.lsas_installed;
    flood(out, from_interface, from, lsa.header);
}

void Router::flood(Out& out, std::size_t from_interface, const Neighbor* from, const LsaHeader& h) {
    const LsdbEntry* e = lsdb_.find(h.key());
    if (!e) return;
    std::string bytes = lsdb_.aged_bytes(*e, now_);
    for (std::size_t i = 0; i < interfaces_.size(); ++i) {
        Interface& itf = interfaces_[i];
        bool added = false;
        for (auto& [rid, m] : itf.neighbors) {
            if (!adjacent(m.state)) continue;
            if (exchanging(m.state)) {
                if (auto r = m.requests.find(h.key()); r != m.requests.end()) {
                    int c = recency(h, r->second);
                    if (c < 0) continue;  // it has a newer one, which we asked for
                    satisfied(out, i, m, h.key());
                    if (c == 0) continue;  // it has this one
                }
            }
            if (&m == from) continue;
            m.retransmit[h.key()] = h;
            if (m.retransmit_at == INT64_MAX) m.retransmit_at = now_ + itf.cfg.retransmit_interval * kSecond;
            added = true;
        }
        if (!added) continue;
        // A DROther does not send back on the network it heard it from: the DR floods there.
        if (i == from_interface && from && (from->address == itf.dr || from->address == itf.bdr)) continue;
        std::uint32_t to = itf.cfg.type == InterfaceType::point_to_point ? kAllSpfRouters : kAllDRouters;
        send_updates(out, i, to, {bytes});
    }
}

// An LSA that claims to be ours (13.4), already installed and flooded: our
// router-LSA from before a restart makes us step past its sequence number;
// anything else with our id is not ours to keep and is flushed.
void Router::self_originated(Out& out, const Lsa& received) {
    const LsaHeader& h = received.header;
    if (h.type == static_cast<std::uint8_t>(LsaType::router) && h.id == cfg_.router_id) {
        our_seq_ = std::max(our_seq_, h.seq);
        originate(out);
        return;
    }
    if (h.age >= kMaxAge) return;  // already being flushed
    Lsa flushed = received;
    flushed.header.age = kMaxAge;
    std::string bytes = encode_lsa(flushed);
    install(out, SIZE_MAX, nullptr, bytes, flushed);
}

void Router::schedule_origination() {
    originate_at_ = std::min(originate_at_, std::max(now_, originated_at_ + kMinLsIntervalUs));
}

RouterLsa Router::our_router_lsa() const {
    RouterLsa r;
    for (const auto& itf : interfaces_) {
        const InterfaceConfig& c = itf.cfg;
        RouterLink stub{c.address & c.mask, c.mask, LinkType::stub, c.cost};
        if (c.type == InterfaceType::point_to_point) {
            for (const auto& [rid, n] : itf.neighbors)
                if (n.state == NeighborState::full)
                    r.links.push_back({rid, c.address, LinkType::point_to_point, kMaxMetric});
            r.links.push_back(stub);
            continue;
        }
        bool full_with_dr = false;
        for (const auto& [rid, n] : itf.neighbors)
            full_with_dr |= n.state == NeighborState::full && n.address == itf.dr && itf.dr != 0;
        if (full_with_dr)
            r.links.push_back({itf.dr, c.address, LinkType::transit, kMaxMetric});
        else
            r.links.push_back(stub);
    }
    return r;
}

void Router::originate(Out& out) {
    Lsa lsa;
    lsa.header.options = kOptionE;
    lsa.header.type = static_cast<std::uint8_t>(LsaType::router);
    lsa.header.id = lsa.header.adv_router = cfg_.router_id;
    lsa.header.seq = ++our_seq_;
    lsa.body = our_router_lsa();
    std::string bytes = encode_lsa(lsa);
    lsa = decode_lsa(bytes);  // with its length and checksum
    originated_at_ = now_;
    originate_at_ = INT64_MAX;
    ++counters_.originated;
    install(out, SIZE_MAX, nullptr, bytes, lsa);
}

// 14: an LSA at MaxAge leaves once no neighbour is exchanging databases and
// no retransmission list holds it.
void Router::expire() {
    if (any_exchanging()) return;
    std::set<LsaKey> held;
    for (const auto& itf : interfaces_)
        for (const auto& [rid, n] : itf.neighbors)
            for (const auto& [key, h] : n.retransmit) held.insert(key);
    std::vector<LsaKey> gone;
    for (const auto& [key, e] : lsdb_.entries())
        if (lsdb_.age(e, now_) >= kMaxAge && !held.count(key) && key.adv_router != cfg_.router_id) gone.push_back(key);
    for (const auto& key : gone) lsdb_.remove(key);
}

// ---- sending ----------------------------------------------------------------

std::size_t Router::payload_budget(const Interface& itf) const {
    return itf.cfg.mtu - kIpHeader - kHeaderSize - auth_trailer_size(itf.cfg.auth);
}

// Strictly increasing: RFC 2328 D.4.3 asks only that it not decrease, but
// FRR refuses a number equal to the last it saw from us.
std::uint32_t Router::crypto_sequence() {
    std::uint32_t by_clock = cfg_.crypto_sequence_base + static_cast<std::uint32_t>((now_ - started_) / kSecond);
    last_crypto_sequence_ = std::max(by_clock, last_crypto_sequence_ + 1);
    return last_crypto_sequence_;
}

bool Router::fresh_sequence(Neighbor& n, const Packet& p) {
    // decode() checked the kind; a packet without cryptographic
    // authentication carries 0 and passes while none has been seen.
    if (n.crypto_sequence && p.crypto_sequence < *n.crypto_sequence) return false;
    n.crypto_sequence = p.crypto_sequence;
    return true;
}

void Router::send_hello(Out& out, std::size_t index) {
    Interface& itf = interfaces_[index];
    Hello h;
    h.mask = itf.cfg.mask;
    h.hello_interval = itf.cfg.hello_interval;
    h.dead_interval = itf.cfg.dead_interval;
    h.priority = 0;
    h.dr = itf.dr;
    h.bdr = itf.bdr;
    for (const auto& [rid, n] : itf.neighbors)
        if (n.state >= NeighborState::init) h.neighbors.push_back(rid);
    send(out, index, kAllSpfRouters, std::move(h));
    itf.hello_at = now_ + std::int64_t{itf.cfg.hello_interval} * kSecond;
}

void Router::send_updates(Out& out, std::size_t index, std::uint32_t destination, const std::vector<std::string>& lsas) {
    std::size_t budget = payload_budget(interfaces_[index]) - 4;
    LsUpdate u;
    std::size_t size = 0;
    for (const auto& l : lsas) {
        if (!u.lsas.empty() && size + l.size() > budget) {
            send(out, index, destination, std::move(u));
            u = {};
            size = 0;
        }
        u.lsas.push_back(l);
        size += l.size();
    }
    if (!u.lsas.empty()) send(out, index, destination, std::move(u));
}

void Router::send_acks(Out& out, std::size_t index, std::uint32_t destination, const std::vector<LsaHeader>& acks) {
    std::size_t room = payload_budget(interfaces_[index]) / kLsaHeaderSize;
    for (std::size_t i = 0; i < acks.size(); i += room) {
        LsAck a;
        a.headers.assign(acks.begin() + static_cast<std::ptrdiff_t>(i),
                         acks.begin() + static_cast<std::ptrdiff_t>(std::min(acks.size(), i + room)));
        send(out, index, destination, std::move(a));
    }
}

void Router::send(Out& out, std::size_t index, std::uint32_t destination, Packet::Body body) {
    Packet p{cfg_.router_id, cfg_.area, std::move(body), 0};
    send_raw(out, index, destination, encode(p, interfaces_[index].cfg.auth, crypto_sequence()));
}

void Router::send_raw(Out& out, std::size_t index, std::uint32_t destination, std::string bytes) {
    if (bytes.empty()) return;
    ++counters_.packets_out;
    out.push_back(Send{index, destination, std::move(bytes)});
}

void Router::drop(Out& out, std::size_t index, std::uint32_t source, std::string reason) {
    ++counters_.dropped;
    out.push_back(Dropped{index, source, std::move(reason)});
}

}  // namespace sr::prox::ospf
