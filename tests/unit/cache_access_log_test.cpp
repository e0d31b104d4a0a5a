// access_log.hpp: one record per answer, as text or JSON.
#include "cache/access_log.hpp"

#include "core/value.hpp"

#include <gtest/gtest.h>

using namespace sr::cache;

namespace {
AccessRecord record() {
    return {"2026-12-07T03:49:31.123Z", "192.0.2.7", "GET", "http://v.example/a b\x1b", 200, 409600, "PEER", 3.1204,
            "192.0.2.20:8080", ""};
}
}  // namespace

TEST(CacheAccessLog, TextFieldsInOrderDashForNoneControlBytesEscaped) {
    EXPECT_EQ(access_line("text", record()),
              "2026-12-07T03:49:31.123Z 192.0.2.7 GET http://v.example/a b\\x1B 200 409600 PEER 3.120 192.0.2.20:8080 -\n");
}

TEST(CacheAccessLog, JsonOneObjectPerLineNullForNone) {
    AccessRecord r = record();
    r.for_client = "198.51.100.9";
    std::string line = access_line("json", r);
    ASSERT_EQ(line.back(), '\n');
    EXPECT_EQ(line.find('\n'), line.size() - 1);
    sr::Value v = sr::Value::parse(line);
    EXPECT_EQ(v["time"], "2026-12-07T03:49:31.123Z");
    EXPECT_EQ(v["url"], "http://v.example/a b\\x1B");
    EXPECT_EQ(v["status"], 200);
    EXPECT_EQ(v["bytes"], 409600);
    EXPECT_EQ(v["cache"], "PEER");
    EXPECT_DOUBLE_EQ(v["ms"].get<double>(), 3.12);
    EXPECT_EQ(v["upstream"], "192.0.2.20:8080");
    EXPECT_EQ(v["for"], "198.51.100.9");
    r.upstream.clear();
    EXPECT_TRUE(sr::Value::parse(access_line("json", r))["upstream"].is_null());
}
