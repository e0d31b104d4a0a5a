#include "event/config.hpp"

#include "core/http_listen.hpp"
#include "core/error.hpp"
#include "core/secret.hpp"
#include "prox/alto_http.hpp"

namespace sr::event {

void add_event_options(CLI::App& app, EventOptions& o) {
    app.add_option("--dht-socket", o.dht_socket, "sr-dhtd's control socket (default: RUNTIME_DIR/dhtd.sock)");
    app.add_option("--max-payload", o.max_payload, "Largest message in bytes")
        ->check(CLI::Range(1, 65536))
        ->capture_default_str();
    app.add_option("--buffer-messages", o.buffer_messages, "Messages a topic's root keeps for replay")
        ->check(CLI::Range(1, 1'000'000))
        ->capture_default_str();
    app.add_option("--buffer-seconds", o.buffer_seconds, "Seconds a topic's root keeps a message for replay")
        ->check(CLI::Range(1.0, 7 * 86400.0))
        ->capture_default_str();
    app.add_option("--heartbeat", o.heartbeat, "Seconds between tree heartbeats (3 missed: repair)")
        ->check(CLI::Range(0.05, 60.0))
        ->capture_default_str();
    app.add_option("--queue-bytes", o.queue_bytes,
                   "Unread notifications a subscriber may have queued; beyond, it gets a gap event")
        ->check(CLI::Range(65536, 1 << 30))
        ->capture_default_str();
    app.add_option("--topic-rate", o.topic_rate, "Publishes per second a topic's root takes")
        ->check(CLI::Range(0.1, 1e6))
        ->capture_default_str();
    app.add_option("--publisher-rate", o.publisher_rate, "Publishes per second a root takes from one node")
        ->check(CLI::Range(0.1, 1e6))
        ->capture_default_str();
    app.add_option("--replicas", o.replicas, "Nodes after the root that hold each topic's root state")
        ->check(CLI::Range(1, 8))
        ->capture_default_str();
    app.add_option("--http-listen", o.http_listen,
                   "ADDR:PORT for Server-Sent Events (GET /events/TOPIC) and publishing (POST)");
    app.add_option("--http-token-file", o.http_token_file,
                   "File holding the bearer token that POST /events/ needs (default: publishing is open)");
    app.add_option("--http-cors-origin", o.http_cors_origins,
                   "Origin allowed to use the HTTP face from a browser (repeatable; * for any)");
    app.add_option("--http-max-streams", o.http_max_streams, "Event streams open at once over HTTP")
        ->check(CLI::Range(1, 1'000'000))
        ->capture_default_str();
}

CommandLine::CommandLine() {
    add_daemon_options(app, common, "eventd");
    add_event_options(app, event);
}

EventConfig make_event_config(const EventOptions& o, const std::string& runtime_dir, const std::string& state_dir) {
    EventConfig cfg;
    cfg.state_dir = state_dir;
    cfg.dht_socket = o.dht_socket.empty() ? runtime_dir + "/dhtd.sock" : o.dht_socket;
    cfg.limits.max_payload = o.max_payload;
    cfg.limits.buffer_messages = o.buffer_messages;
    cfg.limits.buffer_us = static_cast<std::int64_t>(o.buffer_seconds * 1e6);
    cfg.limits.heartbeat_us = static_cast<std::int64_t>(o.heartbeat * 1e6);
    cfg.limits.topic_rate = o.topic_rate;
    cfg.limits.topic_burst = 2 * o.topic_rate;
    cfg.limits.publisher_rate = o.publisher_rate;
    cfg.limits.publisher_burst = 2 * o.publisher_rate;
    cfg.limits.replicas = o.replicas;
    cfg.queue_bytes = o.queue_bytes;
    return cfg;
}

std::optional<HttpConfig> make_http_config(const EventOptions& o) {
    if (o.http_listen.empty()) {
        if (!o.http_token_file.empty() || !o.http_cors_origins.empty())
            throw Error("config", "--http-token-file and --http-cors-origin need --http-listen");
        return std::nullopt;
    }
    HttpConfig h;
    h.listen = o.http_listen;
    try {
        parse_listen(h.listen);  // a bad address is a configuration error, seen by -n too
    } catch (const Error& e) {
        throw Error("config", std::string("--http-listen: ") + e.what());
    }
    if (!o.http_token_file.empty()) h.token = read_key_file(o.http_token_file, "--http-token-file");
    h.cors_origins = o.http_cors_origins;
    h.max_streams = o.http_max_streams;
    h.max_payload = o.max_payload;
    h.queue_bytes = o.queue_bytes;
    return h;
}

}  // namespace sr::event
