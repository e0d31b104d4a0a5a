// Pastry routing table (Rowstron & Druschel 2001, §2.1).
//
// 128/b rows of 2^b columns. Row r holds nodes sharing exactly r leading
// base-2^b digits with self; column c of row r holds one whose digit r is c.
// The slot of a node is therefore fixed by its id: (shared_prefix(self, id),
// id.digit(row)). Column self.digit(r) of each row stays empty (that slot
// would be self).
//
// Storage is one flat vector of depth() * 2^b cells (an empty cell has a
// zero id), grown a row at a time: with N nodes only about log_{2^b} N rows
// are ever populated, which keeps a simulation of 10,000 nodes small and a
// lookup to one cache line.
//
// Pure data structure: which candidate wins a slot (proximity) is decided
// by the Node.
#pragma once

#include "dht/pastry_types.hpp"

#include <algorithm>
#include <optional>
#include <vector>

namespace sr::pastry {

class RoutingTable {
  public:
    struct Slot {
        int row = 0;
        int col = 0;
        auto operator<=>(const Slot&) const = default;
    };

    RoutingTable(const Id& self, int b);

    int rows() const { return rows_n_; }
    int cols() const { return cols_n_; }
    int b() const { return b_; }

    // The slot id belongs in; nullopt for self.
    std::optional<Slot> slot_for(const Id& id) const;

    const NodeRef* get(Slot s) const;
    const NodeRef* get(int row, int col) const { return get(Slot{row, col}); }
    // Puts n into its slot (computed from n.id), returning the previous
    // occupant if it was a different node.
    std::optional<NodeRef> set(const NodeRef& n);
    // Empties the slot of id if id occupies it; true when it did.
    bool remove(const Id& id);
    bool contains(const Id& id) const;

    std::vector<NodeRef> row(int r) const;  // occupied entries, by column
    std::size_t size() const { return size_; }
    // Index one past the last allocated row (rows beyond are empty).
    int depth() const { return static_cast<int>(cells_.size()) / cols_n_; }

    template <class F>  // f(int row, int col, const NodeRef&)
    void for_each(F&& f) const {
        for_each_from(0, f);
    }
    template <class F>  // rows [from, depth)
    void for_each_from(int from, F&& f) const {
        for (std::size_t i = static_cast<std::size_t>(std::max(from, 0)) * cols_n_; i < cells_.size(); ++i)
            if (occupied(cells_[i])) f(static_cast<int>(i) / cols_n_, static_cast<int>(i) % cols_n_, cells_[i]);
    }

  private:
    Id self_;
    int b_, rows_n_, cols_n_;
    std::size_t size_ = 0;
    static bool occupied(const NodeRef& n) { return (n.id.hi | n.id.lo) != 0; }
    std::vector<NodeRef> cells_;
};

}  // namespace sr::pastry
