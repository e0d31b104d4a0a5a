// sr-dhtd: a Pastry overlay node with DHT storage. See sr-dhtd(8).
#include "core/daemon.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "dht/config.hpp"
#include "dht/methods.hpp"
#include "dht/node.hpp"

#include <iostream>

int main(int argc, char** argv) {
    sr::log::set_program("sr-dhtd");
    sr::dht::CommandLine cl;
    if (auto status = cl.parse(argc, argv)) return *status;
    try {
        sr::dht::NodeConfig cfg = sr::dht::make_node_config(cl.dht, cl.common);
        if (cl.common.check) {
            std::cout << cl.app.config_to_str(true, false);
            return 0;
        }
        sr::Daemon daemon("dhtd", cl.common);
        cfg.proxd_socket = daemon.runtime_dir() + "/proxd.sock";
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
        daemon.on_reload = [&] {
            // Read flags and the -c file again; a bad configuration keeps the old one.
            sr::dht::CommandLine fresh;
            try {
                if (fresh.parse(argc, argv)) throw sr::Error("config", "the command line no longer parses");
                daemon.set_log_level(fresh.common);
                node.reload(sr::dht::make_node_config(fresh.dht, fresh.common));
            } catch (const sr::Error& e) {
                sr::log::error("reload failed, keeping the running configuration: ", e.what());
            }
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
