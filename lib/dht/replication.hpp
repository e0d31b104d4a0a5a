// Replica placement and hand-over planning for the DHT store (DESIGN §6).
//
// What. A key lives on the k nodes numerically closest to it (sr::closer_to,
// a total order: ring distance, ties to the smaller id) among this node and
// its leaf set, the root first. With k replicas any k-1 simultaneous failures
// lose nothing. A node's leaf set only describes its own neighbourhood, so
// the answer is exact for keys near this node - the keys it stores - as long
// as k <= L/2 + 1. An overlay of fewer than k nodes replicates on everyone.
//
// Hand-over. When the leaf set changes, plan_handover compares each stored
// key's replica set under the old and the new leaf set. Peers that joined the
// set get this node's records for the key (tombstones too, so a removal
// survives the move), provided this node is in the new set or was in the old
// one. Keys this node no longer replicates are pushed and then listed in
// drop_after_push. A key held here although the node is in neither set (it
// arrived from a node with a different view) is pushed to the whole new set
// and dropped, so it is never left without a home. Receivers ignore versions
// they already have (Store::put returns stale), so redundant pushes from
// several holders are harmless.
//
// Pure functions, templated over the peer type: anything with an `.id`
// (sr::Id) works, e.g. the daemon's node handle; ReplicaPeer is the minimal one.
#pragma once

#include "core/id.hpp"
#include "dht/store.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace sr::dht {

struct ReplicaPeer {
    Id id;
    std::string addr;
    bool operator==(const ReplicaPeer&) const = default;
};

inline constexpr int kDefaultReplicas = 4;

// The min(k, n) closest of {self} ∪ leaf_set to key, closest first. Entries of
// leaf_set equal to self (or repeated) count once. k < 1 is taken as 1.
template <class P>
std::vector<P> replica_set(const Id& key, const P& self, const std::vector<P>& leaf_set, int k = kDefaultReplicas) {
    std::vector<P> all;
    all.reserve(leaf_set.size() + 1);
    all.push_back(self);
    for (const P& p : leaf_set)
        if (std::none_of(all.begin(), all.end(), [&](const P& q) { return q.id == p.id; })) all.push_back(p);
    std::size_t n = std::min<std::size_t>(static_cast<std::size_t>(std::max(k, 1)), all.size());
    std::partial_sort(all.begin(), all.begin() + n, all.end(),
                      [&](const P& a, const P& b) { return closer_to(key, a.id, b.id); });
    all.resize(n);
    return all;
}

template <class P>
struct BasicHandoverPlan {
    // Per peer (ascending id), the keys (ascending) whose records to push.
    std::vector<std::pair<P, std::vector<Id>>> pushes;
    // Keys to forget once their pushes are done (ascending).
    std::vector<Id> drop_after_push;
    bool empty() const { return pushes.empty() && drop_after_push.empty(); }
};
using HandoverPlan = BasicHandoverPlan<ReplicaPeer>;

// Keys to consider: those with at least one unexpired record (tombstones count).
std::vector<Id> handover_keys(const Store& store, std::int64_t now);

template <class P>
BasicHandoverPlan<P> plan_handover(const Store& store, const P& self, const std::vector<P>& old_leaf_set,
                                   const std::vector<P>& new_leaf_set, int k, std::int64_t now) {
    auto in = [](const std::vector<P>& set, const Id& id) {
        return std::any_of(set.begin(), set.end(), [&](const P& p) { return p.id == id; });
    };
    std::map<Id, std::pair<P, std::vector<Id>>> by_peer;
    BasicHandoverPlan<P> plan;
    for (const Id& key : handover_keys(store, now)) {
        auto old_rs = replica_set(key, self, old_leaf_set, k);
        auto new_rs = replica_set(key, self, new_leaf_set, k);
        bool self_old = in(old_rs, self.id), self_new = in(new_rs, self.id);
        bool orphan = !self_old && !self_new;
        for (const P& p : new_rs) {
            if (p.id == self.id) continue;
            if (!orphan && in(old_rs, p.id)) continue;
            auto it = by_peer.try_emplace(p.id, p, std::vector<Id>{}).first;
            it->second.second.push_back(key);
        }
        if (!self_new) plan.drop_after_push.push_back(key);
    }
    plan.pushes.reserve(by_peer.size());
    for (auto& [id, entry] : by_peer) plan.pushes.push_back(std::move(entry));
    return plan;
}

}  // namespace sr::dht
