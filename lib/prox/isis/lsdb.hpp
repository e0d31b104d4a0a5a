// An IS-IS level's link-state database, and the topology its LSPs describe
// (issue 12). Sans-IO: LSPs in with the time, a Topology out.
//
// THE DATABASE (ISO 10589 7.3.16, 7.3.18)
//   One entry per LSP id (system id, pseudonode, fragment): the LSP's bytes
//   as received (for flooding and for answering PSNPs) and decoded, with the
//   time it was installed and its remaining lifetime then. install() keeps
//   the newer of two instances: the higher sequence number, and at equal
//   numbers a purge (remaining lifetime 0) over a live one. An LSP whose
//   lifetime runs out becomes a purge; expire() removes purges
//   ZeroAgeLifetime after they began. Every install or removal bumps
//   version(), so a rebuild knows when to run.
//
// THE TOPOLOGY (as SPF sees it, without next hops)
//   A router per system with a live fragment 0 (but `self`, the passive
//   router, and pseudonodes), named by its dynamic hostname (RFC 5301), else
//   by the caller's names, else by its system id. Its links, from every
//   live fragment's extended IS reachability (RFC 5305), are arcs at its own
//   metric, and only where the other side links back (the two-way check):
//   - to a router N: R -> N when N lists R;
//   - to a LAN's pseudonode P: R -> every other router P lists that lists P
//     too (P's own metric to its routers is 0, so no pseudo-node is needed).
//   A metric of 0xffffff keeps a link out (RFC 5305 3.1). Extended IP
//   reachability (IPv4, RFC 5305; IPv6, RFC 5308) gives the router its
//   prefixes (the first router holding a prefix keeps it), and the interface
//   addresses (TLVs 132, 232) its own addresses. Several levels give one
//   topology: a level 1-2 router is one router.
#pragma once

#include "prox/isis/wire.hpp"
#include "prox/topology.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace sr::prox::isis {

inline constexpr std::uint16_t kMaxLifetime = 1200;              // MaxAge (ISO 10589 7.3.21)
inline constexpr std::int64_t kZeroAgeLifetimeUs = 60'000'000;  // how long a purge is kept

struct LsdbEntry {
    std::string bytes;
    Lsp lsp;
    std::int64_t installed_us = 0;
};

class Lsdb {
  public:
    enum class Compare { newer, same, older };
    // How an instance described by `e` (received now) compares with ours.
    Compare compare(const LspEntry& e, std::int64_t now_us) const;

    // Installs the LSP if it is newer than what is held (or new); returns
    // whether it was.
    bool install(std::string bytes, Lsp lsp, std::int64_t now_us);
    const LsdbEntry* find(const LspId& id) const;
    // The remaining lifetime now (0: a purge).
    std::uint16_t lifetime(const LsdbEntry& e, std::int64_t now_us) const;
    // The LSP's bytes with its remaining lifetime now written in.
    std::string current_bytes(const LsdbEntry& e, std::int64_t now_us) const;
    // Every LSP's header with its remaining lifetime now, in LSP id order (a CSNP's).
    std::vector<LspEntry> entries(std::int64_t now_us) const;
    // Removes the purges older than ZeroAgeLifetime; returns their ids.
    std::vector<LspId> expire(std::int64_t now_us);

    std::size_t size() const { return entries_.size(); }
    std::uint64_t version() const { return version_; }
    const std::map<LspId, LsdbEntry>& all() const { return entries_; }

  private:
    std::map<LspId, LsdbEntry> entries_;
    std::map<LspId, std::int64_t> purged_at_;  // when each purge began
    std::uint64_t version_ = 0;
};

// The name of a system id ("0000.0000.0001"), or empty for the default.
using SystemNames = std::function<std::string(const SystemId&)>;

Topology build_topology(const std::vector<const Lsdb*>& levels, std::int64_t now_us, const SystemId& self,
                        const SystemNames& names = {});

}  // namespace sr::prox::isis
