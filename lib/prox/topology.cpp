#include "prox/topology.hpp"

#include <algorithm>

#include <atomic>
#include <stdexcept>

namespace sr::prox {

namespace {
std::uint64_t next_version() {
    static std::atomic<std::uint64_t> counter{0};
    return ++counter;
}
}  // namespace

Topology::Topology() : version_(next_version()) {}

void Topology::touch() { version_ = next_version(); }

RouterId Topology::add_router(std::string name) {
    if (name.empty()) throw std::invalid_argument("router name is empty");
    if (by_name_.count(name)) throw std::invalid_argument("duplicate router " + name);
    auto id = static_cast<RouterId>(names_.size());
    by_name_.emplace(name, id);
    names_.push_back(std::move(name));
    adj_.emplace_back();
    touch();
    return id;
}

void Topology::add_link(RouterId a, RouterId b, std::uint32_t metric) {
    if (a >= size() || b >= size()) throw std::invalid_argument("link to an unknown router");
    if (a == b) throw std::invalid_argument("link from a router to itself");
    if (metric == 0) throw std::invalid_argument("link metric must be >= 1");
    touch();
    for (auto& l : adj_[a]) {
        if (l.to != b) continue;
        if (metric < l.metric) {
            l.metric = metric;
            for (auto& back : adj_[b])
                if (back.to == a) back.metric = metric;
        }
        return;
    }
    adj_[a].push_back({b, metric});
    adj_[b].push_back({a, metric});
    ++link_count_;
}

void Topology::add_arc(RouterId a, RouterId b, std::uint32_t metric) {
    if (a >= size() || b >= size()) throw std::invalid_argument("link to an unknown router");
    if (a == b) throw std::invalid_argument("link from a router to itself");
    if (metric == 0) throw std::invalid_argument("link metric must be >= 1");
    touch();
    for (auto& l : adj_[a])
        if (l.to == b) {
            l.metric = std::min(l.metric, metric);
            return;
        }
    adj_[a].push_back({b, metric});
    bool back = false;
    for (const auto& l : adj_[b]) back = back || l.to == a;
    if (!back) ++link_count_;
}

void Topology::add_address(RouterId r, const Address& a) {
    if (r >= size()) throw std::invalid_argument("address for an unknown router");
    auto [it, fresh] = by_address_.emplace(a, r);
    if (!fresh) {
        if (it->second == r) return;
        throw std::invalid_argument("address " + a.str() + " already belongs to " + names_[it->second]);
    }
    addresses_.emplace_back(a, r);
    touch();
}

void Topology::add_prefix(const Prefix& p, RouterId r) {
    if (r >= size()) throw std::invalid_argument("prefix for an unknown router");
    auto [it, fresh] = by_prefix_.emplace(p.str(), r);
    if (!fresh) {
        if (it->second == r) return;
        throw std::invalid_argument("prefix " + p.str() + " already attached to " + names_[it->second]);
    }
    prefixes_.emplace_back(p, r);
    touch();
}

std::optional<RouterId> Topology::find(std::string_view name) const {
    auto it = by_name_.find(std::string(name));
    if (it == by_name_.end()) return std::nullopt;
    return it->second;
}

std::optional<RouterId> Topology::router_of(const Address& a) const {
    auto it = by_address_.find(a);
    if (it == by_address_.end()) return std::nullopt;
    return it->second;
}

}  // namespace sr::prox
