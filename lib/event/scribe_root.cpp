// Scribe's root state: numbering, replay buffer, retained message, rate
// limits, replication to the replica set and takeover by a replica.
#include "event/scribe.hpp"
#include "event/scribe_wire.hpp"

#include "core/codec.hpp"
#include "core/error.hpp"

#include <algorithm>
#include <set>

namespace sr::event {

namespace {

wire::SyncEntry to_wire(const auto& e) {
    return wire::SyncEntry{e.m.seq, e.m.time_us, e.publisher, e.token, e.m.payload};
}

}  // namespace

Scribe::RootState* Scribe::become_root(const Id& key, const std::string& topic) {
    auto it = roots_.find(key);
    if (it == roots_.end()) {
        if (roots_.size() >= limits_.max_topics) return nullptr;
        it = roots_.emplace(key, RootState{}).first;
        it->second.topic = topic;
    } else if (!it->second.acting) {
        count("event.takeovers");  // a replica carries on from the state it holds
    }
    RootState& r = it->second;
    if (!r.acting) {
        take_over(r);
        emit(AskReplicaSet{key});
    }
    return &r;
}

void Scribe::take_over(RootState& r) {
    r.acting = true;
    r.numbered = false;
    r.confirmed = false;
    // Numbering waits until a replica has answered (or settle_by): a node
    // that becomes the root with less than its replicas hold (a restarted
    // sr-eventd, a node that joined closer to the key, a replica that missed
    // the last messages) would otherwise number again from its own last seq.
    r.settled = false;
    r.settle_by = now_ + limits_.fetch_timeout_us;
    due(r.settle_by);
    // What a replica holds counts as replicated: the tree gets all of it.
    r.released = r.last_seq;
    r.pending.clear();
    r.replicas.clear();
    r.replicas_known = false;
    auto it = topics_.find(r.topic);
    if (it == topics_.end()) return;
    Topic& t = it->second;
    if (t.parent) send(*t.parent, wire::encode(wire::Leave{t.name}));
    t.parent.reset();
    learn_known(t, r.released);
}

void Scribe::demote(RootState& r) {
    r.acting = false;
    r.confirmed = false;
    // Unanswered publishers retry and reach the new root.
    r.pending.clear();
    r.replicas.clear();
    r.replicas_known = false;
    auto it = topics_.find(r.topic);
    if (it != topics_.end() && !it->second.parent) send_join(it->second);
}

bool Scribe::take(Bucket& b, double rate, double burst) {
    if (b.tokens < 0) b.tokens = burst;
    else b.tokens = std::min(burst, b.tokens + static_cast<double>(now_ - b.at) * rate / 1e6);
    b.at = now_;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
}

void Scribe::root_publish(const Id& key, const std::string& topic, const NodeHandle& publisher, std::uint64_t token,
                          std::string payload, bool retain) {
    auto nack = [&](const char* code, std::string message) {
        send(publisher, wire::encode(wire::PublishNack{topic, token, code, std::move(message)}));
    };
    RootState* rp = become_root(key, topic);
    if (!rp) return nack("over_quota", "the root holds too many topics");
    RootState& r = *rp;
    if (!r.settled) {
        // Held until the replicas have answered; beyond the bound, the
        // publisher's retry comes back later.
        if (r.deferred.size() < kMaxDeferred)
            r.deferred.push_back([this, key, topic, publisher, token, payload = std::move(payload), retain]() mutable {
                root_publish(key, topic, publisher, token, std::move(payload), retain);
            });
        return;
    }
    // A retry of a publish already numbered: answer it once it is held.
    if (auto done = r.seq_of_token.find({publisher.id, token}); done != r.seq_of_token.end()) {
        count("event.publish_retries");
        auto p = r.pending.find(done->second);
        if (p == r.pending.end())
            send(publisher, wire::encode(wire::PublishAck{topic, token, done->second}));
        else
            p->second.publisher = publisher;
        return;
    }
    if (payload.size() > limits_.max_payload)
        return nack("too_large", "payload over " + std::to_string(limits_.max_payload) + " bytes");
    if (!take(r.bucket, limits_.topic_rate, limits_.topic_burst) ||
        !take(publisher_buckets_[publisher.id], limits_.publisher_rate, limits_.publisher_burst)) {
        count("event.over_quota");
        return nack("over_quota", "publish rate limit of the topic or the publisher");
    }
    r.numbered = true;
    ++r.last_seq;
    Entry e{Message{topic, r.last_seq, wall_, std::move(payload), false}, publisher.id, token};
    count("event.published");
    wire::RootSync sync{topic, r.last_seq, {to_wire(e)}, std::nullopt};
    if (retain) {
        r.retained = e;
        r.retained->m.retained = true;
        sync.retained = to_wire(e);
    }
    r.seq_of_token[{e.publisher, e.token}] = e.m.seq;
    r.buffer.push_back(std::move(e));
    r.pending[r.last_seq] = PendingPublish{publisher, token, now_ + limits_.publish_timeout_us, false};
    due(now_ + limits_.publish_timeout_us);
    trim(r);
    if (!r.replicas_known) return;  // synced with the rest once on_replica_set names them
    if (r.replicas.empty()) {
        on_root_sync_ack(topic, r.last_seq, r.last_seq, self_);
        return;
    }
    auto bytes = wire::encode(sync);
    for (const auto& n : r.replicas) send(n, bytes);
}

void Scribe::on_root_sync_ack(const std::string& topic, std::uint64_t first, std::uint64_t last, const NodeHandle&) {
    auto it = roots_.find(topic_key(topic));
    if (it == roots_.end() || !it->second.acting) return;
    RootState& r = it->second;
    if (!r.settled) settle(r);
    for (auto p = r.pending.lower_bound(first); p != r.pending.end() && p->first <= last; ++p) {
        if (p->second.acked) continue;
        p->second.acked = true;
        send(p->second.publisher, wire::encode(wire::PublishAck{topic, p->second.token, p->first}));
    }
    release(r);
}

// Sends messages down the tree in seq order, each once a replica holds it.
// One whose replicas never answer goes down at publish_timeout_us all the
// same (its publisher gets no ack and times out): holding it back would stall
// the topic for everyone.
void Scribe::release(RootState& r) {
    while (r.released < r.last_seq) {
        std::uint64_t s = r.released + 1;
        auto p = r.pending.find(s);
        if (p != r.pending.end()) {
            if (!p->second.acked && now_ < p->second.deadline) break;
            r.pending.erase(p);
        }
        r.released = s;
        auto e = std::lower_bound(r.buffer.begin(), r.buffer.end(), s,
                                  [](const Entry& x, std::uint64_t seq) { return x.m.seq < seq; });
        if (e != r.buffer.end() && e->m.seq == s) disseminate(e->m);
    }
}

void Scribe::disseminate(const Message& m) {
    auto it = topics_.find(m.topic);
    if (it == topics_.end()) return;
    Topic& t = it->second;
    t.known = true;
    t.last_seen = std::max(t.last_seen, m.seq);
    if (!t.children.empty()) {
        auto bytes = wire::encode(wire::Data{m.topic, wire::Item{m.seq, m.time_us, m.payload}});
        for (const auto& [id, c] : t.children) send(c.node, bytes);
    }
    if (t.subscribers) accept(t, m);
}

void Scribe::root_fetch(const Id& key, const std::string& topic, const NodeHandle& requester, std::uint64_t id,
                        std::uint64_t from, std::uint64_t to, bool retained) {
    RootState* rp = become_root(key, topic);
    if (!rp) return;
    if (!rp->settled) {
        if (rp->deferred.size() < kMaxDeferred)
            rp->deferred.push_back([this, key, topic, requester, id, from, to, retained] {
                root_fetch(key, topic, requester, id, from, to, retained);
            });
        return;
    }
    const RootState& r = *rp;
    wire::FetchReply reply{topic, id, r.released, std::nullopt, {}, std::nullopt};
    std::uint64_t first = std::max<std::uint64_t>(from, 1), last = std::min(to, r.released);
    if (first <= last) {
        auto e = std::lower_bound(r.buffer.begin(), r.buffer.end(), first,
                                  [](const Entry& x, std::uint64_t seq) { return x.m.seq < seq; });
        if (e == r.buffer.end() || e->m.seq > last) {
            reply.gap = {first, last};
        } else {
            if (e->m.seq > first) reply.gap = {first, e->m.seq - 1};
            // Contiguous from there: a hole ends the reply, and the next
            // fetch, starting at it, gets it as its gap.
            std::size_t bytes = 0;
            for (; e != r.buffer.end() && e->m.seq <= last; ++e) {
                if (!reply.items.empty() && (e->m.seq != reply.items.back().seq + 1 ||
                                             bytes + e->m.payload.size() > wire::kMaxBatchBytes ||
                                             reply.items.size() >= wire::kMaxMessagesPerBatch))
                    break;
                bytes += e->m.payload.size();
                reply.items.push_back(wire::Item{e->m.seq, e->m.time_us, e->m.payload});
            }
        }
    }
    if (retained && r.retained && r.retained->m.seq <= r.released)
        reply.retained = wire::Item{r.retained->m.seq, r.retained->m.time_us, r.retained->m.payload};
    send(requester, wire::encode(reply));
}

void Scribe::full_sync(const RootState& r, const NodeHandle& to) {
    for (auto& batch : sync_batches(r)) send(to, std::move(batch));
}

std::vector<std::string> Scribe::sync_batches(const RootState& r) const {
    std::vector<std::string> out;
    wire::RootSync m{r.topic, r.last_seq, {}, std::nullopt};
    std::size_t bytes = 0;
    if (r.retained) {
        m.retained = to_wire(*r.retained);
        bytes = r.retained->m.payload.size();
    }
    for (const auto& e : r.buffer) {
        if (!m.entries.empty() &&
            (bytes + e.m.payload.size() > wire::kMaxBatchBytes || m.entries.size() >= wire::kMaxMessagesPerBatch)) {
            out.push_back(wire::encode(m));
            m.entries.clear();
            m.retained.reset();
            bytes = 0;
        }
        bytes += e.m.payload.size();
        m.entries.push_back(to_wire(e));
    }
    out.push_back(wire::encode(m));
    return out;
}

// ---- across a clean restart ------------------------------------------------
//
// The file is msgpack: ["sr-eventd roots", 1, [RootSync message (bin), ...]],
// the RootSync messages being those a root sends its replicas.

namespace {
constexpr std::string_view kSavedMagic = "sr-eventd roots";
constexpr std::uint64_t kSavedVersion = 1;
}  // namespace

std::string Scribe::save_roots() const {
    std::vector<std::string> batches;
    for (const auto& [key, r] : roots_)
        for (auto& b : sync_batches(r)) batches.push_back(std::move(b));
    msgpack::sbuffer buf;
    Packer pk(buf);
    pk.pack_array(3);
    codec::pack_str(pk, kSavedMagic);
    pk.pack_uint64(kSavedVersion);
    pk.pack_array(static_cast<std::uint32_t>(batches.size()));
    for (const auto& b : batches) codec::pack_bin(pk, b);
    return std::string(buf.data(), buf.size());
}

std::size_t Scribe::restore_roots(std::string_view saved, std::int64_t now, std::int64_t wall_us,
                                  std::vector<Effect>& out) {
    Call call(*this, now, wall_us, out);
    msgpack::object_handle oh;
    try {
        oh = msgpack::unpack(saved.data(), saved.size());
    } catch (const std::exception& e) {
        throw DecodeError(std::string("saved roots: not msgpack: ") + e.what());
    }
    const msgpack::object& o = oh.get();
    if (o.type != msgpack::type::ARRAY || o.via.array.size != 3 || o.via.array.ptr[0].type != msgpack::type::STR ||
        std::string_view(o.via.array.ptr[0].via.str.ptr, o.via.array.ptr[0].via.str.size) != kSavedMagic)
        throw DecodeError("saved roots: not a file sr-eventd wrote");
    const auto& version = o.via.array.ptr[1];
    if (version.type != msgpack::type::POSITIVE_INTEGER || version.via.u64 != kSavedVersion)
        throw DecodeError("saved roots: a version this sr-eventd does not read");
    const auto& list = o.via.array.ptr[2];
    if (list.type != msgpack::type::ARRAY) throw DecodeError("saved roots: no list of states");
    std::set<Id> keys;
    for (std::uint32_t i = 0; i < list.via.array.size; ++i) {
        const auto& b = list.via.array.ptr[i];
        if (b.type != msgpack::type::BIN) throw DecodeError("saved roots: a state that is not bytes");
        auto m = wire::decode(std::string_view(b.via.bin.ptr, b.via.bin.size));
        auto* sync = std::get_if<wire::RootSync>(&m);
        if (!sync) throw DecodeError("saved roots: a message that is not a root state");
        Id key = topic_key(sync->topic);
        auto it = roots_.find(key);
        if (it == roots_.end()) {
            if (roots_.size() >= limits_.max_topics) continue;
            it = roots_.emplace(key, RootState{}).first;
            it->second.topic = sync->topic;
        }
        RootState& r = it->second;
        auto entry = [&](wire::SyncEntry& e, bool retained) {
            return Entry{Message{sync->topic, e.seq, e.time_us, std::move(e.payload), retained}, e.publisher, e.token};
        };
        std::vector<Entry> entries;
        for (auto& e : sync->entries) entries.push_back(entry(e, false));
        std::optional<Entry> retained;
        if (sync->retained) retained = entry(*sync->retained, true);
        r.last_seq = std::max(r.last_seq, sync->last_seq);
        merge_copies(r, std::move(entries), std::move(retained));
        keys.insert(key);
    }
    for (const auto& key : keys) emit(AskReplicaSet{key});
    return keys.size();
}

// The root may number again: what waited is handled in arrival order.
void Scribe::settle(RootState& r) {
    r.settled = true;
    auto deferred = std::move(r.deferred);
    r.deferred.clear();
    for (auto& f : deferred) f();
}

void Scribe::trim(RootState& r) {
    while (r.buffer.size() > limits_.buffer_messages) pop_oldest(r);
    while (!r.buffer.empty() && wall_ - r.buffer.front().m.time_us > limits_.buffer_us) pop_oldest(r);
}

void Scribe::pop_oldest(RootState& r) {
    const Entry& e = r.buffer.front();
    auto n = r.seq_of_token.find({e.publisher, e.token});
    if (n != r.seq_of_token.end() && n->second == e.m.seq) r.seq_of_token.erase(n);
    r.buffer.pop_front();
}

void Scribe::on_root_sync(const std::string& topic, std::uint64_t last_seq, std::vector<Entry> entries,
                          std::optional<Entry> retained, const NodeHandle& from) {
    Id key = topic_key(topic);
    auto it = roots_.find(key);
    if (it == roots_.end()) {
        if (roots_.size() >= limits_.max_topics) return;
        it = roots_.emplace(key, RootState{}).first;
        it->second.topic = topic;
    }
    RootState& r = it->second;
    if (r.acting) {
        // Two nodes acting as root: the one closer to the key wins.
        if (closer_to(key, from.id, self_.id)) {
            demote(r);
        } else {
            adopt_replica(r, last_seq, std::move(entries), std::move(retained));
            return;
        }
    }
    r.root = from.id;
    // A root behind this replica (it has just taken over with less): it gets
    // what is here first, then the ack that lets it number again.
    if (last_seq < r.last_seq) full_sync(r, from);
    r.last_seq = std::max(r.last_seq, last_seq);
    std::uint64_t held_first = entries.empty() ? 0 : entries.front().m.seq;
    std::uint64_t held_last = entries.empty() ? 0 : entries.back().m.seq;
    merge_copies(r, std::move(entries), std::move(retained));
    send(from, wire::encode(wire::RootSyncAck{topic, held_first, held_last}));
}

void Scribe::merge_copies(RootState& r, std::vector<Entry> entries, std::optional<Entry> retained) {
    for (auto& e : entries) {
        auto pos = std::lower_bound(r.buffer.begin(), r.buffer.end(), e.m.seq,
                                    [](const Entry& x, std::uint64_t seq) { return x.m.seq < seq; });
        if (pos == r.buffer.end() || pos->m.seq != e.m.seq) {
            r.seq_of_token[{e.publisher, e.token}] = e.m.seq;
            r.buffer.insert(pos, std::move(e));
        }
    }
    if (retained && (!r.retained || r.retained->m.seq < retained->m.seq)) r.retained = std::move(retained);
    trim(r);
}

// A replica's state reaching a root that has just taken over: the old root
// needed one replica's ack, not this node's, so a replica may hold messages
// numbered last that this node never got. Taken in until this node numbers
// a publish of its own; after that the seqs could clash, and such messages
// are lost (their subscribers see a gap).
void Scribe::adopt_replica(RootState& r, std::uint64_t last_seq, std::vector<Entry> entries,
                           std::optional<Entry> retained) {
    if (r.numbered) return;
    merge_copies(r, std::move(entries), std::move(retained));
    if (last_seq <= r.last_seq) return;
    r.last_seq = r.released = last_seq;
    // The tree hears of them in the next heartbeat and fetches them.
    auto it = topics_.find(r.topic);
    if (it != topics_.end()) learn_known(it->second, r.released);
}

void Scribe::on_replica_set(const Id& key, const std::vector<NodeHandle>& nodes, std::int64_t now,
                            std::vector<Effect>& out) {
    Call call(*this, now, std::nullopt, out);
    auto it = roots_.find(key);
    // No nodes at all says nothing (sr-dhtd not ready): keep things as they are.
    if (it == roots_.end() || nodes.empty()) return;
    RootState& r = it->second;
    bool first = nodes.front().id == self_.id;
    if (!first) {
        bool member = std::any_of(nodes.begin(), nodes.end(), [&](const NodeHandle& n) { return n.id == self_.id; });
        // A new root (a closer node joined, or the old root died) carries
        // on from what this node holds.
        if (r.acting || r.root != nodes.front().id) full_sync(r, nodes.front());
        if (r.acting) demote(r);
        r.root = nodes.front().id;
        if (!member) roots_.erase(it);
        drain_self();
        return;
    }
    if (!r.acting) {
        count("event.takeovers");
        take_over(r);
    }
    std::vector<NodeHandle> replicas;
    for (const auto& n : nodes)
        if (n.id != self_.id && replicas.size() < static_cast<std::size_t>(std::max(limits_.replicas, 0)))
            replicas.push_back(n);
    for (const auto& n : replicas)
        if (!r.replicas_known || std::find(r.replicas.begin(), r.replicas.end(), n) == r.replicas.end())
            full_sync(r, n);
    r.replicas = std::move(replicas);
    r.replicas_known = true;
    r.confirmed = true;
    if (r.replicas.empty() && !r.settled) settle(r);  // alone: nobody to wait for
    if (r.replicas.empty() && !r.pending.empty())
        on_root_sync_ack(r.topic, r.pending.begin()->first, r.pending.rbegin()->first, self_);
    release(r);
    drain_self();
}

}  // namespace sr::event
