#include "cache/cache.hpp"
#include "cache/access_log.hpp"
#include "cache/coop.hpp"
#include "cache/evhttp_util.hpp"
#include "cache/fill.hpp"
#include "cache/peer.hpp"
#include "cache/request_check.hpp"
#include "cache/services.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/net_limits.hpp"

#include <event2/bufferevent.h>
#include <event2/listener.h>
#include <event2/event.h>
#include <event2/util.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace sr::cache {

namespace {

constexpr std::uint64_t kReadSmallBodies = 256 << 10;

// evconnlistener's error callback gets evhttp's pointer, not ours: guards by listener.
std::map<evconnlistener*, rpc::AcceptGuard*>& accept_guards() {
    static std::map<evconnlistener*, rpc::AcceptGuard*> guards;
    return guards;
}

bool prefix_of(std::string_view prefix, std::string_view s) { return s.substr(0, prefix.size()) == prefix; }

std::string host_without_port(const std::string& host) {
    if (!host.empty() && host[0] == '[') return host.substr(0, host.find(']') + 1);
    auto colon = host.find(':');
    return colon == std::string::npos ? host : host.substr(0, colon);
}

}  // namespace

Cache::Cache(Loop& loop, CacheConfig cfg, rpc::Counters& counters, std::string runtime_dir)
    : loop_(loop), cfg_(std::move(cfg)), counters_(counters), runtime_dir_(std::move(runtime_dir)),
      client_(loop, cfg_.upstream), access_flush_(loop, [this] {
          if (access_log_) std::fflush(access_log_);
          access_flush_.arm_in(1'000'000);
      }) {
    store_ = std::make_unique<Store>(cfg_.store);
    auto st = store_->stats();
    log::info("cache ", cfg_.store.dir, ": ", st.objects, " objects, ", st.bytes, " bytes",
              st.rebuilt ? " (index rebuilt from the objects)" : "");
    if (cfg_.cooperate)
        coop_ = std::make_unique<Cooperation>(loop_, runtime_dir_, cfg_, *store_, stats_.records_rejected);
    if (!cfg_.trust_dht_records)
        log::warn("cooperation off: no --peer-key-file to check replica pointers and service records with "
                  "(--open-cooperation takes them on trust)");
    else if (!cfg_.peer_key)
        log::warn("open cooperation: replica pointers and service records from the DHT are taken on trust");
    services_ = std::make_unique<Services>(*this, loop_, runtime_dir_);
    open_access_log();
}

std::string Cache::cooperation_mode() const {
    if (!cfg_.cooperate) return "off";
    return cfg_.peer_key ? "peer key" : "open";
}

std::string Cache::health() {
    if (coop_ && !coop_->dht_linked()) return "cooperation off: no sr-dhtd";
    return "ok";
}

Cache::~Cache() {
    stop();
    if (access_log_ && access_log_ != stderr) std::fclose(access_log_);
}

void Cache::open_access_log() {
    if (access_log_ && access_log_ != stderr) std::fclose(access_log_);
    access_log_ = nullptr;
    if (cfg_.access_log == "off") return;
    if (cfg_.access_log == "-" || cfg_.access_log.empty()) {
        access_log_ = stderr;
    } else {
        // 0600 like every file of the daemon: it names clients and the URLs they asked for.
        int fd = ::open(cfg_.access_log.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0 && !(access_log_ = ::fdopen(fd, "a"))) ::close(fd);
        if (!access_log_) throw Error("config", "cannot open the access log " + cfg_.access_log + ": " + std::strerror(errno));
        static char buf[1 << 16];  // lines go out in batches, flushed every second and at stop
        std::setvbuf(access_log_, buf, _IOFBF, sizeof buf);
    }
    access_flush_.arm_in(1'000'000);
}

void Cache::start() {
    conns_ = std::make_unique<ClientConnections>(loop_, cfg_.connections);
    http_ = evhttp_new(loop_.base());
    conns_->attach(http_);
    evhttp_set_gencb(http_, &Cache::on_request_cb, this);
    evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                          EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_default_content_type(http_, nullptr);  // never invent a Content-Type
    evhttp_set_max_headers_size(http_, static_cast<ev_ssize_t>(cfg_.max_header_bytes));
    evhttp_set_max_body_size(http_, static_cast<ev_ssize_t>(cfg_.max_request_body));
    evhttp_set_timeout(http_, static_cast<int>(cfg_.client_timeout_s));
    for (const auto& addr : cfg_.listen) {
        auto colon = addr.rfind(':');
        std::string host = addr.substr(0, colon);
        if (host.size() > 1 && host.front() == '[') host = host.substr(1, host.size() - 2);
        auto port = static_cast<std::uint16_t>(std::stoul(addr.substr(colon + 1)));
        evhttp_bound_socket* s = evhttp_bind_socket_with_handle(http_, host.c_str(), port);
        if (!s) throw Error("config", "cannot listen on " + addr + ": " + std::strerror(errno));
        net::no_delay(evhttp_bound_socket_get_fd(s));
        sockets_.push_back(s);
        // Out of descriptors, accept() fails at once, again and again: pause instead of spinning.
        evconnlistener* l = evhttp_bound_socket_get_listener(s);
        guards_.push_back(std::make_unique<rpc::AcceptGuard>(loop_, l, accept_errors_, "http " + addr));
        accept_guards()[l] = guards_.back().get();
        evconnlistener_set_error_cb(l, [](evconnlistener* lev, void*) {
            if (auto it = accept_guards().find(lev); it != accept_guards().end()) it->second->failed();
        });
    }
}

std::uint64_t Cache::replicas_published() const { return coop_ ? coop_->published() : 0; }
std::uint64_t Cache::replicas_withdrawn() const { return coop_ ? coop_->withdrawn() : 0; }

std::vector<std::string> Cache::bound() const { return cfg_.listen; }

void Cache::stop() {
    if (stopping_) return;
    stopping_ = true;
    if (http_) {
        for (auto* s : sockets_) {
            accept_guards().erase(evhttp_bound_socket_get_listener(s));
            evhttp_del_accept_socket(http_, s);
        }
        sockets_.clear();
        guards_.clear();
    }
    joinable_.clear();
    fills_.clear();  // waiting clients get 503, unfinished bodies are dropped
    graveyard_.clear();
    if (conns_) conns_->detach();
    if (http_) {
        evhttp_free(http_);
        http_ = nullptr;
    }
    conns_.reset();  // after evhttp_free: its connections' buffers point at our records
    services_.reset();
    coop_.reset();
    if (access_log_) std::fflush(access_log_);
    store_.reset();  // the index is marked clean
}

void Cache::reload(CacheConfig cfg) {
    // What the running sockets, links and client were built with stays until a restart.
    cfg.listen = cfg_.listen;
    cfg.store.dir = cfg_.store.dir;
    cfg.advertise = cfg_.advertise;
    cfg.cooperate = cfg_.cooperate;
    cfg.trust_dht_records = cfg_.trust_dht_records;
    cfg.peer_key = cfg_.peer_key;
    cfg.upstream = cfg_.upstream;
    cfg.max_header_bytes = cfg_.max_header_bytes;
    cfg.max_request_body = cfg_.max_request_body;
    cfg.client_timeout_s = cfg_.client_timeout_s;
    cfg.connections = cfg_.connections;
    std::string old_log = cfg_.access_log;
    cfg_.access_log = cfg.access_log;
    try {
        open_access_log();  // first: a log that cannot be opened keeps the running configuration
    } catch (const Error&) {
        cfg_.access_log = old_log;
        open_access_log();
        throw;
    }
    store_->set_max_bytes(cfg.store.max_bytes);
    hot_.clear();  // routes may now map URLs elsewhere
    cfg_ = std::move(cfg);
    log::info("reloaded: ", cfg_.routes.size(), " routes, max size ", cfg_.store.max_bytes,
              " bytes (listen, advertise, cooperation, limits, connection bounds and timeouts change at a restart)");
}

const Route* Cache::route_for(const std::string& host, const std::string& path) const {
    std::string h = host_without_port(host);
    for (const auto& r : cfg_.routes) {
        if (!r.host.empty() && !iequals(r.host, h)) continue;
        if (!r.prefix.empty() && !prefix_of(r.prefix, path)) continue;
        return &r;
    }
    return nullptr;
}

Upstream Cache::origin_upstream(const Route& route, const std::string& path) const {
    Upstream up;
    up.to = route.origin_ep;
    up.name = "origin " + route.origin_url.authority();
    // An origin URL with a path replaces the route's prefix (like a proxy_pass with a URI).
    const std::string& base = route.origin_url.path;
    if (!route.origin_has_path) up.target = path;
    else {
        std::string rest = path.substr(std::min(route.prefix.size(), path.size()));
        if (base.back() == '/' && !rest.empty() && rest.front() == '/') rest.erase(0, 1);
        up.target = base + rest;
    }
    return up;
}

void Cache::mark_client(Downstream& d, int dscp) {
    if (!d.evcon) return;
    // A persistent connection keeps the mark of its last answer: clear it for a
    // route without a class (only when some route has one, so the common case costs nothing).
    if (dscp < 0 && !any_qos()) return;
    set_dscp(bufferevent_getfd(evhttp_connection_get_bufferevent(d.evcon)), dscp < 0 ? 0 : dscp);
}

bool Cache::any_qos() const {
    for (const auto& r : cfg_.routes)
        if (r.dscp >= 0) return true;
    return !cfg_.default_qos.empty();
}

void Cache::on_request_cb(evhttp_request* req, void* self) {
    auto* c = static_cast<Cache*>(self);
    if (c->conns_ && !c->conns_->request_started(req)) {  // refused or timed out: its socket is shut
        evhttp_send_error(req, 503, "Service Unavailable");
        return;
    }
    try {
        c->handle(req);
    } catch (const std::exception& e) {  // one catch at the boundary: the daemon goes on
        log::error("request failed: ", e.what());
        ++c->stats_.bad_requests;
        evhttp_send_error(req, 500, "Internal Server Error");
    }
}

void Cache::reply(Downstream& d, int status, const std::string& text, const char* x_cache) {
    d.status = status;
    d.x_cache = x_cache;
    d.unwatch();
    auto* out = evhttp_request_get_output_headers(d.req);
    evhttp_add_header(out, "X-Cache", x_cache);
    evhttp_add_header(out, "Content-Type", "text/plain; charset=utf-8");
    evbuffer* b = evbuffer_new();
    if (!d.is_head()) evbuffer_add(b, text.data(), text.size());
    evhttp_add_header(out, "Content-Length", std::to_string(text.size()).c_str());
    evhttp_send_reply(d.req, status, nullptr, b);
    evbuffer_free(b);
    d.answered();
    access(d, status);
}

void Cache::handle(evhttp_request* req) {
    ++stats_.requests;
    auto d = std::make_unique<Downstream>(*this, req);
    d->start_us = Loop::now_us();
    // Framing first: a request whose boundaries are in doubt is answered and
    // its connection closed before anything of it goes anywhere.
    if (auto r = check_framing(d->headers, d->method, evhttp_request_get_uri(req))) {
        ++stats_.bad_framing;
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        reply(*d, r->status, r->why + "\n", "ERROR");
        return;
    }
    if (!d->valid) {
        ++stats_.bad_requests;
        reply(*d, 400, "a request needs a Host (host[:port]) and a target starting with /\n", "ERROR");
        return;
    }
    // Routing, the cache key and the origin all see the target without dot-segments.
    NormalisedTarget nt = normalise_target(d->path);
    if (nt.refusal) {
        ++stats_.bad_targets;
        reply(*d, nt.refusal->status, nt.refusal->why + "\n", "ERROR");
        return;
    }
    if (nt.target != d->path) {
        d->url.resize(d->url.size() - d->path.size());
        d->path = std::move(nt.target);
        d->url += d->path;
    }
    if (prefix_of("/svc/", d->path)) {
        ++stats_.service_requests;
        services_->proxy(std::move(d));
        return;
    }
    const Route* route = route_for(d->host, d->path);
    if (!route) {
        reply(*d, 404, "no route for " + d->url + "\n", "ERROR");
        return;
    }
    // A prefix ending inside a segment ("/img" for "/img../x") would join into a dot-segment.
    if (std::string t = origin_upstream(*route, d->path).target; has_dot_segment(t.substr(0, t.find('?')))) {
        ++stats_.bad_targets;
        reply(*d, 400, "the route maps this path to one with a dot-segment\n", "ERROR");
        return;
    }
    mark_client(*d, route->dscp);
    bool peer = false;
    if (auto mark = get_header(d->headers, "x-sr-peer")) {
        peer = peer_mark_valid(cfg_.peer_key, *mark, d->url, wall_seconds());
        if (peer) {
            ++stats_.peer_requests;
            // The requesting cache names its client last in X-Forwarded-For: the access log says for whom.
            if (auto xff = get_combined(d->headers, "x-forwarded-for")) {
                std::string last = xff->substr(xff->find_last_of(',') == std::string::npos ? 0 : xff->find_last_of(',') + 1);
                last.erase(0, last.find_first_not_of(' '));
                d->for_client = last.substr(0, 64);
            }
        }
        if (!peer) {  // not one of ours: an ordinary request, and the mark goes no further
            ++stats_.peer_rejected;
            remove_header(d->headers, "x-sr-peer");
            d->unverified_peer = true;
        }
    }
    if (d->method != "GET" && d->method != "HEAD") {
        if (peer) {
            reply(*d, 403, "peer caches may only read\n", "ERROR");
            return;
        }
        ++stats_.passes;
        d->x_cache = "PASS";
        pass(std::move(d), *route);
        return;
    }
    std::int64_t now = wall_seconds();
    if (auto h = hot_.find(d->url)) {
        ReuseDecision how = reuse(d->headers, h->object.response, now, cfg_.policy);
        if (how.action == Action::Serve || peer) {
            if (h->touched < now && store_->touch(h->object.url, h->object.variant, now)) h->touched = now;
            if (peer) ++stats_.peer_served;
            if (peer) how.age = current_age(h->object.response, now);
            respond_stored(*d, h->object, nullptr, &h->body, how, peer ? "PEER-HIT" : "HIT");
            return;
        }
    }
    std::optional<OpenObject> stored;
    for (const auto& v : store_->variants(d->url)) {
        auto o = store_->open(v.url, v.variant, now);
        if (o && vary_matches(o->object.response.headers, o->object.request_headers, d->headers)) {
            stored = std::move(o);
            break;
        }
    }
    if (stored) {
        // A peer asks for our copy as it is: it judges freshness itself from Age.
        ReuseDecision how = reuse(d->headers, stored->object.response, now, cfg_.policy);
        if (peer) {
            how.action = Action::Serve;
            ++stats_.peer_served;
        }
        switch (how.action) {
            case Action::Serve:
            case Action::ServeStaleAndRevalidate: {
                bool background = how.action == Action::ServeStaleAndRevalidate;
                if (background) ++stats_.stale;
                std::optional<StoredObject> revalidate;
                Headers asked;
                if (background && !joinable_.count(d->url)) {
                    revalidate = stored->object;
                    asked = d->headers;  // the refresh speaks for this request (Host, Vary fields)
                }
                serve_stored(*d, std::move(*stored), how, peer ? "PEER-HIT" : background ? "STALE" : "HIT");
                if (revalidate) start_fill(nullptr, *route, std::move(revalidate), true, &asked);
                return;
            }
            case Action::GatewayTimeout:
                reply(*d, 504, "not in the cache (only-if-cached)\n", "MISS");
                return;
            case Action::Validate:
                if (auto it = joinable_.find(d->url); it != joinable_.end() && it->second->join(d)) {
                    ++stats_.collapsed;
                    return;
                }
                start_fill(std::move(d), *route, std::move(stored->object));
                return;
        }
    }
    if (peer) {  // never fetch on a peer's behalf: that is how loops are avoided
        reply(*d, 404, "not here\n", "PEER-MISS");
        return;
    }
    if (parse_cache_control(d->headers).only_if_cached) {
        reply(*d, 504, "not in the cache (only-if-cached)\n", "MISS");
        return;
    }
    if (auto it = joinable_.find(d->url); it != joinable_.end() && it->second->join(d)) {
        ++stats_.collapsed;
        d.reset();
        return;
    }
    start_fill(std::move(d), *route, std::nullopt);
}

void Cache::start_fill(std::unique_ptr<Downstream> d, const Route& route, std::optional<StoredObject> stale,
                       bool joinable, const Headers* background_request) {
    std::string url = d ? d->url : stale ? stale->url : std::string();
    std::string path = d ? d->path : url.substr(url.find('/', 7));
    // Requests with credentials are not sent to peer caches.
    bool credentials = d && (has_header(d->headers, "authorization") || has_header(d->headers, "cookie"));
    bool from_peer = d && d->unverified_peer;
    Fill::Kind kind = stale ? Fill::Kind::Validate : Fill::Kind::Cacheable;
    auto fill = std::make_unique<Fill>(*this, kind, url, route, std::move(d), std::move(stale));
    if (background_request) fill->set_request_headers(*background_request);
    Fill* raw = fill.get();
    fills_[raw] = std::move(fill);
    if (joinable) joinable_[url] = raw;
    Upstream origin = origin_upstream(route, path);
    if (coop_ && kind == Fill::Kind::Cacheable && !credentials && !from_peer) {
        std::uint64_t generation = ++fill_generation_;
        fill_ids_[raw] = generation;
        coop_->holders(url, path, [this, raw, generation, origin](std::vector<Upstream> peers) {
            auto it = fill_ids_.find(raw);
            if (it == fill_ids_.end() || it->second != generation) return;  // gone meanwhile
            peers.push_back(origin);
            raw->begin(std::move(peers));
        });
        return;
    }
    raw->begin({origin});
}

void Cache::pass(std::unique_ptr<Downstream> d, const Route& route) {
    std::string url = d->url;
    Upstream origin = origin_upstream(route, d->path);
    auto fill = std::make_unique<Fill>(*this, Fill::Kind::Pass, url, route, std::move(d), std::nullopt);
    Fill* raw = fill.get();
    fills_[raw] = std::move(fill);
    raw->begin({origin});
}

void Cache::proxy_to(std::unique_ptr<Downstream> d, std::vector<Upstream> candidates, int dscp) {
    Route route;
    route.dscp = dscp;
    std::string url = d->url;
    auto fill = std::make_unique<Fill>(*this, Fill::Kind::Pass, url, route, std::move(d), std::nullopt);
    Fill* raw = fill.get();
    fills_[raw] = std::move(fill);
    raw->begin(std::move(candidates));
}

void Cache::not_joinable(Fill* f) {
    auto it = joinable_.find(f->url());
    if (it != joinable_.end() && it->second == f) joinable_.erase(it);
}

void Cache::fill_finished(Fill* f) {
    not_joinable(f);
    fill_ids_.erase(f);
    auto it = fills_.find(f);
    if (it == fills_.end()) return;
    // Not destroyed here: we may be inside one of its callbacks.
    graveyard_.push_back(std::move(it->second));
    fills_.erase(it);
    if (!bury_) bury_ = std::make_unique<Timer>(loop_, [this] { graveyard_.clear(); });
    bury_->arm_in(0);
}

bool Cache::serve_from_store(Downstream& d, const std::string& url, const std::string& variant, const char* x_cache) {
    if (d.closed || d.done) return true;
    std::int64_t now = wall_seconds();
    try {
        auto obj = store_->open(url, variant, now);
        if (!obj) return false;  // the caller answers otherwise
        ReuseDecision how;
        how.age = current_age(obj->object.response, now);
        serve_stored(d, std::move(*obj), how, x_cache);
        return true;
    } catch (const Error& e) {
        log::error("cannot serve ", url, " from the store: ", e.what());
        return false;
    }
}

void Cache::serve_stored(Downstream& d, OpenObject obj, const ReuseDecision& how, const char* x_cache) {
    respond_stored(d, obj.object, &obj, nullptr, how, x_cache);
}

void Cache::respond_stored(Downstream& d, const StoredObject& st, OpenObject* file, const std::string* mem,
                           const ReuseDecision& how, const char* x_cache) {
    Headers h = st.response.headers;
    for (const auto& f : how.strip_fields) remove_header(h, f);
    drop_framing(h);
    if (std::string_view(x_cache).rfind("PEER", 0) != 0) remove_header(h, "surrogate-control");  // for surrogates only
    set_header(h, "Age", std::to_string(how.age));
    int status = st.response.status;
    std::uint64_t first = 0, length = st.body_size;
    bool body = !d.is_head() && status >= 200 && status != 204 && status != 304;
    if (status == 200 && not_modified(d.headers, h)) {
        status = 304;  // the client's own conditional, answered from the copy (RFC 9111 §4.3.2)
        body = false;
        length = 0;
    } else if (status == 200 && d.method == "GET" && if_range_matches(d.headers, h)) {
        if (auto range = get_header(d.headers, "range")) {
            RangeResult rr = parse_range(*range, st.body_size);
            if (rr.kind == RangeKind::Single) {
                status = 206;
                first = rr.range.first;
                length = rr.range.last - rr.range.first + 1;
                h.emplace_back("Content-Range", content_range(rr.range, st.body_size));
            } else if (rr.kind == RangeKind::Unsatisfiable) {
                status = 416;
                length = 0;
                body = false;
                h.emplace_back("Content-Range", content_range_unsatisfied(st.body_size));
            }
        }
    }
    h.emplace_back("X-Cache", x_cache);
    if (status != 304 && status != 204) h.emplace_back("Content-Length", std::to_string(length));
    if (cfg_.peer_key && std::string_view(x_cache) == "PEER-HIT")
        if (auto mark = get_header(d.headers, "x-sr-peer")) sign_peer_response(*cfg_.peer_key, *mark, d.url, status, h);
    d.unwatch();
    add_output_headers(d.req, h);
    evbuffer* b = evbuffer_new();
    if (body && length > 0) {
        if (mem) {
            evbuffer_add(b, mem->data() + first, length);
        } else if (length <= kReadSmallBodies) {
            // One pread: cheaper than a file segment, which libevent maps and unmaps
            // unless it is added straight to a socket's buffer (not possible through evhttp).
            evbuffer_iovec v;
            evbuffer_reserve_space(b, static_cast<ev_ssize_t>(length), &v, 1);
            ssize_t got = ::pread(file->fd, v.iov_base, length, static_cast<off_t>(first));
            if (got != static_cast<ssize_t>(length)) {
                evbuffer_free(b);
                throw Error("io", "short read of the stored body of " + st.url);
            }
            v.iov_len = length;
            if (first == 0 && length == st.body_size && hot_.wants(st))
                hot_.put(st, std::string(static_cast<const char*>(v.iov_base), length));
            evbuffer_commit_space(b, &v, 1);
        } else {
            // Large: sendfile. evhttp writes the header; the body goes as a file segment
            // straight into the socket's buffer (only there does libevent use sendfile
            // rather than mapping the file), and send_reply_end waits for it to drain.
            evbuffer_free(b);
            stats_.bytes_out += length;
            d.sent = length;
            d.status = status;
            d.x_cache = x_cache;
            d.done = true;
            bufferevent* bev = evhttp_connection_get_bufferevent(d.evcon);
            evbuffer* out = bufferevent_get_output(bev);
            net::cork_until_drained(bufferevent_getfd(bev), out);
            evhttp_send_reply_start(d.req, status, nullptr);
            evbuffer_add_file(out, file->release(), static_cast<ev_off_t>(first), static_cast<ev_off_t>(length));
            evhttp_send_reply_end(d.req);
            d.answered();
            access(d, status);
            return;
        }
        stats_.bytes_out += length;
        d.sent = length;
    }
    d.status = status;
    d.x_cache = x_cache;
    evhttp_send_reply(d.req, status, nullptr, b);
    evbuffer_free(b);
    d.answered();
    access(d, status);
}

void Cache::invalidate(const std::string& method, int status, const std::string& url, const Headers& response) {
    for (const auto& u : invalidation_uris(method, status, url, response)) {
        hot_.forget(u);
        auto gone = store_->purge(u, false);
        if (!gone.empty() && coop_) coop_->withdraw(u);
        stats_.purged += gone.size();
    }
}

std::vector<ObjectInfo> Cache::purge(const std::string& url_or_prefix, bool prefix) {
    auto gone = store_->purge(url_or_prefix, prefix);
    for (const auto& o : gone) hot_.forget(o.url);
    stats_.purged += gone.size();
    if (coop_) {
        std::vector<std::string> urls;
        for (const auto& o : gone) urls.push_back(o.url);
        std::sort(urls.begin(), urls.end());
        urls.erase(std::unique(urls.begin(), urls.end()), urls.end());
        for (const auto& u : urls) coop_->withdraw(u);
    }
    return gone;
}

void Cache::committed(const StoredObject& obj, std::int64_t lifetime_left, const std::vector<ObjectInfo>& evicted) {
    stats_.evictions += evicted.size();
    hot_.forget(obj.url);
    for (const auto& o : evicted) hot_.forget(o.url);
    if (!coop_) return;
    for (const auto& o : evicted)
        if (store_->variants(o.url).empty()) coop_->withdraw(o.url);
    if (lifetime_left > 0 && obj.response.status == 200) coop_->publish(obj, lifetime_left);
}

void Cache::access(const Downstream& d, int status) {
    // Counted from the verdict the line carries, so that the counters and the
    // access log agree (a stale copy fetched again whole is a MISS in both).
    if (d.x_cache == "HIT") ++stats_.hits;
    else if (d.x_cache == "MISS") ++stats_.misses;
    if (!access_log_) return;
    double ms = static_cast<double>(Loop::now_us() - d.start_us) / 1000.0;
    std::string line = access_line(cfg_.access_log_format, {log::rfc3339_now(), d.client, d.method, d.url, status, d.sent,
                                                            d.x_cache, ms, d.upstream, d.for_client});
    std::fwrite(line.data(), 1, line.size(), access_log_);
}

}  // namespace sr::cache
