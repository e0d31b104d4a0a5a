#include "dht/record_wire.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>

namespace sr::dht {

namespace {

// Longest TTL the wire accepts at all (the store's own limit is far lower);
// keeps now + ttl far from overflowing.
constexpr std::uint64_t kMaxWireTtlMs = 10ull * 366 * 24 * 3600 * 1000;
constexpr std::int64_t kMaxWireTtlUs = static_cast<std::int64_t>(kMaxWireTtlMs) * 1000;

enum Field : unsigned {
    F_KEY = 1u << 0,
    F_VID = 1u << 1,
    F_WRITER = 1u << 2,
    F_SEQ = 1u << 3,
    F_TYPE = 1u << 4,
    F_VALUE = 1u << 5,
    F_TIME = 1u << 6,  // ttl_ms or expires_wall_us
    F_RHASH = 1u << 7,
    F_TOMB = 1u << 8,
    // Optional: the writer identity (writer.hpp); absent in records from before it.
    F_OWNER = 1u << 9,
    F_UID = 1u << 10,
    F_NOT_AFTER = 1u << 11,
    F_SIG = 1u << 12,
    F_DIGEST = 1u << 13,
    F_SECRET = 1u << 14,
};
constexpr unsigned kAllFields = (1u << 9) - 1;  // the required ones

[[noreturn]] void fail(const std::string& what) { throw DecodeError("record: " + what); }

std::string_view key_of(const msgpack::object& k) {
    if (k.type != msgpack::type::STR) fail("map key is not a string");
    return {k.via.str.ptr, k.via.str.size};
}

Id id_of(const msgpack::object& v, const char* name) {
    if (v.type != msgpack::type::BIN || v.via.bin.size != 16) fail(std::string(name) + " is not a 16-byte bin");
    return Id::from_bytes(reinterpret_cast<const std::uint8_t*>(v.via.bin.ptr));
}

std::uint64_t uint_of(const msgpack::object& v, const char* name) {
    if (v.type != msgpack::type::POSITIVE_INTEGER) fail(std::string(name) + " is not an unsigned integer");
    return v.via.u64;
}

std::string bin_of(const msgpack::object& v, const char* name, std::size_t max) {
    if (v.type != msgpack::type::BIN) fail(std::string(name) + " is not a bin");
    if (v.via.bin.size > max) fail(std::string(name) + " is too long");
    return std::string(v.via.bin.ptr, v.via.bin.size);
}

// Decodes the fields shared by both forms; `time` receives ttl_ms (overlay)
// or expires_wall_us (persistence).
Record decode_fields(const msgpack::object& o, bool persist, std::uint64_t& time) {
    if (o.type != msgpack::type::MAP) fail("not a map");
    const char* time_name = persist ? "expires_wall_us" : "ttl_ms";
    Record r;
    unsigned seen = 0;
    auto mark = [&](Field f, std::string_view name) {
        if (seen & f) fail("duplicate field " + std::string(name));
        seen |= f;
    };
    for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        std::string_view k = key_of(kv.key);
        const msgpack::object& v = kv.val;
        if (k == "key") {
            mark(F_KEY, k);
            r.key = id_of(v, "key");
        } else if (k == "vid") {
            mark(F_VID, k);
            r.vid = uint_of(v, "vid");
        } else if (k == "writer") {
            mark(F_WRITER, k);
            r.writer = id_of(v, "writer");
        } else if (k == "seq") {
            mark(F_SEQ, k);
            r.seq = uint_of(v, "seq");
        } else if (k == "type") {
            mark(F_TYPE, k);
            if (v.type != msgpack::type::STR) fail("type is not a string");
            if (v.via.str.size == 0 || v.via.str.size > kMaxTypeBytes) fail("type is empty or longer than 64 bytes");
            r.type.assign(v.via.str.ptr, v.via.str.size);
        } else if (k == "value") {
            mark(F_VALUE, k);
            r.value = bin_of(v, "value", kMaxWireValue);
        } else if (k == time_name) {
            mark(F_TIME, k);
            time = uint_of(v, time_name);
        } else if (k == "remove_hash") {
            mark(F_RHASH, k);
            r.remove_hash = bin_of(v, "remove_hash", kRemoveHashBytes);
            if (!r.remove_hash.empty() && r.remove_hash.size() != kRemoveHashBytes)
                fail("remove_hash is neither empty nor 32 bytes");
        } else if (k == "tombstone") {
            mark(F_TOMB, k);
            if (v.type != msgpack::type::BOOLEAN) fail("tombstone is not a boolean");
            r.tombstone = v.via.boolean;
        } else if (k == "owner") {
            mark(F_OWNER, k);
            r.owner = bin_of(v, "owner", kOwnerBytes);
            if (r.owner.size() != kOwnerBytes) fail("owner is not a 32-byte key");
        } else if (k == "uid") {
            mark(F_UID, k);
            std::uint64_t u = uint_of(v, "uid");
            if (u > UINT32_MAX) fail("uid out of range");
            r.uid = static_cast<std::uint32_t>(u);
        } else if (k == "not_after") {
            mark(F_NOT_AFTER, k);
            r.not_after = uint_of(v, "not_after");
        } else if (k == "sig") {
            mark(F_SIG, k);
            r.sig = bin_of(v, "sig", kSigBytes);
            if (r.sig.size() != kSigBytes) fail("sig is not 64 bytes");
        } else if (k == "digest") {
            mark(F_DIGEST, k);
            r.digest = bin_of(v, "digest", kRemoveHashBytes);
            if (r.digest.size() != kRemoveHashBytes) fail("digest is not 32 bytes");
        } else if (k == "secret") {
            mark(F_SECRET, k);
            r.remove_secret = bin_of(v, "secret", kMaxSecretBytes);
        }
        // Unknown fields: ignored, so later versions can add some.
    }
    if ((seen & kAllFields) != kAllFields) fail("missing fields");
    if (r.tombstone && !r.value.empty()) fail("tombstone carries a value");
    return r;
}

void pack_str(msgpack::packer<msgpack::sbuffer>& pk, std::string_view s) {
    pk.pack_str(static_cast<std::uint32_t>(s.size()));
    pk.pack_str_body(s.data(), static_cast<std::uint32_t>(s.size()));
}

void pack_bin(msgpack::packer<msgpack::sbuffer>& pk, const void* p, std::size_t n) {
    pk.pack_bin(static_cast<std::uint32_t>(n));
    pk.pack_bin_body(static_cast<const char*>(p), static_cast<std::uint32_t>(n));
}

void pack_id(msgpack::packer<msgpack::sbuffer>& pk, const Id& id) {
    auto b = id.bytes();
    pack_bin(pk, b.data(), b.size());
}

void pack_fields(msgpack::packer<msgpack::sbuffer>& pk, const Record& r, const char* time_name, std::uint64_t time) {
    const bool id = !r.owner.empty();
    const bool tomb_proof = r.tombstone && !r.digest.empty();
    pk.pack_map(9 + (id ? 4 : 0) + (tomb_proof ? 1 : 0) + (r.tombstone && !r.remove_secret.empty() ? 1 : 0));
    pack_str(pk, "key");
    pack_id(pk, r.key);
    pack_str(pk, "vid");
    pk.pack_uint64(r.vid);
    pack_str(pk, "writer");
    pack_id(pk, r.writer);
    pack_str(pk, "seq");
    pk.pack_uint64(r.seq);
    pack_str(pk, "type");
    pack_str(pk, r.type);
    pack_str(pk, "value");
    if (r.tombstone) pack_bin(pk, "", 0);
    else pack_bin(pk, r.value.data(), r.value.size());
    pack_str(pk, time_name);
    pk.pack_uint64(time);
    pack_str(pk, "remove_hash");
    pack_bin(pk, r.remove_hash.data(), r.remove_hash.size());
    pack_str(pk, "tombstone");
    if (r.tombstone) pk.pack_true();
    else pk.pack_false();
    if (id) {
        pack_str(pk, "owner");
        pack_bin(pk, r.owner.data(), r.owner.size());
        pack_str(pk, "uid");
        pk.pack_uint32(r.uid);
        pack_str(pk, "not_after");
        pk.pack_uint64(r.not_after);
        pack_str(pk, "sig");
        pack_bin(pk, r.sig.data(), r.sig.size());
    }
    if (tomb_proof) {
        pack_str(pk, "digest");
        pack_bin(pk, r.digest.data(), r.digest.size());
    }
    if (r.tombstone && !r.remove_secret.empty()) {
        pack_str(pk, "secret");
        pack_bin(pk, r.remove_secret.data(), r.remove_secret.size());
    }
}

// Limits that keep a hostile length prefix from allocating much more than the
// input's own size: every array element and map entry takes at least a byte.
msgpack::unpack_limit limits_for(std::size_t len, std::size_t depth) {
    std::size_t n = std::max<std::size_t>(len, 1);
    return msgpack::unpack_limit(n, n / 2 + 1, n, n, 0, depth);
}

msgpack::object_handle unpack_all(std::string_view bytes, std::size_t depth, const char* what) {
    try {
        std::size_t off = 0;
        auto oh = msgpack::unpack(bytes.data(), bytes.size(), off, nullptr, nullptr, limits_for(bytes.size(), depth));
        if (off != bytes.size()) throw DecodeError(std::string(what) + ": trailing bytes");
        return oh;
    } catch (const DecodeError&) {
        throw;
    } catch (const std::exception& e) {
        throw DecodeError(std::string(what) + ": " + e.what());
    }
}

}  // namespace

void pack_record(msgpack::packer<msgpack::sbuffer>& pk, const Record& r, std::int64_t now) {
    std::int64_t left = r.expires_us > now ? r.expires_us - now : 0;
    pack_fields(pk, r, "ttl_ms", static_cast<std::uint64_t>(left / 1000));
}

Record unpack_record(const msgpack::object& o, std::int64_t now) {
    try {
        std::uint64_t ttl_ms = 0;
        Record r = decode_fields(o, false, ttl_ms);
        if (ttl_ms > kMaxWireTtlMs) fail("ttl_ms out of range");
        r.expires_us = now + static_cast<std::int64_t>(ttl_ms) * 1000;
        return r;
    } catch (const DecodeError&) {
        throw;
    } catch (const std::exception& e) {
        throw DecodeError(std::string("record: ") + e.what());
    }
}

std::string encode_record(const Record& r, std::int64_t now) {
    msgpack::sbuffer buf;
    msgpack::packer<msgpack::sbuffer> pk(buf);
    pack_record(pk, r, now);
    return std::string(buf.data(), buf.size());
}

Record decode_record(std::string_view bytes, std::int64_t now) {
    auto oh = unpack_all(bytes, 4, "record");
    return unpack_record(oh.get(), now);
}

std::string export_store(const Store& s, std::int64_t now_mono, std::int64_t now_wall_us) {
    std::size_t count = 0;
    s.for_each([&](const Record& r) { count += r.expires_us > now_mono; });
    msgpack::sbuffer recs;
    {
        msgpack::packer<msgpack::sbuffer> pk(recs);
        pk.pack_array(static_cast<std::uint32_t>(count));
        s.for_each([&](const Record& r) {
            if (r.expires_us <= now_mono) return;
            std::int64_t wall = now_wall_us + (r.expires_us - now_mono);
            pack_fields(pk, r, "expires_wall_us", static_cast<std::uint64_t>(std::max<std::int64_t>(wall, 1)));
        });
    }
    const std::string digest = remove_hash_of(std::string_view(recs.data(), recs.size()));
    msgpack::sbuffer out;
    msgpack::packer<msgpack::sbuffer> pk(out);
    pk.pack_map(6);
    pack_str(pk, "format");
    pack_str(pk, kStoreFormat);
    pack_str(pk, "version");
    pk.pack_uint64(kStoreVersion);
    pack_str(pk, "wall_us");
    pk.pack_int64(now_wall_us);
    pack_str(pk, "count");
    pk.pack_uint64(count);
    pack_str(pk, "records");
    pack_bin(pk, recs.data(), recs.size());
    pack_str(pk, "sha256");
    pack_bin(pk, digest.data(), digest.size());
    return std::string(out.data(), out.size());
}

ImportResult import_store(Store& s, std::string_view bytes, std::int64_t now_mono, std::int64_t now_wall_us) {
    // 1. The envelope.
    auto oh = unpack_all(bytes, 2, "store file");
    const msgpack::object& o = oh.get();
    if (o.type != msgpack::type::MAP) throw DecodeError("store file: not a map");
    std::string_view format, records, digest;
    std::optional<std::uint64_t> version, count;
    bool wall = false;
    for (std::uint32_t i = 0; i < o.via.map.size; ++i) {
        const auto& kv = o.via.map.ptr[i];
        if (kv.key.type != msgpack::type::STR) throw DecodeError("store file: map key is not a string");
        std::string_view k(kv.key.via.str.ptr, kv.key.via.str.size);
        const auto& v = kv.val;
        if (k == "format" && v.type == msgpack::type::STR) format = {v.via.str.ptr, v.via.str.size};
        else if (k == "version" && v.type == msgpack::type::POSITIVE_INTEGER) version = v.via.u64;
        else if (k == "wall_us" && (v.type == msgpack::type::POSITIVE_INTEGER || v.type == msgpack::type::NEGATIVE_INTEGER)) wall = true;
        else if (k == "count" && v.type == msgpack::type::POSITIVE_INTEGER) count = v.via.u64;
        else if (k == "records" && v.type == msgpack::type::BIN) records = {v.via.bin.ptr, v.via.bin.size};
        else if (k == "sha256" && v.type == msgpack::type::BIN) digest = {v.via.bin.ptr, v.via.bin.size};
        else if (k == "format" || k == "version" || k == "wall_us" || k == "count" || k == "records" || k == "sha256")
            throw DecodeError("store file: field " + std::string(k) + " has the wrong type");
    }
    if (format != kStoreFormat) throw DecodeError("store file: not an sr-dht-store file");
    if (!version) throw DecodeError("store file: no version");
    if (*version != kStoreVersion) throw DecodeError("store file: unsupported version " + std::to_string(*version));
    if (!wall || !count || records.data() == nullptr || digest.size() != 32)
        throw DecodeError("store file: missing fields");
    if (remove_hash_of(records) != digest) throw DecodeError("store file: checksum mismatch");

    // 2. Every record, before touching the store.
    auto rh = unpack_all(records, 3, "store file records");
    const msgpack::object& arr = rh.get();
    if (arr.type != msgpack::type::ARRAY) throw DecodeError("store file: records is not an array");
    if (arr.via.array.size != *count) throw DecodeError("store file: record count mismatch");
    std::vector<std::pair<Record, std::int64_t>> decoded;  // record, remaining µs
    decoded.reserve(arr.via.array.size);
    for (std::uint32_t i = 0; i < arr.via.array.size; ++i) {
        std::uint64_t expires_wall = 0;
        Record r;
        try {
            r = decode_fields(arr.via.array.ptr[i], true, expires_wall);
        } catch (const DecodeError&) {
            throw;
        } catch (const std::exception& e) {
            throw DecodeError(std::string("store file: ") + e.what());
        }
        if (expires_wall > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            throw DecodeError("store file: expires_wall_us out of range");
        // remaining = expires_wall - now_wall, clamped so that now_mono + it cannot overflow
        __int128 left = static_cast<__int128>(expires_wall) - now_wall_us;
        if (left > kMaxWireTtlUs) left = kMaxWireTtlUs;
        decoded.emplace_back(std::move(r), static_cast<std::int64_t>(left));
    }

    // 3. Into the store.
    ImportResult res;
    for (auto& [r, left] : decoded) {
        if (left <= 0) {
            ++res.expired;
            continue;
        }
        r.expires_us = now_mono + left;
        try {
            if (s.put(std::move(r), now_mono) == PutOutcome::stale) ++res.stale;
            else ++res.loaded;
        } catch (const Error&) {
            ++res.rejected;
        }
    }
    return res;
}

}  // namespace sr::dht
