// sr-streamd: HLS, DASH and progressive MP4 from MP4 files, live HLS from
// MPEG-TS. See sr-streamd(8).
#include "core/daemon.hpp"
#include "core/error.hpp"
#include "core/exit.hpp"
#include "core/log.hpp"
#include "core/runtime_dir.hpp"
#include "stream/announce.hpp"
#include "stream/catalog.hpp"
#include "stream/config.hpp"
#include "stream/channels.hpp"
#include "stream/http.hpp"
#include "stream/ingest.hpp"
#include "stream/methods.hpp"
#include "stream/udp_input.hpp"

#include <iostream>
#include <list>
#include <optional>

int main(int argc, char** argv) {
    sr::log::set_program("sr-streamd");
    sr::stream::CommandLine cl;
    if (auto status = cl.parse(argc, argv)) return *status;
    try {
        sr::stream::StreamConfig cfg = sr::stream::make_stream_config(cl.stream);
        if (cl.common.check) {
            std::cout << sr::config_text(cl.app);
            return 0;
        }
        sr::Daemon daemon("streamd", cl.common);
        sr::stream::Catalog catalog(cfg.media_dir, cfg.segment_seconds);
        sr::stream::Channels channels(daemon.loop(), cfg.live, cfg.max_live_channels, daemon.counters());
        std::list<sr::stream::UdpInput> udp_inputs;
        for (const auto& in : cfg.live_inputs)
            udp_inputs.emplace_back(daemon.loop(), channels, channels.declare(in.name, in.url), in.url);
        std::optional<sr::stream::IngestServer> ingest;
        if (cfg.ingest) ingest.emplace(daemon.loop(), channels, *cfg.ingest, daemon.counters());
        sr::stream::StreamHttp http(daemon.loop(), catalog, channels, cfg.http, daemon.counters());
        sr::stream::add_methods(daemon.registry(), catalog, channels, http.connections());
        std::optional<sr::stream::Announcer> announcer;
        if (!cfg.announce_url.empty())
            announcer.emplace(daemon.loop(), catalog, channels,
                              sr::stream::cached_socket(sr::find_runtime_dir(cl.common.runtime_dir).path),
                              cfg.announce_url, daemon.counters());
        daemon.on_stop = [&] {
            if (announcer) announcer->stop([&] { daemon.finish_stop(); });
            else daemon.finish_stop();
        };
        sr::reload_on_hup<sr::stream::CommandLine>(daemon, argc, argv, [](sr::stream::CommandLine&) {
            sr::log::info("reloaded: the log level; other options take effect after a restart");
        });
        daemon.listen();
        if (announcer) announcer->start();
        daemon.ready();
        daemon.run();
        sr::log::info("stopped");
        return 0;
    } catch (const sr::Error& e) {
        sr::log::error(e.what());
        return sr::exit_for_error_code(e.code);
    }
}
