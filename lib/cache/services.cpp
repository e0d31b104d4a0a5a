#include "cache/services.hpp"

#include "cache/evhttp_util.hpp"
#include "cache/fill.hpp"
#include "cache/peer.hpp"
#include "core/error.hpp"
#include "core/log.hpp"

#include <event2/bufferevent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

namespace sr::cache {

namespace {

constexpr std::int64_t kRefreshTickUs = 5'000'000;

// A value id stable across restarts, so a re-put replaces our earlier one (FNV-1a).
std::uint64_t vid_of(const std::string& url) {
    std::uint64_t h = 1469598103934665603ull;
    for (unsigned char c : url) h = (h ^ c) * 1099511628211ull;
    return h >> 1;
}

}  // namespace

Services::Services(Cache& cache, Loop& loop, const std::string& runtime_dir)
    : cache_(cache), loop_(loop), dht_(loop, runtime_dir + "/dhtd.sock", counters_),
      prox_(loop, runtime_dir + "/proxd.sock", counters_), file_(cache.store().config().dir + "/services.json"),
      secret_(load_or_create_secret(cache.store().config().dir)),
      node_(cache.config().advertise.empty() && !cache.config().listen.empty() ? cache.config().listen.front()
                                                                               : cache.config().advertise),
      refresh_(loop, [this] {
          refresh();
          refresh_.arm_in(kRefreshTickUs);
      }) {
    load();
    refresh_.arm_in(0);
}

Services::~Services() { *alive_ = false; }

void Services::load() {
    std::ifstream in(file_);
    if (!in) return;
    try {
        Value all = Value::parse(in);
        for (const auto& v : all) {
            Registration r;
            r.name = v.at("name").get<std::string>();
            r.url = v.at("url").get<std::string>();
            r.ttl = v.value("ttl", std::int64_t{300});
            r.attrs = v.value("attrs", Value::object());
            regs_[{r.name, r.url}] = r;
        }
        log::info("services: ", regs_.size(), " registrations from ", file_);
    } catch (const std::exception& e) {
        log::error("services: ignoring unreadable ", file_, ": ", e.what());
    }
}

void Services::save() const {
    Value all = Value::array();
    for (const auto& [k, r] : regs_) all.push_back({{"name", r.name}, {"url", r.url}, {"ttl", r.ttl}, {"attrs", r.attrs}});
    std::string tmp = file_ + ".tmp";
    std::string text = all.dump(1) + "\n";
    // 0600 whatever the umask, like the rest of the store.
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    bool ok = fd >= 0 && ::fchmod(fd, 0600) == 0 &&
              ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    if (fd >= 0 && ::close(fd) != 0) ok = false;
    if (!ok) throw Error("io", "cannot write " + tmp + ": " + std::strerror(errno));
    if (std::rename(tmp.c_str(), file_.c_str()) != 0) throw Error("io", "cannot write " + file_ + ": " + std::strerror(errno));
}

void Services::add(Registration r) {
    if (r.name.empty() || r.name.find('/') != std::string::npos)
        throw Error("invalid_params", "a service name is not empty and has no '/'");
    Url u = parse_url(r.url);  // throws on a URL we could not proxy to
    // By address: a name would be looked up on every request, blocking the loop.
    std::string hostport = (u.host.find(':') != std::string::npos ? "[" + u.host + "]" : u.host) + ":" + std::to_string(u.port);
    if (!literal_endpoint(hostport)) throw Error("invalid_params", "give the instance by address, not by name: " + r.url);
    if (r.ttl < 10 || r.ttl > 86400) throw Error("invalid_params", "ttl must be 10..86400 seconds");
    auto key = std::make_pair(r.name, r.url);
    regs_[key] = std::move(r);
    save();
    put(regs_[key]);
}

std::size_t Services::withdraw(const std::string& name, const std::string& url) {
    std::size_t n = 0;
    for (auto it = regs_.begin(); it != regs_.end();) {
        if (it->second.name == name && (url.empty() || it->second.url == url)) {
            it = regs_.erase(it);
            ++n;
        } else {
            ++it;
        }
    }
    if (n == 0) throw Error("not_found", "no registration of " + name + (url.empty() ? "" : " at " + url) + " here");
    save();
    // A DHT remove takes every value of the key with our secret: put back the instances that stay.
    auto alive = alive_;
    dht_.call("dht.remove", {{"name", name}, {"ns", "svc"}, {"secret", bytes_value(removal_secret(secret_, "svc", name))}}, 5'000'000,
              [this, alive, name](const Value& err, const Value&) {
                  if (!*alive) return;
                  if (!err.is_null()) log::warn("service ", name, ": remove from the DHT failed: ", err.value("message", ""));
                  for (auto& [k, r] : regs_)
                      if (r.name == name) put(r);
              });
    return n;
}

void Services::put(Registration& r) {
    std::int64_t now = wall_seconds();
    const auto& key = cache_.config().peer_key;
    if (!cache_.config().trust_dht_records) {  // no cache could use it: it stays ours alone
        r.last_error = "not published: no --peer-key-file (or --open-cooperation)";
        return;
    }
    Value desc{{"name", r.name}, {"url", r.url}, {"node", node_}, {"expires", now + r.ttl}, {"attrs", r.attrs}};
    if (key) sign_record(*key, "svc", desc);
    Value params{{"name", r.name},  {"ns", "svc"},        {"type", "svc"},
                 {"value", bytes_value(pack_record(desc))}, {"ttl", r.ttl}, {"vid", vid_of(r.url)},
                 {"secret", bytes_value(removal_secret(secret_, "svc", r.name))}};
    auto alive = alive_;
    auto reg = std::make_pair(r.name, r.url);
    r.last_put = now;  // a failed put is retried at the next tick, not hammered
    dht_.call("dht.put", params, 5'000'000, [this, alive, reg, now](const Value& err, const Value&) {
        if (!*alive) return;
        auto it = regs_.find(reg);
        if (it == regs_.end()) return;
        if (err.is_null()) {
            it->second.last_error.clear();
        } else {
            it->second.last_error = err.value("message", "failed");
            it->second.last_put = now - it->second.ttl;  // again soon
        }
    });
}

void Services::refresh() {
    std::int64_t now = wall_seconds();
    for (auto& [k, r] : regs_)
        if (r.last_put + r.ttl / 3 <= now) put(r);
}

Value Services::list() const {
    Value out = Value::array();
    std::int64_t now = wall_seconds();
    for (const auto& [k, r] : regs_)
        out.push_back({{"name", r.name},
                       {"url", r.url},
                       {"ttl", r.ttl},
                       {"attrs", r.attrs},
                       {"published", r.last_put > 0 && r.last_error.empty()},
                       {"refreshed_ago", r.last_put > 0 && r.last_error.empty() ? Value(now - r.last_put) : Value()},
                       {"error", r.last_error.empty() ? Value() : Value(r.last_error)}});
    return out;
}

void Services::resolve(const std::string& name, std::function<void(const Value&, const Value&)> done) {
    auto alive = alive_;
    if (!cache_.config().trust_dht_records) {  // nothing from the DHT can be checked: our own instances only
        Value instances = Value::array();
        for (const auto& [k, r] : regs_)
            if (r.name == name)
                instances.push_back({{"name", name}, {"url", r.url}, {"node", node_}, {"ttl", r.ttl},
                                     {"attrs", r.attrs}, {"cost", nullptr}});
        defer(loop_, [alive, done, instances] {
            if (*alive) done(nullptr, instances);
        });
        return;
    }
    dht_.call("dht.get", {{"name", name}, {"ns", "svc"}, {"limit", 256}}, cache_.config().dht_timeout_us * 3,
              [this, alive, name, done](const Value& err, const Value& result) {
                  if (!*alive) return;
                  if (!err.is_null()) return done(err, nullptr);
                  std::int64_t now = wall_seconds();
                  Value instances = Value::array();
                  Value hosts = Value::array();
                  for (const auto& v : result.value("values", Value::array())) {
                      try {
                          if (v.contains("type") && v["type"] != "svc") continue;  // a kv value under the same key
                          auto rec = unpack_record(value_bytes(v.at("value")));
                          if (!rec || !rec->is_object()) continue;
                          const auto& key = cache_.config().peer_key;
                          if (key && !record_authentic(*key, "svc", *rec)) {
                              ++cache_.stats_.records_rejected;  // not registered by a cache of ours
                              continue;
                          }
                          const Value& d = *rec;
                          if (d.value("name", "") != name || d.value("expires", std::int64_t{0}) <= now) continue;
                          Url u = parse_url(d.at("url").get<std::string>());
                          instances.push_back({{"name", name},
                                               {"url", d.at("url")},
                                               {"node", d.value("node", "")},
                                               {"ttl", d.at("expires").get<std::int64_t>() - now},
                                               {"attrs", d.value("attrs", Value::object())},
                                               {"cost", nullptr}});
                          hosts.push_back(u.host);
                      } catch (const std::exception&) {
                          continue;  // someone else's malformed descriptor
                      }
                  }
                  if (instances.size() < 2 || !prox_.up()) return done(nullptr, instances);
                  std::string self = host_part(node_);
                  prox_.call("prox.rank", {{"from", self}, {"candidates", hosts}}, cache_.config().dht_timeout_us,
                             [alive, instances, hosts, done](const Value& e, const Value& r) mutable {
                                 if (!*alive) return;
                                 if (!e.is_null() || !r.is_object()) return done(nullptr, instances);
                                 Value ranked = Value::array();
                                 std::vector<bool> taken(instances.size(), false);
                                 for (const auto& row : r.value("ranked", Value::array()))
                                     for (std::size_t i = 0; i < instances.size(); ++i)
                                         if (!taken[i] && hosts[i] == row.value("address", "")) {
                                             taken[i] = true;
                                             instances[i]["cost"] = row.value("cost", Value());
                                             ranked.push_back(instances[i]);
                                             break;
                                         }
                                 for (std::size_t i = 0; i < instances.size(); ++i)
                                     if (!taken[i]) ranked.push_back(instances[i]);
                                 done(nullptr, ranked);
                             });
              });
}

void Services::proxy(std::unique_ptr<Downstream> d) {
    // /svc/NAME[/rest]
    std::string after = d->path.substr(5);
    auto slash = after.find_first_of("/?");
    std::string name = after.substr(0, slash);
    std::string rest = slash == std::string::npos ? "/" : after.substr(slash);
    if (!rest.empty() && rest.front() == '?') rest = "/" + rest;
    if (name.empty()) {
        cache_.reply(*d, 404, "no service name in " + d->path + "\n", "ERROR");
        return;
    }
    auto alive = alive_;
    // The client may leave while we resolve: evhttp's close callback marks it.
    auto held = std::make_shared<std::unique_ptr<Downstream>>(std::move(d));
    (*held)->watch_close();
    resolve(name, [this, alive, held, name, rest](const Value& err, const Value& instances) mutable {
        if (!*alive) return;
        std::unique_ptr<Downstream> d = std::move(*held);
        if (d->closed) return;
        d->unwatch();
        if (!err.is_null() || instances.empty()) {
            std::string why = err.is_null() ? "no live instance of " + name : err.value("message", "lookup failed");
            cache_.reply(*d, 503, why + "\n", "ERROR");
            return;
        }
        std::vector<Upstream> candidates;
        int dscp = -1;
        for (const auto& inst : instances) {
            if (candidates.size() >= cache_.config().services.max_instances) break;
            try {
                Url u = parse_url(inst["url"].get<std::string>());
                auto ep = literal_endpoint(u.host.find(':') != std::string::npos ? "[" + u.host + "]:" + std::to_string(u.port)
                                                                                 : u.host + ":" + std::to_string(u.port));
                Endpoint to = ep ? *ep : resolve_endpoint(u.host, u.port);
                to.host_header = u.authority();
                std::string base = u.path;
                if (!base.empty() && base.back() == '/') base.pop_back();
                candidates.push_back({to, base + rest, false, "instance " + inst["url"].get<std::string>(), {}});
                if (dscp < 0) {
                    auto q = inst["attrs"].value("qos", "");
                    if (auto it = cache_.config().qos_classes.find(q); it != cache_.config().qos_classes.end()) dscp = it->second;
                }
            } catch (const std::exception& e) {
                log::debug("service ", name, ": skipping an instance: ", e.what());
            }
        }
        if (candidates.empty()) {
            cache_.reply(*d, 503, "no usable instance of " + name + "\n", "ERROR");
            return;
        }
        cache_.mark_client(*d, dscp);
        d->x_cache = "SERVICE";
        cache_.proxy_to(std::move(d), std::move(candidates), dscp);
    });
}

}  // namespace sr::cache
