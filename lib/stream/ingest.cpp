#include "stream/ingest.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/net_limits.hpp"
#include "core/secret.hpp"
#include "core/value.hpp"
#include "stream/catalog.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include <event2/util.h>

#include <arpa/inet.h>
#include <http_parser.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>

namespace sr::stream {

namespace {

constexpr std::size_t kMaxUrl = 4096;
constexpr std::size_t kMaxKeptHeader = 4096;  // Authorization and Expect; others are not kept

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

}  // namespace

struct IngestServer::Conn {
    IngestServer* server = nullptr;
    bufferevent* bev = nullptr;
    std::string source;
    http_parser parser{};
    std::string url, field, authorization, expect;
    bool in_value = false;
    bool answered = false;        // an answer is queued: close once it is written
    LiveChannel* channel = nullptr;  // claimed, while feeding
    bool feeding() const { return channel != nullptr; }

    static http_parser_settings settings;
    void answer(int status, const char* reason, const std::string& code, const std::string& message);
    void start();  // headers are in: check them, claim the channel
};

namespace {

IngestServer::Conn* conn_of(http_parser* p) { return static_cast<IngestServer::Conn*>(p->data); }

}  // namespace

http_parser_settings IngestServer::Conn::settings = [] {
    http_parser_settings s;
    http_parser_settings_init(&s);
    s.on_url = [](http_parser* p, const char* at, size_t n) {
        auto* c = conn_of(p);
        if (c->url.size() + n > kMaxUrl) return -1;
        c->url.append(at, n);
        return 0;
    };
    s.on_header_field = [](http_parser* p, const char* at, size_t n) {
        auto* c = conn_of(p);
        if (c->in_value) c->field.clear();
        c->in_value = false;
        if (c->field.size() + n <= 64) c->field.append(at, n);
        return 0;
    };
    s.on_header_value = [](http_parser* p, const char* at, size_t n) {
        auto* c = conn_of(p);
        c->in_value = true;
        std::string name = lower(c->field);
        std::string* keep = name == "authorization" ? &c->authorization : name == "expect" ? &c->expect : nullptr;
        if (keep && keep->size() + n <= kMaxKeptHeader) keep->append(at, n);
        return 0;
    };
    s.on_headers_complete = [](http_parser* p) {
        auto* c = conn_of(p);
        c->start();
        return c->answered ? 2 : 0;  // 2: no body, no further request (we are closing)
    };
    s.on_body = [](http_parser* p, const char* at, size_t n) {
        auto* c = conn_of(p);
        if (c->feeding()) c->server->channels_.input(*c->channel, std::string_view(at, n));
        return 0;
    };
    s.on_message_complete = [](http_parser* p) {
        auto* c = conn_of(p);
        if (!c->answered) c->answer(200, "OK", "", "");
        http_parser_pause(p, 1);
        return 0;
    };
    return s;
}();

void IngestServer::Conn::answer(int status, const char* reason, const std::string& code, const std::string& message) {
    answered = true;
    if (channel) {
        server->channels_.release(*channel);
        log::info("ingest: channel ", channel->name(), " input from ", source, " ended");
        channel = nullptr;
    }
    std::string body = status == 200 ? "" : Value{{"code", code}, {"message", message}}.dump() + "\n";
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason +
                       "\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n";
    if (status == 401) head += "WWW-Authenticate: Bearer realm=\"sr-streamd ingest\"\r\n";
    if (status == 503) head += "Retry-After: 10\r\n";
    head += "\r\n";
    bufferevent_write(bev, head.data(), head.size());
    bufferevent_write(bev, body.data(), body.size());
    bufferevent_disable(bev, EV_READ);
}

void IngestServer::Conn::start() {
    auto& counters = server->counters_;
    auto method = static_cast<http_method>(parser.method);
    if (method != HTTP_POST && method != HTTP_PUT) {
        ++counters["stream.ingest_refused"];
        return answer(405, "Method Not Allowed", "invalid_request", "ingest is POST or PUT /live/NAME");
    }
    http_parser_url u;
    http_parser_url_init(&u);
    if (http_parser_parse_url(url.data(), url.size(), 0, &u) != 0 || !(u.field_set & (1 << UF_PATH))) {
        ++counters["stream.ingest_refused"];
        return answer(400, "Bad Request", "invalid_request", "bad request target");
    }
    std::string raw_path = url.substr(u.field_data[UF_PATH].off, u.field_data[UF_PATH].len);
    std::string query = u.field_set & (1 << UF_QUERY) ? url.substr(u.field_data[UF_QUERY].off, u.field_data[UF_QUERY].len) : "";
    std::size_t n = 0;
    char* decoded = evhttp_uridecode(raw_path.c_str(), 0, &n);
    std::string path = decoded ? std::string(decoded, n) : "";
    std::free(decoded);
    const std::string prefix = "/live/";
    std::string name = path.rfind(prefix, 0) == 0 ? path.substr(prefix.size()) : "";
    if (!name.empty() && name.back() == '/') name.pop_back();
    if (!Catalog::valid_name(name)) {
        ++counters["stream.ingest_refused"];
        return answer(404, "Not Found", "not_found", "ingest is POST /live/NAME");
    }
    // The token: a bearer header, or a query parameter for encoders that
    // cannot add headers.
    std::string given;
    const std::string scheme = "bearer ";
    if (authorization.size() > scheme.size() && lower(authorization.substr(0, scheme.size())) == scheme) {
        given = authorization.substr(scheme.size());
    } else if (evkeyvalq q{}; !query.empty() && evhttp_parse_query_str(query.c_str(), &q) == 0) {
        if (const char* t = evhttp_find_header(&q, "token")) given = t;
        evhttp_clear_headers(&q);
    }
    if (given.empty() || !same_secret(given, server->cfg_.token)) {
        ++counters["stream.ingest_unauthorized"];
        if (log::worth_logging(counters["stream.ingest_unauthorized"]))
            log::warn("ingest: ", source, " refused for ", name, ": no valid token");
        return answer(401, "Unauthorized", "permission_denied", "ingest needs Authorization: Bearer TOKEN");
    }
    LiveChannel* ch = nullptr;
    switch (server->channels_.claim(name, ch)) {
    case Channels::Claim::declared:
        ++counters["stream.ingest_refused"];
        return answer(409, "Conflict", "conflict", "live channel " + name + " has an input of its own (--live)");
    case Channels::Claim::busy:
        ++counters["stream.ingest_refused"];
        return answer(409, "Conflict", "conflict", "live channel " + name + " is being fed by another ingest");
    case Channels::Claim::full:
        ++counters["stream.ingest_refused"];
        return answer(503, "Service Unavailable", "unavailable", "too many live channels being fed");
    case Channels::Claim::ok: break;
    }
    channel = ch;
    ++counters["stream.ingests"];
    log::info("ingest: channel ", name, " fed by ", source);
    if (lower(expect) == "100-continue") bufferevent_write(bev, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    // From now on the limit is silence, not the time the request takes.
    timeval idle{server->cfg_.idle_timeout_s, 0};
    bufferevent_set_timeouts(bev, &idle, nullptr);
}

IngestServer::IngestServer(Loop& loop, Channels& channels, IngestConfig cfg, rpc::Counters& counters)
    : loop_(loop), channels_(channels), cfg_(std::move(cfg)), counters_(counters) {
    sockaddr_storage ss{};
    int len = sizeof ss;
    if (evutil_parse_sockaddr_port(cfg_.listen.c_str(), reinterpret_cast<sockaddr*>(&ss), &len) != 0)
        throw Error("config", "--ingest-listen: not ADDR:PORT: " + cfg_.listen);
    listener_ = evconnlistener_new_bind(loop.base(), &IngestServer::on_accept, this,
                                        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, 64,
                                        reinterpret_cast<sockaddr*>(&ss), len);
    if (!listener_) throw Error("config", "--ingest-listen: cannot listen on " + cfg_.listen + ": " + std::strerror(errno));
    // Out of descriptors, accept() fails at once again: pause instead of spinning.
    accept_guard_ = std::make_unique<rpc::AcceptGuard>(loop, listener_, counters_["stream.ingest_accept_errors"], "ingest");
    evconnlistener_set_error_cb(listener_, [](evconnlistener*, void* self) {
        static_cast<IngestServer*>(self)->accept_guard_->failed();
    });
    sockaddr_storage bound{};
    socklen_t blen = sizeof bound;
    getsockname(evconnlistener_get_fd(listener_), reinterpret_cast<sockaddr*>(&bound), &blen);
    port_ = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                              : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    log::info("ingest: listening on ", cfg_.listen, " (port ", port_, ")");
}

IngestServer::~IngestServer() {
    for (auto& [p, c] : conns_) {
        if (c->channel) channels_.release(*c->channel);
        bufferevent_free(c->bev);
    }
    if (listener_) evconnlistener_free(listener_);
}

void IngestServer::on_accept(evconnlistener*, int fd, sockaddr* sa, int, void* self) {
    static_cast<IngestServer*>(self)->accept(fd, sa);
}

void IngestServer::accept(int fd, const sockaddr* sa) {
    std::string source = net::limit_source(sa);
    if (conns_.size() >= cfg_.max_connections || per_source_[source] >= cfg_.max_per_source) {
        ++counters_["stream.ingest_refused"];
        if (per_source_[source] == 0) per_source_.erase(source);
        ::close(fd);
        return;
    }
    auto c = std::make_unique<Conn>();
    c->server = this;
    c->source = source;
    c->bev = bufferevent_socket_new(loop_.base(), fd, BEV_OPT_CLOSE_ON_FREE);
    http_parser_init(&c->parser, HTTP_REQUEST);
    c->parser.data = c.get();
    Conn* raw = c.get();
    conns_[raw] = std::move(c);
    ++per_source_[source];
    bufferevent_setcb(
        raw->bev,
        [](bufferevent* bev, void* arg) {
            auto* c = static_cast<Conn*>(arg);
            evbuffer* in = bufferevent_get_input(bev);
            while (!c->answered && evbuffer_get_length(in) > 0) {
                evbuffer_iovec v;
                evbuffer_peek(in, -1, nullptr, &v, 1);
                size_t used = http_parser_execute(&c->parser, &Conn::settings, static_cast<const char*>(v.iov_base),
                                                  v.iov_len);
                evbuffer_drain(in, used);
                if (c->answered) break;
                if (HTTP_PARSER_ERRNO(&c->parser) != HPE_OK) {
                    ++c->server->counters_["stream.ingest_refused"];
                    c->answer(400, "Bad Request", "invalid_request",
                              std::string("bad HTTP request: ") + http_errno_description(HTTP_PARSER_ERRNO(&c->parser)));
                    break;
                }
            }
            if (c->answered) evbuffer_drain(in, evbuffer_get_length(in));
        },
        [](bufferevent* bev, void* arg) {
            // Written out: the answer has gone, close.
            auto* c = static_cast<Conn*>(arg);
            if (c->answered && evbuffer_get_length(bufferevent_get_output(bev)) == 0) c->server->close(c);
        },
        [](bufferevent*, short what, void* arg) {
            auto* c = static_cast<Conn*>(arg);
            if ((what & BEV_EVENT_TIMEOUT) && !c->answered) {
                ++c->server->counters_["stream.ingest_timeouts"];
                if (c->channel) log::warn("ingest: channel ", c->channel->name(), ": no input for ",
                                          c->server->cfg_.idle_timeout_s, " s; closed");
            }
            c->server->close(c);
        },
        raw);
    timeval header{cfg_.header_timeout_s, 0};
    bufferevent_set_timeouts(raw->bev, &header, nullptr);
    bufferevent_enable(raw->bev, EV_READ | EV_WRITE);
}

void IngestServer::close(Conn* c) {
    if (c->channel) {
        channels_.release(*c->channel);
        log::info("ingest: channel ", c->channel->name(), " input from ", c->source, " closed");
    }
    if (--per_source_[c->source] == 0) per_source_.erase(c->source);
    bufferevent_free(c->bev);
    conns_.erase(c);
}

}  // namespace sr::stream
