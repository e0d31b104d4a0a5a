// sr-dhtd: a Pastry overlay node with DHT storage. See sr-dhtd(8).
#include "core/daemon.hpp"
#include "core/error.hpp"
#include "core/exit.hpp"
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
            std::cout << sr::config_text(cl.app);
            return 0;
        }
        sr::Daemon daemon("dhtd", cl.common);
        cfg.proxd_socket = daemon.runtime_dir() + "/proxd.sock";
        sr::dht::Node node(daemon.loop(), cfg, daemon.counters());
        sr::dht::add_methods(daemon.registry(), node);
        daemon.registry().stats_source([&node] { return node.counters_value(); });
        daemon.registry().set_health([&node] {
            return sr::Value{{"health", node.health()},
                             {"security", node.config().transport.key ? "overlay key" : "open overlay"},
                             {"detail", node.info()}};
        });
        daemon.on_stop = [&] {
            node.stop();
            daemon.finish_stop();
        };
        sr::reload_on_hup<sr::dht::CommandLine>(daemon, argc, argv, [&](sr::dht::CommandLine& fresh) {
            node.reload(sr::dht::make_node_config(fresh.dht, fresh.common));
        });
        daemon.listen();
        node.start([&] { daemon.ready("joined as " + node.self().id.hex()); });
        daemon.run();
        sr::log::info("stopped");
        return 0;
    } catch (const sr::Error& e) {
        sr::log::error(e.what());
        return sr::exit_for_error_code(e.code);  // config 78, busy 75, others 70
    }
}
