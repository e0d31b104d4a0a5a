// Fuzz target: the control socket's input path. Bytes go through
// rpc::FrameReader (fed in pieces whose sizes the input chooses, as a socket
// would deliver them), every complete object through decode_message and
// to_value, exactly as rpc::Connection does. Only sr::DecodeError may escape
// the decoders; anything else (another exception, a crash, a sanitizer
// report, a leak) is a finding.
//
// Invariants checked beyond "does not crash":
//  - the same bytes fed in one piece yield the same objects when neither
//    reader refuses them;
//  - a decoded message re-encodes to a message that decodes to the same
//    bytes again (encode . decode is idempotent after one round).
#include "core/error.hpp"
#include "core/rpc_wire.hpp"
#include "core/value.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

namespace {

constexpr std::size_t max_frame = 4096;

std::string packed(const msgpack::object& o) {
    msgpack::sbuffer buf;
    msgpack::pack(buf, o);
    return std::string(buf.data(), buf.size());
}

std::string encode(const sr::rpc::Message& m) {
    switch (m.kind) {
    case sr::rpc::Kind::request: return sr::rpc::encode_request(m.msgid, m.method, m.params);
    case sr::rpc::Kind::response: return sr::rpc::encode_response(m.msgid, m.error, m.result);
    case sr::rpc::Kind::notification: return sr::rpc::encode_notification(m.method, m.params);
    }
    std::abort();
}

sr::rpc::Message decode_bytes(const std::string& bytes) {
    msgpack::object_handle oh = msgpack::unpack(bytes.data(), bytes.size());
    return sr::rpc::decode_message(oh.get());
}

void check_message(const msgpack::object& obj) {
    try {
        sr::to_value(obj);
    } catch (const sr::DecodeError&) {
    }
    std::optional<std::uint32_t> msgid;
    sr::rpc::Message m;
    try {
        m = sr::rpc::decode_message(obj, &msgid);
    } catch (const sr::DecodeError&) {
        return;
    }
    // A valid message: what we would send back must itself be valid, and stable.
    std::string once = encode(m);
    std::string twice = encode(decode_bytes(once));
    if (once != encode(decode_bytes(twice)) || once != twice) std::abort();
}

// Feeds data in pieces; returns the packed objects read, or nullopt when the
// reader refused the stream.
std::optional<std::vector<std::string>> read_stream(const std::uint8_t* data, std::size_t size, std::uint8_t pattern,
                                                    bool check) {
    sr::rpc::FrameReader reader(max_frame);
    std::vector<std::string> objects;
    std::size_t off = 0;
    std::uint32_t state = pattern | 1u;
    try {
        while (off < size) {
            std::size_t n = size;
            if (pattern != 0) {
                state = state * 1103515245u + 12345u;
                n = 1 + (state >> 16) % (pattern % 64 + 1);
            }
            n = std::min(n, size - off);
            reader.feed(reinterpret_cast<const char*>(data) + off, n);
            off += n;
            msgpack::object_handle oh;
            while (reader.next(oh)) {
                objects.push_back(packed(oh.get()));
                if (check) check_message(oh.get());
            }
        }
    } catch (const sr::DecodeError&) {
        return std::nullopt;
    }
    return objects;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    // The first byte picks how the rest is split into reads.
    std::uint8_t pattern = data[0];
    auto pieces = read_stream(data + 1, size - 1, pattern, true);
    auto whole = read_stream(data + 1, size - 1, 0, false);
    if (pieces && whole && *pieces != *whole) std::abort();
    return 0;
}
