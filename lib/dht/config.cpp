#include "dht/config.hpp"

#include "core/cli.hpp"
#include "core/error.hpp"
#include "core/secret.hpp"
#include "core/log.hpp"

#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <fstream>
#include <sstream>

namespace sr::dht {

void add_dht_options(CLI::App& app, DhtOptions& o) {
    app.add_option("-l,--listen", o.listen, "Overlay address, IP:PORT or [IPv6]:PORT")
        ->envname("SR_DHT_LISTEN")
        ->capture_default_str();
    app.add_option("--join", o.join,
                   "Bootstrap node IP:PORT or [IPv6]:PORT: an address, not a host name (repeatable; tried in order)");
    app.add_option("--join-warn-after", o.join_warn_after,
                   "Seconds without joining before an error in the log (the node keeps trying, backing off)")
        ->check(CLI::Range(1.0, 31'536'000.0))  // up to a year
        ->capture_default_str();
    app.add_option("--overlay-key-file", o.overlay_key_file,
                   "Pre-shared key: authenticate every overlay message (closed membership)");
    app.add_option("--id", o.id, "Node id, 32 hex digits (default: kept in --state-dir, else random)");
    app.add_option("-k,--replicas", o.replicas, "Copies of each key (root + k-1)")
        ->check(CLI::Range(1, 8))
        ->capture_default_str();
    app.add_option("--leaf-set-size", o.leaf_set_size, "Leaf set size |L| (even)")
        ->check(CLI::Range(2, 64))
        ->capture_default_str();
    app.add_option("--max-value", o.max_value, "Largest value in bytes")->check(CLI::Range(1, 65536))->capture_default_str();
    app.add_option("--max-ttl", o.max_ttl, "Longest TTL in seconds")->check(sr::at_least(1))->capture_default_str();
    app.add_option("--quota", o.quota, "Store quota in bytes")->check(sr::at_least(1))->capture_default_str();
    app.add_option("--ns-writer", o.ns_writers,
                   "NS=USER|UID: this user may also put and remove values of the daemons' namespace NS "
                   "(obj, svc, topic; repeatable)");
    app.add_option("--heartbeat", o.heartbeat, "Seconds between leaf-set heartbeats")
        ->check(CLI::Range(0.05, 60.0))
        ->capture_default_str();
    app.add_option("--overlay-handshake-timeout", o.overlay_handshake_timeout,
                   "Seconds an inbound overlay connection has to authenticate")
        ->check(CLI::Range(0.1, 300.0))
        ->capture_default_str();
    app.add_option("--overlay-max-unauthenticated", o.overlay_max_unauthenticated,
                   "Inbound overlay connections not authenticated yet, in total")
        ->check(CLI::Range(1, 65536))
        ->capture_default_str();
    app.add_option("--overlay-max-per-source", o.overlay_max_per_source,
                   "Unauthenticated inbound overlay connections per source address (open overlay: all of them)")
        ->check(CLI::Range(1, 65536))
        ->capture_default_str();
}

CommandLine::CommandLine() {
    add_daemon_options(app, common, "dhtd");
    add_dht_options(app, dht);
}

NodeConfig make_node_config(const DhtOptions& o, const DaemonOptions& common) {
    NodeConfig cfg;
    cfg.transport.listen = o.listen;
    sockaddr_storage ss{};
    int len = sizeof ss;
    if (!Transport::parse_address(o.listen, reinterpret_cast<sockaddr*>(&ss), &len))
        throw Error("config", "--listen " + o.listen + ": want IP:PORT or [IPv6]:PORT");
    for (const auto& j : o.join) {
        len = sizeof ss;
        if (!Transport::parse_address(j, reinterpret_cast<sockaddr*>(&ss), &len))
            throw Error("config", "--join " + j + ": want IP:PORT or [IPv6]:PORT");
    }
    if (!o.overlay_key_file.empty()) cfg.transport.key = read_key_file(o.overlay_key_file, "overlay key file");
    cfg.join = o.join;
    cfg.join_warn_after_us = static_cast<std::int64_t>(o.join_warn_after * 1e6);
    if (o.leaf_set_size % 2) throw Error("config", "--leaf-set-size must be even");
    cfg.pastry.leaf_set_size = o.leaf_set_size;
    cfg.pastry.heartbeat_us = static_cast<std::int64_t>(o.heartbeat * 1e6);
    cfg.transport.handshake_timeout_us = static_cast<std::int64_t>(o.overlay_handshake_timeout * 1e6);
    cfg.transport.max_unauthenticated = o.overlay_max_unauthenticated;
    cfg.transport.max_per_source = o.overlay_max_per_source;
    cfg.replicas = o.replicas;
    if (cfg.replicas > o.leaf_set_size / 2 + 1)
        throw Error("config", "--replicas must be at most leaf-set-size/2 + 1");
    cfg.limits.max_value = o.max_value;
    cfg.limits.max_ttl_us = static_cast<std::int64_t>(o.max_ttl) * 1'000'000;
    cfg.limits.quota_bytes = o.quota;
    if (!o.id.empty()) {
        cfg.fixed_id = Id::from_hex(o.id);
        if (!cfg.fixed_id) throw Error("config", "--id must be 32 hex digits");
    }
    for (const auto& w : o.ns_writers) {
        auto eq = w.find('=');
        std::string ns = w.substr(0, eq), user = eq == std::string::npos ? "" : w.substr(eq + 1);
        if (!cfg.owned_ns.count(ns) || user.empty())
            throw Error("config", "--ns-writer " + w + ": want NS=USER or NS=UID with NS one of obj, svc, topic");
        uid_t uid;
        if (user.find_first_not_of("0123456789") == std::string::npos && user.size() < 10) {
            uid = static_cast<uid_t>(std::stoul(user));
        } else {
            passwd* pw = ::getpwnam(user.c_str());
            if (!pw) throw Error("config", "--ns-writer " + w + ": no such user " + user);
            uid = pw->pw_uid;
        }
        cfg.ns_writers[ns].insert(uid);
    }
    cfg.state_dir = common.state_dir;
    return cfg;
}

}  // namespace sr::dht
