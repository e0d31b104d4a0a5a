// The DHT's overlay messages: Replicate batches must fit one overlay frame,
// whatever their records are made of; direct messages keep their bounds.
#include "core/error.hpp"
#include "dht/dht_wire.hpp"
#include "dht/record_wire.hpp"
#include "dht/store.hpp"
#include "dht/transport.hpp"
#include "dht/writer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>
#include <vector>

using namespace sr;
using namespace sr::dht;

namespace {

constexpr std::int64_t S = kUsPerSecond;
constexpr std::int64_t kWall = 1'700'000'000LL * S;

// n signed tombstones, as Store::remove makes them on the root, each with a
// removal secret of the longest kind (256 bytes), on n keys.
std::vector<Record> signed_tombstones(std::size_t n) {
    auto k = WriterKey::ephemeral();
    Store s;
    std::vector<Record> out;
    for (std::size_t i = 0; i < n; ++i) {
        std::string secret(kMaxSecretBytes, static_cast<char>('a' + i % 26));
        secret.replace(0, std::to_string(i).size(), std::to_string(i));
        Record r;
        r.key = Id::hash("kv", "name-" + std::to_string(i));
        r.vid = i + 1;
        r.seq = 1;
        r.type = "kv";
        r.value = "v";
        r.expires_us = 3600 * S;
        r.remove_hash = remove_hash_of(secret);
        k.stamp(r, 1000, static_cast<std::uint64_t>(kWall / S) + 3600);
        s.put(r, 0);
        EXPECT_EQ(s.remove(r.key, secret, 0), 1u);
        out.push_back(s.records(r.key).at(0));
    }
    return out;
}

}  // namespace

TEST(DhtWire, ReplicateBatchesOfSignedTombstonesFitTheFrame) {
    auto tombs = signed_tombstones(2000);
    ASSERT_TRUE(tombs.front().tombstone);
    ASSERT_EQ(tombs.front().remove_secret.size(), kMaxSecretBytes);
    // What the old estimate (value + type + 256) badly undercounted.
    EXPECT_GT(encode_record(tombs.front(), 0).size(), tombs.front().value.size() + tombs.front().type.size() + 256);

    // The longest sender address the wire allows makes the biggest envelope.
    const Peer from{Id::hash("node", "a"), std::string(pastry::kMaxAddrLen, 'x')};
    const std::size_t max_frame = TransportConfig{}.max_frame;
    std::vector<std::string> frames;
    std::size_t records = 0;
    ReplicateBatcher batcher(0, [&](std::vector<Record> batch) {
        records += batch.size();
        frames.push_back(encode_dht(Replicate{from, 0, std::move(batch)}, 0));
    });
    for (auto& r : tombs) batcher.add(r);
    batcher.flush();

    EXPECT_EQ(records, tombs.size());
    EXPECT_GE(frames.size(), 3u);  // 2000 tombstones of ~500 bytes are ~1 MB
    std::size_t i = 0;
    for (const auto& f : frames) {
        EXPECT_LE(f.size(), max_frame) << "frame " << i;
        // And the receiver takes every one of them.
        auto m = decode_dht(std::string_view(f).substr(1), 0);
        ASSERT_TRUE(std::holds_alternative<Replicate>(m));
        EXPECT_LE(std::get<Replicate>(m).records.size(), kMaxReplicateRecords);
        std::string why;
        for (auto r : std::get<Replicate>(m).records) {
            why = check_record(r, true, 0, kWall);
            if (!why.empty()) break;
        }
        EXPECT_EQ(why, "") << "frame " << i;
        ++i;
    }
}

TEST(DhtWire, ReplicateBatcherCutsByCountAndKeepsOrder) {
    std::vector<std::vector<Record>> batches;
    ReplicateBatcher batcher(0, [&](std::vector<Record> b) { batches.push_back(std::move(b)); }, 1 << 20, 3);
    for (std::uint64_t i = 0; i < 7; ++i) {
        Record r;
        r.key = Id{0, i};
        r.vid = i;
        r.type = "kv";
        r.value = "x";
        r.expires_us = 10 * S;
        batcher.add(r);
    }
    batcher.flush();
    batcher.flush();  // nothing left: no empty batch
    ASSERT_EQ(batches.size(), 3u);
    EXPECT_EQ(batches[0].size(), 3u);
    EXPECT_EQ(batches[2].size(), 1u);
    EXPECT_EQ(batches[2][0].vid, 6u);
}

TEST(DhtWire, ALargeValueStartsANewBatch) {
    std::vector<std::size_t> bytes;
    ReplicateBatcher batcher(0, [&](std::vector<Record> b) {
        bytes.push_back(encode_dht(Replicate{Peer{Id{0, 1}, "a:1"}, 0, std::move(b)}, 0).size());
    });
    for (std::uint64_t i = 0; i < 8; ++i) {
        Record r;
        r.key = Id{0, i};
        r.vid = i;
        r.type = "kv";
        r.value = std::string(kMaxWireValue, 'v');
        r.expires_us = 10 * S;
        batcher.add(r);
    }
    batcher.flush();
    ASSERT_GE(bytes.size(), 3u);
    for (auto b : bytes) EXPECT_LE(b, TransportConfig{}.max_frame);
}

TEST(DhtWire, DirectMessagesRoundTripAndOversizedPayloadsAreRefused) {
    Direct d{Peer{Id::hash("kv", "a"), "127.0.0.1:4000"}, Id::hash("kv", "b"), "events", std::string(1000, 'p')};
    std::string frame = encode_dht(d, 0);
    ASSERT_EQ(frame[0], kFamilyDht);
    auto back = std::get<Direct>(decode_dht(std::string_view(frame).substr(1), 0));
    EXPECT_EQ(back.from.id, d.from.id);
    EXPECT_EQ(back.from.addr, d.from.addr);
    EXPECT_EQ(back.to, d.to);
    EXPECT_EQ(back.app, "events");
    EXPECT_EQ(back.payload, d.payload);

    d.payload.assign(kMaxAppPayload + 1, 'p');
    frame = encode_dht(d, 0);
    EXPECT_THROW(decode_dht(std::string_view(frame).substr(1), 0), sr::DecodeError);
    d.payload.clear();
    d.app.assign(65, 'a');
    frame = encode_dht(d, 0);
    EXPECT_THROW(decode_dht(std::string_view(frame).substr(1), 0), sr::DecodeError);
}
