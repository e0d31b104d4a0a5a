#include "core/metrics_http.hpp"

#include "core/http_listen.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"

#include <event2/buffer.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include <cstring>

namespace sr {
namespace {

ConnectionLimits metrics_limits() {
    ConnectionLimits l;
    l.max_connections = 64;
    l.max_per_source = 8;
    l.header_timeout_us = 10'000'000;
    l.keepalive_timeout_us = 30'000'000;  // Prometheus keeps its connection between scrapes
    return l;
}

}  // namespace

MetricsServer::MetricsServer(Loop& loop, const std::string& listen, std::string daemon, std::function<Value()> stats)
    : daemon_(std::move(daemon)), stats_(std::move(stats)), conns_(loop, metrics_limits()) {
    auto bound = bind_http(loop, listen, "metrics");
    http_ = bound.http;
    port_ = bound.port;
    conns_.attach(http_);
    evhttp_set_max_body_size(http_, 0);
    evhttp_set_max_headers_size(http_, 8 << 10);
    evhttp_set_timeout(http_, 10);
    evhttp_set_allowed_methods(http_, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
                                          EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS | EVHTTP_REQ_PATCH);
    evhttp_set_gencb(http_, &MetricsServer::on_request, this);
    log::info("metrics: http://", listen, "/metrics (port ", port_, ")");
}

MetricsServer::~MetricsServer() {
    conns_.detach();
    if (http_) evhttp_free(http_);
}

void MetricsServer::on_request(evhttp_request* req, void* self) { static_cast<MetricsServer*>(self)->handle(req); }

void MetricsServer::handle(evhttp_request* req) {
    if (!conns_.request_started(req)) {  // refused or timed out: its socket is shut
        evhttp_send_error(req, 503, "Service Unavailable");
        return;
    }
    const char* uri = evhttp_request_get_uri(req);
    std::string path = uri ? uri : "/";
    path = path.substr(0, path.find('?'));
    if (path != "/metrics") {
        evhttp_send_error(req, 404, "Not Found: the metrics are at /metrics");
        return;
    }
    auto command = evhttp_request_get_command(req);
    evkeyvalq* out = evhttp_request_get_output_headers(req);
    if (command != EVHTTP_REQ_GET && command != EVHTTP_REQ_HEAD) {
        evhttp_add_header(out, "Allow", "GET, HEAD");
        evhttp_send_error(req, 405, "Method Not Allowed");
        return;
    }
    const char* accept = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
    MetricsFormat format = metrics_format_for(accept ? accept : "");
    std::string body;
    try {  // a failure is this scrape's, never the daemon's
        body = metrics_text({{daemon_, stats_()}}, format);
    } catch (const std::exception& e) {
        log::error("metrics: ", e.what());
        evhttp_send_error(req, 500, "Internal Server Error");
        return;
    }
    ++scrapes_;
    evhttp_add_header(out, "Content-Type", metrics_content_type(format));
    evhttp_add_header(out, "Cache-Control", "no-store");
    evbuffer* buf = evbuffer_new();
    if (command == EVHTTP_REQ_GET) evbuffer_add(buf, body.data(), body.size());
    else evhttp_add_header(out, "Content-Length", std::to_string(body.size()).c_str());
    evhttp_send_reply(req, 200, "OK", buf);
    evbuffer_free(buf);
}

}  // namespace sr
