#include "prox/isis/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace sr::prox::isis {

namespace {

constexpr std::int64_t kSecond = 1'000'000;

// The LSP id just before `id`, in the order of the 8 bytes as a number.
LspId before(LspId id) {
    if (id.fragment-- != 0) return id;
    if (id.pseudonode-- != 0) return id;
    for (int i = 5; i >= 0; --i)
        if (id.system[static_cast<std::size_t>(i)]-- != 0) break;
    return id;
}

bool is_lan_hello(PduType t) { return t == PduType::l1_lan_hello || t == PduType::l2_lan_hello; }

int level_of(PduType t) {
    switch (t) {
    case PduType::l1_lan_hello:
    case PduType::l1_lsp:
    case PduType::l1_csnp:
    case PduType::l1_psnp: return 1;
    default: return 2;
    }
}

}  // namespace

const char* state_name(AdjacencyState s) {
    switch (s) {
    case AdjacencyState::down: return "Down";
    case AdjacencyState::initializing: return "Initializing";
    case AdjacencyState::up: return "Up";
    }
    return "?";
}

Router::Router(RouterConfig cfg) : cfg_(std::move(cfg)) {
    if (cfg_.system == SystemId{}) throw std::invalid_argument("IS-IS system id 0000.0000.0000");
    if (cfg_.area.empty()) throw std::invalid_argument("no IS-IS area address");
    if (cfg_.circuits.empty()) throw std::invalid_argument("no IS-IS circuit");
    for (const auto& c : cfg_.circuits) {
        if (c.levels < 1 || c.levels > 3) throw std::invalid_argument(c.name + ": levels must be 1, 2 or 1-2");
        if (c.hello_interval == 0 || c.hello_multiplier < 2) throw std::invalid_argument(c.name + ": bad hello timers");
        circuits_.push_back(Circuit{c, {}, 0, {}, {}, INT64_MAX});
    }
}

bool Router::runs(int level) const {
    return std::any_of(circuits_.begin(), circuits_.end(), [&](const Circuit& c) { return c.cfg.levels & level_bit(level); });
}

// ---- entry points ------------------------------------------------------------

std::vector<Effect> Router::start(std::int64_t now) {
    now_ = now;
    Out out;
    for (std::size_t c = 0; c < circuits_.size(); ++c) send_hellos(out, c);
    for (int level : {1, 2})
        if (runs(level)) originate(level);
    expire_at_ = now + kSecond;
    return out;
}

std::vector<Effect> Router::receive(std::size_t c, const Mac& source, std::string_view bytes, std::int64_t now) {
    now_ = now;
    Out out;
    if (c >= circuits_.size()) return out;
    ++counters_.pdus_in;
    Pdu pdu;
    try {
        PduType type = pdu_type(bytes);
        const Auth& auth = type == PduType::p2p_hello || is_lan_hello(type) ? circuits_[c].cfg.hello_auth
                           : type == PduType::l1_lsp || type == PduType::l2_lsp
                               ? cfg_.lsp_auth[static_cast<std::size_t>(level_of(type) - 1)]
                               : snp_auth(level_of(type));
        pdu = decode(bytes, auth);
    } catch (const IsisError& e) {
        drop(out, c, source, e.what());
        return out;
    }
    if (auto* h = std::get_if<Hello>(&pdu)) {
        if (h->source == cfg_.system) return out;  // our own
        hello(out, c, source, *h);
    } else if (auto* l = std::get_if<Lsp>(&pdu)) {
        // Kept as received, without the frame's padding, for flooding.
        std::size_t length = static_cast<std::uint8_t>(bytes[8]) << 8 | static_cast<std::uint8_t>(bytes[9]);
        lsp(out, c, source, std::string(bytes.substr(0, length)), std::move(*l));
    } else {
        snp(out, c, std::get<Snp>(pdu));
    }
    for (std::size_t i = 0; i < circuits_.size(); ++i) flush(out, i, false);
    return out;
}

std::vector<Effect> Router::tick(std::int64_t now) {
    now_ = now;
    Out out;
    for (std::size_t c = 0; c < circuits_.size(); ++c) {
        Circuit& circuit = circuits_[c];
        if (circuit.hello_at <= now) send_hellos(out, c);
        for (auto it = circuit.adjacencies.begin(); it != circuit.adjacencies.end();) {
            if (it->holding_until <= now) {
                set_state(out, c, *it, AdjacencyState::down, "holding time expired");
                it = circuit.adjacencies.erase(it);
            } else {
                ++it;
            }
        }
        if (circuit.retransmit_at <= now) flush(out, c, true);
    }
    for (int level : {1, 2})
        if (runs(level) && (originate_at_ <= now || originated_at_ + kLspRefreshUs <= now)) originate(level);
    if (originate_at_ <= now) originate_at_ = INT64_MAX;
    if (expire_at_ <= now) {
        for (auto& db : lsdbs_) db.expire(now);
        expire_at_ = now + kSecond;
    }
    for (std::size_t c = 0; c < circuits_.size(); ++c) flush(out, c, false);
    return out;
}

std::int64_t Router::next_wakeup() const {
    std::int64_t t = std::min({originate_at_, originated_at_ + kLspRefreshUs, expire_at_});
    for (const auto& c : circuits_) {
        t = std::min({t, c.hello_at, c.retransmit_at});
        for (const auto& a : c.adjacencies) t = std::min(t, a.holding_until);
    }
    return t;
}

// ---- adjacencies ---------------------------------------------------------------

void Router::hello(Out& out, std::size_t c, const Mac& source, const Hello& h) {
    Circuit& circuit = circuits_[c];
    bool p2p = h.type == PduType::p2p_hello;
    if (p2p != circuit.cfg.point_to_point) {
        drop(out, c, source, p2p ? "point-to-point Hello on a LAN circuit" : "LAN Hello on a point-to-point circuit");
        return;
    }
    bool same_area = std::find(h.tlvs.areas.begin(), h.tlvs.areas.end(), cfg_.area) != h.tlvs.areas.end();
    int levels;
    if (p2p) {
        levels = h.circuit_type & circuit.cfg.levels;
        if (!same_area) levels &= 2;  // level 1 needs a common area
    } else {
        levels = level_bit(level_of(h.type)) & circuit.cfg.levels & h.circuit_type;
        if (levels == 1 && !same_area) levels = 0;
    }
    if (levels == 0) {
        drop(out, c, source, same_area ? "Hello: no level in common" : "Hello: no level in common (level 1 needs the same area)");
        return;
    }
    int level = p2p ? levels : level_of(h.type);
    auto it = std::find_if(circuit.adjacencies.begin(), circuit.adjacencies.end(), [&](const Adjacency& a) {
        return p2p || (a.mac == source && a.level == level);
    });
    if (it == circuit.adjacencies.end()) {
        if (circuit.adjacencies.size() >= kMaxAdjacencies) {
            drop(out, c, source, "Hello: more than " + std::to_string(kMaxAdjacencies) + " adjacencies");
            return;
        }
        circuit.adjacencies.push_back(Adjacency{});
        it = circuit.adjacencies.end() - 1;
        it->mac = source;
        it->system = h.source;
        it->level = level;
    }
    Adjacency& a = *it;
    if (p2p && a.system != h.source && a.state != AdjacencyState::down) {
        set_state(out, c, a, AdjacencyState::down, "another system on the circuit");
        a = Adjacency{};
        a.mac = source;
    }
    a.system = h.source;
    a.mac = source;
    a.level = level;
    if (!p2p && (a.lan_id != h.lan_id || a.priority != h.priority)) schedule_origination();  // the DIS may change
    a.priority = h.priority;
    a.lan_id = h.lan_id;
    a.holding_until = now_ + std::int64_t{h.holding_time} * kSecond;
    AdjacencyState before = a.state;
    if (!p2p) {
        bool lists_us = std::find(h.tlvs.lan_neighbors.begin(), h.tlvs.lan_neighbors.end(), circuit.cfg.mac) !=
                        h.tlvs.lan_neighbors.end();
        set_state(out, c, a, lists_us ? AdjacencyState::up : AdjacencyState::initializing,
                  lists_us ? "its Hello lists our MAC address" : "its Hello does not list us yet");
    } else if (!h.tlvs.three_way) {
        set_state(out, c, a, AdjacencyState::up, "two-way Hello (no three-way TLV)");
    } else {
        const ThreeWay& w = *h.tlvs.three_way;
        if (w.neighbor && *w.neighbor != cfg_.system) {
            set_state(out, c, a, AdjacencyState::down, "its three-way TLV names another system");
        } else {
            a.circuit_id = w.local_circuit;
            // RFC 5303 3.2: the received state against ours.
            AdjacencyState to = a.state;
            if (w.state == ThreeWay::down) to = AdjacencyState::initializing;
            else if (w.state == ThreeWay::initializing) to = AdjacencyState::up;
            else if (a.state == AdjacencyState::initializing) to = AdjacencyState::up;
            set_state(out, c, a, to, "three-way state " + std::string(w.state == 0 ? "Up" : w.state == 1 ? "Initializing" : "Down"));
        }
    }
    // A CSNP once both ends are Up: sent when ours comes up, the other end
    // may still be Initializing and drop it, so it goes when the other end's
    // Hello first says Up.
    if (p2p && a.state == AdjacencyState::up && h.tlvs.three_way && h.tlvs.three_way->state == ThreeWay::up &&
        !a.heard_up) {
        a.heard_up = true;
        for (int l : {1, 2})
            if (levels & level_bit(l)) send_csnp(out, c, l);
    } else if (p2p && before != AdjacencyState::up && a.state == AdjacencyState::up && !h.tlvs.three_way) {
        for (int l : {1, 2})
            if (levels & level_bit(l)) send_csnp(out, c, l);
    }
    // A neighbour that has just heard us hears us again at once.
    if (before == AdjacencyState::down && circuit.hello_at > now_ + kSecond) circuit.hello_at = now_;
    if (circuit.hello_at <= now_) send_hellos(out, c);
}

void Router::set_state(Out& out, std::size_t c, Adjacency& a, AdjacencyState to, const std::string& reason) {
    if (a.state == to) return;
    out.push_back(AdjacencyChanged{c, a.system, a.level, a.state, to, reason});
    if (a.state == AdjacencyState::up) ++counters_.adjacencies_lost;
    if (to == AdjacencyState::up) a.up_since = now_;
    if (to != AdjacencyState::up) a.heard_up = false;
    if (a.state == AdjacencyState::up || to == AdjacencyState::up) schedule_origination();
    a.state = to;
}

bool Router::adjacent(const Circuit& circuit, int level) const {
    return std::any_of(circuit.adjacencies.begin(), circuit.adjacencies.end(), [&](const Adjacency& a) {
        return a.state == AdjacencyState::up && (a.level & level_bit(level));
    });
}

// The LAN's DIS (8.4.5): the highest priority, then the highest MAC address,
// among the neighbours up at that level; its LAN ID names the pseudonode.
// Before there is one, our own.
std::array<std::uint8_t, 7> Router::lan_id(const Circuit& circuit, int level) const {
    const Adjacency* dis = nullptr;
    for (const auto& a : circuit.adjacencies) {
        if (a.state != AdjacencyState::up || a.level != level || a.priority == 0) continue;
        if (!dis || a.priority > dis->priority || (a.priority == dis->priority && a.mac > dis->mac)) dis = &a;
    }
    std::array<std::uint8_t, 7> id{};
    if (dis && std::equal(dis->system.begin(), dis->system.end(), dis->lan_id.begin())) return dis->lan_id;
    std::copy(cfg_.system.begin(), cfg_.system.end(), id.begin());
    id[6] = static_cast<std::uint8_t>(circuit.cfg.circuit_id & 0xff);
    return id;
}

void Router::send_hellos(Out& out, std::size_t c) {
    Circuit& circuit = circuits_[c];
    const CircuitConfig& cfg = circuit.cfg;
    Hello h;
    h.circuit_type = static_cast<std::uint8_t>(cfg.levels);
    h.source = cfg_.system;
    h.holding_time = static_cast<std::uint16_t>(std::min(65535, cfg.hello_interval * cfg.hello_multiplier));
    h.tlvs.areas = {cfg_.area};
    h.tlvs.protocols = {kNlpidIpv4, kNlpidIpv6};
    h.tlvs.ipv4_addresses = cfg.ipv4_addresses;
    h.tlvs.ipv6_addresses = cfg.ipv6_link_local;
    if (cfg.point_to_point) {
        h.type = PduType::p2p_hello;
        h.local_circuit = static_cast<std::uint8_t>(cfg.circuit_id & 0xff);
        ThreeWay w;
        w.local_circuit = cfg.circuit_id;
        if (!circuit.adjacencies.empty()) {
            const Adjacency& a = circuit.adjacencies.front();
            // Our state as it is: a Down sent to a neighbour still Up from
            // before our restart makes it start over (RFC 5303 3.2).
            w.state = a.state == AdjacencyState::up             ? ThreeWay::up
                      : a.state == AdjacencyState::initializing ? ThreeWay::initializing
                                                                : ThreeWay::down;
            if (a.state != AdjacencyState::down) {
                w.neighbor = a.system;
                w.neighbor_circuit = a.circuit_id;
            }
        }
        h.tlvs.three_way = w;
        send(out, c, kAllIss, h, cfg.hello_auth);
    } else {
        for (int level : {1, 2}) {
            if (!(cfg.levels & level_bit(level))) continue;
            h.type = level == 1 ? PduType::l1_lan_hello : PduType::l2_lan_hello;
            h.lan_id = lan_id(circuit, level);
            h.tlvs.lan_neighbors.clear();
            for (const auto& a : circuit.adjacencies)
                if (a.level == level && a.state != AdjacencyState::down) h.tlvs.lan_neighbors.push_back(a.mac);
            send(out, c, level == 1 ? kAllL1Iss : kAllL2Iss, h, cfg.hello_auth);
        }
    }
    // A LAN's DIS hears from us three times as often as it sends (8.4.5);
    // we are never it, so the configured interval holds.
    circuit.hello_at = now_ + std::int64_t{cfg.hello_interval} * kSecond;
}

// ---- synchronisation and flooding -----------------------------------------------

void Router::send_csnp(Out& out, std::size_t c, int level) {
    Snp s;
    s.level = level;
    s.complete = true;
    std::copy(cfg_.system.begin(), cfg_.system.end(), s.source.begin());
    s.start = LspId{};
    s.end = LspId{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, 0xff, 0xff};
    std::vector<LspEntry> all = lsdbs_[static_cast<std::size_t>(level - 1)].entries(now_);
    // As many entries as fit in a PDU (16 bytes each, 15 to a TLV); the
    // parts' ranges meet, so together they cover every LSP id.
    std::size_t per = std::max<std::size_t>(15, (circuits_[c].cfg.mtu - 33 - 40) / 16 / 15 * 15);
    for (std::size_t i = 0; i == 0 || i < all.size(); i += per) {
        Snp part = s;
        std::size_t last = std::min(all.size(), i + per);
        part.tlvs.lsp_entries.assign(all.begin() + static_cast<std::ptrdiff_t>(i),
                                     all.begin() + static_cast<std::ptrdiff_t>(last));
        if (i > 0) part.start = all[i].id;
        if (last < all.size()) part.end = before(all[last].id);
        send(out, c, kAllIss, part, snp_auth(level));
    }
}

void Router::lsp(Out& out, std::size_t c, const Mac& source, std::string bytes, Lsp l) {
    Circuit& circuit = circuits_[c];
    int level = l.level;
    std::size_t li = static_cast<std::size_t>(level - 1);
    if (!(circuit.cfg.levels & level_bit(level)) || !adjacent(circuit, level)) {
        drop(out, c, source, "LSP " + lsp_id_text(l.id) + " from no adjacency at level " + std::to_string(level));
        return;
    }
    Lsdb& db = lsdbs_[li];
    bool p2p = circuit.cfg.point_to_point;
    switch (db.compare(l.entry(), now_)) {
    case Lsdb::Compare::newer: {
        if (!db.find(l.id) && db.size() >= cfg_.max_lsps) {
            ++counters_.lsps_refused;
            if (p2p) circuit.ssn[li][l.id] = l.entry();  // acknowledged all the same, or sent for ever
            return;
        }
        LspId id = l.id;
        bool ours = id.system == cfg_.system;
        Lsp copy = l;
        db.install(std::move(bytes), std::move(l), now_);
        ++counters_.lsps_installed;
        flood(id, level, c);
        if (p2p) circuit.ssn[li][id] = copy.entry();
        if (ours) self_originated(level, copy);
        break;
    }
    case Lsdb::Compare::same:
        circuit.srm[li].erase(l.id);  // an implied acknowledgment
        if (p2p) circuit.ssn[li][l.id] = l.entry();
        check_own(level, l.entry());
        break;
    case Lsdb::Compare::older:
        circuit.srm[li][l.id] = 0;  // ours is newer: it gets ours
        circuit.ssn[li].erase(l.id);
        break;
    }
}

void Router::snp(Out& out, std::size_t c, const Snp& s) {
    Circuit& circuit = circuits_[c];
    std::size_t li = static_cast<std::size_t>(s.level - 1);
    if (!(circuit.cfg.levels & level_bit(s.level)) || !adjacent(circuit, s.level)) {
        drop(out, c, Mac{}, std::string(s.complete ? "CSNP" : "PSNP") + " from no adjacency at level " + std::to_string(s.level));
        return;
    }
    const Lsdb& db = lsdbs_[li];
    bool p2p = circuit.cfg.point_to_point;
    std::set<LspId> listed;
    for (const auto& e : s.tlvs.lsp_entries) {
        listed.insert(e.id);
        check_own(s.level, e);
        const LsdbEntry* ours = db.find(e.id);
        switch (db.compare(e, now_)) {
        case Lsdb::Compare::newer:  // it has one we lack or hold older: ask for it
            if (!s.complete && !p2p) break;  // another's request on a LAN: the DIS answers
            if (ours || e.lifetime != 0) circuit.ssn[li][e.id] = LspEntry{e.lifetime, e.id, 0, 0};
            break;
        case Lsdb::Compare::same: circuit.srm[li].erase(e.id); break;  // an acknowledgment
        case Lsdb::Compare::older:
            if (ours && (s.complete || p2p)) circuit.srm[li][e.id] = 0;  // it gets ours
            break;
        }
    }
    if (!s.complete) return;
    // What we hold in the CSNP's range and it did not list: it lacks them.
    for (const auto& [id, e] : db.all())
        if (id >= s.start && id <= s.end && !listed.count(id) && db.lifetime(e, now_) > 0) circuit.srm[li][id] = 0;
}

void Router::flood(const LspId& id, int level, std::optional<std::size_t> except) {
    std::size_t li = static_cast<std::size_t>(level - 1);
    for (std::size_t c = 0; c < circuits_.size(); ++c) {
        Circuit& circuit = circuits_[c];
        if (!(circuit.cfg.levels & level_bit(level))) continue;
        if (except && *except == c) {
            circuit.srm[li].erase(id);
            continue;
        }
        circuit.srm[li][id] = 0;
    }
}

// Sends what a circuit owes: a PSNP of its acknowledgments and requests,
// and the LSPs marked for it (again, when `retransmit`, on a
// point-to-point circuit, those not yet acknowledged).
void Router::flush(Out& out, std::size_t c, bool retransmit) {
    Circuit& circuit = circuits_[c];
    bool p2p = circuit.cfg.point_to_point;
    for (int level : {1, 2}) {
        std::size_t li = static_cast<std::size_t>(level - 1);
        if (!(circuit.cfg.levels & level_bit(level))) continue;
        if (!adjacent(circuit, level)) {
            circuit.srm[li].clear();
            circuit.ssn[li].clear();
            continue;
        }
        Mac to = p2p ? kAllIss : level == 1 ? kAllL1Iss : kAllL2Iss;
        if (!circuit.ssn[li].empty()) {
            Snp s;
            s.level = level;
            s.complete = false;
            std::copy(cfg_.system.begin(), cfg_.system.end(), s.source.begin());
            for (const auto& [id, e] : circuit.ssn[li]) {
                s.tlvs.lsp_entries.push_back(e);
                if (s.tlvs.lsp_entries.size() == 60) {
                    send(out, c, to, s, snp_auth(level));
                    s.tlvs.lsp_entries.clear();
                }
            }
            if (!s.tlvs.lsp_entries.empty()) send(out, c, to, s, snp_auth(level));
            circuit.ssn[li].clear();
        }
        const Lsdb& db = lsdbs_[li];
        for (auto it = circuit.srm[li].begin(); it != circuit.srm[li].end();) {
            const LsdbEntry* e = db.find(it->first);
            if (!e) {
                it = circuit.srm[li].erase(it);
                continue;
            }
            if (it->second == 0 || retransmit) {
                if (it->second != 0) ++counters_.retransmissions;
                ++counters_.pdus_out;
                out.push_back(Send{c, to, db.current_bytes(*e, now_)});
                it->second = now_;
            }
            if (p2p)
                ++it;
            else
                it = circuit.srm[li].erase(it);  // no acknowledgments on a LAN: the DIS's CSNPs repair
        }
    }
    bool pending = p2p && (!circuit.srm[0].empty() || !circuit.srm[1].empty());
    if (!pending)
        circuit.retransmit_at = INT64_MAX;
    else if (retransmit || circuit.retransmit_at == INT64_MAX)
        circuit.retransmit_at = now_ + kLspRetransmitUs;
}

// ---- our LSP ----------------------------------------------------------------------

void Router::schedule_origination() {
    originate_at_ = std::min(originate_at_, std::max(now_, originated_at_ + kMinLspGenerationUs));
}

void Router::originate(int level) {
    std::size_t li = static_cast<std::size_t>(level - 1);
    Lsp l;
    l.level = level;
    l.lifetime = kMaxLifetime;
    l.id.system = cfg_.system;
    l.seq = ++our_seq_[li];
    bool both = std::any_of(circuits_.begin(), circuits_.end(), [](const Circuit& c) { return c.cfg.levels & 2; });
    l.flags = static_cast<std::uint8_t>((both ? kIsTypeL2 : kIsTypeL1) | kLspOverload);
    l.tlvs.areas = {cfg_.area};
    l.tlvs.protocols = {kNlpidIpv4, kNlpidIpv6};
    if (!cfg_.hostname.empty()) l.tlvs.hostname = cfg_.hostname;
    for (const auto& circuit : circuits_) {
        if (!(circuit.cfg.levels & level_bit(level))) continue;
        for (auto a : circuit.cfg.ipv4_addresses)
            if (std::find(l.tlvs.ipv4_addresses.begin(), l.tlvs.ipv4_addresses.end(), a) == l.tlvs.ipv4_addresses.end())
                l.tlvs.ipv4_addresses.push_back(a);
        for (const auto& p : circuit.cfg.prefixes) l.tlvs.ip_reach.push_back({p, circuit.cfg.metric, false});
        if (circuit.cfg.point_to_point) {
            for (const auto& a : circuit.adjacencies)
                if (a.state == AdjacencyState::up && (a.level & level_bit(level)))
                    l.tlvs.is_reach.push_back({a.system, 0, circuit.cfg.metric});
        } else if (adjacent(circuit, level)) {
            auto id = lan_id(circuit, level);
            if (!std::equal(cfg_.system.begin(), cfg_.system.end(), id.begin())) {
                IsReach r;
                std::copy(id.begin(), id.begin() + 6, r.system.begin());
                r.pseudonode = id[6];
                r.metric = circuit.cfg.metric;
                l.tlvs.is_reach.push_back(r);
            }
        }
    }
    std::string bytes = encode(l, cfg_.lsp_auth[li]);
    l = std::get<Lsp>(decode(bytes, cfg_.lsp_auth[li]));
    LspId id = l.id;
    lsdbs_[li].install(std::move(bytes), std::move(l), now_);
    originated_at_ = now_;
    ++counters_.originated;
    flood(id, level, std::nullopt);
}

void Router::self_originated(int level, const Lsp& received) {
    std::size_t li = static_cast<std::size_t>(level - 1);
    if (received.id.pseudonode == 0 && received.id.fragment == 0) {
        our_seq_[li] = std::max(our_seq_[li], received.seq);
        originate(level);
        return;
    }
    if (received.lifetime == 0) return;  // already purged
    const LsdbEntry* e = lsdbs_[li].find(received.id);
    if (e) purge(level, *e);
}

// Our LSP's number held elsewhere with other contents (an instance from
// before a restart, which ours has caught up with): a newer one goes out.
void Router::check_own(int level, const LspEntry& e) {
    if (e.id != LspId{cfg_.system, 0, 0} || e.lifetime == 0) return;
    const LsdbEntry* ours = lsdbs_[static_cast<std::size_t>(level - 1)].find(e.id);
    if (ours && e.seq == ours->lsp.seq && e.checksum != ours->lsp.checksum) {
        our_seq_[static_cast<std::size_t>(level - 1)] = e.seq;
        originate(level);
    }
}

// A purge (7.3.16.4): the header and no content, lifetime 0, flooded.
void Router::purge(int level, const LsdbEntry& e) {
    std::size_t li = static_cast<std::size_t>(level - 1);
    Lsp p;
    p.level = level;
    p.lifetime = 0;
    p.id = e.lsp.id;
    p.seq = e.lsp.seq;
    p.flags = e.lsp.flags;
    std::string bytes = encode(p, cfg_.lsp_auth[li]);
    LspId id = p.id;
    lsdbs_[li].install(std::move(bytes), std::move(p), now_);
    flood(id, level, std::nullopt);
}

// ---- sending -------------------------------------------------------------------

const Auth& Router::snp_auth(int level) const {
    static const Auth none;
    return cfg_.snp_auth ? cfg_.lsp_auth[static_cast<std::size_t>(level - 1)] : none;
}

void Router::send(Out& out, std::size_t c, const Mac& to, const Pdu& p, const Auth& auth) {
    ++counters_.pdus_out;
    out.push_back(Send{c, to, encode(p, auth)});
}

void Router::drop(Out& out, std::size_t c, const Mac& source, std::string reason) {
    ++counters_.dropped;
    out.push_back(Dropped{c, source, std::move(reason)});
}

}  // namespace sr::prox::isis
