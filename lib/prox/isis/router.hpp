// sr-proxd's passive IS-IS router (issue 12): adjacencies, database
// synchronisation and flooding, and our own LSP, at levels 1 and 2.
// Sans-IO (DESIGN §2): PDUs and the time in, effects out; the host
// (prox/isis_host) owns the AF_PACKET sockets.
//
// WHAT IT IS
//   An intermediate system that learns each level's whole database and
//   carries no traffic: its LSP sets the overload bit (ISO 10589 7.3.14.5,
//   so no router computes a path through it), it has priority 0 on LANs
//   (it is never the DIS and originates no pseudonode LSP), and it
//   originates nothing but its own LSP (fragment 0). Otherwise:
//   - Adjacencies (8.2, 8.4): on a point-to-point circuit, the three-way
//     handshake of RFC 5303 (Down, Initializing, Up); on a LAN, one per
//     level, Up once the neighbour's Hello lists our MAC address, the DIS
//     taken from the neighbours' Hellos. Level 1 needs a common area.
//   - Synchronisation (7.3.15, 7.3.17): on a point-to-point circuit, a CSNP
//     when the adjacency comes up, every LSP acknowledged by a PSNP and
//     retransmitted until acknowledged; on a LAN, the DIS's periodic CSNPs
//     compared with our database: what we lack is asked for in a PSNP, what
//     we hold newer is sent.
//   - Flooding: a newer LSP is installed and sent on every other circuit of
//     its level. An LSP claiming to be ours (our system id) steps our
//     sequence number past it, or, when it is not one we originate, is
//     purged.
//   - Lifetimes: LSPs age; a purge is kept ZeroAgeLifetime; ours is
//     refreshed every 15 minutes and re-originated (at most once a second)
//     when an adjacency comes or goes.
//   - Authentication: the Hellos of each circuit, and the LSPs (and, when
//     asked, the SNPs) of each level, cleartext or HMAC-MD5 (RFC 5304).
//
// HOW EVENTS FLOW
//   start(now), receive(circuit, source MAC, PDU, now), tick(now) when
//   now >= next_wakeup(); the host carries out the Effects: Send{circuit,
//   destination MAC, PDU} (the host adds the 802.3 and LLC headers),
//   AdjacencyChanged (log it), Dropped (count it, log it at a bounded rate).
//   lsdb(level).version() changes with every install or removal.
//
// BOUNDS
//   Adjacencies per circuit (kMaxAdjacencies) and LSPs per level (max_lsps):
//   past either, new ones are dropped and counted.
#pragma once

#include "prox/isis/lsdb.hpp"
#include "prox/isis/wire.hpp"

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

namespace sr::prox::isis {

inline constexpr Mac kAllL1Iss{0x01, 0x80, 0xc2, 0x00, 0x00, 0x14};
inline constexpr Mac kAllL2Iss{0x01, 0x80, 0xc2, 0x00, 0x00, 0x15};
inline constexpr Mac kAllIss{0x09, 0x00, 0x2b, 0x00, 0x00, 0x05};
inline constexpr std::size_t kMaxAdjacencies = 256;
inline constexpr std::int64_t kLspRefreshUs = 900'000'000;
inline constexpr std::int64_t kLspRetransmitUs = 5'000'000;
inline constexpr std::int64_t kMinLspGenerationUs = 1'000'000;

enum class AdjacencyState { down, initializing, up };
const char* state_name(AdjacencyState s);

struct CircuitConfig {
    std::string name;  // for logs and prox.igp
    Mac mac{};
    bool point_to_point = false;
    int levels = 2;  // 1, 2 or 3 (both)
    std::uint32_t metric = 10;
    std::uint16_t hello_interval = 3;    // seconds
    std::uint16_t hello_multiplier = 10; // holding time = interval x multiplier
    std::uint32_t circuit_id = 1;        // the extended local circuit id (the ifindex)
    std::uint16_t mtu = 1497;            // the largest PDU (Ethernet MTU less the LLC header)
    std::vector<std::uint32_t> ipv4_addresses;  // host order, for Hellos and our LSP
    std::vector<Prefix> prefixes;               // the circuit's subnets, reachable through us
    std::vector<Address> ipv6_link_local;
    Auth hello_auth;
};

struct RouterConfig {
    SystemId system{};
    std::string area;      // bytes: the area address of our NET
    std::string hostname;  // RFC 5301, may be empty
    std::vector<CircuitConfig> circuits;
    std::array<Auth, 2> lsp_auth;  // per level (index level - 1)
    bool snp_auth = false;         // sign and check SNPs too (FRR: "authenticate snp")
    std::size_t max_lsps = 100'000;
};

struct Send {
    std::size_t circuit = 0;
    Mac destination{};
    std::string pdu;
};
struct AdjacencyChanged {
    std::size_t circuit = 0;
    SystemId system{};
    int level = 2;  // 3: a point-to-point adjacency at both levels
    AdjacencyState from = AdjacencyState::down, to = AdjacencyState::down;
    std::string reason;
};
struct Dropped {
    std::size_t circuit = 0;
    Mac source{};
    std::string reason;
};
using Effect = std::variant<Send, AdjacencyChanged, Dropped>;

struct RouterCounters {
    std::uint64_t pdus_in = 0, pdus_out = 0, dropped = 0;
    std::uint64_t lsps_installed = 0, lsps_refused = 0, retransmissions = 0;
    std::uint64_t adjacencies_lost = 0, originated = 0;
};

class Router {
  public:
    struct Adjacency {
        SystemId system{};
        Mac mac{};
        int level = 2;  // LAN: its level; point-to-point: the levels both run (1, 2, 3)
        AdjacencyState state = AdjacencyState::down;
        std::uint8_t priority = 0;
        std::array<std::uint8_t, 7> lan_id{};  // the DIS it names
        std::optional<std::uint32_t> circuit_id;  // point-to-point: its extended circuit id
        std::string hostname;
        std::int64_t holding_until = 0;
        std::int64_t up_since = 0;
        bool heard_up = false;  // point-to-point: its Hellos have said Up since ours is
    };
    struct Circuit {
        CircuitConfig cfg;
        std::vector<Adjacency> adjacencies;
        std::int64_t hello_at = 0;
        // Flooding state per level: LSPs to send, with when they were last
        // sent (0: not yet; point-to-point keeps them until acknowledged),
        // and the entries to send in a PSNP (acknowledgments, requests).
        std::array<std::map<LspId, std::int64_t>, 2> srm;
        std::array<std::map<LspId, LspEntry>, 2> ssn;
        std::int64_t retransmit_at = INT64_MAX;
    };

    explicit Router(RouterConfig cfg);  // throws std::invalid_argument for a bad config

    std::vector<Effect> start(std::int64_t now);
    std::vector<Effect> receive(std::size_t circuit, const Mac& source, std::string_view pdu, std::int64_t now);
    std::vector<Effect> tick(std::int64_t now);
    std::int64_t next_wakeup() const;

    const Lsdb& lsdb(int level) const { return lsdbs_.at(static_cast<std::size_t>(level - 1)); }
    const std::vector<Circuit>& circuits() const { return circuits_; }
    const RouterConfig& config() const { return cfg_; }
    const RouterCounters& counters() const { return counters_; }
    bool runs(int level) const;

  private:
    using Out = std::vector<Effect>;
    void hello(Out& out, std::size_t c, const Mac& source, const Hello& h);
    void lsp(Out& out, std::size_t c, const Mac& source, std::string bytes, Lsp l);
    void snp(Out& out, std::size_t c, const Snp& s);
    void set_state(Out& out, std::size_t c, Adjacency& a, AdjacencyState to, const std::string& reason);
    void send_hellos(Out& out, std::size_t c);
    void send_csnp(Out& out, std::size_t c, int level);
    void flush(Out& out, std::size_t c, bool retransmit);  // SRM and SSN of a circuit
    std::array<std::uint8_t, 7> lan_id(const Circuit& circuit, int level) const;
    void flood(const LspId& id, int level, std::optional<std::size_t> except);
    bool adjacent(const Circuit& circuit, int level) const;
    void originate(int level);
    void schedule_origination();
    void self_originated(int level, const Lsp& received);
    void check_own(int level, const LspEntry& e);
    void purge(int level, const LsdbEntry& e);
    void send(Out& out, std::size_t c, const Mac& to, const Pdu& p, const Auth& auth);
    void drop(Out& out, std::size_t c, const Mac& source, std::string reason);
    const Auth& snp_auth(int level) const;
    static int level_bit(int level) { return level == 1 ? 1 : 2; }

    RouterConfig cfg_;
    std::vector<Circuit> circuits_;
    std::array<Lsdb, 2> lsdbs_;
    std::array<std::uint32_t, 2> our_seq_{0, 0};
    RouterCounters counters_;
    std::int64_t now_ = 0;
    std::int64_t originated_at_ = INT64_MIN / 2;
    std::int64_t originate_at_ = INT64_MAX;
    std::int64_t expire_at_ = INT64_MAX;
};

}  // namespace sr::prox::isis
