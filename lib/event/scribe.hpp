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
// Join, Publish or Fetch is delivered to it, or the replica set names it
// first) carries on from it: the numbering neither restarts nor loses the
// buffer. The other replicas hand their copies to a new root, which takes
// in messages it lacks until it numbers one itself (one replica's ack was
// enough, and it may not be the one that took over).
//
// Details the daemon sees: the root sends Data down in seq order, each
// once a replica holds it; one still unacknowledged after
// publish_timeout_us goes down all the same (holding it would stall the
// topic) and its publisher, unanswered, gets PublishFailed "timeout". The
// publishing node resends an unanswered Publish every fetch_timeout_us with
// the same token. Tokens start at a random point, so a restarted node's
// tokens do not match its predecessor's at the root. Messages a core sends
// itself are handled inside it, never as SendTo.
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

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
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
    std::string code;                           // empty, or "timeout": the root never answered
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
    // O(1): it may be earlier than needed (a deadline since met or dropped),
    // never later; a tick that finds nothing due only computes it anew.
    std::int64_t next_deadline() const { return std::min(next_beat_, soonest_); }

    // ---- local API (event.* methods) -------------------------------------
    // Local subscribers are counted per topic: the node joins the tree on the
    // first and leaves it after the last unsubscribe. Throws
    // Error("invalid_params"/"over_quota") on a bad name or too many topics.
    void subscribe(const std::string& topic, std::int64_t now, std::vector<Effect>& out);
    void unsubscribe(const std::string& topic, std::int64_t now, std::vector<Effect>& out);
    // Returns a token; its outcome comes as Published or PublishFailed.
    // Throws Error("too_large") for a payload over max_payload.
    // When this node is the topic's settled root and sr-dhtd's replica set
    // has named it first since the last leaf-set change, the publish is
    // numbered here at once instead of being routed to itself.
    std::uint64_t publish(const std::string& topic, std::string payload, bool retain, std::int64_t now,
                          std::int64_t wall_us, std::vector<Effect>& out);
    // Messages from seq `from` on, as the root still buffers them; from 0
    // asks for the retained message alone (a subscriber starting from now).
    // The outcome comes as Fetched; a reply may stop short of last_seq (its
    // size is bounded): fetch again from where it stopped.
    std::uint64_t fetch(const std::string& topic, std::uint64_t from, std::int64_t now, std::vector<Effect>& out);

    // ---- across a clean restart --------------------------------------------
    // The root state this node holds (as root or replica), to be written on
    // a clean stop and handed to restore_roots() by the next start, so that
    // a whole overlay restarted at once still carries its numbering on.
    std::string save_roots() const;
    // Takes the state save_roots() wrote as replica copies (a node that is
    // the root again takes over from them and its replicas as after any
    // takeover) and asks sr-dhtd for each key's replica set. Returns the
    // number of topics; throws DecodeError on bytes it did not write.
    std::size_t root_count() const { return roots_.size(); }
    std::size_t restore_roots(std::string_view saved, std::int64_t now, std::int64_t wall_us, std::vector<Effect>& out);

    // ---- introspection ---------------------------------------------------
    TreeInfo tree(const std::string& topic) const;
    std::vector<TopicInfo> topics() const;
    std::size_t topic_count() const;  // topics this node is in the tree of or roots
    const std::map<std::string, std::uint64_t>& counters() const { return counters_; }

  private:
    struct Child {
        NodeHandle node;
        std::int64_t refreshed = 0;
    };
    // A gap being fetched from the root for local delivery.
    struct Repair {
        std::uint64_t id = 0;
        std::uint64_t to = 0;  // the last seq known to exist
        int attempts = 0;
        std::int64_t deadline = 0;
    };
    // A topic this node is in the tree of: as subscriber, forwarder or root.
    struct Topic {
        std::string name;
        Id key;
        std::size_t subscribers = 0;
        std::optional<NodeHandle> parent;
        std::int64_t parent_heard = 0;
        std::int64_t joined_at = 0;  // the last Join sent, while there is no parent
        std::map<Id, Child> children;
        std::uint64_t last_seen = 0;  // highest seq passed down or announced by the parent
        bool known = false;           // last_seen is the tree's (else nothing heard yet)
        // Local delivery, while there are subscribers. Until synced, the
        // first seq seen (or announced) sets where delivery starts.
        bool synced = false;
        std::uint64_t delivered = 0;
        std::map<std::uint64_t, Message> held;
        std::optional<Repair> repair;
    };
    struct Entry {
        Message m;
        Id publisher;
        std::uint64_t token = 0;
    };
    struct PendingPublish {
        NodeHandle publisher;
        std::uint64_t token = 0;
        std::int64_t deadline = 0;
        bool acked = false;
    };
    struct Bucket {
        double tokens = -1;  // below zero: not yet used, full
        std::int64_t at = 0;
    };
    // A key's root state, on its root (acting) and on its replicas.
    struct RootState {
        std::string topic;
        bool acting = false;
        std::uint64_t last_seq = 0;  // assigned
        std::uint64_t released = 0;  // sent down the tree: all up to it replicated (or timed out)
        std::deque<Entry> buffer;    // by seq
        // (publisher, token) -> seq of each entry in `buffer`: a publisher's
        // retry is recognised without a walk of the buffer on every publish.
        std::map<std::pair<Id, std::uint64_t>, std::uint64_t> seq_of_token;
        std::optional<Entry> retained;
        std::vector<NodeHandle> replicas;
        bool replicas_known = false;
        // Acting, and the replica set asked since the last leaf-set change
        // named this node first: publishes made here are numbered here.
        bool confirmed = false;
        std::map<std::uint64_t, PendingPublish> pending;  // by seq
        Bucket bucket;
        bool numbered = false;  // acting: numbered a publish since taking over
        std::optional<Id> root;  // replica: the root it last knew
        // Acting, but not yet heard back from a replica since taking over
        // (until settle_by): publishes and fetches wait in `deferred`.
        bool settled = true;
        std::int64_t settle_by = 0;
        std::vector<std::function<void()>> deferred;
    };
    // This node's own publish or fetch, resent until answered.
    struct Outgoing {
        std::string topic;
        Id key;
        std::string payload;  // the encoded Publish or Fetch
        int attempts = 0;
        std::int64_t retry_at = 0;
        std::int64_t deadline = 0;
    };

    // Every input sets the clock and where effects go; messages this node
    // sends itself meanwhile are handled (drain_self) before it returns.
    struct Call {
        Scribe& s;
        Call(Scribe& scribe, std::int64_t now, std::optional<std::int64_t> wall, std::vector<Effect>& out)
            : s(scribe) {
            s.now_ = now;
            if (wall) s.wall_ = *wall;
            s.out_ = &out;
        }
        ~Call() { s.out_ = nullptr; }
        Call(const Call&) = delete;
        Call& operator=(const Call&) = delete;
    };
    void handle_direct(const std::string& payload, const NodeHandle& origin);
    void send(const NodeHandle& to, const std::string& payload);
    void drain_self();
    void emit(Effect e) { out_->push_back(std::move(e)); }
    // Every deadline set goes through due(); tick() computes the earliest
    // exactly (scan_deadlines, a walk of every topic), so that an input
    // costs no walk of them all.
    void due(std::int64_t at) { soonest_ = std::min(soonest_, at); }
    std::int64_t scan_deadlines() const;
    void count(const char* name, std::uint64_t n = 1) { counters_[name] += n; }

    // tree (scribe_tree.cpp)
    bool is_root(const Id& key) const;
    std::optional<std::uint64_t> known_last(const Topic& t) const;
    void learn_known(Topic& t, std::optional<std::uint64_t> last);
    ForwardDecision join_passing(const std::string& topic, const NodeHandle& child, bool at_root);
    void send_join(Topic& t);
    void lose_parent(Topic& t);
    void prune_if_empty(const std::string& topic);
    void beat();
    void on_join_ack(const std::string& topic, std::optional<std::uint64_t> last_seq, const NodeHandle& from);
    void on_leave(const std::string& topic, const NodeHandle& from);
    void on_heartbeat(const std::vector<std::pair<std::string, std::optional<std::uint64_t>>>& topics,
                      const NodeHandle& from);
    void on_refresh(const std::vector<std::string>& topics, const NodeHandle& from);
    void on_reject(const std::vector<std::string>& topics, const NodeHandle& from);
    void on_data(const std::string& topic, std::uint64_t seq, std::int64_t time_us, const std::string& payload,
                 const NodeHandle& from);

    // root (scribe_root.cpp)
    RootState* become_root(const Id& key, const std::string& topic);  // null: too many topics
    void take_over(RootState& r);
    void demote(RootState& r);
    void root_publish(const Id& key, const std::string& topic, const NodeHandle& publisher, std::uint64_t token,
                      std::string payload, bool retain);
    void root_fetch(const Id& key, const std::string& topic, const NodeHandle& requester, std::uint64_t id,
                    std::uint64_t from, std::uint64_t to, bool retained);
    void release(RootState& r);
    void disseminate(const Message& m);
    void full_sync(const RootState& r, const NodeHandle& to);
    // r's whole state as RootSync messages, each within the wire's bounds.
    std::vector<std::string> sync_batches(const RootState& r) const;
    void settle(RootState& r);
    static constexpr std::size_t kMaxDeferred = 256;  // publishes and fetches waiting for a root to settle
    void adopt_replica(RootState& r, std::uint64_t last_seq, std::vector<Entry> entries, std::optional<Entry> retained);
    // Messages and a retained one from another copy of r's state, each taken
    // in when r lacks it (by seq), then the buffer trimmed.
    void merge_copies(RootState& r, std::vector<Entry> entries, std::optional<Entry> retained);
    void trim(RootState& r);
    void pop_oldest(RootState& r);
    bool take(Bucket& b, double rate, double burst);
    void on_root_sync(const std::string& topic, std::uint64_t last_seq, std::vector<Entry> entries,
                      std::optional<Entry> retained, const NodeHandle& from);
    void on_root_sync_ack(const std::string& topic, std::uint64_t first, std::uint64_t last, const NodeHandle& from);

    // delivery (scribe_delivery.cpp)
    void accept(Topic& t, Message m);
    void learn_last(Topic& t, std::uint64_t last);
    void gap_to(Topic& t, std::uint64_t upto);
    void drain_held(Topic& t);
    void send_fetch(Topic& t);
    bool repair_done(Topic& t);
    void repair_timeout(Topic& t);
    void on_fetch_reply(const std::string& topic, std::uint64_t id, std::uint64_t last_seq,
                        std::optional<std::pair<std::uint64_t, std::uint64_t>> gap, std::vector<Message> items,
                        std::optional<Message> retained);
    void retry_outgoing();

    NodeHandle self_;
    Limits limits_;
    std::map<std::string, std::uint64_t> counters_;

    std::int64_t now_ = 0, wall_ = 0;
    std::vector<Effect>* out_ = nullptr;
    std::deque<std::string> to_self_;  // messages this node sends itself, handled before an input returns
    bool draining_ = false;

    std::map<std::string, Topic> topics_;
    std::map<Id, RootState> roots_;
    std::map<Id, Bucket> publisher_buckets_;
    std::map<std::uint64_t, Outgoing> publishes_;  // by token
    std::map<std::uint64_t, Outgoing> fetches_;    // by token, which is also the Fetch id
    std::uint64_t next_token_;
    std::int64_t next_beat_ = 0;
    std::int64_t soonest_ = 0;  // no later than every deadline but the heartbeat's
};

}  // namespace sr::event
