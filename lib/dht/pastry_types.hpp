// Basic Pastry value types shared by the core (pastry.hpp), its data
// structures (leafset.hpp, routing_table.hpp) and the codec (pastry_wire.hpp).
#pragma once

#include "core/id.hpp"

#include <compare>
#include <cstddef>
#include <cstdint>
#include <string>

namespace sr::pastry {

// A node: its 128-bit id and the transport address the host dials
// ("127.0.0.7:4100", "[::1]:4100"); the address is opaque to the core.
struct NodeRef {
    Id id;
    std::string addr;
    auto operator<=>(const NodeRef&) const = default;
};

// Longest address accepted from the wire or kept in any table.
inline constexpr std::size_t kMaxAddrLen = 255;

// A NodeRef usable as a peer: non-zero id, address of 1..kMaxAddrLen bytes.
inline bool valid_peer(const NodeRef& n) {
    return (n.id.hi | n.id.lo) != 0 && !n.addr.empty() && n.addr.size() <= kMaxAddrLen;
}

}  // namespace sr::pastry
