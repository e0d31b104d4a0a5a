#include "prox/ospf/wire.hpp"

#include "core/secret.hpp"
#include "prox/big_endian.hpp"
#include "prox/iso_checksum.hpp"

#include <openssl/evp.h>

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace sr::prox::ospf {

namespace {

// Reads from a view; any read past the end throws OspfError naming `what`.
class Reader {
  public:
    Reader(std::string_view d, const char* what) : d_(d), what_(what) {}
    std::size_t left() const { return d_.size(); }
    std::uint8_t u8() { return static_cast<std::uint8_t>(take(1)[0]); }
    std::uint16_t u16() {
        auto t = take(2);
        return static_cast<std::uint16_t>(b(t, 0) << 8 | b(t, 1));
    }
    std::uint32_t u32() {
        auto t = take(4);
        return std::uint32_t(b(t, 0)) << 24 | std::uint32_t(b(t, 1)) << 16 | std::uint32_t(b(t, 2)) << 8 | b(t, 3);
    }
    std::string_view take(std::size_t n) {
        if (d_.size() < n) throw OspfError(std::string(what_) + ": truncated");
        auto v = d_.substr(0, n);
        d_.remove_prefix(n);
        return v;
    }

  private:
    static std::uint8_t b(std::string_view t, std::size_t i) { return static_cast<std::uint8_t>(t[i]); }
    std::string_view d_;
    const char* what_;
};

using be::put16;
using be::put32;
using be::put8;
using be::set16;

void put_lsa_header(std::string& o, const LsaHeader& h) {
    put16(o, h.age);
    put8(o, h.options);
    put8(o, h.type);
    put32(o, h.id);
    put32(o, h.adv_router);
    put32(o, static_cast<std::uint32_t>(h.seq));
    put16(o, h.checksum);
    put16(o, h.length);
}

LsaHeader read_lsa_header(Reader& r) {
    LsaHeader h;
    h.age = r.u16();
    h.options = r.u8();
    h.type = r.u8();
    h.id = r.u32();
    h.adv_router = r.u32();
    h.seq = static_cast<std::int32_t>(r.u32());
    h.checksum = r.u16();
    h.length = r.u16();
    return h;
}

// The digest length of a cryptographic kind (the trailer's length).
std::size_t digest_size(Auth::Kind k) {
    switch (k) {
    case Auth::Kind::md5: return 16;
    case Auth::Kind::hmac_sha1: return 20;
    case Auth::Kind::hmac_sha256: return 32;
    case Auth::Kind::hmac_sha384: return 48;
    case Auth::Kind::hmac_sha512: return 64;
    default: return 0;
    }
}

const char* digest_name(Auth::Kind k) {
    switch (k) {
    case Auth::Kind::hmac_sha1: return "SHA1";
    case Auth::Kind::hmac_sha256: return "SHA256";
    case Auth::Kind::hmac_sha384: return "SHA384";
    default: return "SHA512";
    }
}

std::string hash(const char* name, std::string_view data) {
    std::string out(EVP_MAX_MD_SIZE, '\0');
    unsigned n = 0;
    EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(out.data()), &n,
               EVP_get_digestbyname(name), nullptr);
    out.resize(n);
    return out;
}

// The trailer of a cryptographically authenticated packet (the packet's
// bytes, header's authentication fields set).
std::string digest(const Auth& auth, std::string_view packet) {
    std::size_t n = digest_size(auth.kind);
    if (auth.kind == Auth::Kind::md5) {
        // RFC 2328 D.4.3: MD5 of the packet followed by the key, padded to 16 bytes.
        std::string key = auth.key.substr(0, 16);
        key.resize(16, '\0');
        return hash("MD5", std::string(packet) + key);
    }
    // RFC 5709 3.3: the key made L bytes long (hashed if longer, zero-padded
    // if shorter), then HMAC over the packet followed by L bytes of Apad.
    std::string key = auth.key;
    if (key.size() > n) key = hash(digest_name(auth.kind), key);
    key.resize(n, '\0');
    static const unsigned char apad[4] = {0x87, 0x8f, 0xe1, 0xf3};
    std::string apad_bytes;
    for (std::size_t i = 0; i < n; ++i) apad_bytes.push_back(static_cast<char>(apad[i % 4]));
    return sr::hmac(digest_name(auth.kind), key, {packet, apad_bytes});
}

std::uint16_t auth_type(Auth::Kind k) {
    return k == Auth::Kind::none ? 0 : k == Auth::Kind::simple ? 1 : 2;
}

}  // namespace

std::size_t auth_trailer_size(const Auth& auth) { return digest_size(auth.kind); }

std::uint16_t ip_checksum(std::string_view bytes) {
    std::uint32_t sum = 0;
    for (std::size_t i = 0; i + 1 < bytes.size(); i += 2)
        sum += static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i]) << 8 | static_cast<std::uint8_t>(bytes[i + 1]));
    if (bytes.size() % 2) sum += static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes.back()) << 8);
    while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
    return static_cast<std::uint16_t>(~sum & 0xffff);
}

std::uint16_t lsa_checksum(std::string_view lsa) {
    // Over lsa[2..]: the age is left out, as it changes in flight. The
    // checksum sits at offset 14 of that range.
    if (lsa.size() < kLsaHeaderSize) return 0;
    return iso_checksum(lsa.substr(2), 14);
}

bool lsa_checksum_ok(std::string_view lsa) {
    if (lsa.size() < kLsaHeaderSize) return false;
    std::uint16_t stored = static_cast<std::uint16_t>(static_cast<std::uint8_t>(lsa[16]) << 8 | static_cast<std::uint8_t>(lsa[17]));
    return stored != 0 && stored == lsa_checksum(lsa);
}

std::string dotted(std::uint32_t a) {
    return std::to_string(a >> 24) + "." + std::to_string((a >> 16) & 0xff) + "." + std::to_string((a >> 8) & 0xff) +
           "." + std::to_string(a & 0xff);
}

std::uint32_t parse_dotted(const std::string& s) {
    in_addr a{};
    if (inet_pton(AF_INET, s.c_str(), &a) != 1) throw OspfError("not a dotted quad: " + s);
    return ntohl(a.s_addr);
}

LsaHeader decode_lsa_header(std::string_view bytes) {
    Reader r(bytes, "LSA header");
    return read_lsa_header(r);
}

Lsa decode_lsa(std::string_view bytes) {
    Reader r(bytes, "LSA");
    Lsa lsa;
    lsa.header = read_lsa_header(r);
    if (lsa.header.length < kLsaHeaderSize || lsa.header.length != bytes.size())
        throw OspfError("LSA length " + std::to_string(lsa.header.length) + " does not match its " +
                        std::to_string(bytes.size()) + " bytes");
    if (!lsa_checksum_ok(bytes)) throw OspfError("LSA checksum wrong");
    switch (static_cast<LsaType>(lsa.header.type)) {
    case LsaType::router: {
        RouterLsa body;
        body.flags = r.u8();
        r.u8();
        std::uint16_t n = r.u16();
        for (std::uint16_t i = 0; i < n; ++i) {
            RouterLink l;
            l.id = r.u32();
            l.data = r.u32();
            std::uint8_t type = r.u8();
            if (type < 1 || type > 4) throw OspfError("router-LSA link of type " + std::to_string(type));
            l.type = static_cast<LinkType>(type);
            std::uint8_t tos = r.u8();
            l.metric = r.u16();
            r.take(std::size_t{tos} * 4);  // TOS metrics, unused (RFC 2328 A.4.2)
            body.links.push_back(l);
        }
        lsa.body = std::move(body);
        break;
    }
    case LsaType::network: {
        NetworkLsa body;
        body.mask = r.u32();
        if (r.left() % 4) throw OspfError("network-LSA of a partial router id");
        while (r.left() > 0) body.routers.push_back(r.u32());
        lsa.body = std::move(body);
        break;
    }
    case LsaType::summary:
    case LsaType::asbr_summary: {
        SummaryLsa body;
        body.mask = r.u32();
        body.metric = r.u32() & 0xffffff;  // TOS 0 in the first byte
        lsa.body = body;
        break;
    }
    case LsaType::external: {
        ExternalLsa body;
        body.mask = r.u32();
        std::uint32_t em = r.u32();
        body.type2 = em & 0x80000000u;
        body.metric = em & 0xffffff;
        body.forwarding = r.u32();
        body.tag = r.u32();
        lsa.body = body;
        break;
    }
    default: lsa.body = OtherLsa{std::string(r.take(r.left()))};
    }
    return lsa;
}

std::string encode_lsa(const Lsa& lsa) {
    std::string o;
    LsaHeader h = lsa.header;
    h.checksum = 0;
    h.length = 0;
    put_lsa_header(o, h);
    std::visit(
        [&](const auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, RouterLsa>) {
                put8(o, b.flags);
                put8(o, 0);
                put16(o, static_cast<std::uint32_t>(b.links.size()));
                for (const auto& l : b.links) {
                    put32(o, l.id);
                    put32(o, l.data);
                    put8(o, static_cast<std::uint8_t>(l.type));
                    put8(o, 0);
                    put16(o, l.metric);
                }
            } else if constexpr (std::is_same_v<T, NetworkLsa>) {
                put32(o, b.mask);
                for (auto r : b.routers) put32(o, r);
            } else if constexpr (std::is_same_v<T, SummaryLsa>) {
                put32(o, b.mask);
                put32(o, b.metric & 0xffffff);
            } else if constexpr (std::is_same_v<T, ExternalLsa>) {
                put32(o, b.mask);
                put32(o, (b.type2 ? 0x80000000u : 0) | (b.metric & 0xffffff));
                put32(o, b.forwarding);
                put32(o, b.tag);
            } else {
                o += b.body;
            }
        },
        lsa.body);
    set16(o, 18, static_cast<std::uint32_t>(o.size()));
    set16(o, 16, lsa_checksum(o));
    return o;
}

Packet decode(std::string_view payload, const Auth& auth) {
    Reader r(payload, "OSPF packet");
    if (r.u8() != kVersion) throw OspfError("not OSPF version 2");
    std::uint8_t type = r.u8();
    if (type < 1 || type > 5) throw OspfError("packet type " + std::to_string(type));
    std::uint16_t length = r.u16();
    if (length < kHeaderSize || length > payload.size()) throw OspfError("packet length " + std::to_string(length));
    Packet p;
    p.router_id = r.u32();
    p.area_id = r.u32();
    std::uint16_t checksum = r.u16();
    std::uint16_t autype = r.u16();
    std::string_view authfield = payload.substr(16, 8);
    r.take(8);
    if (autype != auth_type(auth.kind))
        throw OspfError("authentication type " + std::to_string(autype) + " where the area has " +
                        std::to_string(auth_type(auth.kind)));
    std::string_view packet = payload.substr(0, length);
    if (autype == 2) {
        std::uint8_t key_id = static_cast<std::uint8_t>(authfield[2]);
        std::uint8_t len = static_cast<std::uint8_t>(authfield[3]);
        if (key_id != auth.key_id) throw OspfError("authentication key id " + std::to_string(key_id) + " unknown");
        if (len != digest_size(auth.kind) || payload.size() < std::size_t{length} + len)
            throw OspfError("authentication digest of " + std::to_string(len) + " bytes");
        p.crypto_sequence = std::uint32_t(static_cast<std::uint8_t>(authfield[4])) << 24 |
                            std::uint32_t(static_cast<std::uint8_t>(authfield[5])) << 16 |
                            std::uint32_t(static_cast<std::uint8_t>(authfield[6])) << 8 |
                            static_cast<std::uint8_t>(authfield[7]);
        if (!sr::same_secret(digest(auth, packet), payload.substr(length, len)))
            throw OspfError("authentication digest wrong (a different key?)");
    } else {
        // The IP checksum over the packet without its authentication field.
        std::string copy(packet);
        std::memset(copy.data() + 16, 0, 8);
        copy[12] = copy[13] = 0;
        if (ip_checksum(copy) != checksum) throw OspfError("packet checksum wrong");
        if (autype == 1) {
            std::string key = auth.key.substr(0, 8);
            key.resize(8, '\0');
            if (!sr::same_secret(authfield, key)) throw OspfError("simple password wrong");
        }
    }
    Reader b(packet.substr(kHeaderSize), "OSPF packet body");
    switch (static_cast<PacketType>(type)) {
    case PacketType::hello: {
        Hello h;
        h.mask = b.u32();
        h.hello_interval = b.u16();
        h.options = b.u8();
        h.priority = b.u8();
        h.dead_interval = b.u32();
        h.dr = b.u32();
        h.bdr = b.u32();
        if (b.left() % 4) throw OspfError("Hello with a partial neighbour");
        while (b.left() > 0) h.neighbors.push_back(b.u32());
        p.body = std::move(h);
        break;
    }
    case PacketType::db_description: {
        DbDescription d;
        d.mtu = b.u16();
        d.options = b.u8();
        d.flags = b.u8();
        d.seq = b.u32();
        if (b.left() % kLsaHeaderSize) throw OspfError("Database Description with a partial LSA header");
        while (b.left() > 0) d.headers.push_back(read_lsa_header(b));
        p.body = std::move(d);
        break;
    }
    case PacketType::ls_request: {
        LsRequest q;
        if (b.left() % 12) throw OspfError("LS Request with a partial entry");
        while (b.left() > 0) {
            LsaKey k;
            k.type = static_cast<std::uint8_t>(b.u32());
            k.id = b.u32();
            k.adv_router = b.u32();
            q.keys.push_back(k);
        }
        p.body = std::move(q);
        break;
    }
    case PacketType::ls_update: {
        LsUpdate u;
        std::uint32_t n = b.u32();
        for (std::uint32_t i = 0; i < n; ++i) {
            if (b.left() < kLsaHeaderSize) throw OspfError("LS Update with fewer LSAs than it counts");
            std::string_view rest = b.take(b.left());
            std::uint16_t len = static_cast<std::uint16_t>(static_cast<std::uint8_t>(rest[18]) << 8 | static_cast<std::uint8_t>(rest[19]));
            if (len < kLsaHeaderSize || len > rest.size()) throw OspfError("LS Update with an LSA of length " + std::to_string(len));
            u.lsas.emplace_back(rest.substr(0, len));
            b = Reader(rest.substr(len), "OSPF packet body");
        }
        p.body = std::move(u);
        break;
    }
    case PacketType::ls_ack: {
        LsAck a;
        if (b.left() % kLsaHeaderSize) throw OspfError("LS Ack with a partial LSA header");
        while (b.left() > 0) a.headers.push_back(read_lsa_header(b));
        p.body = std::move(a);
        break;
    }
    }
    return p;
}

std::string encode(const Packet& p, const Auth& auth, std::uint32_t sequence) {
    std::string o;
    put8(o, kVersion);
    put8(o, static_cast<std::uint8_t>(p.type()));
    put16(o, 0);  // length, below
    put32(o, p.router_id);
    put32(o, p.area_id);
    put16(o, 0);  // checksum, below
    put16(o, auth_type(auth.kind));
    put32(o, 0);
    put32(o, 0);
    std::visit(
        [&](const auto& b) {
            using T = std::decay_t<decltype(b)>;
            if constexpr (std::is_same_v<T, Hello>) {
                put32(o, b.mask);
                put16(o, b.hello_interval);
                put8(o, b.options);
                put8(o, b.priority);
                put32(o, b.dead_interval);
                put32(o, b.dr);
                put32(o, b.bdr);
                for (auto n : b.neighbors) put32(o, n);
            } else if constexpr (std::is_same_v<T, DbDescription>) {
                put16(o, b.mtu);
                put8(o, b.options);
                put8(o, b.flags);
                put32(o, b.seq);
                for (const auto& h : b.headers) put_lsa_header(o, h);
            } else if constexpr (std::is_same_v<T, LsRequest>) {
                for (const auto& k : b.keys) {
                    put32(o, k.type);
                    put32(o, k.id);
                    put32(o, k.adv_router);
                }
            } else if constexpr (std::is_same_v<T, LsUpdate>) {
                put32(o, static_cast<std::uint32_t>(b.lsas.size()));
                for (const auto& l : b.lsas) o += l;
            } else {
                for (const auto& h : b.headers) put_lsa_header(o, h);
            }
        },
        p.body);
    set16(o, 2, static_cast<std::uint32_t>(o.size()));
    if (auth_type(auth.kind) == 2) {
        o[18] = static_cast<char>(auth.key_id);
        o[19] = static_cast<char>(digest_size(auth.kind));
        o[20] = static_cast<char>(sequence >> 24);
        o[21] = static_cast<char>(sequence >> 16);
        o[22] = static_cast<char>(sequence >> 8);
        o[23] = static_cast<char>(sequence);
        o += digest(auth, o);  // the trailer, after the packet's length
        return o;
    }
    set16(o, 12, ip_checksum(o));  // the authentication field is still zero
    if (auth.kind == Auth::Kind::simple) {
        std::string key = auth.key.substr(0, 8);
        key.resize(8, '\0');
        std::memcpy(o.data() + 16, key.data(), 8);
    }
    return o;
}

}  // namespace sr::prox::ospf
