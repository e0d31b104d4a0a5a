#include "core/rpc.hpp"

#include "core/error.hpp"
#include "core/id.hpp"
#include "core/log.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sr::rpc {

Value Counters::to_value() const {
    Value out = Value::object();
    for (const auto& [k, v] : values_) out[k] = v;
    return out;
}

// ---- Peer credentials ----------------------------------------------------

bool PeerCred::in_group(gid_t g) const {
    return gid == g || std::find(groups.begin(), groups.end(), g) != groups.end();
}

PeerCred peer_credentials(int fd) {
    PeerCred peer;
    ucred cred{};
    socklen_t len = sizeof cred;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return peer;
    peer.pid = cred.pid;
    peer.uid = cred.uid;
    peer.gid = cred.gid;
    // The peer's supplementary groups as they were when it connected
    // (Linux >= 4.13); the size is asked for when the first guess is short.
    std::vector<gid_t> groups(64);
    for (int attempt = 0; attempt < 2; ++attempt) {
        len = static_cast<socklen_t>(groups.size() * sizeof(gid_t));
        if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups.data(), &len) == 0) {
            groups.resize(len / sizeof(gid_t));
            peer.groups = std::move(groups);
            return peer;
        }
        if (errno != ERANGE) break;
        groups.resize(len / sizeof(gid_t) + 1);
    }
    // An older kernel: the user's groups from the group database instead.
    if (passwd* pw = ::getpwuid(cred.uid)) {
        int n = 64;
        groups.assign(static_cast<std::size_t>(n), 0);
        if (::getgrouplist(pw->pw_name, cred.gid, groups.data(), &n) < 0 && n > 64) {
            groups.assign(static_cast<std::size_t>(n), 0);
            ::getgrouplist(pw->pw_name, cred.gid, groups.data(), &n);
        }
        groups.resize(static_cast<std::size_t>(std::max(n, 0)));
        peer.groups = std::move(groups);
    }
    return peer;
}

// ---- Connection ----------------------------------------------------------

static std::uint64_t next_connection_id = 1;

Connection::Connection(Loop& loop, int fd, const Limits& limits, Counters& counters)
    : loop_(loop), limits_(limits), counters_(counters), reader_(limits.max_frame), id_(next_connection_id++),
      idle_(loop, [this] {
          if (!pending_.empty() || long_lived_) return arm_idle();
          log::debug("connection ", id_, ": idle, closing");
          close();
      }) {
    peer_ = peer_credentials(fd);
    bev_ = bufferevent_socket_new(loop.base(), fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(bev_, &Connection::read_cb, &Connection::write_cb, &Connection::event_cb, this);
    // write_cb runs once the output has drained to half the pause mark.
    bufferevent_setwatermark(bev_, EV_WRITE, limits_.pause_output / 2, 0);
    // Output is written by flush() at the end of the loop turn that queued
    // it; the bufferevent writes only what the socket did not take then.
    // Left to the bufferevent, every reply would cost an epoll_ctl to watch
    // the socket, a loop turn to learn it is writable (it nearly always is)
    // and an epoll_ctl to stop watching; and a burst of replies queued in
    // one turn still goes out in one writev.
    flush_ev_ = event_new(loop.base(), -1, 0, &Connection::flush_cb, this);
    bufferevent_enable(bev_, EV_READ);
    arm_idle();
}

std::shared_ptr<Connection> Connection::adopt(Loop& loop, int fd, const Limits& limits, Counters& counters) {
    return std::shared_ptr<Connection>(new Connection(loop, fd, limits, counters));
}

Connection::~Connection() {
    close();
    event_free(flush_ev_);
}

void Connection::arm_idle() {
    if (limits_.idle_timeout_us > 0) idle_.arm_in(limits_.idle_timeout_us);
}

void Connection::read_cb(bufferevent*, void* self) { static_cast<Connection*>(self)->on_readable(); }

void Connection::write_cb(bufferevent* bev, void* self) {
    auto c = static_cast<Connection*>(self)->shared_from_this();
    // All written: the next output goes through flush() again.
    if (evbuffer_get_length(bufferevent_get_output(bev)) == 0) bufferevent_disable(bev, EV_WRITE);
    c->resume_if_drained();
    if (c->on_drained) c->on_drained();
}

std::size_t Connection::output_buffered() const {
    return bev_ ? evbuffer_get_length(bufferevent_get_output(bev_)) : 0;
}

bool Connection::must_pause() const {
    return output_buffered() >= limits_.pause_output || unanswered_ >= limits_.max_unanswered;
}

void Connection::resume_if_drained() {
    if (!bev_ || !paused_ || must_pause()) return;
    paused_ = false;
    bufferevent_enable(bev_, EV_READ);
    // Requests already read wait in reader_ or the input buffer: handle them
    // from the loop, not from inside the reply that made room.
    bufferevent_trigger(bev_, EV_READ, BEV_TRIG_IGNORE_WATERMARKS | BEV_TRIG_DEFER_CALLBACKS);
}

void Connection::event_cb(bufferevent*, short what, void* self) {
    auto c = static_cast<Connection*>(self)->shared_from_this();
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) c->close();
}

void Connection::on_readable() {
    auto keep = shared_from_this();  // a handler may drop the owner's reference
    if (!bev_ || paused_) return;
    evbuffer* in = bufferevent_get_input(bev_);
    arm_idle();
    try {
        for (;;) {
            // The messages already fed first (some may wait from before a
            // pause), then the next chunk of input.
            msgpack::object_handle oh;
            while (bev_ && !paused_) {
                if (must_pause()) {
                    // The peer is not reading its answers: read nothing more
                    // from it until they drain (write_cb or respond()).
                    paused_ = true;
                    bufferevent_disable(bev_, EV_READ);
                    ++counters_["rpc.reads_paused"];
                    break;
                }
                if (!reader_.next(oh)) break;
                std::optional<std::uint32_t> msgid;
                Message msg;
                try {
                    msg = decode_message(oh.get(), &msgid);
                } catch (const DecodeError& e) {
                    // The stream is still in step: answer what can be answered and go on.
                    ++counters_["rpc.invalid_messages"];
                    if (msgid) {
                        ++unanswered_;  // respond() counts it answered
                        respond(*msgid, error_value("invalid_request", e.what()), nullptr);
                    } else {
                        notify("sys.error", error_value("invalid_request", e.what()));
                    }
                    continue;
                }
                if (msg.kind == Kind::response) {
                    auto it = pending_.find(msg.msgid);
                    if (it == pending_.end()) {
                        ++counters_["rpc.unexpected_responses"];
                        continue;
                    }
                    auto fn = std::move(it->second);
                    pending_.erase(it);
                    fn(msg.error, msg.result);
                } else if (msg.kind == Kind::request || !on_notification) {
                    if (on_request) {
                        if (msg.kind == Kind::notification) ++counters_["rpc.notified_calls"];
                        ++unanswered_;
                        on_request(*this, msg);
                    }
                } else {
                    on_notification(*this, msg);
                }
            }
            if (!bev_ || paused_) break;
            char chunk[16384];
            int n = evbuffer_remove(in, chunk, sizeof chunk);
            if (n <= 0) break;
            reader_.feed(chunk, static_cast<std::size_t>(n));
        }
    } catch (const DecodeError& e) {
        // Invalid msgpack or an oversized frame: the stream cannot be resynchronised.
        ++counters_["rpc.bad_frames"];
        log::warn("connection ", id_, " (pid ", peer_.pid, "): ", e.what(), "; closing it");
        notify("sys.error", error_value("bad_frame", e.what()));  // may itself close a slow peer
        close();  // writes out what is queued
    } catch (const std::exception& e) {
        // A response or notification handler choked on what the peer sent
        // (a field of the wrong type): that peer is at fault, the daemon is not.
        ++counters_["rpc.handler_errors"];
        log::warn("connection ", id_, " (pid ", peer_.pid, "): ", e.what(), "; closing it");
        close();
    }
}

void Connection::send(const std::string& bytes) {
    if (!bev_) return;
    evbuffer* out = bufferevent_get_output(bev_);
    if (evbuffer_get_length(out) + bytes.size() > limits_.max_output) {
        ++counters_["rpc.slow_clients_cut"];
        log::warn("connection ", id_, " (pid ", peer_.pid, "): not reading its output; closing it");
        close();
        return;
    }
    evbuffer_add(out, bytes.data(), bytes.size());
    if (!flush_queued_) {
        flush_queued_ = true;
        // Runs after the callbacks already due in this loop turn.
        event_active(flush_ev_, EV_WRITE, 0);
    }
}

void Connection::flush_cb(int, short, void* self) {
    auto c = static_cast<Connection*>(self)->shared_from_this();
    c->flush_queued_ = false;
    c->flush();
}

void Connection::flush() {
    if (!bev_ || (bufferevent_get_enabled(bev_) & EV_WRITE)) return;  // the bufferevent is at it
    evbuffer* out = bufferevent_get_output(bev_);
    std::size_t before = evbuffer_get_length(out);
    if (before == 0) return;
    // The bufferevent keeps the start of its output frozen (see close()).
    evbuffer_unfreeze(out, 1);
    int n = evbuffer_write(out, bufferevent_getfd(bev_));
    int err = errno;
    evbuffer_freeze(out, 1);
    if (n < 0 && err != EAGAIN && err != EWOULDBLOCK && err != EINTR) {
        log::debug("connection ", id_, ": write: ", std::strerror(err));
        close();
        return;
    }
    std::size_t after = evbuffer_get_length(out);
    if (after > 0) {
        bufferevent_enable(bev_, EV_WRITE);  // the rest when the socket takes it; write_cb then
        return;
    }
    std::size_t low = limits_.pause_output / 2;
    if (before > low) {  // as write_cb would have on the way down
        resume_if_drained();
        if (on_drained) on_drained();
    }
}

void Connection::call(std::string_view method, const Value& params, ResponseFn on_response) {
    if (!bev_) {
        on_response(error_value("unavailable", "connection closed"), nullptr);
        return;
    }
    std::uint32_t id = next_msgid_++;
    pending_[id] = std::move(on_response);
    send(encode_request(id, method, params));
}

void Connection::notify(std::string_view method, const Value& params) { send(encode_notification(method, params)); }

void Connection::respond(std::uint32_t msgid, const Value& error, const Value& result) {
    if (unanswered_ > 0) --unanswered_;
    send(encode_response(msgid, error, result));
    resume_if_drained();  // an asynchronous answer may make room
}

void Connection::finish_notified(std::string_view method, const Value& error) {
    if (unanswered_ > 0) --unanswered_;
    if (!error.is_null()) {
        Value notice = error;
        notice["method"] = std::string(method);
        notify("sys.error", notice);
    }
    resume_if_drained();
}

void Connection::close() {
    if (!bev_) return;
    auto* bev = bev_;
    bev_ = nullptr;
    idle_.cancel();
    // Flush what is queued (an error notice) as far as the socket takes it.
    // A socket bufferevent freezes the start of its output buffer (only the
    // bufferevent itself drains it), so unfreeze it or evbuffer_write fails.
    evbuffer* out = bufferevent_get_output(bev);
    if (evbuffer_get_length(out) > 0) {
        evbuffer_unfreeze(out, 1);
        evbuffer_write(out, bufferevent_getfd(bev));
    }
    bufferevent_free(bev);
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, fn] : pending) fn(error_value("unavailable", "connection closed"), nullptr);
    auto hooks = std::move(close_hooks_);
    close_hooks_.clear();
    for (auto& fn : hooks) fn();
}

// ---- Call ----------------------------------------------------------------

Call::Call(std::shared_ptr<Connection> conn, std::optional<std::uint32_t> msgid, std::string method, Value params)
    : conn_(std::move(conn)),
      msgid_(msgid),
      method_(std::move(method)),
      params_(std::move(params)),
      done_(std::make_shared<bool>(false)) {}

void Call::reply(const Value& result) const {
    if (*done_) return;
    *done_ = true;
    if (msgid_)
        conn_->respond(*msgid_, nullptr, result);
    else
        conn_->finish_notified(method_, nullptr);
}

void Call::fail(std::string_view code, std::string_view message) const {
    if (*done_) return;
    *done_ = true;
    if (msgid_)
        conn_->respond(*msgid_, error_value(code, message), nullptr);
    else
        conn_->finish_notified(method_, error_value(code, message));
}

// ---- Registry ------------------------------------------------------------

static const char* type_name(Type t) {
    switch (t) {
    case Type::str: return "str";
    case Type::bytes: return "bytes";
    case Type::uint: return "uint";
    case Type::integer: return "int";
    case Type::number: return "number";
    case Type::boolean: return "bool";
    case Type::map: return "map";
    case Type::array: return "array";
    case Type::id: return "id";
    case Type::any: return "any";
    }
    return "?";
}

static bool type_ok(Type t, const Value& v) {
    switch (t) {
    case Type::str: return v.is_string();
    case Type::bytes: return v.is_binary() || v.is_string();
    case Type::uint: return v.is_number_unsigned();
    case Type::integer: return v.is_number_integer();
    case Type::number: return v.is_number();
    case Type::boolean: return v.is_boolean();
    case Type::map: return v.is_object();
    case Type::array: return v.is_array();
    case Type::id:
        return (v.is_string() && Id::from_hex(v.get<std::string>())) || (v.is_binary() && v.get_binary().size() == 16);
    case Type::any: return true;
    }
    return false;
}

Registry::Registry(std::string daemon_name, Counters& counters)
    : daemon_(std::move(daemon_name)), counters_(counters), started_us_(Loop::now_us()) {
    add_sys_methods();
}

void Registry::add(Method m) {
    auto name = m.name;
    methods_[name] = std::move(m);
}

void Registry::add_sync(std::string name, std::string doc, std::vector<Field> fields, bool mutates,
                        std::function<Value(const Value&, Call&)> fn) {
    add(Method{std::move(name), std::move(doc), std::move(fields), mutates,
               [fn = std::move(fn)](Call& call) { call.reply(fn(call.params(), call)); }});
}

bool Registry::permitted(const PeerCred& peer) const {
    return peer.uid == 0 || peer.uid == geteuid() || (group_ && peer.in_group(*group_));
}

void Registry::dispatch(Connection& conn, Message& msg) {
    ++counters_["rpc.requests"];
    std::optional<std::uint32_t> msgid;
    if (msg.kind == Kind::request) msgid = msg.msgid;
    Call call(conn.shared_from_this(), msgid, msg.method, std::move(msg.params));
    auto it = methods_.find(msg.method);
    if (it == methods_.end()) {
        ++counters_["rpc.errors"];
        return call.fail("unknown_method", "no method '" + msg.method + "' in " + daemon_ + " (see sys.api)");
    }
    const Method& m = it->second;
    for (auto f = call.params().begin(); f != call.params().end(); ++f) {
        bool known = false;
        for (const auto& field : m.fields) known = known || field.name == f.key();
        if (!known) return call.fail("invalid_params", m.name + ": unknown field '" + f.key() + "'");
    }
    for (const auto& field : m.fields) {
        auto f = call.params().find(field.name);
        if (f == call.params().end() || f->is_null()) {
            if (field.required) return call.fail("invalid_params", m.name + ": missing field '" + field.name + "'");
            continue;
        }
        if (!type_ok(field.type, *f))
            return call.fail("invalid_params",
                             m.name + ": field '" + field.name + "' must be of type " + type_name(field.type));
    }
    for (auto f = call.params().begin(); f != call.params().end();)  // null means absent
        f = f->is_null() ? call.params().erase(f) : std::next(f);
    if (m.mutates && !permitted(conn.peer())) {
        ++counters_["rpc.denied"];
        return call.fail("permission", m.name + " changes state; uid " + std::to_string(conn.peer().uid) +
                                           " is not allowed (root, the daemon's user or its group)");
    }
    try {
        m.handler(call);
    } catch (const Error& e) {
        ++counters_["rpc.errors"];
        call.fail(e.code, e.what());
    } catch (const std::exception& e) {
        ++counters_["rpc.internal_errors"];
        log::error(m.name, ": ", e.what());
        call.fail("internal", e.what());
    }
}

Value Registry::api() const {
    Value methods = Value::array();
    for (const auto& [name, m] : methods_) {
        Value fields = Value::array();
        for (const auto& f : m.fields)
            fields.push_back({{"name", f.name}, {"type", type_name(f.type)}, {"required", f.required}, {"doc", f.doc}});
        methods.push_back({{"name", name}, {"doc", m.doc}, {"mutates", m.mutates}, {"fields", fields}});
    }
    return {{"name", daemon_}, {"version", SR_VERSION}, {"api_level", api_level}, {"methods", methods}};
}

void Registry::add_sys_methods() {
    add_sync("sys.ping", "Answers {pong: true}: the daemon is alive and serving.", {}, false,
             [](const Value&, Call&) { return Value{{"pong", true}}; });
    add_sync("sys.version", "Name, version and API level.", {}, false, [this](const Value&, Call&) {
        return Value{{"name", daemon_}, {"version", SR_VERSION}, {"api_level", api_level}};
    });
    add_sync("sys.api", "Every method with its fields and whether it mutates state.", {}, false,
             [this](const Value&, Call&) { return api(); });
    add_sync("sys.status", "Name, pid, version, uptime and health, for sr-ctl status.", {}, false,
             [this](const Value&, Call&) {
                 Value v{{"name", daemon_},
                         {"pid", static_cast<std::int64_t>(getpid())},
                         {"version", SR_VERSION},
                         {"uptime_s", (Loop::now_us() - started_us_) / 1'000'000},
                         {"health", "ok"}};
                 if (health_) v.update(health_());
                 return v;
             });
    add_sync("sys.stats", "Counters of the daemon and its modules.", {}, false,
             [this](const Value&, Call&) { return stats(); });
}

Value Registry::stats() const {
    Value v = counters_.to_value();
    for (const auto& source : stats_sources_) v.update(source());
    v["uptime_s"] = (Loop::now_us() - started_us_) / 1'000'000;
    return v;
}

// ---- Server --------------------------------------------------------------

Server::Server(Loop& loop, Registry& registry, Counters& counters, Limits limits)
    : loop_(loop), registry_(registry), counters_(counters), limits_(limits) {}

Server::~Server() { close(); }

static sockaddr_un unix_address(const std::string& path) {
    sockaddr_un sun{};
    sun.sun_family = AF_UNIX;
    if (path.size() >= sizeof sun.sun_path) throw Error("config", "socket path too long: " + path);
    std::memcpy(sun.sun_path, path.c_str(), path.size() + 1);
    return sun;
}

void Server::listen(const std::string& path) {
    sockaddr_un sun = unix_address(path);
    // Only a socket file left by a crash is replaced: a live daemon's socket
    // is not, and neither is anything else an operator's mistyped --socket
    // might name (a config file, a directory, a symlink to either).
    struct stat st {};
    if (::lstat(path.c_str(), &st) == 0) {
        if (!S_ISSOCK(st.st_mode))
            throw Error("config", "control socket " + path + " exists and is not a socket (" +
                                      (S_ISLNK(st.st_mode) ? "a symbolic link" : S_ISDIR(st.st_mode) ? "a directory"
                                                                                 : "a file") +
                                      "); refusing to replace it");
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        int err = ::connect(probe, reinterpret_cast<sockaddr*>(&sun), sizeof sun) == 0 ? 0 : errno;
        ::close(probe);
        if (err == 0) throw Error("busy", "another daemon is serving " + path);
        if (err != ECONNREFUSED)
            throw Error("config", "control socket " + path + " exists and cannot be probed (" + std::strerror(err) +
                                      "); refusing to replace it");
        if (::unlink(path.c_str()) != 0 && errno != ENOENT)
            throw Error("config", "cannot remove the stale control socket " + path + ": " + std::strerror(errno));
        log::info("replacing the stale control socket ", path);
    } else if (errno != ENOENT) {
        throw Error("config", "cannot examine control socket " + path + ": " + std::strerror(errno));
    }
    mode_t old = umask(0117);  // socket 0660
    listener_ = evconnlistener_new_bind(loop_.base(), &Server::accept_cb, this,
                                        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 64,
                                        reinterpret_cast<sockaddr*>(&sun), sizeof sun);
    umask(old);
    if (!listener_) throw Error("config", "cannot listen on " + path + ": " + std::strerror(errno));
    path_ = path;
    accept_guard_ = std::make_unique<AcceptGuard>(loop_, listener_, counters_["rpc.accept_errors"], "control socket");
    evconnlistener_set_error_cb(listener_, [](evconnlistener*, void* self) {
        static_cast<Server*>(self)->accept_guard_->failed();
    });
}

AcceptGuard::AcceptGuard(Loop& loop, evconnlistener* listener, std::uint64_t& counter, std::string what)
    : listener_(listener), counter_(counter), what_(std::move(what)),
      resume_(loop, [this] { evconnlistener_enable(listener_); }) {}

void AcceptGuard::failed() {
    ++counter_;
    log::warn(what_, " accept: ", std::strerror(EVUTIL_SOCKET_ERROR()), "; pausing for a second");
    evconnlistener_disable(listener_);
    resume_.arm_in(1'000'000);
}

static bool privileged(uid_t uid) { return uid == 0 || uid == geteuid(); }

std::string Server::over_limit(uid_t uid) const {
    if (conns_.size() >= limits_.max_connections)
        return "too many connections (" + std::to_string(limits_.max_connections) + ")";
    if (privileged(uid)) return "";
    auto it = per_uid_.find(uid);
    if (it != per_uid_.end() && it->second >= limits_.max_connections_per_uid)
        return "too many connections from uid " + std::to_string(uid) + " (" +
               std::to_string(limits_.max_connections_per_uid) + ")";
    if (others_ >= limits_.max_other_connections)
        return "too many connections from users other than root and the daemon's (" +
               std::to_string(limits_.max_other_connections) + ")";
    return "";
}

void Server::accept_cb(evconnlistener*, int fd, sockaddr*, int, void* arg) {
    auto* self = static_cast<Server*>(arg);
    uid_t uid = peer_credentials(fd).uid;
    if (std::string why = self->over_limit(uid); !why.empty()) {
        auto refused = ++self->counters_["rpc.connections_refused"];
        if (log::worth_logging(refused)) log::warn("control socket: ", why, "; refusing (", refused, " so far)");
        std::string notice = encode_notification("sys.error", error_value("busy", why));
        (void)!::send(fd, notice.data(), notice.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
        evutil_closesocket(fd);
        return;
    }
    bool counted = !privileged(uid);
    Limits limits = self->limits_;
    if (counted) limits.max_output = std::min(limits.max_output, limits.max_output_other);
    auto conn = Connection::adopt(self->loop_, fd, limits, self->counters_);
    ++self->counters_["rpc.connections"];
    conn->on_request = [self](Connection& c, Message& m) { self->registry_.dispatch(c, m); };
    auto id = conn->id();
    if (counted) ++self->per_uid_[uid], ++self->others_;
    conn->on_close([self, id, uid, counted] {
        self->conns_.erase(id);
        if (!counted) return;
        --self->others_;
        if (--self->per_uid_[uid] == 0) self->per_uid_.erase(uid);
    });
    self->conns_[id] = conn;
}

Value Server::gauges() const {
    std::uint64_t buffered = 0;
    for (const auto& [id, c] : conns_) buffered += c->output_buffered();
    return {{"rpc.connections_open", static_cast<std::uint64_t>(conns_.size())}, {"rpc.output_buffered", buffered}};
}

void Server::close() {
    accept_guard_.reset();  // its timer must not touch a freed listener
    if (listener_) {
        evconnlistener_free(listener_);
        listener_ = nullptr;
    }
    auto conns = std::move(conns_);
    conns_.clear();
    for (auto& [id, c] : conns) c->close();
    if (!path_.empty()) {
        ::unlink(path_.c_str());
        path_.clear();
    }
}

std::shared_ptr<Connection> connect_unix(Loop& loop, const std::string& path, Counters& counters,
                                         const Limits& limits) {
    sockaddr_un sun = unix_address(path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&sun), sizeof sun) != 0) {
        std::string why = std::strerror(errno);
        if (fd >= 0) ::close(fd);
        throw Error("unavailable", "cannot connect to " + path + ": " + why);
    }
    evutil_make_socket_nonblocking(fd);
    // Read pausing is for the daemon's side: a client that stopped reading
    // answers because its own requests are queued could wait on a daemon
    // that waits on it.
    Limits client_limits = limits;
    client_limits.pause_output = SIZE_MAX;
    client_limits.max_unanswered = SIZE_MAX;
    return Connection::adopt(loop, fd, client_limits, counters);
}

}  // namespace sr::rpc
