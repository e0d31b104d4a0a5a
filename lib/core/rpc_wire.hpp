// msgpack-RPC framing and messages (DESIGN §3, sr-rpc(7)).
//
// A connection carries a stream of msgpack objects, no length prefix:
//   request       [0, msgid, method, params]
//   response      [1, msgid, error, result]
//   notification  [2, method, params]
// params is [] or [map]; the map's fields are the method's named arguments.
// FrameReader feeds bytes into msgpack's streaming unpacker and yields whole
// objects; it bounds the bytes a single object may occupy, and its element
// counts, so a hostile peer cannot make the daemon allocate without limit.
#pragma once

#include "core/value.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace sr::rpc {

enum class Kind { request = 0, response = 1, notification = 2 };

struct Message {
    Kind kind = Kind::request;
    std::uint32_t msgid = 0;
    std::string method;  // request, notification
    Value params;        // request, notification: always an object
    Value error;         // response: null or {code, message}
    Value result;        // response
};

// Validates the shape of a message. Throws DecodeError; when the object was
// recognisably a request, *msgid_out is set so the caller can answer it.
Message decode_message(const msgpack::object& obj, std::optional<std::uint32_t>* msgid_out = nullptr);

std::string encode_request(std::uint32_t msgid, std::string_view method, const Value& params);
std::string encode_response(std::uint32_t msgid, const Value& error, const Value& result);
std::string encode_notification(std::string_view method, const Value& params);
Value error_value(std::string_view code, std::string_view message);

class FrameReader {
  public:
    explicit FrameReader(std::size_t max_frame);
    // Appends bytes. Throws DecodeError when the pending object is over the limit.
    void feed(const char* data, std::size_t len);
    // The next complete object, if any. Throws DecodeError on invalid msgpack.
    bool next(msgpack::object_handle& out);
    std::size_t pending() const { return unpacker_.message_size(); }

  private:
    std::size_t max_frame_;
    msgpack::unpacker unpacker_;
};

}  // namespace sr::rpc
