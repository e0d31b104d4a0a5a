#include "event/service.hpp"

#include "core/daemon.hpp"
#include "core/error.hpp"
#include "core/file.hpp"
#include "core/log.hpp"
#include "core/rpc_wire.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <utility>

namespace sr::event {

namespace {

constexpr std::int64_t kRelinkUs = 1'000'000;

std::optional<NodeHandle> handle_of(const Value& v) {
    if (!v.is_object()) return std::nullopt;
    auto id = v.find("id");
    auto addr = v.find("addr");
    if (id == v.end() || !id->is_string() || addr == v.end() || !addr->is_string()) return std::nullopt;
    auto parsed = Id::from_hex(id->get<std::string>());
    if (!parsed) return std::nullopt;
    return NodeHandle{*parsed, addr->get<std::string>()};
}

std::vector<NodeHandle> handles_of(const Value& v) {
    std::vector<NodeHandle> out;
    if (!v.is_array()) return out;
    for (const auto& e : v)
        if (auto h = handle_of(e)) out.push_back(*h);
    return out;
}

Value handle_value(const NodeHandle& n) { return Value{{"id", n.id.hex()}, {"addr", n.addr}}; }

Value message_value(const Message& m) {
    Value v{{"topic", m.topic}, {"seq", m.seq}, {"payload", bytes_value(m.payload)}, {"time", m.time_us / 1e6}};
    if (m.retained) v["retained"] = true;
    return v;
}

}  // namespace

EventService::EventService(Loop& loop, EventConfig cfg, rpc::Counters& counters)
    : loop_(loop), cfg_(std::move(cfg)), counters_(counters), tick_(loop, [this] {
          if (!core_) return;
          std::vector<Effect> out;
          core_->tick(Loop::now_us(), Loop::wall_now_us(), out);
          carry_out(std::move(out));
          arm_tick();
      }),
      relink_(loop, [this] { link(); }) {}

EventService::~EventService() { *alive_ = false; }

void EventService::start() { link(); }

void EventService::stop() {
    save_roots();
    stopped_ = true;
    tick_.cancel();
    relink_.cancel();
    for (auto& [token, done] : publishes_) done("unavailable", "sr-eventd is stopping", 0);
    publishes_.clear();
    if (dht_) dht_->close();
}

// ---- the link to sr-dhtd -------------------------------------------------------

void EventService::link() {
    if (stopped_) return;
    try {
        dht_ = rpc::connect_unix(loop_, cfg_.dht_socket, counters_);
    } catch (const Error& e) {
        if (log::worth_logging(++counters_["event.dht_connect_failures"]))
            log::warn("sr-dhtd at ", cfg_.dht_socket, ": ", e.what(), "; retrying every second");
        relink_.arm_in(kRelinkUs);
        return;
    }
    auto alive = alive_;
    dht_->on_request = [this, alive](rpc::Connection& c, rpc::Message& m) {
        if (*alive) on_upcall(c, m);
    };
    dht_->on_notification = [this, alive](rpc::Connection& c, rpc::Message& m) {
        if (*alive) on_notification(c, m);
    };
    dht_->on_close([this, alive] {
        if (!*alive || stopped_) return;
        registered_ = false;
        log::warn("lost sr-dhtd; reconnecting");
        relink_.arm_in(kRelinkUs);
    });
    dht_->call("dht.app_register", {{"app", kAppName}}, [this, alive](const Value& err, const Value& result) {
        if (!*alive) return;
        if (!err.is_null()) {
            log::warn("cannot register with sr-dhtd: ", err.value("message", std::string("?")), "; retrying");
            if (dht_) dht_->close();
            return;
        }
        on_registered(result.value("node", Value()));
    });
}

void EventService::on_registered(const Value& node) {
    auto self = handle_of(node);
    if (!self) {
        log::error("sr-dhtd registered us without a usable node handle");
        if (dht_) dht_->close();
        return;
    }
    registered_ = true;
    if (core_ && core_->self() == *self) {
        log::info("registered again with sr-dhtd as ", self->id.hex());
        return;
    }
    // A new node (first start, or sr-dhtd came back under another id): the
    // tree state of the old one means nothing; join again what is wanted here.
    log::info("registered with sr-dhtd as node ", self->id.hex(), " ", self->addr);
    core_ = std::make_unique<Scribe>(*self, cfg_.limits);
    std::vector<Effect> out;
    restore_roots(out);
    for (const auto& [topic, subs] : by_topic_)
        if (!subs.empty()) core_->subscribe(topic, Loop::now_us(), out);
    carry_out(std::move(out));
    arm_tick();
    if (on_first_link) std::exchange(on_first_link, nullptr)();
}

// ---- root state across a clean restart ----------------------------------------
//
// Only a clean stop writes it, and a start that has read it removes it: the
// file never holds anything but the state of the moment the daemon stopped,
// which the replicas and the takeover logic then bring up to date.

std::string EventService::roots_path() const { return cfg_.state_dir + "/roots.msgpack"; }

void EventService::save_roots() {
    if (cfg_.state_dir.empty() || !core_ || stopped_) return;
    try {
        make_directory(cfg_.state_dir, 0700);
        write_file_atomic(roots_path(), core_->save_roots());
        log::info("root state of ", core_->root_count(), " topics saved in ", roots_path());
    } catch (const Error& e) {
        log::error("saving the root state: ", e.what());
    }
}

void EventService::restore_roots(std::vector<Effect>& out) {
    if (cfg_.state_dir.empty()) return;
    auto saved = read_file(roots_path());
    if (!saved) return;
    try {
        std::size_t n = core_->restore_roots(*saved, Loop::now_us(), Loop::wall_now_us(), out);
        log::info("root state of ", n, " topics restored from ", roots_path());
        ::unlink(roots_path().c_str());
    } catch (const DecodeError& e) {
        // Keep the evidence; the replicas still hold the state.
        std::string bad = roots_path() + ".corrupt";
        ::rename(roots_path().c_str(), bad.c_str());
        log::error(roots_path(), ": ", e.what(), "; moved to ", bad);
    }
}

void EventService::arm_tick() {
    if (!core_) return;
    std::int64_t at = core_->next_deadline();
    tick_.arm_at(std::max(at, Loop::now_us()));
}

// app.forward: answered with the core's decision; a message the core cannot
// read goes on unchanged (it may be another version's).
void EventService::on_upcall(rpc::Connection& c, rpc::Message& m) {
    Value answer = Value{{"action", "forward"}};
    if (m.method == "app.forward" && core_) {
        try {
            const Value& p = m.params;
            auto key = Id::from_hex(p.value("key", std::string()));
            auto next = handle_of(p.value("next_hop", Value()));
            if (key && next) {
                std::vector<Effect> out;
                auto d = core_->on_forward(*key, value_bytes(p.at("payload")), *next, Loop::now_us(),
                                           Loop::wall_now_us(), out);
                if (d.drop) answer = Value{{"action", "drop"}};
                else if (d.payload) answer["payload"] = bytes_value(*d.payload);
                carry_out(std::move(out));
            }
        } catch (const std::exception& e) {
            if (log::worth_logging(++counters_["event.undecodable"]))
                log::warn("overlay message not understood: ", e.what());
        }
    }
    c.respond(m.msgid, Value(), answer);
}

void EventService::on_notification(rpc::Connection&, rpc::Message& m) {
    if (!core_) return;
    std::vector<Effect> out;
    std::int64_t now = Loop::now_us(), wall = Loop::wall_now_us();
    try {
        const Value& p = m.params;
        if (m.method == "app.deliver") {
            auto key = Id::from_hex(p.value("key", std::string()));
            auto origin = handle_of(p.value("origin", Value()));
            if (key && origin) core_->on_deliver(*key, value_bytes(p.at("payload")), *origin, now, wall, out);
        } else if (m.method == "app.receive") {
            auto origin = handle_of(p.value("origin", Value()));
            if (origin) core_->on_receive(value_bytes(p.at("payload")), *origin, now, wall, out);
        } else if (m.method == "app.update") {
            core_->on_leafset(handles_of(p.value("added", Value())), handles_of(p.value("removed", Value())), now, out);
        }
    } catch (const std::exception& e) {
        if (log::worth_logging(++counters_["event.undecodable"]))
            log::warn("overlay message not understood: ", e.what());
    }
    carry_out(std::move(out));
    arm_tick();
}

void EventService::carry_out(std::vector<Effect> effects) {
    auto alive = alive_;
    for (auto& e : effects) {
        if (auto* r = std::get_if<RouteTo>(&e)) {
            if (!registered_) continue;  // the core's timers retry what matters
            dht_->call("dht.route", {{"key", r->key.hex()}, {"app", kAppName}, {"payload", bytes_value(r->payload)}},
                       [this, alive](const Value& err, const Value&) {
                           if (*alive && !err.is_null()) ++counters_["event.route_failures"];
                       });
        } else if (auto* s = std::get_if<SendTo>(&e)) {
            if (!registered_) continue;
            dht_->call("dht.send", {{"node", handle_value(s->to)}, {"app", kAppName}, {"payload", bytes_value(s->payload)}},
                       [this, alive](const Value& err, const Value&) {
                           if (*alive && !err.is_null()) ++counters_["event.send_failures"];
                       });
        } else if (auto* a = std::get_if<AskReplicaSet>(&e)) {
            if (!registered_) continue;
            Id key = a->key;
            dht_->call("dht.replica_set", {{"key", key.hex()}, {"count", cfg_.limits.replicas + 1}},
                       [this, alive, key](const Value& err, const Value& result) {
                           if (!*alive || !core_ || !err.is_null()) return;
                           std::vector<Effect> out;
                           core_->on_replica_set(key, handles_of(result.value("nodes", Value())), Loop::now_us(), out);
                           carry_out(std::move(out));
                           arm_tick();
                       });
        } else if (auto* d = std::get_if<Deliver>(&e)) {
            deliver(d->m);
        } else if (auto* g = std::get_if<Gap>(&e)) {
            report_gap(g->topic, g->from, g->to);
        } else if (auto* p = std::get_if<Published>(&e)) {
            auto it = publishes_.find(p->token);
            if (it == publishes_.end()) continue;
            auto done = std::move(it->second);
            publishes_.erase(it);
            done("", "", p->seq);
        } else if (auto* f = std::get_if<PublishFailed>(&e)) {
            auto it = publishes_.find(f->token);
            if (it == publishes_.end()) continue;
            auto done = std::move(it->second);
            publishes_.erase(it);
            done(f->code, f->message, 0);
        } else if (auto* f = std::get_if<Fetched>(&e)) {
            fetched(*f);
        }
    }
}

// ---- local subscribers -----------------------------------------------------------

void EventService::publish(const std::string& topic, std::string payload, bool retain, PublishDone done) {
    if (!core_ || !registered_) throw Error("not_ready", "sr-eventd is not linked to sr-dhtd yet");
    std::vector<Effect> out;
    std::uint64_t token = core_->publish(topic, std::move(payload), retain, Loop::now_us(), Loop::wall_now_us(), out);
    publishes_.emplace(token, std::move(done));
    carry_out(std::move(out));
    arm_tick();
}

std::uint64_t EventService::add_subscriber(std::shared_ptr<Sink> sink) {
    std::uint64_t id = next_subscriber_++;
    subscribers_[id].sink = std::move(sink);
    return id;
}

void EventService::subscribe(std::uint64_t id, const std::vector<std::string>& topics,
                             std::optional<std::uint64_t> since) {
    if (!core_ || !registered_) throw Error("not_ready", "sr-eventd is not linked to sr-dhtd yet");
    auto it = subscribers_.find(id);
    if (it == subscribers_.end()) throw Error("internal", "no such subscriber");
    Subscriber& s = it->second;
    if (s.topics.size() + topics.size() > cfg_.max_topics_per_connection)
        throw Error("over_quota", "at most " + std::to_string(cfg_.max_topics_per_connection) +
                                      " topics on one subscription");
    std::vector<Effect> out;
    for (const auto& topic : topics) {
        if (s.topics.count(topic)) continue;
        core_->subscribe(topic, Loop::now_us(), out);  // throws on a bad name before anything is kept
        TopicStream& ts = s.topics[topic];
        by_topic_[topic].insert(id);
        // From `since` on out of the root's buffer; without it, the retained
        // message (if any) comes first, then what is published from now on.
        ts.replaying = true;
        ts.next = since.value_or(0);
        std::uint64_t token = core_->fetch(topic, since.value_or(0), Loop::now_us(), out);
        fetches_[token] = {id, topic};
        ++counters_["event.subscriptions"];
    }
    carry_out(std::move(out));
    arm_tick();
}

std::size_t EventService::unsubscribe(std::uint64_t id, const std::vector<std::string>& topics) {
    auto it = subscribers_.find(id);
    if (it == subscribers_.end()) return 0;
    std::size_t left = 0;
    for (const auto& topic : topics) {
        if (!it->second.topics.erase(topic)) continue;
        ++left;
        by_topic_[topic].erase(id);
        local_unsubscribe(topic);
    }
    return left;
}

// A subscriber that has caught up hears at once of what it missed.
void EventService::drained(std::uint64_t id) {
    auto it = subscribers_.find(id);
    if (it == subscribers_.end()) return;
    for (auto& [topic, ts] : it->second.topics) flush_gap(it->second, ts, topic);
}

void EventService::remove_subscriber(std::uint64_t id) {
    auto it = subscribers_.find(id);
    if (it == subscribers_.end()) return;
    auto topics = std::move(it->second.topics);
    subscribers_.erase(it);
    for (const auto& [topic, ts] : topics) {
        by_topic_[topic].erase(id);
        local_unsubscribe(topic);
    }
}

// ---- control connections as subscribers ------------------------------------------

namespace {

class ConnectionSink : public Sink {
  public:
    explicit ConnectionSink(std::weak_ptr<rpc::Connection> c) : conn_(std::move(c)) {}
    bool open() const override {
        auto c = conn_.lock();
        return c && !c->closed();
    }
    std::size_t queued() const override {
        auto c = conn_.lock();
        return c ? c->output_buffered() : 0;
    }
    void message(const Message& m) override {
        if (auto c = conn_.lock()) c->notify("event.message", message_value(m));
    }
    void gap(const std::string& topic, std::uint64_t from, std::uint64_t to, const std::string& reason) override {
        if (auto c = conn_.lock())
            c->notify("event.gap", {{"topic", topic}, {"from", from}, {"to", to}, {"reason", reason}});
    }

  private:
    std::weak_ptr<rpc::Connection> conn_;
};

}  // namespace

void EventService::subscribe_connection(const std::vector<std::string>& topics, std::optional<std::uint64_t> since,
                                        const std::shared_ptr<rpc::Connection>& conn) {
    if (!core_ || !registered_) throw Error("not_ready", "sr-eventd is not linked to sr-dhtd yet");
    auto found = by_connection_.find(conn->id());
    std::uint64_t id;
    if (found != by_connection_.end()) {
        id = found->second;
    } else {
        id = add_subscriber(std::make_shared<ConnectionSink>(conn));
        by_connection_[conn->id()] = id;
        conn->set_long_lived(true);
        auto alive = alive_;
        auto conn_id = conn->id();
        conn->on_close([this, alive, id, conn_id] {
            if (!*alive) return;
            by_connection_.erase(conn_id);
            remove_subscriber(id);
        });
        conn->on_drained = [this, alive, id] {
            if (*alive) drained(id);
        };
    }
    subscribe(id, topics, since);
}

std::size_t EventService::unsubscribe_connection(const std::vector<std::string>& topics, const rpc::Connection& conn) {
    auto found = by_connection_.find(conn.id());
    return found == by_connection_.end() ? 0 : unsubscribe(found->second, topics);
}

void EventService::local_unsubscribe(const std::string& topic) {
    auto bt = by_topic_.find(topic);
    if (bt != by_topic_.end() && bt->second.empty()) by_topic_.erase(bt);
    if (!core_) return;
    std::vector<Effect> out;
    core_->unsubscribe(topic, Loop::now_us(), out);
    carry_out(std::move(out));
}

void EventService::deliver(const Message& m) {
    auto bt = by_topic_.find(m.topic);
    if (bt == by_topic_.end()) return;
    for (auto id : std::vector<std::uint64_t>(bt->second.begin(), bt->second.end())) {
        auto s = subscribers_.find(id);
        if (s == subscribers_.end()) continue;
        auto ts = s->second.topics.find(m.topic);
        if (ts == s->second.topics.end()) continue;
        if (ts->second.replaying) {
            if (ts->second.held.size() < cfg_.limits.reorder_max) ts->second.held.push_back(m);
            else ts->second.dropped = {ts->second.dropped ? ts->second.dropped->first : m.seq, m.seq};
            continue;
        }
        hand(s->second, ts->second, m);
    }
}

// One message to one subscriber, unless it has seen it, or its queue is full
// (then it is owed a gap, sent once it has room again).
void EventService::hand(Subscriber& s, TopicStream& ts, const Message& m) {
    Sink& sink = *s.sink;
    if (!sink.open()) return;
    if (!m.retained && ts.next != 0 && m.seq < ts.next) {
        ++counters_["event.duplicates_suppressed"];
        return;
    }
    // A jump: messages the core never handed here (a replay its root did not
    // answer), said as a gap, never skipped silently.
    bool jump = !m.retained && ts.next != 0 && m.seq > ts.next;
    if (sink.queued() > cfg_.queue_bytes) {
        ++counters_["event.queue_overflows"];
        ts.dropped = {ts.dropped ? ts.dropped->first : (jump ? ts.next : m.seq), m.seq};
        if (!m.retained) ts.next = m.seq + 1;
        return;
    }
    flush_gap(s, ts, m.topic);
    if (jump) {
        sink.gap(m.topic, ts.next, m.seq - 1, "not buffered");
        ++counters_["event.gaps_reported"];
    }
    sink.message(m);
    ++counters_["event.notified"];
    if (!m.retained) ts.next = m.seq + 1;
}

void EventService::flush_gap(Subscriber& s, TopicStream& ts, const std::string& topic) {
    if (!ts.dropped || !s.sink->open()) return;
    s.sink->gap(topic, ts.dropped->first, ts.dropped->second, "slow subscriber");
    ++counters_["event.gaps_reported"];
    ts.dropped.reset();
}

void EventService::report_gap(const std::string& topic, std::uint64_t from, std::uint64_t to) {
    auto bt = by_topic_.find(topic);
    if (bt == by_topic_.end()) return;
    for (auto id : bt->second) {
        auto s = subscribers_.find(id);
        if (s == subscribers_.end()) continue;
        auto ts = s->second.topics.find(topic);
        if (ts == s->second.topics.end() || (ts->second.next != 0 && to < ts->second.next)) continue;
        if (!s->second.sink->open()) continue;
        s->second.sink->gap(topic, from, to, "not buffered");
        ++counters_["event.gaps_reported"];
        ts->second.next = std::max(ts->second.next, to + 1);
    }
}

// A subscription's replay is in: its messages first, then what was held. A
// reply cut short by its size is followed by another fetch from where it
// stopped; a root that never answered leaves what it held unknown, which
// hand() reports as a gap when the next message shows how far it reached.
void EventService::fetched(const Fetched& f) {
    auto it = fetches_.find(f.token);
    if (it == fetches_.end()) return;
    auto [sub_id, topic] = it->second;
    fetches_.erase(it);
    auto s = subscribers_.find(sub_id);
    if (s == subscribers_.end()) return;
    auto ts = s->second.topics.find(topic);
    if (ts == s->second.topics.end() || !ts->second.replaying) return;
    TopicStream& stream = ts->second;
    bool from_now = stream.next == 0;  // no `since`: the retained message only
    if (!f.code.empty()) {
        ++counters_["event.replay_timeouts"];
        if (log::worth_logging(counters_["event.replay_timeouts"]))
            log::warn("topic ", topic, ": its root did not answer a replay request");
    } else {
        if (f.gap && !from_now && s->second.sink->open()) {
            s->second.sink->gap(topic, f.gap->first, f.gap->second, "not buffered");
            ++counters_["event.gaps_reported"];
            stream.next = std::max(stream.next, f.gap->second + 1);
        }
        std::uint64_t before = stream.next;
        for (const auto& m : f.messages) hand(s->second, stream, m);
        if (from_now) {
            // From now on: after what the root had numbered when it answered,
            // or from the first message that reached this node since the
            // subscription began if that is earlier (numbered before the
            // root saw this fetch, e.g. published here at the root, where a
            // publish does not queue behind the fetch in sr-dhtd); but not
            // again what the retained message has just given.
            std::uint64_t next = f.last_seq + 1;
            for (const auto& m : stream.held)
                if (!m.retained) {
                    next = std::min(next, m.seq);
                    break;
                }
            for (const auto& m : f.messages)
                if (m.retained && m.seq >= next) next = m.seq + 1;
            stream.next = next;
        } else if (stream.next > before && stream.next <= f.last_seq && core_) {
            std::vector<Effect> out;
            fetches_[core_->fetch(topic, stream.next, Loop::now_us(), out)] = {sub_id, topic};
            carry_out(std::move(out));
            return;
        }
    }
    stream.replaying = false;
    auto held = std::move(stream.held);
    stream.held.clear();
    for (const auto& m : held) hand(s->second, stream, m);
}

// ---- introspection ---------------------------------------------------------------

Value EventService::topics() const {
    Value out = Value::array();
    if (!core_) return out;
    for (const auto& t : core_->topics()) {
        auto bt = by_topic_.find(t.topic);
        out.push_back({{"topic", t.topic},
                       {"root", t.tree.root},
                       {"children", t.tree.children.size()},
                       {"subscribers", bt == by_topic_.end() ? 0 : bt->second.size()},
                       {"last_seq", t.tree.last_seq},
                       {"buffered", t.buffered},
                       {"retained", t.retained}});
    }
    return out;
}

Value EventService::tree(const std::string& topic) const {
    if (!core_) throw Error("not_ready", "sr-eventd is not linked to sr-dhtd yet");
    TreeInfo t = core_->tree(topic);
    Value children = Value::array();
    for (const auto& c : t.children) children.push_back(handle_value(c));
    return Value{{"topic", topic},
                 {"key", topic_key(topic).hex()},
                 {"self", handle_value(core_->self())},
                 {"member", t.member},
                 {"root", t.root},
                 {"parent", t.parent ? handle_value(*t.parent) : Value()},
                 {"children", children},
                 {"subscribers", t.local_subscribers},
                 {"last_seq", t.last_seq}};
}

Value EventService::stats() const {
    Value v = Value::object();
    v["linked"] = registered_;
    v["topics"] = core_ ? core_->topic_count() : 0;
    v["subscribers"] = subscribers_.size();
    v["publishes_waiting"] = publishes_.size();
    if (core_)
        for (const auto& [k, n] : core_->counters()) v[k] = n;
    // This daemon's own counters (subscribers, the link to sr-dhtd) beside the core's.
    Value mine = counters_.to_value();
    for (auto it = mine.begin(); it != mine.end(); ++it)
        if (it.key().rfind("event.", 0) == 0) v[it.key()] = it.value();
    return v;
}

}  // namespace sr::event
