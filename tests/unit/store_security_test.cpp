// Attacks on writer identity (issue 9 §10), against the pure parts: a second
// writer forging a record, a tombstone, a replay; state files from before.
#include "dht/record_wire.hpp"
#include "dht/store.hpp"
#include "dht/writer.hpp"

#include "core/error.hpp"
#include "error_capture.hpp"

#include <gtest/gtest.h>

using namespace sr;
using namespace sr::dht;
using sr::test::code_of;

namespace {

constexpr std::int64_t S = kUsPerSecond;
constexpr std::int64_t kWall = 1'700'000'000LL * S;  // the wall clock of the test

Record signed_rec(const WriterKey& k, std::uint32_t uid, std::uint64_t vid, std::uint64_t seq, std::string value,
                  std::string secret = {}) {
    Record r;
    r.key = Id::hash("kv", "name");
    r.vid = vid;
    r.seq = seq;
    r.type = "kv";
    r.value = std::move(value);
    r.expires_us = 100 * S;
    if (!secret.empty()) r.remove_hash = remove_hash_of(secret);
    k.stamp(r, uid, static_cast<std::uint64_t>(kWall / S) + 100);
    return r;
}

}  // namespace

TEST(WriterSecurity, AnHonestRecordVerifiesInAnOpenOverlay) {
    auto k = WriterKey::ephemeral();
    Record r = signed_rec(k, 1000, 1, 1, "v");
    EXPECT_EQ(r.writer, writer_id(k.public_key(), 1000));
    EXPECT_EQ(check_record(r, true, 0, kWall), "");
    // It survives the wire.
    Record back = decode_record(encode_record(r, 0), 0);
    EXPECT_EQ(check_record(back, true, 0, kWall), "");
}

TEST(WriterSecurity, TwoUsersOfOneNodeAreTwoWriters) {
    auto k = WriterKey::ephemeral();
    Store s;
    s.put(signed_rec(k, 1000, 7, 1, "alice"), 0);
    // Bob puts the same vid with a newer seq: his own value, Alice's stays.
    s.put(signed_rec(k, 1001, 7, 2, "bob"), 0);
    auto vals = s.get(Id::hash("kv", "name"), 0).values;
    ASSERT_EQ(vals.size(), 2u);
}

TEST(WriterSecurity, ASecondNodeCannotClaimAnotherWriter) {
    auto victim = WriterKey::ephemeral(), attacker = WriterKey::ephemeral();
    Record good = signed_rec(victim, 1000, 7, 1, "good");
    // The attacker signs with its own key but names the victim's writer.
    Record forged = signed_rec(attacker, 1000, 7, 2, "evil");
    forged.writer = good.writer;
    EXPECT_EQ(check_record(forged, true, 0, kWall), "writer id does not match its key");
    EXPECT_EQ(check_record(forged, false, 0, kWall), "writer id does not match its key");
    // Or copies the victim's key and uid without the private key: the signature fails.
    forged.owner = good.owner;
    EXPECT_EQ(check_record(forged, true, 0, kWall), "bad signature");
    // Or sends it unsigned.
    Record bare = good;
    bare.seq = 3;
    bare.owner.clear();
    bare.sig.clear();
    EXPECT_EQ(check_record(bare, true, 0, kWall), "unsigned record in an open overlay");
    // Or changes the value of a signed record.
    Record altered = good;
    altered.value = "evil";
    EXPECT_EQ(check_record(altered, true, 0, kWall), "bad signature");
}

TEST(WriterSecurity, ATombstoneNeedsTheSecret) {
    auto k = WriterKey::ephemeral();
    Record live = signed_rec(k, 1000, 7, 1, "v", "s3cret");
    Store s;
    s.put(live, 0);
    // The root's own removal carries the proof and verifies at a replica.
    ASSERT_EQ(s.remove(live.key, "s3cret", 0), 1u);
    Record tomb = s.records(live.key).at(0);
    ASSERT_TRUE(tomb.tombstone);
    Record wire = decode_record(encode_record(tomb, 0), 0);
    EXPECT_EQ(check_record(wire, true, 0, kWall), "");
    // Forged: the live record turned into a tombstone without the secret.
    Record forged = live;
    forged.tombstone = true;
    forged.digest = sha256_of(live.value);
    forged.value.clear();
    EXPECT_EQ(check_record(forged, true, 0, kWall), "tombstone without the removal secret");
    forged.remove_secret = "guess";
    EXPECT_EQ(check_record(forged, true, 0, kWall), "tombstone without the removal secret");
    // A value put without a secret cannot be tombstoned at all.
    Record nosecret = signed_rec(k, 1000, 8, 1, "v");
    nosecret.tombstone = true;
    nosecret.digest = sha256_of("v");
    nosecret.value.clear();
    nosecret.remove_secret = "x";
    EXPECT_NE(check_record(nosecret, true, 0, kWall), "");
}

TEST(WriterSecurity, AnOldSignedCopyCannotBeReplayedToLiveLonger) {
    auto k = WriterKey::ephemeral();
    Record r = signed_rec(k, 1000, 7, 1, "v");  // signed to expire at kWall + 100 s
    Record replay = r;
    replay.expires_us = 500 * S;  // the attacker asks for a longer TTL
    EXPECT_EQ(check_record(replay, true, 0, kWall), "");
    EXPECT_EQ(replay.expires_us, 100 * S);  // capped at the signed expiry
    Record late = r;
    EXPECT_EQ(check_record(late, true, 0, kWall + 200 * S), "signed expiry has passed");
}

TEST(WriterSecurity, ManyFreshIdentitiesEvictNobody) {
    Limits lim;
    lim.quota_bytes = 64 << 10;
    lim.writer_bytes = lim.owner_bytes = lim.quota_bytes;
    Store s(lim);
    auto victim = WriterKey::ephemeral();
    std::size_t stored = 0;
    for (std::uint64_t v = 0; stored < 20; ++v, ++stored) s.put(signed_rec(victim, 1000, v, 1, std::string(1000, 'v')), 0);
    const std::size_t before = s.bytes();
    std::size_t refused = 0;
    for (int i = 0; i < 200; ++i) {
        auto sybil = WriterKey::ephemeral();
        try {
            s.put(signed_rec(sybil, 0, 1, 1, std::string(1000, 'x')), 0);
        } catch (const Error& e) {
            EXPECT_EQ(e.code, "over_quota");
            ++refused;
        }
    }
    EXPECT_GT(refused, 0u);
    EXPECT_EQ(s.get(Id::hash("kv", "name"), 0, "", 1024).values.size() >= 20, true);
    std::size_t victims = 0;
    for (const auto& r : s.records(Id::hash("kv", "name"))) victims += r.owner == victim.public_key();
    EXPECT_EQ(victims, 20u);
    EXPECT_GE(s.bytes(), before);
}

TEST(WriterSecurity, RecordsFromBeforeIdentitiesStillDecode) {
    // A record map of the old form: nine fields, no owner.
    Record old;
    old.key = Id::hash("kv", "x");
    old.writer = Id::hash("node", "n");
    old.vid = 1;
    old.seq = 1;
    old.type = "kv";
    old.value = "v";
    old.expires_us = 10 * S;
    Record back = decode_record(encode_record(old, 0), 0);
    EXPECT_TRUE(back.owner.empty());
    EXPECT_EQ(check_record(back, false, 0, kWall), "");  // a keyed overlay takes it
    EXPECT_NE(check_record(back, true, 0, kWall), "");   // an open one does not
}
