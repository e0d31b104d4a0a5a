// sr-proxd's options (-c file, flags, environment) and their translation
// into a ServiceConfig, validated, so that -n can check a configuration.
#pragma once

#include "core/daemon.hpp"
#include "prox/service.hpp"

#include <CLI/CLI.hpp>

namespace sr::prox {

struct ProxOptions {
    std::vector<std::string> topology;
    std::vector<std::string> mrt;
    std::string graphml_weight = "weight";
    std::uint32_t bgp_as = 0;
    std::string bgp_router_id;
    std::vector<std::string> bgp_peers;
    std::uint16_t bgp_hold = 90;
    std::vector<std::string> ospf_interfaces;
    std::string ospf_router_id;
    std::string igp_names;
    std::vector<std::string> isis_interfaces;
    std::string isis_net;
    std::string isis_hostname;
    std::vector<std::string> isis_lsp_auth;
    std::uint64_t as_hop_penalty = 1000;
    std::string alto_listen;
    std::string alto_url;
    std::string upstream;
    double upstream_poll = 30;
};

struct CommandLine {
    CLI::App app{"sr-proxd: topological proximity from routing, for pipelines, ALTO clients and the overlay",
                 "sr-proxd"};
    DaemonOptions common;
    ProxOptions prox;

    CommandLine();
    std::optional<int> parse(int argc, char** argv, std::ostream& err = std::cerr) {
        return parse_command_line(app, argc, argv, err);
    }
};

// Throws Error("config") naming what is wrong.
ServiceConfig make_service_config(const ProxOptions& o);

}  // namespace sr::prox
