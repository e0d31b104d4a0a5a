#include "cache/methods.hpp"

#include "cache/evhttp_util.hpp"
#include "cache/services.hpp"
#include "core/error.hpp"

#include <algorithm>

namespace sr::cache {

namespace {

using rpc::Type;

// cache.list's bounds: objects in one answer, and the bytes of their URLs
// (well inside the control socket's 4 MiB frame).
constexpr std::uint64_t kListMax = 10'000;
constexpr std::size_t kListBytes = 2 << 20;

Value object_value(const ObjectInfo& o, std::int64_t now) {
    return Value{{"url", o.url},       {"variant", o.variant}, {"size", o.body_size},
                 {"stored", o.stored}, {"idle", now - o.last_access}};
}

Value headers_value(const Headers& h) {
    Value out = Value::array();
    for (const auto& [name, value] : h) out.push_back(Value::array({name, value}));
    return out;
}

Value stats_value(const Cache& c) {
    const CacheStats& s = c.stats();
    StoreStats st = const_cast<Cache&>(c).store().stats();
    return Value{{"requests", s.requests},
                 {"client_requests", s.requests - s.peer_requests - s.service_requests},
                 {"peer_requests", s.peer_requests},
                 {"hits", s.hits},
                 {"misses", s.misses},
                 {"stale", s.stale},
                 {"revalidated", s.revalidated},
                 {"collapsed", s.collapsed},
                 {"passes", s.passes},
                 {"peer_fills", s.peer_fills},
                 {"peer_served", s.peer_served},
                 {"origin_fetches", s.origin_fetches},
                 {"upstream_errors", s.upstream_errors},
                 {"bytes_out", s.bytes_out},
                 {"bytes_in", s.bytes_in},
                 {"purged", s.purged},
                 {"evictions", st.evictions},
                 {"service_requests", s.service_requests},
                 {"service_failovers", s.service_failovers},
                 {"bad_requests", s.bad_requests},
                 {"peer_rejected", s.peer_rejected},
                 {"records_rejected", s.records_rejected},
                 {"peer_bodies_rejected", s.peer_bodies_rejected},
                 {"bad_framing", s.bad_framing},
                 {"bad_targets", s.bad_targets},
                 {"connections_open", c.connections() ? c.connections()->open() : 0},
                 {"connections_refused", c.connections() ? c.connections()->stats().refused : 0},
                 {"connections_timed_out", c.connections() ? c.connections()->stats().timed_out : 0},
                 {"connections_checked", c.connections() ? c.connections()->stats().checked : 0},
                 {"upstream_pauses", s.upstream_pauses},
                 {"replicas_published", c.replicas_published()},
                 {"replicas_withdrawn", c.replicas_withdrawn()},
                 {"objects", st.objects},
                 {"bytes", st.bytes},
                 {"max_bytes", c.config().store.max_bytes},
                 {"index_rebuilt", st.rebuilt}};
}

}  // namespace

void add_methods(rpc::Registry& reg, Cache& cache) {
    reg.stats_source([&cache] {
        Value v = Value::object();
        Value stats = stats_value(cache);  // named: items() of a temporary would dangle in the loop
        for (auto& [k, x] : stats.items()) v["cache." + k] = x;
        return v;
    });
    reg.add_sync("cache.stats", "Counters of the cache: hits, misses, collapsed, bytes, evictions, peer fills, …", {},
                 false, [&cache](const Value&, rpc::Call&) { return stats_value(cache); });
    reg.add_sync("cache.list", "Stored objects whose URL starts with prefix, in URL order.",
                 {{"prefix", Type::str, false, "URL prefix (default: all)"},
                  {"limit", Type::uint, false, "at most this many (default 1000, at most 10000)"},
                  {"after", Type::str, false, "only URLs after this one: the next page (the last answer's next)"}},
                 false, [&cache](const Value& p, rpc::Call&) {
                     std::int64_t now = wall_seconds();
                     // One answer is one frame, built in memory: bounded in count and in URL bytes.
                     std::size_t limit = std::min<std::uint64_t>(p.value("limit", std::uint64_t{1000}), kListMax);
                     auto found = cache.store().list(p.value("prefix", ""), limit + 1, p.value("after", ""));
                     bool more = found.size() > limit;
                     if (more) {
                         // A page ends between URLs, so that "after" loses no variant of one.
                         std::string cut = found[limit].url;
                         found.resize(limit);
                         while (found.size() > 1 && found.back().url == cut) found.pop_back();
                     }
                     Value out = Value::array();
                     std::size_t bytes = 0;
                     for (const auto& o : found) {
                         bytes += o.url.size() + o.variant.size() + 64;
                         if (bytes > kListBytes) {
                             more = true;
                             break;
                         }
                         out.push_back(object_value(o, now));
                     }
                     // A page cut by bytes may end inside a URL's variants: it then ends before them.
                     while (more && out.size() > 1 && out.size() < found.size() &&
                            found[out.size()].url == out.back()["url"].get<std::string>())
                         out.erase(out.size() - 1);
                     Value r{{"objects", out}, {"more", more}};
                     if (more && !out.empty()) r["next"] = out.back()["url"];
                     return r;
                 });
    reg.add_sync("cache.stat", "Everything stored for one URL: each variant's status, headers, age and freshness.",
                 {{"url", Type::str, true, "the absolute URL (http://HOST/PATH)"}}, false,
                 [&cache](const Value& p, rpc::Call&) {
                     std::string url = p["url"];
                     std::int64_t now = wall_seconds();
                     Value variants = Value::array();
                     for (const auto& o : cache.store().variants(url)) {
                         auto h = cache.store().header(o.url, o.variant);
                         if (!h) continue;
                         Freshness f = freshness_lifetime(h->response.status, h->response.headers,
                                                          h->response.response_time, cache.config().policy);
                         std::int64_t age = current_age(h->response, now);
                         Value v = object_value(o, now);
                         v["status"] = h->response.status;
                         v["age"] = age;
                         v["lifetime"] = f.lifetime;
                         v["fresh"] = age < f.lifetime;
                         v["heuristic"] = f.heuristic;
                         v["headers"] = headers_value(h->response.headers);
                         v["vary_request"] = headers_value(h->request_headers);
                         variants.push_back(v);
                     }
                     if (variants.empty()) throw Error("not_found", "not in the cache: " + url);
                     return Value{{"url", url}, {"variants", variants}};
                 });
    reg.add_sync("cache.purge", "Drops a URL (every variant), or every URL under a prefix, and their replica pointers.",
                 {{"url", Type::str, false, "an absolute URL"}, {"prefix", Type::str, false, "a URL prefix"}}, true,
                 [&cache](const Value& p, rpc::Call&) {
                     bool has_url = p.contains("url"), has_prefix = p.contains("prefix");
                     if (has_url == has_prefix) throw Error("invalid_params", "give exactly one of url and prefix");
                     auto gone = has_url ? cache.purge(p["url"], false) : cache.purge(p["prefix"], true);
                     std::uint64_t bytes = 0;
                     for (const auto& o : gone) bytes += o.body_size;
                     return Value{{"purged", gone.size()}, {"bytes", bytes}};
                 });
    reg.add_sync("service.register", "Registers an instance of a service here; published in the DHT while it lives.",
                 {{"name", Type::str, true, "the service name"},
                  {"url", Type::str, true, "the instance's base URL (http://ADDR:PORT[/PATH])"},
                  {"ttl", Type::uint, false, "seconds a descriptor lives in the DHT (default 300)"},
                  {"attrs", Type::map, false, "attributes, e.g. {\"qos\": \"gold\"}"}},
                 true, [&cache](const Value& p, rpc::Call&) {
                     Registration r;
                     r.name = p["name"];
                     r.url = p["url"];
                     r.ttl = p.value("ttl", 300);
                     if (p.contains("attrs")) r.attrs = p["attrs"];
                     // A QoS class is one this cache marks, as --route qos= takes.
                     if (r.attrs.contains("qos")) {
                         const auto& classes = cache.config().qos_classes;
                         const Value& q = r.attrs["qos"];
                         if (!q.is_string() || !classes.count(q.get<std::string>())) {
                             std::string known;
                             for (const auto& [name, dscp] : classes) known += (known.empty() ? "" : ", ") + name;
                             throw Error("invalid_params", "attrs.qos: unknown QoS class " + q.dump() + " (" + known +
                                                               "; define others with --qos-class)");
                         }
                     }
                     cache.services().add(r);
                     return Value{{"name", r.name}, {"url", r.url}, {"ttl", r.ttl}};
                 });
    reg.add_sync("service.withdraw", "Withdraws this node's instance(s) of a service.",
                 {{"name", Type::str, true, "the service name"},
                  {"url", Type::str, false, "one instance (default: all of the name's instances here)"}},
                 true, [&cache](const Value& p, rpc::Call&) {
                     return Value{{"withdrawn", cache.services().withdraw(p["name"], p.value("url", ""))}};
                 });
    reg.add_sync("service.list", "The registrations of this node.", {}, false,
                 [&cache](const Value&, rpc::Call&) { return Value{{"services", cache.services().list()}}; });
    reg.add({"service.resolve",
             "The live instances of a service anywhere in the overlay, nearest first.",
             {{"name", Type::str, true, "the service name"}},
             false,
             [&cache](rpc::Call& call) {
                 std::string name = call.params()["name"];
                 cache.services().resolve(name, [call, name](const Value& err, const Value& instances) {
                     if (!err.is_null()) return call.fail(err.value("code", "unavailable"), err.value("message", ""));
                     if (instances.empty()) return call.fail("not_found", "no live instance of " + name);
                     call.reply(Value{{"name", name}, {"instances", instances}});
                 });
             }});
}

}  // namespace sr::cache
