// The daemons' counters and gauges (sys.stats) for Prometheus: OpenMetrics
// 1.0 text, or the older Prometheus text format (0.0.4) that promtool and
// node_exporter's textfile collector read.
//
// sys.stats is one flat map per daemon, "area.name" -> number. A metric is
// named by Prometheus conventions from its key: "cache.hits" becomes
// sr_cache_hits_total (a counter), "rpc.connections_open" sr_rpc_connections_open
// (a gauge), "uptime_s" sr_uptime_seconds (units spelt out in base units:
// _ms and _us values are converted to seconds). Keys of three parts or more
// are one family with a label: "pastry.in.ping" is
// sr_pastry_messages_in_total{type="ping"}. Every sample carries
// daemon="sr-NAME", so one exposition holds several daemons and the rpc.*
// families, which all have, stay one family each.
//
// Which keys are gauges, and each metric's help line, is the table in
// metrics.cpp; a key missing there is a counter with a generic help line.
#pragma once

#include "core/value.hpp"

#include <string>
#include <vector>

namespace sr {

struct DaemonStats {
    std::string daemon;  // "sr-dhtd"
    Value stats;         // its sys.stats
    std::string socket;  // its control socket: a label too when two daemons share a name
};

enum class MetricsFormat { openmetrics, prometheus };

// Content types for HTTP: "application/openmetrics-text; version=1.0.0;
// charset=utf-8" and "text/plain; version=0.0.4; charset=utf-8".
const char* metrics_content_type(MetricsFormat format);

// The exposition of every daemon's stats (families sorted by name; an
// OpenMetrics one ends with "# EOF").
std::string metrics_text(const std::vector<DaemonStats>& daemons, MetricsFormat format);

// Whether a sys.stats key is a gauge (a level, as store.bytes) rather than a
// counter (only ever grows, as cache.hits): rates are a counter's.
bool stat_is_gauge(const std::string& key);

// The format a scraper asks for in its Accept header: OpenMetrics when it
// names application/openmetrics-text, else the Prometheus text format.
MetricsFormat metrics_format_for(const std::string& accept);

}  // namespace sr
