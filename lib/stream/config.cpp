#include "stream/config.hpp"

#include "core/error.hpp"
#include "prox/alto_http.hpp"

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
}

std::string cached_socket(const std::string& runtime_dir) { return runtime_dir + "/cached.sock"; }

CommandLine::CommandLine() {
    add_daemon_options(app, common, "streamd");
    add_stream_options(app, stream);
}

StreamConfig make_stream_config(const StreamOptions& o) {
    StreamConfig cfg;
    try {
        prox::parse_listen(o.listen);
    } catch (const Error& e) {
        throw Error("config", std::string("--listen: ") + e.what());
    }
    std::error_code ec;
    if (!std::filesystem::is_directory(o.media_dir, ec))
        throw Error("config", "--media-dir " + o.media_dir + ": not a directory");
    cfg.http.listen = o.listen;
    cfg.media_dir = o.media_dir;
    cfg.segment_seconds = o.segment_seconds;
    std::string at = o.advertise.empty() ? o.listen : o.advertise;
    try {
        auto [host, port] = prox::parse_listen(at);
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
