// sr-dhtd's node, the store side (DESIGN §6): replication of what the node
// roots to its replica set, hand-over when the leaf set changes, anti-entropy,
// expiry and the listen subscriptions. The routing side is node.cpp; both
// are the one dht::Node (node.hpp).
#include "dht/node.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "dht/record_wire.hpp"
#include "dht/replication.hpp"

#include <algorithm>

namespace sr::dht {

// ---- replication -----------------------------------------------------------

bool Node::holds_version(const Record& r) const {
    for (const auto& have : store_.records(r.key))
        if (have.writer == r.writer && have.vid == r.vid && have.seq == r.seq && !have.tombstone) return true;
    return false;
}

void Node::replicate(const Id& key, std::vector<Record> records, std::function<void(std::uint32_t)> done) {
    std::vector<pastry::NodeRef> targets;
    for (auto& n : core_->replica_set(key, cfg_.replicas))
        if (n.id != self_.id) targets.push_back(n);
    if (targets.empty()) return done(0);
    std::uint64_t req = new_request_id();
    auto& wait = ack_waits_[req];
    for (const auto& t : targets) wait.waiting.insert(t.id);
    wait.done = std::move(done);
    wait.timer = std::make_unique<Timer>(loop_, [this, req] {
        auto it = ack_waits_.find(req);
        if (it == ack_waits_.end()) return;
        auto fn = std::move(it->second.done);
        auto acks = it->second.acks;
        ack_waits_.erase(it);
        fn(acks);
    });
    wait.timer->arm_in(cfg_.replica_ack_wait_us);
    for (const auto& t : targets) send_dht(t, Replicate{self_, req, records});
}

void Node::on_replicate(const Replicate& m) {
    std::int64_t now = Loop::now_us();
    std::uint32_t stored = 0;
    for (auto r : m.records) {
        try {
            // A copy of what is stored already needs no second signature check.
            if (!store_.is_stale(r, now) && !accept_record(r, "replica", now)) continue;
            auto outcome = store_.put(r, now);
            if (outcome != PutOutcome::stale) ++counters_["dht.replicas_stored"];
            ++stored;  // a stale copy means we hold this version already
        } catch (const Error& e) {
            ++counters_["dht.replicas_refused." + e.code];
        }
    }
    if (m.req != 0) send_dht(m.from, ReplicateAck{self_, m.req, stored});
    schedule_expiry();
}

void Node::handover(const std::vector<pastry::NodeRef>& old_leafs) {
    std::int64_t now = Loop::now_us();
    auto plan = plan_handover(store_, self_, old_leafs, leafs_, cfg_.replicas, now);
    for (const auto& [peer, keys] : plan.pushes) {
        push_keys(peer, keys);
        counters_["dht.handover_keys"] += keys.size();
    }
    for (const auto& key : plan.drop_after_push) store_.drop_key(key);
}

void Node::anti_entropy() {
    if (!joined()) return;
    std::int64_t now = Loop::now_us();
    std::map<Id, std::vector<Id>> by_peer;  // peer id -> keys
    std::map<Id, pastry::NodeRef> peers;
    for (const auto& key : store_.key_ids()) {
        if (!store_.holds(key, now)) continue;
        auto set = core_->replica_set(key, cfg_.replicas);
        if (set.empty() || set.front().id != self_.id) continue;  // only the root repairs
        for (std::size_t i = 1; i < set.size(); ++i) {
            by_peer[set[i].id].push_back(key);
            peers[set[i].id] = set[i];
        }
    }
    for (const auto& [id, keys] : by_peer) push_keys(peers[id], keys);
}

void Node::push_keys(const pastry::NodeRef& peer, const std::vector<Id>& keys) {
    // Cut by each record's exact encoding: many signed tombstones (a few
    // hundred bytes each, with no value) must not make a batch over the
    // frame limit, which the transport would drop whole, every time.
    ReplicateBatcher batcher(Loop::now_us(), [&](std::vector<Record> records) {
        send_dht(peer, Replicate{self_, 0, std::move(records)});
    });
    for (const auto& key : keys)
        for (auto& r : store_.records(key)) batcher.add(std::move(r));
    batcher.flush();
}

// ---- expiry and listen -----------------------------------------------------

void Node::expire_store() {
    std::int64_t now = Loop::now_us();
    for (const auto& r : store_.expire(now)) notify_subscribers(r, true);
    subscriptions_.expire(now);
    auto next = store_.next_expiry();
    expiry_due_us_ = next ? std::max(*next, now + 1000) : now + 10'000'000;
    expiry_timer_.arm_at(expiry_due_us_);
}

// Without this a value put with a short TTL into a store whose timer was set
// for later (10 s when empty) would expire, and its listeners hear of it, late.
void Node::schedule_expiry() {
    auto next = store_.next_expiry();
    if (!next) return;
    // Never later than what is armed: puts arriving faster than 1 ms apart
    // must not push a due expiry back for ever.
    std::int64_t due = std::max(*next, Loop::now_us() + 1000);
    if (!expiry_timer_.armed() || due < expiry_due_us_) {
        expiry_due_us_ = due;
        expiry_timer_.arm_at(due);
    }
}

void Node::notify_subscribers(const Record& r, bool expired) {
    std::int64_t now = Loop::now_us();
    std::vector<std::pair<std::uint64_t, pastry::NodeRef>> to;  // sending to ourselves may change the table
    subscriptions_.for_key(r.key, now, [&](std::uint64_t id, const Subscriptions::Entry& e) { to.emplace_back(id, e.node); });
    for (const auto& [id, node] : to) {
        Record copy = r;
        if (expired) copy.expires_us = now + 1'000;  // the wire carries a remaining TTL; keep it positive
        send_dht(node, Event{id, r.key, expired, copy});
    }
}

bool Node::accept_record(Record& r, const char* how, std::int64_t now) {
    std::string why = check_record(r, !cfg_.transport.key, now, Loop::wall_now_us());
    if (why.empty()) return true;
    if (log::worth_logging(++counters_["dht.writer_refused"]))
        log::warn("refused a ", how, " of key ", r.key.hex(), " vid ", r.vid, " writer ", r.writer.hex(), ": ", why,
                  " (dht.writer_refused = ", counters_["dht.writer_refused"], ")");
    return false;
}

void Node::subscribe(const Routed& m, std::int64_t now) {
    std::uint64_t listen_id = m.body.at("listen_id").get<std::uint64_t>();
    std::uint64_t ttl_ms = std::min<std::uint64_t>(m.body.value("ttl_ms", std::uint64_t{90'000}),
                                                   3 * cfg_.listen_refresh_us / 1000);
    std::int64_t expires = now + static_cast<std::int64_t>(ttl_ms) * 1000;
    if (auto refused = subscriptions_.subscribe(m.key, m.origin, listen_id, expires)) {
        ++counters_[std::string("dht.subscriptions_refused.") + refused->which];
        throw Error("over_quota", refused->why);
    }
}

std::uint64_t Node::listen(const Id& key, uid_t uid, std::function<void(const Event&)> fn, ReplyFn first) {
    const bool capped = uid != 0 && uid != ::geteuid();
    std::size_t& mine = listens_by_uid_[uid];
    if (capped && mine >= cfg_.listens_per_uid) {
        ++counters_["dht.listens_refused"];
        throw Error("over_quota", "uid " + std::to_string(uid) + " holds its maximum of " +
                                      std::to_string(cfg_.listens_per_uid) + " listeners on this node");
    }
    ++mine;
    std::uint64_t id = new_request_id();
    listens_[id] = LocalListen{key, uid, std::move(fn)};
    KeyListen& kl = key_listens_[key];
    kl.listeners.insert(id);
    if (!kl.refresh) {
        kl.sub_id = new_request_id();
        kl.refresh = std::make_unique<Timer>(loop_, [this, key] {
            auto it = key_listens_.find(key);
            if (it == key_listens_.end()) return;
            request(key, Op::listen, {{"listen_id", it->second.sub_id}, {"ttl_ms", 3 * cfg_.listen_refresh_us / 1000}},
                    [](const Reply&) {});
            it->second.refresh->arm_in(cfg_.listen_refresh_us);
        });
        kl.refresh->arm_in(cfg_.listen_refresh_us);
    }
    // Every new listener asks the root again (refreshing the one shared
    // subscription), so it learns whether the root holds it.
    request(key, Op::listen, {{"listen_id", kl.sub_id}, {"ttl_ms", 3 * cfg_.listen_refresh_us / 1000}},
            std::move(first));
    return id;
}

void Node::cancel_listen(std::uint64_t id) {
    auto it = listens_.find(id);
    if (it == listens_.end()) return;
    if (auto u = listens_by_uid_.find(it->second.uid); u != listens_by_uid_.end() && --u->second == 0)
        listens_by_uid_.erase(u);
    if (auto k = key_listens_.find(it->second.key); k != key_listens_.end()) {
        k->second.listeners.erase(id);
        if (k->second.listeners.empty()) key_listens_.erase(k);  // the root's copy expires by itself
    }
    listens_.erase(it);
}

bool Node::may_write_type(const std::string& type, uid_t uid) const {
    if (!cfg_.owned_ns.count(type) || uid == 0 || uid == ::geteuid()) return true;
    auto w = cfg_.ns_writers.find(type);
    return w != cfg_.ns_writers.end() && w->second.count(uid);
}

void Node::check_may_write(const std::string& type, uid_t uid, const char* what) {
    if (may_write_type(type, uid)) return;
    ++counters_["dht.ns_refused"];
    log::warn("refused ", what, " of a '", type, "' value by uid ", uid, ": the namespace belongs to the daemons");
    throw Error("permission", "uid " + std::to_string(uid) + " may not " + what + " values of namespace '" + type +
                                  "' (only root, the daemon's user and --ns-writer " + type + "=USER)");
}

}  // namespace sr::dht
