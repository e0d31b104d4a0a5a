#include "prox/isis/lsdb.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

namespace sr::prox::isis {

namespace {

constexpr std::int64_t kSecond = 1'000'000;
constexpr std::uint32_t kExcludedMetric = 0xffffff;

}  // namespace

Lsdb::Compare Lsdb::compare(const LspEntry& e, std::int64_t now_us) const {
    auto it = entries_.find(e.id);
    if (it == entries_.end()) return Compare::newer;
    const Lsp& ours = it->second.lsp;
    if (e.seq != ours.seq) return e.seq > ours.seq ? Compare::newer : Compare::older;
    bool theirs_purge = e.lifetime == 0, ours_purge = lifetime(it->second, now_us) == 0;
    if (theirs_purge != ours_purge) return theirs_purge ? Compare::newer : Compare::older;
    return Compare::same;
}

bool Lsdb::install(std::string bytes, Lsp lsp, std::int64_t now_us) {
    if (compare(lsp.entry(), now_us) != Compare::newer) return false;
    LspId id = lsp.id;
    if (lsp.lifetime == 0)
        purged_at_[id] = now_us;
    else
        purged_at_.erase(id);
    entries_[id] = LsdbEntry{std::move(bytes), std::move(lsp), now_us};
    ++version_;
    return true;
}

const LsdbEntry* Lsdb::find(const LspId& id) const {
    auto it = entries_.find(id);
    return it == entries_.end() ? nullptr : &it->second;
}

std::uint16_t Lsdb::lifetime(const LsdbEntry& e, std::int64_t now_us) const {
    std::int64_t elapsed = std::max<std::int64_t>(0, (now_us - e.installed_us) / kSecond);
    return static_cast<std::uint16_t>(std::max<std::int64_t>(0, e.lsp.lifetime - elapsed));
}

std::string Lsdb::current_bytes(const LsdbEntry& e, std::int64_t now_us) const {
    return with_lifetime(e.bytes, lifetime(e, now_us));
}

std::vector<LspEntry> Lsdb::entries(std::int64_t now_us) const {
    std::vector<LspEntry> out;
    out.reserve(entries_.size());
    for (const auto& [id, e] : entries_) {
        LspEntry x = e.lsp.entry();
        x.lifetime = lifetime(e, now_us);
        out.push_back(x);
    }
    return out;
}

std::vector<LspId> Lsdb::expire(std::int64_t now_us) {
    // An LSP whose lifetime ran out is a purge from then on (7.3.16.4).
    for (const auto& [id, e] : entries_)
        if (!purged_at_.count(id) && lifetime(e, now_us) == 0)
            purged_at_[id] = e.installed_us + std::int64_t{e.lsp.lifetime} * kSecond;
    std::vector<LspId> gone;
    for (auto it = purged_at_.begin(); it != purged_at_.end();)
        if (now_us - it->second >= kZeroAgeLifetimeUs) {
            gone.push_back(it->first);
            entries_.erase(it->first);
            it = purged_at_.erase(it);
        } else {
            ++it;
        }
    if (!gone.empty()) ++version_;
    return gone;
}

Topology build_topology(const std::vector<const Lsdb*>& levels, std::int64_t now_us, const SystemId& self,
                        const SystemNames& names) {
    // Per level, each node's (system, pseudonode) live fragments; fragment 0
    // must be live for the node to count.
    using Node = std::pair<SystemId, std::uint8_t>;
    struct Level {
        std::map<Node, std::vector<const Lsp*>> nodes;
    };
    std::vector<Level> views;
    std::set<SystemId> systems;
    std::map<SystemId, std::string> hostnames;
    for (const Lsdb* db : levels) {
        Level v;
        for (const auto& [id, e] : db->all()) {
            if (db->lifetime(e, now_us) == 0) continue;
            v.nodes[{id.system, id.pseudonode}].push_back(&e.lsp);
        }
        for (auto it = v.nodes.begin(); it != v.nodes.end();) {
            if (it->second.front()->id.fragment != 0) {
                it = v.nodes.erase(it);
                continue;
            }
            if (it->first.second == 0 && it->first.first != self) {
                systems.insert(it->first.first);
                for (const Lsp* l : it->second)
                    if (l->tlvs.hostname) hostnames[it->first.first] = *l->tlvs.hostname;
            }
            ++it;
        }
        views.push_back(std::move(v));
    }
    Topology t;
    std::map<SystemId, RouterId> ids;
    for (const auto& s : systems) {
        std::string name = hostnames.count(s) ? hostnames[s] : "";
        if (name.empty() && names) name = names(s);
        if (name.empty() || t.find(name)) name = system_id_text(s);
        if (t.find(name)) name = system_id_text(s) + "#" + std::to_string(ids.size());
        ids[s] = t.add_router(name);
    }
    auto lists = [](const std::vector<const Lsp*>& frags, const Node& to) {
        for (const Lsp* l : frags)
            for (const auto& r : l->tlvs.is_reach)
                if (r.system == to.first && r.pseudonode == to.second && r.metric != kExcludedMetric) return true;
        return false;
    };
    for (const Level& v : views) {
        for (const auto& [node, frags] : v.nodes) {
            auto from = ids.find(node.first);
            if (node.second != 0 || from == ids.end()) continue;
            for (const Lsp* l : frags) {
                for (const auto& r : l->tlvs.is_reach) {
                    if (r.metric == kExcludedMetric) continue;
                    std::uint32_t metric = std::max<std::uint32_t>(r.metric, 1);
                    Node to{r.system, r.pseudonode};
                    auto target = v.nodes.find(to);
                    if (target == v.nodes.end()) continue;
                    if (r.pseudonode == 0) {
                        if (r.system != node.first && ids.count(r.system) && lists(target->second, node))
                            t.add_arc(from->second, ids[r.system], metric);
                        continue;
                    }
                    // A LAN: the pseudonode must list us, and each member it lists the pseudonode.
                    if (!lists(target->second, node)) continue;
                    for (const Lsp* pl : target->second)
                        for (const auto& m : pl->tlvs.is_reach) {
                            if (m.pseudonode != 0 || m.system == node.first || !ids.count(m.system)) continue;
                            auto member = v.nodes.find({m.system, 0});
                            if (member != v.nodes.end() && lists(member->second, to))
                                t.add_arc(from->second, ids[m.system], metric);
                        }
                }
                for (const auto& p : l->tlvs.ip_reach) {
                    try {
                        t.add_prefix(p.prefix, from->second);
                    } catch (const std::invalid_argument&) {  // held by another router: the first one stays
                    }
                }
                auto own = [&](const Address& a) {
                    try {
                        t.add_address(from->second, a);
                    } catch (const std::invalid_argument&) {
                    }
                };
                for (auto a : l->tlvs.ipv4_addresses) own(Address::v4(a));
                for (const auto& a : l->tlvs.ipv6_addresses) own(a);
            }
        }
    }
    return t;
}

}  // namespace sr::prox::isis
