// sr-dhtd: a Pastry overlay node with DHT storage. See sr-dhtd(8).
#include "core/daemon.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "dht/config.hpp"
#include "dht/methods.hpp"
#include "dht/node.hpp"

#include <iostream>

int main(int argc, char** argv) {
    CLI::App app{"sr-dhtd: Pastry overlay node and DHT store of the service routing layer", "sr-dhtd"};
    sr::DaemonOptions common;
    sr::dht::DhtOptions dht;
    sr::add_daemon_options(app, common, "dhtd");
    sr::dht::add_dht_options(app, dht);
    if (auto status = sr::parse_command_line(app, argc, argv)) return *status;
    try {
        sr::dht::NodeConfig cfg = sr::dht::make_node_config(dht, common);
        if (common.check) {
            std::cout << app.config_to_str(true, false);
            return 0;
        }
        sr::Daemon daemon("dhtd", common);
        sr::dht::Node node(daemon.loop(), cfg, daemon.counters());
        sr::dht::add_methods(daemon.registry(), node);
        daemon.registry().stats_source([&node] { return node.counters_value(); });
        daemon.registry().set_health([&node] {
            return sr::Value{{"health", node.joined() ? "ok" : "joining"}, {"detail", node.info()}};
        });
        daemon.on_stop = [&] {
            node.stop();
            daemon.finish_stop();
        };
        daemon.listen();
        node.start([&] { daemon.ready("joined as " + node.self().id.hex()); });
        daemon.run();
        sr::log::info("stopped");
        return 0;
    } catch (const sr::Error& e) {
        sr::log::error(e.what());
        return e.code == "config" ? 78 : e.code == "busy" ? 75 : 70;
    }
}
