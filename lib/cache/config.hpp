// sr-cached's options (-c file, flags, environment) and their translation
// into a CacheConfig, validated, so that -n can check a configuration.
#pragma once

#include "cache/cache.hpp"
#include "core/daemon.hpp"
#include "core/http_admission.hpp"

#include <CLI/CLI.hpp>

namespace sr::cache {

struct CacheOptions {
    std::vector<std::string> listen{"0.0.0.0:8080"};
    std::string origin;
    std::vector<std::string> routes;
    std::string cache_dir;
    std::string max_size = "1G";
    std::vector<std::string> qos_classes;
    std::string qos;
    std::string access_log = "-";
    std::string access_log_format = "text";
    std::size_t max_header_size = 16 << 10;
    std::string max_request_body = "16M";
    double client_timeout = 60, connect_timeout = 5, upstream_timeout = 30;
    ConnectionOptions connections;  // --max-connections and the rest (core/http_admission.hpp)
    bool no_cooperate = false;
    bool open_cooperation = false;
    std::string advertise;
    std::string peer_key_file;
    double dht_timeout = 0.3;
    double failover_budget = 5;
    std::size_t heuristic_cap = 86400;
};

struct CommandLine {
    CLI::App app{"sr-cached: an in-network HTTP cache that fills from the nearest replica, and the service proxy",
                 "sr-cached"};
    DaemonOptions common;
    CacheOptions cache;

    CommandLine();
    std::optional<int> parse(int argc, char** argv, std::ostream& err = std::cerr) {
        return parse_command_line(app, argc, argv, err);
    }
};

// "10G", "512M", "64k", "1000" → bytes. Throws Error("config").
std::uint64_t parse_size(const std::string& text, const std::string& what);
// "[HOST][/PREFIX] URL [qos=CLASS]" → Route (origin resolved). Throws Error("config").
Route parse_route(const std::string& spec, const std::map<std::string, int>& qos_classes);

// Throws Error("config") naming what is wrong.
CacheConfig make_cache_config(const CacheOptions& o, const DaemonOptions& common);

}  // namespace sr::cache
