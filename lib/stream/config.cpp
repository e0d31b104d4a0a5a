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
}

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
    return cfg;
}

}  // namespace sr::stream
