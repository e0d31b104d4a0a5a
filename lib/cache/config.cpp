#include "cache/config.hpp"

#include "core/error.hpp"
#include "core/secret.hpp"

#include <cctype>
#include <sstream>

namespace sr::cache {

CommandLine::CommandLine() {
    add_daemon_options(app, common, "cached");
    auto& o = cache;
    app.add_option("-l,--listen", o.listen, "Serve HTTP on ADDR:PORT (repeatable)")->capture_default_str();
    app.add_option("-o,--origin", o.origin, "The origin for requests no --route matches (http://HOST[:PORT][/PATH])");
    app.add_option("-r,--route", o.routes,
                   "\"[HOST][/PREFIX] URL [qos=CLASS]\": requests for HOST (any if omitted) under PREFIX go to the "
                   "origin URL (repeatable; the first match wins)");
    app.add_option("-d,--cache-dir", o.cache_dir, "Where bodies and the index live (default STATE_DIR/cache)")
        ->envname("SR_CACHE_DIR");
    app.add_option("-s,--max-size", o.max_size, "Bound on the store (bodies and headers), e.g. 500M, 20G")
        ->capture_default_str();
    app.add_option("--qos-class", o.qos_classes,
                   "NAME=DSCP: a QoS class (repeatable; built in: gold=46 silver=26 bronze=10)");
    app.add_option("--qos", o.qos, "QoS class of flows whose route names none");
    app.add_option("--access-log", o.access_log, "Access log: a file, - for stderr, off")->capture_default_str();
    app.add_option("--access-log-format", o.access_log_format,
                   "text: one line of space-separated fields per answer; json: one JSON object per answer")
        ->check(CLI::IsMember({"text", "json"}))
        ->capture_default_str();
    app.add_option("--max-header-size", o.max_header_size, "Largest request header, bytes")->capture_default_str();
    app.add_option("--max-request-body", o.max_request_body, "Largest request body, e.g. 16M")->capture_default_str();
    app.add_option("--client-timeout", o.client_timeout, "Seconds a client connection may stay silent")
        ->check(CLI::Range(1.0, 3600.0))
        ->capture_default_str();
    add_connection_options(app, o.connections);
    app.add_option("--connect-timeout", o.connect_timeout, "Seconds to connect to an origin, peer or instance")
        ->check(CLI::Range(0.1, 600.0))
        ->capture_default_str();
    app.add_option("--upstream-timeout", o.upstream_timeout, "Seconds an upstream may stay silent mid-answer")
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str();
    app.add_flag("--no-cooperate", o.no_cooperate, "Neither publish replica pointers nor fill from peers");
    app.add_option("--advertise", o.advertise, "ADDR:PORT peers reach this cache at (default the first --listen)");
    app.add_option("--peer-key-file", o.peer_key_file,
                   "Key shared by the caches of this deployment: signs their requests, replica pointers and service "
                   "records (without it they cooperate only with --open-cooperation)");
    app.add_flag("--open-cooperation", o.open_cooperation,
                 "Cooperate without a peer key: take unsigned replica pointers and service records on trust");
    app.add_option("--dht-timeout", o.dht_timeout, "Seconds a miss waits for the replica lookup")
        ->check(CLI::Range(0.01, 10.0))
        ->capture_default_str();
    app.add_option("--failover-budget", o.failover_budget, "Seconds a service request may spend on failing instances")
        ->check(CLI::Range(0.1, 600.0))
        ->capture_default_str();
    app.add_option("--heuristic-cap", o.heuristic_cap, "Longest heuristic freshness, seconds (RFC 9111 §4.2.2)")
        ->capture_default_str();
}

std::uint64_t parse_size(const std::string& text, const std::string& what) {
    std::size_t used = 0;
    unsigned long long n = 0;
    try {
        n = std::stoull(text, &used);
    } catch (const std::exception&) {
        throw Error("config", what + ": not a size: " + text);
    }
    std::string unit = text.substr(used);
    std::uint64_t mult = 1;
    if (unit.empty() || unit == "B") mult = 1;
    else if (unit == "k" || unit == "K") mult = 1ull << 10;
    else if (unit == "M") mult = 1ull << 20;
    else if (unit == "G") mult = 1ull << 30;
    else if (unit == "T") mult = 1ull << 40;
    else throw Error("config", what + ": unknown unit in " + text + " (use k, M, G or T)");
    return n * mult;
}

namespace {

void check_listen(const std::string& addr, const std::string& what) {
    auto colon = addr.rfind(':');
    if (colon == std::string::npos || colon == 0) throw Error("config", what + ": expected ADDR:PORT, got " + addr);
    try {
        unsigned long p = std::stoul(addr.substr(colon + 1));
        if (p == 0 || p > 65535) throw std::out_of_range("port");
    } catch (const std::exception&) {
        throw Error("config", what + ": bad port in " + addr);
    }
}

Route make_route(std::string host, std::string prefix, const std::string& origin, const std::string& qos,
                 const std::map<std::string, int>& classes) {
    Route r;
    r.host = std::move(host);
    r.prefix = std::move(prefix);
    r.origin = origin;
    try {
        r.origin_url = parse_url(origin);
    } catch (const Error& e) {
        throw Error("config", e.what());
    }
    r.origin_ep = resolve_endpoint(r.origin_url.host, r.origin_url.port);
    auto scheme_end = origin.find("://");
    r.origin_has_path = origin.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3) != std::string::npos;
    r.qos = qos;
    if (!qos.empty()) {
        auto it = classes.find(qos);
        if (it == classes.end()) throw Error("config", "unknown QoS class " + qos + " (define it with --qos-class)");
        r.dscp = it->second;
    }
    return r;
}

}  // namespace

Route parse_route(const std::string& spec, const std::map<std::string, int>& qos_classes) {
    std::istringstream in(spec);
    std::vector<std::string> words;
    for (std::string w; in >> w;) words.push_back(w);
    if (words.size() < 2) throw Error("config", "--route \"" + spec + "\": expected \"[HOST][/PREFIX] URL [qos=CLASS]\"");
    std::string host = words[0], prefix;
    if (auto slash = host.find('/'); slash != std::string::npos) {
        prefix = host.substr(slash);
        host.resize(slash);
    }
    if (host == "*") host.clear();
    std::string qos;
    for (std::size_t i = 2; i < words.size(); ++i) {
        if (words[i].rfind("qos=", 0) == 0) qos = words[i].substr(4);
        else throw Error("config", "--route \"" + spec + "\": unknown word " + words[i]);
    }
    return make_route(host, prefix, words[1], qos, qos_classes);
}

CacheConfig make_cache_config(const CacheOptions& o, const DaemonOptions& common) {
    CacheConfig cfg;
    if (o.listen.empty()) throw Error("config", "--listen: at least one address is needed");
    for (const auto& l : o.listen) check_listen(l, "--listen");
    cfg.listen = o.listen;
    if (!o.advertise.empty()) check_listen(o.advertise, "--advertise");
    cfg.advertise = o.advertise;
    cfg.qos_classes = {{"gold", 46}, {"silver", 26}, {"bronze", 10}};
    for (const auto& c : o.qos_classes) {
        auto eq = c.find('=');
        int dscp = -1;
        try {
            if (eq == std::string::npos || eq == 0) throw std::invalid_argument("form");
            dscp = std::stoi(c.substr(eq + 1));
        } catch (const std::exception&) {
            throw Error("config", "--qos-class " + c + ": expected NAME=DSCP");
        }
        if (dscp < 0 || dscp > 63) throw Error("config", "--qos-class " + c + ": DSCP must be 0..63");
        cfg.qos_classes[c.substr(0, eq)] = dscp;
    }
    if (!o.qos.empty() && !cfg.qos_classes.count(o.qos)) throw Error("config", "--qos: unknown class " + o.qos);
    cfg.default_qos = o.qos;
    for (const auto& spec : o.routes) {
        cfg.routes.push_back(parse_route(spec, cfg.qos_classes));
        if (cfg.routes.back().qos.empty() && !o.qos.empty()) {
            cfg.routes.back().qos = o.qos;
            cfg.routes.back().dscp = cfg.qos_classes[o.qos];
        }
    }
    if (!o.origin.empty()) cfg.routes.push_back(make_route("", "", o.origin, o.qos, cfg.qos_classes));
    if (cfg.routes.empty()) throw Error("config", "nothing to serve: give --origin URL or --route");
    cfg.store.dir = !o.cache_dir.empty() ? o.cache_dir : common.state_dir.empty() ? "" : common.state_dir + "/cache";
    if (cfg.store.dir.empty()) throw Error("config", "--cache-dir (or --state-dir) is required");
    cfg.store.max_bytes = parse_size(o.max_size, "--max-size");
    if (cfg.store.max_bytes < (1u << 20)) throw Error("config", "--max-size must be at least 1M");
    cfg.access_log = o.access_log;
    cfg.access_log_format = o.access_log_format;
    cfg.max_header_bytes = o.max_header_size;
    cfg.max_request_body = parse_size(o.max_request_body, "--max-request-body");
    cfg.client_timeout_s = static_cast<std::int64_t>(o.client_timeout);
    cfg.connections = connection_limits(o.connections);
    resolve_connection_limits(cfg.connections);  // checked now (-n too); resolved again at start
    cfg.upstream.connect_timeout_us = static_cast<std::int64_t>(o.connect_timeout * 1e6);
    cfg.upstream.read_timeout_us = static_cast<std::int64_t>(o.upstream_timeout * 1e6);
    if (!o.peer_key_file.empty()) cfg.peer_key = read_key_file(o.peer_key_file, "peer key file");
    // Records in the DHT make a cache act: without a key to check them, only an explicit opt-in trusts them.
    cfg.trust_dht_records = cfg.peer_key || o.open_cooperation;
    cfg.cooperate = !o.no_cooperate && cfg.trust_dht_records;
    cfg.dht_timeout_us = static_cast<std::int64_t>(o.dht_timeout * 1e6);
    cfg.services.failover_budget_us = static_cast<std::int64_t>(o.failover_budget * 1e6);
    cfg.policy.heuristic_cap = static_cast<std::int64_t>(o.heuristic_cap);
    return cfg;
}

}  // namespace sr::cache
