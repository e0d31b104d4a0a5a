// The Pastry codec: every message round-trips; every malformation is a
// sr::DecodeError, never a crash or another exception.
#include "dht/pastry_wire.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>
#include <msgpack.hpp>

#include <random>

using namespace sr;
using namespace sr::pastry;

namespace {

NodeRef node(std::uint64_t hi, std::uint64_t lo, const std::string& addr) { return NodeRef{Id{hi, lo}, addr}; }

std::vector<NodeRef> nodes(int n) {
    std::vector<NodeRef> v;
    for (int i = 0; i < n; ++i)
        v.push_back(node(0x1111111111111111ULL * static_cast<std::uint64_t>(i + 1), static_cast<std::uint64_t>(i),
                         "10.0.0." + std::to_string(i) + ":4100"));
    return v;
}

std::vector<Message> samples() {
    NodeRef from = node(0xfedcba9876543210ULL, 0x0123456789abcdefULL, "[::1]:4100");
    return {
        JoinRequest{from, node(1, 2, "127.0.0.7:4100"), 3, 2, nodes(40)},
        JoinRequest{from, node(1, 2, "j"), 0, 0, {}},
        JoinReply{from, nodes(16), nodes(100)},
        Announce{from, 0xffffffffffffffffULL},
        LeafSetRequest{from},
        LeafSetReply{from, nodes(16)},
        RowRequest{from, 31},
        RowReply{from, 31, nodes(15)},
        Ping{from, 7, true},
        Ping{from, 0, false},
        Pong{from, 7, nodes(3)},
        Pong{from, 8, {}},
        Departed{from},
    };
}

// Packs a message by hand, to build malformed ones.
struct Raw {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk{buf};
    void id(std::size_t len = 16) {
        std::string b(len, '\x01');
        pk.pack_bin(static_cast<std::uint32_t>(len));
        pk.pack_bin_body(b.data(), static_cast<std::uint32_t>(len));
    }
    void ref(std::size_t id_len = 16, const std::string& addr = "a:1") {
        pk.pack_array(2);
        id(id_len);
        pk.pack(addr);
    }
    std::string str() const { return std::string(buf.data(), buf.size()); }
};

void expect_decode_error(const std::string& bytes, const char* what) {
    try {
        (void)decode(bytes);
        ADD_FAILURE() << what << ": decoded without error";
    } catch (const DecodeError&) {
    } catch (const std::exception& e) {
        ADD_FAILURE() << what << ": wrong exception type: " << e.what();
    }
}

}  // namespace

TEST(PastryWire, EveryMessageTypeRoundTrips) {
    std::set<std::size_t> kinds;
    for (const auto& m : samples()) {
        std::string bytes = encode(m);
        EXPECT_LE(bytes.size(), wire::kMaxWireBytes);
        Message back = decode(bytes);
        EXPECT_EQ(back, m) << message_name(m.index());
        kinds.insert(m.index());
    }
    EXPECT_EQ(kinds.size(), kMessageKinds);
}

TEST(PastryWire, LargestJoinReplyFitsAndRoundTrips) {
    NodeRef from = node(1, 1, "x");
    JoinReply big{from, nodes(static_cast<int>(wire::kMaxLeaves)), nodes(32 * 16 + 64)};
    EXPECT_EQ(decode(encode(big)), Message(big));
}

TEST(PastryWire, EveryTruncationIsDecodeError) {
    for (const auto& m : samples()) {
        std::string bytes = encode(m);
        for (std::size_t len = 0; len < bytes.size(); ++len)
            expect_decode_error(bytes.substr(0, len), "truncated");
        expect_decode_error(bytes + '\x00', "trailing byte");
    }
}

TEST(PastryWire, WrongShapesAreDecodeErrors) {
    {
        Raw r;  // a 15-byte id
        r.pk.pack_array(3);
        r.pk.pack(1);
        r.pk.pack(3);
        r.ref(15);
        expect_decode_error(r.str(), "15-byte id");
    }
    {
        Raw r;  // a 17-byte id
        r.pk.pack_array(3);
        r.pk.pack(1);
        r.pk.pack(3);
        r.ref(17);
        expect_decode_error(r.str(), "17-byte id");
    }
    {
        Raw r;  // id as str
        r.pk.pack_array(3);
        r.pk.pack(1);
        r.pk.pack(3);
        r.pk.pack_array(2);
        r.pk.pack(std::string(16, 'x'));
        r.pk.pack("a:1");
        expect_decode_error(r.str(), "id as str");
    }
    {
        Raw r;  // empty and over-long addresses
        r.pk.pack_array(3);
        r.pk.pack(1);
        r.pk.pack(3);
        r.ref(16, "");
        expect_decode_error(r.str(), "empty addr");
        Raw r2;
        r2.pk.pack_array(3);
        r2.pk.pack(1);
        r2.pk.pack(3);
        r2.ref(16, std::string(256, 'a'));
        expect_decode_error(r2.str(), "long addr");
    }
    {
        Raw r;  // unknown version, unknown kind, kind as str
        r.pk.pack_array(3);
        r.pk.pack(2);
        r.pk.pack(3);
        r.ref();
        expect_decode_error(r.str(), "version 2");
        Raw r2;
        r2.pk.pack_array(3);
        r2.pk.pack(1);
        r2.pk.pack(kMessageKinds);
        r2.ref();
        expect_decode_error(r2.str(), "unknown kind");
        Raw r3;
        r3.pk.pack_array(3);
        r3.pk.pack(1);
        r3.pk.pack("ping");
        r3.ref();
        expect_decode_error(r3.str(), "kind as str");
    }
    {
        Raw r;  // a Ping without its fields; a Ping with want_leaves as int; negative nonce
        r.pk.pack_array(3);
        r.pk.pack(1);
        r.pk.pack(7);
        r.ref();
        expect_decode_error(r.str(), "missing fields");
        Raw r2;
        r2.pk.pack_array(5);
        r2.pk.pack(1);
        r2.pk.pack(7);
        r2.ref();
        r2.pk.pack(1);
        r2.pk.pack(1);
        expect_decode_error(r2.str(), "bool as int");
        Raw r3;
        r3.pk.pack_array(5);
        r3.pk.pack(1);
        r3.pk.pack(7);
        r3.ref();
        r3.pk.pack(-1);
        r3.pk.pack(true);
        expect_decode_error(r3.str(), "negative nonce");
    }
    {
        Raw r;  // row out of range
        r.pk.pack_array(4);
        r.pk.pack(1);
        r.pk.pack(5);
        r.ref();
        r.pk.pack(128);
        expect_decode_error(r.str(), "row 128");
    }
    {
        Raw r;  // oversized leaf list (129 > kMaxLeaves)
        r.pk.pack_array(4);
        r.pk.pack(1);
        r.pk.pack(4);
        r.ref();
        r.pk.pack_array(129);
        for (int i = 0; i < 129; ++i) r.ref();
        expect_decode_error(r.str(), "129 leaves");
    }
    {
        Raw r;  // an array header claiming 4 billion entries, with no data
        r.pk.pack_array(4);
        r.pk.pack(1);
        r.pk.pack(4);
        r.ref();
        r.pk.pack_array(0xffffffffU);
        expect_decode_error(r.str(), "huge array header");
    }
    {
        Raw r;  // a bin header claiming 4 GiB
        r.pk.pack_array(3);
        r.pk.pack(1);
        r.pk.pack(3);
        r.pk.pack_array(2);
        r.pk.pack_bin(0xffffffffU);
        expect_decode_error(r.str(), "huge bin header");
    }
    {
        Raw r;  // entries list over kMaxEntries
        r.pk.pack_array(5);
        r.pk.pack(1);
        r.pk.pack(1);
        r.ref();
        r.pk.pack_array(0);
        r.pk.pack_array(static_cast<std::uint32_t>(wire::kMaxEntries + 1));
        for (std::size_t i = 0; i < wire::kMaxEntries + 1; ++i) r.ref();
        expect_decode_error(r.str(), "too many entries");
    }
    {
        Raw r;  // maps, nil, deep nesting, a bare integer
        r.pk.pack_map(1);
        r.pk.pack(1);
        r.pk.pack(2);
        expect_decode_error(r.str(), "map");
        Raw r2;
        r2.pk.pack_nil();
        expect_decode_error(r2.str(), "nil");
        Raw r3;
        for (int i = 0; i < 100; ++i) r3.pk.pack_array(1);
        r3.pk.pack(1);
        expect_decode_error(r3.str(), "deep nesting");
        expect_decode_error("", "empty");
        expect_decode_error(std::string(wire::kMaxWireBytes + 1, '\x90'), "too large");
    }
    {
        Raw r;  // node as a 3-array
        r.pk.pack_array(3);
        r.pk.pack(1);
        r.pk.pack(3);
        r.pk.pack_array(3);
        r.id();
        r.pk.pack("a");
        r.pk.pack("b");
        expect_decode_error(r.str(), "3-element node");
    }
}

TEST(PastryWire, TrailingFieldsFromNewerPeersIgnored) {
    Raw r;
    r.pk.pack_array(4);
    r.pk.pack(1);
    r.pk.pack(3);
    r.ref();
    r.pk.pack("future");
    Message m = decode(r.str());
    EXPECT_TRUE(std::holds_alternative<LeafSetRequest>(m));
}

TEST(PastryWire, RandomGarbageAndMutationsNeverCrash) {
    std::mt19937_64 rng(42);
    auto all = samples();
    int decoded = 0, rejected = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string bytes;
        if (i % 2 == 0) {
            bytes.resize(rng() % 64);
            for (auto& c : bytes) c = static_cast<char>(rng());
        } else {
            bytes = encode(all[rng() % all.size()]);
            int flips = 1 + static_cast<int>(rng() % 4);
            for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<char>(rng());
        }
        try {
            Message m = decode(bytes);
            // Whatever decodes must re-encode to something that decodes equal.
            EXPECT_EQ(decode(encode(m)), m);
            ++decoded;
        } catch (const DecodeError&) {
            ++rejected;
        }
    }
    EXPECT_GT(rejected, 0);
    EXPECT_GT(decoded, 0);
}
