#include "cache/http_client.hpp"

#include "cache/request_check.hpp"
#include "core/error.hpp"

#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sr::cache {

// ---- addresses and URLs ---------------------------------------------------------

std::string Endpoint::str() const {
    char buf[INET6_ADDRSTRLEN] = "?";
    std::uint16_t port = 0;
    if (addr.ss_family == AF_INET) {
        auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
        inet_ntop(AF_INET, &a->sin_addr, buf, sizeof buf);
        port = ntohs(a->sin_port);
        return std::string(buf) + ":" + std::to_string(port);
    }
    auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    inet_ntop(AF_INET6, &a->sin6_addr, buf, sizeof buf);
    port = ntohs(a->sin6_port);
    return "[" + std::string(buf) + "]:" + std::to_string(port);
}

bool Endpoint::operator<(const Endpoint& o) const {
    if (len != o.len) return len < o.len;
    int c = std::memcmp(&addr, &o.addr, len);
    if (c != 0) return c < 0;
    return host_header < o.host_header;
}

std::string Url::authority() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return port == 80 ? h : h + ":" + std::to_string(port);
}

Url parse_url(const std::string& url) {
    http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(url.data(), url.size(), 0, &u) != 0 || !(u.field_set & (1 << UF_HOST)))
        throw Error("invalid_params", "not an absolute http URL: " + url);
    auto field = [&](int f) { return url.substr(u.field_data[f].off, u.field_data[f].len); };
    if (u.field_set & (1 << UF_SCHEMA)) {
        std::string scheme = field(UF_SCHEMA);
        if (!iequals(scheme, "http")) throw Error("invalid_params", "only http URLs are supported: " + url);
    }
    Url out;
    out.host = field(UF_HOST);
    if (u.field_set & (1 << UF_PORT)) out.port = u.port;
    if (u.field_set & (1 << UF_PATH)) {
        // The path and everything after it, as written.
        out.path = url.substr(u.field_data[UF_PATH].off);
        if (auto hash = out.path.find('#'); hash != std::string::npos) out.path.resize(hash);
    } else if (u.field_set & (1 << UF_QUERY)) {
        out.path = "/?" + field(UF_QUERY);
    }
    return out;
}

Endpoint resolve_endpoint(const std::string& host, std::uint16_t port) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_ADDRCONFIG;
    addrinfo* res = nullptr;
    std::string service = std::to_string(port);
    int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
    if (rc != 0 || res == nullptr) throw Error("config", "cannot resolve " + host + ": " + gai_strerror(rc));
    Endpoint ep;
    std::memcpy(&ep.addr, res->ai_addr, res->ai_addrlen);
    ep.len = res->ai_addrlen;
    freeaddrinfo(res);
    Url u;
    u.host = host;
    u.port = port;
    ep.host_header = u.authority();
    return ep;
}

bool set_dscp(int fd, int dscp) {
    if (dscp < 0) return true;
    int tos = (dscp & 0x3f) << 2;
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return false;
    if (ss.ss_family == AF_INET6) {
        if (setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos) != 0) return false;
        // A v4-mapped socket sends IPv4 packets: mark those too (best effort).
        (void)setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
        return true;
    }
    return setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos) == 0;
}

// ---- exchanges and connections ------------------------------------------------------

struct HttpClient::Exchange {
    Endpoint to;
    ClientRequest req;
    Callbacks cb;
    Conn* conn = nullptr;
    bool cancelled = false;
    bool got_bytes = false;  // some of the answer arrived: no silent retry
    bool retried = false;
    bool paused = false;
    std::unique_ptr<Timer> deferred;
};

struct HttpClient::Conn {
    HttpClient& client;
    Endpoint to;
    int dscp;
    bufferevent* bev = nullptr;
    http_parser parser{};
    Handle ex;
    bool reused = false;
    bool in_parser = false;  // inside http_parser_execute: destruction is deferred
    bool doomed = false;
    bool head_done = false, message_done = false, skip_body = false;
    ResponseHead head;
    std::string field, value;
    bool in_value = false;

    Conn(HttpClient& c, Endpoint t, int d) : client(c), to(std::move(t)), dscp(d) {}
    ~Conn() {
        if (bev) bufferevent_free(bev);
    }

    bool open();
    void start(Handle e);
    void on_read();
    void on_event(short what);
    void fail(const std::string& why);
    void finish();
    void reset_parser();
    void drop_idle() {  // destroys this
        auto& pool = client.idle_[{to, dscp}];
        for (auto it = pool.begin(); it != pool.end(); ++it)
            if (it->get() == this) {
                pool.erase(it);
                return;
            }
    }

    static http_parser_settings settings;
    static void read_cb(bufferevent*, void* self) { static_cast<Conn*>(self)->on_read(); }
    static void event_cb(bufferevent*, short what, void* self) { static_cast<Conn*>(self)->on_event(what); }
};

namespace {

timeval tv_of(std::int64_t us) { return timeval{static_cast<time_t>(us / 1'000'000), static_cast<suseconds_t>(us % 1'000'000)}; }

HttpClient::Conn* conn_of(http_parser* p) { return static_cast<HttpClient::Conn*>(p->data); }

void push_header(HttpClient::Conn* c) {
    if (!c->field.empty()) c->head.headers.emplace_back(std::move(c->field), std::move(c->value));
    c->field.clear();
    c->value.clear();
    c->in_value = false;
}

// Why req cannot go out as it is, or "": a byte that would end a line or
// split the request line early at a lenient reader (the client's own checks
// refuse these before; this keeps any path that forgot from reaching an origin).
std::string unsendable(const ClientRequest& req) {
    for (unsigned char c : req.method)
        if (c <= 0x20 || c >= 0x7f) return "a control byte or space in the method";
    if (auto r = check_target(req.target)) return r->why;
    for (const auto& [name, value] : req.headers) {
        for (unsigned char c : name)
            if (c <= 0x20 || c >= 0x7f || c == ':') return "a control byte, space or colon in a field name";
        if (!valid_field_value(value)) return "a control byte in the value of a field";
    }
    return {};
}

std::string serialize(const Endpoint& to, const ClientRequest& req) {
    std::string out;
    out.reserve(256 + req.body.size());
    out += req.method;
    out += ' ';
    out += req.target;
    out += " HTTP/1.1\r\n";
    if (!has_header(req.headers, "host")) out += "Host: " + to.host_header + "\r\n";
    for (const auto& [name, value] : req.headers) {
        if (iequals(name, "content-length") || iequals(name, "transfer-encoding")) continue;
        out += name;
        out += ": ";
        out += value;
        out += "\r\n";
    }
    if (!req.body.empty() || req.method == "POST" || req.method == "PUT" || req.method == "PATCH")
        out += "Content-Length: " + std::to_string(req.body.size()) + "\r\n";
    out += "\r\n";
    out += req.body;
    return out;
}

}  // namespace

http_parser_settings HttpClient::Conn::settings = [] {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_header_field = [](http_parser* p, const char* at, size_t n) {
        auto* c = conn_of(p);
        if (c->in_value) push_header(c);
        c->field.append(at, n);
        return 0;
    };
    s.on_header_value = [](http_parser* p, const char* at, size_t n) {
        auto* c = conn_of(p);
        c->in_value = true;
        c->value.append(at, n);
        return 0;
    };
    s.on_headers_complete = [](http_parser* p) {
        auto* c = conn_of(p);
        push_header(c);
        if (p->status_code / 100 == 1) return 1;  // interim (100 Continue): no content (RFC 9112 §6.3); wait for the real answer
        c->head.status = p->status_code;
        if (!(p->flags & F_CHUNKED) && p->content_length != ULLONG_MAX) c->head.content_length = p->content_length;
        c->head_done = true;
        if (c->ex && !c->ex->cancelled && c->ex->cb.on_head) c->ex->cb.on_head(c->head);
        // No body after HEAD, 204 or 304, whatever Content-Length says (http-parser
        // would wait for one after a 304 that carries a Content-Length).
        bool bodyless = c->skip_body || p->status_code == 204 || p->status_code == 304;
        return bodyless ? 1 : 0;
    };
    s.on_body = [](http_parser* p, const char* at, size_t n) {
        auto* c = conn_of(p);
        if (c->ex && !c->ex->cancelled && c->ex->cb.on_body) c->ex->cb.on_body(at, n);
        return 0;
    };
    s.on_message_complete = [](http_parser* p) {
        auto* c = conn_of(p);
        if (!c->head_done) {  // the end of an interim response
            c->head = {};
            return 0;
        }
        c->message_done = true;
        http_parser_pause(p, 1);
        return 0;
    };
    return s;
}();

void HttpClient::Conn::reset_parser() {
    http_parser_init(&parser, HTTP_RESPONSE);
    parser.data = this;
    head = {};
    field.clear();
    value.clear();
    in_value = head_done = message_done = false;
}

bool HttpClient::Conn::open() {
    int fd = socket(to.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    // DSCP before connect, so that every packet of the flow carries it.
    if (dscp >= 0) {
        int tos = (dscp & 0x3f) << 2;
        if (to.addr.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_TCLASS, &tos, sizeof tos);
        else setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    bev = bufferevent_socket_new(client.loop_.base(), fd, BEV_OPT_CLOSE_ON_FREE);
    if (!bev) {
        ::close(fd);
        return false;
    }
    bufferevent_setcb(bev, read_cb, nullptr, event_cb, this);
    timeval ct = tv_of(client.limits_.connect_timeout_us);
    bufferevent_set_timeouts(bev, &ct, &ct);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
    return bufferevent_socket_connect(bev, reinterpret_cast<const sockaddr*>(&to.addr), static_cast<int>(to.len)) == 0;
}

void HttpClient::Conn::start(Handle e) {
    ex = std::move(e);
    ex->conn = this;
    reset_parser();
    skip_body = ex->req.method == "HEAD";
    std::string bytes = serialize(to, ex->req);
    bufferevent_write(bev, bytes.data(), bytes.size());
    if (reused) {
        timeval rt = tv_of(client.limits_.read_timeout_us);
        bufferevent_set_timeouts(bev, &rt, &rt);
    }
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

void HttpClient::Conn::on_read() {
    evbuffer* in = bufferevent_get_input(bev);
    if (!ex) {  // an idle connection: the server may only close it
        drop_idle();
        return;
    }
    while (evbuffer_get_length(in) > 0 && !message_done) {
        evbuffer_iovec v;
        if (evbuffer_peek(in, -1, nullptr, &v, 1) < 1) break;
        ex->got_bytes = true;
        in_parser = true;
        size_t used = http_parser_execute(&parser, &settings, static_cast<const char*>(v.iov_base), v.iov_len);
        in_parser = false;
        if (doomed) {
            client.active_.erase(this);
            return;
        }
        evbuffer_drain(in, used);
        auto err = HTTP_PARSER_ERRNO(&parser);
        if (err != HPE_OK && err != HPE_PAUSED) {
            fail(std::string("bad response: ") + http_errno_description(err));
            return;
        }
        if (!ex) return;
        if (ex->paused) break;  // the rest stays buffered until resume()
    }
    if (message_done) finish();  // also when paused: nothing more is to come
}

void HttpClient::Conn::finish() {
    Handle done = std::move(ex);
    done->conn = nullptr;
    bool keep = http_should_keep_alive(&parser) && evbuffer_get_length(bufferevent_get_input(bev)) == 0;
    auto self = std::move(client.active_[this]);
    client.active_.erase(this);
    if (keep) client.release(std::move(self));
    else self.reset();
    if (!done->cancelled && done->cb.on_done) done->cb.on_done(true, "");
}

void HttpClient::Conn::on_event(short what) {
    if (what & BEV_EVENT_CONNECTED) {
        timeval rt = tv_of(client.limits_.read_timeout_us);
        bufferevent_set_timeouts(bev, &rt, &rt);
        return;
    }
    if (!ex) {  // idle: closed or timed out
        drop_idle();
        return;
    }
    if ((what & BEV_EVENT_EOF) && head_done) {
        // A close-delimited body ends here; anything else is truncated.
        in_parser = true;
        http_parser_execute(&parser, &settings, nullptr, 0);
        in_parser = false;
        if (doomed) {
            client.active_.erase(this);
            return;
        }
        if (message_done) {
            Handle done = std::move(ex);
            done->conn = nullptr;
            client.active_.erase(this);
            if (!done->cancelled && done->cb.on_done) done->cb.on_done(true, "");
            return;
        }
    }
    std::string why = (what & BEV_EVENT_TIMEOUT) ? "timed out"
                      : (what & BEV_EVENT_EOF)   ? "connection closed before the response ended"
                                                 : std::string("connection failed: ") +
                                                       evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR());
    fail(why);
}

void HttpClient::Conn::fail(const std::string& why) {
    Handle e = std::move(ex);
    HttpClient& c = client;
    // Only idempotent requests are sent twice (RFC 9110 §9.2.2).
    bool idempotent = e->req.method != "POST" && e->req.method != "PATCH";
    bool retry = reused && !e->got_bytes && !e->retried && idempotent;
    e->conn = nullptr;
    c.active_.erase(this);  // destroys this
    if (e->cancelled) return;
    if (retry) {
        e->retried = true;
        auto fresh = std::make_unique<Conn>(c, e->to, e->req.dscp);
        if (fresh->open()) {
            Conn* raw = fresh.get();
            c.active_[raw] = std::move(fresh);
            raw->start(e);
            return;
        }
    }
    if (e->cb.on_done) e->cb.on_done(false, why);
}

// ---- the client ------------------------------------------------------------------------

HttpClient::HttpClient(Loop& loop, ClientLimits limits) : loop_(loop), limits_(limits) {}
HttpClient::~HttpClient() = default;

HttpClient::Handle HttpClient::fetch(const Endpoint& to, ClientRequest req, Callbacks cb) {
    auto e = std::make_shared<Exchange>();
    e->to = to;
    e->req = std::move(req);
    e->cb = std::move(cb);
    if (std::string bad = unsendable(e->req); !bad.empty()) {
        // Never written out; reported from the loop, never from inside fetch().
        std::string why = "refused to send the request to " + to.str() + ": " + bad;
        std::weak_ptr<Exchange> weak = e;
        e->deferred = std::make_unique<Timer>(loop_, [weak, why] {
            if (auto x = weak.lock(); x && !x->cancelled && x->cb.on_done) x->cb.on_done(false, why);
        });
        e->deferred->arm_in(0);
        return e;
    }
    std::unique_ptr<Conn> conn;
    auto& pool = idle_[{to, e->req.dscp}];
    if (!pool.empty()) {
        conn = std::move(pool.back());
        pool.pop_back();
        conn->reused = true;
    } else {
        conn = std::make_unique<Conn>(*this, to, e->req.dscp);
        if (!conn->open()) {
            // Report from the loop, never from inside fetch().
            std::string why = std::string("cannot connect to ") + to.str() + ": " + std::strerror(errno);
            std::weak_ptr<Exchange> weak = e;
            e->deferred = std::make_unique<Timer>(loop_, [weak, why] {
                if (auto x = weak.lock(); x && !x->cancelled && x->cb.on_done) x->cb.on_done(false, why);
            });
            e->deferred->arm_in(0);
            return e;
        }
    }
    Conn* raw = conn.get();
    active_[raw] = std::move(conn);
    raw->start(e);
    return e;
}

void HttpClient::cancel(const Handle& h) {
    if (!h) return;
    h->cancelled = true;
    if (h->deferred) h->deferred->cancel();
    if (Conn* c = h->conn) {
        h->conn = nullptr;
        c->ex.reset();
        if (c->in_parser) c->doomed = true;
        else active_.erase(c);
    }
}

void HttpClient::pause(const Handle& h) {
    if (!h || h->paused) return;
    h->paused = true;
    if (h->conn) bufferevent_disable(h->conn->bev, EV_READ);
}

void HttpClient::resume(const Handle& h) {
    if (!h || !h->paused) return;
    h->paused = false;
    if (Conn* c = h->conn) {
        bufferevent_enable(c->bev, EV_READ);
        // What arrived before the pause is still in the buffer: read it from the loop.
        if (evbuffer_get_length(bufferevent_get_input(c->bev)) > 0)
            bufferevent_trigger(c->bev, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
    }
}

void HttpClient::release(std::unique_ptr<Conn> c) {
    if (!c) return;
    auto& pool = idle_[{c->to, c->dscp}];
    if (pool.size() >= limits_.max_idle_per_endpoint) return;  // c closes
    c->reused = true;
    // Idle: notice a close by the server; drop it after a minute unused.
    timeval idle = tv_of(60'000'000);
    bufferevent_set_timeouts(c->bev, &idle, nullptr);
    bufferevent_enable(c->bev, EV_READ);
    pool.push_back(std::move(c));
}

std::size_t HttpClient::idle_connections() const {
    std::size_t n = 0;
    for (const auto& [k, v] : idle_) n += v.size();
    return n;
}

}  // namespace sr::cache
