#include "event/scribe_wire.hpp"

#include "core/codec.hpp"
#include "core/error.hpp"
#include "core/value.hpp"

#include <limits>

namespace sr::event::wire {

namespace {

using namespace sr::codec;

enum Type : std::uint8_t {
    t_join = 1,
    t_join_ack = 2,
    t_leave = 3,
    t_publish = 4,
    t_publish_ack = 5,
    t_publish_nack = 6,
    t_data = 7,
    t_heartbeat = 8,
    t_refresh = 9,
    t_reject = 10,
    t_fetch = 11,
    t_fetch_reply = 12,
    t_root_sync = 13,
    t_root_sync_ack = 14,
};

// ---- packing ---------------------------------------------------------------

void pack_node(Packer& pk, const NodeHandle& n) {
    pk.pack_array(2);
    pack_id(pk, n.id);
    pack_str(pk, n.addr);
}
void pack_bool(Packer& pk, bool b) { b ? pk.pack_true() : pk.pack_false(); }
void pack_item(Packer& pk, const Item& i) {
    pk.pack_array(3);
    pk.pack_uint64(i.seq);
    pk.pack_uint64(static_cast<std::uint64_t>(i.time_us));
    pack_bin(pk, i.payload);
}
void pack_entry(Packer& pk, const SyncEntry& e) {
    pk.pack_array(5);
    pk.pack_uint64(e.seq);
    pk.pack_uint64(static_cast<std::uint64_t>(e.time_us));
    pack_id(pk, e.publisher);
    pk.pack_uint64(e.token);
    pack_bin(pk, e.payload);
}
void pack_last(Packer& pk, const std::optional<std::uint64_t>& last) {
    if (last) pk.pack_uint64(*last);
    else pk.pack_nil();
}
void pack_topics(Packer& pk, const std::vector<std::string>& topics) {
    pk.pack_array(static_cast<std::uint32_t>(topics.size()));
    for (const auto& t : topics) pack_str(pk, t);
}

struct Encoder {
    Packer& pk;
    void operator()(const Join& m) {
        pk.pack_array(3);
        pk.pack_uint8(t_join);
        pack_str(pk, m.topic);
        pack_node(pk, m.child);
    }
    void operator()(const JoinAck& m) {
        pk.pack_array(3);
        pk.pack_uint8(t_join_ack);
        pack_str(pk, m.topic);
        pack_last(pk, m.last_seq);
    }
    void operator()(const Leave& m) {
        pk.pack_array(2);
        pk.pack_uint8(t_leave);
        pack_str(pk, m.topic);
    }
    void operator()(const Publish& m) {
        pk.pack_array(6);
        pk.pack_uint8(t_publish);
        pack_str(pk, m.topic);
        pack_node(pk, m.publisher);
        pk.pack_uint64(m.token);
        pack_bin(pk, m.payload);
        pack_bool(pk, m.retain);
    }
    void operator()(const PublishAck& m) {
        pk.pack_array(4);
        pk.pack_uint8(t_publish_ack);
        pack_str(pk, m.topic);
        pk.pack_uint64(m.token);
        pk.pack_uint64(m.seq);
    }
    void operator()(const PublishNack& m) {
        pk.pack_array(5);
        pk.pack_uint8(t_publish_nack);
        pack_str(pk, m.topic);
        pk.pack_uint64(m.token);
        pack_str(pk, m.code);
        pack_str(pk, m.message);
    }
    void operator()(const Data& m) {
        pk.pack_array(3);
        pk.pack_uint8(t_data);
        pack_str(pk, m.topic);
        pack_item(pk, m.item);
    }
    void operator()(const Heartbeat& m) {
        pk.pack_array(2);
        pk.pack_uint8(t_heartbeat);
        pk.pack_array(static_cast<std::uint32_t>(m.topics.size()));
        for (const auto& [topic, seq] : m.topics) {
            pk.pack_array(2);
            pack_str(pk, topic);
            pack_last(pk, seq);
        }
    }
    void operator()(const Refresh& m) {
        pk.pack_array(2);
        pk.pack_uint8(t_refresh);
        pack_topics(pk, m.topics);
    }
    void operator()(const Reject& m) {
        pk.pack_array(2);
        pk.pack_uint8(t_reject);
        pack_topics(pk, m.topics);
    }
    void operator()(const Fetch& m) {
        pk.pack_array(7);
        pk.pack_uint8(t_fetch);
        pack_str(pk, m.topic);
        pack_node(pk, m.requester);
        pk.pack_uint64(m.id);
        pk.pack_uint64(m.from);
        pk.pack_uint64(m.to);
        pack_bool(pk, m.retained);
    }
    void operator()(const FetchReply& m) {
        pk.pack_array(7);
        pk.pack_uint8(t_fetch_reply);
        pack_str(pk, m.topic);
        pk.pack_uint64(m.id);
        pk.pack_uint64(m.last_seq);
        if (m.gap) {
            pk.pack_array(2);
            pk.pack_uint64(m.gap->first);
            pk.pack_uint64(m.gap->second);
        } else {
            pk.pack_nil();
        }
        pk.pack_array(static_cast<std::uint32_t>(m.items.size()));
        for (const auto& i : m.items) pack_item(pk, i);
        if (m.retained) pack_item(pk, *m.retained);
        else pk.pack_nil();
    }
    void operator()(const RootSync& m) {
        pk.pack_array(5);
        pk.pack_uint8(t_root_sync);
        pack_str(pk, m.topic);
        pk.pack_uint64(m.last_seq);
        pk.pack_array(static_cast<std::uint32_t>(m.entries.size()));
        for (const auto& e : m.entries) pack_entry(pk, e);
        if (m.retained) pack_entry(pk, *m.retained);
        else pk.pack_nil();
    }
    void operator()(const RootSyncAck& m) {
        pk.pack_array(4);
        pk.pack_uint8(t_root_sync_ack);
        pack_str(pk, m.topic);
        pk.pack_uint64(m.first);
        pk.pack_uint64(m.last);
    }
};

// ---- unpacking -------------------------------------------------------------

const msgpack::object_array& list_of(const msgpack::object& o, std::size_t max, const char* what) {
    if (o.type != msgpack::type::ARRAY || o.via.array.size > max) throw DecodeError(std::string(what) + ": bad list");
    return o.via.array;
}
std::int64_t time_of(const msgpack::object& o) {
    auto t = uint_of(o, "time");
    if (t > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throw DecodeError("time: out of range");
    return static_cast<std::int64_t>(t);
}
std::string topic_of(const msgpack::object& o) {
    auto t = str_of(o, "topic", kMaxTopicName);
    if (t.empty()) throw DecodeError("topic: empty");
    return t;
}
std::string payload_of(const msgpack::object& o) {
    if (o.type != msgpack::type::BIN || o.via.bin.size > kMaxPayload)
        throw DecodeError("payload: not bytes or over " + std::to_string(kMaxPayload) + " bytes");
    return std::string(o.via.bin.ptr, o.via.bin.size);
}
NodeHandle node_of(const msgpack::object& o) {
    const auto* e = array_of(o, 2, "node");
    NodeHandle n{id_of(e[0], "node id"), str_of(e[1], "node address", kMaxAddr)};
    if (n.addr.empty()) throw DecodeError("node: empty address");
    return n;
}
// seq 0 means "none" everywhere, so a message never carries it.
std::uint64_t seq_of(const msgpack::object& o) {
    auto s = uint_of(o, "seq");
    if (s == 0) throw DecodeError("seq: zero");
    return s;
}
Item item_of(const msgpack::object& o) {
    const auto* e = array_of(o, 3, "item");
    return Item{seq_of(e[0]), time_of(e[1]), payload_of(e[2])};
}
SyncEntry entry_of(const msgpack::object& o) {
    const auto* e = array_of(o, 5, "sync entry");
    return SyncEntry{seq_of(e[0]), time_of(e[1]), id_of(e[2], "publisher"), uint_of(e[3], "token"), payload_of(e[4])};
}
std::vector<std::string> topics_of(const msgpack::object& o) {
    const auto& a = list_of(o, kMaxTopicsPerMessage, "topics");
    std::vector<std::string> out;
    out.reserve(a.size);
    for (std::uint32_t i = 0; i < a.size; ++i) out.push_back(topic_of(a.ptr[i]));
    return out;
}
std::optional<std::uint64_t> last_of(const msgpack::object& o) {
    if (o.type == msgpack::type::NIL) return std::nullopt;
    return uint_of(o, "last seq");
}
std::pair<std::uint64_t, std::uint64_t> range_of(const msgpack::object& o, const char* what) {
    const auto* e = array_of(o, 2, what);
    auto from = uint_of(e[0], what), to = uint_of(e[1], what);
    if (from == 0 || from > to) throw DecodeError(std::string(what) + ": bad range");
    return {from, to};
}

ScribeMessage decode(const msgpack::object& o) {
    if (o.type != msgpack::type::ARRAY || o.via.array.size < 1) throw DecodeError("scribe message: not an array");
    switch (uint_of(o.via.array.ptr[0], "scribe message type")) {
    case t_join: {
        const auto* e = array_of(o, 3, "join");
        return Join{topic_of(e[1]), node_of(e[2])};
    }
    case t_join_ack: {
        const auto* e = array_of(o, 3, "join ack");
        return JoinAck{topic_of(e[1]), last_of(e[2])};
    }
    case t_leave: {
        const auto* e = array_of(o, 2, "leave");
        return Leave{topic_of(e[1])};
    }
    case t_publish: {
        const auto* e = array_of(o, 6, "publish");
        return Publish{topic_of(e[1]), node_of(e[2]), uint_of(e[3], "token"), payload_of(e[4]),
                       bool_of(e[5], "retain")};
    }
    case t_publish_ack: {
        const auto* e = array_of(o, 4, "publish ack");
        return PublishAck{topic_of(e[1]), uint_of(e[2], "token"), seq_of(e[3])};
    }
    case t_publish_nack: {
        const auto* e = array_of(o, 5, "publish nack");
        auto code = str_of(e[3], "code", kMaxCode);
        if (code.empty()) throw DecodeError("publish nack: empty code");
        return PublishNack{topic_of(e[1]), uint_of(e[2], "token"), std::move(code), str_of(e[4], "message", kMaxText)};
    }
    case t_data: {
        const auto* e = array_of(o, 3, "data");
        return Data{topic_of(e[1]), item_of(e[2])};
    }
    case t_heartbeat: {
        const auto* e = array_of(o, 2, "heartbeat");
        const auto& a = list_of(e[1], kMaxTopicsPerMessage, "heartbeat topics");
        Heartbeat m;
        m.topics.reserve(a.size);
        for (std::uint32_t i = 0; i < a.size; ++i) {
            const auto* t = array_of(a.ptr[i], 2, "heartbeat topic");
            m.topics.emplace_back(topic_of(t[0]), last_of(t[1]));
        }
        return m;
    }
    case t_refresh: {
        const auto* e = array_of(o, 2, "refresh");
        return Refresh{topics_of(e[1])};
    }
    case t_reject: {
        const auto* e = array_of(o, 2, "reject");
        return Reject{topics_of(e[1])};
    }
    case t_fetch: {
        const auto* e = array_of(o, 7, "fetch");
        Fetch m{topic_of(e[1]), node_of(e[2]), uint_of(e[3], "fetch id"), uint_of(e[4], "from"), uint_of(e[5], "to"),
                bool_of(e[6], "retained")};
        if (m.from > m.to) throw DecodeError("fetch: from after to");
        return m;
    }
    case t_fetch_reply: {
        const auto* e = array_of(o, 7, "fetch reply");
        FetchReply m;
        m.topic = topic_of(e[1]);
        m.id = uint_of(e[2], "fetch id");
        m.last_seq = uint_of(e[3], "last seq");
        if (e[4].type != msgpack::type::NIL) m.gap = range_of(e[4], "gap");
        const auto& a = list_of(e[5], kMaxMessagesPerBatch, "fetch reply items");
        for (std::uint32_t i = 0; i < a.size; ++i) {
            m.items.push_back(item_of(a.ptr[i]));
            if (i > 0 && m.items[i].seq != m.items[i - 1].seq + 1) throw DecodeError("fetch reply: items not contiguous");
        }
        if (m.gap && !m.items.empty() && m.items.front().seq <= m.gap->second)
            throw DecodeError("fetch reply: items overlap the gap");
        if (e[6].type != msgpack::type::NIL) m.retained = item_of(e[6]);
        return m;
    }
    case t_root_sync: {
        const auto* e = array_of(o, 5, "root sync");
        RootSync m;
        m.topic = topic_of(e[1]);
        m.last_seq = uint_of(e[2], "last seq");
        const auto& a = list_of(e[3], kMaxMessagesPerBatch, "root sync entries");
        for (std::uint32_t i = 0; i < a.size; ++i) {
            m.entries.push_back(entry_of(a.ptr[i]));
            if (m.entries.back().seq > m.last_seq) throw DecodeError("root sync: entry after the last seq");
            if (i > 0 && m.entries[i].seq <= m.entries[i - 1].seq) throw DecodeError("root sync: entries out of order");
        }
        if (e[4].type != msgpack::type::NIL) {
            m.retained = entry_of(e[4]);
            if (m.retained->seq > m.last_seq) throw DecodeError("root sync: retained after the last seq");
        }
        return m;
    }
    case t_root_sync_ack: {
        const auto* e = array_of(o, 4, "root sync ack");
        RootSyncAck m{topic_of(e[1]), uint_of(e[2], "first"), uint_of(e[3], "last")};
        if (m.first > m.last || (m.first == 0) != (m.last == 0)) throw DecodeError("root sync ack: bad range");
        return m;
    }
    default: throw DecodeError("scribe message: unknown type");
    }
}

}  // namespace

std::string encode(const ScribeMessage& m) {
    msgpack::sbuffer buf;
    Packer pk(buf);
    std::visit(Encoder{pk}, m);
    return std::string(buf.data(), buf.size());
}

ScribeMessage decode(std::string_view bytes) {
    try {
        std::size_t off = 0;
        // Arrays: a batch of messages or topics, plus one per item; strings
        // and bins: a topic name or a payload; depth: message, list, item, node.
        msgpack::object_handle oh =
            msgpack::unpack(bytes.data(), bytes.size(), off, nullptr, nullptr,
                            msgpack::unpack_limit(kMaxMessagesPerBatch + 8, 0, kMaxText, kMaxPayload, 0, 5));
        if (off != bytes.size()) throw DecodeError("scribe message: trailing bytes");
        return decode(oh.get());
    } catch (const DecodeError&) {
        throw;
    } catch (const std::exception& e) {
        throw DecodeError(std::string("scribe message: ") + e.what());
    }
}

}  // namespace sr::event::wire
