// Scribe's overlay messages: the payloads sr-eventd hands to dht.route and
// dht.send, and gets back from app.forward, app.deliver and app.receive.
//
// Each message is a msgpack array whose first element is its type number.
// A node handle is [id as a 16-byte bin, address string]. Routed to a
// topic's key: Join, Publish, Fetch. Sent straight to a node: the rest.
//
//   Join         a node wants into the tree; `child` is the node the next
//                hop up adopts (rewritten at every node that grafts itself)
//   JoinAck      the adopting parent's answer, with the last seq it knows
//                of (nil: it knows none yet; 0: there is none)
//   Leave        the sender drops out of the topic's tree under the receiver
//   Publish      a message for the root to number; (publisher, token) names
//                it, so a retry is numbered once
//   PublishAck   the root's answer once a replica holds the message
//   PublishNack  the root's refusal (over_quota, too_large)
//   Data         a numbered message travelling down the tree
//   Heartbeat    parent to child, once per interval: the topics they share
//                with the last seq of each
//   Refresh      child to parent, once per interval: the topics they share
//   Reject       answer to a Heartbeat, Refresh or Data for topics where the
//                sender is not the receiver's parent or child: a child
//                re-joins, a parent drops the child
//   Fetch        asks the root for seqs [from, to] (and the retained
//                message), answered to `requester` with FetchReply
//   FetchReply   the messages the root still has from `from` on, in order
//                and contiguous, after `gap`, the range it no longer has
//   RootSync     root state pushed to a replica: last seq, buffered messages
//                with their publisher and token, the retained message
//   RootSyncAck  the replica holds seqs [first, last] of that RootSync
//
// Decoders validate every field, bound every length and throw DecodeError.
// Lists of topics carry at most kMaxTopicsPerMessage names (senders split
// longer ones), so a message fits one overlay frame.
#pragma once

#include "event/scribe.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sr::event::wire {

inline constexpr std::size_t kMaxTopicName = 256;
inline constexpr std::size_t kMaxPayload = 64 << 10;
inline constexpr std::size_t kMaxAddr = 255;
inline constexpr std::size_t kMaxCode = 64;
inline constexpr std::size_t kMaxText = 1024;
inline constexpr std::size_t kMaxTopicsPerMessage = 512;
// FetchReply and RootSync carry messages up to about this many payload
// bytes (a single message may take it over), under dhtd's 192 KiB payload.
inline constexpr std::size_t kMaxBatchBytes = 128 << 10;
inline constexpr std::size_t kMaxMessagesPerBatch = 1024;

// A numbered message as FetchReply carries it.
struct Item {
    std::uint64_t seq = 0;
    std::int64_t time_us = 0;
    std::string payload;
    bool operator==(const Item&) const = default;
};

// A buffered message as RootSync carries it: with who published it.
struct SyncEntry {
    std::uint64_t seq = 0;
    std::int64_t time_us = 0;
    Id publisher;
    std::uint64_t token = 0;
    std::string payload;
    bool operator==(const SyncEntry&) const = default;
};

struct Join {
    std::string topic;
    NodeHandle child;
    bool operator==(const Join&) const = default;
};
struct JoinAck {
    std::string topic;
    std::optional<std::uint64_t> last_seq;
    bool operator==(const JoinAck&) const = default;
};
struct Leave {
    std::string topic;
    bool operator==(const Leave&) const = default;
};
struct Publish {
    std::string topic;
    NodeHandle publisher;
    std::uint64_t token = 0;
    std::string payload;
    bool retain = false;
    bool operator==(const Publish&) const = default;
};
struct PublishAck {
    std::string topic;
    std::uint64_t token = 0;
    std::uint64_t seq = 0;
    bool operator==(const PublishAck&) const = default;
};
struct PublishNack {
    std::string topic;
    std::uint64_t token = 0;
    std::string code;
    std::string message;
    bool operator==(const PublishNack&) const = default;
};
struct Data {
    std::string topic;
    Item item;
    bool operator==(const Data&) const = default;
};
struct Heartbeat {
    std::vector<std::pair<std::string, std::optional<std::uint64_t>>> topics;  // topic, last seq as in JoinAck
    bool operator==(const Heartbeat&) const = default;
};
struct Refresh {
    std::vector<std::string> topics;
    bool operator==(const Refresh&) const = default;
};
struct Reject {
    std::vector<std::string> topics;
    bool operator==(const Reject&) const = default;
};
struct Fetch {
    std::string topic;
    NodeHandle requester;
    std::uint64_t id = 0;
    std::uint64_t from = 0, to = 0;
    bool retained = false;  // the retained message too
    bool operator==(const Fetch&) const = default;
};
struct FetchReply {
    std::string topic;
    std::uint64_t id = 0;
    std::uint64_t last_seq = 0;  // the last seq the root has released to the tree
    std::optional<std::pair<std::uint64_t, std::uint64_t>> gap;
    std::vector<Item> items;
    std::optional<Item> retained;
    bool operator==(const FetchReply&) const = default;
};
struct RootSync {
    std::string topic;
    std::uint64_t last_seq = 0;
    std::vector<SyncEntry> entries;
    std::optional<SyncEntry> retained;
    bool operator==(const RootSync&) const = default;
};
struct RootSyncAck {
    std::string topic;
    std::uint64_t first = 0, last = 0;  // 0, 0: it held no message
    bool operator==(const RootSyncAck&) const = default;
};

using ScribeMessage = std::variant<Join, JoinAck, Leave, Publish, PublishAck, PublishNack, Data, Heartbeat, Refresh,
                                   Reject, Fetch, FetchReply, RootSync, RootSyncAck>;

std::string encode(const ScribeMessage& m);
ScribeMessage decode(std::string_view bytes);

}  // namespace sr::event::wire
