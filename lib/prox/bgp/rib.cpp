// Adj-RIB-In with hash-consed attribute sets (see rib.hpp).
#include "prox/bgp/rib.hpp"

#include <cstring>

namespace sr::prox::bgp {

namespace {
inline void mix(std::size_t& h, std::uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
}
}  // namespace

std::size_t PrefixHash::operator()(const Prefix& p) const noexcept {
    std::uint64_t a, b;
    std::memcpy(&a, p.addr.bytes.data(), 8);
    std::memcpy(&b, p.addr.bytes.data() + 8, 8);
    std::uint64_t x = a * 0x9e3779b97f4a7c15ULL ^ (b + p.len + (static_cast<std::uint64_t>(p.addr.family) << 8));
    x ^= x >> 29;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 32;
    return static_cast<std::size_t>(x);
}

std::size_t AttributesHash::operator()(const Attributes& a) const noexcept {
    std::size_t h = 0;
    AddressHash ah;
    mix(h, ah(a.next_hop));
    mix(h, a.next_hop_link_local ? ah(*a.next_hop_link_local) : 1);
    for (auto as : a.as_path) mix(h, as);
    mix(h, a.path_len);
    mix(h, a.has_as_set);
    mix(h, static_cast<std::uint64_t>(a.origin));
    mix(h, a.local_pref ? *a.local_pref + (1ULL << 32) : 0);
    mix(h, a.med ? *a.med + (1ULL << 32) : 0);
    mix(h, a.atomic_aggregate);
    for (auto c : a.communities) mix(h, c);
    for (const auto& c : a.large_communities) {
        mix(h, c.global);
        mix(h, c.local1);
        mix(h, c.local2);
    }
    return h;
}

// ---- AttrTable ------------------------------------------------------------------

AttrTable::Id AttrTable::intern(const Attributes& a, std::uint32_t refs) {
    std::size_t h = AttributesHash{}(a);
    auto [lo, hi] = index_.equal_range(h);
    for (auto it = lo; it != hi; ++it) {
        if (slots_[it->second].attrs == a) {
            slots_[it->second].refs += refs;
            return it->second;
        }
    }
    Id id;
    if (!free_.empty()) {
        id = free_.back();
        free_.pop_back();
    } else {
        id = static_cast<Id>(slots_.size());
        slots_.emplace_back();
    }
    slots_[id] = Slot{a, h, refs};
    index_.emplace(h, id);
    return id;
}

void AttrTable::release(Id id) {
    Slot& s = slots_[id];
    if (--s.refs > 0) return;
    auto [lo, hi] = index_.equal_range(s.hash);
    for (auto it = lo; it != hi; ++it) {
        if (it->second == id) {
            index_.erase(it);
            break;
        }
    }
    s = Slot{};  // frees the vectors
    free_.push_back(id);
}

void AttrTable::clear() {
    slots_.clear();
    free_.clear();
    index_.clear();
}

std::size_t AttrTable::memory_bytes() const {
    std::size_t n = slots_.capacity() * sizeof(Slot) + free_.capacity() * sizeof(Id) +
                    index_.size() * (sizeof(void*) * 2 + sizeof(std::size_t) + sizeof(Id) + 16) +
                    index_.bucket_count() * sizeof(void*);
    for (const auto& s : slots_) {
        n += s.attrs.as_path.capacity() * sizeof(std::uint32_t) +
             s.attrs.communities.capacity() * sizeof(std::uint32_t) +
             s.attrs.large_communities.capacity() * sizeof(LargeCommunity);
    }
    return n;
}

// ---- AdjRibIn -------------------------------------------------------------------

void AdjRibIn::set(const Prefix& p, AttrTable::Id id) {
    auto [it, inserted] = routes_.try_emplace(p, id);
    if (inserted) {
        if (p.addr.family == Family::v4) ++v4_;
        return;
    }
    AttrTable::Id old = it->second;
    it->second = id;
    attrs_.release(old);
}

void AdjRibIn::announce(const Prefix& p, const Attributes& a) { set(p, attrs_.intern(a)); }

bool AdjRibIn::withdraw(const Prefix& p) {
    auto it = routes_.find(p);
    if (it == routes_.end()) return false;
    attrs_.release(it->second);
    if (p.addr.family == Family::v4) --v4_;
    routes_.erase(it);
    return true;
}

AdjRibIn::Counts AdjRibIn::apply(const RoutesChanged& rc) {
    Counts c;
    for (const auto& p : rc.withdrawn) c.withdrawn += withdraw(p);
    for (const auto& an : rc.announced) {
        if (an.prefixes.empty()) continue;
        AttrTable::Id id = attrs_.intern(an.attrs, static_cast<std::uint32_t>(an.prefixes.size()));
        for (const auto& p : an.prefixes) set(p, id);
        c.announced += an.prefixes.size();
    }
    return c;
}

void AdjRibIn::flush() {
    routes_.clear();
    routes_.rehash(0);
    attrs_.clear();
    v4_ = 0;
}

const Attributes* AdjRibIn::find(const Prefix& p) const {
    auto it = routes_.find(p);
    return it == routes_.end() ? nullptr : &attrs_.get(it->second);
}

std::size_t AdjRibIn::memory_bytes() const {
    // A libstdc++ node: next pointer + value (+ cached hash when the hasher
    // is not noexcept; ours is), rounded up by malloc (16-octet header/align).
    constexpr std::size_t node = sizeof(void*) + sizeof(std::pair<const Prefix, AttrTable::Id>);
    constexpr std::size_t alloc = (node + 8 + 15) / 16 * 16;
    return routes_.size() * alloc + routes_.bucket_count() * sizeof(void*) + attrs_.memory_bytes();
}

}  // namespace sr::prox::bgp
