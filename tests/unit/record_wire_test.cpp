#include "dht/record_wire.hpp"

#include "core/error.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <random>

using namespace sr;
using namespace sr::dht;

namespace {

constexpr std::int64_t S = kUsPerSecond;

Id id(std::uint64_t lo, std::uint64_t hi = 0) { return Id{hi, lo}; }

Record sample(std::int64_t expires) {
    Record r;
    r.key = Id{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
    r.vid = 0xffffffffffffffffULL;
    r.writer = id(42, 7);
    r.seq = 123456789;
    r.type = "svc";
    r.value = std::string("\0\x01\x02 binary \xff", 13);
    r.expires_us = expires;
    r.remove_hash = remove_hash_of("secret");
    return r;
}

using Packer = msgpack::packer<msgpack::sbuffer>;

void str(Packer& pk, std::string_view s) {
    pk.pack_str(static_cast<std::uint32_t>(s.size()));
    pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}
void bin(Packer& pk, std::string_view s) {
    pk.pack_bin(static_cast<std::uint32_t>(s.size()));
    pk.pack_bin_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

// A record map built field by field; `override` replaces one field's packing,
// `skip` leaves one out, `extra` adds one more entry.
std::string build(const std::string& override_field = "", std::function<void(Packer&)> override_fn = nullptr,
                  const std::string& skip = "", std::function<void(Packer&)> extra = nullptr) {
    std::vector<std::pair<std::string, std::function<void(Packer&)>>> fields = {
        {"key", [](Packer& pk) { bin(pk, std::string(16, 'k')); }},
        {"vid", [](Packer& pk) { pk.pack_uint64(1); }},
        {"writer", [](Packer& pk) { bin(pk, std::string(16, 'w')); }},
        {"seq", [](Packer& pk) { pk.pack_uint64(2); }},
        {"type", [](Packer& pk) { str(pk, "kv"); }},
        {"value", [](Packer& pk) { bin(pk, "v"); }},
        {"ttl_ms", [](Packer& pk) { pk.pack_uint64(1000); }},
        {"remove_hash", [](Packer& pk) { bin(pk, ""); }},
        {"tombstone", [](Packer& pk) { pk.pack_false(); }},
    };
    msgpack::sbuffer buf;
    Packer pk(buf);
    std::uint32_t n = static_cast<std::uint32_t>(fields.size() - (skip.empty() ? 0 : 1) + (extra ? 1 : 0));
    pk.pack_map(n);
    for (auto& [name, fn] : fields) {
        if (name == skip) continue;
        str(pk, name);
        if (name == override_field) override_fn(pk);
        else fn(pk);
    }
    if (extra) extra(pk);
    return std::string(buf.data(), buf.size());
}

bool rejects(const std::string& bytes) {
    try {
        decode_record(bytes, 0);
    } catch (const DecodeError&) {
        return true;
    }
    return false;
}

}  // namespace

TEST(RecordWire, RoundTripCarriesTheRemainingTtl) {
    const std::int64_t now_a = 1'000'000 * S;
    Record r = sample(now_a + 5 * S + 999);  // 5.000999 s left: 5000 ms on the wire
    std::string bytes = encode_record(r, now_a);
    const std::int64_t now_b = 42;  // another node, another clock
    Record back = decode_record(bytes, now_b);
    Record want = r;
    want.expires_us = now_b + 5 * S;
    EXPECT_EQ(back, want);
}

TEST(RecordWire, TombstoneRoundTrip) {
    Record r = sample(10 * S);
    r.tombstone = true;
    r.value = "dropped";
    Record back = decode_record(encode_record(r, 0), 0);
    EXPECT_TRUE(back.tombstone);
    EXPECT_TRUE(back.value.empty());
    EXPECT_EQ(back.remove_hash, r.remove_hash);
}

TEST(RecordWire, ExpiredRecordPacksZeroTtl) {
    Record back = decode_record(encode_record(sample(5 * S), 6 * S), 100);
    EXPECT_EQ(back.expires_us, 100);
}

TEST(RecordWire, BuilderBaselineDecodes) {
    Record r = decode_record(build(), 0);
    EXPECT_EQ(r.type, "kv");
    EXPECT_EQ(r.expires_us, 1000 * 1000);
    // Unknown fields are ignored.
    EXPECT_NO_THROW(decode_record(build("", nullptr, "", [](Packer& pk) { str(pk, "future"); pk.pack_nil(); }), 0));
}

TEST(RecordWire, EveryTruncationIsRejected) {
    std::string bytes = encode_record(sample(10 * S), 0);
    for (std::size_t n = 0; n < bytes.size(); ++n) EXPECT_TRUE(rejects(bytes.substr(0, n))) << n;
    EXPECT_TRUE(rejects(bytes + '\0'));  // trailing bytes
}

TEST(RecordWire, WrongTypesAreRejected) {
    EXPECT_TRUE(rejects(build("key", [](Packer& pk) { str(pk, std::string(16, 'k')); })));
    EXPECT_TRUE(rejects(build("key", [](Packer& pk) { bin(pk, std::string(15, 'k')); })));
    EXPECT_TRUE(rejects(build("key", [](Packer& pk) { bin(pk, std::string(17, 'k')); })));
    EXPECT_TRUE(rejects(build("writer", [](Packer& pk) { bin(pk, std::string(15, 'w')); })));
    EXPECT_TRUE(rejects(build("vid", [](Packer& pk) { pk.pack_int64(-1); })));
    EXPECT_TRUE(rejects(build("vid", [](Packer& pk) { str(pk, "1"); })));
    EXPECT_TRUE(rejects(build("seq", [](Packer& pk) { pk.pack_double(1.5); })));
    EXPECT_TRUE(rejects(build("type", [](Packer& pk) { bin(pk, "kv"); })));
    EXPECT_TRUE(rejects(build("type", [](Packer& pk) { str(pk, ""); })));
    EXPECT_TRUE(rejects(build("type", [](Packer& pk) { str(pk, std::string(65, 't')); })));
    EXPECT_FALSE(rejects(build("type", [](Packer& pk) { str(pk, std::string(64, 't')); })));
    EXPECT_TRUE(rejects(build("value", [](Packer& pk) { str(pk, "v"); })));
    EXPECT_TRUE(rejects(build("value", [](Packer& pk) { bin(pk, std::string(65537, 'v')); })));
    EXPECT_FALSE(rejects(build("value", [](Packer& pk) { bin(pk, std::string(65536, 'v')); })));
    EXPECT_TRUE(rejects(build("ttl_ms", [](Packer& pk) { pk.pack_int64(-5); })));
    EXPECT_TRUE(rejects(build("ttl_ms", [](Packer& pk) { pk.pack_uint64(~0ull); })));
    EXPECT_TRUE(rejects(build("remove_hash", [](Packer& pk) { bin(pk, std::string(31, 'h')); })));
    EXPECT_TRUE(rejects(build("remove_hash", [](Packer& pk) { bin(pk, std::string(33, 'h')); })));
    EXPECT_FALSE(rejects(build("remove_hash", [](Packer& pk) { bin(pk, std::string(32, 'h')); })));
    EXPECT_TRUE(rejects(build("tombstone", [](Packer& pk) { pk.pack_uint64(1); })));
    EXPECT_TRUE(rejects(build("tombstone", [](Packer& pk) { pk.pack_true(); })));  // with a value
    for (const char* f : {"key", "vid", "writer", "seq", "type", "value", "ttl_ms", "remove_hash", "tombstone"})
        EXPECT_TRUE(rejects(build("", nullptr, f))) << "missing " << f;
    EXPECT_TRUE(rejects(build("", nullptr, "", [](Packer& pk) { str(pk, "seq"); pk.pack_uint64(3); })));  // duplicate
    EXPECT_TRUE(rejects(build("", nullptr, "", [](Packer& pk) { pk.pack_uint64(3); pk.pack_uint64(3); })));  // int key
    // Not a map at all.
    msgpack::sbuffer buf;
    Packer pk(buf);
    pk.pack_array(9);
    for (int i = 0; i < 9; ++i) pk.pack_uint64(1);
    EXPECT_TRUE(rejects(std::string(buf.data(), buf.size())));
    EXPECT_TRUE(rejects(""));
}

TEST(RecordWire, UnpackRecordOnAnObjectThrowsDecodeError) {
    msgpack::sbuffer buf;
    Packer pk(buf);
    pk.pack_uint64(5);
    auto oh = msgpack::unpack(buf.data(), buf.size());
    EXPECT_THROW(unpack_record(oh.get(), 0), DecodeError);
}

TEST(RecordWire, RandomGarbageNeverCrashes) {
    std::mt19937_64 rng(1);
    const std::string good = encode_record(sample(10 * S), 0);
    int decoded = 0;
    for (int i = 0; i < 30000; ++i) {
        std::string bytes;
        if (i % 2 == 0) {
            bytes.resize(rng() % 64);
            for (auto& c : bytes) c = static_cast<char>(rng());
            if (!bytes.empty() && i % 4 == 0) bytes[0] = static_cast<char>(0x80 | (rng() % 16));  // a fixmap
        } else {
            bytes = good;
            for (int f = 0, n = 1 + static_cast<int>(rng() % 4); f < n; ++f)
                bytes[rng() % bytes.size()] = static_cast<char>(rng());
        }
        try {
            decode_record(bytes, 0);
            ++decoded;
        } catch (const DecodeError&) {
        }
    }
    EXPECT_GT(decoded, 0);  // flips inside the value still decode
}

TEST(StoreFile, RoundTripAcrossClockBases) {
    Store a;
    const std::int64_t mono_a = 5'000 * S, wall_a = 1'700'000'000 * S;
    Record r1 = sample(mono_a + 10 * S);
    Record r2 = sample(mono_a + 3600 * S);
    r2.vid = 2;
    Record r3 = sample(mono_a + 7200 * S);
    r3.vid = 3;
    ASSERT_EQ(a.put(r1, mono_a), PutOutcome::stored);
    a.put(r2, mono_a);
    a.put(r3, mono_a);
    ASSERT_EQ(a.remove(r3.key, "secret", mono_a), 3u);  // all three share the secret
    Record r4 = sample(mono_a + 1800 * S);
    r4.vid = 4;
    r4.remove_hash.clear();
    a.put(r4, mono_a);
    std::string file = export_store(a, mono_a, wall_a);

    // Restart 60 s later on a monotonic clock that started over.
    Store b;
    const std::int64_t mono_b = 7 * S, wall_b = wall_a + 60 * S;
    ImportResult res = import_store(b, file, mono_b, wall_b);
    EXPECT_EQ(res.loaded, 3u);
    EXPECT_EQ(res.expired, 1u);  // r1 had 10 s left
    EXPECT_EQ(res.rejected, 0u);
    auto recs = b.records(r1.key);
    ASSERT_EQ(recs.size(), 3u);
    for (auto& r : recs) EXPECT_TRUE(r.tombstone || r.vid == 4);
    auto find = [&](std::uint64_t vid) {
        for (auto& r : recs)
            if (r.vid == vid) return r;
        return Record{};
    };
    EXPECT_EQ(find(2).expires_us, mono_b + (3600 - 60) * S);
    EXPECT_EQ(find(3).expires_us, mono_b + (7200 - 60) * S);
    EXPECT_EQ(find(4).expires_us, mono_b + (1800 - 60) * S);
    EXPECT_EQ(find(4).value, r4.value);
    EXPECT_EQ(find(4).writer, r4.writer);
    // The tombstones still stop old copies.
    Record old2 = r2;
    old2.expires_us = mono_b + 10 * S;
    EXPECT_EQ(b.put(old2, mono_b), PutOutcome::stale);
    // Importing twice is harmless.
    EXPECT_EQ(import_store(b, file, mono_b, wall_b).stale, 3u);
}

TEST(StoreFile, EmptyStoreRoundTrip) {
    Store a, b;
    auto res = import_store(b, export_store(a, 0, 1), 0, 1);
    EXPECT_EQ(res.loaded, 0u);
}

TEST(StoreFile, ImportRespectsLimits) {
    Store a;
    for (int i = 0; i < 10; ++i) a.put([&] { Record r = sample(100 * S); r.vid = i; return r; }(), 0);
    Limits lim;
    lim.quota_bytes = 3 * (13 + 3 + 32 + kRecordOverhead);
    lim.writer_bytes = lim.owner_bytes = lim.quota_bytes;  // one writer may fill it here
    Store b(lim);
    auto res = import_store(b, export_store(a, 0, S), 0, S);
    EXPECT_EQ(res.loaded, 3u);
    EXPECT_EQ(res.rejected, 7u);
}

TEST(StoreFile, CorruptFilesAreRejectedWithoutSideEffects) {
    Store a;
    for (int i = 0; i < 5; ++i) a.put([&] { Record r = sample(100 * S); r.vid = i; return r; }(), 0);
    const std::string file = export_store(a, 0, 1000 * S);
    auto rejects_file = [](const std::string& bytes) {
        Store b;
        try {
            import_store(b, bytes, 0, 1000 * S);
        } catch (const DecodeError&) {
            EXPECT_EQ(b.size(), 0u);
            return true;
        }
        return false;
    };
    EXPECT_FALSE(rejects_file(file));
    for (std::size_t n = 0; n < file.size(); n += 7) EXPECT_TRUE(rejects_file(file.substr(0, n))) << n;
    EXPECT_TRUE(rejects_file(file + "x"));
    // Any flipped byte in the records blob fails the checksum (or the envelope).
    std::mt19937_64 rng(3);
    for (int i = 0; i < 300; ++i) {
        std::string bad = file;
        std::size_t pos = rng() % bad.size();
        bad[pos] = static_cast<char>(bad[pos] ^ (1 + rng() % 255));
        // A flip inside the "wall_us" number is harmless by design; all else fails.
        try {
            Store b;
            import_store(b, bad, 0, 1000 * S);
        } catch (const DecodeError&) {
        }
    }
    auto envelope = [&](std::string format, std::uint64_t version, bool good_sum) {
        msgpack::sbuffer recs;
        Packer rp(recs);
        rp.pack_array(0);
        std::string blob(recs.data(), recs.size());
        std::string sum = remove_hash_of(blob);
        if (!good_sum) sum[0] ^= 1;
        msgpack::sbuffer out;
        Packer pk(out);
        pk.pack_map(6);
        str(pk, "format");
        str(pk, format);
        str(pk, "version");
        pk.pack_uint64(version);
        str(pk, "wall_us");
        pk.pack_int64(1);
        str(pk, "count");
        pk.pack_uint64(0);
        str(pk, "records");
        bin(pk, blob);
        str(pk, "sha256");
        bin(pk, sum);
        return std::string(out.data(), out.size());
    };
    EXPECT_FALSE(rejects_file(envelope("sr-dht-store", 1, true)));
    EXPECT_TRUE(rejects_file(envelope("sr-dht-store", 1, false)));
    EXPECT_TRUE(rejects_file(envelope("sr-dht-store", 2, true)));
    EXPECT_TRUE(rejects_file(envelope("something-else", 1, true)));
    EXPECT_TRUE(rejects_file(""));
    EXPECT_TRUE(rejects_file("\xc1"));
    EXPECT_TRUE(rejects_file(encode_record(sample(S), 0)));
}

TEST(StoreFile, ChecksumCatchesAFlippedValueByte) {
    Store a;
    a.put(sample(100 * S), 0);
    std::string file = export_store(a, 0, 1000 * S);
    auto pos = file.find(std::string("binary"));
    ASSERT_NE(pos, std::string::npos);
    file[pos] = 'B';
    Store b;
    EXPECT_THROW(import_store(b, file, 0, 1000 * S), DecodeError);
    EXPECT_EQ(b.size(), 0u);
}
