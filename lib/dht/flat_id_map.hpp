// Id -> T map for the Pastry core's per-peer state.
//
// Why not std::unordered_map: a lookup there chases bucket -> node before ->
// node -> next node, three or four dependent cache misses; the core looks a
// peer up for every message, and in a simulation of 10,000 nodes none of it
// is in cache. Here the index is one flat array of (id, slot) probed
// linearly (usually one miss), and the values live in a deque so that
// references stay valid while other entries are inserted or erased (the
// core holds a Peer& while it creates others). Erasure uses backward shift,
// so there are no tombstones; freed value slots are reused.
#pragma once

#include "core/id.hpp"

#include <cstdint>
#include <deque>
#include <utility>
#include <vector>

namespace sr::pastry {

template <class T>
class FlatIdMap {
  public:
    T* find(const Id& id) {
        std::size_t i = locate(id);
        return i == npos ? nullptr : &pool_[index_[i].idx].second;
    }
    const T* find(const Id& id) const {
        std::size_t i = locate(id);
        return i == npos ? nullptr : &pool_[index_[i].idx].second;
    }

    // Inserts a value-initialised T unless id is present; {value, inserted}.
    std::pair<T*, bool> try_emplace(const Id& id) {
        if (T* v = find(id)) return {v, false};
        if ((size_ + 1) * 2 > index_.size()) rehash(index_.empty() ? 64 : index_.size() * 2);
        std::uint32_t idx;
        if (!free_.empty()) {
            idx = free_.back();
            free_.pop_back();
            pool_[idx].first = id;
            used_[idx] = 1;
        } else {
            idx = static_cast<std::uint32_t>(pool_.size());
            pool_.emplace_back(id, T{});
            used_.push_back(1);
        }
        std::size_t mask = index_.size() - 1, i = hash(id) & mask;
        while (index_[i].idx != kEmpty) i = (i + 1) & mask;
        index_[i] = Slot{id, idx};
        ++size_;
        return {&pool_[idx].second, true};
    }

    bool erase(const Id& id) {
        std::size_t i = locate(id);
        if (i == npos) return false;
        std::uint32_t idx = index_[i].idx;
        pool_[idx].second = T{};
        used_[idx] = 0;
        free_.push_back(idx);
        --size_;
        // Backward shift: pull later entries of the probe run into the hole.
        std::size_t mask = index_.size() - 1, j = i;
        for (;;) {
            j = (j + 1) & mask;
            if (index_[j].idx == kEmpty) break;
            std::size_t k = hash(index_[j].id) & mask;  // its home slot
            bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
            if (!stays) {
                index_[i] = index_[j];
                i = j;
            }
        }
        index_[i].idx = kEmpty;
        return true;
    }

    std::size_t size() const { return size_; }

    template <class F>  // f(const Id&, T&)
    void for_each(F&& f) {
        for (std::size_t i = 0; i < pool_.size(); ++i)
            if (used_[i]) f(pool_[i].first, pool_[i].second);
    }
    template <class P>  // pred(const Id&, const T&)
    void erase_if(P&& pred) {
        std::vector<Id> doomed;
        for (std::size_t i = 0; i < pool_.size(); ++i)
            if (used_[i] && pred(pool_[i].first, pool_[i].second)) doomed.push_back(pool_[i].first);
        for (const Id& id : doomed) erase(id);
    }

  private:
    static constexpr std::uint32_t kEmpty = UINT32_MAX;
    static constexpr std::size_t npos = SIZE_MAX;
    struct Slot {
        Id id;
        std::uint32_t idx = kEmpty;
    };

    static std::size_t hash(const Id& id) {
        std::uint64_t x = id.hi ^ (id.lo * 0x9e3779b97f4a7c15ULL);
        x ^= x >> 29;
        x *= 0xbf58476d1ce4e5b9ULL;
        return static_cast<std::size_t>(x ^ (x >> 32));
    }
    std::size_t locate(const Id& id) const {
        if (index_.empty()) return npos;
        std::size_t mask = index_.size() - 1, i = hash(id) & mask;
        for (;;) {
            const Slot& s = index_[i];
            if (s.idx == kEmpty) return npos;
            if (s.id == id) return i;
            i = (i + 1) & mask;
        }
    }
    void rehash(std::size_t cap) {
        std::vector<Slot> old = std::move(index_);
        index_.assign(cap, Slot{});
        std::size_t mask = cap - 1;
        for (const Slot& s : old)
            if (s.idx != kEmpty) {
                std::size_t i = hash(s.id) & mask;
                while (index_[i].idx != kEmpty) i = (i + 1) & mask;
                index_[i] = s;
            }
    }

    std::vector<Slot> index_;
    std::deque<std::pair<Id, T>> pool_;
    std::vector<std::uint8_t> used_;
    std::vector<std::uint32_t> free_;
    std::size_t size_ = 0;
};

}  // namespace sr::pastry
