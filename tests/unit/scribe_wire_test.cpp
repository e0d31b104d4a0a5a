// Scribe's overlay messages: every type round-trips; every decoder refuses
// truncated, oversized and wrongly typed input with DecodeError only.
#include "core/error.hpp"
#include "core/value.hpp"
#include "event/scribe_wire.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

using namespace sr;
using namespace sr::event;
using namespace sr::event::wire;

namespace {

const NodeHandle kNode{Id::hash("node", "a"), "127.0.0.1:4000"};

std::vector<ScribeMessage> one_of_each() {
    SyncEntry e{7, 1'700'000'000'000'000, Id::hash("node", "p"), 99, std::string("x\0y", 3)};
    return {
        Join{"news", kNode},
        JoinAck{"news", 12},
        JoinAck{"news", std::nullopt},
        Leave{"news"},
        Publish{"news", kNode, 5, "hello", true},
        PublishAck{"news", 5, 13},
        PublishNack{"news", 5, "over_quota", "slow down"},
        Data{"news", Item{13, 1'700'000'000'000'000, std::string(1000, 'd')}},
        Heartbeat{{{"news", 13}, {"sport", 0}, {"weather", std::nullopt}}},
        Refresh{{"news", "sport"}},
        Reject{{"news"}},
        Fetch{"news", kNode, 77, 3, 10, true},
        FetchReply{"news", 77, 13, std::pair<std::uint64_t, std::uint64_t>{3, 5}, {Item{6, 1, "a"}, Item{7, 2, "b"}},
                   Item{4, 0, "r"}},
        FetchReply{"news", 78, 0, std::nullopt, {}, std::nullopt},
        RootSync{"news", 9, {e, SyncEntry{8, 2, Id{}, 0, ""}}, e},
        RootSyncAck{"news", 7, 8},
        RootSyncAck{"news", 0, 0},
    };
}

// Packs an arbitrary msgpack array for the refusal tests.
template <typename F>
std::string packed(F&& f) {
    msgpack::sbuffer buf;
    Packer pk(buf);
    f(pk);
    return std::string(buf.data(), buf.size());
}

void expect_refused(const std::string& bytes) {
    EXPECT_THROW(decode(bytes), DecodeError);
}

void pack_node(Packer& pk, const std::string& addr) {
    pk.pack_array(2);
    pk.pack_bin(16);
    pk.pack_bin_body("0123456789abcdef", 16);
    pk.pack_str(static_cast<std::uint32_t>(addr.size()));
    pk.pack_str_body(addr.data(), static_cast<std::uint32_t>(addr.size()));
}
void pack_s(Packer& pk, const std::string& s) {
    pk.pack_str(static_cast<std::uint32_t>(s.size()));
    pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

}  // namespace

TEST(ScribeWire, EveryMessageRoundTrips) {
    for (const auto& m : one_of_each()) {
        auto bytes = encode(m);
        auto back = decode(bytes);
        EXPECT_EQ(back.index(), m.index());
        EXPECT_TRUE(back == m) << "type index " << m.index();
        EXPECT_EQ(encode(back), bytes);
    }
}

TEST(ScribeWire, EveryTruncationIsRefused) {
    for (const auto& m : one_of_each()) {
        auto bytes = encode(m);
        for (std::size_t n = 0; n < bytes.size(); ++n) EXPECT_THROW(decode(bytes.substr(0, n)), DecodeError);
        EXPECT_THROW(decode(bytes + '\0'), DecodeError) << "trailing byte, type index " << m.index();
    }
}

TEST(ScribeWire, WrongFieldTypesAreRefused) {
    // Each message with one field replaced by a value of another type: every
    // field of every type is checked.
    for (const auto& m : one_of_each()) {
        auto bytes = encode(m);
        msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size());
        const auto& arr = oh.get().via.array;
        for (std::uint32_t field = 0; field < arr.size; ++field) {
            for (int kind = 0; kind < 3; ++kind) {
                auto bad = packed([&](Packer& pk) {
                    pk.pack_array(arr.size);
                    for (std::uint32_t i = 0; i < arr.size; ++i) {
                        if (i != field) {
                            pk.pack(arr.ptr[i]);
                            continue;
                        }
                        // Something the field is not: a map, a negative number, a float.
                        if (kind == 0) pk.pack_map(0);
                        else if (kind == 1) pk.pack_int64(-1);
                        else pk.pack_double(1.5);
                    }
                });
                EXPECT_THROW(decode(bad), DecodeError) << "type index " << m.index() << " field " << field;
            }
        }
        // One element more or fewer than the type has.
        auto longer = packed([&](Packer& pk) {
            pk.pack_array(arr.size + 1);
            for (std::uint32_t i = 0; i < arr.size; ++i) pk.pack(arr.ptr[i]);
            pk.pack_nil();
        });
        expect_refused(longer);
        auto shorter = packed([&](Packer& pk) {
            pk.pack_array(arr.size - 1);
            for (std::uint32_t i = 0; i + 1 < arr.size; ++i) pk.pack(arr.ptr[i]);
        });
        expect_refused(shorter);
    }
}

TEST(ScribeWire, OversizedFieldsAreRefused) {
    const std::string long_topic(kMaxTopicName + 1, 't');
    expect_refused(encode(Join{long_topic, kNode}));
    expect_refused(encode(Leave{""}));  // an empty topic names nothing
    expect_refused(encode(Publish{"news", kNode, 1, std::string(kMaxPayload + 1, 'p'), false}));
    EXPECT_NO_THROW(decode(encode(Publish{"news", kNode, 1, std::string(kMaxPayload, 'p'), false})));
    expect_refused(encode(Data{"news", Item{1, 0, std::string(kMaxPayload + 1, 'p')}}));
    expect_refused(encode(Join{"news", NodeHandle{kNode.id, std::string(kMaxAddr + 1, 'a')}}));
    expect_refused(encode(Join{"news", NodeHandle{kNode.id, ""}}));
    expect_refused(encode(PublishNack{"news", 1, std::string(kMaxCode + 1, 'c'), ""}));
    expect_refused(encode(PublishNack{"news", 1, "", ""}));

    Refresh many;
    many.topics.assign(kMaxTopicsPerMessage + 1, "t");
    expect_refused(encode(many));
    many.topics.pop_back();
    EXPECT_NO_THROW(decode(encode(many)));
    Heartbeat beats;
    beats.topics.assign(kMaxTopicsPerMessage + 1, {"t", 1u});
    expect_refused(encode(beats));
    FetchReply reply{"news", 1, 0, std::nullopt, {}, std::nullopt};
    for (std::uint64_t s = 1; s <= kMaxMessagesPerBatch + 1; ++s) reply.items.push_back(Item{s, 0, ""});
    expect_refused(encode(reply));

    // A node id of the wrong length.
    expect_refused(packed([](Packer& pk) {
        pk.pack_array(3);
        pk.pack_uint8(1);
        pack_s(pk, "news");
        pk.pack_array(2);
        pk.pack_bin(15);
        pk.pack_bin_body("0123456789abcde", 15);
        pack_s(pk, "addr");
    }));
    // A huge declared array is refused before it is allocated.
    expect_refused(std::string("\xdd\xff\xff\xff\xff", 5));
    expect_refused(std::string("\xdb\xff\xff\xff\xff", 5));
}

TEST(ScribeWire, InconsistentContentIsRefused) {
    expect_refused(encode(Data{"news", Item{0, 0, "seq zero"}}));
    expect_refused(encode(Fetch{"news", kNode, 1, 5, 4, false}));
    expect_refused(encode(FetchReply{"news", 1, 9, std::pair<std::uint64_t, std::uint64_t>{5, 4}, {}, std::nullopt}));
    expect_refused(encode(FetchReply{"news", 1, 9, std::pair<std::uint64_t, std::uint64_t>{3, 6}, {Item{6, 0, ""}},
                                     std::nullopt}));
    expect_refused(encode(FetchReply{"news", 1, 9, std::nullopt, {Item{6, 0, ""}, Item{8, 0, ""}}, std::nullopt}));
    expect_refused(encode(RootSync{"news", 5, {SyncEntry{6, 0, Id{}, 0, ""}}, std::nullopt}));
    expect_refused(
        encode(RootSync{"news", 9, {SyncEntry{6, 0, Id{}, 0, ""}, SyncEntry{6, 0, Id{}, 0, ""}}, std::nullopt}));
    expect_refused(encode(RootSyncAck{"news", 0, 3}));
    expect_refused(encode(RootSyncAck{"news", 4, 3}));
    expect_refused(packed([](Packer& pk) {
        pk.pack_array(2);
        pk.pack_uint8(99);
        pack_s(pk, "news");
    }));
    expect_refused(packed([](Packer& pk) { pk.pack_array(0); }));
    expect_refused(packed([](Packer& pk) { pk.pack_map(0); }));
    expect_refused(packed([](Packer& pk) {
        pk.pack_array(3);
        pk.pack_uint8(1);
        pack_s(pk, "news");
        pack_node(pk, "");
    }));
}

TEST(ScribeWire, RandomBytesThrowDecodeErrorOnly) {
    std::mt19937_64 rng(7);
    auto samples = one_of_each();
    for (int i = 0; i < 20000; ++i) {
        std::string bytes;
        if (i % 2 == 0) {
            bytes.resize(rng() % 64);
            for (auto& c : bytes) c = static_cast<char>(rng());
        } else {
            // Valid messages with a few bytes flipped reach deeper.
            bytes = encode(samples[rng() % samples.size()]);
            for (int k = 0; k < 3; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
        }
        try {
            decode(bytes);
        } catch (const DecodeError&) {
        }
    }
}
