// Adj-RIB-In: the routes one BGP peer announced to sr-proxd (DESIGN §7).
//
// WHAT IT DOES
//   Holds prefix -> Attributes for one peer, fed by the session's
//   RoutesChanged effects (apply), emptied when the session goes down
//   (flush). sr-proxd reads it to map prefixes to egress routers (next hop)
//   and AS-path lengths; it does no best-path selection (one peer, one
//   route per prefix: no add-path).
//
// DATA STRUCTURES
//   Sized for a full table: the target is <= 400 octets per prefix at
//   500,000 prefixes for the whole daemon. Most routes of a peer share their
//   attributes (same next hop, path, communities), so attribute sets are
//   hash-consed:
//     AttrTable  slots of {Attributes, hash, reference count}, a hash index
//                (hash -> slot) to find an equal set, and a free list; a
//                slot is freed when its last prefix goes
//     routes_    unordered_map<Prefix, uint32_t slot>: ~32-octet nodes plus
//                an 8-octet bucket, so about 60 octets per prefix on a
//                64-bit libstdc++, plus the shared attribute sets
//   memory_bytes() estimates both.
//
// HOW EVENTS FLOW
//   apply(RoutesChanged): withdrawals first, then each Announcement's
//   attributes are interned once and every prefix points at the slot
//   (replacing its previous route, whose slot loses a reference). Pointers
//   returned by find() and references passed to for_each() are valid until
//   the next change.
#pragma once

#include "prox/address.hpp"
#include "prox/bgp/route.hpp"

#include <cstddef>
#include <cstdint>
#include <unordered_map>
#include <vector>

namespace sr::prox::bgp {

struct PrefixHash {
    std::size_t operator()(const Prefix& p) const noexcept;
};

// Hash-consed attribute sets with reference counts.
class AttrTable {
  public:
    using Id = std::uint32_t;
    // The slot holding attributes equal to `a` (created when none), with its
    // reference count raised by `refs`.
    Id intern(const Attributes& a, std::uint32_t refs = 1);
    void acquire(Id id, std::uint32_t refs = 1) { slots_[id].refs += refs; }
    void release(Id id);
    const Attributes& get(Id id) const { return slots_[id].attrs; }
    std::uint32_t refs(Id id) const { return slots_[id].refs; }
    std::size_t size() const { return index_.size(); }  // live attribute sets
    void clear();
    std::size_t memory_bytes() const;

  private:
    struct Slot {
        Attributes attrs;
        std::size_t hash = 0;
        std::uint32_t refs = 0;
    };
    std::vector<Slot> slots_;
    std::vector<Id> free_;
    std::unordered_multimap<std::size_t, Id> index_;
};

class AdjRibIn {
  public:
    struct Counts {
        std::size_t announced = 0;  // prefixes added or replaced
        std::size_t withdrawn = 0;  // prefixes removed (withdrawals of unknown prefixes not counted)
    };
    Counts apply(const RoutesChanged& rc);
    void announce(const Prefix& p, const Attributes& a);
    bool withdraw(const Prefix& p);
    void flush();

    std::size_t size() const { return routes_.size(); }
    std::size_t size(Family f) const { return f == Family::v4 ? v4_ : routes_.size() - v4_; }
    std::size_t attribute_sets() const { return attrs_.size(); }
    const Attributes* find(const Prefix& p) const;

    // f(const Prefix&, const Attributes&) for every route, in no order.
    template <class F>
    void for_each(F&& f) const {
        for (const auto& [p, id] : routes_) f(p, attrs_.get(id));
    }

    // Estimated heap use of the table (nodes, buckets, attribute sets).
    std::size_t memory_bytes() const;

  private:
    void set(const Prefix& p, AttrTable::Id id);  // id already acquired for p

    AttrTable attrs_;
    std::unordered_map<Prefix, AttrTable::Id, PrefixHash> routes_;
    std::size_t v4_ = 0;
};

}  // namespace sr::prox::bgp
