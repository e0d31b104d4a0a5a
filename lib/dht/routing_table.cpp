#include "dht/routing_table.hpp"

namespace sr::pastry {

RoutingTable::RoutingTable(const Id& self, int b)
    : self_(self), b_(b), rows_n_(Id::bits / b), cols_n_(1 << b) {}

std::optional<RoutingTable::Slot> RoutingTable::slot_for(const Id& id) const {
    int r = self_.shared_prefix(id, b_);
    if (r >= rows_n_) return std::nullopt;
    return Slot{r, static_cast<int>(id.digit(r, b_))};
}

const NodeRef* RoutingTable::get(Slot s) const {
    if (s.row < 0 || s.row >= depth() || s.col < 0 || s.col >= cols_n_) return nullptr;
    const NodeRef& e = cells_[static_cast<std::size_t>(s.row) * cols_n_ + s.col];
    return occupied(e) ? &e : nullptr;
}

std::optional<NodeRef> RoutingTable::set(const NodeRef& n) {
    auto s = slot_for(n.id);
    if (!s || !occupied(n)) return std::nullopt;
    if (s->row >= depth()) cells_.resize(static_cast<std::size_t>(s->row + 1) * cols_n_);
    NodeRef& e = cells_[static_cast<std::size_t>(s->row) * cols_n_ + s->col];
    std::optional<NodeRef> prev;
    if (occupied(e) && e.id != n.id) prev = std::move(e);
    if (!occupied(e)) ++size_;
    e = n;
    return prev;
}

bool RoutingTable::remove(const Id& id) {
    auto s = slot_for(id);
    if (!s || s->row >= depth()) return false;
    NodeRef& e = cells_[static_cast<std::size_t>(s->row) * cols_n_ + s->col];
    if (!occupied(e) || e.id != id) return false;
    e = NodeRef{};
    --size_;
    // Release trailing empty rows.
    while (!cells_.empty() &&
           std::none_of(cells_.end() - cols_n_, cells_.end(), [](const NodeRef& x) { return occupied(x); }))
        cells_.resize(cells_.size() - cols_n_);
    return true;
}

bool RoutingTable::contains(const Id& id) const {
    auto s = slot_for(id);
    if (!s) return false;
    const NodeRef* e = get(*s);
    return e && e->id == id;
}

std::vector<NodeRef> RoutingTable::row(int r) const {
    std::vector<NodeRef> out;
    if (r < 0 || r >= depth()) return out;
    for (int c = 0; c < cols_n_; ++c) {
        const NodeRef& e = cells_[static_cast<std::size_t>(r) * cols_n_ + c];
        if (occupied(e)) out.push_back(e);
    }
    return out;
}

}  // namespace sr::pastry
