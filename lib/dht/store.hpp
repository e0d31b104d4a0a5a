// DHT value store of sr-dhtd: records, TTL, quotas per writer and per
// writing node, removal by secret with tombstones (DESIGN §6).
//
// What. A sans-IO container of DHT records. It never reads a clock: every
// call takes `now`, microseconds of the daemon's monotonic clock, and every
// expiry is absolute in that clock. Records from other nodes arrive with a
// remaining TTL (record_wire.hpp) and are converted at the boundary.
//
// Identity and versions. A value is identified by (key, writer, vid). The
// writer is not chosen by the caller: the node that takes a put stamps
// writer = writer_id(its Ed25519 public key, the caller's uid) (writer.hpp),
// and the root checks it (node.cpp), so a vid names a value only within its
// writer and nobody else can address it. A put for an existing identity
// replaces it when it is newer: higher seq, or the same seq and the newcomer
// is a tombstone (a removal of version s beats the live version s). Anything
// else is "stale" and ignored, which is what makes hand-over idempotent and
// keeps re-delivered old copies from resurrecting removed values: a removed
// value stays as a value-less tombstone until its original expiry. A record
// stamped with an owner key is replaced only by one with the same owner
// ("forbidden" otherwise): the first key that wrote a value keeps it.
//
// Data structures.
//   keys_      map key -> map (writer, vid) -> Record. Ordered, so get() pages
//              in a stable order with a cursor naming the last (writer, vid),
//              and one writer's values of a key are one range.
//   expiry_    set (expires_us, key, writer, vid): the next expiry in O(1),
//              expire() pops from the front.
//   writers_   writer -> {bytes, records}; owners_ owner key -> bytes.
// Every record is charged to its writer and its owner: value + type +
// remove_hash + the identity fields + kRecordOverhead (the index nodes), so
// tombstones are not free either.
//
// Quota. Identities are cheap (a fresh key pair, another uid), so no put
// ever evicts another writer's values: when a put would push the total past
// quota_bytes the store first purges expired records and, if that is not
// enough, refuses with "over_quota". What one writer, and one writing node
// (owner), may hold is capped (writer_bytes, owner_bytes), and so is the
// number of values one writer holds under one key (a quarter of
// max_values_per_key), so a single writer or node cannot fill the store or
// a key on its own. A flood of fresh identities can fill free room but
// never takes what others hold.
//
// Events. The store keeps no listeners; the daemon compares. expire(now)
// returns the live records that expired since the last call (including those
// a put purged early to make room, kept in a bounded queue) and drops them;
// expired tombstones go silently. next_expiry() says when to call it next.
#pragma once

#include "core/id.hpp"

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

namespace sr::dht {

inline constexpr std::size_t kMaxTypeBytes = 64;
inline constexpr std::size_t kRemoveHashBytes = 32;  // SHA-256
inline constexpr std::size_t kMaxSecretBytes = 256;  // a removal secret
inline constexpr std::size_t kMaxKeysPage = 10000;    // Store::keys, dht.keys: keys per call
inline constexpr std::size_t kOwnerBytes = 32;       // Ed25519 public key
inline constexpr std::size_t kSigBytes = 64;         // Ed25519 signature
inline constexpr std::size_t kRecordOverhead = 160;  // bytes charged per record for indexes
inline constexpr std::int64_t kUsPerSecond = 1'000'000;

struct Record {
    Id key;
    std::uint64_t vid = 0;       // chosen by the writer; (key, writer, vid) names the value
    Id writer;                   // writer_id(owner, uid) (writer.hpp); node id in records from before
    std::uint64_t seq = 0;       // higher replaces
    std::string type;            // namespace: "kv", "svc", "obj"; 1..64 printable ASCII bytes
    std::string value;           // bytes; empty in a tombstone
    std::int64_t expires_us = 0; // absolute, in the store's monotonic clock
    std::string remove_hash;     // SHA-256(secret) (32 bytes), or empty = not removable
    bool tombstone = false;
    // Writer identity (writer.hpp). Empty/0 in records from before it.
    std::string owner;            // Ed25519 public key of the node that stamped the record (32 bytes)
    std::uint32_t uid = 0;        // the local user on that node who wrote it
    std::uint64_t not_after = 0;  // signed absolute expiry, wall-clock seconds
    std::string sig;              // Ed25519 signature over signed_bytes() (64 bytes)
    std::string digest;           // tombstone: SHA-256 of the value it replaced, so sig still verifies
    std::string remove_secret;    // tombstone made by remove(): the secret, proof for the replicas

    bool operator==(const Record&) const = default;
};

// SHA-256 of a removal secret, as stored in Record::remove_hash.
std::string remove_hash_of(std::string_view secret);
std::string sha256_of(std::string_view bytes);

struct Limits {
    std::size_t max_value = 65536;
    std::int64_t max_ttl_us = 7 * 24 * 3600 * kUsPerSecond;
    std::size_t quota_bytes = 64u << 20;
    std::size_t max_values_per_key = 1024;  // one writer may hold a quarter of them
    std::size_t writer_bytes = 0;  // what one writer may hold; 0: a quarter of quota_bytes
    std::size_t owner_bytes = 0;   // what one writing node may hold; 0: half of quota_bytes
    // Expired records a put purged before the daemon called expire():
    // beyond this many the oldest events are dropped (stats.events_dropped).
    std::size_t max_pending_events = 65536;
};

enum class PutOutcome { stored, replaced, stale };

struct GetPage {
    std::vector<Record> values;
    std::string next_cursor;  // empty: no more values
};

struct KeyInfo {
    Id key;
    std::size_t values = 0;     // live values
    std::size_t bytes = 0;      // their value bytes
    std::int64_t min_ttl_us = 0;  // smallest remaining TTL among them
};

struct StoreStats {
    std::size_t keys = 0;
    std::size_t values = 0;      // live records (not tombstones; may include not yet purged expired ones)
    std::size_t tombstones = 0;
    std::size_t bytes = 0;       // charged bytes, compared with quota_bytes
    std::size_t writers = 0;
    std::uint64_t puts = 0;      // accepted puts (stored + replaced)
    std::uint64_t replaced = 0;
    std::uint64_t stale = 0;
    std::uint64_t removed = 0;   // values turned into tombstones by remove()
    std::uint64_t expired = 0;   // live values dropped at expiry
    std::uint64_t events_dropped = 0;
    std::map<std::string, std::uint64_t> rejects;  // by error code
};

class Store {
public:
    explicit Store(Limits limits = {});

    const Limits& limits() const { return limits_; }
    // New limits apply to later puts; what is stored stays (SIGHUP reload).
    void set_limits(const Limits& limits) { limits_ = limits; }

    // Validates and stores r. Throws sr::Error with code
    //   "invalid"    type empty, longer than 64 bytes or not printable ASCII;
    //                remove_hash neither empty nor 32 bytes
    //   "too_large"  value longer than max_value
    //   "bad_ttl"    expires_us - now <= 0 or > max_ttl_us
    //   "over_quota" the store is full (after purging expired records), the
    //                writer or its node is at its cap, the key holds
    //                max_values_per_key values or this writer a quarter of them
    //   "forbidden"  the value is stored with another owner key
    // A tombstone's value is dropped. Stale versions are ignored (PutOutcome::stale).
    PutOutcome put(Record r, std::int64_t now);

    // Live (non-tombstone, unexpired) values of key ordered by (writer, vid),
    // at most limit (>= 1) of them from cursor ("" = from the start). The
    // cursor stays valid across puts and removals. Throws Error("invalid") on
    // a malformed cursor.
    GetPage get(const Id& key, std::int64_t now, std::string_view cursor = {}, std::size_t limit = 256) const;

    // Turns the live values of key whose remove_hash is SHA-256(secret) into
    // tombstones kept until their expiry (with the value's digest and the
    // secret as proof for the replicas); returns how many. Values whose type
    // is in deny_types are left alone (the caller may not touch them). Returns 0 when the
    // key has no live values (the caller answers not_found); throws
    // Error("forbidden") when it has some but none matches.
    std::size_t remove(const Id& key, std::string_view secret, std::int64_t now,
                       const std::set<std::string>& deny_types = {});
    // True when a put of r would be ignored as stale (the same or a newer
    // version is stored): lets the daemon skip checking a signature again.
    bool is_stale(const Record& r, std::int64_t now) const;

    // Drops the records that expired (expires_us <= now) and returns the live
    // ones among them, plus those a put purged early, oldest expiry first.
    std::vector<Record> expire(std::int64_t now);
    // When expire() next has work to do (may be in the past), or nullopt.
    std::optional<std::int64_t> next_expiry() const;

    // Per key with live values: count, value bytes, min remaining TTL. Keys in
    // order, starting after `after` when given, at most min(limit,
    // kMaxKeysPage) of them: a caller (dht.keys, open to any local user)
    // pages with `after` rather than have one call build a list of the
    // whole store.
    std::vector<KeyInfo> keys(std::int64_t now, std::optional<Id> after = std::nullopt,
                              std::size_t limit = kMaxKeysPage) const;
    StoreStats stats() const;
    // Keys with a live value, those values and their bytes: what keys() lists, in total.
    struct Totals {
        std::size_t keys = 0, values = 0, bytes = 0;
    };
    Totals live_totals(std::int64_t now) const;

    // Hand-over and persistence: everything, tombstones and not yet purged
    // expired records included.
    std::vector<Id> key_ids() const;
    std::vector<Record> records(const Id& key) const;
    void for_each(const std::function<void(const Record&)>& fn) const;
    bool contains(const Id& key) const { return keys_.count(key) != 0; }
    // True when key has a record (tombstones included) not yet expired at now.
    bool holds(const Id& key, std::int64_t now) const;
    // Forgets every record of key (after pushing it to the new replicas).
    // Returns how many were dropped. No events.
    std::size_t drop_key(const Id& key);

    std::size_t size() const { return records_; }
    std::size_t bytes() const { return bytes_; }
    std::size_t bytes_of(const Id& writer) const;
    std::size_t bytes_of_owner(const Record& r) const;
    std::size_t writer_cap() const;
    std::size_t owner_cap() const;

private:
    struct Vk {  // value identity within a key
        Id writer;
        std::uint64_t vid;
        auto operator<=>(const Vk&) const = default;
    };
    using ExpiryKey = std::tuple<std::int64_t, Id, Id, std::uint64_t>;      // expires, key, writer, vid
    struct Writer {
        std::size_t bytes = 0;
        std::size_t records = 0;
    };

    static std::size_t charge(const Record& r);
    static std::string owner_of(const Record& r);  // owner, or the writer's bytes for records without one
    void validate(Record& r, std::int64_t now);
    [[noreturn]] void reject(const std::string& code, const std::string& message);
    void insert(Record r);
    // Erases keys_[key][vk], updates every index; returns the record.
    Record erase(const Id& key, const Vk& vk);
    // Drops expired records; the live ones wait in pending_ for expire().
    void purge_expired(std::int64_t now);
    void push_pending(Record r);
    std::size_t values_of(const Id& key, const Id& writer) const;

    Limits limits_;
    std::map<Id, std::map<Vk, Record>> keys_;
    std::set<ExpiryKey> expiry_;
    std::unordered_map<Id, Writer, IdHash> writers_;
    std::unordered_map<std::string, std::size_t> owners_;  // bytes per owner_of()
    std::deque<Record> pending_;  // purged early, not yet returned by expire()
    std::size_t records_ = 0;
    std::size_t tombstones_ = 0;
    std::size_t bytes_ = 0;
    StoreStats counters_;
};

}  // namespace sr::dht
