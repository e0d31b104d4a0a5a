// IP addresses and prefixes for the proximity module (lib/prox).
//
// One type for both families so that tables, parsers and the BGP core can
// carry either: an Address is 16 bytes in network order, IPv4 in the first
// four. Prefix bits past the length are always zero (normalised on
// construction), so equal prefixes compare equal.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sr::prox {

enum class Family : std::uint8_t { v4 = 4, v6 = 6 };

struct Address {
    Family family = Family::v4;
    std::array<std::uint8_t, 16> bytes{};

    static Address v4(std::uint32_t host_order);
    static std::optional<Address> parse(std::string_view text);  // "192.0.2.1", "2001:db8::1"
    // parse, or the address of an endpoint as the other tools print one:
    // "192.0.2.1:4100", "[2001:db8::1]:4100", "[2001:db8::1]" (the port is
    // ignored), so that a column of sr-ctl dht leafset feeds sr-lookup rank.
    static std::optional<Address> parse_endpoint(std::string_view text);
    std::string str() const;
    std::uint32_t v4_value() const;  // host order; family must be v4
    int max_len() const { return family == Family::v4 ? 32 : 128; }
    bool bit(int i) const { return (bytes[i / 8] >> (7 - i % 8)) & 1; }

    auto operator<=>(const Address&) const = default;
};

struct Prefix {
    Address addr;
    std::uint8_t len = 0;

    // Zeroes the bits past len. len must be <= addr.max_len().
    Prefix(Address a, int len);
    Prefix() = default;
    static std::optional<Prefix> parse(std::string_view text);  // "10.0.0.0/8", "2001:db8::/32"; bare address = host prefix
    std::string str() const;
    bool contains(const Address& a) const;

    auto operator<=>(const Prefix&) const = default;
};

struct AddressHash {
    std::size_t operator()(const Address& a) const noexcept;
};

}  // namespace sr::prox
