// Scribe's multicast trees: join and graft, prune, liveness, Data down the tree.
#include "event/scribe.hpp"
#include "event/scribe_wire.hpp"

namespace sr::event {

bool Scribe::is_root(const Id& key) const {
    auto r = roots_.find(key);
    return r != roots_.end() && r->second.acting;
}

std::optional<std::uint64_t> Scribe::known_last(const Topic& t) const {
    auto r = roots_.find(t.key);
    if (r != roots_.end() && r->second.acting) return std::max(t.last_seen, r->second.released);
    if (t.known) return t.last_seen;
    return std::nullopt;
}

// What a parent says of the tree's last seq: a new subscriber starts there,
// one behind it fetches what it missed.
void Scribe::learn_known(Topic& t, std::optional<std::uint64_t> last) {
    if (!last) return;
    t.known = true;
    t.last_seen = std::max(t.last_seen, *last);
    if (t.subscribers) learn_last(t, *last);
}

ForwardDecision Scribe::join_passing(const std::string& topic, const NodeHandle& child, bool at_root) {
    ForwardDecision pass;
    auto it = topics_.find(topic);
    // The origin's own Join: on its way out, or delivered to itself as root,
    // whose subscribers then start at its last seq.
    if (child.id == self_.id) {
        if (at_root && it != topics_.end()) learn_known(it->second, known_last(it->second));
        return pass;
    }
    bool member = it != topics_.end();
    if (!member) {
        if (topics_.size() >= limits_.max_topics) return pass;
        Topic& t = topics_[topic];
        t.name = topic;
        t.key = topic_key(topic);
        t.joined_at = now_;
        it = topics_.find(topic);
    }
    Topic& t = it->second;
    bool known = t.children.count(child.id) > 0;
    // A full node lets the next one up adopt the child; the root cannot.
    if (!at_root && !known && t.children.size() >= limits_.max_children) return pass;
    // Adopting one's own parent would make a loop cut off from the root.
    if (t.parent && t.parent->id == child.id) return pass;
    t.children[child.id] = Child{child, now_};
    send(child, wire::encode(wire::JoinAck{topic, known_last(t)}));
    if (at_root || member) return ForwardDecision{true, std::nullopt};
    // Not in the tree yet: graft this node, whose parent the next hop becomes.
    return ForwardDecision{false, wire::encode(wire::Join{topic, self_})};
}

void Scribe::send_join(Topic& t) {
    t.joined_at = now_;
    emit(RouteTo{t.key, wire::encode(wire::Join{t.name, self_})});
}

void Scribe::lose_parent(Topic& t) {
    t.parent.reset();
    send_join(t);
}

void Scribe::prune_if_empty(const std::string& topic) {
    auto it = topics_.find(topic);
    if (it == topics_.end() || it->second.subscribers > 0 || !it->second.children.empty()) return;
    if (it->second.parent) send(*it->second.parent, wire::encode(wire::Leave{topic}));
    topics_.erase(it);
}

void Scribe::beat() {
    const std::int64_t dead = limits_.missed * limits_.heartbeat_us;
    std::map<Id, std::pair<NodeHandle, std::vector<std::pair<std::string, std::optional<std::uint64_t>>>>> beats;
    std::map<Id, std::pair<NodeHandle, std::vector<std::string>>> refreshes;
    std::vector<std::string> emptied;
    for (auto& [name, t] : topics_) {
        for (auto c = t.children.begin(); c != t.children.end();) {
            if (now_ - c->second.refreshed > dead) {
                count("event.children_dropped");
                c = t.children.erase(c);
                if (t.children.empty()) emptied.push_back(name);
                continue;
            }
            auto& b = beats[c->first];
            b.first = c->second.node;
            b.second.emplace_back(name, known_last(t));
            ++c;
        }
        if (t.parent) {
            if (now_ - t.parent_heard > dead) {
                count("event.rejoins");
                lose_parent(t);
            } else {
                auto& r = refreshes[t.parent->id];
                r.first = *t.parent;
                r.second.push_back(name);
            }
        } else if (!is_root(t.key) && now_ - t.joined_at > dead) {
            send_join(t);  // the Join or its JoinAck was lost
        }
    }
    // One message per neighbour per interval, split only to fit a frame.
    constexpr std::size_t per = wire::kMaxTopicsPerMessage;
    for (auto& [id, b] : beats)
        for (std::size_t i = 0; i < b.second.size(); i += per) {
            wire::Heartbeat m;
            m.topics.assign(b.second.begin() + i, b.second.begin() + std::min(b.second.size(), i + per));
            send(b.first, wire::encode(m));
        }
    for (auto& [id, r] : refreshes)
        for (std::size_t i = 0; i < r.second.size(); i += per) {
            wire::Refresh m;
            m.topics.assign(r.second.begin() + i, r.second.begin() + std::min(r.second.size(), i + per));
            send(r.first, wire::encode(m));
        }
    for (const auto& name : emptied) prune_if_empty(name);
}

void Scribe::on_join_ack(const std::string& topic, std::optional<std::uint64_t> last_seq, const NodeHandle& from) {
    auto it = topics_.find(topic);
    // Gone meanwhile, or the root, which has no parent: undo the adoption.
    if (it == topics_.end() || is_root(it->second.key)) {
        send(from, wire::encode(wire::Leave{topic}));
        return;
    }
    Topic& t = it->second;
    if (t.parent && t.parent->id != from.id) send(*t.parent, wire::encode(wire::Leave{topic}));
    t.parent = from;
    t.parent_heard = now_;
    learn_known(t, last_seq);
}

void Scribe::on_leave(const std::string& topic, const NodeHandle& from) {
    auto it = topics_.find(topic);
    if (it == topics_.end()) return;
    it->second.children.erase(from.id);
    prune_if_empty(topic);
}

void Scribe::on_heartbeat(const std::vector<std::pair<std::string, std::optional<std::uint64_t>>>& topics,
                          const NodeHandle& from) {
    wire::Reject reject;
    for (const auto& [name, last] : topics) {
        auto it = topics_.find(name);
        if (it == topics_.end() || !it->second.parent || it->second.parent->id != from.id) {
            reject.topics.push_back(name);
            continue;
        }
        Topic& t = it->second;
        t.parent_heard = now_;
        learn_known(t, last);
    }
    if (!reject.topics.empty()) send(from, wire::encode(reject));
}

void Scribe::on_refresh(const std::vector<std::string>& topics, const NodeHandle& from) {
    wire::Reject reject;
    for (const auto& name : topics) {
        auto it = topics_.find(name);
        Child* c = nullptr;
        if (it != topics_.end()) {
            auto found = it->second.children.find(from.id);
            if (found != it->second.children.end()) c = &found->second;
        }
        if (!c) {
            reject.topics.push_back(name);
            continue;
        }
        c->refreshed = now_;
    }
    if (!reject.topics.empty()) send(from, wire::encode(reject));
}

void Scribe::on_reject(const std::vector<std::string>& topics, const NodeHandle& from) {
    for (const auto& name : topics) {
        auto it = topics_.find(name);
        if (it == topics_.end()) continue;
        Topic& t = it->second;
        if (t.parent && t.parent->id == from.id) {
            count("event.rejoins");
            lose_parent(t);
        }
        if (t.children.erase(from.id)) {
            count("event.children_dropped");
            prune_if_empty(name);
        }
    }
}

void Scribe::on_data(const std::string& topic, std::uint64_t seq, std::int64_t time_us, const std::string& payload,
                     const NodeHandle& from) {
    auto it = topics_.find(topic);
    if (it == topics_.end()) {
        send(from, wire::encode(wire::Reject{{topic}}));
        return;
    }
    Topic& t = it->second;
    if (t.parent && t.parent->id == from.id) {
        t.parent_heard = now_;
    } else if (from.id != self_.id) {
        // Not from the parent: a former one still sending (it is told to
        // drop this node; what it had is fetched from the root if missed),
        // or a forger, whose made-up numbers would make the real messages
        // after them look like duplicates.
        count("event.data_not_from_parent");
        send(from, wire::encode(wire::Reject{{topic}}));
        return;
    }
    disseminate(Message{topic, seq, time_us, payload, false});
}

}  // namespace sr::event
