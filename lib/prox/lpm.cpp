#include "prox/lpm.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace sr::prox {

namespace {

constexpr std::size_t kTbl24 = std::size_t{1} << 24;
constexpr std::size_t kHuge = std::size_t{2} << 20;

std::uint64_t load_be64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | p[i];
    return v;
}

// Masks (hi, lo) to the first len bits.
void mask(std::uint64_t& hi, std::uint64_t& lo, int len) {
    if (len <= 0) {
        hi = lo = 0;
    } else if (len < 64) {
        hi &= ~0ULL << (64 - len);
        lo = 0;
    } else if (len == 64) {
        lo = 0;
    } else if (len < 128) {
        lo &= ~0ULL << (128 - len);
    }
}

std::uint64_t hash(std::uint64_t hi, std::uint64_t lo, std::uint8_t len_index) {
    std::uint64_t h = hi * 0x9e3779b97f4a7c15ULL ^ (lo + 0x632be59bd9b4e019ULL) * 0xc2b2ae3d27d4eb4fULL ^ len_index;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;
    return h;
}

}  // namespace

void Lpm::Free::operator()(std::uint32_t* p) const { std::free(p); }

Lpm::Lpm(std::span<const Route> routes) {
    std::vector<const Route*> v4;
    std::vector<Hashed::Key> v6;
    for (auto& r : routes) {
        if (r.second > kMaxValue) throw std::invalid_argument("lpm: value too large");
        const Address& a = r.first.addr;
        if (a.family == Family::v4)
            v4.push_back(&r);
        else
            v6.push_back({load_be64(a.bytes.data()), load_be64(a.bytes.data() + 8), r.first.len, r.second});
    }
    v4_routes_ = v4.size();
    v6_routes_ = v6.size();
    if (v4.size() >= kSmallV4) {
        build_v4(v4);
    } else if (!v4.empty()) {
        std::vector<Hashed::Key> keys;
        keys.reserve(v4.size());
        for (const Route* r : v4) keys.push_back({0, r->first.addr.v4_value(), 96 + r->first.len, r->second});
        small_v4_.build(keys);
    }
    if (!v6.empty()) v6_.build(v6);
}

void Lpm::build_v4(std::vector<const Route*>& routes) {
    // Shorter prefixes first, input order kept within a length: painting in
    // that order lets longer prefixes (and later duplicates) overwrite.
    {  // counting sort by length: stable, O(n)
        std::size_t start[34] = {};
        for (const Route* r : routes) ++start[r->first.len + 1];
        for (int l = 1; l < 34; ++l) start[l] += start[l - 1];
        std::vector<const Route*> sorted(routes.size());
        for (const Route* r : routes) sorted[start[r->first.len]++] = r;
        routes.swap(sorted);
    }
    void* mem = std::aligned_alloc(kHuge, kTbl24 * sizeof(std::uint32_t));
    if (!mem) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
    madvise(mem, kTbl24 * sizeof(std::uint32_t), MADV_HUGEPAGE);  // best effort
#endif
    tbl24_.reset(static_cast<std::uint32_t*>(mem));
    std::memset(mem, 0, kTbl24 * sizeof(std::uint32_t));
    std::uint32_t* t24 = tbl24_.get();
    tbl8_.clear();
    for (const Route* r : routes) {
        const auto& b = r->first.addr.bytes;
        std::uint32_t addr = std::uint32_t(b[0]) << 24 | std::uint32_t(b[1]) << 16 | std::uint32_t(b[2]) << 8 | b[3];
        int len = r->first.len;
        std::uint32_t v = r->second + 1;
        if (len <= 24) {
            std::uint32_t first = addr >> 8;
            std::uint32_t count = 1u << (24 - len);
            // tbl8 groups only exist once the >24 pass starts, never here.
            std::fill(t24 + first, t24 + first + count, v);
        } else {
            std::uint32_t& e = t24[addr >> 8];
            if (!(e & 0x80000000u)) {
                auto g = static_cast<std::uint32_t>(tbl8_.size() >> 8);
                tbl8_.resize(tbl8_.size() + 256, e);
                e = 0x80000000u | g;
            }
            std::size_t base = std::size_t(e & 0x7fffffffu) << 8;
            std::uint32_t first = addr & 0xffu;
            std::uint32_t count = 1u << (32 - len);
            std::fill(tbl8_.begin() + base + first, tbl8_.begin() + base + first + count, v);
        }
    }
}

const Lpm::Hashed::Slot* Lpm::Hashed::find(std::uint64_t hi, std::uint64_t lo, std::uint8_t li) const {
    std::size_t m = slots_.size() - 1;
    for (std::size_t i = hash(hi, lo, li) & m;; i = (i + 1) & m) {
        const Slot& s = slots_[i];
        if (!s.used) return nullptr;
        if (s.hi == hi && s.lo == lo && s.len_index == li) return &s;
    }
}

Lpm::Hashed::Slot& Lpm::Hashed::insert(std::uint64_t hi, std::uint64_t lo, std::uint8_t li) {
    if (2 * (used_ + 1) > slots_.size()) {  // keep the load <= 1/2
        std::vector<Slot> old(slots_.size() * 2);
        old.swap(slots_);
        std::size_t m = slots_.size() - 1;
        for (const Slot& o : old) {
            if (!o.used) continue;
            std::size_t i = hash(o.hi, o.lo, o.len_index) & m;
            while (slots_[i].used) i = (i + 1) & m;
            slots_[i] = o;
        }
    }
    std::size_t m = slots_.size() - 1;
    for (std::size_t i = hash(hi, lo, li) & m;; i = (i + 1) & m) {
        Slot& s = slots_[i];
        if (!s.used) {
            ++used_;
            s.used = true;
            s.hi = hi;
            s.lo = lo;
            s.len_index = li;
            return s;
        }
        if (s.hi == hi && s.lo == lo && s.len_index == li) return s;
    }
}

void Lpm::Hashed::build(std::span<const Key> keys) {
    bool seen[129] = {};
    for (const auto& k : keys) seen[k.len] = true;
    std::uint8_t index_of[129] = {};
    for (int l = 0; l <= 128; ++l)
        if (seen[l]) {
            index_of[l] = static_cast<std::uint8_t>(lengths_.size());
            lengths_.push_back(static_cast<std::uint8_t>(l));
        }
    int n = static_cast<int>(lengths_.size());
    slots_.assign(64, Slot{});
    used_ = 0;
    for (const auto& k : keys) {  // later duplicates overwrite
        Slot& s = insert(k.hi, k.lo, index_of[k.len]);
        s.is_prefix = true;
        s.bmp = k.value + 1;
    }
    for (const auto& k : keys) {  // markers along each prefix's search path
        int target = index_of[k.len];
        int lo_i = 0, hi_i = n - 1;
        while (lo_i <= hi_i) {
            int mid = (lo_i + hi_i) / 2;
            if (mid == target) break;
            if (mid < target) {
                std::uint64_t h = k.hi, l = k.lo;
                mask(h, l, lengths_[mid]);
                insert(h, l, static_cast<std::uint8_t>(mid));
                lo_i = mid + 1;
            } else {
                hi_i = mid - 1;
            }
        }
    }
    // bmp of each marker: the longest real prefix at or above its length.
    for (auto& s : slots_) {
        if (!s.used || s.is_prefix) continue;
        for (int j = s.len_index - 1; j >= 0; --j) {
            std::uint64_t h = s.hi, l = s.lo;
            mask(h, l, lengths_[j]);
            const Slot* p = find(h, l, static_cast<std::uint8_t>(j));
            if (p && p->is_prefix) {
                s.bmp = p->bmp;
                break;
            }
        }
    }
}

std::uint32_t Lpm::Hashed::lookup(std::uint64_t ahi, std::uint64_t alo) const {
    if (lengths_.empty()) return kNone;
    std::uint32_t best = 0;
    int lo_i = 0, hi_i = static_cast<int>(lengths_.size()) - 1;
    while (lo_i <= hi_i) {
        int mid = (lo_i + hi_i) / 2;
        std::uint64_t h = ahi, l = alo;
        mask(h, l, lengths_[mid]);
        if (const Slot* s = find(h, l, static_cast<std::uint8_t>(mid))) {
            if (s->bmp) best = s->bmp;
            lo_i = mid + 1;
        } else {
            hi_i = mid - 1;
        }
    }
    return best - 1;
}

std::size_t Lpm::Hashed::memory_bytes() const { return slots_.capacity() * sizeof(Slot) + lengths_.capacity(); }

std::uint32_t Lpm::lookup_v6(const Address& a) const {
    return v6_.lookup(load_be64(a.bytes.data()), load_be64(a.bytes.data() + 8));
}

std::size_t Lpm::memory_bytes() const {
    return (tbl24_ ? kTbl24 * sizeof(std::uint32_t) : 0) + tbl8_.capacity() * sizeof(std::uint32_t) +
           small_v4_.memory_bytes() + v6_.memory_bytes();
}

}  // namespace sr::prox
