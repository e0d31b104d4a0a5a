#include "prox/ctl_commands.hpp"

#include "core/exit.hpp"

#include <memory>

namespace sr::prox {

void add_ctl_commands(CLI::App& app, const ClientOptions& opts, Commands& commands) {
    auto* prox = app.add_subcommand("prox", "Show sr-proxd's state; ask its BGP peers for a refresh");
    prox->require_subcommand(1);
    auto list_view = [&](CLI::App* sub, const char* method, const char* list, std::vector<std::string> columns,
                         std::function<Value()> params) {
        commands.push_back({sub, [&opts, method, list, columns, params] {
            Client c(opts.socket_for("proxd"), opts.timeout_ms);
            Value r = c.call(method, params ? params() : Value::object());
            Output out(opts.output(), columns);
            if (!list) {
                out.row(r);
                return exit_ok;
            }
            for (const auto& row : r[list]) out.row(row);
            return r[list].empty() ? exit_no_result : exit_ok;
        }});
    };
    list_view(prox->add_subcommand("peers", "BGP peers: session state, uptime, prefixes received"), "prox.peers",
              "peers", {"address", "as", "state", "uptime_s", "prefixes", "last_error"}, nullptr);
    auto* igp = prox->add_subcommand("igp", "The live IGP: adjacencies and their state, or the LSDB by area and type");
    auto lsdb = std::make_shared<bool>(false);
    igp->add_flag("--lsdb", *lsdb, "Print the link-state database's summary instead of the adjacencies");
    commands.push_back({igp, [&opts, lsdb] {
        Client c(opts.socket_for("proxd"), opts.timeout_ms);
        Value r = c.call("prox.igp", Value::object());
        const char* list = *lsdb ? "lsdb" : "adjacencies";
        Output out(opts.output(), *lsdb ? std::vector<std::string>{"protocol", "area", "type", "count", "max_age"}
                                        : std::vector<std::string>{"protocol", "interface", "area", "neighbor",
                                                                   "address", "state", "role", "uptime_s"});
        for (const auto& row : r[list]) out.row(row);
        return r[list].empty() ? exit_no_result : exit_ok;
    }});
    list_view(prox->add_subcommand("summary", "What the topology holds and where it came from"), "prox.summary",
              nullptr, {"routers", "links", "internal_prefixes", "external_prefixes", "peers_established", "version"},
              nullptr);
    auto* route = prox->add_subcommand("route", "The routes that match a prefix or address, best first");
    auto prefix = std::make_shared<std::string>();
    route->add_option("PREFIX", *prefix, "A prefix (CIDR) or an address")->required();
    list_view(route, "prox.route", "routes", {"prefix", "router", "source", "next_hop", "as_path", "cost"},
              [prefix] { return Value{{"prefix", *prefix}}; });
    auto* refresh = prox->add_subcommand("refresh", "Ask BGP peers to send their routes again (ROUTE-REFRESH)");
    auto peer = std::make_shared<std::string>();
    refresh->add_option("PEER", *peer, "One peer's address (default: every peer)");
    list_view(refresh, "prox.refresh", nullptr, {"asked"}, [peer] {
        return peer->empty() ? Value::object() : Value{{"peer", *peer}};
    });
    list_view(prox->add_subcommand("map", "The network map: each PID (router) and its prefixes"), "prox.map", "pids",
              {"pid", "prefixes"}, nullptr);
}

}  // namespace sr::prox
