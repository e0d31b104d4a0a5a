#include "core/rpc_wire.hpp"

#include "core/error.hpp"

#include <algorithm>

namespace sr::rpc {

namespace {

std::string str_of(const msgpack::object& o, const char* what) {
    if (o.type != msgpack::type::STR) throw DecodeError(std::string(what) + " is not a string");
    return std::string(o.via.str.ptr, o.via.str.size);
}

std::uint32_t msgid_of(const msgpack::object& o) {
    if (o.type != msgpack::type::POSITIVE_INTEGER || o.via.u64 > 0xffffffffu)
        throw DecodeError("msgid is not a 32-bit unsigned integer");
    return static_cast<std::uint32_t>(o.via.u64);
}

Value params_of(const msgpack::object& o) {
    if (o.type == msgpack::type::MAP) return to_value(o);  // lenient: a bare map
    if (o.type != msgpack::type::ARRAY) throw DecodeError("params is not an array");
    if (o.via.array.size == 0) return Value::object();
    if (o.via.array.size != 1 || o.via.array.ptr[0].type != msgpack::type::MAP)
        throw DecodeError("params must be [] or [map]");
    return to_value(o.via.array.ptr[0]);
}

std::string finish(msgpack::sbuffer& buf) { return std::string(buf.data(), buf.size()); }

}  // namespace

Message decode_message(const msgpack::object& obj, std::optional<std::uint32_t>* msgid_out) {
    if (obj.type != msgpack::type::ARRAY || obj.via.array.size < 3)
        throw DecodeError("message is not an array of 3 or 4 elements");
    const auto* e = obj.via.array.ptr;
    auto n = obj.via.array.size;
    if (e[0].type != msgpack::type::POSITIVE_INTEGER || e[0].via.u64 > 2) throw DecodeError("unknown message type");
    Message m;
    m.kind = static_cast<Kind>(e[0].via.u64);
    switch (m.kind) {
    case Kind::request:
        m.msgid = msgid_of(e[1]);
        if (msgid_out) *msgid_out = m.msgid;  // known from here on: the error can be answered
        if (n != 4) throw DecodeError("request must have 4 elements");
        m.method = str_of(e[2], "method");
        m.params = params_of(e[3]);
        break;
    case Kind::response:
        if (n != 4) throw DecodeError("response must have 4 elements");
        m.msgid = msgid_of(e[1]);
        m.error = to_value(e[2]);
        m.result = to_value(e[3]);
        break;
    case Kind::notification:
        if (n != 3) throw DecodeError("notification must have 3 elements");
        m.method = str_of(e[1], "method");
        m.params = params_of(e[2]);
        break;
    }
    return m;
}

std::string encode_request(std::uint32_t msgid, std::string_view method, const Value& params) {
    msgpack::sbuffer buf;
    Packer pk(buf);
    pk.pack_array(4);
    pk.pack_uint8(0);
    pk.pack_uint32(msgid);
    pk.pack_str(static_cast<std::uint32_t>(method.size()));
    pk.pack_str_body(method.data(), static_cast<std::uint32_t>(method.size()));
    pk.pack_array(1);
    pack_value(pk, params.is_null() ? Value::object() : params);
    return finish(buf);
}

std::string encode_response(std::uint32_t msgid, const Value& error, const Value& result) {
    msgpack::sbuffer buf;
    Packer pk(buf);
    pk.pack_array(4);
    pk.pack_uint8(1);
    pk.pack_uint32(msgid);
    pack_value(pk, error);
    pack_value(pk, result);
    return finish(buf);
}

std::string encode_notification(std::string_view method, const Value& params) {
    msgpack::sbuffer buf;
    Packer pk(buf);
    pk.pack_array(3);
    pk.pack_uint8(2);
    pk.pack_str(static_cast<std::uint32_t>(method.size()));
    pk.pack_str_body(method.data(), static_cast<std::uint32_t>(method.size()));
    pk.pack_array(1);
    pack_value(pk, params);
    return finish(buf);
}

Value error_value(std::string_view code, std::string_view message) {
    return Value{{"code", std::string(code)}, {"message", std::string(message)}};
}

static msgpack::unpack_limit limits_for(std::size_t max_frame) {
    // msgpack reserves room for all of an array's or map's announced
    // elements when it reads the header (24 bytes each), before they arrive:
    // bound the counts and the nesting so a 5-byte header cannot make us
    // reserve gigabytes. Strings and binaries are bounded by the frame.
    auto n = static_cast<std::size_t>(max_frame);
    return msgpack::unpack_limit(std::min<std::size_t>(n, 262144), std::min<std::size_t>(n, 65536), n, n, 0, 12);
}

FrameReader::FrameReader(std::size_t max_frame)
    : max_frame_(max_frame), unpacker_(nullptr, nullptr, MSGPACK_UNPACKER_INIT_BUFFER_SIZE, limits_for(max_frame)) {}

void FrameReader::feed(const char* data, std::size_t len) {
    unpacker_.reserve_buffer(len);
    std::memcpy(unpacker_.buffer(), data, len);
    unpacker_.buffer_consumed(len);
}

bool FrameReader::next(msgpack::object_handle& out) {
    bool got;
    try {
        got = unpacker_.next(out);
    } catch (const std::exception& e) {
        throw DecodeError(std::string("invalid msgpack: ") + e.what());
    }
    // message_size(): the pending object's bytes, parsed so far or not (the
    // streaming parser consumes a partial object as it goes).
    if (!got && unpacker_.message_size() > max_frame_)
        throw DecodeError("frame larger than " + std::to_string(max_frame_) + " bytes");
    return got;
}

}  // namespace sr::rpc
