// Dynamic values for the control plane.
//
// RPC params and results are maps with named fields that grow over time, and
// sr-ctl must turn any of them into JSON and back, so handlers see them as a
// nlohmann::json: one dynamic type with a binary subtype for msgpack bin.
// Conversion happens once at the socket; the overlay's wire types do not use
// this (they pack and unpack explicitly, see lib/dht/*_wire).
#pragma once

#include <msgpack.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace sr {

using Value = nlohmann::json;
using Packer = msgpack::packer<msgpack::sbuffer>;

// msgpack -> Value. Map keys must be strings; ext types are refused.
// Throws DecodeError.
Value to_value(const msgpack::object& obj);
void pack_value(Packer& pk, const Value& v);

Value bytes_value(std::string_view bytes);
// The bytes of a bin or str value. Throws Error("invalid_params") otherwise.
std::string value_bytes(const Value& v);

// A Value made printable as JSON: bin becomes a string when it is valid
// UTF-8 text, else {"base64": "..."}; an integer beyond 2^53 (which jq and
// JavaScript cannot hold exactly) becomes the string of its digits.
Value printable(const Value& v);
std::string base64(std::string_view bytes);
bool is_utf8_text(std::string_view s);

}  // namespace sr
