// sr-cached: the in-network HTTP cache and service proxy. See sr-cached(8).
#include "core/http_admission.hpp"
#include "cache/cache.hpp"
#include "cache/config.hpp"
#include "cache/methods.hpp"
#include "core/daemon.hpp"
#include "core/error.hpp"
#include "core/exit.hpp"
#include "core/log.hpp"
#include "core/net_limits.hpp"

#include <iostream>

int main(int argc, char** argv) {
    sr::log::set_program("sr-cached");
    sr::cache::CommandLine cl;
    if (auto status = cl.parse(argc, argv)) return *status;
    // Before the config is checked: --max-connections is weighed against this limit.
    sr::net::raise_fd_limit();
    try {
        sr::cache::CacheConfig cfg = sr::cache::make_cache_config(cl.cache, cl.common);
        if (cl.common.check) {
            std::cout << sr::config_text(cl.app);
            return 0;
        }
        sr::Daemon daemon("cached", cl.common);
        sr::cache::Cache cache(daemon.loop(), cfg, daemon.counters(), daemon.runtime_dir());
        sr::cache::add_methods(daemon.registry(), cache);
        daemon.registry().set_health([&cache] {
            return sr::Value{{"health", cache.health()}, {"security", "cooperation " + cache.cooperation_mode()}};
        });
        daemon.on_stop = [&] {
            cache.stop();  // in-flight fills end; the index is marked clean
            daemon.finish_stop();
        };
        sr::reload_on_hup<sr::cache::CommandLine>(daemon, argc, argv, [&](sr::cache::CommandLine& fresh) {
            cache.reload(sr::cache::make_cache_config(fresh.cache, fresh.common));
        });
        cache.start();
        daemon.listen();
        daemon.ready();
        daemon.run();
        sr::log::info("stopped");
        return 0;
    } catch (const sr::Error& e) {
        sr::log::error(e.what());
        return sr::exit_for_error_code(e.code);  // config 78, busy 75, others 70
    }
}
