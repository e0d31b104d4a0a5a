// Longest-prefix match, IPv4 and IPv6, prefix -> small integer (a router
// index or an external-route index; cost.hpp puts both in one table).
//
// IPv4: DIR-24-8 (Gupta, Lin, McKeown 1998). tbl24 has one 32-bit entry per
// /24 (2^24 entries, 64 MiB, asked for in huge pages); an entry is 0 (no
// route), value+1, or 0x80000000|g pointing to tbl8 group g of 256 entries
// for the /24s holding longer prefixes. A lookup is one load, plus a second
// one for the rare /25-/32. Why this and not a poptrie: with random
// addresses over a full table every structure misses the cache; DIR-24-8
// makes each lookup one independent load, so the core overlaps many of them
// and the loop runs at memory-level parallelism rather than pointer-chase
// latency — well over the 50 M lookups/s target (tests/bench/prox_micro.cpp)
// — and it is 60 lines of obvious code. The price is 64 MiB per table with
// any IPv4 route (nothing is allocated without one); a full BGP table is
// one or two tables in sr-proxd, which is acceptable on a router.
//
// IPv6: binary search on prefix lengths with markers (Waldvogel et al.,
// "Scalable high speed IP routing lookups", SIGCOMM 1997). One open-addressing
// hash table keyed by (masked address, length index) holds the prefixes and,
// along every prefix's binary-search path, markers; each entry carries the
// best matching prefix of its key (bmp) precomputed at build. A lookup is
// about log2(distinct lengths) + 1 probes (5-6 for a real table), in a few
// MiB rather than the gigabytes a stride-8 trie would expand /48s into.
// IPv6 tables are a fifth of IPv4's and queried less; simplicity won.
//
// Small IPv4 tables (fewer than kSmallV4 routes: an IGP's prefixes without
// a BGP table) use that hashed structure too, with each address in the low
// 32 bits of the key: building tbl24 costs about 130 ms (64 MiB written)
// however few the routes, which a live IGP would pay on every change.
//
// Updates: none in place. The table is immutable and rebuilt whole from the
// current route list: a 1 M-route IPv4 build takes a few hundred ms (see the
// benchmark), inside the "within 1 s of a change" requirement, and the
// daemon swaps the new table in atomically (shared_ptr) so lookups never
// see a half-built table. Duplicate prefixes: the later one in the list wins.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "prox/address.hpp"

namespace sr::prox {

class Lpm {
public:
    static constexpr std::uint32_t kNone = 0xffffffffu;
    static constexpr std::uint32_t kMaxValue = 0x7ffffffeu;
    static constexpr std::size_t kSmallV4 = 65536;
    using Route = std::pair<Prefix, std::uint32_t>;

    Lpm() = default;
    // Values must be <= kMaxValue (std::invalid_argument otherwise).
    explicit Lpm(std::span<const Route> routes);
    Lpm(Lpm&&) noexcept = default;
    Lpm& operator=(Lpm&&) noexcept = default;

    std::optional<std::uint32_t> lookup(const Address& a) const {
        auto v = a.family == Family::v4 ? lookup_v4(a.v4_value()) : lookup_v6(a);
        if (v == kNone) return std::nullopt;
        return v;
    }
    // Hot path: host-order IPv4 address; kNone when nothing matches.
    std::uint32_t lookup_v4(std::uint32_t addr) const {
        if (!tbl24_) return small_v4_.lookup(0, addr);
        std::uint32_t e = tbl24_[addr >> 8];
        if (e & 0x80000000u) e = tbl8_[((e & 0x7fffffffu) << 8) | (addr & 0xffu)];
        return e - 1;  // 0 (no route) wraps to kNone
    }
    std::uint32_t lookup_v6(const Address& a) const;

    std::size_t v4_routes() const { return v4_routes_; }
    std::size_t v6_routes() const { return v6_routes_; }
    std::size_t memory_bytes() const;

private:
    struct Free {
        void operator()(std::uint32_t* p) const;
    };
    // Binary search on prefix lengths over a hash table of prefixes and
    // markers, on 128-bit keys (an IPv4 address is the low 32 bits).
    class Hashed {
      public:
        struct Key {
            std::uint64_t hi, lo;
            int len;  // of the 128 bits
            std::uint32_t value;
        };
        void build(std::span<const Key> keys);  // later duplicates win
        std::uint32_t lookup(std::uint64_t hi, std::uint64_t lo) const;
        std::size_t memory_bytes() const;

      private:
        struct Slot {
            std::uint64_t hi = 0, lo = 0;
            std::uint32_t bmp = 0;  // best matching prefix value + 1, 0 = none
            std::uint8_t len_index = 0;
            bool used = false;
            bool is_prefix = false;
        };
        const Slot* find(std::uint64_t hi, std::uint64_t lo, std::uint8_t len_index) const;
        Slot& insert(std::uint64_t hi, std::uint64_t lo, std::uint8_t len_index);

        std::vector<Slot> slots_;  // size a power of two, load <= 1/2
        std::size_t used_ = 0;
        std::vector<std::uint8_t> lengths_;  // distinct prefix lengths, ascending
    };

    void build_v4(std::vector<const Route*>& routes);

    std::unique_ptr<std::uint32_t[], Free> tbl24_;
    std::vector<std::uint32_t> tbl8_;
    Hashed small_v4_, v6_;
    std::size_t v4_routes_ = 0, v6_routes_ = 0;
};

}  // namespace sr::prox
