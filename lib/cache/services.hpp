// Services and foreign resources (paper §3.5, DESIGN §6).
//
// A registration (service.register NAME URL) lives in this sr-cached: it is
// kept in CACHE_DIR/services.json, so it survives a restart, and its
// descriptor {name, url, node, expires, attrs} is put under svc:NAME in the
// DHT with a TTL and put again every TTL/3 while the registration lives;
// service.withdraw removes it (with the cache's secret).
//
// Resolving NAME gets every descriptor, drops expired ones and ranks the
// instances by sr-proxd's cost from this node (the DHT's order without
// sr-proxd). GET /svc/NAME/rest on any sr-cached proxies to the nearest
// instance (URL path + rest) and fails over to the next on a connect error,
// a timeout or a 5xx, within services.failover_budget_us in all.
#pragma once

#include "cache/cache.hpp"
#include "cache/coop.hpp"

#include <functional>
#include <map>
#include <memory>
#include <string>

namespace sr::cache {

struct Registration {
    std::string name, url;
    std::int64_t ttl = 300;
    Value attrs = Value::object();  // e.g. {"qos": "gold"}
    std::int64_t last_put = 0;      // wall seconds; 0 = not yet in the DHT
    std::string last_error;
};

class Services {
  public:
    Services(Cache& cache, Loop& loop, const std::string& runtime_dir);
    ~Services();

    void add(Registration r);  // replaces name+url; persists; puts now. Throws Error("invalid_params")
    // Withdraws name's instance url ("" = all of name's instances here). Returns how many.
    std::size_t withdraw(const std::string& name, const std::string& url);
    Value list() const;
    // Instances of name, nearest first: [{name, url, node, cost, ttl, attrs}], or the error.
    void resolve(const std::string& name, std::function<void(const Value& error, const Value& instances)> done);
    void proxy(std::unique_ptr<Downstream> d);

  private:
    void put(Registration& r);
    void refresh();
    void save() const;
    void load();

    Cache& cache_;
    Loop& loop_;
    rpc::Counters counters_;
    DaemonLink dht_, prox_;
    std::string file_;
    std::string secret_;
    std::string node_;
    std::map<std::pair<std::string, std::string>, Registration> regs_;
    Timer refresh_;
    std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sr::cache
