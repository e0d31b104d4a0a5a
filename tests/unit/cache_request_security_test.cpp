// sr-cached's request checks against smuggling and path traversal (issue 9,
// items 2 and 5): the framing a lenient reader could take differently is
// refused, dot-segments (plain or %2e) are removed, and what no prefix match
// could hold (%2f, backslash, %00, a climb above the root) is refused.
#include "cache/request_check.hpp"

#include <gtest/gtest.h>

using namespace sr::cache;

namespace {
int refused(const Headers& h, const char* method = "POST") {
    auto r = check_framing(h, method);
    return r ? r->status : 0;
}
std::string norm(std::string_view t) {
    auto n = normalise_target(t);
    return n.refusal ? "400" : n.target;
}
}  // namespace

TEST(CacheRequestSecurity, FramingRefusals) {
    EXPECT_EQ(refused({{"Transfer-Encoding ", "chunked"}}), 400);  // space before the colon, as evhttp keeps it
    EXPECT_EQ(refused({{"Content-Length ", "5"}}, "GET"), 400);
    EXPECT_EQ(refused({{"Content-Length", "3"}, {"Content-Length", "40"}}), 400);
    EXPECT_EQ(refused({{"Content-Length", "+3"}}), 400);
    EXPECT_EQ(refused({{"Content-Length", "-1"}}), 400);
    EXPECT_EQ(refused({{"Content-Length", "3, 3"}}), 400);
    EXPECT_EQ(refused({{"Transfer-Encoding", "xchunked"}}), 400);
    EXPECT_EQ(refused({{"Transfer-Encoding", "chunked, identity"}}), 400);
    EXPECT_EQ(refused({{"Transfer-Encoding", " chunked"}}), 501);  // folded: evhttp would not de-chunk it
    EXPECT_EQ(refused({{"Transfer-Encoding", "chunked"}, {"Transfer-Encoding", "chunked"}}), 501);
    EXPECT_EQ(refused({{"Transfer-Encoding", "gzip, chunked"}}), 501);
    EXPECT_EQ(refused({{"Transfer-Encoding", "chunked"}, {"Content-Length", "5"}}), 400);
    EXPECT_EQ(refused({{"Content-Length", "5"}}, "HEAD"), 400);
    EXPECT_EQ(refused({{"Transfer-Encoding", "chunked"}}, "HEAD"), 400);
    EXPECT_EQ(refused({{"", "x"}}), 400);
    EXPECT_EQ(refused({{"X\tY", "x"}}), 400);
}

TEST(CacheRequestSecurity, SoundFramingPasses) {
    EXPECT_EQ(refused({}), 0);
    EXPECT_EQ(refused({{"Content-Length", "5"}}), 0);
    EXPECT_EQ(refused({{"content-length", "5"}, {"Content-Length", "5"}}), 0);  // identical: every reader agrees
    EXPECT_EQ(refused({{"Transfer-Encoding", "Chunked"}}), 0);
    EXPECT_EQ(refused({{"Content-Length", "0"}}, "HEAD"), 0);
    EXPECT_EQ(refused({{"X-Custom_Name!", "v"}}, "GET"), 0);
}

TEST(CacheRequestSecurity, DotSegmentsRemoved) {
    EXPECT_EQ(norm("/img/../admin/secret"), "/admin/secret");
    EXPECT_EQ(norm("/img/%2e%2e/admin"), "/admin");
    EXPECT_EQ(norm("/img/.%2E/admin"), "/admin");
    EXPECT_EQ(norm("/img/%2E/a"), "/img/a");
    EXPECT_EQ(norm("/a/b/./c/../d?x=/../y"), "/a/b/d?x=/../y");  // the query is not a path
    EXPECT_EQ(norm("/a/b/.."), "/a/");
    EXPECT_EQ(norm("/a/."), "/a/");
    EXPECT_EQ(norm("/a/.."), "/");
    EXPECT_EQ(norm("/a..b/...c/.d"), "/a..b/...c/.d");  // not dot-segments
    EXPECT_EQ(norm("/plain?q=1"), "/plain?q=1");
}

TEST(CacheRequestSecurity, UnsafePathsRefused) {
    EXPECT_EQ(norm("/../x"), "400");
    EXPECT_EQ(norm("/a/../../x"), "400");
    EXPECT_EQ(norm("/img/..%2fadmin"), "400");
    EXPECT_EQ(norm("/img/..%2Fadmin"), "400");
    EXPECT_EQ(norm("/img/..%5cadmin"), "400");
    EXPECT_EQ(norm("/img/..\\admin"), "400");
    EXPECT_EQ(norm("/img/a%00.png"), "400");
    EXPECT_EQ(norm("/ok?path=%2f"), "/ok?path=%2f");  // in the query it is data
}

TEST(CacheRequestSecurity, JoinedDotSegmentsSeen) {
    EXPECT_TRUE(has_dot_segment("/images/../admin"));
    EXPECT_TRUE(has_dot_segment("/images/%2e%2E/admin"));
    EXPECT_TRUE(has_dot_segment("/a/."));
    EXPECT_FALSE(has_dot_segment("/images/img../admin"));
    EXPECT_FALSE(has_dot_segment("/"));
}

// RFC 9110 §5.5 / RFC 9112 §2.2: a control byte in a value is where a lenient
// origin sees a second header line ("X-A: x\rTransfer-Encoding: chunked").
TEST(CacheRequestSecurity, ControlBytesInValuesRefused) {
    using namespace std::string_literals;
    EXPECT_EQ(refused({{"X-A", "x\rTransfer-Encoding: chunked"}}, "GET"), 400);
    EXPECT_EQ(refused({{"X-A", "x\nTransfer-Encoding: chunked"}}, "GET"), 400);
    EXPECT_EQ(refused({{"X-A", "x\r\nTransfer-Encoding: chunked"}}, "GET"), 400);
    EXPECT_EQ(refused({{"X-A", "x\0y"s}}, "GET"), 400);
    EXPECT_EQ(refused({{"X-A", "x\x01y"}}, "GET"), 400);
    EXPECT_EQ(refused({{"X-A", "x\x0bTransfer-Encoding: chunked"}}, "GET"), 400);  // VT
    EXPECT_EQ(refused({{"X-A", "x\x0cTransfer-Encoding: chunked"}}, "GET"), 400);  // FF
    EXPECT_EQ(refused({{"X-A", "x\x1f"}}, "GET"), 400);
    EXPECT_EQ(refused({{"X-A", "x\x7fy"}}, "GET"), 400);  // DEL
    EXPECT_EQ(refused({{"Host", "x\x01y"}}, "GET"), 400);
    EXPECT_EQ(refused({{"Content-Length", "5"}, {"X-A", "\r"}}), 400);
    // What a value may hold: HTAB, SP, VCHAR and obs-text.
    EXPECT_EQ(refused({{"X-A", "a\tb c~"}}, "GET"), 0);
    EXPECT_EQ(refused({{"X-A", "caf\xc3\xa9"}}, "GET"), 0);
    EXPECT_EQ(refused({{"X-A", ""}}, "GET"), 0);
    EXPECT_TRUE(valid_field_value("a\tb"));
    EXPECT_FALSE(valid_field_value("a\x7f"));
}

// RFC 9112 §3.2: the request target has no whitespace or control bytes
// (evhttp passes a bare CR in it through: "GET /a\rX-B: 1 HTTP/1.1").
TEST(CacheRequestSecurity, ControlBytesInTargetRefused) {
    using namespace std::string_literals;
    for (std::string t : {"/a\rX-B: 1"s, "/a\nb"s, "/a b"s, "/a\tb"s, "/a\0b"s, "/a\x01"s, "/a?q=\x7f"s, "/a?q=x y"s}) {
        EXPECT_EQ(norm(t), "400") << t;
        EXPECT_TRUE(check_target(t)) << t;
        auto r = check_framing({}, "GET", t);
        ASSERT_TRUE(r) << t;
        EXPECT_EQ(r->status, 400);
    }
    EXPECT_EQ(normalise_target("/a\rb").refusal->status, 400);
    EXPECT_FALSE(check_target("/a/b?c=d&e=%20"));
    EXPECT_FALSE(check_target("/caf\xc3\xa9"));
    EXPECT_FALSE(check_framing({}, "GET", "/plain"));
    EXPECT_TRUE(check_framing({{"X-A", "\x01"}}, "GET", "/plain"));
}
