// sr-eventd's options (-c file, flags) and their translation into an
// EventConfig, validated, so that -n can check a configuration.
#pragma once

#include "core/daemon.hpp"
#include "event/http.hpp"
#include "event/service.hpp"

#include <CLI/CLI.hpp>

#include <string>

namespace sr::event {

struct EventOptions {
    std::string dht_socket;  // default RUNTIME_DIR/dhtd.sock
    std::size_t max_payload = 65536;
    std::size_t buffer_messages = 1024;
    double buffer_seconds = 600;
    double heartbeat = 1.0;
    std::size_t queue_bytes = 4 << 20;
    double topic_rate = 1000;
    double publisher_rate = 500;
    int replicas = 3;
    // HTTP (Server-Sent Events and POST), off unless http_listen is given.
    std::string http_listen;
    std::string http_token_file;
    std::vector<std::string> http_cors_origins;
    std::size_t http_max_streams = 1024;
};

void add_event_options(CLI::App& app, EventOptions& o);

// sr-eventd's whole command line, kept whole so SIGHUP can read it again.
struct CommandLine {
    CLI::App app{"sr-eventd: Scribe publish/subscribe over the sr overlay", "sr-eventd"};
    DaemonOptions common;
    EventOptions event;

    CommandLine();
    std::optional<int> parse(int argc, char** argv, std::ostream& err = std::cerr) {
        return parse_command_line(app, argc, argv, err);
    }
};

// runtime_dir: the daemon's runtime directory (where dhtd.sock is by
// default); state_dir: --state-dir. Throws Error("config") naming what is wrong.
EventConfig make_event_config(const EventOptions& o, const std::string& runtime_dir, const std::string& state_dir);
// The HTTP listener's configuration (reads the token file); nullopt when
// there is no --http-listen. Throws Error("config").
std::optional<HttpConfig> make_http_config(const EventOptions& o);

}  // namespace sr::event
