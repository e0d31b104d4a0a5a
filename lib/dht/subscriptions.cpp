#include "dht/subscriptions.hpp"

#include <iterator>

namespace sr::dht {

std::optional<Subscriptions::Refusal> Subscriptions::subscribe(const Id& key, const pastry::NodeRef& node,
                                                               std::uint64_t listen_id, std::int64_t expires_us) {
    Key k{key, node.id, listen_id};
    if (auto it = subs_.find(k); it != subs_.end()) {
        it->second = {node, expires_us};
        return std::nullopt;
    }
    std::size_t on_key = 0, node_on_key = 0;
    for (auto it = subs_.lower_bound({key, Id{}, 0}); it != subs_.end() && std::get<0>(it->first) == key; ++it) {
        ++on_key;
        node_on_key += std::get<1>(it->first) == node.id;
    }
    if (node_on_key >= limits_.per_node_key)
        return Refusal{"node_key", "node " + node.id.hex() + " holds its share of " +
                                       std::to_string(limits_.per_node_key) + " listeners on this key"};
    // find(), not operator[]: a refused node must leave no entry behind.
    if (held_by(node.id) >= limits_.per_node)
        return Refusal{"node", "node " + node.id.hex() + " holds its maximum of " + std::to_string(limits_.per_node) +
                                   " listeners"};
    if (on_key >= limits_.per_key) return Refusal{"key", "too many listeners on this key"};
    if (subs_.size() >= limits_.total) return Refusal{"total", "too many listeners on this node"};
    subs_.emplace(k, Entry{node, expires_us});
    ++by_node_[node.id];  // only now that it holds one
    return std::nullopt;
}

void Subscriptions::expire(std::int64_t now) {
    for (auto it = subs_.begin(); it != subs_.end();) {
        auto next = std::next(it);
        if (it->second.expires_us <= now) erase(it);
        it = next;
    }
}

void Subscriptions::erase(std::map<Key, Entry>::iterator it) {
    auto n = by_node_.find(std::get<1>(it->first));
    if (n != by_node_.end() && --n->second == 0) by_node_.erase(n);
    subs_.erase(it);
}

}  // namespace sr::dht
