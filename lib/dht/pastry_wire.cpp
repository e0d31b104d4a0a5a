#include "dht/pastry_wire.hpp"

#include "core/error.hpp"

#include <msgpack.hpp>

#include <new>

namespace sr::pastry {

using namespace wire;

namespace {

using Packer = msgpack::packer<msgpack::sbuffer>;

void pack_ref(Packer& pk, const NodeRef& n) {
    pk.pack_array(2);
    auto b = n.id.bytes();
    pk.pack_bin(16);
    pk.pack_bin_body(reinterpret_cast<const char*>(b.data()), 16);
    pk.pack_str(static_cast<std::uint32_t>(n.addr.size()));
    pk.pack_str_body(n.addr.data(), static_cast<std::uint32_t>(n.addr.size()));
}

void pack_list(Packer& pk, const std::vector<NodeRef>& v) {
    pk.pack_array(static_cast<std::uint32_t>(v.size()));
    for (const auto& n : v) pack_ref(pk, n);
}

[[noreturn]] void fail(const std::string& what) { throw DecodeError("pastry message: " + what); }

const msgpack::object* array(const msgpack::object& o, std::size_t max, const char* what) {
    if (o.type != msgpack::type::ARRAY) fail(std::string(what) + " is not an array");
    if (o.via.array.size > max) fail(std::string(what) + " too long");
    return o.via.array.ptr;
}

std::uint64_t uint(const msgpack::object& o, std::uint64_t max, const char* what) {
    if (o.type != msgpack::type::POSITIVE_INTEGER) fail(std::string(what) + " is not an unsigned integer");
    if (o.via.u64 > max) fail(std::string(what) + " out of range");
    return o.via.u64;
}

bool boolean(const msgpack::object& o, const char* what) {
    if (o.type != msgpack::type::BOOLEAN) fail(std::string(what) + " is not a bool");
    return o.via.boolean;
}

NodeRef ref(const msgpack::object& o) {
    const msgpack::object* e = array(o, 2, "node");
    if (o.via.array.size != 2) fail("node is not [id, addr]");
    if (e[0].type != msgpack::type::BIN || e[0].via.bin.size != 16) fail("id is not a 16-byte bin");
    if (e[1].type != msgpack::type::STR) fail("addr is not a str");
    std::size_t n = e[1].via.str.size;
    if (n == 0 || n > kMaxAddrLen) fail("addr length out of range");
    return NodeRef{Id::from_bytes(reinterpret_cast<const std::uint8_t*>(e[0].via.bin.ptr)),
                   std::string(e[1].via.str.ptr, n)};
}

std::vector<NodeRef> list(const msgpack::object& o, std::size_t max, const char* what) {
    const msgpack::object* e = array(o, max, what);
    std::vector<NodeRef> v;
    v.reserve(o.via.array.size);
    for (std::uint32_t i = 0; i < o.via.array.size; ++i) v.push_back(ref(e[i]));
    return v;
}

bool reference_all(msgpack::type::object_type, std::size_t, void*) { return true; }

}  // namespace

std::string encode(const Message& m) {
    msgpack::sbuffer buf(128);
    Packer pk(buf);
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            auto head = [&](std::uint32_t fields) {
                pk.pack_array(3 + fields);
                pk.pack(kVersion);
                pk.pack(static_cast<unsigned>(m.index()));
                pack_ref(pk, x.from);
            };
            if constexpr (std::is_same_v<T, JoinRequest>) {
                head(4);
                pack_ref(pk, x.joiner);
                pk.pack(x.hops);
                pk.pack(x.next_row);
                pack_list(pk, x.entries);
            } else if constexpr (std::is_same_v<T, JoinReply>) {
                head(2);
                pack_list(pk, x.leaves);
                pack_list(pk, x.entries);
            } else if constexpr (std::is_same_v<T, Announce>) {
                head(1);
                pk.pack(x.nonce);
            } else if constexpr (std::is_same_v<T, LeafSetRequest> || std::is_same_v<T, Departed>) {
                head(0);
            } else if constexpr (std::is_same_v<T, LeafSetReply>) {
                head(1);
                pack_list(pk, x.leaves);
            } else if constexpr (std::is_same_v<T, RowRequest>) {
                head(1);
                pk.pack(x.row);
            } else if constexpr (std::is_same_v<T, RowReply>) {
                head(2);
                pk.pack(x.row);
                pack_list(pk, x.entries);
            } else if constexpr (std::is_same_v<T, Ping>) {
                head(2);
                pk.pack(x.nonce);
                pk.pack(x.want_leaves);
            } else if constexpr (std::is_same_v<T, Pong>) {
                head(2);
                pk.pack(x.nonce);
                pack_list(pk, x.leaves);
            }
        },
        m);
    return std::string(buf.data(), buf.size());
}

Message decode(std::string_view bytes) {
    if (bytes.empty()) fail("empty");
    if (bytes.size() > kMaxWireBytes) fail("larger than the maximum message size");
    // Limits: no map, no ext, bins of 16 bytes, strs of kMaxAddrLen, lists of
    // kMaxEntries, nesting [msg [list [node]]].
    const msgpack::unpack_limit limit(kMaxEntries, 0, kMaxAddrLen, 16, 0, 3);
    msgpack::object_handle oh;
    std::size_t off = 0;
    try {
        oh = msgpack::unpack(bytes.data(), bytes.size(), off, reference_all, nullptr, limit);
    } catch (const std::bad_alloc&) {
        throw;
    } catch (const std::exception& e) {
        fail(std::string("bad msgpack (") + e.what() + ")");
    }
    if (off != bytes.size()) fail("trailing bytes");

    const msgpack::object& o = oh.get();
    const msgpack::object* a = array(o, 16, "message");
    const std::size_t n = o.via.array.size;
    if (n < 3) fail("message too short");
    if (uint(a[0], UINT64_MAX, "version") != kVersion) fail("unsupported version");
    const auto kind = uint(a[1], kMessageKinds - 1, "kind");
    NodeRef from = ref(a[2]);
    static constexpr std::size_t fields[kMessageKinds] = {4, 2, 1, 0, 1, 1, 2, 2, 2, 0};
    if (n < 3 + fields[kind]) fail(std::string(message_name(kind)) + ": missing fields");
    const msgpack::object* f = a + 3;
    switch (kind) {
        case 0:
            return JoinRequest{std::move(from), ref(f[0]), static_cast<std::uint32_t>(uint(f[1], kMaxHops, "hops")),
                               static_cast<std::uint32_t>(uint(f[2], kMaxRow + 1, "next_row")),
                               list(f[3], kMaxEntries, "entries")};
        case 1: {
            auto leaves = list(f[0], kMaxLeaves, "leaves");
            return JoinReply{std::move(from), std::move(leaves), list(f[1], kMaxEntries, "entries")};
        }
        case 2: return Announce{std::move(from), uint(f[0], UINT64_MAX, "nonce")};
        case 3: return LeafSetRequest{std::move(from)};
        case 4: return LeafSetReply{std::move(from), list(f[0], kMaxLeaves, "leaves")};
        case 5: return RowRequest{std::move(from), static_cast<std::uint32_t>(uint(f[0], kMaxRow, "row"))};
        case 6: {
            auto row = static_cast<std::uint32_t>(uint(f[0], kMaxRow, "row"));
            return RowReply{std::move(from), row, list(f[1], 256, "entries")};
        }
        case 7: return Ping{std::move(from), uint(f[0], UINT64_MAX, "nonce"), boolean(f[1], "want_leaves")};
        case 8: {
            auto nonce = uint(f[0], UINT64_MAX, "nonce");
            return Pong{std::move(from), nonce, list(f[1], kMaxLeaves, "leaves")};
        }
        case 9: return Departed{std::move(from)};
    }
    fail("unknown kind");
}

}  // namespace sr::pastry
