// Scribe's inputs: decoding and dispatch, the local API, timers.
// The tree is in scribe_tree.cpp, root state in scribe_root.cpp, ordered
// local delivery and gap repair in scribe_delivery.cpp.
#include "event/scribe.hpp"

#include "core/error.hpp"
#include "event/scribe_wire.hpp"

#include <algorithm>
#include <limits>

namespace sr::event {

Id topic_key(std::string_view topic) { return Id::hash("topic", topic); }

namespace {

void check_topic(const std::string& topic, const Limits& limits) {
    if (topic.empty() || topic.size() > std::min(limits.max_topic_name, wire::kMaxTopicName))
        throw Error("invalid_params", "topic: empty or over " + std::to_string(limits.max_topic_name) + " bytes");
}

// A routed message must be addressed to its topic's key; anything else is
// a forgery or a bug at the sender.
void check_key(const Id& key, const std::string& topic) {
    if (topic_key(topic) != key) throw DecodeError("scribe message: key is not the topic's");
}

}  // namespace

Scribe::Scribe(NodeHandle self, Limits limits)
    // Tokens name a publish to the root across retries and restarts of this
    // node, so they start at a random point rather than at 1.
    : self_(std::move(self)), limits_(limits), next_token_((Id::random().lo >> 2) + 1) {}

void Scribe::send(const NodeHandle& to, const std::string& payload) {
    if (to.id == self_.id) to_self_.push_back(payload);
    else emit(SendTo{to, payload});
}

void Scribe::drain_self() {
    if (draining_) return;
    draining_ = true;
    while (!to_self_.empty()) {
        std::string m = std::move(to_self_.front());
        to_self_.pop_front();
        handle_direct(m, self_);
    }
    draining_ = false;
}

ForwardDecision Scribe::on_forward(const Id& key, std::string_view payload, const NodeHandle&, std::int64_t now,
                                   std::int64_t wall_us, std::vector<Effect>& out) {
    Call call(*this, now, wall_us, out);
    auto m = wire::decode(payload);
    ForwardDecision d;
    if (auto* join = std::get_if<wire::Join>(&m)) {
        check_key(key, join->topic);
        d = join_passing(join->topic, join->child, false);
    } else if (auto* pub = std::get_if<wire::Publish>(&m)) {
        check_key(key, pub->topic);
    } else if (auto* fetch = std::get_if<wire::Fetch>(&m)) {
        check_key(key, fetch->topic);
    } else {
        throw DecodeError("scribe message: not a routed message");
    }
    // A routed message for a key passing its supposed root means a node
    // closer to the key has joined: the replica set says which, and whether
    // this node must hand its root state over.
    auto r = roots_.find(key);
    if (r != roots_.end() && r->second.acting) emit(AskReplicaSet{key});
    drain_self();
    return d;
}

void Scribe::on_deliver(const Id& key, std::string_view payload, const NodeHandle&, std::int64_t now,
                        std::int64_t wall_us, std::vector<Effect>& out) {
    Call call(*this, now, wall_us, out);
    auto m = wire::decode(payload);
    if (auto* join = std::get_if<wire::Join>(&m)) {
        check_key(key, join->topic);
        become_root(key, join->topic);
        join_passing(join->topic, join->child, true);
    } else if (auto* pub = std::get_if<wire::Publish>(&m)) {
        check_key(key, pub->topic);
        root_publish(key, pub->topic, pub->publisher, pub->token, std::move(pub->payload), pub->retain);
    } else if (auto* f = std::get_if<wire::Fetch>(&m)) {
        check_key(key, f->topic);
        root_fetch(key, f->topic, f->requester, f->id, f->from, f->to, f->retained);
    } else {
        throw DecodeError("scribe message: not a routed message");
    }
    drain_self();
}

void Scribe::on_receive(std::string_view payload, const NodeHandle& origin, std::int64_t now, std::int64_t wall_us,
                        std::vector<Effect>& out) {
    Call call(*this, now, wall_us, out);
    handle_direct(std::string(payload), origin);
    drain_self();
}

void Scribe::handle_direct(const std::string& payload, const NodeHandle& origin) {
    auto m = wire::decode(payload);
    std::visit(
        [&](auto& msg) {
            using T = std::decay_t<decltype(msg)>;
            if constexpr (std::is_same_v<T, wire::Join> || std::is_same_v<T, wire::Publish> ||
                          std::is_same_v<T, wire::Fetch>) {
                throw DecodeError("scribe message: a routed message sent straight");
            } else if constexpr (std::is_same_v<T, wire::JoinAck>) {
                on_join_ack(msg.topic, msg.last_seq, origin);
            } else if constexpr (std::is_same_v<T, wire::Leave>) {
                on_leave(msg.topic, origin);
            } else if constexpr (std::is_same_v<T, wire::PublishAck>) {
                auto p = publishes_.find(msg.token);
                if (p == publishes_.end() || p->second.topic != msg.topic) return;
                emit(Published{msg.token, msg.topic, msg.seq});
                publishes_.erase(p);
            } else if constexpr (std::is_same_v<T, wire::PublishNack>) {
                auto p = publishes_.find(msg.token);
                if (p == publishes_.end() || p->second.topic != msg.topic) return;
                emit(PublishFailed{msg.token, msg.topic, msg.code, msg.message});
                publishes_.erase(p);
            } else if constexpr (std::is_same_v<T, wire::Data>) {
                on_data(msg.topic, msg.item.seq, msg.item.time_us, msg.item.payload, origin);
            } else if constexpr (std::is_same_v<T, wire::Heartbeat>) {
                on_heartbeat(msg.topics, origin);
            } else if constexpr (std::is_same_v<T, wire::Refresh>) {
                on_refresh(msg.topics, origin);
            } else if constexpr (std::is_same_v<T, wire::Reject>) {
                on_reject(msg.topics, origin);
            } else if constexpr (std::is_same_v<T, wire::FetchReply>) {
                std::vector<Message> items;
                for (auto& i : msg.items) items.push_back(Message{msg.topic, i.seq, i.time_us, std::move(i.payload)});
                std::optional<Message> retained;
                if (msg.retained)
                    retained = Message{msg.topic, msg.retained->seq, msg.retained->time_us,
                                       std::move(msg.retained->payload), true};
                on_fetch_reply(msg.topic, msg.id, msg.last_seq, msg.gap, std::move(items), std::move(retained));
            } else if constexpr (std::is_same_v<T, wire::RootSync>) {
                auto entry = [&](wire::SyncEntry& e, bool retained) {
                    return Entry{Message{msg.topic, e.seq, e.time_us, std::move(e.payload), retained}, e.publisher,
                                 e.token};
                };
                std::vector<Entry> entries;
                for (auto& e : msg.entries) entries.push_back(entry(e, false));
                std::optional<Entry> retained;
                if (msg.retained) retained = entry(*msg.retained, true);
                on_root_sync(msg.topic, msg.last_seq, std::move(entries), std::move(retained), origin);
            } else if constexpr (std::is_same_v<T, wire::RootSyncAck>) {
                on_root_sync_ack(msg.topic, msg.first, msg.last, origin);
            }
        },
        m);
}

void Scribe::on_leafset(const std::vector<NodeHandle>& added, const std::vector<NodeHandle>& removed,
                        std::int64_t now, std::vector<Effect>& out) {
    Call call(*this, now, std::nullopt, out);
    if (added.empty() && removed.empty()) return;
    auto gone = [&](const Id& id) {
        return std::any_of(removed.begin(), removed.end(), [&](const NodeHandle& n) { return n.id == id; });
    };
    std::vector<std::string> emptied;
    for (auto& [name, t] : topics_) {
        if (t.parent && gone(t.parent->id)) {
            count("event.rejoins");
            lose_parent(t);
        }
        for (auto c = t.children.begin(); c != t.children.end();) {
            if (gone(c->first)) {
                count("event.children_dropped");
                c = t.children.erase(c);
            } else {
                ++c;
            }
        }
        if (t.children.empty()) emptied.push_back(name);
    }
    for (const auto& name : emptied) prune_if_empty(name);
    // The replica sets of every key held here may have changed: the root
    // syncs new replicas, and a replica may have become the root. Until the
    // answers come, this node's own publishes are routed again.
    for (auto& [key, r] : roots_) {
        r.confirmed = false;
        emit(AskReplicaSet{key});
    }
    drain_self();
}

void Scribe::tick(std::int64_t now, std::int64_t wall_us, std::vector<Effect>& out) {
    Call call(*this, now, wall_us, out);
    if (now >= next_beat_) {
        next_beat_ = now + limits_.heartbeat_us;
        beat();
        // A publisher's bucket that has filled up again is as good as none.
        for (auto b = publisher_buckets_.begin(); b != publisher_buckets_.end();) {
            double refill = static_cast<double>(now - b->second.at) * limits_.publisher_rate / 1e6;
            if (b->second.tokens + refill >= limits_.publisher_burst) b = publisher_buckets_.erase(b);
            else ++b;
        }
    }
    for (auto& [name, t] : topics_)
        if (t.repair && now >= t.repair->deadline) repair_timeout(t);
    for (auto& [key, r] : roots_) {
        trim(r);
        if (r.acting && !r.settled && now >= r.settle_by) settle(r);
        if (r.acting && !r.pending.empty()) release(r);
    }
    retry_outgoing();
    drain_self();
    soonest_ = scan_deadlines();
}

std::int64_t Scribe::scan_deadlines() const {
    std::int64_t d = std::numeric_limits<std::int64_t>::max();
    for (const auto& [name, t] : topics_)
        if (t.repair) d = std::min(d, t.repair->deadline);
    for (const auto& [key, r] : roots_) {
        if (!r.acting) continue;
        if (!r.settled) d = std::min(d, r.settle_by);
        for (const auto& [seq, p] : r.pending)
            if (!p.acked) d = std::min(d, p.deadline);
    }
    for (const auto* m : {&publishes_, &fetches_})
        for (const auto& [token, o] : *m) d = std::min(d, std::min(o.retry_at, o.deadline));
    return d;
}

void Scribe::retry_outgoing() {
    for (auto p = publishes_.begin(); p != publishes_.end();) {
        auto& o = p->second;
        if (now_ >= o.deadline) {
            emit(PublishFailed{p->first, o.topic, "timeout", "no answer from the topic's root"});
            p = publishes_.erase(p);
            continue;
        }
        // Resent with the same token: the root numbers it once.
        if (now_ >= o.retry_at) {
            o.retry_at = now_ + limits_.fetch_timeout_us;
            emit(RouteTo{o.key, o.payload});
        }
        ++p;
    }
    for (auto f = fetches_.begin(); f != fetches_.end();) {
        auto& o = f->second;
        if (now_ >= o.retry_at) {
            if (++o.attempts >= limits_.fetch_attempts) {
                Fetched answer{f->first, o.topic, {}, std::nullopt, 0, "timeout"};
                emit(std::move(answer));
                f = fetches_.erase(f);
                continue;
            }
            o.retry_at = now_ + limits_.fetch_timeout_us;
            emit(RouteTo{o.key, o.payload});
        }
        ++f;
    }
}

// ---- local API -------------------------------------------------------------

void Scribe::subscribe(const std::string& topic, std::int64_t now, std::vector<Effect>& out) {
    check_topic(topic, limits_);
    Call call(*this, now, std::nullopt, out);
    auto it = topics_.find(topic);
    if (it == topics_.end()) {
        if (topics_.size() >= limits_.max_topics)
            throw Error("over_quota", "this node takes part in " + std::to_string(topics_.size()) + " topics");
        Topic& t = topics_[topic];
        t.name = topic;
        t.key = topic_key(topic);
        t.subscribers = 1;
        send_join(t);
    } else if (it->second.subscribers++ == 0) {
        // A forwarder gaining a subscriber delivers from where the tree is now.
        Topic& t = it->second;
        if (t.known) {
            t.synced = true;
            t.delivered = t.last_seen;
        }
    }
    drain_self();
}

void Scribe::unsubscribe(const std::string& topic, std::int64_t now, std::vector<Effect>& out) {
    Call call(*this, now, std::nullopt, out);
    auto it = topics_.find(topic);
    if (it == topics_.end() || it->second.subscribers == 0) return;
    Topic& t = it->second;
    if (--t.subscribers == 0) {
        t.synced = false;
        t.delivered = 0;
        t.held.clear();
        t.repair.reset();
        prune_if_empty(topic);
    }
    drain_self();
}

std::uint64_t Scribe::publish(const std::string& topic, std::string payload, bool retain, std::int64_t now,
                              std::int64_t wall_us, std::vector<Effect>& out) {
    check_topic(topic, limits_);
    if (payload.size() > std::min(limits_.max_payload, wire::kMaxPayload))
        throw Error("too_large", "payload over " + std::to_string(limits_.max_payload) + " bytes");
    Call call(*this, now, wall_us, out);
    std::uint64_t token = next_token_++;
    Id key = topic_key(topic);
    Outgoing o{topic, key, {}, 0, now + limits_.fetch_timeout_us, now + limits_.publish_timeout_us};
    due(std::min(o.retry_at, o.deadline));
    // Routing a publish to this very node costs two trips through sr-dhtd.
    // Numbering it here is as safe as routing it: sr-dhtd would route by the
    // same leaf set, and a node closer to the key that sr-dhtd has just
    // learnt of is in that leaf set's next app.update, which clears
    // `confirmed` before any later publish is handled.
    auto r = roots_.find(key);
    if (r != roots_.end() && r->second.acting && r->second.settled && r->second.confirmed) {
        count("event.published_locally");
        o.payload = wire::encode(wire::Publish{topic, self_, token, payload, retain});
        publishes_.emplace(token, std::move(o));
        root_publish(key, topic, self_, token, std::move(payload), retain);
    } else {
        o.payload = wire::encode(wire::Publish{topic, self_, token, std::move(payload), retain});
        emit(RouteTo{o.key, o.payload});
        publishes_.emplace(token, std::move(o));
    }
    drain_self();
    return token;
}

std::uint64_t Scribe::fetch(const std::string& topic, std::uint64_t from, std::int64_t now, std::vector<Effect>& out) {
    check_topic(topic, limits_);
    Call call(*this, now, std::nullopt, out);
    std::uint64_t token = next_token_++;
    constexpr auto kNone = std::numeric_limits<std::uint64_t>::max();  // an empty range
    wire::Fetch f{topic, self_, token, from == 0 ? kNone : from, kNone, from == 0};
    Outgoing o{topic, topic_key(topic), wire::encode(f), 0, now + limits_.fetch_timeout_us,
               std::numeric_limits<std::int64_t>::max()};
    due(std::min(o.retry_at, o.deadline));
    emit(RouteTo{o.key, o.payload});
    fetches_.emplace(token, std::move(o));
    drain_self();
    return token;
}

// ---- introspection ---------------------------------------------------------

TreeInfo Scribe::tree(const std::string& topic) const {
    TreeInfo info;
    auto r = roots_.find(topic_key(topic));
    bool root = r != roots_.end() && r->second.acting;
    auto it = topics_.find(topic);
    if (it != topics_.end()) {
        const Topic& t = it->second;
        info.member = true;
        info.parent = t.parent;
        for (const auto& [id, c] : t.children) info.children.push_back(c.node);
        info.local_subscribers = t.subscribers;
        info.last_seq = t.subscribers ? t.delivered : t.last_seen;
    }
    if (root) {
        info.root = true;
        info.last_seq = r->second.last_seq;
    }
    return info;
}

std::vector<TopicInfo> Scribe::topics() const {
    std::set<std::string> names;
    for (const auto& [name, t] : topics_) names.insert(name);
    for (const auto& [key, r] : roots_)
        if (r.acting) names.insert(r.topic);
    std::vector<TopicInfo> out;
    for (const auto& name : names) {
        TopicInfo info{name, tree(name), 0, false};
        auto r = roots_.find(topic_key(name));
        if (r != roots_.end() && r->second.acting) {
            info.buffered = r->second.buffer.size();
            info.retained = r->second.retained.has_value();
        }
        out.push_back(std::move(info));
    }
    return out;
}

std::size_t Scribe::topic_count() const {
    std::size_t n = topics_.size();
    for (const auto& [key, r] : roots_)
        if (r.acting && !topics_.count(r.topic)) ++n;
    return n;
}

}  // namespace sr::event
