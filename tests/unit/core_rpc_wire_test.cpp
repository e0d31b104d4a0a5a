// lib/core/rpc_wire: msgpack-RPC messages and the streaming FrameReader.
#include "core/error.hpp"
#include "core/rpc_wire.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace {

using sr::DecodeError;
using sr::Value;
using namespace sr::rpc;

// Every complete object the reader yields for these bytes, fed in one go.
std::vector<Message> read_all(FrameReader& r, const std::string& bytes) {
    r.feed(bytes.data(), bytes.size());
    std::vector<Message> out;
    msgpack::object_handle oh;
    while (r.next(oh)) out.push_back(decode_message(oh.get()));
    return out;
}

// Raw msgpack bytes built with a packer, for shapes the encoders never make.
std::string pack(const std::function<void(sr::Packer&)>& fn) {
    msgpack::sbuffer buf;
    sr::Packer pk(buf);
    fn(pk);
    return std::string(buf.data(), buf.size());
}

void pack_str(sr::Packer& pk, std::string_view s) {
    pk.pack_str(static_cast<std::uint32_t>(s.size()));
    pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

// decode_message over one packed object; returns the msgid it reported.
std::optional<std::uint32_t> expect_decode_error(const std::string& bytes) {
    msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size());
    std::optional<std::uint32_t> msgid;
    EXPECT_THROW(decode_message(oh.get(), &msgid), DecodeError);
    return msgid;
}

Message decode_one(const std::string& bytes) {
    msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size());
    return decode_message(oh.get());
}

TEST(CoreRpcWire, RequestRoundTrip) {
    Value params{{"key", "abc"}, {"ttl", 60}, {"value", sr::bytes_value(std::string("\x00\xff", 2))}};
    std::string bytes = encode_request(7, "dht.get", params);
    Message m = decode_one(bytes);
    EXPECT_EQ(m.kind, Kind::request);
    EXPECT_EQ(m.msgid, 7u);
    EXPECT_EQ(m.method, "dht.get");
    EXPECT_EQ(m.params, params);
    ASSERT_TRUE(m.params["value"].is_binary());
    EXPECT_EQ(sr::value_bytes(m.params["value"]), std::string("\x00\xff", 2));
}

TEST(CoreRpcWire, RequestWireShape) {
    // [0, 1, "a.b", [{}]] in msgpack: fixarray(4), 0, uint32 1, fixstr "a.b", fixarray(1), fixmap(0)
    std::string bytes = encode_request(1, "a.b", Value::object());
    msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size());
    const auto& o = oh.get();
    ASSERT_EQ(o.type, msgpack::type::ARRAY);
    ASSERT_EQ(o.via.array.size, 4u);
    EXPECT_EQ(o.via.array.ptr[0].as<int>(), 0);
    EXPECT_EQ(o.via.array.ptr[2].type, msgpack::type::STR);
    ASSERT_EQ(o.via.array.ptr[3].type, msgpack::type::ARRAY);
    ASSERT_EQ(o.via.array.ptr[3].via.array.size, 1u);
    EXPECT_EQ(o.via.array.ptr[3].via.array.ptr[0].type, msgpack::type::MAP);
}

TEST(CoreRpcWire, NullParamsBecomeEmptyMap) {
    Message m = decode_one(encode_request(3, "sys.ping", nullptr));
    EXPECT_TRUE(m.params.is_object());
    EXPECT_TRUE(m.params.empty());
}

TEST(CoreRpcWire, MaximumMsgid) {
    Message m = decode_one(encode_request(0xffffffffu, "x.y", Value::object()));
    EXPECT_EQ(m.msgid, 0xffffffffu);
}

TEST(CoreRpcWire, ResponseRoundTrip) {
    Message ok = decode_one(encode_response(9, nullptr, Value{{"pong", true}}));
    EXPECT_EQ(ok.kind, Kind::response);
    EXPECT_EQ(ok.msgid, 9u);
    EXPECT_TRUE(ok.error.is_null());
    EXPECT_EQ(ok.result, (Value{{"pong", true}}));

    Message err = decode_one(encode_response(10, error_value("not_found", "no such key"), nullptr));
    EXPECT_EQ(err.msgid, 10u);
    EXPECT_EQ(err.error, (Value{{"code", "not_found"}, {"message", "no such key"}}));
    EXPECT_TRUE(err.result.is_null());

    // Results need not be maps.
    Message arr = decode_one(encode_response(11, nullptr, Value::array({1, "two", 3.5})));
    EXPECT_EQ(arr.result, Value::array({1, "two", 3.5}));
}

TEST(CoreRpcWire, NotificationRoundTrip) {
    Value params{{"key", "k"}, {"values", Value::array({"a", "b"})}};
    Message m = decode_one(encode_notification("dht.value", params));
    EXPECT_EQ(m.kind, Kind::notification);
    EXPECT_EQ(m.method, "dht.value");
    EXPECT_EQ(m.params, params);
}

std::string three_frames() {
    return encode_request(1, "sys.ping", Value::object()) +
           encode_response(2, nullptr, Value{{"big", std::string(300, 'x')}}) +
           encode_notification("ev.note", Value{{"n", -5}});
}

void check_three(const std::vector<Message>& got) {
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].kind, Kind::request);
    EXPECT_EQ(got[0].method, "sys.ping");
    EXPECT_EQ(got[1].kind, Kind::response);
    EXPECT_EQ(got[1].result["big"], std::string(300, 'x'));
    EXPECT_EQ(got[2].kind, Kind::notification);
    EXPECT_EQ(got[2].params["n"], -5);
}

TEST(CoreRpcWire, SeveralFramesInOneFeed) {
    FrameReader r(1 << 20);
    check_three(read_all(r, three_frames()));
    EXPECT_EQ(r.pending(), 0u);
}

TEST(CoreRpcWire, FrameSplitAtEveryByteBoundary) {
    std::string all = three_frames();
    for (std::size_t cut = 0; cut <= all.size(); ++cut) {
        SCOPED_TRACE("cut at " + std::to_string(cut));
        FrameReader r(1 << 20);
        std::vector<Message> got = read_all(r, all.substr(0, cut));
        std::vector<Message> rest = read_all(r, all.substr(cut));
        got.insert(got.end(), rest.begin(), rest.end());
        check_three(got);
        EXPECT_EQ(r.pending(), 0u);
    }
}

TEST(CoreRpcWire, FrameFedOneByteAtATime) {
    std::string all = three_frames();
    FrameReader r(1 << 20);
    std::vector<Message> got;
    for (char c : all) {
        auto some = read_all(r, std::string(1, c));
        got.insert(got.end(), some.begin(), some.end());
    }
    check_three(got);
}

TEST(CoreRpcWire, IncompleteFrameIsPending) {
    std::string req = encode_request(5, "dht.get", Value{{"key", "abc"}});
    FrameReader r(1 << 20);
    EXPECT_TRUE(read_all(r, req.substr(0, req.size() - 1)).empty());
    EXPECT_GT(r.pending(), 0u);
    auto got = read_all(r, req.substr(req.size() - 1));
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].msgid, 5u);
}

TEST(CoreRpcWire, OversizedPartialFrameIsRefused) {
    // An array of many small strings: no single element is over the limit,
    // but the pending object is.
    std::string big = pack([](sr::Packer& pk) {
        pk.pack_array(100);
        for (int i = 0; i < 100; ++i) pack_str(pk, "0123456789");
    });
    FrameReader r(256);
    std::string part = big.substr(0, 600);
    r.feed(part.data(), part.size());
    msgpack::object_handle oh;
    try {
        r.next(oh);
        FAIL() << "no DecodeError for a 600-byte pending frame with a 256-byte limit";
    } catch (const DecodeError& e) {
        EXPECT_NE(std::string(e.what()).find("larger"), std::string::npos) << e.what();
    }
}

TEST(CoreRpcWire, OversizedBinIsRefusedBeforeItCompletes) {
    // A bin announcing 1 MiB: refused once more than the limit has arrived,
    // without waiting for the rest.
    std::string head = pack([](sr::Packer& pk) { pk.pack_bin(1 << 20); });
    FrameReader r(1024);
    msgpack::object_handle oh;
    r.feed(head.data(), head.size());
    std::string body(512, 'x');
    r.feed(body.data(), body.size());
    EXPECT_FALSE(r.next(oh));  // 517 bytes pending: still within the limit
    r.feed(body.data(), body.size());
    EXPECT_THROW(r.next(oh), DecodeError);
}

TEST(CoreRpcWire, OversizedFrameFedInSmallPiecesIsRefused) {
    // The streaming parser consumes a partial object as it goes; the limit
    // must count those bytes too, not just the unparsed tail.
    std::string big = pack([](sr::Packer& pk) {
        pk.pack_array(1000);  // within the element limit, each element 2 bytes
        for (int i = 0; i < 1000; ++i) pk.pack_int(200);
    });
    FrameReader r(1024);
    msgpack::object_handle oh;
    std::size_t fed = 0;
    bool refused = false;
    while (fed < big.size() && !refused) {
        std::size_t n = std::min<std::size_t>(7, big.size() - fed);
        r.feed(big.data() + fed, n);
        fed += n;
        try {
            EXPECT_FALSE(r.next(oh));
        } catch (const DecodeError&) {
            refused = true;
        }
    }
    EXPECT_TRUE(refused);
    EXPECT_LE(fed, 1024u + 7u);
}

TEST(CoreRpcWire, FrameWithinLimitIsAccepted) {
    std::string req = encode_request(1, "x.y", Value{{"v", std::string(200, 'a')}});
    ASSERT_LT(req.size(), 256u);
    FrameReader r(256);
    EXPECT_EQ(read_all(r, req).size(), 1u);
}

TEST(CoreRpcWire, GarbageIsRefused) {
    for (std::string junk : {std::string("\xc1"), std::string("\xc1\xc1\xc1\xc1"), std::string("\x91\xc1", 2)}) {
        FrameReader r(1 << 20);
        r.feed(junk.data(), junk.size());
        msgpack::object_handle oh;
        EXPECT_THROW(r.next(oh), DecodeError) << "junk of " << junk.size() << " bytes";
    }
}

TEST(CoreRpcWire, DeepNestingIsRefused) {
    std::string deep = pack([](sr::Packer& pk) {
        for (int i = 0; i < 200; ++i) pk.pack_array(1);
        pk.pack_nil();
    });
    FrameReader r(1 << 20);
    r.feed(deep.data(), deep.size());
    msgpack::object_handle oh;
    EXPECT_THROW(r.next(oh), DecodeError);
}

TEST(CoreRpcWire, ValidObjectsOfWrongShapeAreReadButNotDecoded) {
    // The frame layer accepts any msgpack; decode_message judges the shape.
    std::string bytes = pack([](sr::Packer& pk) { pk.pack_int(42); });
    FrameReader r(1 << 20);
    r.feed(bytes.data(), bytes.size());
    msgpack::object_handle oh;
    ASSERT_TRUE(r.next(oh));
    EXPECT_THROW(decode_message(oh.get()), DecodeError);
}

TEST(CoreRpcWire, NotAnArray) {
    EXPECT_FALSE(expect_decode_error(pack([](sr::Packer& pk) { pk.pack_int(1); })));
    EXPECT_FALSE(expect_decode_error(pack([](sr::Packer& pk) { pk.pack_map(0); })));
    EXPECT_FALSE(expect_decode_error(pack([](sr::Packer& pk) { pack_str(pk, "hello"); })));
    EXPECT_FALSE(expect_decode_error(pack([](sr::Packer& pk) { pk.pack_array(0); })));
}

TEST(CoreRpcWire, UnknownMessageType) {
    EXPECT_FALSE(expect_decode_error(pack([](sr::Packer& pk) {
        pk.pack_array(4);
        pk.pack_int(3);
        pk.pack_int(1);
        pack_str(pk, "a.b");
        pk.pack_array(0);
    })));
    EXPECT_FALSE(expect_decode_error(pack([](sr::Packer& pk) {
        pk.pack_array(4);
        pk.pack_int(-1);
        pk.pack_int(1);
        pack_str(pk, "a.b");
        pk.pack_array(0);
    })));
    EXPECT_FALSE(expect_decode_error(pack([](sr::Packer& pk) {
        pk.pack_array(4);
        pack_str(pk, "0");
        pk.pack_int(1);
        pack_str(pk, "a.b");
        pk.pack_array(0);
    })));
}

TEST(CoreRpcWire, RequestWithThreeElements) {
    expect_decode_error(pack([](sr::Packer& pk) {
        pk.pack_array(3);
        pk.pack_int(0);
        pk.pack_int(1);
        pack_str(pk, "a.b");
    }));
}

TEST(CoreRpcWire, RequestWithFiveElements) {
    expect_decode_error(pack([](sr::Packer& pk) {
        pk.pack_array(5);
        pk.pack_int(0);
        pk.pack_int(1);
        pack_str(pk, "a.b");
        pk.pack_array(0);
        pk.pack_nil();
    }));
}

TEST(CoreRpcWire, BadMsgid) {
    auto with_msgid = [](const std::function<void(sr::Packer&)>& id) {
        return pack([&](sr::Packer& pk) {
            pk.pack_array(4);
            pk.pack_int(0);
            id(pk);
            pack_str(pk, "a.b");
            pk.pack_array(0);
        });
    };
    EXPECT_FALSE(expect_decode_error(with_msgid([](sr::Packer& pk) { pk.pack_int(-1); })));
    EXPECT_FALSE(expect_decode_error(with_msgid([](sr::Packer& pk) { pk.pack_uint64(1ULL << 32); })));
    EXPECT_FALSE(expect_decode_error(with_msgid([](sr::Packer& pk) { pack_str(pk, "7"); })));
    EXPECT_FALSE(expect_decode_error(with_msgid([](sr::Packer& pk) { pk.pack_double(1.5); })));
    EXPECT_FALSE(expect_decode_error(with_msgid([](sr::Packer& pk) { pk.pack_nil(); })));
}

TEST(CoreRpcWire, MethodNotAStringReportsMsgid) {
    auto msgid = expect_decode_error(pack([](sr::Packer& pk) {
        pk.pack_array(4);
        pk.pack_int(0);
        pk.pack_int(42);
        pk.pack_int(17);
        pk.pack_array(0);
    }));
    ASSERT_TRUE(msgid);
    EXPECT_EQ(*msgid, 42u);
}

std::string request_with_params(std::uint32_t msgid, const std::function<void(sr::Packer&)>& params) {
    return pack([&](sr::Packer& pk) {
        pk.pack_array(4);
        pk.pack_int(0);
        pk.pack_uint32(msgid);
        pack_str(pk, "a.b");
        params(pk);
    });
}

TEST(CoreRpcWire, ParamsNotArrayOrMapReportsMsgid) {
    auto id = expect_decode_error(request_with_params(5, [](sr::Packer& pk) { pk.pack_int(3); }));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, 5u);
    id = expect_decode_error(request_with_params(6, [](sr::Packer& pk) { pack_str(pk, "x"); }));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, 6u);
    id = expect_decode_error(request_with_params(7, [](sr::Packer& pk) { pk.pack_nil(); }));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, 7u);
}

TEST(CoreRpcWire, ParamsArrayOfWrongShapeReportsMsgid) {
    // [1]: the element is not a map
    auto id = expect_decode_error(request_with_params(8, [](sr::Packer& pk) {
        pk.pack_array(1);
        pk.pack_int(1);
    }));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, 8u);
    // [{}, {}]: two elements
    id = expect_decode_error(request_with_params(9, [](sr::Packer& pk) {
        pk.pack_array(2);
        pk.pack_map(0);
        pk.pack_map(0);
    }));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, 9u);
    // [{1: 2}]: a map with a non-string key
    id = expect_decode_error(request_with_params(10, [](sr::Packer& pk) {
        pk.pack_array(1);
        pk.pack_map(1);
        pk.pack_int(1);
        pk.pack_int(2);
    }));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, 10u);
}

TEST(CoreRpcWire, ParamsEmptyArrayOrBareMapAccepted) {
    Message empty = decode_one(request_with_params(1, [](sr::Packer& pk) { pk.pack_array(0); }));
    EXPECT_TRUE(empty.params.is_object());
    EXPECT_TRUE(empty.params.empty());
    Message bare = decode_one(request_with_params(2, [](sr::Packer& pk) {
        pk.pack_map(1);
        pack_str(pk, "k");
        pk.pack_int(1);
    }));
    EXPECT_EQ(bare.params, (Value{{"k", 1}}));
}

TEST(CoreRpcWire, ExtInParamsIsRefused) {
    auto id = expect_decode_error(request_with_params(11, [](sr::Packer& pk) {
        pk.pack_array(1);
        pk.pack_map(1);
        pack_str(pk, "k");
        pk.pack_ext(1, 5);
        pk.pack_ext_body("a", 1);
    }));
    ASSERT_TRUE(id);
    EXPECT_EQ(*id, 11u);
}

TEST(CoreRpcWire, BadResponseShapes) {
    // three elements
    expect_decode_error(pack([](sr::Packer& pk) {
        pk.pack_array(3);
        pk.pack_int(1);
        pk.pack_int(1);
        pk.pack_nil();
    }));
    // negative msgid
    expect_decode_error(pack([](sr::Packer& pk) {
        pk.pack_array(4);
        pk.pack_int(1);
        pk.pack_int(-4);
        pk.pack_nil();
        pk.pack_nil();
    }));
    // result with a non-string map key
    expect_decode_error(pack([](sr::Packer& pk) {
        pk.pack_array(4);
        pk.pack_int(1);
        pk.pack_int(4);
        pk.pack_nil();
        pk.pack_map(1);
        pk.pack_nil();
        pk.pack_nil();
    }));
}

TEST(CoreRpcWire, BadNotificationShapes) {
    // four elements
    expect_decode_error(pack([](sr::Packer& pk) {
        pk.pack_array(4);
        pk.pack_int(2);
        pack_str(pk, "a.b");
        pk.pack_array(0);
        pk.pack_nil();
    }));
    // method not a string
    expect_decode_error(pack([](sr::Packer& pk) {
        pk.pack_array(3);
        pk.pack_int(2);
        pk.pack_int(2);
        pk.pack_array(0);
    }));
    // params not [] or [map]
    expect_decode_error(pack([](sr::Packer& pk) {
        pk.pack_array(3);
        pk.pack_int(2);
        pack_str(pk, "a.b");
        pk.pack_true();
    }));
}

TEST(CoreRpcWire, ReaderGoesOnAfterAShapeError) {
    // A well-formed msgpack object of the wrong shape does not desynchronise the stream.
    std::string bytes = pack([](sr::Packer& pk) { pk.pack_array(1); pk.pack_int(0); }) +
                        encode_request(12, "sys.ping", Value::object());
    FrameReader r(1 << 20);
    r.feed(bytes.data(), bytes.size());
    msgpack::object_handle oh;
    ASSERT_TRUE(r.next(oh));
    EXPECT_THROW(decode_message(oh.get()), DecodeError);
    ASSERT_TRUE(r.next(oh));
    EXPECT_EQ(decode_message(oh.get()).msgid, 12u);
}

}  // namespace
