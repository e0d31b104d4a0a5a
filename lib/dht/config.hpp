// sr-dhtd's options (-c file, flags, environment) and their translation
// into a NodeConfig, validated, so that -n can check a configuration.
#pragma once

#include "core/daemon.hpp"
#include "dht/node.hpp"

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace sr::dht {

struct DhtOptions {
    std::string listen = "127.0.0.1:4100";
    std::vector<std::string> join;
    double join_warn_after = 60;
    std::string overlay_key_file;
    std::string id;
    int replicas = 4;
    int leaf_set_size = 16;
    std::uint64_t max_value = 65536;
    std::uint64_t max_ttl = 7 * 24 * 3600;
    std::uint64_t quota = 64ull << 20;
    double heartbeat = 1.0;
    double overlay_handshake_timeout = 10.0;
    std::size_t overlay_max_unauthenticated = 256;
    std::size_t overlay_max_per_source = 16;
    std::vector<std::string> ns_writers;  // NS=USER|UID
};

void add_dht_options(CLI::App& app, DhtOptions& o);

// sr-dhtd's whole command line, kept whole so SIGHUP can read it again
// (the -c file included).
struct CommandLine {
    CLI::App app{"sr-dhtd: Pastry overlay node and DHT store of the service routing layer", "sr-dhtd"};
    DaemonOptions common;
    DhtOptions dht;

    CommandLine();
    // An exit status to end with (help, version, usage error), or nullopt.
    std::optional<int> parse(int argc, char** argv, std::ostream& err = std::cerr) {
        return parse_command_line(app, argc, argv, err);
    }
};
// Throws Error("config") naming what is wrong.
NodeConfig make_node_config(const DhtOptions& o, const DaemonOptions& common);

}  // namespace sr::dht
