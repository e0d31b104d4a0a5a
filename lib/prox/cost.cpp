#include "prox/cost.hpp"

#include <algorithm>
#include <numeric>
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
    Lpm internal_lpm(internal);  // resolves next hops to egress routers

    // One route per prefix: shortest AS path, then the first given.
    std::vector<std::uint32_t> order(routes.size());
    std::iota(order.begin(), order.end(), 0u);
    std::sort(order.begin(), order.end(), [&](std::uint32_t a, std::uint32_t b) {
        const auto &x = routes[a], &y = routes[b];
        if (auto c = x.prefix <=> y.prefix; c != 0) return c < 0;
        if (x.as_path_length != y.as_path_length) return x.as_path_length < y.as_path_length;
        return a < b;
    });
    std::vector<Lpm::Route> all;
    all.reserve(routes.size() + internal.size());
    std::unordered_map<std::uint64_t, std::uint32_t> class_of;
    const Prefix* last = nullptr;
    for (auto i : order) {
        const auto& r = routes[i];
        if (last && *last == r.prefix) continue;
        auto egress = topology_.router_of(r.next_hop);
        if (!egress) egress = internal_lpm.lookup(r.next_hop);
        if (!egress) {
            ++unresolved_routes_;  // a later, longer-path route for the prefix may still resolve
            continue;
        }
        last = &r.prefix;
        std::uint64_t key = std::uint64_t(*egress) << 32 | r.as_path_length;
        auto [it, fresh] = class_of.emplace(key, static_cast<std::uint32_t>(classes_.size()));
        if (fresh) classes_.push_back({*egress, r.as_path_length});
        all.push_back({r.prefix, n + it->second});
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
