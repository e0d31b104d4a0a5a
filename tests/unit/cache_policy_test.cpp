#include "cache/policy.hpp"

#include <gtest/gtest.h>

using namespace sr::cache;

namespace {
constexpr std::int64_t T = 784111777;  // Sun, 06 Nov 1994 08:49:37 GMT
StoredResponse stored(Headers h, std::int64_t req, std::int64_t resp, int status = 200) {
    return StoredResponse{status, std::move(h), req, resp};
}
}  // namespace

TEST(CachePolicyDate, ThreeFormatsAndInvalid) {
    EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), T);
    EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), T);
    EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), T);
    EXPECT_EQ(format_http_date(T), "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_FALSE(parse_http_date("0"));
    EXPECT_FALSE(parse_http_date("Sun, 31 Feb 1994 08:49:37 GMT"));
    EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC"));
    EXPECT_FALSE(parse_http_date("Sun, 06 Nox 1994 08:49:37 GMT"));
    EXPECT_FALSE(parse_http_date(""));
}

TEST(CachePolicyCacheControl, DirectivesCaseSpacesQuotes) {
    auto cc = parse_cache_control(" Max-Age = \"60\" ,S-MAXAGE=120, no-cache=\"Set-Cookie, X-Foo\", private,"
                                  "public, must-revalidate,proxy-revalidate, stale-while-revalidate=30,"
                                  "stale-if-error=300, no-store");
    EXPECT_EQ(cc.max_age, 60);
    EXPECT_EQ(cc.s_maxage, 120);
    EXPECT_FALSE(cc.no_cache);
    EXPECT_EQ(cc.no_cache_fields, (std::vector<std::string>{"set-cookie", "x-foo"}));
    EXPECT_TRUE(cc.private_);
    EXPECT_TRUE(cc.public_ && cc.must_revalidate && cc.proxy_revalidate && cc.no_store);
    EXPECT_EQ(cc.stale_while_revalidate, 30);
    EXPECT_EQ(cc.stale_if_error, 300);
    auto rq = parse_cache_control("only-if-cached, max-stale, min-fresh=5, no-cache");
    EXPECT_TRUE(rq.only_if_cached && rq.max_stale && rq.no_cache);
    EXPECT_FALSE(rq.max_stale_seconds);
    EXPECT_EQ(rq.min_fresh, 5);
    EXPECT_EQ(parse_cache_control("max-stale=10").max_stale_seconds, 10);
}

TEST(CachePolicyCacheControl, DuplicatesInvalidAndOverflow) {
    EXPECT_EQ(parse_cache_control("max-age=10, max-age=100").max_age, 10);  // first wins
    Headers two{{"Cache-Control", "max-age=5"}, {"cache-control", "max-age=50"}};
    EXPECT_EQ(parse_cache_control(two).max_age, 5);
    EXPECT_EQ(parse_cache_control("max-age=-1").max_age, 0);   // invalid → stale
    EXPECT_EQ(parse_cache_control("max-age=abc").max_age, 0);
    EXPECT_EQ(parse_cache_control("max-age").max_age, 0);
    EXPECT_EQ(parse_cache_control("max-age=99999999999999999999").max_age, kDeltaMax);
    EXPECT_FALSE(parse_cache_control("stale-while-revalidate=x").stale_while_revalidate);
    EXPECT_FALSE(parse_cache_control("max-stale=-3").max_stale);
}

TEST(CachePolicyStore, Rules) {
    Headers none;
    EXPECT_TRUE(storability("GET", 200, none, {{"Cache-Control", "max-age=60"}}).store);
    EXPECT_TRUE(storability("HEAD", 200, none, {}).store);  // heuristically cacheable status
    EXPECT_EQ(storability("POST", 200, none, {{"Cache-Control", "max-age=60"}}).reason, "method");
    EXPECT_EQ(storability("GET", 206, none, {{"Cache-Control", "max-age=60"}}).reason, "partial");
    EXPECT_EQ(storability("GET", 200, none, {{"Cache-Control", "no-store, max-age=60"}}).reason, "no-store");
    EXPECT_EQ(storability("GET", 200, {{"Cache-Control", "no-store"}}, {}).reason, "no-store");
    EXPECT_EQ(storability("GET", 200, none, {{"Cache-Control", "private, max-age=60"}}).reason, "private");
    Options priv;
    priv.shared = false;
    EXPECT_TRUE(storability("GET", 200, none, {{"Cache-Control", "private, max-age=60"}}, priv).store);
    auto q = storability("GET", 200, none, {{"Cache-Control", "private=\"Set-Cookie\", max-age=60"}});
    EXPECT_TRUE(q.store);
    EXPECT_EQ(q.strip_fields, (std::vector<std::string>{"set-cookie"}));
    EXPECT_EQ(storability("GET", 302, none, {}).reason, "not-cacheable-status");
    EXPECT_TRUE(storability("GET", 302, none, {{"Cache-Control", "max-age=60"}}).store);
    EXPECT_TRUE(storability("GET", 302, none, {{"Expires", "Sun, 06 Nov 1994 08:49:37 GMT"}}).store);
    EXPECT_TRUE(storability("GET", 404, none, {}).store);
    EXPECT_FALSE(storability("GET", 200, none, {{"Vary", "Accept, *"}}).store);
}

TEST(CachePolicyStore, Authorization) {
    Headers auth{{"Authorization", "Basic eDp5"}};
    EXPECT_EQ(storability("GET", 200, auth, {{"Cache-Control", "max-age=60"}}).reason, "authorization");
    EXPECT_TRUE(storability("GET", 200, auth, {{"Cache-Control", "public, max-age=60"}}).store);
    EXPECT_TRUE(storability("GET", 200, auth, {{"Cache-Control", "s-maxage=60"}}).store);
    EXPECT_TRUE(storability("GET", 200, auth, {{"Cache-Control", "must-revalidate, max-age=60"}}).store);
}

TEST(CachePolicyStore, HopByHopStripped) {
    auto h = strip_hop_by_hop({{"Connection", "close, X-Private"}, {"X-Private", "1"}, {"Keep-Alive", "5"},
                               {"Transfer-Encoding", "chunked"}, {"ETag", "\"a\""}});
    EXPECT_EQ(h, (Headers{{"ETag", "\"a\""}}));
}

TEST(CachePolicyFreshness, Precedence) {
    Headers h{{"Date", format_http_date(T)},
              {"Expires", format_http_date(T + 1000)},
              {"Cache-Control", "max-age=100, s-maxage=500"}};
    EXPECT_EQ(freshness_lifetime(200, h, T).lifetime, 500);  // s-maxage wins in a shared cache
    Options priv;
    priv.shared = false;
    EXPECT_EQ(freshness_lifetime(200, h, T, priv).lifetime, 100);
    h.pop_back();
    EXPECT_EQ(freshness_lifetime(200, h, T).lifetime, 1000);  // Expires − Date
    Headers nodate{{"Expires", format_http_date(T + 30)}};
    EXPECT_EQ(freshness_lifetime(200, nodate, T + 10).lifetime, 20);  // Date absent → response_time
    Headers bad{{"Date", format_http_date(T)}, {"Expires", "0"}};
    EXPECT_EQ(freshness_lifetime(200, bad, T).lifetime, 0);
    Headers past{{"Date", format_http_date(T)}, {"Expires", format_http_date(T - 100)}};
    EXPECT_EQ(freshness_lifetime(200, past, T).lifetime, 0);
    EXPECT_EQ(freshness_lifetime(200, {{"Cache-Control", "max-age=-5"}}, T).lifetime, 0);
}

TEST(CachePolicyFreshness, Heuristic) {
    Headers h{{"Date", format_http_date(T)}, {"Last-Modified", format_http_date(T - 10000)}};
    auto f = freshness_lifetime(200, h, T);
    EXPECT_EQ(f.lifetime, 1000);
    EXPECT_TRUE(f.heuristic);
    EXPECT_EQ(freshness_lifetime(302, h, T).lifetime, 0);  // not heuristically cacheable
    Headers old{{"Date", format_http_date(T)}, {"Last-Modified", format_http_date(T - 100 * 86400)}};
    EXPECT_EQ(freshness_lifetime(200, old, T).lifetime, 86400);  // capped
    EXPECT_EQ(freshness_lifetime(200, {{"Date", format_http_date(T)}}, T).lifetime, 0);
}

TEST(CachePolicyAge, Calculation) {
    // Date 10 s before the response arrived, Age 30 from upstream, 5 s round trip.
    auto r = stored({{"Date", format_http_date(T - 10)}, {"Age", "30"}}, T - 5, T);
    EXPECT_EQ(current_age(r, T), 35);       // max(apparent 10, 30 + 5)
    EXPECT_EQ(current_age(r, T + 100), 135);
    auto skew = stored({{"Date", format_http_date(T - 60)}}, T - 1, T);
    EXPECT_EQ(current_age(skew, T), 60);    // apparent age dominates
    // An Age that is not delta-seconds makes the response stale (policy.hpp says why).
    for (const char* age : {"-7", "abc", "7.0", "60;x=1"}) {
        auto bad = stored({{"Date", format_http_date(T)}, {"Age", age}}, T, T);
        EXPECT_GE(current_age(bad, T + 3), kDeltaMax) << age;
    }
    auto list = stored({{"Date", format_http_date(T)}, {"Age", "5, 7200"}}, T, T);
    EXPECT_EQ(current_age(list, T + 3), 8);  // the first member of a list
}

TEST(CachePolicyStorage, MustUnderstandAndUnknownStatus) {
    Headers mu = {{"Cache-Control", "max-age=60, must-understand, no-store"}};
    EXPECT_TRUE(storability("GET", 200, {}, mu).store);   // understood: must-understand overrides no-store
    EXPECT_FALSE(storability("GET", 599, {}, mu).store);  // not understood
    EXPECT_TRUE(storability("GET", 599, {}, {{"Cache-Control", "max-age=60"}}).store);
}

TEST(CachePolicyValidation, A304KeepsTheRepresentationFields) {
    StoredResponse s = stored({{"ETag", "\"a\""}, {"Content-Encoding", "gzip"}, {"X-Thing", "1"}}, T, T);
    update_from_304(s, {{"ETag", "\"b\""}, {"Content-Encoding", "br"}, {"X-Thing", "2"}}, T + 1, T + 2);
    EXPECT_EQ(get_header(s.headers, "ETag"), "\"a\"");
    EXPECT_EQ(get_header(s.headers, "Content-Encoding"), "gzip");
    EXPECT_EQ(get_header(s.headers, "X-Thing"), "2");
    EXPECT_EQ(s.response_time, T + 2);
}

TEST(CachePolicyConditionals, ClientConditionalsAndIfRange) {
    Headers stored_h = {{"ETag", "W/\"v1\""}, {"Last-Modified", format_http_date(T)}};
    EXPECT_TRUE(not_modified({{"If-None-Match", "\"x\", \"v1\""}}, stored_h));  // weak comparison
    EXPECT_FALSE(not_modified({{"If-None-Match", "\"x\""}, {"If-Modified-Since", format_http_date(T)}}, stored_h));
    EXPECT_TRUE(not_modified({{"If-Modified-Since", format_http_date(T + 10)}}, stored_h));
    EXPECT_FALSE(not_modified({{"If-Modified-Since", format_http_date(T - 10)}}, stored_h));
    EXPECT_FALSE(if_range_matches({{"If-Range", "W/\"v1\""}}, stored_h));  // weak never matches
    EXPECT_TRUE(if_range_matches({{"If-Range", format_http_date(T)}}, stored_h));
    EXPECT_TRUE(if_range_matches({}, stored_h));
    EXPECT_TRUE(if_range_matches({{"If-Range", "\"s\""}}, {{"ETag", "\"s\""}}));
    EXPECT_EQ(vary_fields({{"Vary", "Accept-Language, accept-language, Origin"}}),
              (std::vector<std::string>{"accept-language", "origin"}));
}

TEST(CachePolicyReuse, FreshStaleAndRequestDirectives) {
    auto r = stored({{"Date", format_http_date(T)}, {"Cache-Control", "max-age=100"}}, T, T);
    auto d = reuse({}, r, T + 50);
    EXPECT_EQ(d.action, Action::Serve);
    EXPECT_EQ(d.age, 50);
    EXPECT_FALSE(d.stale);
    EXPECT_EQ(reuse({}, r, T + 100).action, Action::Validate);  // age == lifetime: stale
    EXPECT_EQ(reuse({{"Cache-Control", "no-cache"}}, r, T + 1).action, Action::Validate);
    EXPECT_EQ(reuse({{"Pragma", "no-cache"}}, r, T + 1).action, Action::Validate);
    EXPECT_EQ(reuse({{"Cache-Control", "max-age=10"}}, r, T + 20).action, Action::Validate);
    EXPECT_EQ(reuse({{"Cache-Control", "max-age=30"}}, r, T + 20).action, Action::Serve);
    EXPECT_EQ(reuse({{"Cache-Control", "min-fresh=60"}}, r, T + 50).action, Action::Validate);
    EXPECT_EQ(reuse({{"Cache-Control", "min-fresh=40"}}, r, T + 50).action, Action::Serve);
    auto ms = reuse({{"Cache-Control", "max-stale=20"}}, r, T + 110);
    EXPECT_EQ(ms.action, Action::Serve);
    EXPECT_TRUE(ms.stale);
    EXPECT_EQ(reuse({{"Cache-Control", "max-stale=5"}}, r, T + 110).action, Action::Validate);
    EXPECT_EQ(reuse({{"Cache-Control", "max-stale"}}, r, T + 100000).action, Action::Serve);
    EXPECT_EQ(reuse({{"Cache-Control", "only-if-cached"}}, r, T + 200).action, Action::GatewayTimeout);
    EXPECT_EQ(reuse({{"Cache-Control", "only-if-cached"}}, r, T + 2).action, Action::Serve);
}

TEST(CachePolicyReuse, ResponseDirectives) {
    auto nc = stored({{"Cache-Control", "no-cache, max-age=100"}}, T, T);
    EXPECT_EQ(reuse({}, nc, T + 1).action, Action::Validate);
    auto ncf = stored({{"Cache-Control", "no-cache=\"Set-Cookie\", max-age=100"}}, T, T);
    auto d = reuse({}, ncf, T + 1);
    EXPECT_EQ(d.action, Action::Serve);
    EXPECT_EQ(d.strip_fields, (std::vector<std::string>{"set-cookie"}));
    auto mr = stored({{"Cache-Control", "max-age=10, must-revalidate"}}, T, T);
    EXPECT_EQ(reuse({{"Cache-Control", "max-stale"}}, mr, T + 20).action, Action::Validate);
    auto sm = stored({{"Cache-Control", "s-maxage=10"}}, T, T);
    EXPECT_EQ(reuse({{"Cache-Control", "max-stale"}}, sm, T + 20).action, Action::Validate);
    auto expired = stored({{"Date", format_http_date(T)}, {"Expires", "garbage"}}, T, T);
    EXPECT_EQ(reuse({}, expired, T).action, Action::Validate);
}

TEST(CachePolicyReuse, StaleWhileRevalidateAndIfError) {
    auto r = stored({{"Cache-Control", "max-age=10, stale-while-revalidate=20, stale-if-error=100"}}, T, T);
    EXPECT_EQ(reuse({}, r, T + 5).action, Action::Serve);
    EXPECT_EQ(reuse({}, r, T + 25).action, Action::ServeStaleAndRevalidate);
    EXPECT_EQ(reuse({}, r, T + 31).action, Action::Validate);
    EXPECT_TRUE(may_serve_stale_on_error({}, r, T + 110, {}));
    EXPECT_FALSE(may_serve_stale_on_error({}, r, T + 111, {}));
    auto plain = stored({{"Cache-Control", "max-age=10"}}, T, T);
    EXPECT_FALSE(may_serve_stale_on_error({}, plain, T + 11, {}));
    EXPECT_TRUE(may_serve_stale_on_error({{"Cache-Control", "stale-if-error=60"}}, plain, T + 60, {}));
    auto mr = stored({{"Cache-Control", "max-age=10, must-revalidate, stale-if-error=100"}}, T, T);
    EXPECT_FALSE(may_serve_stale_on_error({}, mr, T + 20, {}));
}

TEST(CachePolicyValidation, ConditionalHeaders) {
    Headers h{{"ETag", "W/\"v1\""}, {"Last-Modified", "Sun, 06 Nov 1994 08:49:37 GMT"}};
    EXPECT_EQ(conditional_request_headers(h),
              (Headers{{"If-None-Match", "W/\"v1\""}, {"If-Modified-Since", "Sun, 06 Nov 1994 08:49:37 GMT"}}));
    EXPECT_TRUE(conditional_request_headers({{"Last-Modified", "yesterday"}}).empty());
}

TEST(CachePolicyValidation, Select304) {
    Headers strong{{"ETag", "\"a\""}}, weak{{"ETag", "W/\"a\""}};
    EXPECT_TRUE(validates_stored(strong, {{"ETag", "\"a\""}}));
    EXPECT_FALSE(validates_stored(strong, {{"ETag", "\"b\""}}));
    EXPECT_FALSE(validates_stored(weak, {{"ETag", "\"a\""}}));  // strong needs strong
    EXPECT_TRUE(validates_stored(strong, {{"ETag", "W/\"a\""}}));
    Headers lm{{"Last-Modified", format_http_date(T)}};
    EXPECT_TRUE(validates_stored(lm, {{"Last-Modified", format_http_date(T)}}));
    EXPECT_FALSE(validates_stored(lm, {{"Last-Modified", format_http_date(T + 1)}}));
}

TEST(CachePolicyValidation, Update304) {
    auto r = stored({{"Date", format_http_date(T)}, {"Cache-Control", "max-age=10"}, {"ETag", "\"a\""},
                     {"Content-Length", "5"}, {"X-Old", "keep"}},
                    T, T);
    update_from_304(r,
                    {{"Date", format_http_date(T + 100)}, {"Cache-Control", "max-age=60"}, {"Content-Length", "0"},
                     {"Connection", "close"}, {"X-New", "1"}},
                    T + 99, T + 100);
    EXPECT_EQ(get_header(r.headers, "Cache-Control"), "max-age=60");
    EXPECT_EQ(get_header(r.headers, "Content-Length"), "5");
    EXPECT_EQ(get_header(r.headers, "X-Old"), "keep");
    EXPECT_EQ(get_header(r.headers, "X-New"), "1");
    EXPECT_EQ(get_header(r.headers, "ETag"), "\"a\"");
    EXPECT_FALSE(has_header(r.headers, "Connection"));
    EXPECT_EQ(reuse({}, r, T + 130).action, Action::Serve);  // freshened
    EXPECT_EQ(reuse({}, r, T + 130).age, 31);  // 30 resident + 1 s response delay
}

TEST(CachePolicyInvalidation, UnsafeMethods) {
    Headers resp{{"Location", "/created/1"}, {"Content-Location", "http://other.example/x"}};
    auto u = invalidation_uris("POST", 201, "http://a.example/list?q=1", resp);
    EXPECT_EQ(u, (std::vector<std::string>{"http://a.example/list?q=1", "http://a.example/created/1"}));
    EXPECT_TRUE(invalidation_uris("GET", 200, "http://a.example/", resp).empty());
    EXPECT_TRUE(invalidation_uris("DELETE", 500, "http://a.example/", resp).empty());
    EXPECT_EQ(invalidation_uris("PURGEISH", 204, "http://a.example/x", {}).size(), 1u);  // unknown = unsafe
    auto rel = invalidation_uris("PUT", 200, "http://a.example:80/d/e", {{"Content-Location", "f"}});
    EXPECT_EQ(rel.back(), "http://a.example/d/f");
    EXPECT_TRUE(same_origin("http://A.example/", "http://a.example:80/z"));
    EXPECT_FALSE(same_origin("http://a.example/", "https://a.example/"));
}

TEST(CachePolicyVary, Matching) {
    Headers resp{{"Vary", "Accept-Encoding, accept-language"}};
    Headers r1{{"Accept-Encoding", "gzip,  br"}, {"Accept-Language", "en"}};
    Headers r2{{"accept-language", "en"}, {"ACCEPT-ENCODING", "gzip, br"}};
    Headers r3{{"Accept-Encoding", "gzip"}, {"Accept-Language", "en"}};
    Headers r4{{"Accept-Language", "en"}};
    Headers r5{{"Accept-Language", "en"}, {"Accept-Encoding", ""}};
    EXPECT_TRUE(vary_matches(resp, r1, r2));
    EXPECT_FALSE(vary_matches(resp, r1, r3));
    EXPECT_FALSE(vary_matches(resp, r4, r5));  // absent differs from empty
    EXPECT_TRUE(vary_matches(resp, r4, r4));
    Headers split{{"Accept-Encoding", "gzip"}, {"Accept-Encoding", "br"}, {"Accept-Language", "en"}};
    EXPECT_TRUE(vary_matches(resp, split, {{"Accept-Encoding", "gzip,br"}, {"Accept-Language", "en"}}));
    EXPECT_TRUE(vary_matches({}, r1, r3));  // no Vary
    EXPECT_FALSE(vary_matches({{"Vary", "*"}}, r1, r1));
    EXPECT_FALSE(secondary_key({{"Vary", "*"}}, r1));
}

TEST(CachePolicyRange, Cases) {
    auto one = [](std::string_view v, std::uint64_t len) { return parse_range(v, len); };
    auto r = one("bytes=0-0", 1000);
    EXPECT_EQ(r.kind, RangeKind::Single);
    EXPECT_EQ(r.range.first, 0u);
    EXPECT_EQ(r.range.last, 0u);
    r = one("bytes=-500", 1000);
    EXPECT_EQ(r.kind, RangeKind::Single);
    EXPECT_EQ(r.range.first, 500u);
    EXPECT_EQ(r.range.last, 999u);
    r = one("bytes=-5000", 1000);
    EXPECT_EQ(r.range.first, 0u);
    r = one("bytes=500-", 1000);
    EXPECT_EQ(r.range.first, 500u);
    EXPECT_EQ(r.range.last, 999u);
    r = one("Bytes = 10-99999", 1000);
    EXPECT_EQ(r.kind, RangeKind::Single);
    EXPECT_EQ(r.range.last, 999u);
    EXPECT_EQ(content_range(r.range, 1000), "bytes 10-999/1000");
    EXPECT_EQ(one("bytes=1000-", 1000).kind, RangeKind::Unsatisfiable);
    EXPECT_EQ(one("bytes=2000-3000", 1000).kind, RangeKind::Unsatisfiable);
    EXPECT_EQ(one("bytes=-0", 1000).kind, RangeKind::Unsatisfiable);
    EXPECT_EQ(one("bytes=0-", 0).kind, RangeKind::Unsatisfiable);
    EXPECT_EQ(content_range_unsatisfied(1000), "bytes */1000");
    EXPECT_EQ(one("bytes=0-1,5-6", 1000).kind, RangeKind::NotSingle);
    for (auto bad : {"bytes=5-1", "bytes=a-b", "bytes=", "bytes=-", "items=0-1", "bytes 0-1", "bytes=1-2-3",
                     "bytes=0-1,x"})
        EXPECT_EQ(one(bad, 1000).kind, RangeKind::Ignore) << bad;
}

TEST(CachePolicySurrogate, OverridesCacheControlForUs) {
    Headers fresh_nostore = {{"Surrogate-Control", "max-age=3600"}, {"Cache-Control", "no-store"}};
    EXPECT_TRUE(storability("GET", 200, {}, fresh_nostore).store);
    EXPECT_EQ(freshness_lifetime(200, fresh_nostore, T).lifetime, 3600);
    EXPECT_FALSE(storability("GET", 200, {}, {{"Surrogate-Control", "no-store"}, {"Cache-Control", "max-age=60"}}).store);
    // Targeted at another device: not ours.
    Headers other = {{"Surrogate-Control", "max-age=3600;other"}};
    EXPECT_FALSE(parse_surrogate_control(other).max_age.has_value());
    EXPECT_EQ(parse_surrogate_control({{"Surrogate-Control", "foo, MaX-aGe=7"}}).max_age, 7);
    Options browser;
    browser.surrogate = false;
    EXPECT_FALSE(storability("GET", 200, {}, fresh_nostore, browser).store);
}
