#include "cache/store_format.hpp"

#include "core/error.hpp"

#include <msgpack.hpp>

#include <algorithm>
#include <cstring>
#include <limits>

namespace sr::cache::format {

namespace {

constexpr char kMagic[4] = {'S', 'R', 'O', '1'};
using Packer = msgpack::packer<msgpack::sbuffer>;

void pack_str(Packer& pk, std::string_view s) {
    pk.pack_str(static_cast<std::uint32_t>(s.size()));
    pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

void pack_headers(Packer& pk, const Headers& h) {
    pk.pack_array(static_cast<std::uint32_t>(h.size()));
    for (const auto& [name, value] : h) {
        pk.pack_array(2);
        pack_str(pk, name);
        pack_str(pk, value);
    }
}

[[noreturn]] void bad(const std::string& what) { throw DecodeError("stored header: " + what); }

std::string str_of(const msgpack::object& v, const char* name) {
    if (v.type == msgpack::type::STR) return std::string(v.via.str.ptr, v.via.str.size);
    if (v.type == msgpack::type::BIN) return std::string(v.via.bin.ptr, v.via.bin.size);
    bad(std::string(name) + " is not a string");
}

std::int64_t int_of(const msgpack::object& v, const char* name) {
    if (v.type == msgpack::type::NEGATIVE_INTEGER) return v.via.i64;
    if (v.type == msgpack::type::POSITIVE_INTEGER && v.via.u64 <= std::numeric_limits<std::int64_t>::max())
        return static_cast<std::int64_t>(v.via.u64);
    bad(std::string(name) + " is not an integer");
}

Headers headers_of(const msgpack::object& v, const char* name) {
    if (v.type != msgpack::type::ARRAY) bad(std::string(name) + " is not an array");
    Headers h;
    for (std::uint32_t i = 0; i < v.via.array.size; ++i) {
        const auto& f = v.via.array.ptr[i];
        if (f.type != msgpack::type::ARRAY || f.via.array.size != 2) bad(std::string(name) + ": not a pair");
        h.emplace_back(str_of(f.via.array.ptr[0], name), str_of(f.via.array.ptr[1], name));
    }
    return h;
}

}  // namespace

Id object_key(std::string_view url, std::string_view variant) {
    std::string uv(url);
    uv.push_back('\0');
    uv.append(variant);
    return Id{Id::hash("cache-url", url).hi, Id::hash("cache-obj", uv).hi};
}

std::string encode_header(const StoredObject& o, std::uint64_t body_size, std::int64_t stored) {
    msgpack::sbuffer buf;
    Packer pk(buf);
    pk.pack_map(o.digest.empty() ? 9 : 10);
    pack_str(pk, "url");
    pack_str(pk, o.url);
    pack_str(pk, "variant");
    pack_str(pk, o.variant);
    pack_str(pk, "status");
    pk.pack_int(o.response.status);
    pack_str(pk, "headers");
    pack_headers(pk, o.response.headers);
    pack_str(pk, "request_time");
    pk.pack_int64(o.response.request_time);
    pack_str(pk, "response_time");
    pk.pack_int64(o.response.response_time);
    pack_str(pk, "request_headers");
    pack_headers(pk, o.request_headers);
    pack_str(pk, "body_size");
    pk.pack_uint64(body_size);
    pack_str(pk, "stored");
    pk.pack_int64(stored);
    if (!o.digest.empty()) {
        pack_str(pk, "digest");
        pack_str(pk, o.digest);
    }
    if (buf.size() > kMaxHeaderBytes)
        throw Error("too_large", "the response header of " + o.url + " is too large to store");
    return std::string(buf.data(), buf.size());
}

DecodedHeader decode_header(std::string_view bytes) {
    msgpack::object_handle oh;
    try {
        std::size_t off = 0, n = std::max<std::size_t>(bytes.size(), 1);
        // Limits keep a corrupt length prefix from allocating more than the input.
        oh = msgpack::unpack(bytes.data(), bytes.size(), off, nullptr, nullptr,
                             msgpack::unpack_limit(n, n / 2 + 1, n, n, 0, 4));
        if (off != bytes.size()) bad("trailing bytes");
    } catch (const DecodeError&) {
        throw;
    } catch (const std::exception& e) {
        bad(e.what());
    }
    const msgpack::object& o = oh.get();
    if (o.type != msgpack::type::MAP) bad("not a map");
    DecodedHeader d;
    auto& r = d.object.response;
    unsigned seen = 0;
    for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        std::string k = str_of(kv.key, "key");
        const auto& v = kv.val;
        unsigned bit = 0;
        if (k == "url") d.object.url = str_of(v, "url"), bit = 1;
        else if (k == "variant") d.object.variant = str_of(v, "variant"), bit = 2;
        else if (k == "status") r.status = static_cast<int>(int_of(v, "status")), bit = 4;
        else if (k == "headers") r.headers = headers_of(v, "headers"), bit = 8;
        else if (k == "request_time") r.request_time = int_of(v, "request_time"), bit = 16;
        else if (k == "response_time") r.response_time = int_of(v, "response_time"), bit = 32;
        else if (k == "request_headers") d.object.request_headers = headers_of(v, "request_headers"), bit = 64;
        else if (k == "body_size") d.object.body_size = static_cast<std::uint64_t>(int_of(v, "body_size")), bit = 128;
        else if (k == "stored") d.stored = int_of(v, "stored"), bit = 256;
        else if (k == "digest") d.object.digest = str_of(v, "digest"), bit = 512;  // optional
        if (seen & bit) bad("duplicate field " + k);
        seen |= bit;
    }
    if ((seen & 511) != 511) bad("missing fields");
    return d;
}

std::string with_trailer(std::string_view blob) {
    std::string out(blob);
    auto n = static_cast<std::uint32_t>(blob.size());
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out.append(kMagic, 4);
    return out;
}

std::optional<std::uint32_t> parse_trailer(const char* last8) {
    if (std::memcmp(last8 + 4, kMagic, 4) != 0) return std::nullopt;
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n |= std::uint32_t(static_cast<unsigned char>(last8[i])) << (8 * i);
    if (n > kMaxHeaderBytes) return std::nullopt;
    return n;
}

}  // namespace sr::cache::format
