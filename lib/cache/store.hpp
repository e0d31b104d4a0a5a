// sr-cached's disk store: response bodies in files under --cache-dir, and an
// index of them in a Boost.Interprocess mapped file (DESIGN §10).
//
// Layout of DIR:
//   lock            file_lock held for the whole life of the one writer; a
//                   second sr-cached on the same DIR gets Error("busy")
//   index           managed_mapped_file: a state block {magic, version, clean}
//                   and a map from ObjectKey to the entry (url, variant,
//                   stored response header blob, sizes, times)
//   objects/XY/KEY  one file per stored response (variant), KEY = 32 hex digits:
//                   [body][header msgpack][u32 header length][u32 magic "SRO1"]
//                   The body is at offset 0, so it can be sent with sendfile and
//                   read by waiters while it is still being filled. The header
//                   (StoredObject) is the trailer, so a 304 rewrites it in
//                   place (truncate to the body, append) without copying the
//                   body.
//   tmp/            bodies being filled; renamed into objects/ only when
//                   complete (commit), so a partial body is never served.
//
// Crash safety: the index is trusted only when its state block says the last
// writer closed it cleanly. Opening marks it dirty (flushed); a clean close
// marks it clean. A dirty or unreadable index is discarded and rebuilt by
// scanning objects/ (reading each file's trailer; a file whose trailer or
// size does not check out is deleted). tmp/ is emptied at every open.
//
// Eviction: least recently used, by bytes. When a commit takes the store over
// max_bytes, the least recently used objects are removed until it is at 95%
// of it. (Why LRU: see store.cpp.)
//
// Single-threaded: the daemon's loop thread owns the Store.
#pragma once

#include "cache/policy.hpp"
#include "core/id.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sr::cache {

// What is stored about one response besides its body.
struct StoredObject {
    std::string url;      // absolute URL, the primary cache key
    std::string variant;  // secondary key from Vary (secondary_key()), "" if none
    StoredResponse response;   // status, headers (hop-by-hop stripped), request/response time
    Headers request_headers;   // the request's fields named by Vary, for vary_matches()
    std::uint64_t body_size = 0;
    std::string digest;  // SHA-256 of the body, hex; "" for objects stored before it was recorded
};

// The index entry: what lookups and listings need without touching files.
struct ObjectInfo {
    std::string url;
    std::string variant;
    std::uint64_t body_size = 0;
    std::int64_t stored = 0;       // unix seconds of the last commit or 304 update
    std::int64_t last_access = 0;  // unix seconds
    std::string path;              // the object file (absolute)
};

// An open stored object: its header and a descriptor on the file (body at 0).
struct OpenObject {
    StoredObject object;
    int fd = -1;  // owned; closed by the destructor unless released
    OpenObject() = default;
    OpenObject(OpenObject&&) noexcept;
    OpenObject& operator=(OpenObject&&) noexcept;
    ~OpenObject();
    int release();  // hand the fd to the caller (e.g. evbuffer_add_file)
};

struct StoreConfig {
    std::string dir;
    std::uint64_t max_bytes = 1ull << 30;  // bodies + headers on disk
};

struct StoreStats {
    std::uint64_t objects = 0, bytes = 0, evictions = 0, evicted_bytes = 0;
    bool rebuilt = false;  // the index was rebuilt at open
};

class Store {
  public:
    // Creates DIR and its layout if missing, takes the lock (Error "busy" if
    // another process, or another Store in this one, holds it), opens or
    // rebuilds the index. Error("config") when DIR cannot be used.
    explicit Store(StoreConfig cfg);
    ~Store();  // clean close: flush the index and mark it clean
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // A body being filled: write() appends to tmp/; readers may read path()
    // while it grows. commit() or abort() exactly once.
    class Writer {
      public:
        virtual ~Writer() = default;
        virtual void write(const char* data, std::size_t n) = 0;  // throws Error("io")
        virtual std::uint64_t written() const = 0;
        virtual const std::string& path() const = 0;
    };
    std::unique_ptr<Writer> begin();
    // Writes the header trailer (object.body_size must equal written(), else
    // Error("invalid")), renames the file into objects/, indexes it
    // (replacing url+variant if present), evicts if over the bound. Returns
    // the evicted objects (the new one too if it alone exceeds max_bytes).
    // Error("io") on a disk error, Error("too_large") for a header > 4 MiB.
    std::vector<ObjectInfo> commit(std::unique_ptr<Writer> w, const StoredObject& object, std::int64_t now);
    void abort(std::unique_ptr<Writer> w);

    // Every stored variant of url (usually zero or one).
    std::vector<ObjectInfo> variants(std::string_view url) const;
    // Opens url's variant; nullopt if absent (or its file vanished: then the
    // entry is dropped). Marks it used (LRU) at now.
    std::optional<OpenObject> open(std::string_view url, std::string_view variant, std::int64_t now);
    // Marks url's variant used at now (LRU) without opening it; false if absent.
    bool touch(std::string_view url, std::string_view variant, std::int64_t now);
    // Reads the header only (for cache.stat).
    std::optional<StoredObject> header(std::string_view url, std::string_view variant) const;
    // Replaces the stored header after a 304 (body unchanged; the stored
    // body_size is kept). Does nothing if the object is no longer stored.
    void update(const StoredObject& object, std::int64_t now);

    bool remove(std::string_view url, std::string_view variant);
    // Removes every variant of url; with prefix=true every URL starting with it.
    std::vector<ObjectInfo> purge(std::string_view url_or_prefix, bool prefix);
    // Objects whose URL starts with prefix, in URL order, at most limit;
    // with `after`, only those whose URL sorts after it (the next page).
    std::vector<ObjectInfo> list(std::string_view prefix, std::size_t limit, std::string_view after = {}) const;

    StoreStats stats() const;
    const StoreConfig& config() const { return cfg_; }
    void set_max_bytes(std::uint64_t max_bytes);  // reload; evicts if now over

  private:
    struct Impl;
    StoreConfig cfg_;
    std::unique_ptr<Impl> impl_;
};

}  // namespace sr::cache
