// The X-SR-Peer mark: signed with the peer key, bound to the URL and a time window.
#include "cache/peer.hpp"

#include <gtest/gtest.h>

using namespace sr::cache;

TEST(CachePeerMark, SignedMarksCheckOut) {
    std::optional<std::string> key = std::string("0123456789abcdef-peer-key");
    const std::string url = "http://cdn.example.net/a";
    std::string mark = peer_mark(key, url, 1000);
    EXPECT_EQ(mark.rfind("t=1000,mac=", 0), 0u);
    EXPECT_TRUE(peer_mark_valid(key, mark, url, 1000));
    EXPECT_TRUE(peer_mark_valid(key, mark, url, 1000 + kPeerMarkWindow));
    EXPECT_FALSE(peer_mark_valid(key, mark, url, 1001 + kPeerMarkWindow));   // too old
    EXPECT_FALSE(peer_mark_valid(key, mark, url + "x", 1000));               // another URL
    EXPECT_FALSE(peer_mark_valid(std::string("another-key-0123456"), mark, url, 1000));
    EXPECT_FALSE(peer_mark_valid(key, "1", url, 1000));                      // the unsigned mark
    EXPECT_FALSE(peer_mark_valid(key, "t=1000x,mac=00", url, 1000));
    EXPECT_FALSE(peer_mark_valid(key, "t=1000,mac=" + std::string(64, '0'), url, 1000));
}

TEST(CachePeerMark, WithoutKeyTheMarkIsTrusted) {
    EXPECT_EQ(peer_mark(std::nullopt, "http://a/", 5), "1");
    EXPECT_TRUE(peer_mark_valid(std::nullopt, "1", "http://a/", 5));
}
