// Bytes of DHT records: the overlay form (hand-over, get replies) and the
// persistence file of a store.
//
// Overlay form: a msgpack map with named fields, so fields can be added:
//   {"key": bin16, "vid": uint, "writer": bin16, "seq": uint, "type": str(1..64),
//    "value": bin(<= 64 KiB), "ttl_ms": uint, "remove_hash": bin(0|32), "tombstone": bool,
//    and, when the record carries a writer identity (writer.hpp):
//    "owner": bin32, "uid": uint32, "not_after": uint, "sig": bin64,
//    a tombstone also "digest": bin32 and "secret": bin(<= 256)}
// Clocks differ between nodes, so the expiry travels as the remaining TTL in
// milliseconds (rounded down: a copy never outlives its original). Decoding is
// strict: every required field present exactly once with exactly its type,
// the identity fields at most once; unknown fields are ignored (forward
// compatibility, and files written before the identity fields load as
// records without an owner); anything else is a DecodeError.
//
// Persistence file (export_store/import_store), version 1:
//   {"format": "sr-dht-store", "version": 1, "wall_us": int, "count": uint,
//    "records": bin(msgpack array of record maps), "sha256": bin32}
// Record maps here carry "expires_wall_us" (absolute wall-clock µs) instead of
// "ttl_ms", so a restart a while later still expires each value on time. The
// SHA-256 over the records blob catches bit rot and partial writes; the file
// is decoded completely before anything is stored.
#pragma once

#include "dht/store.hpp"

#include <msgpack.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace sr::dht {

inline constexpr std::size_t kMaxWireValue = 65536;
inline constexpr char kStoreFormat[] = "sr-dht-store";
inline constexpr std::uint64_t kStoreVersion = 1;

// Overlay form, relative TTL.
void pack_record(msgpack::packer<msgpack::sbuffer>& pk, const Record& r, std::int64_t now);
// Throws sr::DecodeError on anything malformed. Does not apply store policy
// (max TTL, quota): Store::put does.
Record unpack_record(const msgpack::object& o, std::int64_t now);

// Convenience: one record as a standalone msgpack object / back.
std::string encode_record(const Record& r, std::int64_t now);
Record decode_record(std::string_view bytes, std::int64_t now);  // rejects trailing bytes

struct ImportResult {
    std::size_t loaded = 0;    // stored (or replaced)
    std::size_t expired = 0;   // already expired: skipped
    std::size_t stale = 0;     // an equal or newer version was already there
    std::size_t rejected = 0;  // refused by the store's limits (quota, max TTL changed, ...)
};

// Every record still alive at now_mono (tombstones included), with absolute
// wall-clock expiry.
std::string export_store(const Store& s, std::int64_t now_mono, std::int64_t now_wall_us);
// Throws sr::DecodeError on a corrupt file, leaving the store untouched.
ImportResult import_store(Store& s, std::string_view bytes, std::int64_t now_mono, std::int64_t now_wall_us);

}  // namespace sr::dht
