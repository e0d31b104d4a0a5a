// Peer authentication: the X-SR-Peer mark and the signed DHT records (peer.hpp).
#include "cache/coop.hpp"
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

// A holder's answer: what an on-path attacker or a sloppy proxy changes in
// the header fields is caught; fields it adds are not kept.
TEST(CachePeerResponse, SignedFieldsVerifyAndAlteredOnesDoNot) {
    const std::string key = "0123456789abcdef-key";
    const std::string url = "http://a/x", mark = "t=1000,mac=" + std::string(64, 'b');
    Headers sent{{"Cache-Control", "max-age=60"}, {"Content-Type", "text/plain"}, {"Vary", "Accept-Encoding"},
                 {"Set-Cookie", "a=1"}, {"Set-Cookie", "b=2"}, {"Age", "3"}, {"X-Cache", "PEER-HIT"},
                 {"Content-Length", "10"}};
    sign_peer_response(key, mark, url, 200, sent);
    ASSERT_EQ(sent.back().first, "X-SR-Peer-Auth");
    // As received: evhttp's own fields appended, names in another case.
    Headers received = sent;
    received.emplace_back("Date", "Sat, 05 Dec 2026 19:00:00 GMT");
    received.emplace_back("Connection", "keep-alive");
    received[0].first = "cache-control";
    auto fields = authentic_peer_response(key, mark, url, 200, received);
    ASSERT_TRUE(fields);
    EXPECT_EQ(fields->size(), 7u);  // the signed ones, both Set-Cookie lines, not Date, not the framing
    EXPECT_FALSE(has_header(*fields, "date"));
    EXPECT_FALSE(has_header(*fields, "content-length"));

    Headers fresher = received;
    fresher[0].second = "max-age=31536000";  // the attack: a longer life for the copy
    EXPECT_FALSE(authentic_peer_response(key, mark, url, 200, fresher));
    Headers dropped = received;
    dropped.erase(dropped.begin() + 4);  // a Set-Cookie line removed
    EXPECT_FALSE(authentic_peer_response(key, mark, url, 200, dropped));
    Headers added = received;
    added.insert(added.begin(), {"Vary", "Cookie"});  // a line of a signed field added
    EXPECT_FALSE(authentic_peer_response(key, mark, url, 200, added));
    EXPECT_FALSE(authentic_peer_response(key, "t=1001,mac=" + std::string(64, 'b'), url, 200, received));  // replayed
    EXPECT_FALSE(authentic_peer_response(key, mark, url + "y", 200, received));
    EXPECT_FALSE(authentic_peer_response(key, mark, url, 206, received));
    EXPECT_FALSE(authentic_peer_response("another-key-0123456", mark, url, 200, received));
    Headers unsigned_answer = received;
    remove_header(unsigned_answer, "x-sr-peer-auth");
    EXPECT_FALSE(authentic_peer_response(key, mark, url, 200, unsigned_answer));
}

TEST(CachePeerRecord, PointerFieldsOfTheWrongTypeOrTooLargeAreSkipped) {
    const std::string url = "http://a/x";
    Value ptr{{"url", url}, {"endpoint", "10.0.0.1:8080"}, {"digest", std::string(64, 'a')},
              {"size", 10}, {"expires", 2000}};
    auto p = read_pointer(ptr, url, 1000, 100);
    ASSERT_TRUE(p);
    EXPECT_EQ(p->endpoint, "10.0.0.1:8080");
    EXPECT_EQ(p->body.size, 10u);
    EXPECT_FALSE(read_pointer(ptr, url, 2000, 100));        // expired
    EXPECT_FALSE(read_pointer(ptr, url + "y", 1000, 100));  // another URL's
    EXPECT_FALSE(read_pointer(ptr, url, 1000, 9));          // larger than the store takes
    for (const char* field : {"url", "endpoint", "digest", "size", "expires"}) {
        Value wrong = ptr;
        wrong[field] = Value::array();  // would throw in value(); must not close the link to sr-dhtd
        EXPECT_FALSE(read_pointer(wrong, url, 1000, 100)) << field;
        wrong.erase(field);
        EXPECT_FALSE(read_pointer(wrong, url, 1000, 100)) << field;
    }
    Value named = ptr;
    named["endpoint"] = "cache.example.net:8080";  // by name: would need a blocking lookup
    EXPECT_FALSE(read_pointer(named, url, 1000, 100));
}

TEST(CachePeerRecord, RemovalSecretsDifferByName) {
    const std::string secret(16, 's');
    EXPECT_EQ(removal_secret(secret, "obj", "http://a/x").size(), 16u);
    EXPECT_EQ(removal_secret(secret, "obj", "http://a/x"), removal_secret(secret, "obj", "http://a/x"));
    EXPECT_NE(removal_secret(secret, "obj", "http://a/x"), removal_secret(secret, "obj", "http://a/y"));
    EXPECT_NE(removal_secret(secret, "obj", "web"), removal_secret(secret, "svc", "web"));
}
