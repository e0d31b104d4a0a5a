#include "event/methods.hpp"

#include "core/error.hpp"

namespace sr::event {

namespace {

using rpc::Type;

std::vector<std::string> topic_list(const Value& v) {
    std::vector<std::string> out;
    if (v.is_string()) return {v.get<std::string>()};
    for (const auto& t : v) {
        if (!t.is_string()) throw Error("invalid_params", "topics: expected topic names");
        out.push_back(t.get<std::string>());
    }
    if (out.empty()) throw Error("invalid_params", "topics: give at least one topic");
    return out;
}

}  // namespace

void add_methods(rpc::Registry& reg, EventService& service) {
    reg.stats_source([&service] {
        Value stats = service.stats();
        Value v = Value::object();
        for (auto it = stats.begin(); it != stats.end(); ++it)
            v[it.key().rfind("event.", 0) == 0 ? it.key() : "event." + it.key()] = it.value();
        return v;
    });

    reg.add({"event.publish",
             "Publishes a message on a topic; the answer {topic, seq} comes once the topic's root has numbered it "
             "and a replica holds it.",
             {{"topic", Type::str, true, "the topic's name"},
              {"payload", Type::bytes, true, "the message (at most --max-payload bytes)"},
              {"retain", Type::boolean, false, "keep it as the topic's current state for new subscribers"}},
             true,
             [&service](rpc::Call& call) {
                 const Value& p = call.params();
                 std::string topic = p["topic"].get<std::string>();
                 service.publish(topic, value_bytes(p["payload"]), p.value("retain", false),
                                 [call, topic](const std::string& code, const std::string& message, std::uint64_t seq) {
                                     if (code.empty()) call.reply({{"topic", topic}, {"seq", seq}});
                                     else call.fail(code, message);
                                 });
             }});

    reg.add({"event.subscribe",
             "Subscribes this connection to topics: each message arrives as an event.message notification {topic, "
             "seq, payload, time} in sequence order, each loss as event.gap {topic, from, to, reason}.",
             {{"topics", Type::any, true, "a topic name or an array of them"},
              {"since", Type::uint, false, "replay from this sequence number (1 or more) out of the root's buffer"}},
             false,
             [&service](rpc::Call& call) {
                 const Value& p = call.params();
                 auto topics = topic_list(p["topics"]);
                 std::optional<std::uint64_t> since;
                 if (p.contains("since")) {
                     since = p["since"].get<std::uint64_t>();
                     if (*since == 0) throw Error("invalid_params", "since: sequence numbers start at 1");
                 }
                 service.subscribe_connection(topics, since, call.connection_ptr());
                 call.reply({{"subscribed", topics}});
             }});

    reg.add_sync("event.unsubscribe", "Ends this connection's subscription to topics.",
                 {{"topics", Type::any, true, "a topic name or an array of them"}}, false,
                 [&service](const Value& p, rpc::Call& call) {
                     return Value{{"unsubscribed", service.unsubscribe_connection(topic_list(p["topics"]), call.connection())}};
                 });

    reg.add_sync("event.topics",
                 "The topics this node takes part in: root or not, children, local subscribers, last seq.", {}, false,
                 [&service](const Value&, rpc::Call&) { return Value{{"topics", service.topics()}}; });

    reg.add_sync("event.tree", "This node's place in a topic's tree: parent, children, root or not.",
                 {{"topic", Type::str, true, "the topic's name"}}, false,
                 [&service](const Value& p, rpc::Call&) { return service.tree(p["topic"].get<std::string>()); });

    reg.add_sync("event.stats", "Counters of the event service.", {}, false,
                 [&service](const Value&, rpc::Call&) { return service.stats(); });
}

}  // namespace sr::event
