// ALTO over HTTP with evhttp; see alto_http.hpp.
#include "prox/alto_http.hpp"

#include "core/error.hpp"
#include "core/http_method.hpp"
#include "core/log.hpp"
#include "core/net_limits.hpp"

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <charconv>
#include <cstring>
#include <memory>

namespace sr::prox {

namespace {

const char* reason(int status) {
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 500: return "Internal Server Error";
    }
    return "Error";
}

std::optional<Address> peer_address(evhttp_request* req) {
    auto* conn = evhttp_request_get_connection(req);
    const sockaddr* sa = conn ? evhttp_connection_get_addr(conn) : nullptr;
    if (!sa) return std::nullopt;
    Address a;
    if (sa->sa_family == AF_INET) {
        a.family = Family::v4;
        std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, 4);
    } else if (sa->sa_family == AF_INET6) {
        a.family = Family::v6;
        std::memcpy(a.bytes.data(), &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, 16);
    } else {
        return std::nullopt;
    }
    return a;
}

std::string header(evkeyvalq* headers, const char* name) {
    const char* v = evhttp_find_header(headers, name);
    return v ? v : "";
}

// The request target as it goes into the log: printable ASCII, bounded.
std::string loggable(const std::string& s) {
    std::string out = s.substr(0, 200);
    for (auto& c : out)
        if (c < 0x21 || c > 0x7e) c = '?';
    return out;
}

std::string drain(evbuffer* buf) {
    std::string out(evbuffer_get_length(buf), '\0');
    if (!out.empty()) evbuffer_remove(buf, out.data(), out.size());
    return out;
}

}  // namespace

AltoHttpServer::AltoHttpServer(Loop& loop, const AltoModel& model, AltoHttpConfig config)
    : model_(model), config_(std::move(config)) {
    auto bound = bind_http(loop, config_.listen, "alto");
    http_ = bound.http;
    port_ = bound.port;
    const std::string& host = bound.host;
    if (config_.alto.base_url.empty()) {
        bool v6 = host.find(':') != std::string::npos;
        config_.alto.base_url = "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port_);
    }
    evhttp_set_max_body_size(http_, static_cast<ev_ssize_t>(config_.max_body));
    // No EVHTTP_SERVER_LINGERING_CLOSE: that would read a whole announced
    // body (any size, at the client's pace) before answering 413.
    evhttp_set_max_headers_size(http_, static_cast<ev_ssize_t>(config_.max_headers));
    evhttp_set_timeout(http_, config_.timeout_s);
    // Let every method through to handle_alto(), which answers 405 + Allow.
    evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD | EVHTTP_REQ_PUT |
                                          EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(http_, &AltoHttpServer::on_request, this);
    log::info("alto: listening on ", config_.listen, " (port ", port_, "), base URL ", config_.alto.base_url);
}

AltoHttpServer::~AltoHttpServer() {
    if (http_) evhttp_free(http_);
}

void AltoHttpServer::on_request(evhttp_request* req, void* self) { static_cast<AltoHttpServer*>(self)->handle(req); }

void AltoHttpServer::handle(evhttp_request* req) {
    AltoRequest r;
    r.method = http_method_name(evhttp_request_get_command(req));
    const char* uri = evhttp_request_get_uri(req);
    r.path = uri ? uri : "/";
    auto* in = evhttp_request_get_input_headers(req);
    r.content_type = header(in, "Content-Type");
    r.accept = header(in, "Accept");
    r.body = drain(evhttp_request_get_input_buffer(req));
    r.client = peer_address(req);

    AltoResponse resp = handle_alto(model_, config_.alto, r);

    auto* out = evhttp_request_get_output_headers(req);
    if (!resp.content_type.empty()) evhttp_add_header(out, "Content-Type", resp.content_type.c_str());
    if (!resp.allow.empty()) evhttp_add_header(out, "Allow", resp.allow.c_str());
    evhttp_add_header(out, "Cache-Control", "no-cache");
    evbuffer* body = evbuffer_new();
    if (r.method == "HEAD")  // evhttp would send the body: only say its length
        evhttp_add_header(out, "Content-Length", std::to_string(resp.body.size()).c_str());
    else
        evbuffer_add(body, resp.body.data(), resp.body.size());
    evhttp_send_reply(req, resp.status, reason(resp.status), body);
    evbuffer_free(body);

    ++stats_.requests;
    if (resp.status >= 500) ++stats_.server_errors;
    else if (resp.status >= 400) ++stats_.client_errors;
    stats_.bytes_out += resp.body.size();
    log::info("alto: ", r.method, " ", loggable(r.path), " ", resp.status, " ", resp.body.size());
}

// ---- the client -------------------------------------------------------------

namespace {

struct FetchCtx {
    event_base* base;
    evhttp_connection* conn = nullptr;
    std::function<void(HttpResult)> done;
    int error = -1;
    bool finished = false;  // finish() scheduled: later calls are ignored
};

const char* fetch_error_text(int code) {
    switch (code) {
    case EVREQ_HTTP_TIMEOUT: return "timed out";
    case EVREQ_HTTP_EOF: return "connection closed before the response";
    case EVREQ_HTTP_INVALID_HEADER: return "invalid response header";
    case EVREQ_HTTP_BUFFER_ERROR: return "connection failed";
    case EVREQ_HTTP_REQUEST_CANCEL: return "request cancelled";
    case EVREQ_HTTP_DATA_TOO_LONG: return "response too large";
    }
    return "no response";
}

// Runs the callback and frees the connection outside libevent's own
// callback (freeing a connection from inside its request callback is not
// allowed).
void finish(FetchCtx* ctx, HttpResult result) {
    if (ctx->finished) return;
    ctx->finished = true;
    struct Later {
        FetchCtx* ctx;
        HttpResult result;
    };
    auto* later = new Later{ctx, std::move(result)};
    timeval now{0, 0};
    event_base_once(
        ctx->base, -1, EV_TIMEOUT,
        [](evutil_socket_t, short, void* arg) {
            std::unique_ptr<Later> l(static_cast<Later*>(arg));
            std::unique_ptr<FetchCtx> c(l->ctx);
            if (c->conn) evhttp_connection_free(c->conn);
            c->done(std::move(l->result));
        },
        later, &now);
}

void on_fetch_error(evhttp_request_error code, void* arg) { static_cast<FetchCtx*>(arg)->error = code; }

void on_fetch_done(evhttp_request* req, void* arg) {
    auto* ctx = static_cast<FetchCtx*>(arg);
    HttpResult r;
    if (req) r.status = evhttp_request_get_response_code(req);
    if (!req || r.status == 0) {
        r.status = 0;
        r.error = fetch_error_text(ctx->error);
    } else {
        r.content_type = header(evhttp_request_get_input_headers(req), "Content-Type");
        r.body = drain(evhttp_request_get_input_buffer(req));
    }
    finish(ctx, std::move(r));
}

}  // namespace

void http_fetch(Loop& loop, const HttpFetch& fetch, std::function<void(HttpResult)> done) {
    auto* ctx = new FetchCtx{loop.base(), nullptr, std::move(done)};
    auto fail = [&](std::string why) {
        HttpResult r;
        r.error = std::move(why);
        finish(ctx, std::move(r));
    };
    std::unique_ptr<evhttp_uri, void (*)(evhttp_uri*)> uri(evhttp_uri_parse(fetch.url.c_str()), evhttp_uri_free);
    if (!uri || !evhttp_uri_get_scheme(uri.get()) || std::strcmp(evhttp_uri_get_scheme(uri.get()), "http") != 0 ||
        !evhttp_uri_get_host(uri.get()))
        return fail("not an http:// URL: " + fetch.url);
    std::string host = evhttp_uri_get_host(uri.get());
    std::string host_header = host;
    if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    else if (host.find(':') != std::string::npos) host_header = "[" + host + "]";
    int port = evhttp_uri_get_port(uri.get());
    if (port < 0) port = 80;
    else host_header += ":" + std::to_string(port);
    std::string target = evhttp_uri_get_path(uri.get()) ? evhttp_uri_get_path(uri.get()) : "";
    if (target.empty()) target = "/";
    if (const char* q = evhttp_uri_get_query(uri.get())) target += std::string("?") + q;

    evhttp_cmd_type type;
    if (fetch.method == "GET") type = EVHTTP_REQ_GET;
    else if (fetch.method == "POST") type = EVHTTP_REQ_POST;
    else return fail("unsupported method " + fetch.method);

    ctx->conn = evhttp_connection_base_new(loop.base(), nullptr, host.c_str(), static_cast<std::uint16_t>(port));
    if (!ctx->conn) return fail("cannot create a connection to " + host);
    evhttp_connection_set_timeout(ctx->conn, fetch.timeout_s);
    evhttp_connection_set_max_body_size(ctx->conn, static_cast<ev_ssize_t>(fetch.max_body));
    evhttp_connection_set_retries(ctx->conn, 0);

    evhttp_request* req = evhttp_request_new(on_fetch_done, ctx);
    evhttp_request_set_error_cb(req, on_fetch_error);
    auto* out = evhttp_request_get_output_headers(req);
    evhttp_add_header(out, "Host", host_header.c_str());
    evhttp_add_header(out, "Connection", "close");
    if (!fetch.accept.empty()) evhttp_add_header(out, "Accept", fetch.accept.c_str());
    if (type == EVHTTP_REQ_POST) {
        if (!fetch.content_type.empty()) evhttp_add_header(out, "Content-Type", fetch.content_type.c_str());
        evbuffer_add(evhttp_request_get_output_buffer(req), fetch.body.data(), fetch.body.size());
    }
    // On failure libevent has freed the request without calling back.
    if (evhttp_make_request(ctx->conn, req, type, target.c_str()) != 0) return fail("cannot send the request to " + host);
}

}  // namespace sr::prox
