// Field helpers for the overlay's explicit msgpack codecs (lib/dht/*_wire,
// lib/event/scribe_wire): packers for strings, bytes and ids, and readers
// that check a field's type and bounds and throw DecodeError otherwise.
#pragma once

#include "core/error.hpp"
#include "core/id.hpp"
#include "core/value.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace sr::codec {

inline void pack_str(Packer& pk, std::string_view s) {
    pk.pack_str(static_cast<std::uint32_t>(s.size()));
    pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}
inline void pack_bin(Packer& pk, std::string_view s) {
    pk.pack_bin(static_cast<std::uint32_t>(s.size()));
    pk.pack_bin_body(s.data(), static_cast<std::uint32_t>(s.size()));
}
inline void pack_id(Packer& pk, const Id& id) {  // a 16-byte bin
    auto b = id.bytes();
    pk.pack_bin(16);
    pk.pack_bin_body(reinterpret_cast<const char*>(b.data()), 16);
}

// An array of exactly n elements.
inline const msgpack::object* array_of(const msgpack::object& o, std::uint32_t n, const char* what) {
    if (o.type != msgpack::type::ARRAY || o.via.array.size != n)
        throw DecodeError(std::string(what) + ": expected an array of " + std::to_string(n));
    return o.via.array.ptr;
}
inline std::uint64_t uint_of(const msgpack::object& o, const char* what) {
    if (o.type != msgpack::type::POSITIVE_INTEGER) throw DecodeError(std::string(what) + ": not an unsigned integer");
    return o.via.u64;
}
inline bool bool_of(const msgpack::object& o, const char* what) {
    if (o.type != msgpack::type::BOOLEAN) throw DecodeError(std::string(what) + ": not a boolean");
    return o.via.boolean;
}
inline std::string str_of(const msgpack::object& o, const char* what, std::size_t max) {
    if (o.type != msgpack::type::STR || o.via.str.size > max) throw DecodeError(std::string(what) + ": bad string");
    return std::string(o.via.str.ptr, o.via.str.size);
}
inline Id id_of(const msgpack::object& o, const char* what) {
    if (o.type != msgpack::type::BIN || o.via.bin.size != 16) throw DecodeError(std::string(what) + ": not a 16-byte id");
    return Id::from_bytes(reinterpret_cast<const std::uint8_t*>(o.via.bin.ptr));
}

}  // namespace sr::codec
