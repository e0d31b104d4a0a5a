#include "core/stats_command.hpp"

#include "core/client.hpp"
#include "core/ctl_commands.hpp"
#include "core/exit.hpp"
#include "core/metrics.hpp"
#include "core/output.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <ctime>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

namespace sr {
namespace {

struct StatsArgs {
    std::vector<std::string> daemons;  // empty: every socket in the runtime directory
    bool openmetrics = false, prometheus = false;
    double interval = 0;  // -i: seconds between reports
    long count = 0;       // -c: reports, 0 for ever
};

// The sockets to ask: the named daemons', or every one in the runtime directory.
std::vector<std::string> stats_sockets(const StatsArgs& a, const ClientOptions& opts) {
    std::vector<std::string> sockets;
    for (const auto& d : a.daemons) sockets.push_back(daemon_socket(opts, d));
    if (sockets.empty()) sockets = daemon_sockets(checked_runtime_dir(opts.runtime_dir));
    std::sort(sockets.begin(), sockets.end());  // each daemon once: a repeated one would repeat its series
    sockets.erase(std::unique(sockets.begin(), sockets.end()), sockets.end());
    if (sockets.empty()) throw ClientError(exit_unavailable, "", "no daemon sockets in the runtime directory");
    return sockets;
}

// Each daemon's stats; names (asked with sys.version) are filled on the
// first call and kept, so that -i asks only sys.stats at each report.
std::vector<DaemonStats> collect(const std::vector<std::string>& sockets, const ClientOptions& opts,
                                 std::vector<std::string>& names) {
    std::vector<DaemonStats> out;
    for (std::size_t i = 0; i < sockets.size(); ++i) {
        Client c(sockets[i], opts.timeout_ms);
        if (names.size() <= i) names.push_back(c.call("sys.version").value("name", sockets[i]));
        out.push_back({names[i], c.call("sys.stats"), sockets[i]});
    }
    return out;
}

double as_number(const Value& v) { return v.is_boolean() ? (v.get<bool>() ? 1 : 0) : v.get<double>(); }

int live_view(const StatsArgs& a, const std::vector<std::string>& sockets, const ClientOptions& opts) {
    using Clock = std::chrono::steady_clock;
    bool tty = ::isatty(STDOUT_FILENO) && !opts.json;
    auto step = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(a.interval));
    std::vector<std::string> names;
    auto before = collect(sockets, opts, names);
    auto at = Clock::now();
    for (long n = 0; a.count == 0 || n < a.count; ++n) {
        std::this_thread::sleep_until(at + step);
        auto now = collect(sockets, opts, names);
        double seconds = std::chrono::duration<double>(Clock::now() - at).count();
        at = Clock::now();
        if (tty) {
            std::time_t t = std::time(nullptr);
            char when[32];
            std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", std::localtime(&t));
            std::cout << "\033[H\033[2J" << "sr-ctl stats: every " << a.interval << " s, " << when
                      << " (counters and gauges not zero)\n";
        }
        OutputOptions o = opts.output();
        o.header = o.header || tty;
        Output out(o, {"daemon", "counter", "value", "per_s"});
        for (std::size_t d = 0; d < now.size(); ++d) {
            for (const auto& [key, v] : now[d].stats.items()) {
                if (!v.is_number() && !v.is_boolean()) continue;
                double value = as_number(v);
                Value row{{"daemon", now[d].daemon}, {"counter", key}, {"value", v}};
                const Value& old = d < before.size() ? before[d].stats : Value();
                bool counter = !stat_is_gauge(key) && key != "uptime_s";
                double rate = 0;
                if (counter && old.contains(key) && (old[key].is_number() || old[key].is_boolean())) {
                    rate = (value - as_number(old[key])) / seconds;
                    row["per_s"] = std::round(rate * 10) / 10;  // one decimal
                }
                if (tty && value == 0 && rate == 0) continue;
                out.row(row);
            }
        }
        if (!tty && !opts.json) std::cout << std::endl;  // a blank line ends each report
        before = std::move(now);
    }
    return exit_ok;
}

}  // namespace

void add_stats_command(CLI::App& app, const ClientOptions& opts, Commands& commands) {
    auto* sub = app.add_subcommand("stats", "Counters of every daemon (or the named ones); --openmetrics; -i for rates");
    auto a = std::make_shared<StatsArgs>();
    sub->add_option("DAEMON", a->daemons, "dhtd, proxd, cached, streamd, eventd or a socket path (default: every one)");
    auto* om = sub->add_flag("--openmetrics", a->openmetrics, "Print OpenMetrics text (what --metrics-listen serves)");
    auto* prom = sub->add_flag("--prometheus", a->prometheus,
                               "Print the Prometheus text format (promtool, node_exporter's textfile collector)");
    om->excludes(prom);
    auto* interval = sub->add_option("-i,--interval", a->interval, "Report per-second rates every SECONDS")
                         ->check(CLI::PositiveNumber);
    sub->add_option("-c,--count", a->count, "With -i: stop after this many reports")->check(at_least(1))->needs(interval);
    interval->excludes(om)->excludes(prom);
    commands.push_back({sub, [&opts, a]() -> int {
        auto sockets = stats_sockets(*a, opts);
        if (a->interval > 0) return live_view(*a, sockets, opts);
        std::vector<std::string> names;
        auto stats = collect(sockets, opts, names);
        if (a->openmetrics || a->prometheus) {
            std::cout << metrics_text(stats, a->openmetrics ? MetricsFormat::openmetrics : MetricsFormat::prometheus)
                      << std::flush;
            return exit_ok;
        }
        Output out(opts.output(), {"daemon", "counter", "value"});
        for (const auto& d : stats)
            for (const auto& [key, v] : d.stats.items()) out.row({{"daemon", d.daemon}, {"counter", key}, {"value", v}});
        return exit_ok;
    }});
}

}  // namespace sr
