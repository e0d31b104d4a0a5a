// sr-cached's option translation: sizes, routes, QoS classes, origin paths.
#include "cache/config.hpp"
#include "cache/http_client.hpp"
#include "core/error.hpp"
#include "error_capture.hpp"

#include <gtest/gtest.h>

using sr::test::error_of;
using namespace sr::cache;

TEST(CacheConfig, Sizes) {
    EXPECT_EQ(parse_size("1000", "x"), 1000u);
    EXPECT_EQ(parse_size("64k", "x"), 65536u);
    EXPECT_EQ(parse_size("3G", "x"), 3ull << 30);
    EXPECT_NE(error_of([] { parse_size("12Q", "--max-size"); }).find("unknown unit"), std::string::npos);
    EXPECT_NE(error_of([] { parse_size("big", "--max-size"); }).find("config"), std::string::npos);
}

TEST(CacheConfig, Routes) {
    std::map<std::string, int> classes{{"gold", 46}};
    Route r = parse_route("video.example.net/hls http://127.0.0.1:8081/media/ qos=gold", classes);
    EXPECT_EQ(r.host, "video.example.net");
    EXPECT_EQ(r.prefix, "/hls");
    EXPECT_EQ(r.origin_url.port, 8081);
    EXPECT_TRUE(r.origin_has_path);
    EXPECT_EQ(r.dscp, 46);
    Route any = parse_route("*/static http://127.0.0.1", classes);
    EXPECT_EQ(any.host, "");
    EXPECT_FALSE(any.origin_has_path);
    EXPECT_EQ(any.dscp, -1);
    EXPECT_NE(error_of([&] { parse_route("/x http://127.0.0.1 qos=platinum", classes); }).find("unknown QoS class"),
              std::string::npos);
    EXPECT_NE(error_of([&] { parse_route("/x https://127.0.0.1", classes); }).find("only http"), std::string::npos);
    EXPECT_NE(error_of([&] { parse_route("/x", classes); }).find("expected"), std::string::npos);
}

TEST(CacheConfig, WholeConfiguration) {
    CacheOptions o;
    sr::DaemonOptions common;
    EXPECT_NE(error_of([&] { make_cache_config(o, common); }).find("nothing to serve"), std::string::npos);
    o.origin = "http://127.0.0.1:8000";
    EXPECT_NE(error_of([&] { make_cache_config(o, common); }).find("--cache-dir"), std::string::npos);
    common.state_dir = "/var/lib/sr";
    o.qos_classes = {"video=34"};
    o.qos = "video";
    o.routes = {"/live http://127.0.0.1:9000"};
    CacheConfig cfg = make_cache_config(o, common);
    EXPECT_EQ(cfg.store.dir, "/var/lib/sr/cache");
    ASSERT_EQ(cfg.routes.size(), 2u);  // the route, then the catch-all origin
    EXPECT_EQ(cfg.routes[0].prefix, "/live");
    EXPECT_EQ(cfg.routes[0].dscp, 34);  // --qos applies where a route names none
    EXPECT_EQ(cfg.routes[1].prefix, "");
    o.qos_classes = {"bad=99"};
    EXPECT_NE(error_of([&] { make_cache_config(o, common); }).find("0..63"), std::string::npos);
    o.qos_classes = {};
    o.listen = {"nowhere"};
    EXPECT_NE(error_of([&] { make_cache_config(o, common); }).find("ADDR:PORT"), std::string::npos);
}

TEST(CacheConfig, Urls) {
    Url u = parse_url("http://[::1]:8080/a/b?c=d#frag");
    EXPECT_EQ(u.host, "::1");
    EXPECT_EQ(u.port, 8080);
    EXPECT_EQ(u.path, "/a/b?c=d");
    EXPECT_EQ(u.authority(), "[::1]:8080");
    EXPECT_EQ(parse_url("http://example.net").path, "/");
    EXPECT_EQ(parse_url("http://example.net").authority(), "example.net");
}
