// Scribe's local delivery: in seq order, without duplicates, holes fetched
// from the root and reported as gaps when they cannot be.
#include "event/scribe.hpp"
#include "event/scribe_wire.hpp"

#include <algorithm>

namespace sr::event {

void Scribe::accept(Topic& t, Message m) {
    if (!t.synced) {
        t.synced = true;
        t.delivered = m.seq - 1;
    }
    if (m.seq <= t.delivered || t.held.count(m.seq)) {
        count("event.duplicates");
        return;
    }
    if (m.seq != t.delivered + 1 && t.held.size() >= limits_.reorder_max) {
        // No room to wait longer: what is missing before the first message
        // held (or this one) is lost to this node's subscribers.
        std::uint64_t next = t.held.empty() ? m.seq : std::min(t.held.begin()->first, m.seq);
        gap_to(t, next - 1);
        drain_held(t);
    }
    if (m.seq == t.delivered + 1) {
        t.delivered = m.seq;
        count("event.delivered");
        emit(Deliver{std::move(m)});
        drain_held(t);
        return;
    }
    std::uint64_t missing_to = m.seq - 1;
    t.held.emplace(m.seq, std::move(m));
    learn_last(t, missing_to);
}

void Scribe::drain_held(Topic& t) {
    while (!t.held.empty()) {
        auto h = t.held.begin();
        if (h->first > t.delivered + 1) break;
        if (h->first == t.delivered + 1) {
            t.delivered = h->first;
            count("event.delivered");
            emit(Deliver{std::move(h->second)});
        }
        t.held.erase(h);
    }
}

void Scribe::learn_last(Topic& t, std::uint64_t last) {
    if (!t.synced) {
        t.synced = true;  // a new subscriber starts at the tree's present
        t.delivered = last;
        return;
    }
    if (last <= t.delivered) return;
    if (t.repair) {
        t.repair->to = std::max(t.repair->to, last);
        return;
    }
    t.repair = Repair{next_token_++, last, 0, 0};
    send_fetch(t);
}

void Scribe::send_fetch(Topic& t) {
    t.repair->deadline = now_ + limits_.fetch_timeout_us;
    due(t.repair->deadline);
    count("event.fetches");
    emit(RouteTo{t.key, wire::encode(wire::Fetch{t.name, self_, t.repair->id, t.delivered + 1, t.repair->to, false})});
}

void Scribe::gap_to(Topic& t, std::uint64_t upto) {
    if (upto <= t.delivered) return;
    emit(Gap{t.name, t.delivered + 1, upto});
    count("event.gaps", upto - t.delivered);
    t.delivered = upto;
    t.held.erase(t.held.begin(), t.held.upper_bound(upto));
}

// Repair is over once delivery has caught up with the last seq known (Data
// may have filled the hole meanwhile); a later hole starts a new one.
bool Scribe::repair_done(Topic& t) {
    if (t.delivered < t.repair->to) return false;
    t.repair.reset();
    if (!t.held.empty()) learn_last(t, t.held.begin()->first - 1);
    return true;
}

void Scribe::repair_timeout(Topic& t) {
    if (repair_done(t)) return;
    if (++t.repair->attempts < limits_.fetch_attempts) {
        send_fetch(t);
        return;
    }
    // The root never answered: what is still missing is reported, not skipped.
    std::uint64_t upto = t.held.empty() ? t.repair->to : t.held.begin()->first - 1;
    t.repair.reset();
    gap_to(t, upto);
    drain_held(t);
    if (!t.held.empty()) learn_last(t, t.held.begin()->first - 1);
}

void Scribe::on_fetch_reply(const std::string& topic, std::uint64_t id, std::uint64_t last_seq,
                            std::optional<std::pair<std::uint64_t, std::uint64_t>> gap, std::vector<Message> items,
                            std::optional<Message> retained) {
    if (auto f = fetches_.find(id); f != fetches_.end() && f->second.topic == topic) {
        Fetched answer{id, topic, {}, gap, last_seq, ""};
        if (retained) answer.messages.push_back(std::move(*retained));
        for (auto& m : items) answer.messages.push_back(std::move(m));
        emit(std::move(answer));
        fetches_.erase(f);
        return;
    }
    auto it = topics_.find(topic);
    if (it == topics_.end() || !it->second.repair || it->second.repair->id != id) return;
    Topic& t = it->second;
    std::uint64_t before = t.delivered;
    if (gap) gap_to(t, gap->second);
    drain_held(t);
    for (auto& m : items) accept(t, std::move(m));
    t.repair->to = std::max(t.repair->to, last_seq);
    if (repair_done(t)) return;
    if (t.delivered > before) {
        // Cut short by the reply's size, or by a hole the next reply names.
        t.repair->attempts = 0;
        send_fetch(t);
    }
    // Otherwise the root does not have them yet (a new root still syncing):
    // the fetch is retried at its deadline and ends as a gap.
}

}  // namespace sr::event
