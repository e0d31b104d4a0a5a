#include "cache/ctl_commands.hpp"

#include "core/error.hpp"
#include "core/exit.hpp"

#include <iostream>
#include <memory>

namespace sr::cache {

namespace {

std::shared_ptr<std::string> string_operand(CLI::App* sub, const char* name, const char* doc, bool required = true) {
    auto v = std::make_shared<std::string>();
    auto* opt = sub->add_option(name, *v, doc);
    if (required) opt->required();
    return v;
}

}  // namespace

void add_ctl_commands(CLI::App& app, const ClientOptions& opts, Commands& commands) {
    auto* cache = app.add_subcommand("cache", "Inspect and purge sr-cached's store");
    cache->require_subcommand(1);
    {
        auto* sub = cache->add_subcommand("list", "Stored objects under a URL prefix (default: all)");
        auto prefix = string_operand(sub, "PREFIX", "URL prefix, e.g. http://example.net/video/", false);
        auto limit = std::make_shared<std::uint64_t>(1000);
        auto after = std::make_shared<std::string>();
        sub->add_option("-n,--limit", *limit, "At most this many (0: every one, page after page)")->capture_default_str();
        sub->add_option("--after", *after, "Only URLs after this one (to go on from a listing's last URL)");
        commands.push_back({sub, [=, &opts] {
            Client c(opts.socket_for("cached"), opts.timeout_ms);
            Output out(opts.output(), {"url", "size", "stored", "idle", "variant"});
            // Pages of sr-cached's answers (at most 10000 objects each), each
            // going on after the last URL of the one before.
            std::uint64_t printed = 0;
            std::string from = *after;
            while (*limit == 0 || printed < *limit) {
                std::uint64_t want = *limit == 0 ? 10'000 : std::min<std::uint64_t>(*limit - printed, 10'000);
                Value params{{"prefix", *prefix}, {"limit", want}};
                if (!from.empty()) params["after"] = from;
                Value r = c.call("cache.list", params);
                for (const auto& o : r["objects"]) out.row(o);
                printed += r["objects"].size();
                if (!r.value("more", false) || !r.contains("next") || r["objects"].empty()) break;
                from = r["next"].get<std::string>();
            }
            return printed == 0 ? exit_no_result : exit_ok;
        }});
    }
    {
        auto* sub = cache->add_subcommand("stat", "What is stored for URLs: status, size, age, freshness, headers");
        auto urls = std::make_shared<std::vector<std::string>>();
        sub->add_option("URL", *urls, "Absolute URLs (default: one per line from stdin)");
        commands.push_back({sub, [=, &opts] {
            Client c(opts.socket_for("cached"), opts.timeout_ms);
            Output out(opts.output(), {"url", "status", "size", "age", "lifetime", "fresh", "variant"});
            bool missing = false;
            for_each_operand(*urls, [&](const std::string& url) {
                try {
                    Value r = c.call("cache.stat", {{"url", url}});
                    for (auto v : r["variants"]) {
                        if (!opts.json) v.erase("headers");
                        out.row(v);
                    }
                } catch (const ClientError& e) {
                    if (e.code != "not_found") throw;
                    missing = true;
                }
            });
            return missing ? exit_no_result : exit_ok;
        }});
    }
    {
        auto* sub = cache->add_subcommand("purge", "Drop URLs (every variant) and their replica pointers");
        auto urls = std::make_shared<std::vector<std::string>>();
        auto prefix = std::make_shared<bool>(false);
        sub->add_flag("-p,--prefix", *prefix, "Each operand is a URL prefix: drop everything under it");
        sub->add_option("URL", *urls, "Absolute URLs or prefixes (default: one per line from stdin)");
        commands.push_back({sub, [=, &opts] {
            Client c(opts.socket_for("cached"), opts.timeout_ms);
            Output out(opts.output(), {"url", "purged", "bytes"});
            bool none = true;
            for_each_operand(*urls, [&](const std::string& u) {
                Value r = c.call("cache.purge", {{*prefix ? "prefix" : "url", u}});
                r["url"] = u;
                none = none && r["purged"] == 0;
                out.row(r);
            });
            return none ? exit_no_result : exit_ok;
        }});
    }
    {
        auto* sub = cache->add_subcommand("stats", "Hits, misses, collapsed fills, bytes, evictions, peer fills");
        commands.push_back({sub, [&opts] {
            Client c(opts.socket_for("cached"), opts.timeout_ms);
            Value r = c.call("cache.stats");
            if (opts.json) {
                Output(opts.output(), {}).row(r);
                return exit_ok;
            }
            Output out(opts.output(), {"counter", "value"});
            for (auto& [k, v] : r.items()) out.row({{"counter", k}, {"value", v}});
            return exit_ok;
        }});
    }

    auto* service = app.add_subcommand("service", "Register, withdraw and list this node's service instances");
    service->require_subcommand(1);
    {
        auto* sub = service->add_subcommand("register", "Publish an instance of NAME at URL while sr-cached runs");
        auto name = string_operand(sub, "NAME", "The service name");
        auto url = string_operand(sub, "URL", "The instance's base URL, http://ADDR:PORT[/PATH]");
        auto ttl = std::make_shared<unsigned>(300);
        auto qos = std::make_shared<std::string>();
        auto attrs = std::make_shared<std::vector<std::string>>();
        sub->add_option("-t,--ttl", *ttl, "Seconds a descriptor lives in the DHT (refreshed at a third)")
            ->capture_default_str();
        sub->add_option("-q,--qos", *qos, "QoS class of the flows to this service (gold, silver, bronze, …)");
        sub->add_option("-a,--attr", *attrs, "KEY=VALUE attribute (repeatable)");
        commands.push_back({sub, [=, &opts] {
            Value a = Value::object();
            for (const auto& kv : *attrs) {
                auto eq = kv.find('=');
                if (eq == std::string::npos || eq == 0) throw Error("invalid_params", "--attr " + kv + ": expected KEY=VALUE");
                a[kv.substr(0, eq)] = kv.substr(eq + 1);
            }
            if (!qos->empty()) a["qos"] = *qos;
            Client c(opts.socket_for("cached"), opts.timeout_ms);
            Value r = c.call("service.register", {{"name", *name}, {"url", *url}, {"ttl", *ttl}, {"attrs", a}});
            Output(opts.output(), {"name", "url", "ttl"}).row(r);
            return exit_ok;
        }});
    }
    {
        auto* sub = service->add_subcommand("withdraw", "Withdraw this node's instance(s) of NAME");
        auto name = string_operand(sub, "NAME", "The service name");
        auto url = string_operand(sub, "URL", "One instance (default: all of NAME's instances here)", false);
        commands.push_back({sub, [=, &opts] {
            Client c(opts.socket_for("cached"), opts.timeout_ms);
            Value p{{"name", *name}};
            if (!url->empty()) p["url"] = *url;
            Value r = c.call("service.withdraw", p);
            r["name"] = *name;
            Output(opts.output(), {"name", "withdrawn"}).row(r);
            return exit_ok;
        }});
    }
    {
        auto* sub = service->add_subcommand("list", "This node's registrations and whether they are published");
        commands.push_back({sub, [&opts] {
            Client c(opts.socket_for("cached"), opts.timeout_ms);
            Value r = c.call("service.list");
            Output out(opts.output(), {"name", "url", "ttl", "published", "refreshed_ago", "error"});
            for (const auto& s : r["services"]) out.row(s);
            return r["services"].empty() ? exit_no_result : exit_ok;
        }});
    }
}

void add_lookup_commands(CLI::App& app, const ClientOptions& opts, Commands& commands) {
    auto* sub = app.add_subcommand("resolve", "Print a service's live instances, nearest first (exit 1: none)");
    auto names = std::make_shared<std::vector<std::string>>();
    auto top = std::make_shared<std::size_t>(0);
    sub->add_option("NAME", *names, "Service names (default: one per line from stdin)");
    sub->add_option("-n,--top", *top, "Print only the N nearest of each");
    commands.push_back({sub, [=, &opts] {
        Client c(opts.socket_for("cached"), opts.timeout_ms);
        Output out(opts.output(), {"name", "url", "cost", "ttl", "node"});
        bool missing = false;
        for_each_operand(*names, [&](const std::string& name) {
            try {
                Value r = c.call("service.resolve", {{"name", name}});
                std::size_t n = 0;
                for (const auto& inst : r["instances"]) {
                    if (*top && n++ >= *top) break;
                    out.row(inst);
                }
            } catch (const ClientError& e) {
                if (e.code != "not_found") throw;
                missing = true;
            }
        });
        return missing ? exit_no_result : exit_ok;
    }});
}

}  // namespace sr::cache
