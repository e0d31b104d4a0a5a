// Client connection bounds (design in http_admission.hpp).
#include "core/http_admission.hpp"

#include "core/error.hpp"
#include "core/net_limits.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstring>

namespace sr {

namespace {

constexpr std::size_t kMaxSingleWrite = 16 << 20;

std::string plain_answer(const char* status, const char* body, const char* extra) {
    return std::string("HTTP/1.1 ") + status + "\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: " +
           std::to_string(std::strlen(body)) + "\r\nConnection: close\r\n" + extra + "\r\n" + body;
}
const std::string kRefused = plain_answer("503 Service Unavailable", "too many connections\n", "Retry-After: 1\r\n");
const std::string kTooSlow = plain_answer("408 Request Timeout", "the request did not arrive in time\n", "");

}  // namespace

void add_connection_options(CLI::App& app, ConnectionOptions& o) {
    app.add_option("--max-connections", o.max_connections,
                   "Client connections at most, all sources together (0: a third of the descriptor limit, less 64)")
        ->capture_default_str();
    app.add_option("--max-connections-per-source", o.max_connections_per_source,
                   "Client connections at most from one address (an IPv6 /64)")
        ->check(CLI::Range(1, 1 << 20))
        ->capture_default_str();
    app.add_option("--header-timeout", o.header_timeout,
                   "Seconds a request (header, and body if any) may take to arrive from its first byte")
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str();
    app.add_option("--keepalive-timeout", o.keepalive_timeout,
                   "Seconds an idle persistent client connection is kept open")
        ->check(CLI::Range(0.1, 3600.0))
        ->capture_default_str();
}

ConnectionLimits connection_limits(const ConnectionOptions& o) {
    ConnectionLimits l;
    l.max_connections = o.max_connections;
    l.max_per_source = o.max_connections_per_source;
    l.header_timeout_us = static_cast<std::int64_t>(o.header_timeout * 1e6);
    l.keepalive_timeout_us = static_cast<std::int64_t>(o.keepalive_timeout * 1e6);
    return l;
}

ConnectionLimits resolve_connection_limits(ConnectionLimits l) {
    // The rest of the descriptors: the store's files, upstream connections, the control socket.
    std::size_t fds = net::fd_limit();
    if (l.max_connections == 0) l.max_connections = std::max<std::size_t>((fds > 64 ? fds - 64 : 0) / 3, 16);
    else if (l.max_connections + 64 > fds)
        throw Error("config", "--max-connections " + std::to_string(l.max_connections) + " leaves too few of the " +
                                  std::to_string(fds) +
                                  " descriptors (RLIMIT_NOFILE) for the store and upstreams: keep it at most " +
                                  std::to_string(fds > 64 ? fds - 64 : 0));
    if (l.max_per_source == 0) l.max_per_source = l.max_connections;
    return l;
}

ClientConnections::ClientConnections(Loop& loop, ConnectionLimits limits)
    : loop_(loop), limits_(limits), admit_timer_(loop, [this] { admit_pending(); }), sweep_timer_(loop, [this] {
          sweep();
      }) {
    limits_ = resolve_connection_limits(limits_);
    sweep_timer_.arm_in(0);
}

ClientConnections::~ClientConnections() { detach(); }

void ClientConnections::attach(evhttp* http) { evhttp_set_bevcb(http, &ClientConnections::new_bev, this); }

void ClientConnections::detach() {
    for (auto* bev : pending_) bufferevent_decref(bev);
    pending_.clear();
}

bufferevent* ClientConnections::new_bev(event_base* base, void* self) {
    auto* me = static_cast<ClientConnections*>(self);
    // As evhttp makes its own (no BEV_OPT_CLOSE_ON_FREE: evhttp closes the socket).
    bufferevent* bev = bufferevent_socket_new(base, -1, 0);
    if (!bev) return nullptr;
    // libevent writes at most 16 KiB per connection per loop turn by
    // default: a 1 MB answer then takes 64 turns, interleaved with every
    // other connection's. As much as the socket takes at once instead.
    bufferevent_set_max_single_write(bev, kMaxSingleWrite);
    bufferevent_incref(bev);  // still ours to look at when the loop is back, even if evhttp frees it first
    me->pending_.push_back(bev);
    me->admit_timer_.arm_in(0);
    return bev;
}

void ClientConnections::admit_pending() {
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto* bev : pending) {
        admit(bev);
        bufferevent_decref(bev);
    }
}

void ClientConnections::admit(bufferevent* bev) {
    bufferevent_data_cb readcb = nullptr;
    bufferevent_getcb(bev, &readcb, nullptr, nullptr, nullptr);
    int fd = bufferevent_getfd(bev);
    if (!readcb || fd < 0) return;  // evhttp has freed it already
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    struct stat st {};
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0 || ::fstat(fd, &st) != 0) return;
    forget(fd);  // a record on this descriptor is of a connection gone since
    auto c = std::make_unique<Conn>(Conn{this, fd, st.st_ino, net::limit_source(reinterpret_cast<const sockaddr*>(&ss))});
    Conn& conn = *c;
    conns_[fd] = std::move(c);
    // At a limit, the counts may hold connections evhttp has freed since the
    // last pass: look (at most every kPruneEvery), then count again.
    auto over_limit = [&] {
        return per_source_[conn.source] >= limits_.max_per_source || open() - 1 >= limits_.max_connections;
    };  // open() counts conn already
    bool over = over_limit();
    if (over) {
        prune_if_due();
        over = over_limit();
    }
    ++per_source_[conn.source];
    if (over) {
        ++stats_.refused;
        close(conn, kRefused.c_str());
        return;
    }
    conn.deadline_us = Loop::now_us() + limits_.header_timeout_us;
    evbuffer_add_cb(bufferevent_get_input(bev), &ClientConnections::on_input, &conn);
}

bool ClientConnections::alive(const Conn& c) const {
    struct stat st {};
    return ::fstat(c.fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_ino == c.ino;
}

void ClientConnections::forget(int fd) {
    auto it = conns_.find(fd);
    if (it == conns_.end()) return;
    Conn& c = *it->second;
    if (c.closing) --closing_;
    else if (auto s = per_source_.find(c.source); s != per_source_.end() && --s->second == 0) per_source_.erase(s);
    conns_.erase(it);
}

void ClientConnections::prune() {
    last_prune_us_ = Loop::now_us();
    std::vector<int> gone;
    for (const auto& [fd, c] : conns_) {
        ++stats_.checked;
        if (!alive(*c)) gone.push_back(fd);
    }
    for (int fd : gone) forget(fd);
}

void ClientConnections::prune_if_due() {
    if (Loop::now_us() - last_prune_us_ >= kPruneEvery) prune();
}

void ClientConnections::close(Conn& c, const char* answer) {
    if (c.closing) return;
    if (answer) (void)::send(c.fd, answer, std::strlen(answer), MSG_DONTWAIT | MSG_NOSIGNAL);
    // evhttp reads the end of the stream and frees the connection (and closes the socket).
    ::shutdown(c.fd, SHUT_RDWR);
    c.closing = true;
    ++closing_;
    if (auto s = per_source_.find(c.source); s != per_source_.end() && --s->second == 0) per_source_.erase(s);
}

void ClientConnections::sweep() {
    prune();
    std::int64_t now = Loop::now_us();
    for (auto& [fd, c] : conns_) {
        if (c->closing || c->busy || now < c->deadline_us) continue;
        ++stats_.timed_out;
        close(*c, c->idle ? nullptr : kTooSlow.c_str());  // an idle close needs no words
    }
    std::int64_t every = std::min(limits_.header_timeout_us, limits_.keepalive_timeout_us) / 4;
    sweep_timer_.arm_in(std::clamp<std::int64_t>(every, 100'000, 1'000'000));
}

ClientConnections::Conn* ClientConnections::find(evhttp_request* req) {
    evhttp_connection* evcon = evhttp_request_get_connection(req);
    if (!evcon) return nullptr;
    int fd = bufferevent_getfd(evhttp_connection_get_bufferevent(evcon));
    auto it = conns_.find(fd);
    return it == conns_.end() ? nullptr : it->second.get();
}

bool ClientConnections::request_started(evhttp_request* req) {
    admit_pending();
    Conn* c = find(req);
    if (!c) return true;  // not seen (its peer address was gone): nothing to bound
    if (c->closing) return false;
    c->busy = true;
    c->idle = false;
    evhttp_request_set_on_complete_cb(req, &ClientConnections::on_complete, this);
    return true;
}

void ClientConnections::on_complete(evhttp_request* req, void* self) {
    auto* me = static_cast<ClientConnections*>(self);
    Conn* c = me->find(req);
    if (!c || c->closing) return;
    c->busy = false;
    c->idle = true;
    c->deadline_us = Loop::now_us() + me->limits_.keepalive_timeout_us;
}

void ClientConnections::on_input(evbuffer*, const evbuffer_cb_info* info, void* conn) {
    auto* c = static_cast<Conn*>(conn);
    if (info->n_added == 0 || !c->idle || c->busy || c->closing) return;
    // The next request's first byte: it now has the header timeout to arrive.
    c->idle = false;
    c->deadline_us = Loop::now_us() + c->owner->limits_.header_timeout_us;
}

}  // namespace sr
