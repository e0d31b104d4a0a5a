// Routes as the BGP session reports them (RoutesChanged) and the Adj-RIB-In
// stores them (Attributes): the attributes sr-proxd needs for the proximity
// model (DESIGN §7: next hop -> egress router, AS-path hops -> penalty),
// without the wire's detail. Shared by session.hpp and rib.hpp.
#pragma once

#include "prox/address.hpp"
#include "prox/bgp/wire.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace sr::prox::bgp {

struct Attributes {
    Address next_hop;                            // IPv4 NEXT_HOP, or the MP_REACH next hop
    std::optional<Address> next_hop_link_local;  // IPv6 link-local next hop when sent
    std::vector<std::uint32_t> as_path;          // every AS of AS_SEQUENCE and AS_SET segments, in order
                                                 // (confederation segments left out)
    std::uint32_t path_len = 0;                  // RFC 4271 §9.1.2.2 length: an AS_SET counts 1
    bool has_as_set = false;
    Origin origin = Origin::incomplete;
    std::optional<std::uint32_t> local_pref;  // iBGP only (ignored from eBGP peers, RFC 4271 §5.1.5)
    std::optional<std::uint32_t> med;
    bool atomic_aggregate = false;
    std::vector<std::uint32_t> communities;
    std::vector<LargeCommunity> large_communities;

    std::uint32_t path_length() const { return path_len; }
    // The originating AS: the last AS of a path without AS_SET.
    std::optional<std::uint32_t> origin_as() const {
        if (has_as_set || as_path.empty()) return std::nullopt;
        return as_path.back();
    }
    bool operator==(const Attributes&) const = default;
};

struct AttributesHash {
    std::size_t operator()(const Attributes& a) const noexcept;
};

// The Attributes of a route from decoded path attributes, the effective AS
// path and the next hop of its NLRI.
Attributes make_attributes(const PathAttributes& a, const AsPath& path, const Address& next_hop,
                           const std::optional<Address>& link_local, bool ibgp);

// Prefixes announced with one set of attributes.
struct Announcement {
    Attributes attrs;
    std::vector<Prefix> prefixes;
};

// What one UPDATE changed. Apply withdrawals first, then announcements (a
// prefix both withdrawn and announced in one UPDATE ends up announced).
struct RoutesChanged {
    std::vector<Announcement> announced;  // at most two: IPv4 NLRI and MP_REACH
    std::vector<Prefix> withdrawn;
    bool empty() const { return announced.empty() && withdrawn.empty(); }
};

}  // namespace sr::prox::bgp
