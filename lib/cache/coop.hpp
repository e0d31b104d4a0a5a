// Cooperative caching through the overlay (paper §3.4, DESIGN §6).
//
// When sr-cached stores a cacheable object it puts a replica pointer
// {url, node, endpoint, size, etag, expires, digest, mac} under obj:URL in
// the DHT through the local sr-dhtd (digest: the body's SHA-256; mac: signed
// with the peer key, see peer.hpp), with the copy's remaining freshness as
// TTL, and removes it (with this cache's secret) when the last copy of the
// URL is evicted or purged. On a miss, holders() gets the pointers, drops our
// own, expired, unsigned and forged ones (with a peer key; without one only
// --open-cooperation takes them, on trust), and asks the local sr-proxd to
// rank the holders from our address;
// the fill then tries them nearest first (marked X-SR-Peer, so a peer
// answers only from its own cache) before the origin.
//
// Both daemons are optional: without sr-dhtd a miss goes to the origin at
// once; without sr-proxd the holders keep the DHT's order. Every DHT answer
// has a deadline (dht_timeout_us), so a slow overlay costs a miss at most
// that much.
#pragma once

#include "cache/cache.hpp"
#include "cache/fill.hpp"

#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace sr::cache {

// A lazily (re)connected RPC link to a sibling daemon's socket.
class DaemonLink {
  public:
    DaemonLink(Loop& loop, std::string path, rpc::Counters& counters);
    bool up();  // connected, or connected now (tried at most every few seconds)
    // Calls method; on_response(error, result). Without a link: error
    // {code: unavailable} from the loop. No answer within timeout_us: {code: timeout}.
    void call(const std::string& method, Value params, std::int64_t timeout_us, rpc::Connection::ResponseFn fn);
    const std::string& path() const { return path_; }

  private:
    Loop& loop_;
    std::string path_;
    rpc::Counters& counters_;
    std::shared_ptr<rpc::Connection> conn_;
    std::int64_t next_try_us_ = 0;
};

// Runs fn from the loop, soon (never inside the caller).
void defer(Loop& loop, std::function<void()> fn);

// The cache's DHT values (replica pointers, service descriptors) as msgpack
// maps; unpack_record gives nullopt for bytes that are not one.
std::string pack_record(const Value& v);
std::optional<Value> unpack_record(const std::string& bytes);

// The cache's secret for DHT removes: random, kept in the cache directory.
std::string load_or_create_secret(const std::string& dir);
// The removal secret of the cache's values under ns:name, derived from it. A
// tombstone carries its secret to the replicas: one per name, so that whoever
// learns it can remove nothing else of ours.
std::string removal_secret(const std::string& secret, std::string_view ns, const std::string& name);

// A replica pointer as read from the DHT, once its fields are checked.
struct ReplicaPointer {
    std::string endpoint;  // ADDR:PORT
    Endpoint to;
    PromisedBody body;
};
// The pointer for url in ptr (its mac already checked): nullopt when a field is
// missing or of the wrong type, it has expired, or it promises a body larger than max_size.
std::optional<ReplicaPointer> read_pointer(const Value& ptr, const std::string& url, std::int64_t now,
                                           std::uint64_t max_size);

// The longest TTL a replica pointer is put with (seconds): below sr-dhtd's
// --max-ttl in any sane configuration.
inline constexpr std::int64_t kMaxPointerTtl = 86400;

class Cooperation {
  public:
    // rejected counts the pointers dropped as unsigned or forged.
    Cooperation(Loop& loop, const std::string& runtime_dir, const CacheConfig& cfg, Store& store,
                std::uint64_t& rejected);
    ~Cooperation();

    // Holders of url other than us, nearest first; done runs once, from the loop.
    void holders(const std::string& url, const std::string& path, std::function<void(std::vector<Upstream>)> done);
    void publish(const StoredObject& obj, std::int64_t ttl_s);
    void withdraw(const std::string& url);

    bool dht_linked() { return dht_.up(); }  // tries to connect (at most every few seconds)
    std::uint64_t published() const { return published_; }
    std::uint64_t withdrawn() const { return withdrawn_; }

  private:
    Loop& loop_;
    rpc::Counters counters_;
    DaemonLink dht_, prox_;
    std::string advertise_;  // ADDR:PORT
    std::string self_ip_;
    std::string secret_;
    std::optional<std::string> peer_key_;
    std::uint64_t& rejected_;
    std::uint64_t max_object_;  // a peer's body is stored whole before it is served: no larger than this
    std::int64_t timeout_us_;
    std::uint64_t published_ = 0, withdrawn_ = 0;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

// "ADDR:PORT" or "[V6]:PORT" with a literal address → Endpoint; nullopt otherwise.
std::optional<Endpoint> literal_endpoint(const std::string& addr_port);
std::string host_part(const std::string& addr_port);

}  // namespace sr::cache
