// Scribe (Rowstron et al., 2001): topic-based publish/subscribe on a
// structured overlay, as a sans-IO core for sr-eventd.
//
// The core knows nothing of sockets or of sr-dhtd's internals. It sees the
// overlay only through the common API that sr-dhtd offers any application
// (sr-dhtd(8), sr-rpc(7)): messages routed to a key's root, with an upcall
// at every node on the way (dht.route, app.forward, app.deliver); messages
// sent straight to a node (dht.send, app.receive); a key's replica set
// (dht.replica_set); leaf-set changes (app.update). Each input takes the
// time and appends the effects it causes to `out`; sr-eventd carries them
// out. Tests drive many cores through a simulated overlay.
//
// A topic NAME has the key Id::hash("topic", NAME); its root is the
// rendezvous point.
//
// Tree. A node that wants a topic routes Join{topic, child = itself} to the
// key. Each node the Join passes (on_forward) adds the child, answers it
// with JoinAck (sent straight to the child, which takes the sender as its
// parent) and, if it was already in the tree, stops the Join; otherwise it
// goes on with `child` rewritten to itself, so the next node up adopts it.
// The root (on_deliver) does the same and ends it. A node with no local
// subscriber and no child left sends Leave to its parent and forgets the
// topic: empty branches are pruned.
//
// Liveness. Every heartbeat interval a parent sends each child one
// Heartbeat listing the topics they share with the last sequence number of
// each, and each child sends its parent one Refresh listing its topics. A
// child that hears nothing from a parent for `missed` intervals, or sees it
// leave the leaf set (on_leafset), joins again; a parent drops a child not
// refreshed for `missed` intervals or gone from the leaf set. Joins route
// around dead nodes as Pastry routes.
//
// Publishing. Publish{topic, publisher, token, payload, retain} is routed
// to the root, which assigns the next sequence number, keeps the message in
// its replay buffer (the last buffer_messages messages, none older than
// buffer_us), pushes it to the replica set (RootSync, acknowledged) and,
// once one replica holds it (or there is none), acknowledges the publisher
// (PublishAck{token, seq}) and sends Data down the tree. The root remembers
// recent (publisher, token) pairs, so a retried publish is not numbered
// twice. The root's state (last seq, buffer, retained message, recent
// tokens) lives on its replicas; a replica that becomes the key's root (a
// Join, Publish or Fetch is delivered to it) carries on from it: the
// numbering neither restarts nor loses the buffer.
//
// Delivery. Each node passes Data on to its children as it arrives and
// delivers to its own subscribers in sequence order: duplicates (seq at or
// below the last delivered) are dropped; a message ahead of the next
// expected one is held (at most reorder_max) and a Fetch for the missing
// range goes to the root, whose FetchReply carries the messages it still
// buffers and names the range it no longer has, which becomes a Gap
// effect. A Heartbeat whose last seq is ahead also triggers a Fetch, so a
// lost last message is found. Unanswered fetches are retried
// (fetch_attempts times, fetch_timeout_us apart), then reported as a Gap:
// nothing is skipped silently.
//
// Bounds. Payload at most max_payload; topics at most max_topics per node;
// children per topic at most max_children (a Join beyond it passes on up
// instead of stopping here); at the root, publishes per topic and per
// publisher node are rate limited (token buckets), answered PublishNack
// {token, code "over_quota"}. Every decoder throws DecodeError; the glue
// counts and drops what does not decode.
#pragma once

#include "core/id.hpp"

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sr::event {

// A node as sr-dhtd hands them out: {id, addr}.
struct NodeHandle {
    Id id;
    std::string addr;
    auto operator<=>(const NodeHandle&) const = default;
};

Id topic_key(std::string_view topic);  // Id::hash("topic", topic)

struct Limits {
    std::size_t max_payload = 64 << 10;
    std::size_t max_topic_name = 256;              // bytes
    std::size_t buffer_messages = 1024;            // replay buffer per topic at the root
    std::int64_t buffer_us = 600'000'000;          // and no message older than this
    std::int64_t heartbeat_us = 1'000'000;
    int missed = 3;                                // heartbeats before a parent or child counts as dead
    std::size_t reorder_max = 1024;                // messages held per topic while a gap is fetched
    std::int64_t fetch_timeout_us = 2'000'000;
    int fetch_attempts = 3;
    std::int64_t publish_timeout_us = 5'000'000;   // waiting for a replica's ack, then PublishFailed
    std::size_t max_topics = 100'000;              // topics a node takes part in
    std::size_t max_children = 256;                // per topic
    double topic_rate = 1000, topic_burst = 2000;          // publishes/s per topic at the root
    double publisher_rate = 500, publisher_burst = 1000;   // publishes/s per publisher node at the root
    int replicas = 3;                              // nodes of the replica set holding root state, root excluded
};

// One published message.
struct Message {
    std::string topic;
    std::uint64_t seq = 0;
    std::int64_t time_us = 0;  // wall clock at the root when numbered (Unix microseconds)
    std::string payload;
    bool retained = false;     // the topic's retained message, delivered ahead of live ones
};

// ---- effects -------------------------------------------------------------

struct RouteTo {  // dht.route {key, app, payload}
    Id key;
    std::string payload;
};
struct SendTo {  // dht.send {node, app, payload}
    NodeHandle to;
    std::string payload;
};
struct AskReplicaSet {  // dht.replica_set {key}; answer with on_replica_set
    Id key;
};
struct Deliver {  // to this node's subscribers of m.topic, in order
    Message m;
};
struct Gap {  // messages [from, to] of topic are lost to this node's subscribers
    std::string topic;
    std::uint64_t from = 0, to = 0;
};
struct Published {  // answer to publish(): numbered and held by the root's replicas
    std::uint64_t token = 0;
    std::string topic;
    std::uint64_t seq = 0;
};
struct PublishFailed {
    std::uint64_t token = 0;
    std::string topic;
    std::string code;  // over_quota, timeout, too_large, ...
    std::string message;
};
struct Fetched {  // answer to fetch()
    std::uint64_t token = 0;
    std::string topic;
    std::vector<Message> messages;              // in order
    std::optional<std::pair<std::uint64_t, std::uint64_t>> gap;  // asked for, no longer buffered
    std::uint64_t last_seq = 0;                 // the root's last seq when it answered
};
using Effect = std::variant<RouteTo, SendTo, AskReplicaSet, Deliver, Gap, Published, PublishFailed, Fetched>;

// What on_forward decides for a routed message passing this node.
struct ForwardDecision {
    bool drop = false;
    std::optional<std::string> payload;  // replaces the payload when set
};

struct TreeInfo {
    bool member = false;  // this node is in the topic's tree
    bool root = false;
    std::optional<NodeHandle> parent;
    std::vector<NodeHandle> children;
    std::size_t local_subscribers = 0;
    std::uint64_t last_seq = 0;  // last delivered here (root: last assigned)
};

struct TopicInfo {
    std::string topic;
    TreeInfo tree;
    std::size_t buffered = 0;  // root: messages in the replay buffer
    bool retained = false;     // root: a retained message is held
};

class Scribe {
  public:
    Scribe(NodeHandle self, Limits limits = {});

    const NodeHandle& self() const { return self_; }

    // ---- from sr-dhtd (through sr-eventd) --------------------------------
    // app.forward: a routed message passes this node towards key's root.
    ForwardDecision on_forward(const Id& key, std::string_view payload, const NodeHandle& next_hop,
                               std::int64_t now, std::int64_t wall_us, std::vector<Effect>& out);
    // app.deliver: this node is key's root.
    void on_deliver(const Id& key, std::string_view payload, const NodeHandle& origin, std::int64_t now,
                    std::int64_t wall_us, std::vector<Effect>& out);
    // app.receive: a message sent straight to this node.
    void on_receive(std::string_view payload, const NodeHandle& origin, std::int64_t now, std::int64_t wall_us,
                    std::vector<Effect>& out);
    // app.update: the leaf set changed.
    void on_leafset(const std::vector<NodeHandle>& added, const std::vector<NodeHandle>& removed, std::int64_t now,
                    std::vector<Effect>& out);
    // The answer to AskReplicaSet: nodes closest first, self among them when in range.
    void on_replica_set(const Id& key, const std::vector<NodeHandle>& nodes, std::int64_t now,
                        std::vector<Effect>& out);
    // Heartbeats, refresh, timeouts, buffer expiry. Call at next_deadline() or later.
    void tick(std::int64_t now, std::int64_t wall_us, std::vector<Effect>& out);
    std::int64_t next_deadline() const;

    // ---- local API (event.* methods) -------------------------------------
    // Local subscribers are counted per topic: the node joins the tree on the
    // first and leaves it after the last unsubscribe. Throws
    // Error("invalid_params"/"over_quota") on a bad name or too many topics.
    void subscribe(const std::string& topic, std::int64_t now, std::vector<Effect>& out);
    void unsubscribe(const std::string& topic, std::int64_t now, std::vector<Effect>& out);
    // Returns a token; its outcome comes as Published or PublishFailed.
    // Throws Error("too_large") for a payload over max_payload.
    std::uint64_t publish(const std::string& topic, std::string payload, bool retain, std::int64_t now,
                          std::vector<Effect>& out);
    // Messages from seq `from` on, as the root still buffers them (and the
    // retained one when from is 0); the outcome comes as Fetched.
    std::uint64_t fetch(const std::string& topic, std::uint64_t from, std::int64_t now, std::vector<Effect>& out);

    // ---- introspection ---------------------------------------------------
    TreeInfo tree(const std::string& topic) const;
    std::vector<TopicInfo> topics() const;
    const std::map<std::string, std::uint64_t>& counters() const { return counters_; }

  private:
    NodeHandle self_;
    Limits limits_;
    std::map<std::string, std::uint64_t> counters_;
    // The implementation's state (per-topic tree membership, root state,
    // replica copies, pending publishes and fetches, rate buckets) follows.
};

}  // namespace sr::event
