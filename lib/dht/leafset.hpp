// Pastry leaf set: the L/2 nearest live nodes on each side of this node on
// the id ring (Rowstron & Druschel 2001, §2.1).
//
// Two vectors, each sorted nearest first: right_ by clockwise distance from
// self, left_ by counter-clockwise distance. The halves are filled
// independently, so on a ring of fewer than L+1 nodes a node can sit in both;
// members() is their union. When the halves meet or overlap (a small ring),
// the leaf set covers the whole ring and wraps() is true: every key is then
// "in range" and its root is the closest member (or self).
//
// Pure data structure: no liveness, no time. The Node decides what to insert
// (only nodes it has heard from directly, or trusted join state) and what to
// remove (declared dead or departed).
#pragma once

#include "dht/pastry_types.hpp"

#include <optional>
#include <vector>

namespace sr::pastry {

class LeafSet {
  public:
    enum class Side { Left, Right };

    // Changes to the union of both halves caused by one operation.
    struct Delta {
        std::vector<NodeRef> entered;
        std::vector<NodeRef> left;
    };

    LeafSet(const Id& self, int half);

    // True when inserting id would put it into at least one half.
    bool would_accept(const Id& id) const;
    // Inserts n where it qualifies; displaced far members drop out. Returns
    // true when n is in the leaf set afterwards and was not before.
    bool insert(const NodeRef& n, Delta* d = nullptr);
    // Removes id from both halves. Returns true when it was a member.
    bool remove(const Id& id, Delta* d = nullptr);

    bool contains(const Id& id) const;
    // Which halves currently hold id (both when the ring is small).
    bool in_side(const Id& id, Side s) const;
    // True when key lies between the farthest left and farthest right member
    // (or the leaf set wraps the whole ring, or the node is alone).
    bool in_range(const Id& key) const;
    bool wraps() const { return wraps_; }
    bool full(Side s) const;

    // The member numerically closest to key among the leaves and self
    // (ties by sr::closer_to); `skip` filters members out (self never is).
    template <class Skip>
    Id closest(const Id& key, Skip skip) const {
        Id best = self_;
        for (const auto* v : {&left_, &right_})
            for (const auto& n : *v)
                if (!skip(n) && closer_to(key, n.id, best)) best = n.id;
        return best;
    }
    const NodeRef* find(const Id& id) const;

    const std::vector<NodeRef>& left() const { return left_; }
    const std::vector<NodeRef>& right() const { return right_; }
    const std::vector<NodeRef>& side(Side s) const { return s == Side::Left ? left_ : right_; }
    std::vector<NodeRef> members() const;  // union, right half first, no duplicates
    std::size_t size() const;              // number of distinct members
    bool empty() const { return left_.empty() && right_.empty(); }
    int half() const { return half_; }
    const Id& self() const { return self_; }

  private:
    Id dist(Side s, const Id& id) const { return s == Side::Right ? id - self_ : self_ - id; }
    void insert_side(Side s, const NodeRef& n, std::vector<NodeRef>& displaced);
    void update_wrap();

    Id self_;
    int half_;
    std::vector<NodeRef> left_, right_;
    bool wraps_ = true;
};

}  // namespace sr::pastry
