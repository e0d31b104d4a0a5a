#include "cache/hot.hpp"

namespace sr::cache {

namespace {
std::size_t cost(const StoredObject& o, const std::string& body) {
    std::size_t n = o.url.size() + body.size() + 256;
    for (const auto& [k, v] : o.response.headers) n += k.size() + v.size() + 64;
    return n;
}
}  // namespace

std::shared_ptr<HotObject> HotSet::find(const std::string& url) {
    auto it = map_.find(url);
    if (it == map_.end()) return nullptr;
    lru_.splice(lru_.begin(), lru_, it->second.lru);
    return it->second.obj;
}

void HotSet::put(const StoredObject& o, std::string body) {
    if (!wants(o) || body.size() != o.body_size) return;
    forget(o.url);
    auto obj = std::make_shared<HotObject>();
    obj->object = o;
    obj->body = std::move(body);
    std::size_t c = cost(obj->object, obj->body);
    lru_.push_front(o.url);
    map_[o.url] = Slot{std::move(obj), lru_.begin(), c};
    bytes_ += c;
    trim();
}

void HotSet::forget(const std::string& url) {
    auto it = map_.find(url);
    if (it == map_.end()) return;
    bytes_ -= it->second.bytes;
    lru_.erase(it->second.lru);
    map_.erase(it);
}

void HotSet::clear() {
    map_.clear();
    lru_.clear();
    bytes_ = 0;
}

void HotSet::set_max_bytes(std::size_t n) {
    max_bytes_ = n;
    trim();
}

void HotSet::trim() {
    while (bytes_ > max_bytes_ && !lru_.empty()) forget(lru_.back());
}

}  // namespace sr::cache
