// Writer identity of DHT records (issue 9 §10): who may replace or remove a
// value, provable across an open overlay.
//
// Each node holds an Ed25519 key pair (OpenSSL EVP_PKEY_ED25519), kept in
// --state-dir as writer.key (PEM, mode 0600; a node without a state
// directory makes a fresh one at each start). When a local caller puts a
// value, its node stamps the record with
//   owner  = the node's public key (32 bytes),
//   uid    = the caller's uid (SO_PEERCRED),
//   writer = writer_id(owner, uid): SHA-256("sr-writer\0" | owner | be32 uid), first 16 bytes,
//   not_after = the absolute expiry in wall-clock seconds,
//   sig    = Ed25519 over signed_bytes(): key, writer, vid, seq, type,
//            SHA-256(value), not_after, remove_hash, owner, uid.
// So a value is addressed by (key, writer, vid) and the writer cannot be
// claimed by anyone without the node's private key: two local users of one
// node, or two nodes, never address each other's values (the model is
// OpenDHT's signed values, where the first key to write a value id owns it).
//
// What a node checks on a record from the overlay (check_record):
//   - always: writer == writer_id(owner, uid) when an owner is there;
//   - in an open overlay (no --overlay-key-file): the owner and signature
//     must be there and verify, not_after must lie ahead (and caps the
//     record's TTL, so an old signed copy cannot be replayed to live
//     longer), and a tombstone must carry the secret whose SHA-256 is the
//     remove_hash the writer signed (only a secret holder removes);
//   - in a keyed overlay every peer proved the overlay key, so the stamp of
//     the origin node is trusted as it is (records from before the identity
//     fields, with no owner, are accepted there too).
#pragma once

#include "dht/store.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace sr::dht {

Id writer_id(std::string_view owner, std::uint32_t uid);

// The bytes a record's signature covers.
std::string signed_bytes(const Record& r);

class WriterKey {
  public:
    // Loads path, or creates it (mode 0600) when it does not exist. Throws
    // Error("config") naming path when it is not an Ed25519 private key.
    static WriterKey load_or_create(const std::string& path);
    static WriterKey ephemeral();
    WriterKey(WriterKey&&) noexcept;
    WriterKey& operator=(WriterKey&&) noexcept;
    ~WriterKey();

    const std::string& public_key() const { return public_; }
    // Stamps r as written by local user uid on this node: owner, uid,
    // writer, not_after (from expires_wall_s), sig.
    void stamp(Record& r, std::uint32_t uid, std::uint64_t expires_wall_s) const;

  private:
    struct Pkey;
    explicit WriterKey(std::unique_ptr<Pkey> k);
    std::unique_ptr<Pkey> key_;
    std::string public_;
};

bool verify_signature(const Record& r);

// Empty when r (from another node) may be stored, else why not. In an open
// overlay it also caps r.expires_us at the signed not_after.
std::string check_record(Record& r, bool open_overlay, std::int64_t now_mono_us, std::int64_t now_wall_us);

}  // namespace sr::dht
