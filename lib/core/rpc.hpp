// msgpack-RPC over SOCK_STREAM Unix sockets, both ends (DESIGN §3).
//
// Connection: one socket in a bufferevent. It reads frames through a
// FrameReader and hands each message to its owner; it can also send requests
// of its own and match their responses, because the protocol is symmetric:
// sr-dhtd calls a registered application's `app.forward` over the socket the
// application opened. Output is bounded: while a peer leaves its answers
// unread (more than pause_output bytes queued, or max_unanswered requests
// not yet answered) the connection reads no more requests from it, and a
// peer whose queue still reaches max_output (notifications) is cut off.
//
// Registry: the method table. Each method declares its fields (name, type,
// required) and whether it mutates state; the registry validates params,
// checks the caller's credentials for mutating methods (SO_PEERCRED: root,
// the daemon's own user, or a configured group as the peer's effective or
// supplementary group, SO_PEERGROUPS), runs the handler and turns
// a thrown sr::Error into the response's error map. It also answers the
// sys.* methods every daemon has.
//
// Server: listens on a path, accepts connections and dispatches through a
// Registry. Connections are counted per peer uid: root and the daemon's own
// user are limited only by max_connections; every other uid by
// max_connections_per_uid, and all of them together by max_other_connections,
// so a read-only user cannot take the slots (or file descriptors) that root
// and the daemon's user need. A refused connection gets a sys.error notice
// (busy) and is closed.
#pragma once

#include "core/loop.hpp"
#include "core/rpc_wire.hpp"
#include "core/value.hpp"

#include <sys/types.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

struct bufferevent;
struct evconnlistener;

namespace sr::rpc {

struct Limits {
    std::size_t max_frame = 4 << 20;      // bytes in one message
    std::size_t max_output = 32 << 20;    // queued output before the peer is cut off
    std::size_t max_output_other = 8 << 20;  // the same for uids but root and the daemon's own: 256 of
                                             // them may hold 2 GiB at most, not 8
    std::size_t pause_output = 256 << 10; // queued output at which requests are no longer read
    std::size_t max_unanswered = 64;      // requests in progress at which requests are no longer read
    std::int64_t idle_timeout_us = 600'000'000;  // no traffic and nothing pending
    std::size_t max_connections = 1024;   // at once, per server, everyone
    std::size_t max_connections_per_uid = 32;   // each uid but root and the daemon's own
    std::size_t max_other_connections = 256;    // all uids but root and the daemon's own
};

struct PeerCred {
    pid_t pid = -1;
    uid_t uid = static_cast<uid_t>(-1);
    gid_t gid = static_cast<gid_t>(-1);
    std::vector<gid_t> groups;  // supplementary groups at connect time (SO_PEERGROUPS)
    bool in_group(gid_t g) const;
};
// The peer credentials of a connected Unix socket.
PeerCred peer_credentials(int fd);

// Counters by name, shared by a daemon's modules, reported by sys.stats.
class Counters {
  public:
    std::uint64_t& operator[](const std::string& name) { return values_[name]; }
    Value to_value() const;

  private:
    std::map<std::string, std::uint64_t> values_;
};

class Connection : public std::enable_shared_from_this<Connection> {
  public:
    using ResponseFn = std::function<void(const Value& error, const Value& result)>;

    static std::shared_ptr<Connection> adopt(Loop& loop, int fd, const Limits& limits, Counters& counters);
    ~Connection();

    void call(std::string_view method, const Value& params, ResponseFn on_response);
    void notify(std::string_view method, const Value& params);
    void respond(std::uint32_t msgid, const Value& error, const Value& result);
    // The end of a call the peer made as a notification: nothing is sent
    // back, unless it failed (a sys.error notification naming the method).
    void finish_notified(std::string_view method, const Value& error);
    void close();
    bool closed() const { return bev_ == nullptr; }
    const PeerCred& peer() const { return peer_; }
    std::uint64_t id() const { return id_; }
    std::size_t output_buffered() const;

    // Set by the owner. Without on_notification, a notification is a call
    // whose answer the peer does not want (msgpack-RPC): it goes to
    // on_request too, and the handler's answer is dropped.
    std::function<void(Connection&, Message&)> on_request;
    std::function<void(Connection&, Message&)> on_notification;
    // Run once when the connection closes, whoever closes it: subscriptions
    // and registrations tied to this connection remove themselves here.
    void on_close(std::function<void()> fn) { close_hooks_.push_back(std::move(fn)); }
    // Run each time the peer has read what was queued for it down to half
    // the pause mark: a producer that held back notifications may go on.
    std::function<void()> on_drained;
    // While a connection holds a subscription it is never idle.
    void set_long_lived(bool v) { long_lived_ = v; }

  private:
    Connection(Loop& loop, int fd, const Limits& limits, Counters& counters);
    static void read_cb(bufferevent*, void*);
    static void write_cb(bufferevent*, void*);
    static void event_cb(bufferevent*, short, void*);
    static void flush_cb(int, short, void*);
    void flush();
    void on_readable();
    bool must_pause() const;
    void resume_if_drained();
    void send(const std::string& bytes);
    void arm_idle();

    Loop& loop_;
    bufferevent* bev_ = nullptr;
    event* flush_ev_ = nullptr;  // activated by the first send of a loop turn
    bool flush_queued_ = false;
    Limits limits_;
    Counters& counters_;
    FrameReader reader_;
    PeerCred peer_;
    std::uint64_t id_;
    std::uint32_t next_msgid_ = 1;
    std::unordered_map<std::uint32_t, ResponseFn> pending_;
    std::vector<std::function<void()>> close_hooks_;
    bool long_lived_ = false;
    bool paused_ = false;         // not reading: the peer leaves its answers unread
    std::size_t unanswered_ = 0;  // calls handed to on_request and not yet finished
    Timer idle_;
};

// One incoming request. Copyable; reply() or fail() exactly once, now or
// later (a reply to a closed connection is dropped).
class Call {
  public:
    // msgid: none for a call made as a notification (no answer wanted).
    Call(std::shared_ptr<Connection> conn, std::optional<std::uint32_t> msgid, std::string method, Value params);
    const Value& params() const { return params_; }
    Value& params() { return params_; }
    Connection& connection() const { return *conn_; }
    std::shared_ptr<Connection> connection_ptr() const { return conn_; }
    void reply(const Value& result) const;
    void fail(std::string_view code, std::string_view message) const;

  private:
    std::shared_ptr<Connection> conn_;
    std::optional<std::uint32_t> msgid_;
    std::string method_;
    Value params_;
    std::shared_ptr<bool> done_;
};

enum class Type { str, bytes, uint, integer, number, boolean, map, array, id, any };

struct Field {
    std::string name;
    Type type;
    bool required = false;
    std::string doc;
};

struct Method {
    std::string name;
    std::string doc;
    std::vector<Field> fields;
    bool mutates = false;
    std::function<void(Call&)> handler;
};

class Registry {
  public:
    Registry(std::string daemon_name, Counters& counters);

    void add(Method m);
    // A handler that answers at once with its return value.
    void add_sync(std::string name, std::string doc, std::vector<Field> fields, bool mutates,
                  std::function<Value(const Value& params, Call& call)> fn);
    void dispatch(Connection& conn, Message& msg);

    // Callers of mutating methods must be root, this process's user, or have
    // this group as their effective or a supplementary group.
    void allow_group(gid_t gid) { group_ = gid; }
    // Extra counters for sys.stats, e.g. from a protocol core; each call adds one.
    void stats_source(std::function<Value()> fn) { stats_sources_.push_back(std::move(fn)); }
    Value stats() const;  // what sys.stats answers: the counters, every source's, uptime_s
    void set_health(std::function<Value()> fn) { health_ = std::move(fn); }
    Value api() const;

    static constexpr int api_level = 1;

  private:
    void add_sys_methods();
    bool permitted(const PeerCred& peer) const;

    std::string daemon_;
    Counters& counters_;
    std::map<std::string, Method> methods_;
    std::optional<gid_t> group_;
    std::vector<std::function<Value()>> stats_sources_;
    std::function<Value()> health_;
    std::int64_t started_us_;
};

// Keeps a listener from spinning when accept() fails (out of file
// descriptors): failed() stops accepting for a second, counts and logs it.
// The owner calls it from the listener's error callback (which libevent
// gives the owner's pointer, not ours).
class AcceptGuard {
  public:
    AcceptGuard(Loop& loop, evconnlistener* listener, std::uint64_t& counter, std::string what);
    void failed();

  private:
    evconnlistener* listener_;
    std::uint64_t& counter_;
    std::string what_;
    Timer resume_;
};

class Server {
  public:
    Server(Loop& loop, Registry& registry, Counters& counters, Limits limits = {});
    ~Server();
    // Binds path, mode 0660. Something already at path is replaced only if
    // it is a socket nobody answers on (left by a crash); a live daemon's
    // socket is refused with Error("busy"), anything else (a file, a
    // directory, a symbolic link) with Error("config").
    void listen(const std::string& path);
    void close();  // stop accepting, close connections, unlink the socket
    std::size_t connections() const { return conns_.size(); }
    // rpc.connections_open and rpc.output_buffered (bytes queued, all connections), for sys.stats.
    Value gauges() const;

  private:
    static void accept_cb(evconnlistener*, int fd, struct sockaddr*, int, void* self);
    // Why a connection from uid would be over a limit, or "".
    std::string over_limit(uid_t uid) const;
    Loop& loop_;
    Registry& registry_;
    Counters& counters_;
    Limits limits_;
    evconnlistener* listener_ = nullptr;
    std::unique_ptr<AcceptGuard> accept_guard_;
    std::string path_;
    std::map<std::uint64_t, std::shared_ptr<Connection>> conns_;
    std::map<uid_t, std::size_t> per_uid_;  // open connections of uids other than root and ours
    std::size_t others_ = 0;                // their sum
};

// Connects to a Unix socket path without blocking the loop for long (local
// sockets connect at once). Throws sr::Error("unavailable") on failure.
std::shared_ptr<Connection> connect_unix(Loop& loop, const std::string& path, Counters& counters,
                                         const Limits& limits = {});

}  // namespace sr::rpc
