#include "dht/store.hpp"

#include "core/error.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace sr::dht {

namespace {

constexpr char kHex[] = "0123456789abcdef";

std::string encode_cursor(const Id& writer, std::uint64_t vid) {
    std::string s = writer.hex();
    for (int i = 15; i >= 0; --i) s.push_back(kHex[(vid >> (4 * i)) & 0xf]);
    return s;
}

bool decode_cursor(std::string_view s, Id& writer, std::uint64_t& vid) {
    if (s.size() != 48) return false;
    auto w = Id::from_hex(s.substr(0, 32));
    if (!w) return false;
    std::uint64_t v = 0;
    for (char c : s.substr(32)) {
        unsigned d;
        if (c >= '0' && c <= '9') d = c - '0';
        else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
        else return false;
        v = (v << 4) | d;
    }
    writer = *w;
    vid = v;
    return true;
}

bool valid_type(std::string_view t) {
    if (t.empty() || t.size() > kMaxTypeBytes) return false;
    return std::all_of(t.begin(), t.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

// True when `in` supersedes `cur` (same identity).
bool newer(const Record& in, const Record& cur) {
    if (in.seq != cur.seq) return in.seq > cur.seq;
    return in.tombstone && !cur.tombstone;
}

bool live(const Record& r, std::int64_t now) { return !r.tombstone && r.expires_us > now; }

}  // namespace

std::string remove_hash_of(std::string_view secret) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (!ctx) throw std::bad_alloc();
    bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
              EVP_DigestUpdate(ctx, secret.data(), secret.size()) == 1 &&
              EVP_DigestFinal_ex(ctx, md, &len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok || len != kRemoveHashBytes) throw std::runtime_error("SHA-256 failed");
    return std::string(reinterpret_cast<const char*>(md), len);
}

Store::Store(Limits limits) : limits_(limits) {
    if (limits_.max_values_per_key == 0) limits_.max_values_per_key = 1;
}

std::size_t Store::charge(const Record& r) {
    return r.value.size() + r.type.size() + r.remove_hash.size() + kRecordOverhead;
}

void Store::reject(const std::string& code, const std::string& message) {
    ++counters_.rejects[code];
    throw Error(code, message);
}

void Store::validate(Record& r, std::int64_t now) {
    if (!valid_type(r.type)) reject("invalid", "type must be 1..64 printable ASCII bytes");
    if (!r.remove_hash.empty() && r.remove_hash.size() != kRemoveHashBytes)
        reject("invalid", "remove_hash must be empty or 32 bytes");
    if (r.tombstone) r.value.clear();
    if (r.value.size() > limits_.max_value)
        reject("too_large", "value of " + std::to_string(r.value.size()) + " bytes exceeds the limit of " +
                                std::to_string(limits_.max_value));
    // expires_us - now without overflow
    if (r.expires_us <= now) reject("bad_ttl", "ttl must be positive");
    if (now >= 0 ? r.expires_us - now > limits_.max_ttl_us
                 : r.expires_us > now + limits_.max_ttl_us)
        reject("bad_ttl", "ttl exceeds the maximum of " + std::to_string(limits_.max_ttl_us / kUsPerSecond) + " s");
}

PutOutcome Store::put(Record r, std::int64_t now) {
    validate(r, now);
    const Vk vk{r.writer, r.vid};

    auto find_cur = [&]() -> const Record* {
        if (auto k = keys_.find(r.key); k != keys_.end())
            if (auto v = k->second.find(vk); v != k->second.end()) return &v->second;
        return nullptr;
    };
    const Record* cur = find_cur();
    // An expired version is gone, whether or not expire() ran yet: purge it
    // now so that the answer does not depend on the timer's timing.
    if (cur && cur->expires_us <= now) {
        purge_expired(now);
        cur = find_cur();
    }
    if (cur && !newer(r, *cur)) {
        ++counters_.stale;
        return PutOutcome::stale;
    }

    const std::size_t add = charge(r);
    const std::size_t sub = cur ? charge(*cur) : 0;
    const bool grows = add > sub;
    const std::size_t need = grows ? add - sub : 0;

    std::vector<std::pair<Id, Vk>> victims;
    // Per-key slot.
    if (!cur) {
        auto k = keys_.find(r.key);
        if (k != keys_.end() && k->second.size() >= limits_.max_values_per_key) {
            purge_expired(now);
            k = keys_.find(r.key);
            if (k != keys_.end() && k->second.size() >= limits_.max_values_per_key) {
                auto slot = plan_key_slot(r.key, r.writer);
                if (!slot) reject("over_quota", "key holds the maximum of " +
                                                    std::to_string(limits_.max_values_per_key) + " values");
                victims.emplace_back(r.key, *slot);
            }
        }
    }
    // Byte quota (an evicted slot above frees bytes too; counted below).
    if (need > 0 && bytes_ + need > limits_.quota_bytes) {
        purge_expired(now);
        cur = find_cur();  // pointers into keys_ stay valid across unrelated erasures
        const std::size_t sub2 = cur ? charge(*cur) : 0;
        std::size_t freed = 0;
        for (auto& [key, v] : victims) {
            auto kit = keys_.find(key);
            if (kit == keys_.end()) continue;
            auto vit = kit->second.find(v);
            if (vit != kit->second.end()) freed += charge(vit->second);
        }
        std::size_t need2 = add > sub2 ? add - sub2 : 0;
        need2 = need2 > freed ? need2 - freed : 0;
        if (need2 > 0 && bytes_ + need2 > limits_.quota_bytes) {
            std::size_t w_now = bytes_of(r.writer);
            std::size_t w_after = w_now - std::min(w_now, sub2) + add;
            auto plan = plan_quota(r.writer, w_after, bytes_ + need2 - limits_.quota_bytes, victims);
            if (!plan) reject("over_quota", "store quota of " + std::to_string(limits_.quota_bytes) +
                                                " bytes reached and this writer is the largest user");
            victims.insert(victims.end(), plan->begin(), plan->end());
        }
    }

    for (auto& [key, v] : victims) {
        auto kit = keys_.find(key);
        if (kit == keys_.end() || kit->second.find(v) == kit->second.end()) continue;
        erase(key, v);
        ++counters_.evictions;
    }
    PutOutcome out = PutOutcome::stored;
    if (auto k = keys_.find(r.key); k != keys_.end() && k->second.count(vk)) {
        erase(r.key, vk);
        out = PutOutcome::replaced;
        ++counters_.replaced;
    }
    insert(std::move(r));
    ++counters_.puts;
    return out;
}

std::optional<Store::Vk> Store::plan_key_slot(const Id& key, const Id& w) const {
    const auto& vals = keys_.at(key);
    std::map<Id, std::size_t> count;
    for (const auto& [vk, rec] : vals) ++count[vk.writer];
    std::size_t mine_after = count[w] + 1;
    const Id* top = nullptr;
    std::size_t top_n = 0;
    for (const auto& [id, n] : count)
        if (id != w && n > top_n) top = &id, top_n = n;
    if (!top || top_n <= mine_after) return std::nullopt;
    // The top writer's value in this key that goes first: live before
    // tombstone, soonest expiry first.
    const Record* best = nullptr;
    for (const auto& [vk, rec] : vals) {
        if (vk.writer != *top) continue;
        if (!best || std::tie(rec.tombstone, rec.expires_us, rec.vid) < std::tie(best->tombstone, best->expires_us, best->vid))
            best = &rec;
    }
    return Vk{best->writer, best->vid};
}

std::optional<std::vector<std::pair<Id, Store::Vk>>> Store::plan_quota(
    const Id& w, std::size_t w_after, std::size_t need, const std::vector<std::pair<Id, Vk>>& skip) const {
    // Simulate on the side: writers touched so far have their bytes and the
    // position in their victims set here; the rest are read from usage_.
    struct Sim {
        std::size_t bytes;
        std::set<VictimKey>::const_iterator next;
        std::set<VictimKey>::const_iterator end;
    };
    std::unordered_map<Id, Sim, IdHash> sim;
    std::vector<std::pair<Id, Vk>> plan;
    std::size_t freed = 0;
    while (freed < need) {
        // Largest other writer: the best touched one vs. the first untouched in usage_.
        const Id* top = nullptr;
        std::size_t top_bytes = 0;
        for (auto& [id, s] : sim)
            if (s.bytes > top_bytes && s.next != s.end) top = &id, top_bytes = s.bytes;
        for (auto it = usage_.rbegin(); it != usage_.rend(); ++it) {
            if (it->second == w || sim.count(it->second)) continue;
            if (it->first > top_bytes) top = &it->second, top_bytes = it->first;
            break;
        }
        if (!top || top_bytes <= w_after) return std::nullopt;
        Id victim_writer = *top;
        auto s = sim.find(victim_writer);
        if (s == sim.end()) {
            const Writer& wr = writers_.at(victim_writer);
            s = sim.emplace(victim_writer, Sim{wr.bytes, wr.victims.begin(), wr.victims.end()}).first;
        }
        const Id key = std::get<2>(*s->second.next);
        const Vk vk{victim_writer, std::get<3>(*s->second.next)};
        ++s->second.next;
        const std::size_t c = charge(keys_.at(key).at(vk));
        s->second.bytes -= std::min(s->second.bytes, c);
        // Already chosen for the per-key limit (and counted as freed there).
        if (std::find(skip.begin(), skip.end(), std::pair<Id, Vk>{key, vk}) != skip.end()) continue;
        freed += c;
        plan.emplace_back(key, vk);
    }
    return plan;
}

void Store::insert(Record r) {
    const std::size_t c = charge(r);
    Writer& w = writers_[r.writer];
    if (w.records > 0) usage_.erase({w.bytes, r.writer});
    w.bytes += c;
    ++w.records;
    usage_.insert({w.bytes, r.writer});
    w.victims.insert({r.tombstone, r.expires_us, r.key, r.vid});
    expiry_.insert({r.expires_us, r.key, r.writer, r.vid});
    bytes_ += c;
    ++records_;
    if (r.tombstone) ++tombstones_;
    Id key = r.key;
    Vk vk{r.writer, r.vid};
    keys_[key].emplace(vk, std::move(r));
}

Record Store::erase(const Id& key, const Vk& vk) {
    auto kit = keys_.find(key);
    auto vit = kit->second.find(vk);
    Record r = std::move(vit->second);
    kit->second.erase(vit);
    if (kit->second.empty()) keys_.erase(kit);
    const std::size_t c = charge(r);
    auto wit = writers_.find(r.writer);
    Writer& w = wit->second;
    usage_.erase({w.bytes, r.writer});
    w.bytes -= c;
    --w.records;
    w.victims.erase({r.tombstone, r.expires_us, r.key, r.vid});
    if (w.records == 0) writers_.erase(wit);
    else usage_.insert({w.bytes, r.writer});
    expiry_.erase({r.expires_us, r.key, r.writer, r.vid});
    bytes_ -= c;
    --records_;
    if (r.tombstone) --tombstones_;
    return r;
}

void Store::push_pending(Record r) {
    pending_.push_back(std::move(r));
    while (pending_.size() > limits_.max_pending_events) {
        pending_.pop_front();
        ++counters_.events_dropped;
    }
}

void Store::purge_expired(std::int64_t now) {
    while (!expiry_.empty() && std::get<0>(*expiry_.begin()) <= now) {
        auto [exp, key, writer, vid] = *expiry_.begin();
        (void)exp;
        Record r = erase(key, Vk{writer, vid});
        if (!r.tombstone) {
            ++counters_.expired;
            push_pending(std::move(r));
        }
    }
}

GetPage Store::get(const Id& key, std::int64_t now, std::string_view cursor, std::size_t limit) const {
    GetPage page;
    if (limit == 0) limit = 1;
    std::optional<Vk> after;
    if (!cursor.empty()) {
        Vk vk{};
        if (!decode_cursor(cursor, vk.writer, vk.vid)) throw Error("invalid", "malformed cursor");
        after = vk;
    }
    auto kit = keys_.find(key);
    if (kit == keys_.end()) return page;
    const auto& vals = kit->second;
    auto it = after ? vals.upper_bound(*after) : vals.begin();
    for (; it != vals.end(); ++it) {
        if (!live(it->second, now)) continue;
        if (page.values.size() == limit) {
            const Record& last = page.values.back();
            page.next_cursor = encode_cursor(last.writer, last.vid);
            break;
        }
        page.values.push_back(it->second);
    }
    return page;
}

std::size_t Store::remove(const Id& key, std::string_view secret, std::int64_t now) {
    auto kit = keys_.find(key);
    if (kit == keys_.end()) return 0;
    const std::string h = remove_hash_of(secret);
    std::vector<Vk> hit;
    bool any_live = false;
    for (const auto& [vk, rec] : kit->second) {
        if (!live(rec, now)) continue;
        any_live = true;
        if (rec.remove_hash.size() == kRemoveHashBytes &&
            CRYPTO_memcmp(rec.remove_hash.data(), h.data(), kRemoveHashBytes) == 0)
            hit.push_back(vk);
    }
    if (!any_live) return 0;
    if (hit.empty()) {
        ++counters_.rejects["forbidden"];
        throw Error("forbidden", "no value of this key matches the secret");
    }
    for (const Vk& vk : hit) {
        Record r = erase(key, vk);
        r.tombstone = true;
        r.value.clear();
        r.value.shrink_to_fit();
        insert(std::move(r));
    }
    counters_.removed += hit.size();
    return hit.size();
}

std::vector<Record> Store::expire(std::int64_t now) {
    purge_expired(now);
    std::vector<Record> out(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
    pending_.clear();
    return out;
}

std::optional<std::int64_t> Store::next_expiry() const {
    std::optional<std::int64_t> t;
    if (!expiry_.empty()) t = std::get<0>(*expiry_.begin());
    if (!pending_.empty()) t = std::min(t.value_or(INT64_MAX), pending_.front().expires_us);
    return t;
}

std::vector<KeyInfo> Store::keys(std::int64_t now, std::optional<Id> after, std::size_t limit) const {
    std::vector<KeyInfo> out;
    auto it = after ? keys_.upper_bound(*after) : keys_.begin();
    for (; it != keys_.end() && out.size() < limit; ++it) {
        KeyInfo ki{it->first, 0, 0, std::numeric_limits<std::int64_t>::max()};
        for (const auto& [vk, rec] : it->second) {
            if (!live(rec, now)) continue;
            ++ki.values;
            ki.bytes += rec.value.size();
            ki.min_ttl_us = std::min(ki.min_ttl_us, rec.expires_us - now);
        }
        if (ki.values > 0) out.push_back(ki);
    }
    return out;
}

StoreStats Store::stats() const {
    StoreStats s = counters_;
    s.keys = keys_.size();
    s.values = records_ - tombstones_;
    s.tombstones = tombstones_;
    s.bytes = bytes_;
    s.writers = writers_.size();
    return s;
}

std::vector<Id> Store::key_ids() const {
    std::vector<Id> out;
    out.reserve(keys_.size());
    for (const auto& [k, v] : keys_) out.push_back(k);
    return out;
}

std::vector<Record> Store::records(const Id& key) const {
    std::vector<Record> out;
    if (auto k = keys_.find(key); k != keys_.end())
        for (const auto& [vk, rec] : k->second) out.push_back(rec);
    return out;
}

void Store::for_each(const std::function<void(const Record&)>& fn) const {
    for (const auto& [k, vals] : keys_)
        for (const auto& [vk, rec] : vals) fn(rec);
}

bool Store::holds(const Id& key, std::int64_t now) const {
    auto kit = keys_.find(key);
    if (kit == keys_.end()) return false;
    return std::any_of(kit->second.begin(), kit->second.end(),
                       [&](const auto& e) { return e.second.expires_us > now; });
}

std::size_t Store::drop_key(const Id& key) {
    auto kit = keys_.find(key);
    if (kit == keys_.end()) return 0;
    std::vector<Vk> vks;
    for (const auto& [vk, rec] : kit->second) vks.push_back(vk);
    for (const Vk& vk : vks) erase(key, vk);
    return vks.size();
}

std::size_t Store::bytes_of(const Id& writer) const {
    auto it = writers_.find(writer);
    return it == writers_.end() ? 0 : it->second.bytes;
}

}  // namespace sr::dht
