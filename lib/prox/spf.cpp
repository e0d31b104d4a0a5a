#include "prox/spf.hpp"

#include <algorithm>
#include <stdexcept>

namespace sr::prox {

Graph::Graph(const Topology& t) : version_(t.version()) {
    offsets_.resize(t.size() + 1);
    arcs_.reserve(2 * t.link_count());
    for (RouterId r = 0; r < t.size(); ++r) {
        offsets_[r] = static_cast<std::uint32_t>(arcs_.size());
        for (auto& l : t.links(r)) arcs_.push_back(l);
    }
    offsets_[t.size()] = static_cast<std::uint32_t>(arcs_.size());
}

namespace {

struct HeapItem {
    std::uint64_t dist;
    RouterId node;
};

// Min-heap on dist over a plain vector (std::push_heap wants a max-heap
// comparator, hence '>').
inline bool later(const HeapItem& a, const HeapItem& b) { return a.dist > b.dist; }

}  // namespace

void spf(const Graph& g, RouterId source, std::vector<std::uint64_t>& dist) {
    if (source >= g.size()) throw std::out_of_range("spf: unknown source router");
    dist.assign(g.size(), kUnreachable);
    thread_local std::vector<HeapItem> heap;
    heap.clear();
    dist[source] = 0;
    heap.push_back({0, source});
    while (!heap.empty()) {
        std::pop_heap(heap.begin(), heap.end(), later);
        auto [d, u] = heap.back();
        heap.pop_back();
        if (d != dist[u]) continue;  // stale
        for (const auto& l : g.arcs(u)) {
            std::uint64_t nd = d + l.metric;
            if (nd < dist[l.to]) {
                dist[l.to] = nd;
                heap.push_back({nd, l.to});
                std::push_heap(heap.begin(), heap.end(), later);
            }
        }
    }
}

std::vector<std::uint64_t> spf(const Graph& g, RouterId source) {
    std::vector<std::uint64_t> out;
    spf(g, source, out);
    return out;
}

void SpfCache::sync(const Topology& t) {
    if (graph_.version() == t.version() && graph_.size() == t.size()) return;
    graph_ = Graph(t);
    trees_.clear();
    order_.clear();
}

std::span<const std::uint64_t> SpfCache::tree(const Topology& t, RouterId source) {
    sync(t);
    auto it = trees_.find(source);
    if (it != trees_.end()) return it->second;
    std::vector<std::uint64_t> reuse;
    if (trees_.size() >= capacity_) {
        auto victim = trees_.find(order_.front());
        reuse = std::move(victim->second);
        trees_.erase(victim);
        order_.pop_front();
    }
    spf(graph_, source, reuse);
    ++computed_;
    order_.push_back(source);
    return trees_.emplace(source, std::move(reuse)).first->second;
}

}  // namespace sr::prox
