#include "prox/config.hpp"

#include "core/error.hpp"

namespace sr::prox {

CommandLine::CommandLine() {
    add_daemon_options(app, common, "proxd");
    auto& o = prox;
    app.add_option("-t,--topology", o.topology,
                   "Topology file: native (router/link/prefix lines) or Topology Zoo GraphML (repeatable)");
    app.add_option("--graphml-weight", o.graphml_weight, "GraphML edge attribute holding the IGP metric")
        ->capture_default_str();
    app.add_option("--mrt", o.mrt, "MRT TABLE_DUMP_V2 RIB dump to import (repeatable)");
    app.add_option("--bgp-as", o.bgp_as, "Our AS number for BGP sessions");
    app.add_option("--bgp-router-id", o.bgp_router_id, "Our BGP identifier (an IPv4 address)");
    app.add_option("--bgp-peer", o.bgp_peers,
                   "A BGP peer: \"ADDRESS AS [port=N] [local=ADDRESS] [hold=S] [name=TEXT]\" (repeatable)");
    app.add_option("--bgp-hold", o.bgp_hold, "Hold time we offer, seconds (0 or >= 3)")->capture_default_str();
    app.add_option("--ospf-interface", o.ospf_interfaces,
                   "Join OSPF on an interface as a passive router: \"IFNAME [area=A] [cost=N] [type=broadcast|p2p] "
                   "[hello=S] [dead=S] [retransmit=S] [auth=none|simple|md5|hmac-sha256|...] [key-id=N] "
                   "[key-file=PATH]\" (repeatable; needs CAP_NET_RAW)");
    app.add_option("--ospf-router-id", o.ospf_router_id, "Our OSPF router id (an IPv4 address; default --bgp-router-id)");
    app.add_option("--igp-names", o.igp_names, "File of \"ROUTER-ID NAME\" lines naming the IGP's routers");
    app.add_option("--as-hop-penalty", o.as_hop_penalty, "Cost added per AS-path hop of an external destination")
        ->capture_default_str();
    app.add_option("--alto-listen", o.alto_listen, "Serve ALTO (RFC 7285) over HTTP on ADDR:PORT");
    app.add_option("--alto-url", o.alto_url, "Base URL of the ALTO resources (default http://ALTO_LISTEN)");
    app.add_option("--upstream", o.upstream,
                   "Gateway mode: answer from this ALTO server's maps (its directory URL), with no routing feed");
    app.add_option("--upstream-poll", o.upstream_poll, "Seconds between polls of the upstream's maps")
        ->check(CLI::Range(1.0, 86400.0))
        ->capture_default_str();
}

ServiceConfig make_service_config(const ProxOptions& o) {
    ServiceConfig cfg;
    cfg.topology_files = o.topology;
    cfg.mrt_files = o.mrt;
    cfg.graphml_weight = o.graphml_weight;
    cfg.cost.as_hop_penalty = o.as_hop_penalty;
    cfg.alto_listen = o.alto_listen;
    cfg.alto_base_url = o.alto_url;
    cfg.upstream = o.upstream;
    cfg.upstream_poll_us = static_cast<std::int64_t>(o.upstream_poll * 1e6);
    if (!o.upstream.empty() && (!o.topology.empty() || !o.mrt.empty() || !o.bgp_peers.empty()))
        throw Error("config", "--upstream (gateway mode) cannot be combined with --topology, --mrt or --bgp-peer");
    if (!o.upstream.empty() && o.upstream.rfind("http://", 0) != 0)
        throw Error("config", "--upstream must be an http:// URL of an ALTO directory");
    if (o.bgp_hold != 0 && o.bgp_hold < 3) throw Error("config", "--bgp-hold must be 0 or at least 3");
    cfg.session.hold_time = o.bgp_hold;
    for (const auto& spec : o.bgp_peers) {
        std::uint16_t hold = o.bgp_hold;
        cfg.peers.push_back(parse_peer(spec, &hold));
        cfg.peers.back().hold_time = hold;
    }
    if (!cfg.peers.empty()) {
        if (o.bgp_as == 0) throw Error("config", "--bgp-peer needs --bgp-as");
        auto id = Address::parse(o.bgp_router_id);
        if (!id || id->family != Family::v4 || id->v4_value() == 0)
            throw Error("config", "--bgp-peer needs --bgp-router-id, a non-zero IPv4 address");
        cfg.session.local_as = o.bgp_as;
        cfg.session.router_id = id->v4_value();
    }
    for (const auto& spec : o.ospf_interfaces) cfg.ospf_interfaces.push_back(parse_ospf_interface(spec));
    for (std::size_t i = 0; i < cfg.ospf_interfaces.size(); ++i)
        for (std::size_t j = 0; j < i; ++j)
            if (cfg.ospf_interfaces[i].ifname == cfg.ospf_interfaces[j].ifname)
                throw Error("config", "--ospf-interface " + cfg.ospf_interfaces[i].ifname + " given twice");
    cfg.igp_names_file = o.igp_names;
    if (!cfg.ospf_interfaces.empty()) {
        if (!o.upstream.empty()) throw Error("config", "--upstream (gateway mode) cannot be combined with --ospf-interface");
        std::string id_text = o.ospf_router_id.empty() ? o.bgp_router_id : o.ospf_router_id;
        auto id = Address::parse(id_text);
        if (!id || id->family != Family::v4 || id->v4_value() == 0)
            throw Error("config", "--ospf-interface needs --ospf-router-id (or --bgp-router-id), a non-zero IPv4 address");
        cfg.ospf_router_id = id->v4_value();
    } else if (!o.ospf_router_id.empty()) {
        throw Error("config", "--ospf-router-id without --ospf-interface");
    }
    return cfg;
}

}  // namespace sr::prox
