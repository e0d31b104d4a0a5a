#include "dht/leafset.hpp"

#include <algorithm>

namespace sr::pastry {

LeafSet::LeafSet(const Id& self, int half) : self_(self), half_(half) {
    left_.reserve(half + 1);
    right_.reserve(half + 1);
}

bool LeafSet::full(Side s) const { return static_cast<int>(side(s).size()) >= half_; }

bool LeafSet::would_accept(const Id& id) const {
    if (id == self_ || half_ <= 0) return false;
    for (Side s : {Side::Left, Side::Right}) {
        const auto& v = side(s);
        if (in_side(id, s)) continue;
        if (static_cast<int>(v.size()) < half_ || dist(s, id) < dist(s, v.back().id)) return true;
    }
    return false;
}

void LeafSet::insert_side(Side s, const NodeRef& n, std::vector<NodeRef>& displaced) {
    auto& v = s == Side::Left ? left_ : right_;
    Id d = dist(s, n.id);
    auto it = std::lower_bound(v.begin(), v.end(), d,
                               [&](const NodeRef& m, const Id& x) { return dist(s, m.id) < x; });
    if (it != v.end() && it->id == n.id) return;
    if (static_cast<int>(v.size()) >= half_ && it == v.end()) return;
    v.insert(it, n);
    if (static_cast<int>(v.size()) > half_) {
        displaced.push_back(std::move(v.back()));
        v.pop_back();
    }
}

bool LeafSet::insert(const NodeRef& n, Delta* d) {
    if (n.id == self_ || half_ <= 0) return false;
    bool was = contains(n.id);
    std::vector<NodeRef> displaced;
    insert_side(Side::Right, n, displaced);
    insert_side(Side::Left, n, displaced);
    bool now = contains(n.id);
    if (d) {
        if (!was && now) d->entered.push_back(n);
        for (auto& x : displaced)
            if (!contains(x.id)) d->left.push_back(std::move(x));
    }
    update_wrap();
    return !was && now;
}

bool LeafSet::remove(const Id& id, Delta* d) {
    const NodeRef* f = find(id);
    if (!f) return false;
    NodeRef copy = *f;
    for (auto* v : {&left_, &right_})
        v->erase(std::remove_if(v->begin(), v->end(), [&](const NodeRef& m) { return m.id == id; }), v->end());
    if (d) d->left.push_back(std::move(copy));
    update_wrap();
    return true;
}

const NodeRef* LeafSet::find(const Id& id) const {
    for (const auto* v : {&right_, &left_})
        for (const auto& n : *v)
            if (n.id == id) return &n;
    return nullptr;
}

bool LeafSet::contains(const Id& id) const { return find(id) != nullptr; }

bool LeafSet::in_side(const Id& id, Side s) const {
    for (const auto& n : side(s))
        if (n.id == id) return true;
    return false;
}

void LeafSet::update_wrap() {
    if (left_.empty() && right_.empty()) {
        wraps_ = true;  // alone: every key is ours
    } else if (left_.empty() || right_.empty()) {
        wraps_ = false;  // one half lost: we know too little to claim the ring
    } else {
        // The halves meet when the farthest right member lies at or beyond
        // the farthest left one, walking clockwise from self.
        wraps_ = (right_.back().id - self_) >= (left_.back().id - self_);
    }
}

bool LeafSet::in_range(const Id& key) const {
    if (wraps_) return true;
    const Id& lo = left_.empty() ? self_ : left_.back().id;
    const Id& hi = right_.empty() ? self_ : right_.back().id;
    return (key - lo) <= (hi - lo);
}

std::vector<NodeRef> LeafSet::members() const {
    std::vector<NodeRef> out = right_;
    for (const auto& n : left_)
        if (!in_side(n.id, Side::Right)) out.push_back(n);
    return out;
}

std::size_t LeafSet::size() const {
    std::size_t n = right_.size();
    for (const auto& m : left_)
        if (!in_side(m.id, Side::Right)) ++n;
    return n;
}

}  // namespace sr::pastry
