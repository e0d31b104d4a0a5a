#include "dht/dht_wire.hpp"

#include "core/codec.hpp"
#include "core/error.hpp"
#include "dht/record_wire.hpp"

#include <utility>

namespace sr::dht {

namespace {

using namespace sr::codec;

enum Type : std::uint8_t { t_routed = 1, t_reply = 2, t_replicate = 3, t_ack = 4, t_event = 5, t_direct = 6 };
constexpr std::size_t kMaxAddr = pastry::kMaxAddrLen;
constexpr std::size_t kMaxRecords = 4096;

void pack_peer(Packer& pk, const Peer& p) {
    pk.pack_array(2);
    pack_id(pk, p.id);
    pack_str(pk, p.addr);
}

Peer peer_of(const msgpack::object& o) {
    const auto* e = array_of(o, 2, "peer");
    Peer p{id_of(e[0], "peer id"), str_of(e[1], "peer address", kMaxAddr)};
    if (p.addr.empty()) throw DecodeError("peer: empty address");
    return p;
}

struct Encoder {
    Packer& pk;
    std::int64_t now;
    void operator()(const Routed& m) {
        pk.pack_array(10);
        pk.pack_uint8(t_routed);
        pack_id(pk, m.key);
        pack_peer(pk, m.origin);
        pk.pack_uint64(m.req);
        pk.pack_uint8(static_cast<std::uint8_t>(m.op));
        pack_str(pk, m.app);
        pk.pack_uint8(m.hops);
        m.tracing ? pk.pack_true() : pk.pack_false();
        pk.pack_array(static_cast<std::uint32_t>(m.path.size()));
        for (const auto& p : m.path) pack_peer(pk, p);
        pack_value(pk, m.body);
    }
    void operator()(const Reply& m) {
        pk.pack_array(5);
        pk.pack_uint8(t_reply);
        pk.pack_uint64(m.req);
        pack_str(pk, m.error_code);
        pack_str(pk, m.error_message);
        pack_value(pk, m.result);
    }
    void operator()(const Replicate& m) {
        pk.pack_array(4);
        pk.pack_uint8(t_replicate);
        pack_peer(pk, m.from);
        pk.pack_uint64(m.req);
        pk.pack_array(static_cast<std::uint32_t>(m.records.size()));
        for (const auto& r : m.records) pack_record(pk, r, now);
    }
    void operator()(const ReplicateAck& m) {
        pk.pack_array(4);
        pk.pack_uint8(t_ack);
        pack_peer(pk, m.from);
        pk.pack_uint64(m.req);
        pk.pack_uint32(m.stored);
    }
    void operator()(const Event& m) {
        pk.pack_array(5);
        pk.pack_uint8(t_event);
        pk.pack_uint64(m.listen_id);
        pack_id(pk, m.key);
        m.expired ? pk.pack_true() : pk.pack_false();
        pack_record(pk, m.record, now);
    }
    void operator()(const Direct& m) {
        pk.pack_array(5);
        pk.pack_uint8(t_direct);
        pack_peer(pk, m.from);
        pack_id(pk, m.to);
        pack_str(pk, m.app);
        pack_bin(pk, m.payload);
    }
};

DhtMessage decode(const msgpack::object& o, std::int64_t now) {
    if (o.type != msgpack::type::ARRAY || o.via.array.size < 1) throw DecodeError("dht message: not an array");
    switch (uint_of(o.via.array.ptr[0], "dht message type")) {
    case t_routed: {
        const auto* e = array_of(o, 10, "routed");
        Routed m;
        m.key = id_of(e[1], "key");
        m.origin = peer_of(e[2]);
        m.req = uint_of(e[3], "req");
        auto op = uint_of(e[4], "op");
        if (op < 1 || op > 6) throw DecodeError("routed: unknown op");
        m.op = static_cast<Op>(op);
        m.app = str_of(e[5], "app", 64);
        auto hops = uint_of(e[6], "hops");
        if (hops > 255) throw DecodeError("routed: hops out of range");
        m.hops = static_cast<std::uint8_t>(hops);
        m.tracing = bool_of(e[7], "tracing");
        if (e[8].type != msgpack::type::ARRAY || e[8].via.array.size > kMaxPathHops)
            throw DecodeError("routed: bad path");
        for (std::uint32_t i = 0; i < e[8].via.array.size; ++i) m.path.push_back(peer_of(e[8].via.array.ptr[i]));
        m.body = to_value(e[9]);
        return m;
    }
    case t_reply: {
        const auto* e = array_of(o, 5, "reply");
        return Reply{uint_of(e[1], "req"), str_of(e[2], "error code", 64), str_of(e[3], "error message", 4096),
                     to_value(e[4])};
    }
    case t_replicate: {
        const auto* e = array_of(o, 4, "replicate");
        Replicate m;
        m.from = peer_of(e[1]);
        m.req = uint_of(e[2], "req");
        if (e[3].type != msgpack::type::ARRAY || e[3].via.array.size > kMaxRecords)
            throw DecodeError("replicate: bad record list");
        for (std::uint32_t i = 0; i < e[3].via.array.size; ++i)
            m.records.push_back(unpack_record(e[3].via.array.ptr[i], now));
        return m;
    }
    case t_ack: {
        const auto* e = array_of(o, 4, "replicate ack");
        auto stored = uint_of(e[3], "stored");
        if (stored > kMaxRecords) throw DecodeError("replicate ack: count out of range");
        return ReplicateAck{peer_of(e[1]), uint_of(e[2], "req"), static_cast<std::uint32_t>(stored)};
    }
    case t_event: {
        const auto* e = array_of(o, 5, "event");
        Event m;
        m.listen_id = uint_of(e[1], "listen id");
        m.key = id_of(e[2], "key");
        m.expired = bool_of(e[3], "expired");
        m.record = unpack_record(e[4], now);
        return m;
    }
    case t_direct: {
        const auto* e = array_of(o, 5, "direct");
        Direct m;
        m.from = peer_of(e[1]);
        m.to = id_of(e[2], "to");
        m.app = str_of(e[3], "app", 64);
        if (e[4].type != msgpack::type::BIN || e[4].via.bin.size > kMaxAppPayload)
            throw DecodeError("direct: payload not bytes or over " + std::to_string(kMaxAppPayload) + " bytes");
        m.payload.assign(e[4].via.bin.ptr, e[4].via.bin.size);
        return m;
    }
    default: throw DecodeError("dht message: unknown type");
    }
}

}  // namespace

std::string encode_dht(const DhtMessage& m, std::int64_t now) {
    msgpack::sbuffer buf;
    buf.write(&kFamilyDht, 1);
    Packer pk(buf);
    std::visit(Encoder{pk, now}, m);
    return std::string(buf.data(), buf.size());
}

void ReplicateBatcher::add(Record r) {
    std::size_t size = encode_record(r, now_).size();
    if (!batch_.empty() && (bytes_ + size > max_bytes_ || batch_.size() >= max_records_)) flush();
    bytes_ += size;
    batch_.push_back(std::move(r));
}

void ReplicateBatcher::flush() {
    if (batch_.empty()) return;
    auto out = std::exchange(batch_, {});
    bytes_ = 0;
    emit_(std::move(out));
}

DhtMessage decode_dht(std::string_view payload, std::int64_t now) {
    try {
        std::size_t off = 0;
        msgpack::object_handle oh = msgpack::unpack(payload.data(), payload.size(), off, nullptr, nullptr,
                                                    msgpack::unpack_limit(kMaxRecords, 1024, 1 << 20, 1 << 20, 0, 16));
        if (off != payload.size()) throw DecodeError("dht message: trailing bytes");
        return decode(oh.get(), now);
    } catch (const DecodeError&) {
        throw;
    } catch (const std::exception& e) {
        throw DecodeError(std::string("dht message: ") + e.what());
    }
}

}  // namespace sr::dht
