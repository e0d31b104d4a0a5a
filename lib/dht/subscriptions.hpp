// Listen subscriptions held at a key's root (node.hpp, "Listen"): the
// bookkeeping and its bounds, without I/O, so unit tests drive it directly.
//
// A subscription is named by (key, subscriber node id, listen id) and lives
// until its expiry unless refreshed. A root grants one subscriber node at
// most per_node_key subscriptions per key (a fair share of the key's
// per_key) and per_node in all, and holds at most total. The count per
// subscriber node exists only while that node holds a subscription: a
// refused request leaves no trace, so a peer claiming ever new node ids (in
// an open overlay ids are self-asserted) cannot grow it.
#pragma once

#include "core/id.hpp"
#include "dht/pastry_types.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>

namespace sr::dht {

struct SubscriptionLimits {
    std::size_t per_key = 256;
    std::size_t total = 65536;
    // A node needs one subscription per key (its listeners share it); a few
    // more cover ids left over from a restart until they expire.
    std::size_t per_node_key = 4;
    std::size_t per_node = 4096;
};

class Subscriptions {
  public:
    struct Refusal {
        const char* which;  // "node_key", "node", "key" or "total": dht.subscriptions_refused.<which>
        std::string why;
    };
    struct Entry {
        pastry::NodeRef node;
        std::int64_t expires_us;
    };

    explicit Subscriptions(SubscriptionLimits limits = {}) : limits_(limits) {}

    // Adds the subscription, or refreshes it (new expiry, the node's current
    // address) when it is held already; nullopt when held, else why not.
    std::optional<Refusal> subscribe(const Id& key, const pastry::NodeRef& node, std::uint64_t listen_id,
                                     std::int64_t expires_us);
    // Drops every subscription expired at now.
    void expire(std::int64_t now);
    // Calls fn(listen_id, entry) for each unexpired subscription on key.
    template <class F>
    void for_key(const Id& key, std::int64_t now, F&& fn) const {
        for (auto it = subs_.lower_bound({key, Id{}, 0}); it != subs_.end() && std::get<0>(it->first) == key; ++it)
            if (it->second.expires_us > now) fn(std::get<2>(it->first), it->second);
    }

    std::size_t size() const { return subs_.size(); }
    // Subscriber nodes with at least one subscription: the per-node counts held.
    std::size_t nodes() const { return by_node_.size(); }
    std::size_t held_by(const Id& node) const {
        auto it = by_node_.find(node);
        return it == by_node_.end() ? 0 : it->second;
    }
    const SubscriptionLimits& limits() const { return limits_; }

  private:
    using Key = std::tuple<Id, Id, std::uint64_t>;  // (key, subscriber node, listen id)
    void erase(std::map<Key, Entry>::iterator it);

    SubscriptionLimits limits_;
    std::map<Key, Entry> subs_;
    std::map<Id, std::size_t> by_node_;  // subscriber node -> its subscriptions; no zero entries
};

}  // namespace sr::dht
