#include "cache/coop.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/secret.hpp"
#include "cache/evhttp_util.hpp"
#include "cache/peer.hpp"

#include <arpa/inet.h>
#include <event2/event.h>
#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace sr::cache {

namespace {

constexpr std::int64_t kRetryLinkUs = 3'000'000;

Value error_value(const char* code, const std::string& message) { return Value{{"code", code}, {"message", message}}; }

}  // namespace

std::string pack_record(const Value& v) {
    msgpack::sbuffer buf;
    Packer pk(buf);
    pack_value(pk, v);
    return std::string(buf.data(), buf.size());
}

std::optional<Value> unpack_record(const std::string& bytes) {
    try {
        auto handle = msgpack::unpack(bytes.data(), bytes.size());
        return to_value(handle.get());
    } catch (const std::exception&) {
        return std::nullopt;  // someone else's malformed value: skipped
    }
}

void defer(Loop& loop, std::function<void()> fn) {
    auto* heap = new std::function<void()>(std::move(fn));
    timeval now{0, 0};
    event_base_once(
        loop.base(), -1, EV_TIMEOUT,
        [](evutil_socket_t, short, void* arg) {
            std::unique_ptr<std::function<void()>> f(static_cast<std::function<void()>*>(arg));
            (*f)();
        },
        heap, &now);
}

std::string host_part(const std::string& addr_port) {
    if (!addr_port.empty() && addr_port.front() == '[') return addr_port.substr(1, addr_port.find(']') - 1);
    return addr_port.substr(0, addr_port.rfind(':'));
}

std::optional<Endpoint> literal_endpoint(const std::string& addr_port) {
    auto colon = addr_port.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    std::string host = host_part(addr_port);
    unsigned long port = 0;
    try {
        port = std::stoul(addr_port.substr(colon + 1));
    } catch (const std::exception&) {
        return std::nullopt;
    }
    if (port == 0 || port > 65535) return std::nullopt;
    Endpoint ep;
    auto* v4 = reinterpret_cast<sockaddr_in*>(&ep.addr);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&ep.addr);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<std::uint16_t>(port));
        ep.len = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<std::uint16_t>(port));
        ep.len = sizeof(sockaddr_in6);
    } else {
        return std::nullopt;
    }
    ep.host_header = addr_port;
    return ep;
}

std::string load_or_create_secret(const std::string& dir) {
    std::string path = dir + "/secret";
    std::ifstream in(path, std::ios::binary);
    std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (s.size() == 16) return s;
    s.assign(16, '\0');
    RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), 16);
    int fd = ::open((path + ".tmp").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || ::write(fd, s.data(), s.size()) != 16 || ::close(fd) != 0 ||
        std::rename((path + ".tmp").c_str(), path.c_str()) != 0)
        throw Error("config", "cannot write " + path + ": " + std::strerror(errno));
    return s;
}

std::string removal_secret(const std::string& secret, std::string_view ns, const std::string& name) {
    return hmac_sha256(secret, {"sr-remove\n", ns, "\n", name}).substr(0, 16);
}

// ---- DaemonLink ------------------------------------------------------------------

DaemonLink::DaemonLink(Loop& loop, std::string path, rpc::Counters& counters)
    : loop_(loop), path_(std::move(path)), counters_(counters) {}

bool DaemonLink::up() {
    if (conn_ && !conn_->closed()) return true;
    conn_.reset();
    std::int64_t now = Loop::now_us();
    if (now < next_try_us_) return false;
    next_try_us_ = now + kRetryLinkUs;
    try {
        conn_ = rpc::connect_unix(loop_, path_, counters_);
        log::info("connected to ", path_);
        return true;
    } catch (const Error& e) {
        log::debug(path_, ": ", e.what());
        return false;
    }
}

void DaemonLink::call(const std::string& method, Value params, std::int64_t timeout_us, rpc::Connection::ResponseFn fn) {
    // Whichever comes first, the answer or the deadline, is the one answer.
    struct Once {
        rpc::Connection::ResponseFn fn;
        std::unique_ptr<Timer> timer;
        void operator()(const Value& e, const Value& r) {
            if (!fn) return;
            auto f = std::move(fn);
            fn = nullptr;
            if (timer) timer->cancel();
            f(e, r);
        }
    };
    auto once = std::make_shared<Once>();
    once->fn = std::move(fn);
    std::weak_ptr<Once> weak = once;
    once->timer = std::make_unique<Timer>(loop_, [weak, method] {
        if (auto o = weak.lock()) (*o)(error_value("timeout", method + ": no answer in time"), nullptr);
    });
    if (!up()) {
        std::string why = "no daemon at " + path_;
        defer(loop_, [once, why] { (*once)(error_value("unavailable", why), nullptr); });
        return;
    }
    once->timer->arm_in(timeout_us);
    conn_->call(method, params, [once](const Value& e, const Value& r) { (*once)(e, r); });
}

// ---- Cooperation ------------------------------------------------------------------

std::optional<ReplicaPointer> read_pointer(const Value& ptr, const std::string& url, std::int64_t now,
                                           std::uint64_t max_size) {
    auto field = [&](const char* name) { return ptr.find(name); };
    auto endpoint = field("endpoint"), purl = field("url"), expires = field("expires"), digest = field("digest"),
         size = field("size");
    auto end = ptr.end();
    if (endpoint == end || !endpoint->is_string() || purl == end || !purl->is_string() || *purl != url) return std::nullopt;
    if (expires == end || !expires->is_number_integer() || expires->get<std::int64_t>() <= now) return std::nullopt;
    // No promise of a body to check the peer's against, or one too large to store: not followed.
    if (digest == end || !digest->is_string() || digest->get_ref<const std::string&>().size() != 64) return std::nullopt;
    if (size == end || !size->is_number_integer() || size->get<std::int64_t>() < 0 ||
        size->get<std::uint64_t>() > max_size)
        return std::nullopt;
    auto ep = literal_endpoint(endpoint->get<std::string>());
    if (!ep) return std::nullopt;
    return ReplicaPointer{endpoint->get<std::string>(), *ep, {digest->get<std::string>(), size->get<std::uint64_t>()}};
}

Cooperation::Cooperation(Loop& loop, const std::string& runtime_dir, const CacheConfig& cfg, Store& store,
                         std::uint64_t& rejected)
    : loop_(loop), dht_(loop, runtime_dir + "/dhtd.sock", counters_), prox_(loop, runtime_dir + "/proxd.sock", counters_),
      advertise_(cfg.advertise.empty() && !cfg.listen.empty() ? cfg.listen.front() : cfg.advertise),
      self_ip_(host_part(advertise_)), secret_(load_or_create_secret(store.config().dir)), peer_key_(cfg.peer_key),
      rejected_(rejected), max_object_(cfg.store.max_bytes / 8), timeout_us_(cfg.dht_timeout_us) {
    if (self_ip_ == "0.0.0.0" || self_ip_ == "::" || self_ip_.empty())
        log::warn("cooperation: peers cannot fetch from ", advertise_, "; set --advertise ADDR:PORT");
}

Cooperation::~Cooperation() { *alive_ = false; }

void Cooperation::holders(const std::string& url, const std::string& path,
                          std::function<void(std::vector<Upstream>)> done) {
    auto alive = alive_;
    dht_.call("dht.get", {{"name", url}, {"ns", "obj"}, {"limit", 64}}, timeout_us_,
              [this, alive, url, path, done](const Value& err, const Value& result) {
                  if (!*alive) return;
                  std::vector<Upstream> peers;
                  if (!err.is_null() || !result.is_object()) {
                      if (!err.is_null()) log::debug("replica lookup for ", url, ": ", err.value("message", ""));
                      return done(peers);
                  }
                  std::int64_t now = wall_seconds();
                  Value candidates = Value::array();
                  for (const auto& v : result.value("values", Value::array())) {
                      // Anyone may store a kv value under any raw key: only replica pointers count.
                      if (!v.is_object() || !v.contains("value") || (v.contains("type") && v["type"] != "obj")) continue;
                      auto ptr = unpack_record(value_bytes(v["value"]));
                      if (!ptr || !ptr->is_object()) continue;
                      if (peer_key_ && !record_authentic(*peer_key_, "obj", *ptr)) {
                          ++rejected_;  // not written by a cache of this deployment
                          log::debug("replica pointer for ", url, " without a valid mac: ignored");
                          continue;
                      }
                      auto pointer = read_pointer(*ptr, url, now, max_object_);
                      if (!pointer || pointer->endpoint == advertise_) continue;
                      // One candidate per holder, with every body it promises (one per variant).
                      auto same = std::find_if(peers.begin(), peers.end(),
                                               [&](const Upstream& u) { return u.name == "peer " + pointer->endpoint; });
                      if (same != peers.end()) {
                          same->promised.push_back(pointer->body);
                          continue;
                      }
                      peers.push_back({pointer->to, path, true, "peer " + pointer->endpoint, {pointer->body}});
                      candidates.push_back(host_part(pointer->endpoint));
                  }
                  if (peers.size() < 2 || !prox_.up()) return done(peers);
                  prox_.call("prox.rank", {{"from", self_ip_}, {"candidates", candidates}}, timeout_us_,
                             [alive, peers, done](const Value& e, const Value& r) mutable {
                                 if (!*alive) return;
                                 if (!e.is_null() || !r.is_object()) return done(peers);
                                 std::vector<Upstream> ranked;
                                 for (const auto& row : r.value("ranked", Value::array())) {
                                     std::string a = row.value("address", "");
                                     for (auto& p : peers)
                                         if (!p.name.empty() && host_part(p.name.substr(5)) == a) {
                                             ranked.push_back(p);
                                             p.name.clear();  // taken
                                         }
                                 }
                                 for (auto& p : peers)
                                     if (!p.name.empty()) ranked.push_back(p);
                                 done(ranked);
                             });
              });
}

void Cooperation::publish(const StoredObject& obj, std::int64_t ttl_s) {
    if (obj.digest.empty()) return;  // stored by an older version: peers could not check the body
    // A pointer lives a day at most: an immutable copy is fresh for a year,
    // but sr-dhtd refuses TTLs beyond its --max-ttl (a week by default), and
    // a pointer is put again whenever the copy is stored or revalidated.
    ttl_s = std::min<std::int64_t>(ttl_s, kMaxPointerTtl);
    Value ptr{{"url", obj.url},
              {"node", advertise_},
              {"endpoint", advertise_},
              {"size", obj.body_size},
              {"etag", std::string(get_header(obj.response.headers, "etag").value_or(""))},
              {"digest", obj.digest},
              {"expires", wall_seconds() + ttl_s}};
    if (peer_key_) sign_record(*peer_key_, "obj", ptr);
    // One value per variant (vid 1 for a URL without Vary), so that each body has its digest.
    std::uint64_t vid = 1;
    if (!obj.variant.empty()) {
        Sha256 h;
        h.update(obj.variant.data(), obj.variant.size());
        vid = std::stoull(h.hex().substr(0, 16), nullptr, 16) | 2;  // never 1
    }
    Value params{{"name", obj.url}, {"ns", "obj"},  {"type", "obj"},
                 {"value", bytes_value(pack_record(ptr))}, {"ttl", ttl_s}, {"vid", vid},
                 {"secret", bytes_value(removal_secret(secret_, "obj", obj.url))}};
    auto url = obj.url;
    dht_.call("dht.put", params, 5'000'000, [this, url](const Value& err, const Value&) {
        if (err.is_null()) ++published_;
        else log::debug("replica pointer for ", url, " not published: ", err.value("message", ""));
    });
}

void Cooperation::withdraw(const std::string& url) {
    dht_.call("dht.remove", {{"name", url}, {"ns", "obj"}, {"secret", bytes_value(removal_secret(secret_, "obj", url))}}, 5'000'000,
              [this, url](const Value& err, const Value&) {
                  if (err.is_null()) ++withdrawn_;
                  else log::debug("replica pointer for ", url, " not withdrawn: ", err.value("message", ""));
              });
}

}  // namespace sr::cache
