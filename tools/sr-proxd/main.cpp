// sr-proxd: topological proximity learned from routing. See sr-proxd(8).
#include "core/daemon.hpp"
#include "core/error.hpp"
#include "core/exit.hpp"
#include "core/log.hpp"
#include "prox/config.hpp"
#include "prox/methods.hpp"
#include "prox/service.hpp"

#include <iostream>

int main(int argc, char** argv) {
    sr::log::set_program("sr-proxd");
    sr::prox::CommandLine cl;
    if (auto status = cl.parse(argc, argv)) return *status;
    try {
        sr::prox::ServiceConfig cfg = sr::prox::make_service_config(cl.prox);
        if (cl.common.check) {
            sr::prox::Service::check(cfg);  // parses the files
            std::cout << sr::config_text(cl.app);
            return 0;
        }
        sr::Daemon daemon("proxd", cl.common);
        sr::prox::Service service(daemon.loop(), cfg, daemon.counters());
        sr::prox::add_methods(daemon.registry(), service);
        daemon.on_stop = [&] {
            service.stop();
            daemon.finish_stop();
        };
        sr::reload_on_hup<sr::prox::CommandLine>(daemon, argc, argv, [&](sr::prox::CommandLine& fresh) {
            service.reload(sr::prox::make_service_config(fresh.prox));  // a bad file keeps the running topology
        });
        service.start();
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
