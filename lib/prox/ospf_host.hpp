// sr-proxd's OSPF: the sans-IO router of each area (ospf/router.hpp) on raw
// IP sockets (issue 12). The only file of the OSPF code that does I/O.
//
// One raw socket of protocol 89 per configured interface, bound to the
// device (SO_BINDTODEVICE, so each socket hears its own link only), joined
// to AllSPFRouters (224.0.0.5) there, sending with TTL 1 and the
// internetwork-control precedence. A priority-0 router never needs to hear
// AllDRouters. Packets come with their IP header, from which the source
// address is taken; ours (looped back) are ignored by router id.
//
// Interfaces are grouped by area: one ospf::Router per area, each with its
// own timer at its next_wakeup(). After every call the host carries out the
// effects (sends, logs a neighbour's state change at info level, counts and
// logs dropped packets at a bounded rate) and calls on_change when an
// area's database changed, so the service rebuilds.
//
// Raw sockets need CAP_NET_RAW: without it start() throws
// Error("permission") saying so. An interface that does not exist or has no
// IPv4 address is a configuration error (Error("config")).
#pragma once

#include "core/loop.hpp"
#include "core/rpc.hpp"
#include "core/value.hpp"
#include "prox/ospf/router.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

struct event;

namespace sr::prox {

// One --ospf-interface: "IFNAME [area=A] [cost=N] [type=broadcast|p2p]
// [hello=S] [dead=S] [retransmit=S] [auth=none|simple|md5|hmac-sha1|
// hmac-sha256|hmac-sha384|hmac-sha512] [key-id=N] [key-file=PATH]".
struct OspfInterfaceSpec {
    std::string ifname;
    std::uint32_t area = 0;
    ospf::InterfaceConfig settings;  // name, address, mask and MTU come from the system at start
};
// Throws Error("config") naming what is wrong; reads the key file.
OspfInterfaceSpec parse_ospf_interface(const std::string& spec);

class OspfHost {
  public:
    OspfHost(Loop& loop, std::uint32_t router_id, std::vector<OspfInterfaceSpec> interfaces, rpc::Counters& counters);
    ~OspfHost();

    void start();  // throws Error("permission") without CAP_NET_RAW, Error("config") for a bad interface
    void stop();

    // The databases of every area, for the topology.
    std::vector<const ospf::Lsdb*> databases() const;
    // Some adjacency is still exchanging databases (the first load).
    bool loading() const;
    std::uint32_t router_id() const { return router_id_; }
    Value adjacencies() const;  // prox.igp
    Value lsdb_summary() const;

    // Called after an area's database changed.
    std::function<void()> on_change;

  private:
    struct Socket;
    struct Area;
    void open(Socket& s);
    void on_readable(Socket& s);
    void apply(Area& a, std::vector<ospf::Effect> effects);
    void arm(Area& a);

    Loop& loop_;
    std::uint32_t router_id_;
    std::vector<OspfInterfaceSpec> specs_;
    rpc::Counters& counters_;
    std::vector<std::unique_ptr<Socket>> sockets_;
    std::vector<std::unique_ptr<Area>> areas_;
};

}  // namespace sr::prox
