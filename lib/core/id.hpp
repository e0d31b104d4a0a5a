// 128-bit identifiers: Pastry node ids and DHT keys (DESIGN §6).
//
// An Id is two 64-bit words, most significant first, so that comparison,
// ring arithmetic and digit extraction are plain integer operations. Text
// form is 32 lowercase hex digits; on the wire it is a 16-byte msgpack bin.
// Names become keys by SHA-256 over "namespace:name", first 128 bits.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sr {

struct Id {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;

    static constexpr int bits = 128;

    auto operator<=>(const Id&) const = default;

    // Digit i (0 = most significant) in base 2^b, b dividing 64.
    unsigned digit(int i, int b = 4) const;
    // Number of leading base-2^b digits shared with other.
    int shared_prefix(const Id& other, int b = 4) const;

    Id operator+(const Id& o) const;
    Id operator-(const Id& o) const;  // modulo 2^128

    std::string hex() const;
    std::array<std::uint8_t, 16> bytes() const;

    static std::optional<Id> from_hex(std::string_view s);
    static Id from_bytes(const std::uint8_t* p);  // 16 bytes, big endian
    static Id random();                           // from the OpenSSL CSPRNG
    // SHA-256 of "ns:name" (or of name when ns is empty), first 128 bits.
    static Id hash(std::string_view ns, std::string_view name);
};

// Clockwise distance from a to b on the ring of 2^128 ids.
inline Id cw_distance(const Id& a, const Id& b) { return b - a; }
// Shorter of the two ways round the ring: Pastry's "numerically closest".
Id ring_distance(const Id& a, const Id& b);
// True when a is strictly closer to key than b (ties broken by smaller id,
// so every node agrees on one root).
bool closer_to(const Id& key, const Id& a, const Id& b);

struct IdHash {
    std::size_t operator()(const Id& id) const noexcept { return id.hi ^ (id.lo * 0x9e3779b97f4a7c15ULL); }
};

}  // namespace sr
