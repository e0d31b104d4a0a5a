// sr-cached's engine: an HTTP/1.1 reverse-proxy cache on evhttp, its fills
// from peers and origins, and the service proxy (DESIGN §1, paper §3.4-3.5).
//
// Why evhttp for the server side: it parses requests, keeps connections
// persistent, handles pipelining (it reads the next request when a response
// ends), and lets a response be streamed (send_reply_start/chunk/end with a
// callback when a chunk has been written), which is what serving waiters
// needs. The client side is http_client.hpp (why: there).
//
// One request's way:
//   accept → ClientConnections (core/http_admission.hpp): how many per address, how slow, how idle
//   evhttp → Cache::handle → framing checked (400 and close on any doubt: request_check.hpp),
//            dot-segments removed from the path (the key and the origin see the same path)
//          → route (host / path prefix → origin, QoS class)
//     unsafe method       → a Pass fill to the origin, then invalidation
//     stored and usable   → serve from the store's file (HIT / STALE), ranges
//                           and the client's conditionals answered here
//     stored, must check  → a Validate fill (conditional request); 304 → serve
//     not stored          → join the URL's running fill (collapsing) or start
//                           one: replica holders from the DHT ranked by
//                           sr-proxd, then the origin
//   A Fill streams the upstream body into a store Writer (tmp file) and feeds
//   each waiting Downstream from that file at its own pace, so a slow client
//   never slows the fill or grows memory; on completion the file is
//   committed (storable) or dropped (not).
#pragma once

#include "core/http_admission.hpp"
#include "cache/hot.hpp"
#include "cache/http_client.hpp"
#include "cache/policy.hpp"
#include "cache/store.hpp"
#include "core/loop.hpp"
#include "core/rpc.hpp"

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

struct evhttp;
struct evhttp_request;
struct evhttp_connection;
struct evhttp_bound_socket;

namespace sr::cache {

struct Route {
    std::string host;    // "" = any Host; else compared case-insensitively, without the port
    std::string prefix;  // path prefix, "" or starting with '/'
    std::string origin;  // http://host[:port][/base]
    Url origin_url;
    bool origin_has_path = false;  // then it replaces the prefix (http://o/base/ + rest)
    Endpoint origin_ep;
    std::string qos;     // a QoS class name, "" = none
    int dscp = -1;
};

struct ServiceProxyConfig {
    std::int64_t failover_budget_us = 5'000'000;  // total time to try instances
    std::size_t max_instances = 4;                 // tried per request
};

struct CacheConfig {
    std::vector<std::string> listen;  // ADDR:PORT
    std::vector<Route> routes;        // first match wins; --origin is the catch-all
    StoreConfig store;
    std::map<std::string, int> qos_classes;  // name → DSCP
    std::string default_qos;                  // for flows no route names
    Options policy;
    std::size_t max_header_bytes = 16 << 10;
    std::size_t max_request_body = 16 << 20;
    std::int64_t client_timeout_s = 60;
    ConnectionLimits connections;  // client connections: how many, how slow, how idle (core/http_admission.hpp)
    ClientLimits upstream;
    std::string access_log = "-";  // "-" stderr, "off", or a file (reopened on reload)
    std::string access_log_format = "text";  // or "json" (access_log.hpp)
    // Cooperative caching (needs sr-dhtd on the runtime dir; sr-proxd to rank).
    bool cooperate = true;
    // Replica pointers and service records from the DHT are used: with a peer key (signed ones only) or
    // --open-cooperation (all, on trust).
    bool trust_dht_records = false;
    std::string advertise;  // ADDR:PORT peers fetch from; default the first --listen
    std::optional<std::string> peer_key;  // X-SR-Peer and DHT records carry its signature (peer.hpp)
    std::int64_t dht_timeout_us = 300'000;
    ServiceProxyConfig services;
};

struct CacheStats {
    std::uint64_t requests = 0, hits = 0, misses = 0, stale = 0, revalidated = 0, collapsed = 0, passes = 0;
    std::uint64_t peer_fills = 0, peer_served = 0, origin_fetches = 0, upstream_errors = 0;
    std::uint64_t bytes_out = 0, bytes_in = 0, purged = 0, evictions = 0, service_requests = 0;
    std::uint64_t service_failovers = 0, bad_requests = 0, peer_rejected = 0, upstream_pauses = 0;
    // DHT records (pointers, service descriptors) without a valid mac; peer bodies not matching their pointer
    std::uint64_t records_rejected = 0, peer_bodies_rejected = 0;
    std::uint64_t bad_framing = 0;  // refused: ambiguous message framing (smuggling), connection closed
    std::uint64_t bad_targets = 0;  // refused: a path above the root, %2f, backslash, %00
    std::uint64_t peer_requests = 0;  // with a valid peer mark (client requests: the rest but services)
};

class Fill;
struct Downstream;
struct Upstream;
class Cooperation;
class Services;

class Cache {
  public:
    Cache(Loop& loop, CacheConfig cfg, rpc::Counters& counters, std::string runtime_dir);
    // "peer key", "open" or "off": how this cache cooperates (sr-ctl status).
    std::string cooperation_mode() const;
    // "ok", or "cooperation off: no sr-dhtd" when cooperation is on but
    // the local sr-dhtd does not answer (misses then go to the origin).
    std::string health();
    ~Cache();

    void start();  // bind the listeners; throws Error("config")
    void stop();   // stop accepting, end fills (their files are dropped), close the store cleanly
    void reload(CacheConfig cfg);  // routes, QoS, limits, access log (listen and cache-dir stay)

    Store& store() { return *store_; }
    const CacheStats& stats() const { return stats_; }
    Services& services() { return *services_; }
    const CacheConfig& config() const { return cfg_; }
    const ClientConnections* connections() const { return conns_.get(); }  // null before start()
    // Replica pointers put into / removed from the DHT (0 without cooperation).
    std::uint64_t replicas_published() const;
    std::uint64_t replicas_withdrawn() const;
    std::vector<std::string> bound() const;  // the addresses listened on

    // cache.purge: drops stored objects (and their replica pointers).
    std::vector<ObjectInfo> purge(const std::string& url_or_prefix, bool prefix);

  private:
    friend class Fill;
    friend struct Downstream;
    friend class Services;
    // A request for a service: its instances in order, with failover (services.cpp).
    void proxy_to(std::unique_ptr<Downstream> d, std::vector<Upstream> candidates, int dscp);

    static void on_request_cb(evhttp_request* req, void* self);
    void handle(evhttp_request* req);
    const Route* route_for(const std::string& host, const std::string& path) const;
    void serve_stored(Downstream& d, OpenObject obj, const ReuseDecision& how, const char* x_cache);
    // The answer from a stored response whose body is in file or in mem.
    void respond_stored(Downstream& d, const StoredObject& st, OpenObject* file, const std::string* mem,
                        const ReuseDecision& how, const char* x_cache);
    void forget_hot(const std::string& url) { hot_.forget(url); }
    // Serves url's variant from the store, freshness aside (after a 304, or stale on error).
    // False when it is not there (the caller answers otherwise).
    bool serve_from_store(Downstream& d, const std::string& url, const std::string& variant, const char* x_cache);
    // background_request: for a fill with no downstream (stale-while-revalidate), the request it speaks for.
    void start_fill(std::unique_ptr<Downstream> d, const Route& route, std::optional<StoredObject> stale,
                    bool joinable = true, const Headers* background_request = nullptr);
    void pass(std::unique_ptr<Downstream> d, const Route& route);
    void reply(Downstream& d, int status, const std::string& text, const char* x_cache);
    Upstream origin_upstream(const Route& route, const std::string& path) const;
    void not_joinable(Fill* f);
    void mark_client(Downstream& d, int dscp);  // the DSCP of the answer's packets (-1: none)
    bool any_qos() const;
    void invalidate(const std::string& method, int status, const std::string& url, const Headers& response);
    void committed(const StoredObject& obj, std::int64_t lifetime_left, const std::vector<ObjectInfo>& evicted);
    void fill_finished(Fill* f);
    void access(const Downstream& d, int status);
    void open_access_log();

    Loop& loop_;
    CacheConfig cfg_;
    rpc::Counters& counters_;
    std::string runtime_dir_;
    std::unique_ptr<Store> store_;
    HotSet hot_;  // small objects also in memory (hot.hpp)
    HttpClient client_;
    evhttp* http_ = nullptr;
    std::unique_ptr<ClientConnections> conns_;
    std::vector<evhttp_bound_socket*> sockets_;
    std::vector<std::unique_ptr<rpc::AcceptGuard>> guards_;
    std::uint64_t accept_errors_ = 0;
    std::map<std::string, Fill*> joinable_;  // url → the fill late misses may join
    std::map<Fill*, std::unique_ptr<Fill>> fills_;
    std::map<Fill*, std::uint64_t> fill_ids_;  // fills waiting for the DHT: still the same fill?
    std::uint64_t fill_generation_ = 0;
    std::vector<std::unique_ptr<Fill>> graveyard_;  // finished fills, destroyed from the loop
    std::unique_ptr<Timer> bury_;
    std::unique_ptr<Cooperation> coop_;
    std::unique_ptr<Services> services_;
    CacheStats stats_;
    std::FILE* access_log_ = nullptr;
    Timer access_flush_;
    bool stopping_ = false;
};

}  // namespace sr::cache
