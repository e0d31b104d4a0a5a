// The bytes of the disk store (store.hpp): object keys, the header blob and
// the trailer of an object file. Pure functions, no I/O, so a fuzzer can
// drive the decoder.
//
// Object file: [body][header blob][u32 blob length, little endian]["SRO1"].
// Header blob: a msgpack map with the fields of StoredObject (url, variant,
// status, headers, request_time, response_time, request_headers, body_size)
// and "stored", the Unix time of the commit or 304 update that wrote it (so a
// rebuild recovers it); "digest", the body's SHA-256 in hex, is optional (older
// stores lack it). Headers are arrays of [name, value] pairs. Unknown
// fields are ignored, so a later version can add some.
//
// Object key: hi = first 64 bits of SHA-256("cache-url:" url), lo = first 64
// bits of SHA-256("cache-obj:" url '\0' variant). Ordered by key, the
// variants of one URL are adjacent.
#pragma once

#include "cache/store.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sr::cache::format {

constexpr std::size_t kTrailerBytes = 8;
constexpr std::uint32_t kMaxHeaderBytes = 4u << 20;

Id object_key(std::string_view url, std::string_view variant);

// body_size is passed apart: a 304 update keeps the stored body's size.
// Throws Error("too_large") beyond kMaxHeaderBytes.
std::string encode_header(const StoredObject& o, std::uint64_t body_size, std::int64_t stored);

struct DecodedHeader {
    StoredObject object;
    std::int64_t stored = 0;
};
DecodedHeader decode_header(std::string_view blob);  // throws DecodeError

// blob + its length + magic: what follows the body.
std::string with_trailer(std::string_view blob);
// The blob length from the last kTrailerBytes of a file; nullopt when the
// magic is wrong or the length exceeds kMaxHeaderBytes.
std::optional<std::uint32_t> parse_trailer(const char* last8);

}  // namespace sr::cache::format
