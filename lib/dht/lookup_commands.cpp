#include "dht/lookup_commands.hpp"

#include "core/cli.hpp"
#include "core/exit.hpp"
#include "core/id.hpp"

#include <cstdio>
#include <memory>

namespace sr::dht {

namespace {

struct KeyArgs {
    std::vector<std::string> names;
    std::string key_hex;
    std::string ns = "kv";

    void add(CLI::App* sub, const char* what) {
        sub->add_option("NAME", names, what);
        sub->add_option("--key", key_hex, "Use this 128-bit key (32 hex digits) instead of a name");
        sub->add_option("--ns", ns, "Namespace the name is hashed in")->capture_default_str();
    }
    // Runs fn for each key: from --key, the names given, or stdin lines.
    void each(const std::function<void(const std::string& label, const Id& key)>& fn) const {
        if (!key_hex.empty()) {
            auto id = Id::from_hex(key_hex);
            if (!id) throw ClientError(exit_usage, "", "--key must be 32 hex digits");
            return fn(key_hex, *id);
        }
        for_each_operand(names, [&](const std::string& name) { fn(name, Id::hash(ns, name)); });
    }
    bool from_stdin() const { return key_hex.empty() && names.empty(); }
};

Value key_param(const Id& key) { return key.hex(); }

// Every value under key, following next_cursor.
// Every value under key, following next_cursor (a key holds at most a few
// thousand values: more pages than that is a misbehaving root).
Value get_all(Client& c, const Id& key) {
    Value values = Value::array();
    std::string cursor;
    for (int page = 0; page < 64; ++page) {
        Value r = c.call("dht.get", {{"key", key_param(key)}, {"cursor", cursor}, {"limit", 1024}});
        Value page_values = r.value("values", Value::array());
        if (!page_values.is_array()) throw ClientError(exit_protocol, "protocol", "dht.get: values is not a list");
        for (auto& v : page_values)
            if (v.is_object()) values.push_back(std::move(v));
        cursor = r.value("next_cursor", "");
        if (cursor.empty()) return values;
    }
    throw ClientError(exit_protocol, "protocol", "dht.get: the root keeps returning pages");
}

}  // namespace

void add_lookup_commands(CLI::App& app, const ClientOptions& opts, Commands& commands) {
    // put
    {
        auto* sub = app.add_subcommand("put", "Store a value under NAME (value from stdin when not given)");
        auto name = std::make_shared<std::string>();
        auto value = std::make_shared<std::string>();
        auto key_hex = std::make_shared<std::string>();
        auto ns = std::make_shared<std::string>("kv");
        auto ttl = std::make_shared<std::uint64_t>(3600);
        auto secret = std::make_shared<std::string>();
        auto vid = std::make_shared<std::uint64_t>(0);
        sub->add_option("NAME", *name, "The name to store under");
        sub->add_option("VALUE", *value, "The value (default: all of stdin)");
        sub->add_option("--key", *key_hex, "Use this 128-bit key (32 hex digits) instead of a name");
        sub->add_option("--ns", *ns, "Namespace the name is hashed in")->capture_default_str();
        sub->add_option("-t,--ttl", *ttl, "Seconds to live")->capture_default_str()->check(sr::at_least(1));
        sub->add_option("-s,--secret", *secret, "Secret that remove will require");
        auto* vid_opt = sub->add_option("--vid", *vid, "Value id: replaces this node's earlier value with that id");
        commands.push_back({sub, [=, &opts] {
            Value params{{"ttl", *ttl}, {"ns", *ns}};
            std::string label = *name;
            if (!key_hex->empty()) {
                // With --key the first operand, if any, is the value.
                if (!Id::from_hex(*key_hex)) throw ClientError(exit_usage, "", "--key must be 32 hex digits");
                params["key"] = *key_hex;
                label = *key_hex;
                if (!name->empty()) *value = *name;
            } else if (name->empty()) {
                throw ClientError(exit_usage, "", "put needs a NAME or --key");
            } else {
                params["name"] = *name;
            }
            bool from_stdin = value->empty() && (key_hex->empty() ? sub->count("VALUE") == 0 : name->empty());
            params["value"] = bytes_value(from_stdin ? read_stdin() : *value);
            if (!secret->empty()) params["secret"] = *secret;
            if (vid_opt->count()) params["vid"] = *vid;
            Client c(opts.socket_for("dhtd"), opts.timeout_ms);
            Value r = c.call("dht.put", params);
            r["name"] = label;
            Output(opts.output(), {"name", "key", "vid", "replicas"}).row(r);
            return exit_ok;
        }});
    }
    // get
    {
        auto* sub = app.add_subcommand("get", "Print the value(s) stored under NAME");
        auto k = std::make_shared<KeyArgs>();
        auto all = std::make_shared<bool>(false);
        k->add(sub, "Names to look up (default: one per line from stdin)");
        sub->add_flag("-a,--all", *all, "Print every value, one per line, not just the newest");
        commands.push_back({sub, [=, &opts] {
            Client c(opts.socket_for("dhtd"), opts.timeout_ms);
            bool missing = false;
            bool lines = k->from_stdin() || *all || k->names.size() > 1;
            Output out(opts.output(), {"name", "value"});
            k->each([&](const std::string& label, const Id& key) {
                Value values = get_all(c, key);
                if (values.empty()) {
                    missing = true;
                    if (lines && !opts.json) out.row({{"name", label}, {"value", nullptr}});
                    return;
                }
                // Newest first: the highest sequence number.
                std::stable_sort(values.begin(), values.end(),
                                 [](const Value& a, const Value& b) {
                                     return a.value("seq", Value(0)) > b.value("seq", Value(0));
                                 });
                if (opts.json) {  // what TSV prints: the newest, or with --all every one
                    for (auto& v : values) {
                        v["name"] = label;
                        v["key"] = key.hex();
                        out.row(v);
                        if (!*all) break;
                    }
                    return;
                }
                if (!lines) {
                    std::string raw = value_bytes(values.front()["value"]);
                    std::fwrite(raw.data(), 1, raw.size(), stdout);
                    std::fflush(stdout);
                    return;
                }
                for (const auto& v : values) {
                    out.row({{"name", label}, {"value", v["value"]}});
                    if (!*all) break;
                }
            });
            return missing ? exit_no_result : exit_ok;
        }});
    }
    // remove
    {
        auto* sub = app.add_subcommand("remove", "Remove the values put under NAME with --secret");
        auto k = std::make_shared<KeyArgs>();
        auto secret = std::make_shared<std::string>();
        k->add(sub, "Names to remove (default: one per line from stdin)");
        sub->add_option("-s,--secret", *secret, "The secret given at put time")->required();
        commands.push_back({sub, [=, &opts] {
            Client c(opts.socket_for("dhtd"), opts.timeout_ms);
            bool missing = false;
            Output out(opts.output(), {"name", "removed"});
            k->each([&](const std::string& label, const Id& key) {
                try {
                    Value r = c.call("dht.remove", {{"key", key.hex()}, {"secret", *secret}});
                    r["name"] = label;
                    out.row(r);
                } catch (const ClientError& e) {
                    if (e.code != "not_found") throw;
                    missing = true;
                    out.row({{"name", label}, {"removed", 0}});
                }
            });
            return missing ? exit_no_result : exit_ok;
        }});
    }
    // route
    {
        auto* sub = app.add_subcommand("route", "Print the overlay route to NAME's root, one hop per line");
        auto k = std::make_shared<KeyArgs>();
        k->add(sub, "Names to trace (default: one per line from stdin)");
        commands.push_back({sub, [=, &opts] {
            Client c(opts.socket_for("dhtd"), opts.timeout_ms);
            Output out(opts.output(), {"name", "hop", "id", "addr"});
            k->each([&](const std::string& label, const Id& key) {
                Value r = c.call("dht.trace", {{"key", key.hex()}});
                int hop = 0;
                for (const auto& h : r["hops"])
                    out.row({{"name", label}, {"hop", hop++}, {"id", h.value("id", Value())},
                             {"addr", h.value("addr", Value())}, {"key", key.hex()}});
            });
            return exit_ok;
        }});
    }
    // listen
    {
        auto* sub = app.add_subcommand("listen", "Print NAME's values, then each new or expired one as it happens");
        auto name = std::make_shared<std::string>();
        auto key_hex = std::make_shared<std::string>();
        auto ns = std::make_shared<std::string>("kv");
        auto count = std::make_shared<int>(0);
        sub->add_option("NAME", *name, "The name to watch");
        sub->add_option("--key", *key_hex, "Use this 128-bit key (32 hex digits) instead of a name");
        sub->add_option("--ns", *ns, "Namespace the name is hashed in")->capture_default_str();
        sub->add_option("-n,--count", *count, "Exit after this many events, the current values included (default: run until interrupted)")
            ->check(sr::at_least(1));
        commands.push_back({sub, [=, &opts] {
            Value params{{"ns", *ns}};
            if (!key_hex->empty()) params["key"] = *key_hex;
            else if (!name->empty()) params["name"] = *name;
            else throw ClientError(exit_usage, "", "listen needs a NAME or --key");
            std::string label = key_hex->empty() ? *name : *key_hex;
            Output out(opts.output(), {"event", "name", "value"});
            Client c(opts.socket_for("dhtd"), opts.timeout_ms);
            int seen = 0;
            c.stream("dht.listen", params, [&](const std::string& method, const Value& p) {
                if (method != "dht.value") return true;
                Value row = p;
                row["name"] = label;
                out.row(row);
                return *count == 0 || ++seen < *count;
            }, [&](const Value& first) {
                // The current values are events too: -n 1 on a name that has a value prints it and ends.
                for (auto v : first.value("values", Value::array())) {
                    if (*count && seen >= *count) break;
                    v["event"] = "current";
                    v["name"] = label;
                    out.row(v);
                    ++seen;
                }
                return *count == 0 || seen < *count;
            });
            return exit_ok;
        }});
    }
    // key
    {
        auto* sub = app.add_subcommand("key", "Print the 128-bit key of NAME (no daemon needed)");
        auto k = std::make_shared<KeyArgs>();
        k->add(sub, "Names (default: one per line from stdin)");
        commands.push_back({sub, [=, &opts] {
            Output out(opts.output(), {"key", "name"});
            bool one = !k->from_stdin() && k->names.size() == 1;
            k->each([&](const std::string& label, const Id& key) {
                if (one && !opts.json) {
                    std::printf("%s\n", key.hex().c_str());
                    return;
                }
                out.row({{"key", key.hex()}, {"name", label}, {"ns", k->ns}});
            });
            return exit_ok;
        }});
    }
}

}  // namespace sr::dht
