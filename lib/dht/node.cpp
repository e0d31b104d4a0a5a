#include "dht/node.hpp"

#include "core/daemon.hpp"
#include "core/error.hpp"
#include "core/file.hpp"
#include "core/log.hpp"
#include "dht/pastry_wire.hpp"
#include "dht/record_wire.hpp"
#include "dht/replication.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <set>
#include <sstream>

namespace sr::dht {

namespace {

// A get reply pages by bytes as well as by values: the reply must fit one
// overlay frame (256 KiB) with room for the envelope. Each value is sized by
// its exact encoding in the reply; a value is at most 64 KiB, so a page
// always holds at least one. (Replicate batches: ReplicateBatcher, dht_wire.hpp.)
constexpr std::size_t kMaxGetPageBytes = 192 << 10;
constexpr int kMaxHops = 64;
constexpr std::size_t kMaxForwardsWaiting = 1024;       // per application
constexpr std::int64_t kForwardDeadlineUs = 1'000'000;

Value peer_value(const pastry::NodeRef& n) { return Value{{"id", n.id.hex()}, {"addr", n.addr}}; }

// Bytes v takes in a msgpack message.
std::size_t packed_size(const Value& v) {
    msgpack::sbuffer buf;
    Packer pk(buf);
    pack_value(pk, v);
    return buf.size();
}

// "0.5", "2", "60": seconds for the log.
std::string seconds_text(std::int64_t us) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(us) / 1e6);
    return buf;
}

}  // namespace

Node::Node(Loop& loop, NodeConfig cfg, rpc::Counters& counters)
    : loop_(loop), cfg_(std::move(cfg)), counters_(counters), transport_(loop, cfg_.transport, counters),
      store_(cfg_.limits), core_timer_(loop, [this] { apply(core_->tick(Loop::now_us())); }),
      expiry_timer_(loop, [this] { expire_store(); }),
      snapshot_timer_(loop, [this] {
          save_state();
          snapshot_timer_.arm_in(cfg_.snapshot_every_us);
      }),
      anti_entropy_timer_(loop, [this] {
          anti_entropy();
          anti_entropy_timer_.arm_in(cfg_.anti_entropy_every_us);
      }),
      join_warn_timer_(loop, [this] {
          if (joined() || stopped_) return;
          log::error("not joined the overlay after ", cfg_.join_warn_after_us / 1'000'000, " s (",
                     join_problem_.empty() ? "no answer yet" : join_problem_, "); still trying");
      }),
      started_us_(Loop::now_us()) {}

Node::~Node() = default;

std::string Node::health() const {
    if (joined()) return "ok";
    return join_problem_.empty() ? "joining" : "joining: " + join_problem_;
}

// ---- lifecycle -------------------------------------------------------------

void Node::load_state() {
    if (cfg_.fixed_id) self_.id = *cfg_.fixed_id;
    if (cfg_.state_dir.empty()) {
        if (!cfg_.fixed_id) self_.id = Id::random();
        writer_key_ = WriterKey::ephemeral();
        log::warn("no --state-dir: a fresh writer key, so values put before a restart cannot be replaced after it");
        return;
    }
    make_directory(cfg_.state_dir, 0700);
    writer_key_ = WriterKey::load_or_create(cfg_.state_dir + "/writer.key");
    std::string id_path = cfg_.state_dir + "/node-id";
    if (auto text = read_file(id_path); text && !cfg_.fixed_id) {
        std::string hex = text->substr(0, text->find_first_of(" \n"));
        auto id = Id::from_hex(hex);
        if (!id) throw Error("config", id_path + ": not a 32-hex-digit node id");
        self_.id = *id;
    } else if (!cfg_.fixed_id) {
        self_.id = Id::random();
    }
    write_file_atomic(id_path, self_.id.hex() + "\n");

    std::string values_path = cfg_.state_dir + "/values.msgpack";
    if (auto blob = read_file(values_path)) {
        try {
            auto r = import_store(store_, *blob, Loop::now_us(), Loop::wall_now_us());
            log::info("restored ", r.loaded, " values from ", values_path, " (", r.expired, " had expired, ",
                      r.rejected, " refused by the limits)");
            std::size_t unowned = 0;
            store_.for_each([&](const Record& rec) { unowned += rec.owner.empty(); });
            if (unowned > 0 && !cfg_.transport.key)
                log::warn(values_path, ": ", unowned, " values from before writer identities; "
                          "other nodes of an open overlay refuse their copies, so they live only here until they expire");
        } catch (const DecodeError& e) {
            // Keep the evidence and start empty rather than refuse to start:
            // the replicas still hold the values.
            std::string bad = values_path + ".corrupt";
            ::rename(values_path.c_str(), bad.c_str());
            log::error(values_path, ": ", e.what(), "; moved to ", bad, ", starting with an empty store");
        }
    }
}

void Node::save_state() {
    if (cfg_.state_dir.empty()) return;
    try {
        write_file_atomic(cfg_.state_dir + "/values.msgpack",
                          export_store(store_, Loop::now_us(), Loop::wall_now_us()));
    } catch (const Error& e) {
        log::error("saving state: ", e.what());
    }
}

void Node::start(std::function<void()> on_ready) {
    on_ready_ = std::move(on_ready);
    load_state();
    transport_.on_message = [this](const std::string& p) { on_frame(p); };
    transport_.on_unreachable = [this](const std::string& addr, const std::string& why) {
        last_unreachable_why_ = why;
        if (core_) apply(core_->peer_unreachable(pastry::NodeRef{Id{}, addr}, Loop::now_us()));
    };
    transport_.start();
    self_.addr = transport_.local_address();
    core_ = std::make_unique<pastry::Node>(self_, cfg_.pastry, Loop::now_us());
    if (!cfg_.proxd_socket.empty()) {
        proximity_ = std::make_unique<TopologyProximity>(loop_, cfg_.proxd_socket, self_.addr, counters_);
        core_->set_proximity(proximity_.get());
    }
    log::info("node ", self_.id.hex(), " on ", self_.addr);
    if (!cfg_.transport.key)
        log::warn("the overlay is open: any host that reaches ", self_.addr,
                  " can join it (use --overlay-key-file for closed membership)");
    apply(core_->bootstrap(cfg_.join, Loop::now_us()));
    if (!joined()) join_warn_timer_.arm_in(cfg_.join_warn_after_us);
    if (!cfg_.state_dir.empty()) snapshot_timer_.arm_in(cfg_.snapshot_every_us);
    anti_entropy_timer_.arm_in(cfg_.anti_entropy_every_us);
    expire_store();
}

void Node::stop() {
    stopped_ = true;
    save_state();
    transport_.stop();
}

void Node::reload(const NodeConfig& fresh) {
    auto needs_restart = [](const char* what) { log::warn(what, " changed: it takes effect after a restart"); };
    if (fresh.transport.listen != cfg_.transport.listen) needs_restart("--listen");
    if (fresh.join != cfg_.join) needs_restart("--join");
    if (fresh.replicas != cfg_.replicas) needs_restart("--replicas");
    if (fresh.pastry.leaf_set_size != cfg_.pastry.leaf_set_size) needs_restart("--leaf-set-size");
    if (fresh.pastry.heartbeat_us != cfg_.pastry.heartbeat_us) needs_restart("--heartbeat");
    if (fresh.state_dir != cfg_.state_dir) needs_restart("--state-dir");
    if (fresh.fixed_id != cfg_.fixed_id) needs_restart("--id");
    if (fresh.transport.key != cfg_.transport.key) {
        log::info(fresh.transport.key ? "new overlay key: reconnecting to peers with it"
                                      : "overlay key removed: the overlay is open");
        transport_.set_key(fresh.transport.key);
        cfg_.transport.key = fresh.transport.key;
    }
    store_.set_limits(fresh.limits);
    cfg_.limits = fresh.limits;
    cfg_.ns_writers = fresh.ns_writers;
    log::info("reloaded: max value ", fresh.limits.max_value, " bytes, max ttl ",
              fresh.limits.max_ttl_us / 1'000'000, " s, quota ", fresh.limits.quota_bytes, " bytes");
}

// ---- effects of the core -------------------------------------------------

void Node::apply(std::vector<pastry::Effect> effects) {
    for (auto& e : effects) {
        if (auto* s = std::get_if<pastry::Send>(&e)) {
            std::string payload(1, kFamilyPastry);
            payload += pastry::encode(s->msg);
            transport_.send(s->to.addr, payload);
        } else if (std::holds_alternative<pastry::Joined>(e)) {
            log::info("joined the overlay; leaf set has ", core_->leaf_set().size(), " nodes");
            join_problem_.clear();
            leafs_ = core_->leaf_set();
            if (on_ready_) std::exchange(on_ready_, nullptr)();
        } else if (auto* f = std::get_if<pastry::JoinFailed>(&e)) {
            std::string why = f->timed_out ? "no join reply within " + seconds_text(cfg_.pastry.join_timeout_us) + " s"
                                           : last_unreachable_why_;
            join_problem_ = f->seed + ": " + why;
            log::warn("join via ", f->seed, " failed: ", why, " (attempt ", f->attempt, "); next attempt in ",
                      seconds_text(f->retry_in_us), " s");
        } else if (auto* c = std::get_if<pastry::LeafSetChanged>(&e)) {
            for (const auto& n : c->added) log::debug("leaf set + ", n.id.hex(), " ", n.addr);
            for (const auto& n : c->removed) log::debug("leaf set - ", n.id.hex(), " ", n.addr);
            auto old = std::exchange(leafs_, core_->leaf_set());
            handover(old);
            Value update{{"added", Value::array()}, {"removed", Value::array()}};
            for (const auto& n : c->added) update["added"].push_back(peer_value(n));
            for (const auto& n : c->removed) update["removed"].push_back(peer_value(n));
            for (auto& [name, app] : apps_)
                if (auto conn = app.conn.lock()) {
                    update["app"] = name;
                    conn->notify("app.update", update);
                }
        } else if (auto* d = std::get_if<pastry::PeerDead>(&e)) {
            log::info("peer ", d->peer.id.hex(), " ", d->peer.addr, " declared dead");
            transport_.drop_peer(d->peer.addr);
        }
    }
    arm_core_timer();
}

void Node::arm_core_timer() { core_timer_.arm_at(core_->next_wakeup()); }

void Node::on_frame(const std::string& payload) {
    std::int64_t now = Loop::now_us();
    try {
        if (payload.empty()) throw DecodeError("empty overlay message");
        if (payload[0] == kFamilyPastry) {
            auto msg = pastry::decode(std::string_view(payload).substr(1));
            apply(core_->receive(msg, now));
        } else if (payload[0] == kFamilyDht) {
            on_dht(decode_dht(std::string_view(payload).substr(1), now));
        } else {
            throw DecodeError("unknown message family");
        }
    } catch (const DecodeError& e) {
        ++counters_["overlay.malformed"];
        log::debug("malformed overlay message dropped: ", e.what());
    } catch (const std::exception& e) {
        // Well-formed but unusable (a field of the wrong type deep in a
        // body): drop it like a malformed one; the daemon goes on.
        if (log::worth_logging(++counters_["overlay.malformed"]))
            log::warn("overlay message dropped: ", e.what(), " (overlay.malformed = ", counters_["overlay.malformed"], ")");
    }
}

void Node::send_dht(const pastry::NodeRef& to, const DhtMessage& m) {
    if (stopped_) return;
    if (to.id == self_.id) return on_dht(m);  // a node can be its own replica or origin
    transport_.send(to.addr, encode_dht(m, Loop::now_us()));
}

void Node::on_dht(DhtMessage m) {
    if (auto* r = std::get_if<Routed>(&m)) return route(std::move(*r));
    if (auto* r = std::get_if<Reply>(&m)) {
        auto it = pending_.find(r->req);
        if (it == pending_.end()) return;  // answered already, or given up
        auto done = std::move(it->second.done);
        pending_.erase(it);
        return done(*r);
    }
    if (auto* r = std::get_if<Replicate>(&m)) return on_replicate(*r);
    if (auto* d = std::get_if<Direct>(&m)) return receive_direct(*d);
    if (auto* a = std::get_if<ReplicateAck>(&m)) {
        auto it = ack_waits_.find(a->req);
        if (it == ack_waits_.end()) return;
        if (a->stored == 0 || it->second.waiting.erase(a->from.id) == 0) return;  // not asked, or counted
        ++it->second.acks;
        if (it->second.waiting.empty()) {
            auto done = std::move(it->second.done);
            auto acks = it->second.acks;
            ack_waits_.erase(it);
            done(acks);
        }
        return;
    }
    if (auto* ev = std::get_if<Event>(&m)) {
        auto k = key_listens_.find(ev->key);
        if (k == key_listens_.end() || k->second.sub_id != ev->listen_id) return;
        std::vector<std::uint64_t> ids(k->second.listeners.begin(), k->second.listeners.end());
        for (auto id : ids)  // a listener's fn may cancel listeners
            if (auto it = listens_.find(id); it != listens_.end()) it->second.fn(*ev);
    }
}

// ---- routing -------------------------------------------------------------

void Node::request(const Id& key, Op op, Value body, ReplyFn done, bool tracing, std::string app) {
    if (!joined()) {
        Reply r;
        r.error_code = "not_ready";
        r.error_message = "the node has not joined the overlay yet";
        return done(r);
    }
    std::uint64_t req = new_request_id();
    Routed m;
    m.key = key;
    m.origin = self_;
    m.req = req;
    m.op = op;
    m.app = std::move(app);
    m.tracing = tracing;
    m.body = std::move(body);
    auto& p = pending_[req];
    p.msg = std::move(m);
    p.done = std::move(done);
    p.attempts_left = cfg_.attempts;
    p.timer = std::make_unique<Timer>(loop_, [this, req] { send_attempt(req); });
    send_attempt(req);
}

void Node::send_attempt(std::uint64_t req) {
    auto it = pending_.find(req);
    if (it == pending_.end()) return;
    Pending& p = it->second;
    if (p.attempts_left-- <= 0) {
        ++counters_["dht.requests_timed_out"];
        auto done = std::move(p.done);
        pending_.erase(it);
        Reply r;
        r.req = req;
        r.error_code = "timeout";
        r.error_message = "no answer from the key's root after " + std::to_string(cfg_.attempts) + " attempts";
        return done(r);
    }
    if (p.attempts_left + 1 < cfg_.attempts) ++counters_["dht.requests_retried"];
    p.timer->arm_in(cfg_.request_timeout_us);
    route(p.msg);
}

void Node::route(Routed m) {
    if (!joined()) {
        ++counters_["dht.dropped_not_joined"];
        return;
    }
    if (m.tracing && m.path.size() < kMaxPathHops) m.path.push_back(self_);
    auto next = core_->next_hop(m.key);
    if (!next) return deliver(std::move(m));
    if (m.hops >= kMaxHops) {
        ++counters_["dht.dropped_hop_limit"];
        return;
    }
    ++m.hops;
    if (m.op == Op::app) {
        auto app = apps_.find(m.app);
        auto conn = app == apps_.end() ? nullptr : app->second.conn.lock();
        if (conn && app->second.forwards_waiting < kMaxForwardsWaiting) return ask_forward(app->second, conn, std::move(m), *next);
        if (conn) ++counters_["dht.app_forward_skipped_busy"];
    }
    forward(std::move(m), *next);
}

// The application sees the message on its way and may change or stop it. It
// has kForwardDeadlineUs to answer; then, or if the answer is not of the
// documented form, the message goes on unchanged. The application's
// unanswered calls count against kMaxForwardsWaiting until it answers or
// its connection closes, so one that never answers cannot grow our memory.
void Node::ask_forward(App& app, const std::shared_ptr<rpc::Connection>& conn, Routed m, const pastry::NodeRef& next) {
    Value args{{"app", m.app},
               {"key", m.key.hex()},
               {"payload", m.body.is_object() ? m.body.value("payload", Value()) : Value()},
               {"origin", peer_value(m.origin)},
               {"next_hop", peer_value(next)},
               {"hops", m.hops}};
    auto w = std::make_shared<ForwardWait>();
    w->msg = std::move(m);
    w->next = next;
    std::weak_ptr<ForwardWait> weak = w;
    w->deadline = std::make_unique<Timer>(loop_, [this, weak] {
        if (auto waiting = weak.lock(); waiting && !waiting->done) {
            ++counters_["dht.app_forward_timeouts"];
            finish_forward(*waiting, nullptr);
        }
    });
    w->deadline->arm_in(kForwardDeadlineUs);
    ++app.forwards_waiting;
    std::string name = w->msg.app;
    std::uint64_t conn_id = conn->id();
    conn->call("app.forward", args, [this, w, name, conn_id](const Value& err, const Value& res) {
        if (auto it = apps_.find(name); it != apps_.end() && it->second.conn_id == conn_id)
            --it->second.forwards_waiting;
        finish_forward(*w, err.is_null() ? &res : nullptr);
    });
}

void Node::finish_forward(ForwardWait& w, const Value* answer) {
    if (w.done) return;
    w.done = true;
    if (answer && answer->is_object()) {
        auto action = answer->find("action");
        if (action != answer->end() && action->is_string() && *action == "drop") {
            ++counters_["dht.app_dropped"];
            return;
        }
        auto payload = answer->find("payload");
        if (payload != answer->end() && (payload->is_binary() || payload->is_string()) && w.msg.body.is_object())
            w.msg.body["payload"] = *payload;
    }
    ++counters_["dht.app_forwarded"];
    forward(std::move(w.msg), w.next);
}

void Node::forward(Routed m, const pastry::NodeRef& next) {
    if (stopped_) return;
    ++counters_["dht.forwarded"];
    send_dht(next, m);
}

void Node::send_reply(const Routed& m, Reply r) {
    if (m.req == 0) return;
    r.req = m.req;
    send_dht(m.origin, r);
}

void Node::deliver(Routed m) {
    std::int64_t now = Loop::now_us();
    ++counters_["dht.delivered"];
    Reply reply;
    try {
        switch (m.op) {
        case Op::put: {
            Record rec = decode_record(value_bytes(m.body.at("record")), now);
            if (rec.key != m.key) throw Error("invalid_params", "the record's key is not the key it was routed to");
            if (!accept_record(rec, "put", now))
                throw Error("forbidden", "the record's writer identity does not verify");
            PutOutcome outcome = store_.put(rec, now);
            schedule_expiry();
            if (outcome == PutOutcome::stale && !holds_version(rec)) {
                reply.result = {{"replicas", 0}, {"stale", true}};  // a newer version is stored
                break;
            }
            // Stored now, or already by an earlier attempt of this request
            // whose reply was lost: (re)replicate and count the copies.
            if (outcome != PutOutcome::stale) notify_subscribers(rec, false);
            auto shared = std::make_shared<Routed>(std::move(m));
            replicate(rec.key, {rec}, [this, shared](std::uint32_t acks) {
                Reply r;
                r.result = {{"replicas", 1 + acks}, {"root", peer_value(self_)}};
                send_reply(*shared, r);
            });
            return;
        }
        case Op::get: {
            std::string cursor = m.body.value("cursor", "");
            std::size_t limit = std::clamp<std::size_t>(m.body.value("limit", 256u), 1, 1024);
            GetPage page = store_.get(m.key, now, cursor, limit);
            Value values = Value::array();
            std::size_t fit = 0, bytes = 0;
            for (; fit < page.values.size(); ++fit) {
                const Record& r = page.values[fit];
                Value v{{"value", bytes_value(r.value)},
                        {"type", r.type},
                        {"ttl", (r.expires_us - now + 999'999) / 1'000'000},
                        {"seq", r.seq},
                        {"vid", r.vid},
                        {"writer", r.writer.hex()}};
                std::size_t size = packed_size(v);  // exactly what it adds to the reply
                if (fit > 0 && bytes + size > kMaxGetPageBytes) break;
                bytes += size;
                values.push_back(std::move(v));
            }
            if (fit < page.values.size()) {  // cut short by bytes: the cursor after the last value sent
                page.next_cursor = store_.get(m.key, now, cursor, fit).next_cursor;
                ++counters_["dht.get_pages_cut"];
            }
            reply.result = {{"values", values}, {"next_cursor", page.next_cursor}, {"root", peer_value(self_)}};
            break;
        }
        case Op::remove: {
            std::set<std::string> deny;  // owned namespaces the caller may not touch (its node says which)
            if (auto d = m.body.find("deny_types"); d != m.body.end() && d->is_array())
                for (const auto& t : *d)
                    if (t.is_string() && deny.size() < 64) deny.insert(t.get<std::string>());
            std::size_t n = store_.remove(m.key, value_bytes(m.body.at("secret")), now, deny);
            if (n == 0) throw Error("not_found", "no values under key " + m.key.hex());
            std::vector<Record> tombs;
            for (auto& r : store_.records(m.key))
                if (r.tombstone) tombs.push_back(r);
            replicate(m.key, tombs, [](std::uint32_t) {});
            reply.result = {{"removed", n}};
            break;
        }
        case Op::trace: {
            Value hops = Value::array();
            for (const auto& p : m.path) hops.push_back(peer_value(p));
            reply.result = {{"hops", hops}, {"root", peer_value(self_)}};
            break;
        }
        case Op::listen: {
            subscribe(m, now);
            reply.result = {{"subscribed", true}, {"root", peer_value(self_)}};
            break;
        }
        case Op::app: {
            auto app = apps_.find(m.app);
            auto conn = app == apps_.end() ? nullptr : app->second.conn.lock();
            if (!conn) {
                ++counters_["dht.app_undeliverable"];
                throw Error("not_found", "no application '" + m.app + "' registered at the root");
            }
            conn->notify("app.deliver", {{"app", m.app},
                                         {"key", m.key.hex()},
                                         {"payload", m.body.value("payload", Value::binary({}))},
                                         {"origin", peer_value(m.origin)},
                                         {"hops", m.hops}});
            reply.result = {{"delivered", true}};
            break;
        }
        }
    } catch (const Error& e) {
        reply.error_code = e.code;
        reply.error_message = e.what();
    } catch (const DecodeError& e) {
        reply.error_code = "invalid_params";
        reply.error_message = e.what();
    } catch (const Value::exception& e) {
        reply.error_code = "invalid_params";
        reply.error_message = e.what();
    }
    send_reply(m, std::move(reply));
}

// ---- applications ------------------------------------------------------------

void Node::register_app(const std::string& name, std::shared_ptr<rpc::Connection> conn) {
    if (auto old = apps_.find(name); old != apps_.end()) {
        auto c = old->second.conn.lock();
        if (c && !c->closed())
            throw Error("busy", "application '" + name + "' is already registered on another connection");
    }
    apps_[name] = App{conn, conn->id(), 0};
    conn->set_long_lived(true);
    std::uint64_t id = conn->id();
    conn->on_close([this, name, id] {
        auto it = apps_.find(name);
        if (it != apps_.end() && it->second.conn_id == id) apps_.erase(it);
    });
    log::info("application '", name, "' registered");
}

void Node::route_app(const std::string& app, const Id& key, const std::string& payload) {
    if (!joined()) throw Error("not_ready", "the node has not joined the overlay yet");
    Routed m;
    m.key = key;
    m.origin = self_;
    m.req = 0;
    m.op = Op::app;
    m.app = app;
    m.body = {{"payload", bytes_value(payload)}};
    route(std::move(m));
}

void Node::send_app(const std::string& app, const pastry::NodeRef& to, const std::string& payload) {
    if (!joined()) throw Error("not_ready", "the node has not joined the overlay yet");
    ++counters_["dht.app_sent"];
    send_dht(to, Direct{self_, to.id, app, payload});
}

// A direct message names the node id it is for: one that reaches another
// node at the address (restarted under a new id) is not that node's.
void Node::receive_direct(const Direct& m) {
    if (m.to != self_.id) {
        ++counters_["dht.app_misaddressed"];
        return;
    }
    auto app = apps_.find(m.app);
    auto conn = app == apps_.end() ? nullptr : app->second.conn.lock();
    if (!conn) {
        ++counters_["dht.app_undeliverable"];
        return;
    }
    ++counters_["dht.app_received"];
    conn->notify("app.receive", {{"app", m.app}, {"payload", bytes_value(m.payload)}, {"origin", peer_value(m.from)}});
}

// ---- introspection -----------------------------------------------------------

Value Node::info() const {
    auto st = store_.stats();
    auto live = store_.live_totals(Loop::now_us());  // as dht.keys lists them
    return {{"id", self_.id.hex()},
            {"address", self_.addr},
            {"joined", joined()},
            {"uptime_s", (Loop::now_us() - started_us_) / 1'000'000},
            {"leafset", core_ ? core_->leaf_set().size() : 0},
            {"routes", core_ ? core_->routing_table().size() : 0},
            {"keys", live.keys},
            {"values", live.values},
            {"bytes", live.bytes},
            {"charged_bytes", st.bytes},  // what --quota is compared with: values plus their records' overhead
            {"tombstones", st.tombstones},
            {"replicas", cfg_.replicas},
            {"overlay", cfg_.transport.key ? "closed" : "open"},
            {"overlay_in", transport_.stats().inbound},
            {"overlay_unauthenticated", transport_.stats().unauthenticated},
            {"overlay_out", transport_.stats().outbound},
            {"overlay_refused", counters_["overlay.connections_refused"] + counters_["overlay.handshake_timeouts"]},
            {"proximity", proximity_ && proximity_->connected() ? "sr-proxd" : "rtt"},
            {"pending_requests", pending_.size()},
            {"subscriptions", subscriptions_.size()},
            {"listens", listens_.size()},
            {"applications", apps_.size()}};
}

}  // namespace sr::dht

namespace sr::dht {

Value Node::counters_value() const {
    Value v = Value::object();
    if (!core_) return v;
    const auto& c = core_->counters();
    for (std::size_t k = 0; k < pastry::kMessageKinds; ++k) {
        v[std::string("pastry.in.") + pastry::message_name(k)] = c.msgs_in[k];
        v[std::string("pastry.out.") + pastry::message_name(k)] = c.msgs_out[k];
    }
    v["pastry.ignored"] = c.ignored;
    v["pastry.peers_dead"] = c.peers_dead;
    v["pastry.peers_departed"] = c.peers_departed;
    v["pastry.leaf_repairs"] = c.leaf_repairs;
    v["pastry.rt_repairs"] = c.rt_repairs;
    v["pastry.probes"] = c.probes;
    v["pastry.probe_timeouts"] = c.probe_timeouts;
    v["pastry.joins_forwarded"] = c.joins_forwarded;
    v["pastry.joins_answered"] = c.joins_answered;
    v["pastry.hearsay_dropped"] = c.hearsay_dropped;
    v["pastry.peers_evicted"] = c.peers_evicted;
    v["pastry.known_peers"] = core_->known_peers();
    v["dht.subscriptions"] = subscriptions_.size();
    v["dht.subscriber_nodes"] = subscriptions_.nodes();
    auto st = store_.stats();
    v["store.keys"] = st.keys;
    v["store.values"] = st.values;
    v["store.tombstones"] = st.tombstones;
    v["store.bytes"] = st.bytes;
    v["store.writers"] = st.writers;
    v["store.puts"] = st.puts;
    v["store.stale"] = st.stale;
    v["store.removed"] = st.removed;
    v["store.expired"] = st.expired;
    for (const auto& [code, n] : st.rejects) v["store.rejected." + code] = n;
    return v;
}

}  // namespace sr::dht
