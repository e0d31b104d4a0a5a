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
    if (s.row < 0 || s.row >= static_cast<int>(table_.size()) || s.col < 0 || s.col >= cols_n_) return nullptr;
    const auto& e = table_[s.row][s.col];
    return e ? &*e : nullptr;
}

std::optional<NodeRef> RoutingTable::set(const NodeRef& n) {
    auto s = slot_for(n.id);
    if (!s) return std::nullopt;
    if (s->row >= static_cast<int>(table_.size())) table_.resize(s->row + 1, std::vector<std::optional<NodeRef>>(cols_n_));
    auto& e = table_[s->row][s->col];
    std::optional<NodeRef> prev;
    if (e && e->id != n.id) prev = std::move(*e);
    if (!e) ++size_;
    e = n;
    return prev;
}

bool RoutingTable::remove(const Id& id) {
    auto s = slot_for(id);
    if (!s || s->row >= static_cast<int>(table_.size())) return false;
    auto& e = table_[s->row][s->col];
    if (!e || e->id != id) return false;
    e.reset();
    --size_;
    while (!table_.empty()) {  // release trailing empty rows
        bool any = false;
        for (const auto& x : table_.back()) any = any || x.has_value();
        if (any) break;
        table_.pop_back();
    }
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
    if (r < 0 || r >= static_cast<int>(table_.size())) return out;
    for (const auto& e : table_[r])
        if (e) out.push_back(*e);
    return out;
}

}  // namespace sr::pastry
