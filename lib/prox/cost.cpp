#include "prox/cost.hpp"

#include <algorithm>
#include <unordered_map>

namespace sr::prox {

namespace {

constexpr std::uint64_t kMaxCost = kUnreachable - 1;

std::uint64_t sat_add(std::uint64_t a, std::uint64_t b) { return a > kMaxCost - b ? kMaxCost : a + b; }
std::uint64_t sat_mul(std::uint64_t a, std::uint64_t b) { return b && a > kMaxCost / b ? kMaxCost : a * b; }

}  // namespace

CostModel::CostModel(Topology topology, std::span<const ExternalRoute> routes, CostOptions options)
    : topology_(std::move(topology)), options_(options), spf_(options.spf_cache) {
    const auto n = static_cast<std::uint32_t>(topology_.size());
    std::vector<Lpm::Route> internal;
    internal.reserve(topology_.prefixes().size() + topology_.addresses().size());
    for (auto& [p, r] : topology_.prefixes()) internal.push_back({p, r});
    for (auto& [a, r] : topology_.addresses()) internal.push_back({Prefix(a, a.max_len()), r});
    // Next hop -> egress router: the owner of the address, else the internal
    // prefix holding it. Distinct next hops are few (thousands against a
    // million routes), so resolve each once, and build the internal table
    // only if some next hop is not a router's own address.
    std::optional<Lpm> internal_lpm;
    std::unordered_map<Address, std::optional<RouterId>, AddressHash> resolved;
    auto resolve = [&](const Address& nh) {
        auto [it, fresh] = resolved.try_emplace(nh);
        if (fresh) {
            it->second = topology_.router_of(nh);
            if (!it->second) {
                if (!internal_lpm) internal_lpm.emplace(internal);
                it->second = internal_lpm->lookup(nh);
            }
        }
        return it->second;
    };

    // One route per prefix: among those whose next hop resolves, the
    // shortest AS path, then the first given. One sequential pass resolves
    // next hops into flat keys; the sort and the dedupe then touch only the
    // keys (comparing through the routes costs a cache miss per comparison
    // on a full table).
    struct Key {
        std::uint32_t family_len;
        std::uint64_t hi, lo;
        std::uint32_t hops, index;
        RouterId egress;
        bool operator<(const Key& o) const {
            if (family_len != o.family_len) return family_len < o.family_len;
            if (hi != o.hi) return hi < o.hi;
            if (lo != o.lo) return lo < o.lo;
            if (hops != o.hops) return hops < o.hops;
            return index < o.index;
        }
    };
    std::vector<Key> keys;
    keys.reserve(routes.size());
    for (std::size_t i = 0; i < routes.size(); ++i) {
        const auto& r = routes[i];
        auto egress = resolve(r.next_hop);
        if (!egress) {
            ++unresolved_routes_;
            continue;
        }
        std::uint64_t hi = 0, lo = 0;
        for (int b = 0; b < 8; ++b) hi = hi << 8 | r.prefix.addr.bytes[b];
        for (int b = 8; b < 16; ++b) lo = lo << 8 | r.prefix.addr.bytes[b];
        keys.push_back({std::uint32_t(r.prefix.addr.family) << 8 | r.prefix.len, hi, lo, r.as_path_length,
                        static_cast<std::uint32_t>(i), *egress});
    }
    std::sort(keys.begin(), keys.end());
    std::vector<Lpm::Route> all;
    all.reserve(keys.size() + internal.size());
    std::unordered_map<std::uint64_t, std::uint32_t> class_of;
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const Key& k = keys[i];
        if (i > 0 && k.family_len == keys[i - 1].family_len && k.hi == keys[i - 1].hi && k.lo == keys[i - 1].lo)
            continue;
        std::uint64_t ck = std::uint64_t(k.egress) << 32 | k.hops;
        auto [it, fresh] = class_of.emplace(ck, static_cast<std::uint32_t>(classes_.size()));
        if (fresh) classes_.push_back({k.egress, k.hops});
        Address a;
        a.family = static_cast<Family>(k.family_len >> 8);
        for (int b = 0; b < 8; ++b) {
            a.bytes[b] = static_cast<std::uint8_t>(k.hi >> (56 - 8 * b));
            a.bytes[8 + b] = static_cast<std::uint8_t>(k.lo >> (56 - 8 * b));
        }
        all.push_back({Prefix(a, static_cast<int>(k.family_len & 0xff)), n + it->second});
        ++external_routes_;
    }
    // Internal after external: at equal prefixes the later (internal) wins.
    all.insert(all.end(), internal.begin(), internal.end());
    lpm_ = Lpm(all);
}

std::optional<Placement> CostModel::place(const Address& a) const {
    auto v = lpm_.lookup(a);
    if (!v) return std::nullopt;
    if (*v < topology_.size()) return Placement{*v, false, 0};
    const auto& [egress, hops] = classes_[*v - topology_.size()];
    return Placement{egress, true, hops};
}

std::uint64_t CostModel::total(std::uint64_t igp, const Placement& a, const Placement& b) const {
    return sat_add(igp, sat_mul(options_.as_hop_penalty, std::uint64_t(a.as_hops) + b.as_hops));
}

std::optional<std::uint64_t> CostModel::cost(const Address& from, const Address& to) {
    auto a = place(from);
    auto b = place(to);
    if (!a || !b) return std::nullopt;
    auto igp = spf_.cost(topology_, a->router, b->router);
    if (igp == kUnreachable) return std::nullopt;
    return total(igp, *a, *b);
}

std::vector<Ranked> CostModel::rank(const Address& from, std::span<const Address> candidates) {
    std::vector<Ranked> out;
    out.reserve(candidates.size());
    auto a = place(from);
    std::span<const std::uint64_t> tree;
    if (a) tree = spf_.tree(topology_, a->router);
    for (std::size_t i = 0; i < candidates.size(); ++i) {
        Ranked r{i, std::nullopt};
        if (a)
            if (auto b = place(candidates[i]); b && tree[b->router] != kUnreachable)
                r.cost = total(tree[b->router], *a, *b);
        out.push_back(r);
    }
    std::stable_sort(out.begin(), out.end(), [](const Ranked& x, const Ranked& y) {
        if (x.cost.has_value() != y.cost.has_value()) return x.cost.has_value();
        return x.cost && *x.cost < *y.cost;
    });
    return out;
}

std::optional<std::string> CostModel::pid(const Address& a) const {
    auto p = place(a);
    if (!p) return std::nullopt;
    if (!p->external) return topology_.name(p->router);
    return "ext:" + topology_.name(p->router) + ":" + std::to_string(p->as_hops);
}

}  // namespace sr::prox
