#include "event/lookup_commands.hpp"

#include "core/cli.hpp"
#include "core/exit.hpp"

#include <iostream>
#include <memory>

namespace sr::event {

void add_lookup_commands(CLI::App& app, const ClientOptions& opts, Commands& commands) {
    // publish
    {
        auto* sub = app.add_subcommand("publish", "Publish MESSAGE on TOPIC (no MESSAGE: each stdin line is one)");
        auto topic = std::make_shared<std::string>();
        auto message = std::make_shared<std::optional<std::string>>();
        auto retain = std::make_shared<bool>(false);
        sub->add_option("TOPIC", *topic, "The topic")->required();
        sub->add_option("MESSAGE", *message, "The message (default: one per line from stdin)");
        sub->add_flag("--retain", *retain, "Keep the message as the topic's current state for new subscribers");
        commands.push_back({sub, [=, &opts] {
            Output out(opts.output(), {"topic", "seq"});
            Client c(opts.socket_for("eventd"), opts.timeout_ms);
            auto publish = [&](const std::string& payload) {
                Value r = c.call("event.publish", {{"topic", *topic}, {"payload", bytes_value(payload)}, {"retain", *retain}});
                out.row(r);
            };
            if (*message) {
                publish(**message);
                return exit_ok;
            }
            std::string line;
            while (std::getline(std::cin, line)) publish(line);
            return exit_ok;
        }});
    }
    // subscribe
    {
        auto* sub = app.add_subcommand("subscribe", "Print each message published on TOPICs as it arrives");
        auto topics = std::make_shared<std::vector<std::string>>();
        auto since = std::make_shared<std::uint64_t>(0);
        auto count = std::make_shared<std::uint64_t>(0);
        sub->add_option("TOPIC", *topics, "Topics")->required();
        sub->add_option("--since", *since, "Replay from this sequence number (1 or more) out of the root's buffer")
            ->check(sr::at_least(1));
        sub->add_option("-n,--count", *count, "Exit after this many messages (default: run until interrupted)");
        commands.push_back({sub, [=, &opts] {
            Value params{{"topics", *topics}};
            if (*since) params["since"] = *since;
            Output out(opts.output(), {"topic", "seq", "payload"});
            Client c(opts.socket_for("eventd"), opts.timeout_ms);
            std::uint64_t seen = 0;
            c.stream("event.subscribe", params, [&](const std::string& method, const Value& p) {
                if (method == "event.message") {
                    out.row(p);
                    return *count == 0 || ++seen < *count;
                }
                if (method == "event.gap") {
                    // Its own line, so a reader cannot take it for a message:
                    // TSV "topic<TAB>gap<TAB>FROM-TO"; JSON {event: "gap", topic, from, to, reason}.
                    Value row = p;
                    row["event"] = "gap";
                    if (!opts.json) {
                        row["seq"] = "gap";
                        row["payload"] = std::to_string(p.value("from", std::uint64_t{0})) + "-" +
                                         std::to_string(p.value("to", std::uint64_t{0}));
                    }
                    out.row(row);
                }
                return true;
            });
            return exit_ok;
        }});
    }
}

void add_ctl_commands(CLI::App& app, const ClientOptions& opts, Commands& commands) {
    auto* event = app.add_subcommand("event", "Show sr-eventd's state");
    event->require_subcommand(1);
    {
        auto* sub = event->add_subcommand("topics", "The topics this node takes part in");
        commands.push_back({sub, [&opts] {
            Client c(opts.socket_for("eventd"), opts.timeout_ms);
            Output out(opts.output(), {"topic", "root", "children", "subscribers", "last_seq"});
            Value r = c.call("event.topics");  // kept: a range-for over r["topics"] of a temporary would dangle
            for (const auto& row : r["topics"]) out.row(row);
            return exit_ok;
        }});
    }
    {
        auto* sub = event->add_subcommand("tree", "This node's place in TOPIC's tree");
        auto topic = std::make_shared<std::string>();
        sub->add_option("TOPIC", *topic, "The topic")->required();
        commands.push_back({sub, [=, &opts] {
            Client c(opts.socket_for("eventd"), opts.timeout_ms);
            Value r = c.call("event.tree", {{"topic", *topic}});
            Output out(opts.output(), {"role", "id", "addr"});
            if (opts.json) {
                out.row(r);
                return exit_ok;
            }
            // One line per node: self, parent, then each child.
            out.row({{"role", r["root"].get<bool>() ? "root" : (r["member"].get<bool>() ? "self" : "outside")},
                     {"id", r["self"]["id"]},
                     {"addr", r["self"]["addr"]}});
            if (r["parent"].is_object()) out.row({{"role", "parent"}, {"id", r["parent"]["id"]}, {"addr", r["parent"]["addr"]}});
            for (const auto& ch : r["children"]) out.row({{"role", "child"}, {"id", ch["id"]}, {"addr", ch["addr"]}});
            return exit_ok;
        }});
    }
    {
        auto* sub = event->add_subcommand("stats", "Counters of sr-eventd");
        commands.push_back({sub, [&opts] {
            Client c(opts.socket_for("eventd"), opts.timeout_ms);
            Value r = c.call("event.stats");
            Output out(opts.output(), {"name", "value"});
            if (opts.json) {
                out.row(r);
                return exit_ok;
            }
            for (auto it = r.begin(); it != r.end(); ++it) out.row({{"name", it.key()}, {"value", it.value()}});
            return exit_ok;
        }});
    }
}

}  // namespace sr::event
