#include "prox/config.hpp"

#include "core/http_listen.hpp"
#include "core/error.hpp"

#include <unistd.h>

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
    app.add_option("--isis-interface", o.isis_interfaces,
                   "Join IS-IS on an interface as a router that carries no traffic: \"IFNAME [level=1|2|1-2] "
                   "[type=broadcast|p2p] [metric=N] [hello=S] [auth=none|cleartext|md5] [key-file=PATH]\" "
                   "(repeatable; needs CAP_NET_RAW)");
    app.add_option("--isis-net", o.isis_net, "Our IS-IS NET: area and system id (49.0001.0000.0000.0099.00)");
    app.add_option("--isis-hostname", o.isis_hostname, "Our dynamic hostname in IS-IS (default: the host's name)");
    app.add_option("--isis-lsp-auth", o.isis_lsp_auth,
                   "Authentication of a level's LSPs: \"cleartext|md5 key-file=PATH [level=1|2|1-2] [snp]\" "
                   "(snp: the CSNPs and PSNPs too)");
    app.add_option("--igp-names", o.igp_names,
                   "File of \"ROUTER-ID NAME\" lines naming the IGP's routers (an OSPF router id or an IS-IS system id)");
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
    if (!o.alto_listen.empty()) {
        try {
            parse_listen(o.alto_listen);  // as the start would, so that -n refuses what the start refuses
        } catch (const Error& e) {
            throw Error("config", std::string("--alto-listen: ") + e.what());
        }
    }
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
    for (const auto& spec : o.isis_interfaces) cfg.isis.interfaces.push_back(parse_isis_interface(spec));
    for (const auto& spec : o.isis_lsp_auth) cfg.isis.lsp_auth.push_back(parse_isis_lsp_auth(spec));
    cfg.isis.net = o.isis_net;
    cfg.isis.hostname = o.isis_hostname;
    if (!cfg.isis.interfaces.empty()) {
        if (!cfg.ospf_interfaces.empty())
            throw Error("config", "--isis-interface and --ospf-interface cannot be combined: one IGP per sr-proxd");
        if (!o.upstream.empty()) throw Error("config", "--upstream (gateway mode) cannot be combined with --isis-interface");
        if (o.isis_net.empty()) throw Error("config", "--isis-interface needs --isis-net");
        try {
            isis::parse_system_id(o.isis_net);
            isis::net_area(o.isis_net);
        } catch (const isis::IsisError& e) {
            throw Error("config", std::string("--isis-net: ") + e.what());
        }
        for (std::size_t i = 0; i < cfg.isis.interfaces.size(); ++i)
            for (std::size_t j = 0; j < i; ++j)
                if (cfg.isis.interfaces[i].ifname == cfg.isis.interfaces[j].ifname)
                    throw Error("config", "--isis-interface " + cfg.isis.interfaces[i].ifname + " given twice");
        if (cfg.isis.hostname.empty()) {
            char host[256] = {};
            if (gethostname(host, sizeof host - 1) == 0) cfg.isis.hostname = host;
        }
    } else if (!o.isis_net.empty() || !o.isis_lsp_auth.empty()) {
        throw Error("config", "--isis-net and --isis-lsp-auth need --isis-interface");
    }
    return cfg;
}

}  // namespace sr::prox
