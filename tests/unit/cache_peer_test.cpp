// Peer authentication: the X-SR-Peer mark and the signed DHT records (peer.hpp).
#include "cache/peer.hpp"

#include <gtest/gtest.h>

using namespace sr;
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

// Issue 9 item 6: without a key, a client's "X-SR-Peer: 1" must not read stored copies as a peer.
TEST(CachePeerMark, WithoutKeyNoMarkIsTrusted) {
    EXPECT_EQ(peer_mark(std::nullopt, "http://a/", 5), "1");
    EXPECT_FALSE(peer_mark_valid(std::nullopt, "1", "http://a/", 5));
    EXPECT_FALSE(peer_mark_valid(std::nullopt, peer_mark(std::string("0123456789abcdef"), "http://a/", 5), "http://a/", 5));
}

TEST(CachePeerRecord, SignedRecordsVerifyAndForgeriesDoNot) {
    const std::string key = "0123456789abcdef-key";
    Value ptr{{"url", "http://a/x"}, {"endpoint", "10.0.0.1:8080"}, {"digest", std::string(64, 'a')},
              {"size", 10}, {"expires", 2000}};
    sign_record(key, "obj", ptr);
    EXPECT_TRUE(record_authentic(key, "obj", ptr));
    EXPECT_FALSE(record_authentic(key, "svc", ptr));                   // another namespace
    EXPECT_FALSE(record_authentic("another-key-0123456", "obj", ptr));  // another deployment
    Value moved = ptr;
    moved["endpoint"] = "192.0.2.66:80";                                // the attack: same mac, other endpoint
    EXPECT_FALSE(record_authentic(key, "obj", moved));
    Value bare = ptr;
    bare.erase("mac");
    EXPECT_FALSE(record_authentic(key, "obj", bare));
    // What the DHT gives back (msgpack → Value) verifies as what was signed.
    msgpack::sbuffer buf;
    Packer pk(buf);
    pack_value(pk, ptr);
    auto handle = msgpack::unpack(buf.data(), buf.size());
    EXPECT_TRUE(record_authentic(key, "obj", to_value(handle.get())));
}
