// Server-Sent Events and HTTP publishing for sr-eventd; see http.hpp.
#include "event/http.hpp"

#include "core/http_listen.hpp"
#include "core/error.hpp"
#include "core/http_method.hpp"
#include "core/log.hpp"
#include "core/net_limits.hpp"
#include "core/secret.hpp"
#include "prox/alto_http.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <charconv>
#include <cstring>

namespace sr::event {

namespace {

const char* reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    }
    return "Error";
}

// The HTTP status an sr error code maps to.
int status_of(const std::string& code) {
    if (code == "invalid_params") return 400;
    if (code == "too_large") return 413;
    if (code == "over_quota") return 429;
    if (code == "timeout") return 504;
    return 503;  // not_ready, unavailable
}

std::string header(evhttp_request* req, const char* name) {
    const char* v = evhttp_find_header(evhttp_request_get_input_headers(req), name);
    return v ? v : "";
}

std::optional<std::uint64_t> number(const std::string& s) {
    std::uint64_t n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
    return n;
}

// A query parameter of the request, or "".
std::string query_param(evhttp_request* req, const char* name) {
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
    const char* q = uri ? evhttp_uri_get_query(uri) : nullptr;
    if (!q) return "";
    evkeyvalq params{};
    if (evhttp_parse_query_str(q, &params) != 0) return "";
    const char* v = evhttp_find_header(&params, name);
    std::string out = v ? v : "";
    evhttp_clear_headers(&params);
    return out;
}

// SSE framing: the payload's lines each become a data: line (a client joins
// them with \n); CR LF, CR and LF all end a line, as the SSE parser reads them.
void append_data(std::string& out, const std::string& payload) {
    std::size_t start = 0;
    for (std::size_t i = 0; i <= payload.size(); ++i) {
        if (i == payload.size() || payload[i] == '\n' || payload[i] == '\r') {
            out += "data: ";
            out.append(payload, start, i - start);
            out += '\n';
            if (i < payload.size() && payload[i] == '\r' && i + 1 < payload.size() && payload[i + 1] == '\n') ++i;
            start = i + 1;
        }
    }
}

std::string json_string(const std::string& s) { return Value(s).dump(-1, ' ', false, Value::error_handler_t::replace); }

}  // namespace

// One SSE stream: a Sink writing chunks of a reply started with
// evhttp_send_reply_start. The request belongs to evhttp; it is used only
// while the connection is open (EventHttp::on_close ends the stream first).
class EventHttp::Stream : public Sink {
  public:
    Stream(EventHttp& owner, evhttp_request* req, std::string source)
        : owner_(owner), req_(req), conn_(evhttp_request_get_connection(req)), source_(std::move(source)) {}

    bool open() const override { return req_ != nullptr; }
    std::size_t queued() const override {
        if (!req_) return 0;
        return evbuffer_get_length(bufferevent_get_output(evhttp_connection_get_bufferevent(conn_)));
    }
    void message(const Message& m) override {
        std::string out;
        if (m.retained) {
            out = "event: retained\n";  // no id: a reconnect starts from the present, not from its seq
        } else {
            out = "id: " + std::to_string(m.seq) + "\nevent: message\n";
        }
        append_data(out, m.payload);
        out += '\n';
        write(out);
    }
    void gap(const std::string&, std::uint64_t from, std::uint64_t to, const std::string& reason) override {
        write("id: " + std::to_string(to) + "\nevent: gap\ndata: {\"from\":" + std::to_string(from) +
              ",\"to\":" + std::to_string(to) + ",\"reason\":" + json_string(reason) + "}\n\n");
    }
    void comment(const std::string& text) { write(": " + text + "\n\n"); }

    void closed() { req_ = nullptr; }
    std::uint64_t id = 0;  // the service's subscriber id
    const std::string& source() const { return source_; }

  private:
    void write(const std::string& bytes) {
        if (!req_) return;
        evbuffer* buf = evbuffer_new();
        evbuffer_add(buf, bytes.data(), bytes.size());
        evhttp_send_reply_chunk_with_cb(req_, buf, &Stream::written, this);
        evbuffer_free(buf);
    }
    // A chunk went out: a reader that caught up hears of what it missed.
    static void written(evhttp_connection*, void* self) {
        auto* s = static_cast<Stream*>(self);
        if (s->req_ && s->queued() <= s->owner_.cfg_.queue_bytes / 2) s->owner_.service_.drained(s->id);
    }

    EventHttp& owner_;
    evhttp_request* req_;
    evhttp_connection* conn_;
    std::string source_;
};

EventHttp::EventHttp(Loop& loop, EventService& service, HttpConfig cfg, rpc::Counters& counters)
    : loop_(loop), service_(service), cfg_(std::move(cfg)), counters_(counters),
      keepalive_timer_(loop, [this] { keepalive(); }) {
    auto bound = bind_http(loop, cfg_.listen, "http");
    http_ = bound.http;
    port_ = bound.port;
    evhttp_set_max_body_size(http_, static_cast<ev_ssize_t>(cfg_.max_payload));
    evhttp_set_max_headers_size(http_, 16 << 10);
    evhttp_set_timeout(http_, cfg_.timeout_s);
    evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                          EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(http_, &EventHttp::on_request, this);
    keepalive_timer_.arm_in(cfg_.keepalive_us);
    log::info("http: listening on ", cfg_.listen, " (port ", port_, ")");
    if (cfg_.token.empty())
        log::warn("http: POST /events/ is open to anyone who reaches ", cfg_.listen,
                  "; give --http-token-file to require a bearer token");
}

EventHttp::~EventHttp() {
    *alive_ = false;
    for (auto& [conn, c] : connections_) {
        evhttp_connection_set_closecb(conn, nullptr, nullptr);
        if (c.stream) {
            service_.remove_subscriber(c.stream->id);
            c.stream->closed();
        }
    }
    if (http_) evhttp_free(http_);
}

void EventHttp::on_request(evhttp_request* req, void* self) { static_cast<EventHttp*>(self)->handle(req); }

// evhttp is about to free the connection and its requests: forget them.
void EventHttp::on_close(evhttp_connection* conn, void* self) {
    auto* h = static_cast<EventHttp*>(self);
    auto it = h->connections_.find(conn);
    if (it == h->connections_.end()) return;
    Connection c = std::move(it->second);
    h->connections_.erase(it);
    if (c.post_alive) *c.post_alive = false;
    if (c.stream) {
        c.stream->closed();
        h->service_.remove_subscriber(c.stream->id);
        --h->streams_;
        auto ps = h->per_source_.find(c.stream->source());
        if (ps != h->per_source_.end() && --ps->second == 0) h->per_source_.erase(ps);
    }
}

void EventHttp::handle(evhttp_request* req) {
    ++counters_["event.http_requests"];
    const evhttp_uri* uri = evhttp_request_get_evhttp_uri(req);
    const char* raw_path = uri ? evhttp_uri_get_path(uri) : nullptr;
    std::string path = raw_path ? raw_path : "/";
    const std::string prefix = "/events/";
    auto command = evhttp_request_get_command(req);
    if (path.rfind(prefix, 0) != 0 || path.size() == prefix.size())
        return error(req, 404, "not_found", "the paths are /events/TOPIC");
    std::size_t decoded_len = 0;
    char* decoded = evhttp_uridecode(path.c_str() + prefix.size(), 0, &decoded_len);
    if (!decoded) return error(req, 400, "invalid_params", "bad percent-encoding in the topic");
    std::string topic(decoded, decoded_len);
    std::free(decoded);
    if (command == EVHTTP_REQ_OPTIONS) return preflight(req);
    if (command == EVHTTP_REQ_GET) return get(req, topic);
    if (command == EVHTTP_REQ_POST) return post(req, topic);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Allow", "GET, POST, OPTIONS");
    error(req, 405, "invalid_request", "use GET to subscribe and POST to publish");
}

void EventHttp::add_cors(evhttp_request* req) {
    std::string origin = header(req, "Origin");
    if (origin.empty() || cfg_.cors_origins.empty()) return;
    auto* out = evhttp_request_get_output_headers(req);
    bool any = std::count(cfg_.cors_origins.begin(), cfg_.cors_origins.end(), "*") > 0;
    if (!any && !std::count(cfg_.cors_origins.begin(), cfg_.cors_origins.end(), origin)) return;
    evhttp_add_header(out, "Access-Control-Allow-Origin", any ? "*" : origin.c_str());
    if (!any) evhttp_add_header(out, "Vary", "Origin");
}

void EventHttp::preflight(evhttp_request* req) {
    add_cors(req);
    auto* out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Allow", "GET, POST, OPTIONS");
    evhttp_add_header(out, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
    evhttp_add_header(out, "Access-Control-Allow-Headers", "Authorization, Content-Type, Last-Event-ID");
    evhttp_add_header(out, "Access-Control-Max-Age", "600");
    evhttp_send_reply(req, 204, reason(204), nullptr);
}

void EventHttp::error(evhttp_request* req, int status, const std::string& code, const std::string& message) {
    add_cors(req);
    auto* out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Content-Type", "application/json");
    evhttp_add_header(out, "Cache-Control", "no-store");
    std::string body = "{\"code\":" + json_string(code) + ",\"message\":" + json_string(message) + "}\n";
    evbuffer* buf = evbuffer_new();
    evbuffer_add(buf, body.data(), body.size());
    evhttp_send_reply(req, status, reason(status), buf);
    evbuffer_free(buf);
    ++counters_["event.http_errors"];
}

void EventHttp::get(evhttp_request* req, const std::string& topic) {
    evhttp_connection* conn = evhttp_request_get_connection(req);
    const sockaddr* sa = conn ? evhttp_connection_get_addr(conn) : nullptr;
    std::string source = net::limit_source(sa);
    if (streams_ >= cfg_.max_streams || per_source_[source] >= cfg_.max_streams_per_source) {
        if (per_source_[source] == 0) per_source_.erase(source);
        ++counters_["event.http_streams_refused"];
        evhttp_add_header(evhttp_request_get_output_headers(req), "Retry-After", "10");
        return error(req, 503, "over_quota", "too many event streams");
    }
    // Where to start: after the Last-Event-ID a reconnecting EventSource
    // sends, or at ?since=N; otherwise from now (the retained message first).
    std::optional<std::uint64_t> since;
    if (auto last = header(req, "Last-Event-ID"); !last.empty()) {
        auto n = number(last);
        if (!n) return error(req, 400, "invalid_params", "Last-Event-ID: not a sequence number");
        since = *n + 1;
    } else if (auto q = query_param(req, "since"); !q.empty()) {
        auto n = number(q);
        if (!n || *n == 0) return error(req, 400, "invalid_params", "since: a sequence number, 1 or more");
        since = *n;
    }
    auto stream = std::make_shared<Stream>(*this, req, source);
    stream->id = service_.add_subscriber(stream);
    try {
        service_.subscribe(stream->id, {topic}, since);
    } catch (const Error& e) {
        service_.remove_subscriber(stream->id);
        return error(req, status_of(e.code), e.code, e.what());
    }
    add_cors(req);
    auto* out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Content-Type", "text/event-stream; charset=utf-8");
    evhttp_add_header(out, "Cache-Control", "no-store");
    evhttp_add_header(out, "X-Accel-Buffering", "no");  // proxies: do not hold events back
    evhttp_send_reply_start(req, 200, reason(200));
    stream->comment("sr-eventd " + topic);  // the headers and a first byte, at once
    connections_[conn].stream = stream;
    evhttp_connection_set_closecb(conn, &EventHttp::on_close, this);
    ++streams_;
    ++per_source_[source];
    ++counters_["event.http_streams"];
}

void EventHttp::post(evhttp_request* req, const std::string& topic) {
    if (!cfg_.token.empty()) {
        std::string auth = header(req, "Authorization");
        const std::string scheme = "Bearer ";
        if (auth.rfind(scheme, 0) != 0 || !same_secret(auth.substr(scheme.size()), cfg_.token)) {
            ++counters_["event.http_unauthorized"];
            evhttp_add_header(evhttp_request_get_output_headers(req), "WWW-Authenticate", "Bearer realm=\"sr-eventd\"");
            return error(req, 401, "permission_denied", "publishing needs Authorization: Bearer TOKEN");
        }
    }
    evbuffer* in = evhttp_request_get_input_buffer(req);
    std::string payload(evbuffer_get_length(in), '\0');
    if (!payload.empty()) evbuffer_remove(in, payload.data(), payload.size());
    std::string retain = query_param(req, "retain");
    evhttp_connection* conn = evhttp_request_get_connection(req);
    auto post_alive = std::make_shared<bool>(true);
    auto alive = alive_;
    try {
        service_.publish(topic, std::move(payload), retain == "1" || retain == "true",
                         [this, alive, post_alive, req, conn, topic](const std::string& code, const std::string& message,
                                                                     std::uint64_t seq) {
                             if (!*alive || !*post_alive) return;  // the client went away
                             *post_alive = false;                  // answered
                             auto it = connections_.find(conn);
                             if (it != connections_.end() && !it->second.stream) connections_.erase(it);
                             if (!code.empty()) return error(req, status_of(code), code, message);
                             add_cors(req);
                             auto* out = evhttp_request_get_output_headers(req);
                             evhttp_add_header(out, "Content-Type", "application/json");
                             evhttp_add_header(out, "Cache-Control", "no-store");
                             std::string body =
                                 "{\"topic\":" + json_string(topic) + ",\"seq\":" + std::to_string(seq) + "}\n";
                             evbuffer* buf = evbuffer_new();
                             evbuffer_add(buf, body.data(), body.size());
                             evhttp_send_reply(req, 200, reason(200), buf);
                             evbuffer_free(buf);
                             ++counters_["event.http_published"];
                         });
    } catch (const Error& e) {
        return error(req, status_of(e.code), e.code, e.what());
    }
    // Not answered yet: should the client go, evhttp frees the request.
    if (*post_alive) {
        connections_[conn].post_alive = post_alive;
        evhttp_connection_set_closecb(conn, &EventHttp::on_close, this);
    }
}

// A comment on every stream: proxies see traffic, and a write to a client
// that has gone ends its stream.
void EventHttp::keepalive() {
    std::vector<std::shared_ptr<Stream>> streams;
    for (auto& [conn, c] : connections_)
        if (c.stream) streams.push_back(c.stream);
    for (auto& s : streams) s->comment("keepalive");
    keepalive_timer_.arm_in(cfg_.keepalive_us);
}

}  // namespace sr::event
