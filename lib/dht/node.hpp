// sr-dhtd's node: binds the Pastry core, the store and the overlay transport
// to the event loop, and carries out their effects. The only dht file with I/O.
//
// Flow of a request (DESIGN §2): an RPC method (methods.cpp) calls request(),
// which wraps the operation in a Routed message with a fresh request id and
// routes it: at every node next_hop() picks the next node, or, at the root,
// deliver() runs the operation on the local store and sends a Reply straight
// back to the origin. The origin matches the reply to its pending request
// and answers the RPC client. A request whose reply does not come within
// the timeout is sent again (the route may have changed after a failure),
// up to `attempts` times, then fails with "timeout".
//
// Replication: the root of a put pushes the record to the other k-1 nodes
// of the key's replica set and waits (briefly) for their acks, so a put
// reports how many copies exist. When the leaf set changes, plan_handover()
// says which keys move to which newcomer. Every minute each node also
// pushes the keys it is root for to their replica set (anti-entropy), so a
// missed hand-over heals.
//
// Listen (issue 9 §9): a node holds one subscription per key at the key's
// root, whatever number of local listeners share it, and hands every event
// to each of them; a local user holds at most listens_per_uid listeners. A
// root grants one subscriber node at most a fair share of a key's
// subscriptions and a bounded number in all (subscriptions.hpp), so one
// client or one node cannot take every slot of a key; refusals count as
// dht.subscriptions_refused.*.
//
// Writers (issue 9 §10, writer.hpp): the node stamps and signs what its
// local callers put with its writer key; the root and every replica check
// records from other nodes with check_record() before storing them and
// count refusals as dht.writer_refused.
//
// Applications (the common API of Dabek et al.): a local program registers
// a name on its control connection; messages routed with that name call it
// with app.forward (it may change or drop them) on the way and app.deliver at
// the root; leaf-set changes reach it as app.update notifications.
#pragma once

#include "core/loop.hpp"
#include "core/rpc.hpp"
#include "dht/dht_wire.hpp"
#include "dht/pastry.hpp"
#include "dht/proximity.hpp"
#include "dht/store.hpp"
#include "dht/subscriptions.hpp"
#include "dht/transport.hpp"
#include "dht/writer.hpp"

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

namespace sr::dht {

struct NodeConfig {
    TransportConfig transport;
    std::vector<std::string> join;  // bootstrap addresses
    pastry::Config pastry;
    Limits limits;
    int replicas = 4;  // k
    std::string state_dir;  // empty: nothing persists
    std::string proxd_socket;  // sr-proxd's socket: topological neighbour selection when it is there
    std::optional<Id> fixed_id;
    std::int64_t request_timeout_us = 1'000'000;
    int attempts = 3;
    std::int64_t replica_ack_wait_us = 300'000;
    std::int64_t listen_refresh_us = 30'000'000;
    std::int64_t snapshot_every_us = 60'000'000;
    std::int64_t anti_entropy_every_us = 60'000'000;
    // Namespaces (record types) the daemons own: a local caller may put or
    // remove values of these types only as root, as the daemon's own user,
    // or as a user named by --ns-writer NS=USER.
    std::set<std::string> owned_ns{"obj", "svc", "topic"};
    std::map<std::string, std::set<uid_t>> ns_writers;
    // dht.listen: subscriptions one local user (not root, not the daemon's
    // user) may hold on this node.
    std::size_t listens_per_uid = 256;
    // Not joined this long after start: an error in the log (and in the
    // health), once; the node keeps trying.
    std::int64_t join_warn_after_us = 60'000'000;
};

using ReplyFn = std::function<void(const Reply&)>;

class Node {
  public:
    Node(Loop& loop, NodeConfig cfg, rpc::Counters& counters);
    ~Node();

    // Loads state, binds the overlay port, starts joining. on_ready runs
    // once the node has joined (at once when it has no --join).
    void start(std::function<void()> on_ready);
    // Persists state and closes the overlay.
    void stop();
    // SIGHUP: takes the overlay key and the store limits of a freshly read
    // configuration; warns about changes that need a restart.
    void reload(const NodeConfig& fresh);

    bool joined() const { return core_ && core_->joined(); }
    // "ok"; "joining" while the first attempt is on its way; "joining: SEED:
    // what went wrong" once one has failed (sr-ctl status shows it).
    std::string health() const;
    const pastry::NodeRef& self() const { return self_; }
    pastry::Node& core() { return *core_; }
    Store& store() { return store_; }
    const NodeConfig& config() const { return cfg_; }
    const WriterKey& writer_key() const { return *writer_key_; }
    // Whether local user uid may write values of record type `type`.
    bool may_write_type(const std::string& type, uid_t uid) const;
    // Throws Error("permission") (counted as dht.ns_refused, logged) when it may not.
    void check_may_write(const std::string& type, uid_t uid, const char* what);

    // Routes an operation to the root of key and calls done with its reply.
    void request(const Id& key, Op op, Value body, ReplyFn done, bool tracing = false, std::string app = {});

    // Local subscriptions of dht.listen by local user uid: events for key go
    // to fn until the returned id is cancelled. Throws Error("over_quota")
    // when uid holds its maximum.
    std::uint64_t listen(const Id& key, uid_t uid, std::function<void(const Event&)> fn, ReplyFn first);
    void cancel_listen(std::uint64_t id);

    // Applications registered on control connections.
    void register_app(const std::string& name, std::shared_ptr<rpc::Connection> conn);
    void route_app(const std::string& app, const Id& key, const std::string& payload);
    // Sends payload straight to node `to` (common API send to a node handle):
    // its application `app` gets it as an app.receive notification.
    void send_app(const std::string& app, const pastry::NodeRef& to, const std::string& payload);

    Value info() const;
    Value counters_value() const;

  private:
    struct Pending {
        Routed msg;
        ReplyFn done;
        int attempts_left;
        std::unique_ptr<Timer> timer;
    };
    struct App {  // an application registered on a control connection
        std::weak_ptr<rpc::Connection> conn;
        std::uint64_t conn_id = 0;
        std::size_t forwards_waiting = 0;  // app.forward calls not answered yet
    };
    struct LocalListen {
        Id key;
        uid_t uid;
        std::function<void(const Event&)> fn;
    };
    struct KeyListen {  // the one subscription at the root for every local listener of a key
        std::uint64_t sub_id = 0;
        std::set<std::uint64_t> listeners;
        std::unique_ptr<Timer> refresh;
    };
    struct ForwardWait {  // a routed message waiting for its application's app.forward answer
        Routed msg;
        pastry::NodeRef next;
        bool done = false;
        std::unique_ptr<Timer> deadline;
    };
    struct AckWait {
        std::set<Id> waiting;  // replicas that have not acknowledged yet
        std::uint32_t acks = 0;
        std::function<void(std::uint32_t)> done;
        std::unique_ptr<Timer> timer;
    };

    void load_state();
    void save_state();
    void apply(std::vector<pastry::Effect> effects);
    void arm_core_timer();
    void on_frame(const std::string& payload);
    void on_dht(DhtMessage m);
    void route(Routed m);
    void forward(Routed m, const pastry::NodeRef& next);
    void ask_forward(App& app, const std::shared_ptr<rpc::Connection>& conn, Routed m, const pastry::NodeRef& next);
    void finish_forward(ForwardWait& w, const Value* answer);
    void deliver(Routed m);
    void receive_direct(const Direct& m);
    void send_reply(const Routed& m, Reply r);
    void send_dht(const pastry::NodeRef& to, const DhtMessage& m);
    void replicate(const Id& key, std::vector<Record> records, std::function<void(std::uint32_t)> done);
    void on_replicate(const Replicate& m);
    bool holds_version(const Record& r) const;  // this exact live version is stored
    void handover(const std::vector<pastry::NodeRef>& old_leafs);
    void anti_entropy();
    // Sends every record of keys to peer, in Replicate messages under the frame limit.
    void push_keys(const pastry::NodeRef& peer, const std::vector<Id>& keys);
    void notify_subscribers(const Record& r, bool expired);
    void subscribe(const Routed& m, std::int64_t now);
    // check_record() on a record from another node; false (counted, logged) when refused.
    bool accept_record(Record& r, const char* how, std::int64_t now);
    void expire_store();
    void schedule_expiry();  // after a put: the timer at the store's earliest expiry, if sooner
    void send_attempt(std::uint64_t req);
    std::uint64_t new_request_id() { return next_req_++; }

    Loop& loop_;
    NodeConfig cfg_;
    rpc::Counters& counters_;
    Transport transport_;
    Store store_;
    pastry::NodeRef self_;
    std::unique_ptr<pastry::Node> core_;
    std::unique_ptr<TopologyProximity> proximity_;
    std::vector<pastry::NodeRef> leafs_;  // the leaf set at the last change
    std::function<void()> on_ready_;
    std::uint64_t next_req_ = 1;
    std::map<std::uint64_t, Pending> pending_;
    std::map<std::uint64_t, AckWait> ack_waits_;
    Subscriptions subscriptions_;  // held here as a key's root
    std::map<std::uint64_t, LocalListen> listens_;
    std::map<Id, KeyListen> key_listens_;
    std::map<uid_t, std::size_t> listens_by_uid_;
    std::optional<WriterKey> writer_key_;
    std::map<std::string, App> apps_;
    bool stopped_ = false;
    Timer core_timer_, expiry_timer_, snapshot_timer_, anti_entropy_timer_, join_warn_timer_;
    std::int64_t expiry_due_us_ = 0;  // when expiry_timer_ fires
    std::string join_problem_;           // the last failed join attempt: "SEED: why"
    std::string last_unreachable_why_;   // the transport's reason, for the JoinFailed it causes
    std::int64_t started_us_;
};

}  // namespace sr::dht
