#include "prox/ospf/lsdb.hpp"

#include <algorithm>
#include <bit>
#include <set>
#include <stdexcept>

namespace sr::prox::ospf {

namespace {

std::uint16_t aged(std::uint16_t at_install, std::int64_t installed_us, std::int64_t now_us) {
    std::int64_t seconds = std::max<std::int64_t>(0, (now_us - installed_us) / 1'000'000);
    return static_cast<std::uint16_t>(std::min<std::int64_t>(kMaxAge, at_install + seconds));
}

int mask_length(std::uint32_t mask) { return std::popcount(mask); }

}  // namespace

Lsdb::Compare Lsdb::compare(const LsaHeader& h, std::int64_t now_us) const {
    auto it = entries_.find(h.key());
    if (it == entries_.end()) return Compare::newer;
    const LsaHeader& ours = it->second.lsa.header;
    if (h.seq != ours.seq) return h.seq > ours.seq ? Compare::newer : Compare::older;
    if (h.checksum != ours.checksum) return h.checksum > ours.checksum ? Compare::newer : Compare::older;
    std::uint16_t our_age = age(it->second, now_us);
    bool theirs_max = h.age >= kMaxAge, ours_max = our_age >= kMaxAge;
    if (theirs_max != ours_max) return theirs_max ? Compare::newer : Compare::older;
    if (std::abs(static_cast<int>(h.age) - static_cast<int>(our_age)) > kMaxAgeDiff)
        return h.age < our_age ? Compare::newer : Compare::older;
    return Compare::same;
}

bool Lsdb::install(std::string_view bytes, std::int64_t now_us) {
    Lsa lsa = decode_lsa(bytes);
    if (compare(lsa.header, now_us) != Compare::newer) return false;
    entries_[lsa.header.key()] = LsdbEntry{std::string(bytes), std::move(lsa), now_us};
    ++version_;
    return true;
}

const LsdbEntry* Lsdb::find(const LsaKey& k) const {
    auto it = entries_.find(k);
    return it == entries_.end() ? nullptr : &it->second;
}

std::uint16_t Lsdb::age(const LsdbEntry& e, std::int64_t now_us) const {
    return aged(e.lsa.header.age, e.installed_us, now_us);
}

std::string Lsdb::aged_bytes(const LsdbEntry& e, std::int64_t now_us) const {
    std::string b = e.bytes;
    std::uint16_t a = age(e, now_us);
    b[0] = static_cast<char>(a >> 8);
    b[1] = static_cast<char>(a & 0xff);
    return b;
}

std::vector<LsaHeader> Lsdb::headers(std::int64_t now_us) const {
    std::vector<LsaHeader> out;
    out.reserve(entries_.size());
    for (const auto& [k, e] : entries_) {
        LsaHeader h = e.lsa.header;
        h.age = age(e, now_us);
        out.push_back(h);
    }
    return out;
}

std::vector<LsaKey> Lsdb::expire(std::int64_t now_us) {
    std::vector<LsaKey> gone;
    for (auto it = entries_.begin(); it != entries_.end();)
        if (age(it->second, now_us) >= kMaxAge) {
            gone.push_back(it->first);
            it = entries_.erase(it);
        } else {
            ++it;
        }
    if (!gone.empty()) ++version_;
    return gone;
}

void Lsdb::remove(const LsaKey& k) {
    if (entries_.erase(k)) ++version_;
}

Topology build_topology(const Lsdb& db, std::int64_t now_us, std::uint32_t self, const RouterNames& names) {
    return build_topology(std::vector<const Lsdb*>{&db}, now_us, self, names);
}

Topology build_topology(const std::vector<const Lsdb*>& areas, std::int64_t now_us, std::uint32_t self,
                        const RouterNames& names) {
    // Per area, the live router-LSAs (not at MaxAge; ours left out) and
    // network-LSAs. An area border router has one router-LSA in each area
    // and is one router of the topology.
    struct AreaView {
        const Lsdb* db;
        std::map<std::uint32_t, const RouterLsa*> routers;
        std::map<std::uint32_t, const LsdbEntry*> networks;  // by link state id: the DR's interface address
    };
    std::vector<AreaView> views;
    std::set<std::uint32_t> router_ids;
    for (const Lsdb* db : areas) {
        AreaView v{db, {}, {}};
        for (const auto& [k, e] : db->entries()) {
            if (db->age(e, now_us) >= kMaxAge) continue;
            if (k.type == static_cast<std::uint8_t>(LsaType::router) && k.adv_router != self)
                if (const auto* r = std::get_if<RouterLsa>(&e.lsa.body)) {
                    v.routers[k.adv_router] = r;
                    router_ids.insert(k.adv_router);
                }
            if (k.type == static_cast<std::uint8_t>(LsaType::network)) v.networks[k.id] = &e;
        }
        views.push_back(std::move(v));
    }
    Topology t;
    std::map<std::uint32_t, RouterId> ids;
    for (std::uint32_t rid : router_ids) {
        std::string name = names ? names(rid) : "";
        if (name.empty() || t.find(name)) name = dotted(rid);
        ids[rid] = t.add_router(name);
    }
    auto own_address = [&](RouterId r, std::uint32_t a) {
        try {
            t.add_address(r, Address::v4(a));
        } catch (const std::invalid_argument&) {  // an unnumbered link's ifindex, or an address seen twice
        }
    };
    auto attach = [&](std::uint32_t net, std::uint32_t mask, RouterId r) {
        try {
            t.add_prefix(Prefix(Address::v4(net & mask), mask_length(mask)), r);
        } catch (const std::invalid_argument&) {  // held by another router: the first one stays
        }
    };
    for (const AreaView& v : views) {
        const auto& routers = v.routers;
        const auto& networks = v.networks;
        auto links_back = [&](std::uint32_t from, std::uint32_t to, LinkType type, std::uint32_t network) {
            auto it = routers.find(from);
            if (it == routers.end()) return false;
            for (const auto& l : it->second->links)
                if (l.type == type && (type == LinkType::transit ? l.id == network : l.id == to)) return true;
            return false;
        };
        for (const auto& [rid, lsa] : routers) {
            RouterId from = ids[rid];
            for (const auto& l : lsa->links) {
                std::uint32_t metric = std::max<std::uint32_t>(l.metric, 1);
                switch (l.type) {
                case LinkType::point_to_point:
                    if (routers.count(l.id) && l.id != rid && links_back(l.id, rid, LinkType::point_to_point, 0)) {
                        t.add_arc(from, ids[l.id], metric);
                        own_address(from, l.data);
                    }
                    break;
                case LinkType::transit: {
                    auto net = networks.find(l.id);
                    if (net == networks.end()) break;
                    const auto* body = std::get_if<NetworkLsa>(&net->second->lsa.body);
                    if (!body || std::find(body->routers.begin(), body->routers.end(), rid) == body->routers.end())
                        break;  // the network does not list R: not two-way
                    own_address(from, l.data);
                    for (std::uint32_t other : body->routers)
                        if (other != rid && routers.count(other) && links_back(other, 0, LinkType::transit, l.id))
                            t.add_arc(from, ids[other], metric);
                    break;
                }
                case LinkType::stub: attach(l.id, l.data, from); break;
                case LinkType::virtual_link: break;
                }
            }
        }
        for (const auto& [id, e] : networks) {
            const auto* body = std::get_if<NetworkLsa>(&e->lsa.body);
            auto dr = ids.find(e->lsa.header.adv_router);
            if (body && dr != ids.end()) attach(id, body->mask, dr->second);
        }
    }
    // Routes from other areas and outside the AS, at the router that injects
    // them, once every area's own prefixes are in (the intra-area route wins).
    for (const AreaView& v : views)
        for (const auto& [k, e] : v.db->entries()) {
            if (v.db->age(e, now_us) >= kMaxAge) continue;
            auto at = ids.find(k.adv_router);
            if (at == ids.end()) continue;
            if (k.type == static_cast<std::uint8_t>(LsaType::summary))
                if (const auto* sm = std::get_if<SummaryLsa>(&e.lsa.body)) attach(k.id, sm->mask, at->second);
            if (k.type == static_cast<std::uint8_t>(LsaType::external))
                if (const auto* x = std::get_if<ExternalLsa>(&e.lsa.body)) attach(k.id, x->mask, at->second);
        }
    return t;
}

}  // namespace sr::prox::ospf
