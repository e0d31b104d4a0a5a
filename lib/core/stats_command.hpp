// sr-ctl stats: every daemon's counters (sys.stats) as TSV or JSON, as
// OpenMetrics or Prometheus text for a scraper or node_exporter's textfile
// collector, or, with -i, a live view of per-second rates (as varnishstat).
#pragma once

#include "core/cli.hpp"

namespace sr {

void add_stats_command(CLI::App& app, const ClientOptions& opts, Commands& commands);

}  // namespace sr
