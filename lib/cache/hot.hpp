// The hot set: small stored objects kept in memory beside the disk store.
//
// A hit on disk costs an index lookup (two SHA-256 and a header decode) and
// open/pread/close; for small popular objects that is most of the work, so
// objects without Vary and with bodies up to max_body are also kept here, a
// copy of what is on disk, bounded by max_bytes (least recently used out).
// The cache drops a URL from here whenever it changes on disk (commit, 304
// update, purge, invalidation, eviction), so the copy is never older than
// the disk's. The store's LRU still sees the use: a hot hit touches the
// store's entry at most once a second.
#pragma once

#include "cache/store.hpp"

#include <list>
#include <memory>
#include <string>
#include <unordered_map>

namespace sr::cache {

struct HotObject {
    StoredObject object;
    std::string body;
    std::int64_t touched = 0;  // wall seconds of the last store touch
};

class HotSet {
  public:
    explicit HotSet(std::size_t max_bytes = 64 << 20, std::size_t max_body = 64 << 10)
        : max_bytes_(max_bytes), max_body_(max_body) {}

    bool wants(const StoredObject& o) const { return o.variant.empty() && o.body_size <= max_body_ && max_bytes_ > 0; }
    std::shared_ptr<HotObject> find(const std::string& url);  // and marks it used
    void put(const StoredObject& o, std::string body);
    void forget(const std::string& url);
    void clear();
    std::size_t bytes() const { return bytes_; }
    std::size_t size() const { return map_.size(); }
    void set_max_bytes(std::size_t n);

  private:
    struct Slot {
        std::shared_ptr<HotObject> obj;
        std::list<std::string>::iterator lru;
        std::size_t bytes;
    };
    void trim();
    std::size_t max_bytes_, max_body_;
    std::size_t bytes_ = 0;
    std::unordered_map<std::string, Slot> map_;
    std::list<std::string> lru_;  // front: most recent
};

}  // namespace sr::cache
