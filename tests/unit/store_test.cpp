#include "dht/store.hpp"

#include "core/error.hpp"
#include "error_capture.hpp"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <set>

using namespace sr;
using sr::test::code_of;
using namespace sr::dht;

namespace {

constexpr std::int64_t S = kUsPerSecond;

Id id(std::uint64_t lo, std::uint64_t hi = 0) { return Id{hi, lo}; }

Record rec(Id key, Id writer, std::uint64_t vid, std::uint64_t seq, std::string value, std::int64_t expires,
           std::string type = "kv") {
    Record r;
    r.key = key;
    r.writer = writer;
    r.vid = vid;
    r.seq = seq;
    r.value = std::move(value);
    r.expires_us = expires;
    r.type = std::move(type);
    return r;
}

std::size_t charge(const Record& r) {
    return r.value.size() + r.type.size() + r.remove_hash.size() + r.owner.size() + r.sig.size() + r.digest.size() +
           r.remove_secret.size() + kRecordOverhead;
}

// Recomputes the accounting from scratch and compares with the store's.
void check_invariants(const Store& s) {
    std::size_t bytes = 0, n = 0, tomb = 0;
    std::map<Id, std::size_t> per_writer;
    s.for_each([&](const Record& r) {
        bytes += charge(r);
        per_writer[r.writer] += charge(r);
        ++n;
        tomb += r.tombstone;
        if (r.tombstone) {
            EXPECT_TRUE(r.value.empty());
        }
    });
    EXPECT_EQ(bytes, s.bytes());
    EXPECT_EQ(n, s.size());
    EXPECT_LE(s.bytes(), s.limits().quota_bytes);
    auto st = s.stats();
    EXPECT_EQ(st.tombstones, tomb);
    EXPECT_EQ(st.values + st.tombstones, n);
    EXPECT_EQ(st.writers, per_writer.size());
    for (auto& [w, b] : per_writer) EXPECT_EQ(s.bytes_of(w), b);
}

}  // namespace

TEST(Store, PutThenGet) {
    Store s;
    EXPECT_EQ(s.put(rec(id(1), id(7), 1, 1, "hello", 10 * S), 0), PutOutcome::stored);
    auto page = s.get(id(1), 0);
    ASSERT_EQ(page.values.size(), 1u);
    EXPECT_EQ(page.values[0].value, "hello");
    EXPECT_EQ(page.values[0].writer, id(7));
    EXPECT_TRUE(page.next_cursor.empty());
    EXPECT_TRUE(s.get(id(2), 0).values.empty());
    check_invariants(s);
}

TEST(Store, PagesThroughManyValuesInStableOrder) {
    Store s;
    const int n = 1000;
    for (int i = 0; i < n; ++i)
        s.put(rec(id(1), id(i % 13), static_cast<std::uint64_t>(i), 1, "v" + std::to_string(i), 100 * S), 0);
    std::vector<std::string> seen;
    std::string cursor;
    int pages = 0;
    do {
        auto page = s.get(id(1), 0, cursor, 7);
        EXPECT_LE(page.values.size(), 7u);
        for (auto& r : page.values) seen.push_back(r.value);
        cursor = page.next_cursor;
        // A put in the middle of paging does not disturb the cursor.
        if (pages == 3) s.put(rec(id(1), id(0), 1'000'000, 1, "late", 100 * S), 0);
        ++pages;
    } while (!cursor.empty());
    EXPECT_EQ(pages, (n + 1 + 6) / 7);
    std::set<std::string> uniq(seen.begin(), seen.end());
    EXPECT_EQ(uniq.size(), seen.size());
    EXPECT_EQ(seen.size(), static_cast<std::size_t>(n + 1));
    // Same order on a second pass in one page.
    auto all = s.get(id(1), 0, "", 5000);
    ASSERT_EQ(all.values.size(), seen.size());
    EXPECT_TRUE(all.next_cursor.empty());
    for (std::size_t i = 1; i < all.values.size(); ++i)
        EXPECT_TRUE(std::tie(all.values[i - 1].writer, all.values[i - 1].vid) <
                    std::tie(all.values[i].writer, all.values[i].vid));
    EXPECT_EQ(code_of([&] { s.get(id(1), 0, "not-a-cursor"); }), "invalid");
    EXPECT_EQ(code_of([&] { s.get(id(1), 0, std::string(48, 'g')); }), "invalid");
    check_invariants(s);
}

TEST(Store, HigherSeqReplacesLowerOrEqualIsStale) {
    Store s;
    EXPECT_EQ(s.put(rec(id(1), id(7), 5, 2, "two", 10 * S), 0), PutOutcome::stored);
    EXPECT_EQ(s.put(rec(id(1), id(7), 5, 3, "three", 10 * S), 0), PutOutcome::replaced);
    EXPECT_EQ(s.put(rec(id(1), id(7), 5, 3, "again", 10 * S), 0), PutOutcome::stale);
    EXPECT_EQ(s.put(rec(id(1), id(7), 5, 1, "old", 10 * S), 0), PutOutcome::stale);
    // Another vid or another writer is another value.
    EXPECT_EQ(s.put(rec(id(1), id(7), 6, 1, "other vid", 10 * S), 0), PutOutcome::stored);
    EXPECT_EQ(s.put(rec(id(1), id(8), 5, 1, "other writer", 10 * S), 0), PutOutcome::stored);
    auto page = s.get(id(1), 0);
    ASSERT_EQ(page.values.size(), 3u);
    EXPECT_EQ(page.values[0].value, "three");
    auto st = s.stats();
    EXPECT_EQ(st.puts, 4u);
    EXPECT_EQ(st.replaced, 1u);
    EXPECT_EQ(st.stale, 2u);
    check_invariants(s);
}

TEST(Store, ExpiresOnTheFakeClockAndReportsEvents) {
    Store s;
    s.put(rec(id(1), id(7), 1, 1, "short", 10 * S), 0);
    s.put(rec(id(1), id(7), 2, 1, "long", 30 * S), 0);
    s.put(rec(id(2), id(7), 1, 1, "other", 20 * S), 0);
    EXPECT_EQ(s.next_expiry(), 10 * S);
    EXPECT_TRUE(s.expire(10 * S - 1).empty());
    EXPECT_EQ(s.get(id(1), 10 * S - 1).values.size(), 2u);
    // At its expiry a value is gone from get() even before expire() runs.
    EXPECT_EQ(s.get(id(1), 10 * S).values.size(), 1u);
    auto ev = s.expire(25 * S);
    ASSERT_EQ(ev.size(), 2u);
    EXPECT_EQ(ev[0].value, "short");
    EXPECT_EQ(ev[1].value, "other");
    EXPECT_TRUE(s.expire(25 * S).empty());  // only since the last call
    EXPECT_EQ(s.next_expiry(), 30 * S);
    EXPECT_EQ(s.size(), 1u);
    EXPECT_EQ(s.expire(30 * S).size(), 1u);
    EXPECT_EQ(s.next_expiry(), std::nullopt);
    EXPECT_EQ(s.stats().expired, 3u);
    EXPECT_EQ(s.bytes(), 0u);
    check_invariants(s);
}

TEST(Store, RejectsWithStableCodes) {
    Limits lim;
    lim.max_value = 100;
    lim.max_ttl_us = 60 * S;
    Store s(lim);
    std::int64_t now = 1000 * S;
    EXPECT_EQ(s.put(rec(id(1), id(7), 1, 1, std::string(100, 'x'), now + S), now), PutOutcome::stored);
    EXPECT_EQ(code_of([&] { s.put(rec(id(1), id(7), 2, 1, std::string(101, 'x'), now + S), now); }), "too_large");
    EXPECT_EQ(code_of([&] { s.put(rec(id(1), id(7), 2, 1, "x", now), now); }), "bad_ttl");
    EXPECT_EQ(code_of([&] { s.put(rec(id(1), id(7), 2, 1, "x", now - S), now); }), "bad_ttl");
    EXPECT_EQ(code_of([&] { s.put(rec(id(1), id(7), 2, 1, "x", now + 60 * S + 1), now); }), "bad_ttl");
    EXPECT_EQ(code_of([&] { s.put(rec(id(1), id(7), 2, 1, "x", now + 60 * S), now); }), "");
    EXPECT_EQ(code_of([&] { s.put(rec(id(1), id(7), 3, 1, "x", now + S, ""), now); }), "invalid");
    EXPECT_EQ(code_of([&] { s.put(rec(id(1), id(7), 3, 1, "x", now + S, std::string(65, 't')), now); }), "invalid");
    EXPECT_EQ(code_of([&] { s.put(rec(id(1), id(7), 3, 1, "x", now + S, "k v"), now); }), "invalid");
    EXPECT_EQ(code_of([&] { s.put(rec(id(1), id(7), 3, 1, "x", now + S, std::string(64, 't')), now); }), "");
    Record bad = rec(id(1), id(7), 4, 1, "x", now + S);
    bad.remove_hash = std::string(31, 'h');
    EXPECT_EQ(code_of([&] { s.put(bad, now); }), "invalid");
    auto st = s.stats();
    EXPECT_EQ(st.rejects["too_large"], 1u);
    EXPECT_EQ(st.rejects["bad_ttl"], 3u);
    EXPECT_EQ(st.rejects["invalid"], 4u);
    EXPECT_EQ(s.size(), 3u);
    check_invariants(s);
}

TEST(Store, NoPutEvictsAnotherWritersValues) {
    const std::size_t per = 1000 + 2 + kRecordOverhead;  // charge of one value below
    Limits lim;
    lim.quota_bytes = per * 10;
    lim.writer_bytes = per * 10;
    lim.owner_bytes = per * 10;
    Store s(lim);
    const Id big = id(100);
    for (int i = 0; i < 10; ++i)
        ASSERT_EQ(s.put(rec(id(1), big, i, 1, std::string(1000, 'b'), (100 - i) * S), 0), PutOutcome::stored);
    // Full: a fresh identity is refused, nothing of the others goes.
    for (int w = 0; w < 50; ++w)
        EXPECT_EQ(code_of([&] { s.put(rec(id(3), id(200 + w), 1, 1, std::string(1000, 's'), 100 * S), 0); }),
                  "over_quota");
    EXPECT_EQ(s.bytes_of(big), per * 10);
    EXPECT_EQ(s.stats().rejects["over_quota"], 50u);
    check_invariants(s);
}

TEST(Store, OneWriterAndOneOwnerAreCapped) {
    const std::size_t per = 100 + 2 + kRecordOverhead;
    Limits lim;
    lim.quota_bytes = per * 100;
    lim.writer_bytes = per * 3;
    lim.owner_bytes = per * 5;
    Store s(lim);
    for (int i = 0; i < 3; ++i) ASSERT_EQ(s.put(rec(id(1), id(7), i, 1, std::string(100, 'a'), 10 * S), 0), PutOutcome::stored);
    EXPECT_EQ(code_of([&] { s.put(rec(id(1), id(7), 9, 1, std::string(100, 'a'), 10 * S), 0); }), "over_quota");
    // Two writers of one owner share the owner's cap.
    auto owned = [&](Id w, std::uint64_t vid) {
        Record r = rec(id(2), w, vid, 1, std::string(100 - 32, 'o'), 10 * S);
        r.owner = std::string(32, 'K');
        return r;
    };
    for (int i = 0; i < 3; ++i) ASSERT_EQ(s.put(owned(id(8), i), 0), PutOutcome::stored);
    for (int i = 0; i < 2; ++i) ASSERT_EQ(s.put(owned(id(9), i), 0), PutOutcome::stored);
    EXPECT_EQ(code_of([&] { s.put(owned(id(9), 2), 0); }), "over_quota");
    check_invariants(s);
}

TEST(Store, AnOwnedValueIsReplacedOnlyByItsOwner) {
    Store s;
    Record r = rec(id(1), id(5), 1, 1, "mine", 10 * S);
    r.owner = std::string(32, 'A');
    s.put(r, 0);
    Record forged = r;
    forged.seq = 2;
    forged.value = "theirs";
    forged.owner = std::string(32, 'B');
    EXPECT_EQ(code_of([&] { s.put(forged, 0); }), "forbidden");
    forged.owner.clear();
    EXPECT_EQ(code_of([&] { s.put(forged, 0); }), "forbidden");
    forged.tombstone = true;
    EXPECT_EQ(code_of([&] { s.put(forged, 0); }), "forbidden");
    EXPECT_EQ(s.get(id(1), 0).values.at(0).value, "mine");
    forged.owner = r.owner;
    forged.tombstone = false;
    EXPECT_EQ(s.put(forged, 0), PutOutcome::replaced);
}

TEST(Store, SoleWriterIsRefusedWhenFull) {
    Limits lim;
    lim.quota_bytes = 3 * (10 + 2 + kRecordOverhead);
    lim.writer_bytes = lim.owner_bytes = lim.quota_bytes;
    Store s(lim);
    for (int i = 0; i < 3; ++i) s.put(rec(id(1), id(5), i, 1, std::string(10, 'x'), 10 * S), 0);
    EXPECT_EQ(code_of([&] { s.put(rec(id(1), id(5), 9, 1, std::string(10, 'x'), 10 * S), 0); }), "over_quota");
    // Replacing a value by one of the same size needs no room.
    EXPECT_EQ(s.put(rec(id(1), id(5), 0, 2, std::string(10, 'y'), 10 * S), 0), PutOutcome::replaced);
    // A larger replacement does.
    EXPECT_EQ(code_of([&] { s.put(rec(id(1), id(5), 0, 3, std::string(11, 'y'), 10 * S), 0); }), "over_quota");
    check_invariants(s);
}

TEST(Store, ExpiredRecordsArePurgedBeforeRefusingAndStillReported) {
    Limits lim;
    lim.quota_bytes = 2 * (10 + 2 + kRecordOverhead);
    lim.writer_bytes = lim.owner_bytes = lim.quota_bytes;
    Store s(lim);
    s.put(rec(id(1), id(5), 1, 1, std::string(10, 'a'), 5 * S), 0);
    s.put(rec(id(1), id(5), 2, 1, std::string(10, 'b'), 50 * S), 0);
    // At 6 s the first has expired, so even the same writer fits.
    EXPECT_EQ(s.put(rec(id(1), id(5), 3, 1, std::string(10, 'c'), 50 * S), 6 * S), PutOutcome::stored);
    EXPECT_EQ(s.next_expiry(), 5 * S);  // an event is waiting
    auto ev = s.expire(6 * S);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].vid, 1u);
    check_invariants(s);
}

TEST(Store, PerKeyValueLimitTakesNoSlotFromOthers) {
    Limits lim;
    lim.max_values_per_key = 8;
    Store s(lim);
    // One writer gets a quarter of the key's slots.
    for (int i = 0; i < 2; ++i) s.put(rec(id(1), id(5), i, 1, "a", (10 + i) * S), 0);
    EXPECT_EQ(code_of([&] { s.put(rec(id(1), id(5), 9, 1, "a", 10 * S), 0); }), "over_quota");
    for (int w = 6; w < 9; ++w)
        for (int i = 0; i < 2; ++i) s.put(rec(id(1), id(w), i, 1, "b", 10 * S), 0);
    // Full: another writer is refused, nobody's value goes.
    EXPECT_EQ(code_of([&] { s.put(rec(id(1), id(20), 1, 1, "c", 10 * S), 0); }), "over_quota");
    EXPECT_EQ(s.get(id(1), 0, "", 10).values.size(), 8u);
    // Another key is fine.
    EXPECT_EQ(s.put(rec(id(2), id(20), 9, 1, "a", 10 * S), 0), PutOutcome::stored);
    check_invariants(s);
}

TEST(Store, RemoveNeedsTheSecret) {
    Store s;
    Record a = rec(id(1), id(5), 1, 1, "a", 100 * S);
    a.remove_hash = remove_hash_of("open sesame");
    Record b = rec(id(1), id(6), 1, 1, "b", 100 * S);
    b.remove_hash = remove_hash_of("other");
    Record c = rec(id(1), id(7), 1, 1, "c", 100 * S);  // not removable
    s.put(a, 0);
    s.put(b, 0);
    s.put(c, 0);
    EXPECT_EQ(code_of([&] { s.remove(id(1), "wrong", 0); }), "forbidden");
    EXPECT_EQ(s.get(id(1), 0).values.size(), 3u);
    EXPECT_EQ(s.remove(id(1), "open sesame", 0), 1u);
    auto vals = s.get(id(1), 0).values;
    ASSERT_EQ(vals.size(), 2u);
    EXPECT_EQ(vals[0].value, "b");
    // Removing again: a is gone, b and c do not match.
    EXPECT_EQ(code_of([&] { s.remove(id(1), "open sesame", 0); }), "forbidden");
    EXPECT_EQ(s.remove(id(2), "anything", 0), 0u);  // no such key
    // The tombstone is still there for hand-over, without its bytes.
    auto all = s.records(id(1));
    ASSERT_EQ(all.size(), 3u);
    EXPECT_TRUE(all[0].tombstone);
    EXPECT_TRUE(all[0].value.empty());
    EXPECT_EQ(all[0].expires_us, 100 * S);
    EXPECT_EQ(s.stats().removed, 1u);
    EXPECT_EQ(s.stats().rejects["forbidden"], 2u);
    check_invariants(s);
}

TEST(Store, RemoveOnlyTombstonesLeftIsNotFound) {
    Store s;
    Record a = rec(id(1), id(5), 1, 1, "a", 100 * S);
    a.remove_hash = remove_hash_of("k");
    s.put(a, 0);
    EXPECT_EQ(s.remove(id(1), "k", 0), 1u);
    EXPECT_EQ(s.remove(id(1), "k", 0), 0u);
}

TEST(Store, TombstonePreventsResurrection) {
    Store s;
    Record a = rec(id(1), id(5), 1, 4, "a", 100 * S);
    a.remove_hash = remove_hash_of("k");
    s.put(a, 0);
    ASSERT_EQ(s.remove(id(1), "k", 0), 1u);
    // A replica re-delivers the old copy, or an even older one.
    EXPECT_EQ(s.put(a, S), PutOutcome::stale);
    Record older = a;
    older.seq = 3;
    EXPECT_EQ(s.put(older, S), PutOutcome::stale);
    EXPECT_TRUE(s.get(id(1), S).values.empty());
    // The writer deliberately writes a newer version: live again.
    Record newer = a;
    newer.seq = 5;
    newer.value = "back";
    EXPECT_EQ(s.put(newer, S), PutOutcome::replaced);
    ASSERT_EQ(s.get(id(1), S).values.size(), 1u);
    check_invariants(s);
}

TEST(Store, ArrivingTombstoneBeatsTheSameVersion) {
    Store s;
    Record a = rec(id(1), id(5), 1, 4, "a", 100 * S);
    s.put(a, 0);
    Record t = a;
    t.tombstone = true;
    t.value = "ignored";
    EXPECT_EQ(s.put(t, 0), PutOutcome::replaced);
    EXPECT_TRUE(s.get(id(1), 0).values.empty());
    EXPECT_TRUE(s.records(id(1))[0].value.empty());
    // A tombstone for a value never seen here is kept as well.
    Record t2 = rec(id(2), id(5), 1, 1, "", 100 * S);
    t2.tombstone = true;
    EXPECT_EQ(s.put(t2, 0), PutOutcome::stored);
    Record late = rec(id(2), id(5), 1, 1, "late copy", 100 * S);
    EXPECT_EQ(s.put(late, 0), PutOutcome::stale);
    check_invariants(s);
}

TEST(Store, TombstonesExpireSilently) {
    Store s;
    Record a = rec(id(1), id(5), 1, 1, "a", 10 * S);
    a.remove_hash = remove_hash_of("k");
    s.put(a, 0);
    s.remove(id(1), "k", 0);
    EXPECT_EQ(s.next_expiry(), 10 * S);
    EXPECT_TRUE(s.expire(10 * S).empty());
    EXPECT_EQ(s.size(), 0u);
    EXPECT_FALSE(s.contains(id(1)));
}

TEST(Store, KeysIntrospection) {
    Store s;
    s.put(rec(id(1), id(5), 1, 1, "abc", 10 * S), 0);
    s.put(rec(id(1), id(6), 1, 1, "de", 4 * S), 0);
    s.put(rec(id(2), id(5), 1, 1, "f", 20 * S), 0);
    s.put(rec(id(3), id(5), 1, 1, "g", 1 * S), 0);
    auto ks = s.keys(2 * S);  // key 3 has expired
    ASSERT_EQ(ks.size(), 2u);
    EXPECT_EQ(ks[0].key, id(1));
    EXPECT_EQ(ks[0].values, 2u);
    EXPECT_EQ(ks[0].bytes, 5u);
    EXPECT_EQ(ks[0].min_ttl_us, 2 * S);
    EXPECT_EQ(ks[1].key, id(2));
    EXPECT_EQ(ks[1].min_ttl_us, 18 * S);
    auto tail = s.keys(2 * S, id(1), 10);
    ASSERT_EQ(tail.size(), 1u);
    EXPECT_EQ(tail[0].key, id(2));
    EXPECT_EQ(s.keys(0, std::nullopt, 1).size(), 1u);
}

// dht.keys is open to any local user: a huge limit must not make one call
// list the whole store; paging with `after` reaches every key.
TEST(Store, KeysPagesAreBounded) {
    Store s;
    const std::size_t n = kMaxKeysPage + 5;
    for (std::uint64_t i = 1; i <= n; ++i) s.put(rec(id(i), id(5), 1, 1, "v", 10 * S), 0);
    auto first = s.keys(0, std::nullopt, SIZE_MAX);
    ASSERT_EQ(first.size(), kMaxKeysPage);
    EXPECT_EQ(s.keys(0).size(), kMaxKeysPage);
    auto rest = s.keys(0, first.back().key, SIZE_MAX);
    ASSERT_EQ(rest.size(), 5u);
    EXPECT_EQ(rest.back().key, id(n));
}

TEST(Store, DropKeyForgetsEverything) {
    Store s;
    s.put(rec(id(1), id(5), 1, 1, "abc", 10 * S), 0);
    s.put(rec(id(1), id(6), 1, 1, "de", 10 * S), 0);
    s.put(rec(id(2), id(6), 1, 1, "x", 10 * S), 0);
    EXPECT_EQ(s.drop_key(id(1)), 2u);
    EXPECT_EQ(s.drop_key(id(1)), 0u);
    EXPECT_EQ(s.key_ids(), std::vector<Id>{id(2)});
    EXPECT_TRUE(s.expire(100 * S).size() == 1u);  // no events for dropped keys
    check_invariants(s);
}

TEST(Store, PendingEventsAreBounded) {
    Limits lim;
    lim.quota_bytes = 10 * (1 + 2 + kRecordOverhead);
    lim.writer_bytes = lim.owner_bytes = lim.quota_bytes;
    lim.max_pending_events = 3;
    Store s(lim);
    std::int64_t now = 0;
    for (int round = 0; round < 5; ++round) {
        for (int i = 0; i < 10; ++i) s.put(rec(id(i), id(5), round, 1, "x", now + S), now);
        now += 2 * S;  // all expire; the next round's puts purge them
    }
    auto ev = s.expire(0);
    EXPECT_EQ(ev.size(), 3u);
    EXPECT_GT(s.stats().events_dropped, 0u);
}

TEST(Store, RandomOperationsKeepTheAccountingExact) {
    Limits lim;
    lim.quota_bytes = 40'000;
    lim.max_values_per_key = 8;
    lim.max_value = 2000;
    Store s(lim);
    std::mt19937_64 rng(7);
    std::int64_t now = 0;
    std::size_t accepted = 0, refused = 0;
    for (int i = 0; i < 20000; ++i) {
        now += static_cast<std::int64_t>(rng() % 1000);
        int op = static_cast<int>(rng() % 10);
        Id key = id(rng() % 20);
        if (op < 7) {
            Record r = rec(key, id(rng() % 6), rng() % 10, rng() % 5, std::string(rng() % 2100, 'v'),
                           now + static_cast<std::int64_t>(rng() % (3 * S)) - S / 4);
            if (rng() % 3 == 0) r.remove_hash = remove_hash_of("s" + std::to_string(rng() % 2));
            if (rng() % 20 == 0) r.tombstone = true;
            try {
                s.put(r, now);
                ++accepted;
            } catch (const Error& e) {
                ++refused;
                EXPECT_TRUE(e.code == "over_quota" || e.code == "too_large" || e.code == "bad_ttl") << e.code;
            }
        } else if (op < 8) {
            try {
                s.remove(key, "s" + std::to_string(rng() % 2), now);
            } catch (const Error& e) {
                EXPECT_EQ(e.code, "forbidden");
            }
        } else if (op < 9) {
            for (auto& r : s.expire(now)) EXPECT_LE(r.expires_us, now);
        } else {
            auto page = s.get(key, now, "", 100);
            EXPECT_LE(page.values.size(), lim.max_values_per_key);
            for (auto& r : page.values) EXPECT_GT(r.expires_us, now);
        }
        if (i % 500 == 0) check_invariants(s);
    }
    check_invariants(s);
    EXPECT_GT(accepted, 1000u);
    EXPECT_GT(refused, 100u);
}

TEST(Store, AnExpiredVersionDoesNotMakeANewPutStale) {
    Store s;
    s.put(rec(id(1), id(5), 1, 9, "old", 10 * S), 0);
    // The writer restarted its counter; the old version expired at 10 s but
    // expire() has not run yet.
    EXPECT_EQ(s.put(rec(id(1), id(5), 1, 1, "new", 30 * S), 10 * S), PutOutcome::stored);
    EXPECT_EQ(s.get(id(1), 10 * S).values.at(0).value, "new");
    auto ev = s.expire(10 * S);
    ASSERT_EQ(ev.size(), 1u);
    EXPECT_EQ(ev[0].value, "old");
    check_invariants(s);
}
