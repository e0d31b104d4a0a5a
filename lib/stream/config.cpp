#include "stream/config.hpp"

#include "core/http_listen.hpp"
#include "core/error.hpp"
#include "core/secret.hpp"
#include "prox/alto_http.hpp"
#include "stream/catalog.hpp"
#include "stream/udp_input.hpp"

#include <filesystem>

namespace sr::stream {

void add_stream_options(CLI::App& app, StreamOptions& o) {
    app.add_option("--listen", o.listen, "ADDR:PORT of the HTTP server ([ADDR]:PORT for IPv6)")->capture_default_str();
    app.add_option("--media-dir", o.media_dir, "Directory of the titles: NAME.mp4, or NAME/ of MP4 renditions")
        ->required();
    app.add_option("--segment-seconds", o.segment_seconds, "Target segment duration, cut at keyframes")
        ->check(CLI::Range(1.0, 30.0))
        ->capture_default_str();
    app.add_option("--advertise", o.advertise,
                   "ADDR:PORT at which other nodes reach it, in its announcement (default: --listen)");
    app.add_flag("--no-announce", o.no_announce, "Do not announce the titles in the overlay (service \"stream\")");
    add_connection_options(app, o.connections);
    app.add_option("--live", o.live, "A live channel NAME=udp://ADDR:PORT[?iface=IFADDR&source=SRCADDR] (repeatable)");
    app.add_option("--live-window", o.live_window, "Segments in a live playlist")
        ->check(CLI::Range(2, 100))
        ->capture_default_str();
    app.add_option("--max-live-channels", o.max_live_channels, "Live channels made by HTTP ingest, at most")
        ->check(CLI::Range(1, 10000))
        ->capture_default_str();
    app.add_option("--ingest-listen", o.ingest_listen,
                   "ADDR:PORT for HTTP ingest (POST /live/NAME with an MPEG-TS body); default: none");
    app.add_option("--ingest-token-file", o.ingest_token_file, "File holding the bearer token ingest needs");
}

std::string cached_socket(const std::string& runtime_dir) { return runtime_dir + "/cached.sock"; }

CommandLine::CommandLine() {
    add_daemon_options(app, common, "streamd");
    add_stream_options(app, stream);
}

StreamConfig make_stream_config(const StreamOptions& o) {
    StreamConfig cfg;
    try {
        parse_listen(o.listen);
    } catch (const Error& e) {
        throw Error("config", std::string("--listen: ") + e.what());
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(o.media_dir, ec))
        throw Error("config", "--media-dir " + o.media_dir + ": not a directory");
    cfg.http.listen = o.listen;
    cfg.http.connections = connection_limits(o.connections);
    resolve_connection_limits(cfg.http.connections);  // checked now (-n too); resolved again at start
    cfg.media_dir = o.media_dir;
    cfg.segment_seconds = o.segment_seconds;
    cfg.live.segment_seconds = o.segment_seconds;
    cfg.live.window = o.live_window;
    cfg.max_live_channels = o.max_live_channels;
    for (const auto& spec : o.live) {
        auto eq = spec.find('=');
        std::string name = spec.substr(0, eq);
        if (eq == std::string::npos || !Catalog::valid_name(name))
            throw Error("config", "--live " + spec + ": want NAME=udp://ADDR:PORT");
        for (const auto& in : cfg.live_inputs)
            if (in.name == name) throw Error("config", "--live: channel " + name + " given twice");
        try {
            parse_udp_url(spec.substr(eq + 1));
        } catch (const Error& e) {
            throw Error("config", "--live " + name + ": " + e.what());
        }
        cfg.live_inputs.push_back({name, spec.substr(eq + 1)});
    }
    if (o.ingest_listen.empty()) {
        if (!o.ingest_token_file.empty()) throw Error("config", "--ingest-token-file needs --ingest-listen");
    } else {
        IngestConfig in;
        in.listen = o.ingest_listen;
        try {
            parse_listen(in.listen);
        } catch (const Error& e) {
            throw Error("config", std::string("--ingest-listen: ") + e.what());
        }
        // Ingest without a token would let anyone who reaches the port
        // replace what viewers see: there is no open mode.
        if (o.ingest_token_file.empty()) throw Error("config", "--ingest-listen needs --ingest-token-file");
        in.token = read_key_file(o.ingest_token_file, "--ingest-token-file");
        cfg.ingest = in;
    }
    std::string at = o.advertise.empty() ? o.listen : o.advertise;
    try {
        auto [host, port] = parse_listen(at);
        bool wildcard = host == "0.0.0.0" || host == "::";
        if (wildcard && !o.advertise.empty()) throw Error("config", "--advertise: give the address others reach");
        if (!o.no_announce && !wildcard)
            cfg.announce_url = "http://" + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                               std::to_string(port);
    } catch (const Error& e) {
        throw Error("config", std::string("--advertise: ") + e.what());
    }
    return cfg;
}

}  // namespace sr::stream
