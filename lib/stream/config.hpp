// sr-streamd's options (-c file, flags), validated so that -n can check them.
#pragma once

#include "core/daemon.hpp"
#include "stream/http.hpp"
#include "stream/ingest.hpp"
#include "stream/live.hpp"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>
#include <vector>

namespace sr::stream {

struct StreamOptions {
    std::string listen = "127.0.0.1:8070";
    std::string media_dir;
    double segment_seconds = 4.0;
    std::string advertise;  // ADDR:PORT others reach it at; default: --listen
    bool no_announce = false;
    std::vector<std::string> live;  // NAME=udp://ADDR:PORT
    std::size_t live_window = 6;
    std::size_t max_live_channels = 16;
    std::string ingest_listen;
    std::string ingest_token_file;
    ConnectionOptions connections;
};

struct LiveInputSpec {
    std::string name;
    std::string url;
};

struct StreamConfig {
    HttpConfig http;
    std::string media_dir;
    double segment_seconds = 4.0;
    std::string announce_url;  // http://ADDR:PORT, or empty: not announced
    LiveConfig live;
    std::vector<LiveInputSpec> live_inputs;
    std::size_t max_live_channels = 16;
    std::optional<IngestConfig> ingest;
};

void add_stream_options(CLI::App& app, StreamOptions& o);

// sr-streamd's whole command line, kept whole so SIGHUP can read it again.
struct CommandLine {
    CLI::App app{"sr-streamd: HLS, DASH and progressive MP4 from the overlay node", "sr-streamd"};
    DaemonOptions common;
    StreamOptions stream;

    CommandLine();
    std::optional<int> parse(int argc, char** argv, std::ostream& err = std::cerr) {
        return parse_command_line(app, argc, argv, err);
    }
};

// Throws Error("config") naming what is wrong.
StreamConfig make_stream_config(const StreamOptions& o);
// RUNTIME_DIR/cached.sock: the sr-cached that announces the titles.
std::string cached_socket(const std::string& runtime_dir);

}  // namespace sr::stream
