// An OSPF area's link-state database, and the topology it describes
// (issue 12). Sans-IO: LSAs in with the time, a Topology out.
//
// THE DATABASE (RFC 2328 12, 13, 14)
//   One entry per LSA key (type, link state id, advertising router): the LSA
//   as received (its bytes, for flooding and for answering LS Requests) and
//   decoded, with the time it was installed. An LSA's age is its age on
//   arrival plus the seconds since, up to MaxAge. install() keeps the
//   newer of two instances by RFC 2328 13.1 (higher sequence number, then
//   higher checksum, then MaxAge, then an age younger by more than
//   MaxAgeDiff). expire() removes what reached MaxAge (the neighbour state
//   machine, which knows about retransmission lists, decides when), and
//   every install or removal bumps version(), so a rebuild knows when to run.
//
// THE TOPOLOGY (RFC 2328 16.1, without next hops)
//   A router per router-LSA (but `self`, the passive router: it carries no
//   traffic and is no endpoint), named by the caller's names or by its id
//   in dotted quad. Links are arcs with the advertising router's own cost,
//   so costs stay asymmetric, and only where the other side links back (the
//   two-way check of 16.1 (2)(b)):
//   - a point-to-point link to router N: R -> N;
//   - a transit link to the network whose designated router's address is
//     its id: R -> every other router the network-LSA lists that links to
//     it too, at R's cost to the network (the network's own cost to its
//     routers is 0 in OSPF, so the pair needs no pseudo-node);
//   - a stub link: its prefix, attached to R;
//   - the address of R on each point-to-point and transit link (the link
//     data): R's own, so BGP next hops on those links resolve to R.
//   The network-LSA's prefix is attached to its designated router; summary
//   prefixes to their ABR and AS-external ones to their ASBR, each when no
//   router has that prefix already (the intra-area route wins, as in 16.2).
#pragma once

#include "prox/ospf/wire.hpp"
#include "prox/topology.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sr::prox::ospf {

inline constexpr std::uint16_t kMaxAgeDiff = 900;  // seconds (RFC 2328 B)

struct LsdbEntry {
    std::string bytes;
    Lsa lsa;
    std::int64_t installed_us = 0;
};

class Lsdb {
  public:
    enum class Compare { newer, same, older };
    // How an instance with header `h` (received now) compares with ours.
    Compare compare(const LsaHeader& h, std::int64_t now_us) const;

    // Installs the LSA if it is newer than what is held (or new); returns
    // whether it was. Throws OspfError for bytes that are not a valid LSA.
    bool install(std::string_view bytes, std::int64_t now_us);
    const LsdbEntry* find(const LsaKey& k) const;
    // The LSA's current age (seconds, at most MaxAge).
    std::uint16_t age(const LsdbEntry& e, std::int64_t now_us) const;
    // The LSA's bytes with its current age written in (as flooded and sent).
    std::string aged_bytes(const LsdbEntry& e, std::int64_t now_us) const;
    // The headers of every LSA, with current ages (a Database Description's).
    std::vector<LsaHeader> headers(std::int64_t now_us) const;
    // Removes the LSAs that have reached MaxAge; returns their keys.
    std::vector<LsaKey> expire(std::int64_t now_us);
    void remove(const LsaKey& k);

    std::size_t size() const { return entries_.size(); }
    std::uint64_t version() const { return version_; }
    const std::map<LsaKey, LsdbEntry>& entries() const { return entries_; }

  private:
    std::map<LsaKey, LsdbEntry> entries_;
    std::uint64_t version_ = 0;
};

// The name of a router id, or empty for the dotted quad.
using RouterNames = std::function<std::string(std::uint32_t router_id)>;

Topology build_topology(const Lsdb& db, std::int64_t now_us, std::uint32_t self, const RouterNames& names = {});
// Several areas as one topology: an area border router is one router, with
// the links of its router-LSA in each area.
Topology build_topology(const std::vector<const Lsdb*>& areas, std::int64_t now_us, std::uint32_t self,
                        const RouterNames& names = {});

}  // namespace sr::prox::ospf
