// The DHT's overlay messages and the envelope shared with Pastry's.
//
// Every overlay frame payload starts with one byte naming its family:
// 'P' a Pastry maintenance message (pastry_wire), 'D' a DHT message below.
// DHT messages are msgpack arrays whose first element is the type:
//
//   Routed     travels hop by hop to the root of `key`: a DHT operation
//              (put, get, remove, trace, listen) or an application's
//              message (op app), with its origin so the root can answer
//              directly, and the hops so far when tracing.
//   Reply      the root's answer to a Routed request, sent straight to the
//              origin: an error code or a result map (the same map the
//              origin returns to its RPC client).
//   Replicate  records pushed to a replica (after a put, a remove, or a
//              leaf-set change); acknowledged with ReplicateAck when req != 0.
//   Event      a listen notification from the root to a subscriber's node.
//   Direct     an application's message sent straight to one node
//              (dht.send), not routed; `to` is the node id the sender
//              meant, so a node that now answers at that address under
//              another id drops it.
//
// Decoders validate every field and throw DecodeError.
#pragma once

#include "core/id.hpp"
#include "core/value.hpp"
#include "dht/pastry_types.hpp"
#include "dht/store.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

namespace sr::dht {

inline constexpr char kFamilyPastry = 'P';
inline constexpr char kFamilyDht = 'D';
inline constexpr std::size_t kMaxPathHops = 64;

using Peer = pastry::NodeRef;

enum class Op : std::uint8_t { put = 1, get = 2, remove = 3, trace = 4, listen = 5, app = 6 };

struct Routed {
    Id key;
    Peer origin;
    std::uint64_t req = 0;  // origin's request id; 0 = no reply wanted
    Op op = Op::get;
    std::string app;        // op app: the application's name
    std::uint8_t hops = 0;
    bool tracing = false;
    std::vector<Peer> path;  // when tracing: every node passed so far
    Value body;              // op-specific fields (records as bin via record_wire)
};

struct Reply {
    std::uint64_t req = 0;
    std::string error_code;  // empty: success
    std::string error_message;
    Value result;
};

struct Replicate {
    Peer from;
    std::uint64_t req = 0;  // 0: no ack wanted
    std::vector<Record> records;
};

struct ReplicateAck {
    Peer from;
    std::uint64_t req = 0;
    std::uint32_t stored = 0;
};

struct Event {
    std::uint64_t listen_id = 0;
    Id key;
    bool expired = false;
    Record record;
};

struct Direct {
    Peer from;
    Id to;
    std::string app;
    std::string payload;
};

// An application message's payload (dht.route, dht.send) fits one overlay
// frame (256 KiB) with its envelope.
inline constexpr std::size_t kMaxAppPayload = 192 << 10;

using DhtMessage = std::variant<Routed, Reply, Replicate, ReplicateAck, Event, Direct>;

// Full frame payloads, family byte included.
std::string encode_dht(const DhtMessage& m, std::int64_t now);
DhtMessage decode_dht(std::string_view payload, std::int64_t now);  // payload after the family byte

// Replicate messages must fit one overlay frame (TransportConfig::max_frame,
// 256 KiB): a bigger one is dropped whole by the sender. Their records take
// at most kMaxReplicateBytes of encoding together (the rest of the frame is
// the envelope: the sender's id and address, a request id), and at most
// kMaxReplicateRecords of them, well under what a receiver decodes.
inline constexpr std::size_t kMaxReplicateBytes = 192 << 10;
inline constexpr std::size_t kMaxReplicateRecords = 1024;

// Cuts a stream of records into Replicate batches by their exact overlay
// encoding (pack_record), not an estimate: a signed tombstone, with its key,
// signature, digest and a removal secret of up to 256 bytes, encodes to
// several hundred bytes although its value is empty. A record is sized at
// the `now` given; a later send encodes a smaller remaining TTL, never more
// bytes. A single record over max_bytes (it cannot be: a value is at most
// 64 KiB) would go in a batch of its own.
class ReplicateBatcher {
  public:
    using Emit = std::function<void(std::vector<Record>)>;
    ReplicateBatcher(std::int64_t now, Emit emit, std::size_t max_bytes = kMaxReplicateBytes,
                     std::size_t max_records = kMaxReplicateRecords)
        : now_(now), emit_(std::move(emit)), max_bytes_(max_bytes), max_records_(max_records) {}
    // Emits the current batch first when r would take it over a limit.
    void add(Record r);
    // Emits what is left, if anything.
    void flush();

  private:
    std::int64_t now_;
    Emit emit_;
    std::size_t max_bytes_, max_records_;
    std::vector<Record> batch_;
    std::size_t bytes_ = 0;
};

}  // namespace sr::dht
