// sr-eventd: Scribe publish/subscribe on sr-dhtd's application API. See sr-eventd(8).
#include "core/daemon.hpp"
#include "core/error.hpp"
#include "core/exit.hpp"
#include "core/log.hpp"
#include "core/runtime_dir.hpp"
#include "event/config.hpp"
#include "event/http.hpp"
#include "event/methods.hpp"
#include "event/service.hpp"

#include <iostream>
#include <optional>

int main(int argc, char** argv) {
    sr::log::set_program("sr-eventd");
    sr::event::CommandLine cl;
    if (auto status = cl.parse(argc, argv)) return *status;
    try {
        std::string runtime_dir = sr::find_runtime_dir(cl.common.runtime_dir).path;
        sr::event::EventConfig cfg = sr::event::make_event_config(cl.event, runtime_dir, cl.common.state_dir);
        auto http_cfg = sr::event::make_http_config(cl.event);
        if (cl.common.check) {
            std::cout << sr::config_text(cl.app);
            return 0;
        }
        sr::Daemon daemon("eventd", cl.common);
        sr::event::EventService service(daemon.loop(), cfg, daemon.counters());
        sr::event::add_methods(daemon.registry(), service);
        std::optional<sr::event::EventHttp> http;
        if (http_cfg) http.emplace(daemon.loop(), service, *http_cfg, daemon.counters());
        daemon.registry().set_health([&service] { return sr::Value{{"overlay", service.linked() ? "linked" : "waiting for sr-dhtd"}}; });
        daemon.on_stop = [&] {
            service.stop();
            daemon.finish_stop();
        };
        sr::reload_on_hup<sr::event::CommandLine>(daemon, argc, argv, [](sr::event::CommandLine&) {
            sr::log::info("reloaded: the log level; other options take effect after a restart");
        });
        // Ready once linked to sr-dhtd: before, every event.* call would fail.
        service.on_first_link = [&daemon] { daemon.ready(); };
        daemon.listen();
        service.start();
        daemon.run();
        sr::log::info("stopped");
        return 0;
    } catch (const sr::Error& e) {
        sr::log::error(e.what());
        return sr::exit_for_error_code(e.code);
    }
}
