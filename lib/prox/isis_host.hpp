// sr-proxd's IS-IS: the sans-IO router (isis/router.hpp) on AF_PACKET
// sockets (issue 12). The only file of the IS-IS code that does I/O.
//
// One packet socket per configured interface, bound to it, with a BPF
// filter that passes only 802.3 frames carrying the IS-IS LLC header
// (0xFE 0xFE 0x03), and the interface joined to the IS-IS multicast
// addresses (AllL1ISs, AllL2ISs, AllISs). Frames we sent, which the socket
// also sees, are skipped. Sending builds the 802.3 frame: the destination,
// our MAC, the length, the LLC header, the PDU.
//
// After every call the host carries out the effects (sends, a log line per
// adjacency change, dropped PDUs counted and logged at a bounded rate) and
// calls on_change when a level's database changed.
//
// Packet sockets need CAP_NET_RAW: without it start() throws
// Error("permission") saying so. A missing interface is Error("config").
#pragma once

#include "core/loop.hpp"
#include "core/rpc.hpp"
#include "core/value.hpp"
#include "prox/isis/router.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

struct event;

namespace sr::prox {

// One --isis-interface: "IFNAME [level=1|2|1-2] [type=broadcast|p2p]
// [metric=N] [hello=S] [auth=none|cleartext|md5] [key-file=PATH]".
struct IsisInterfaceSpec {
    std::string ifname;
    isis::CircuitConfig settings;  // MAC, addresses, MTU and circuit id come from the system at start
};
IsisInterfaceSpec parse_isis_interface(const std::string& spec);  // throws Error("config"); reads the key file

// One --isis-lsp-auth: "KIND key-file=PATH [level=1|2|1-2] [snp]": the
// authentication of the LSPs (and with snp, the CSNPs and PSNPs) of a level.
struct IsisLspAuthSpec {
    isis::Auth auth;
    int levels = 3;
    bool snp = false;
};
IsisLspAuthSpec parse_isis_lsp_auth(const std::string& spec);

struct IsisConfig {
    std::string net;  // our NET: area and system id
    std::string hostname;
    std::vector<IsisInterfaceSpec> interfaces;
    std::vector<IsisLspAuthSpec> lsp_auth;
};

class IsisHost {
  public:
    IsisHost(Loop& loop, IsisConfig cfg, rpc::Counters& counters);
    ~IsisHost();

    void start();  // throws Error("permission") without CAP_NET_RAW, Error("config") for a bad interface
    void stop();

    std::vector<const isis::Lsdb*> databases() const;  // of the levels run
    isis::SystemId system() const;
    bool loading() const;
    Value adjacencies() const;  // prox.igp
    Value lsdb_summary() const;

    std::function<void()> on_change;

  private:
    struct Socket;
    void open(Socket& s, std::size_t index);
    void on_readable(Socket& s);
    void apply(std::vector<isis::Effect> effects);

    Loop& loop_;
    IsisConfig cfg_;
    rpc::Counters& counters_;
    std::vector<std::unique_ptr<Socket>> sockets_;
    std::unique_ptr<isis::Router> router_;
    std::unique_ptr<Timer> timer_;
    std::array<std::uint64_t, 2> versions_{};
    std::map<std::string, std::uint64_t> drops_;
};

}  // namespace sr::prox
