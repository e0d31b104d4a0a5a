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

std::string sha256_of(std::string_view bytes) {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    if (!ctx) throw std::bad_alloc();
    bool ok = EVP_DigestInit_ex(ctx, EVP_sha256(), nullptr) == 1 &&
              EVP_DigestUpdate(ctx, bytes.data(), bytes.size()) == 1 &&
              EVP_DigestFinal_ex(ctx, md, &len) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok || len != kRemoveHashBytes) throw std::runtime_error("SHA-256 failed");
    return std::string(reinterpret_cast<const char*>(md), len);
}

std::string remove_hash_of(std::string_view secret) { return sha256_of(secret); }

Store::Store(Limits limits) : limits_(limits) {
    if (limits_.max_values_per_key == 0) limits_.max_values_per_key = 1;
}

std::size_t Store::charge(const Record& r) {
    return r.value.size() + r.type.size() + r.remove_hash.size() + r.owner.size() + r.sig.size() +
           r.digest.size() + r.remove_secret.size() + kRecordOverhead;
}

std::string Store::owner_of(const Record& r) {
    if (!r.owner.empty()) return r.owner;
    auto b = r.writer.bytes();
    return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

std::size_t Store::writer_cap() const { return limits_.writer_bytes ? limits_.writer_bytes : limits_.quota_bytes / 4; }
std::size_t Store::owner_cap() const { return limits_.owner_bytes ? limits_.owner_bytes : limits_.quota_bytes / 2; }

std::size_t Store::values_of(const Id& key, const Id& writer) const {
    auto k = keys_.find(key);
    if (k == keys_.end()) return 0;
    auto lo = k->second.lower_bound(Vk{writer, 0});
    std::size_t n = 0;
    for (; lo != k->second.end() && lo->first.writer == writer; ++lo) ++n;
    return n;
}

void Store::reject(const std::string& code, const std::string& message) {
    ++counters_.rejects[code];
    throw Error(code, message);
}

void Store::validate(Record& r, std::int64_t now) {
    if (!valid_type(r.type)) reject("invalid", "type must be 1..64 printable ASCII bytes");
    if (!r.remove_hash.empty() && r.remove_hash.size() != kRemoveHashBytes)
        reject("invalid", "remove_hash must be empty or 32 bytes");
    if ((!r.owner.empty() && r.owner.size() != kOwnerBytes) || (!r.sig.empty() && r.sig.size() != kSigBytes) ||
        (!r.digest.empty() && r.digest.size() != kRemoveHashBytes) || r.remove_secret.size() > kMaxSecretBytes)
        reject("invalid", "malformed writer identity fields");
    if (!r.tombstone) {
        r.digest.clear();
        r.remove_secret.clear();
    }
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
    // The first owner key that wrote a value keeps it (writer ids are derived
    // from the owner, so this only bites records stamped without one).
    if (cur && !cur->owner.empty() && cur->owner != r.owner)
        reject("forbidden", "this value belongs to another writer's key");

    const std::size_t add = charge(r);
    if (!cur) {
        // Per-key slots: never taken from others, and one writer gets a quarter.
        auto k = keys_.find(r.key);
        if (k != keys_.end() && k->second.size() >= limits_.max_values_per_key) {
            purge_expired(now);
            k = keys_.find(r.key);
            if (k != keys_.end() && k->second.size() >= limits_.max_values_per_key)
                reject("over_quota", "key holds the maximum of " + std::to_string(limits_.max_values_per_key) +
                                         " values");
        }
        const std::size_t per_writer = std::max<std::size_t>(1, limits_.max_values_per_key / 4);
        if (values_of(r.key, r.writer) >= per_writer) {
            purge_expired(now);
            if (values_of(r.key, r.writer) >= per_writer)
                reject("over_quota", "this writer holds " + std::to_string(per_writer) +
                                         " values under the key, a quarter of its maximum");
        }
    }
    auto room = [&](std::size_t sub) {
        const std::size_t need = add > sub ? add - sub : 0;
        if (need == 0) return std::string();
        if (bytes_ + need > limits_.quota_bytes)
            return "store quota of " + std::to_string(limits_.quota_bytes) + " bytes reached";
        if (bytes_of(r.writer) + need > writer_cap())
            return "this writer's share of " + std::to_string(writer_cap()) + " bytes is used up";
        if (bytes_of_owner(r) + need > owner_cap())
            return "the writing node's share of " + std::to_string(owner_cap()) + " bytes is used up";
        return std::string();
    };
    if (std::string why = room(cur ? charge(*cur) : 0); !why.empty()) {
        purge_expired(now);
        cur = find_cur();
        why = room(cur ? charge(*cur) : 0);
        if (!why.empty()) reject("over_quota", why);
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

void Store::insert(Record r) {
    const std::size_t c = charge(r);
    Writer& w = writers_[r.writer];
    w.bytes += c;
    ++w.records;
    owners_[owner_of(r)] += c;
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
    w.bytes -= c;
    --w.records;
    if (w.records == 0) writers_.erase(wit);
    auto oit = owners_.find(owner_of(r));
    oit->second -= c;
    if (oit->second == 0) owners_.erase(oit);
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

bool Store::is_stale(const Record& r, std::int64_t now) const {
    auto k = keys_.find(r.key);
    if (k == keys_.end()) return false;
    auto v = k->second.find(Vk{r.writer, r.vid});
    return v != k->second.end() && v->second.expires_us > now && !newer(r, v->second);
}

std::size_t Store::remove(const Id& key, std::string_view secret, std::int64_t now,
                          const std::set<std::string>& deny_types) {
    auto kit = keys_.find(key);
    if (kit == keys_.end()) return 0;
    const std::string h = remove_hash_of(secret);
    std::vector<Vk> hit;
    bool any_live = false;
    for (const auto& [vk, rec] : kit->second) {
        if (!live(rec, now)) continue;
        any_live = true;
        if (deny_types.count(rec.type)) continue;
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
        r.digest = sha256_of(r.value);
        r.remove_secret = std::string(secret.substr(0, kMaxSecretBytes));
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
    limit = std::min(limit, kMaxKeysPage);
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

Store::Totals Store::live_totals(std::int64_t now) const {
    Totals total;
    for (const auto& [key, vals] : keys_) {
        std::size_t before = total.values;
        for (const auto& [vk, rec] : vals) {
            if (!live(rec, now)) continue;
            ++total.values;
            total.bytes += rec.value.size();
        }
        if (total.values > before) ++total.keys;
    }
    return total;
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

std::size_t Store::bytes_of_owner(const Record& r) const {
    auto it = owners_.find(owner_of(r));
    return it == owners_.end() ? 0 : it->second;
}

std::size_t Store::bytes_of(const Id& writer) const {
    auto it = writers_.find(writer);
    return it == writers_.end() ? 0 : it->second.bytes;
}

}  // namespace sr::dht
