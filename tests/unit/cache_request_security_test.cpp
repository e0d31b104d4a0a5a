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
std::string norm(const char* t) {
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
