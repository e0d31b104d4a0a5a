// metrics.hpp: sys.stats keys as Prometheus metric families.
#include "core/metrics.hpp"

#include <gtest/gtest.h>

using namespace sr;

namespace {

bool has_line(const std::string& text, const std::string& line) {
    return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

const std::vector<DaemonStats> kTwo = {
    {"sr-dhtd", Value{{"rpc.requests", 7}, {"store.bytes", 100}, {"pastry.in.ping", 3}, {"uptime_s", 5},
                      {"prox.rebuild_ms", 250}, {"event.linked", true}, {"name", "not a number"}}},
    {"sr-cached", Value{{"rpc.requests", 2}, {"cache.hits", 1}}},
};

}  // namespace

TEST(CoreMetrics, PrometheusTextNamesCountersWithTotalAndKeepsOneFamilyPerMetric) {
    std::string t = metrics_text(kTwo, MetricsFormat::prometheus);
    EXPECT_TRUE(has_line(t, "# TYPE sr_rpc_requests_total counter"));
    EXPECT_TRUE(has_line(t, "sr_rpc_requests_total{daemon=\"sr-dhtd\"} 7"));
    EXPECT_TRUE(has_line(t, "sr_rpc_requests_total{daemon=\"sr-cached\"} 2"));
    EXPECT_EQ(t.find("# TYPE sr_rpc_requests_total"), t.rfind("# TYPE sr_rpc_requests_total"));  // one family
    EXPECT_TRUE(has_line(t, "# TYPE sr_store_bytes gauge"));
    EXPECT_TRUE(has_line(t, "sr_pastry_messages_in_total{daemon=\"sr-dhtd\",type=\"ping\"} 3"));
    EXPECT_TRUE(has_line(t, "sr_uptime_seconds{daemon=\"sr-dhtd\"} 5"));
    EXPECT_TRUE(has_line(t, "sr_prox_rebuild_seconds_total{daemon=\"sr-dhtd\"} 0.25"));  // ms in seconds
    EXPECT_TRUE(has_line(t, "sr_event_linked{daemon=\"sr-dhtd\"} 1"));
    EXPECT_EQ(t.find("not a number"), std::string::npos);
    EXPECT_EQ(t.find("# EOF"), std::string::npos);
    EXPECT_EQ(t.find("# UNIT"), std::string::npos);
}

TEST(CoreMetrics, OpenMetricsNamesCounterFamiliesWithoutTotalAndEnds) {
    std::string t = metrics_text(kTwo, MetricsFormat::openmetrics);
    EXPECT_TRUE(has_line(t, "# TYPE sr_cache_hits counter"));
    EXPECT_TRUE(has_line(t, "sr_cache_hits_total{daemon=\"sr-cached\"} 1"));
    EXPECT_TRUE(has_line(t, "# UNIT sr_uptime_seconds seconds"));
    EXPECT_TRUE(has_line(t, "# UNIT sr_store_bytes bytes"));
    EXPECT_EQ(t.substr(t.size() - 6), "# EOF\n");
}

TEST(CoreMetrics, FormatFollowsTheAcceptHeader) {
    EXPECT_EQ(metrics_format_for("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"),
              MetricsFormat::openmetrics);
    EXPECT_EQ(metrics_format_for("text/plain"), MetricsFormat::prometheus);
    EXPECT_EQ(metrics_format_for(""), MetricsFormat::prometheus);
    EXPECT_TRUE(stat_is_gauge("rpc.connections_open"));
    EXPECT_FALSE(stat_is_gauge("rpc.requests"));
}
