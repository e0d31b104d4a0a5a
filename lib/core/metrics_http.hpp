// --metrics-listen: every daemon's counters and gauges over HTTP for a
// Prometheus server (GET /metrics, metrics.hpp's rendering; OpenMetrics when
// the scraper asks for it in Accept, else the Prometheus text format).
//
// Read-only and unauthenticated, as Prometheus endpoints are: bind it to a
// management address. Bounded as the other HTTP servers (http_admission):
// at most 64 connections, 8 from one address, a request within 10 s,
// headers within 8 KiB, no body.
#pragma once

#include "core/http_admission.hpp"
#include "core/loop.hpp"
#include "core/value.hpp"

#include <cstdint>
#include <functional>
#include <string>

struct evhttp;
struct evhttp_request;

namespace sr {

class MetricsServer {
  public:
    // stats: the daemon's sys.stats, asked at each scrape. Throws
    // Error("config") when listen is not ADDR:PORT or cannot be bound.
    MetricsServer(Loop& loop, const std::string& listen, std::string daemon, std::function<Value()> stats);
    ~MetricsServer();
    MetricsServer(const MetricsServer&) = delete;
    MetricsServer& operator=(const MetricsServer&) = delete;

    std::uint16_t port() const { return port_; }
    std::uint64_t scrapes() const { return scrapes_; }
    const ConnectionStats& connections() const { return conns_.stats(); }

  private:
    static void on_request(evhttp_request* req, void* self);
    void handle(evhttp_request* req);

    std::string daemon_;
    std::function<Value()> stats_;
    ClientConnections conns_;
    evhttp* http_ = nullptr;
    std::uint16_t port_ = 0;
    std::uint64_t scrapes_ = 0;
};

}  // namespace sr
