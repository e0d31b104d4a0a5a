#include "dht/methods.hpp"

#include "core/error.hpp"
#include "core/loop.hpp"
#include "dht/record_wire.hpp"

#include <openssl/rand.h>

#include <algorithm>

namespace sr::dht {

using rpc::Call;
using rpc::Field;
using rpc::Type;

namespace {

const Field f_key{"key", Type::id, false, "the 128-bit key, as 32 hex digits or 16 bytes"};
const Field f_name{"name", Type::str, false, "a name, hashed into the key (instead of key)"};
const Field f_ns{"ns", Type::str, false, "namespace of name (default kv): svc, obj, topic, kv"};

std::uint64_t random_u64() {
    std::uint64_t v = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&v), sizeof v);
    return v;
}

std::string secret_of(const Value& p) {
    std::string s = value_bytes(p["secret"]);
    if (s.size() > kMaxSecretBytes)
        throw Error("too_large", "secret of " + std::to_string(s.size()) + " bytes; the limit is " +
                                     std::to_string(kMaxSecretBytes));
    return s;
}

Value peer_value(const pastry::NodeRef& n) { return Value{{"id", n.id.hex()}, {"addr", n.addr}}; }

// A node handle as the daemon hands them out ({id, addr}: app.register's
// node, app.update, dht.leafset, dht.replica_set).
pastry::NodeRef node_of(const Value& v) {
    if (!v.is_object()) throw Error("invalid_params", "node: expected a map {id, addr}");
    auto id = v.find("id");
    auto addr = v.find("addr");
    std::optional<Id> parsed;
    if (id != v.end() && id->is_string()) parsed = Id::from_hex(id->get<std::string>());
    if (!parsed) throw Error("invalid_params", "node: id must be 32 hex digits");
    if (addr == v.end() || !addr->is_string() || addr->get<std::string>().empty() ||
        addr->get<std::string>().size() > pastry::kMaxAddrLen)
        throw Error("invalid_params", "node: addr must be the node's ADDR:PORT");
    return pastry::NodeRef{*parsed, addr->get<std::string>()};
}

std::string app_payload(const Value& p) {
    std::string payload = value_bytes(p["payload"]);
    if (payload.size() > kMaxAppPayload)
        throw Error("too_large", "payload of " + std::to_string(payload.size()) + " bytes; the limit is " +
                                     std::to_string(kMaxAppPayload));
    return payload;
}

// Answers an RPC call with a root's reply.
ReplyFn answer(const Call& call, Value extra = Value::object()) {
    return [call, extra](const Reply& r) {
        if (!r.error_code.empty()) return call.fail(r.error_code, r.error_message);
        Value result = r.result.is_object() ? r.result : Value::object();
        result.update(extra);
        call.reply(result);
    };
}

}  // namespace

Id key_of(const Value& p) {
    if (auto k = p.find("key"); k != p.end() && !k->is_null()) {
        if (k->is_binary()) return Id::from_bytes(k->get_binary().data());
        return *Id::from_hex(k->get<std::string>());  // the registry checked the form
    }
    if (auto n = p.find("name"); n != p.end() && n->is_string())
        return Id::hash(p.value("ns", std::string("kv")), n->get<std::string>());
    throw Error("invalid_params", "give either key or name");
}

void add_methods(rpc::Registry& reg, Node& node) {
    reg.add({"dht.put",
             "Stores a value under a key for ttl seconds; returns the key, the value id and how many replicas hold it.",
             {f_key, f_name, f_ns,
              {"value", Type::bytes, true, "the value, at most 64 KiB"},
              {"ttl", Type::uint, false, "seconds to live (default 3600)"},
              {"type", Type::str, false, "the value's namespace/type (default: ns, else kv)"},
              {"vid", Type::uint, false, "value id: a put with the same vid replaces the writer's earlier value"},
              {"secret", Type::bytes, false, "a secret that remove must present"}},
             true,
             [&node](Call& call) {
                 const Value& p = call.params();
                 std::int64_t now = Loop::now_us();
                 Record r;
                 r.key = key_of(p);
                 r.vid = p.contains("vid") ? p["vid"].get<std::uint64_t>() : random_u64();
                 r.seq = static_cast<std::uint64_t>(Loop::wall_now_us());  // grows across restarts
                 r.type = p.value("type", p.value("ns", std::string("kv")));
                 // The daemons' namespaces, by the value's type and by the name's namespace.
                 const uid_t uid = call.connection().peer().uid;
                 node.check_may_write(r.type, uid, "put");
                 if (p.contains("name")) node.check_may_write(p.value("ns", std::string("kv")), uid, "put");
                 r.value = value_bytes(p["value"]);
                 std::uint64_t ttl = p.value("ttl", 3600u);
                 if (ttl == 0 || ttl > static_cast<std::uint64_t>(node.store().limits().max_ttl_us / 1'000'000))
                     throw Error("bad_ttl", "ttl must be 1.." +
                                                std::to_string(node.store().limits().max_ttl_us / 1'000'000) +
                                                " seconds");
                 if (r.value.size() > node.store().limits().max_value)
                     throw Error("too_large", "value of " + std::to_string(r.value.size()) + " bytes; the limit is " +
                                                  std::to_string(node.store().limits().max_value));
                 r.expires_us = now + static_cast<std::int64_t>(ttl) * 1'000'000;
                 if (p.contains("secret")) r.remove_hash = remove_hash_of(secret_of(p));
                 // writer = (this node's key, the caller's uid), signed: see writer.hpp.
                 node.writer_key().stamp(r, static_cast<std::uint32_t>(uid),
                                         static_cast<std::uint64_t>(Loop::wall_now_us() / 1'000'000) + ttl + 1);
                 Value body{{"record", bytes_value(encode_record(r, now))}};
                 node.request(r.key, Op::put, body,
                              answer(call, {{"key", r.key.hex()}, {"vid", r.vid}, {"seq", r.seq}, {"ttl", ttl}}));
             }});

    reg.add({"dht.get",
             "Every value under a key, paged: returns values and next_cursor (empty when done).",
             {f_key, f_name, f_ns,
              {"cursor", Type::str, false, "next_cursor of the previous page"},
              {"limit", Type::uint, false, "values per page (default 256, at most 1024)"}},
             false,
             [&node](Call& call) {
                 const Value& p = call.params();
                 Id key = key_of(p);
                 Value body{{"cursor", p.value("cursor", "")}, {"limit", p.value("limit", 256u)}};
                 node.request(key, Op::get, body, answer(call, {{"key", key.hex()}}));
             }});

    reg.add({"dht.remove",
             "Removes the values under a key that were put with this secret; returns how many.",
             {f_key, f_name, f_ns, {"secret", Type::bytes, true, "the secret given at put time"}},
             true,
             [&node](Call& call) {
                 const Value& p = call.params();
                 Id key = key_of(p);
                 const uid_t uid = call.connection().peer().uid;
                 if (p.contains("name")) node.check_may_write(p.value("ns", std::string("kv")), uid, "remove");
                 // The root leaves alone the values of owned namespaces this caller may not touch.
                 Value deny = Value::array();
                 for (const auto& ns : node.config().owned_ns)
                     if (!node.may_write_type(ns, uid)) deny.push_back(ns);
                 node.request(key, Op::remove, {{"secret", bytes_value(secret_of(p))}, {"deny_types", deny}},
                              answer(call, {{"key", key.hex()}}));
             }});

    reg.add({"dht.trace",
             "The overlay nodes a message to this key passes, ending at its root.",
             {f_key, f_name, f_ns},
             false,
             [&node](Call& call) {
                 Id key = key_of(call.params());
                 node.request(key, Op::trace, Value::object(), answer(call, {{"key", key.hex()}}), true);
             }});

    reg.add({"dht.listen",
             "Subscribes to a key: answers with its current values, then sends dht.value notifications "
             "{key, event: new|expired, value, ...} on this connection until it closes.",
             {f_key, f_name, f_ns},
             false,
             [&node](Call& call) {
                 Id key = key_of(call.params());
                 auto conn = call.connection_ptr();
                 std::weak_ptr<rpc::Connection> weak = conn;
                 std::uint64_t id = node.listen(
                     key, call.connection().peer().uid,
                     [weak](const Event& ev) {
                         auto c = weak.lock();
                         if (!c) return;
                         c->notify("dht.value", {{"key", ev.key.hex()},
                                                 {"event", ev.expired ? "expired" : "new"},
                                                 {"value", bytes_value(ev.record.value)},
                                                 {"type", ev.record.type},
                                                 {"seq", ev.record.seq},
                                                 {"vid", ev.record.vid},
                                                 {"writer", ev.record.writer.hex()}});
                     },
                     [&node, call, key](const Reply& r) {
                         if (!r.error_code.empty()) return call.fail(r.error_code, r.error_message);
                         // The current values, so the listener starts from a full picture.
                         node.request(key, Op::get, {{"limit", 1024}}, answer(call, {{"key", key.hex()}}));
                     });
                 conn->set_long_lived(true);
                 conn->on_close([&node, id] { node.cancel_listen(id); });
             }});

    reg.add({"dht.app_register",
             "Registers an overlay application on this connection: the daemon then calls app.forward and sends "
             "app.deliver, app.receive and app.update to it.",
             {{"app", Type::str, true, "the application's name"}},
             true,
             [&node](Call& call) {
                 node.register_app(call.params()["app"].get<std::string>(), call.connection_ptr());
                 call.reply({{"registered", true}, {"node", peer_value(node.self())}});
             }});

    reg.add({"dht.route",
             "Routes an application message to the root of a key (common API route()).",
             {f_key, f_name, f_ns,
              {"app", Type::str, true, "the application that receives it"},
              {"payload", Type::bytes, true, "the message"}},
             true,
             [&node](Call& call) {
                 const Value& p = call.params();
                 Id key = key_of(p);
                 node.route_app(p["app"].get<std::string>(), key, app_payload(p));
                 call.reply({{"key", key.hex()}, {"sent", true}});
             }});

    reg.add({"dht.send",
             "Sends an application message straight to one node (common API send to a node handle); its "
             "application gets it as app.receive.",
             {{"node", Type::map, true, "the node, {id, addr} as the daemon hands them out"},
              {"app", Type::str, true, "the application that receives it"},
              {"payload", Type::bytes, true, "the message"}},
             true,
             [&node](Call& call) {
                 const Value& p = call.params();
                 auto to = node_of(p["node"]);
                 node.send_app(p["app"].get<std::string>(), to, app_payload(p));
                 call.reply({{"sent", true}});
             }});

    reg.add_sync("dht.replica_set",
                 "The nodes this node knows to be numerically closest to a key, closest first: the key's root and "
                 "replicas as its leaf set sees them (common API replicaSet).",
                 {f_key, f_name, f_ns,
                  {"count", Type::uint, false, "how many (default: the configured replicas k; at most the leaf "
                                               "set's size plus one)"}},
                 false, [&node](const Value& p, Call&) {
                     Id key = key_of(p);
                     auto& core = node.core();
                     std::size_t most = core.leaf_set().size() + 1;
                     std::size_t count = std::clamp<std::uint64_t>(
                         p.value("count", static_cast<std::uint64_t>(node.config().replicas)), 1, most);
                     Value nodes = Value::array();
                     auto set = core.replica_set(key, static_cast<int>(count));
                     for (const auto& n : set) nodes.push_back(peer_value(n));
                     bool root = !set.empty() && set.front().id == node.self().id;
                     return Value{{"key", key.hex()},
                                  {"root", root},
                                  {"in_range", core.in_leaf_range(key)},
                                  {"nodes", nodes}};
                 });

    reg.add_sync("dht.info", "This node: id, address, uptime, sizes of its tables and store.", {}, false,
                 [&node](const Value&, Call&) { return node.info(); });

    reg.add_sync("dht.leafset", "The leaf set: the nodes with the numerically closest ids on each side.", {}, false,
                 [&node](const Value&, Call&) {
                     Value out = Value::array();
                     auto& core = node.core();
                     auto add = [&](const std::vector<pastry::NodeRef>& side, const char* name) {
                         int pos = 0;
                         for (const auto& n : side) {
                             auto rtt = core.rtt_us(n.id);
                             out.push_back({{"side", name}, {"pos", ++pos}, {"id", n.id.hex()}, {"addr", n.addr},
                                            {"rtt_us", rtt ? Value(static_cast<std::int64_t>(*rtt)) : Value()}});
                         }
                     };
                     add(core.leaf_left(), "left");
                     add(core.leaf_right(), "right");
                     return Value{{"self", peer_value(node.self())}, {"leafset", out}};
                 });

    reg.add_sync("dht.routes", "The routing table: one entry per (row, digit) that is filled.", {}, false,
                 [&node](const Value&, Call&) {
                     Value out = Value::array();
                     for (const auto& e : node.core().routing_table())
                         out.push_back({{"row", e.row}, {"digit", e.col}, {"id", e.node.id.hex()}, {"addr", e.node.addr},
                                        {"rtt_us", e.rtt_us >= 0 ? Value(e.rtt_us) : Value()}});
                     return Value{{"self", peer_value(node.self())}, {"routes", out}};
                 });

    reg.add_sync("dht.keys", "Stored keys with their number of values, bytes and the smallest remaining TTL.",
                 {{"after", Type::id, false, "start after this key (paging)"},
                  {"limit", Type::uint, false, "at most this many keys (default 1000, at most 10000)"}},
                 false, [&node](const Value& p, Call&) {
                     std::int64_t now = Loop::now_us();
                     std::optional<Id> after;
                     if (p.contains("after")) after = key_of({{"key", p["after"]}});
                     Value out = Value::array();
                     // Clamped (Store::keys): a larger page is cut, and the caller
                     // goes on after the last key it got.
                     std::size_t limit = std::clamp<std::uint64_t>(p.value("limit", std::uint64_t{1000}), 1,
                                                                   kMaxKeysPage);
                     for (const auto& k : node.store().keys(now, after, limit))
                         out.push_back({{"key", k.key.hex()},
                                        {"values", k.values},
                                        {"bytes", k.bytes},
                                        {"ttl", (k.min_ttl_us + 999'999) / 1'000'000}});
                     return Value{{"keys", out}};
                 });
}

}  // namespace sr::dht
