#include "prox/isis/wire.hpp"

#include "core/secret.hpp"
#include "prox/big_endian.hpp"
#include "prox/iso_checksum.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>

namespace sr::prox::isis {

namespace {

constexpr std::uint8_t kDiscriminator = 0x83;
constexpr std::uint8_t kTlvAuth = 10;
constexpr std::uint8_t kAuthCleartext = 1, kAuthHmacMd5 = 54;
constexpr std::size_t kLspChecksumFrom = 12;  // the LSP ID; the checksum is at 24

std::uint8_t u8(std::string_view d, std::size_t at) { return static_cast<std::uint8_t>(d[at]); }
std::uint16_t u16(std::string_view d, std::size_t at) {
    return static_cast<std::uint16_t>(u8(d, at) << 8 | u8(d, at + 1));
}
std::uint32_t u24(std::string_view d, std::size_t at) {
    return std::uint32_t(u8(d, at)) << 16 | std::uint32_t(u8(d, at + 1)) << 8 | u8(d, at + 2);
}
std::uint32_t u32(std::string_view d, std::size_t at) { return std::uint32_t(u16(d, at)) << 16 | u16(d, at + 2); }

using be::put16;
using be::put24;
using be::put32;
using be::put8;
using be::set16;

std::size_t header_length(PduType t) {
    switch (t) {
    case PduType::l1_lan_hello:
    case PduType::l2_lan_hello:
    case PduType::l1_lsp:
    case PduType::l2_lsp: return 27;
    case PduType::p2p_hello: return 20;
    case PduType::l1_csnp:
    case PduType::l2_csnp: return 33;
    case PduType::l1_psnp:
    case PduType::l2_psnp: return 17;
    }
    return 0;
}

// Where the PDU length sits in each header.
std::size_t length_offset(PduType t) {
    switch (t) {
    case PduType::l1_lan_hello:
    case PduType::l2_lan_hello:
    case PduType::p2p_hello: return 17;
    default: return 8;
    }
}

bool is_lsp(PduType t) { return t == PduType::l1_lsp || t == PduType::l2_lsp; }

LspId read_lsp_id(std::string_view d, std::size_t at) {
    LspId id;
    std::memcpy(id.system.data(), d.data() + at, 6);
    id.pseudonode = u8(d, at + 6);
    id.fragment = u8(d, at + 7);
    return id;
}
void put_lsp_id(std::string& o, const LspId& id) {
    o.append(reinterpret_cast<const char*>(id.system.data()), 6);
    put8(o, id.pseudonode);
    put8(o, id.fragment);
}

// A prefix's significant bytes (RFC 5305 4, RFC 5308 2), checked to fit.
Prefix read_prefix(std::string_view v, std::size_t& at, int len, Family f, const char* what) {
    int max = f == Family::v4 ? 32 : 128;
    if (len > max) throw IsisError(std::string(what) + ": prefix length " + std::to_string(len));
    std::size_t n = static_cast<std::size_t>((len + 7) / 8);
    if (at + n > v.size()) throw IsisError(std::string(what) + ": truncated prefix");
    Address a;
    a.family = f;
    std::memcpy(a.bytes.data(), v.data() + at, n);
    at += n;
    return Prefix(a, len);  // host bits beyond the length are cleared
}

void parse_tlv(Tlvs& t, std::uint8_t type, std::string_view v) {
    auto need = [&](bool ok, const char* what) {
        if (!ok) throw IsisError(std::string("TLV ") + std::to_string(type) + ": " + what);
    };
    switch (type) {
    case 1:
        for (std::size_t at = 0; at < v.size();) {
            std::size_t n = u8(v, at);
            need(n >= 1 && at + 1 + n <= v.size(), "bad area address");
            t.areas.emplace_back(v.substr(at + 1, n));
            at += 1 + n;
        }
        break;
    case 6:
        need(v.size() % 6 == 0, "length not a multiple of 6");
        for (std::size_t at = 0; at < v.size(); at += 6) {
            Mac m;
            std::memcpy(m.data(), v.data() + at, 6);
            t.lan_neighbors.push_back(m);
        }
        break;
    case 9:
        need(v.size() % 16 == 0, "length not a multiple of 16");
        for (std::size_t at = 0; at < v.size(); at += 16)
            t.lsp_entries.push_back({u16(v, at), read_lsp_id(v, at + 2), u32(v, at + 10), u16(v, at + 14)});
        break;
    case 22:
        for (std::size_t at = 0; at < v.size();) {
            need(at + 11 <= v.size(), "truncated neighbour");
            IsReach r;
            std::memcpy(r.system.data(), v.data() + at, 6);
            r.pseudonode = u8(v, at + 6);
            r.metric = u24(v, at + 7);
            std::size_t sub = u8(v, at + 10);
            need(at + 11 + sub <= v.size(), "truncated sub-TLVs");
            at += 11 + sub;
            t.is_reach.push_back(r);
        }
        break;
    case 129:
        for (char c : v) t.protocols.push_back(static_cast<std::uint8_t>(c));
        break;
    case 132:
        need(v.size() % 4 == 0, "length not a multiple of 4");
        for (std::size_t at = 0; at < v.size(); at += 4) t.ipv4_addresses.push_back(u32(v, at));
        break;
    case 135:
        for (std::size_t at = 0; at < v.size();) {
            need(at + 5 <= v.size(), "truncated prefix");
            IpReach r;
            r.metric = u32(v, at);
            std::uint8_t control = u8(v, at + 4);
            r.down = control & 0x80;
            at += 5;
            r.prefix = read_prefix(v, at, control & 0x3f, Family::v4, "TLV 135");
            if (control & 0x40) {
                need(at < v.size() && at + 1 + u8(v, at) <= v.size(), "truncated sub-TLVs");
                at += 1 + u8(v, at);
            }
            t.ip_reach.push_back(r);
        }
        break;
    case 232:
        need(v.size() % 16 == 0, "length not a multiple of 16");
        for (std::size_t at = 0; at < v.size(); at += 16) {
            Address a;
            a.family = Family::v6;
            std::memcpy(a.bytes.data(), v.data() + at, 16);
            t.ipv6_addresses.push_back(a);
        }
        break;
    case 236:
        for (std::size_t at = 0; at < v.size();) {
            need(at + 6 <= v.size(), "truncated prefix");
            IpReach r;
            r.metric = u32(v, at);
            std::uint8_t flags = u8(v, at + 4);
            r.down = flags & 0x80;
            int len = u8(v, at + 5);
            at += 6;
            r.prefix = read_prefix(v, at, len, Family::v6, "TLV 236");
            if (flags & 0x20) {
                need(at < v.size() && at + 1 + u8(v, at) <= v.size(), "truncated sub-TLVs");
                at += 1 + u8(v, at);
            }
            t.ip_reach.push_back(r);
        }
        break;
    case 137:
        need(!v.empty(), "empty hostname");
        t.hostname = std::string(v);
        break;
    case 240: {
        need(v.size() == 1 || v.size() == 5 || v.size() == 11 || v.size() == 15, "bad length");
        ThreeWay w;
        w.state = u8(v, 0);
        need(w.state <= 2, "unknown state");
        if (v.size() >= 5) w.local_circuit = u32(v, 1);
        if (v.size() >= 11) {
            SystemId s;
            std::memcpy(s.data(), v.data() + 5, 6);
            w.neighbor = s;
        }
        if (v.size() == 15) w.neighbor_circuit = u32(v, 11);
        t.three_way = w;
        break;
    }
    default: break;  // not used here
    }
}

// One TLV, or several when the value is longer than 255 bytes; `item` is
// the size of the units that must not be split.
void put_tlv(std::string& o, std::uint8_t type, const std::string& value, std::size_t item = 1) {
    std::size_t per = 255 / item * item;
    for (std::size_t at = 0; at < value.size() || (at == 0 && value.empty()); at += per) {
        std::size_t n = std::min(per, value.size() - at);
        put8(o, type);
        put8(o, n);
        o.append(value, at, n);
        if (value.empty()) break;
    }
}

// Entries of variable size, packed into TLVs of at most 255 bytes.
void put_entries(std::string& o, std::uint8_t type, const std::vector<std::string>& entries) {
    std::string value;
    for (const auto& e : entries) {
        if (value.size() + e.size() > 255) {
            put_tlv(o, type, value);
            value.clear();
        }
        value += e;
    }
    if (!value.empty()) put_tlv(o, type, value);
}

std::string prefix_bytes(const Prefix& p) {
    return std::string(reinterpret_cast<const char*>(p.addr.bytes.data()), static_cast<std::size_t>((p.len + 7) / 8));
}

std::string encode_tlvs(const Tlvs& t) {
    std::string o;
    if (!t.areas.empty()) {
        std::string v;
        for (const auto& a : t.areas) {
            put8(v, a.size());
            v += a;
        }
        put_tlv(o, 1, v);
    }
    if (!t.protocols.empty()) put_tlv(o, 129, std::string(t.protocols.begin(), t.protocols.end()));
    if (t.hostname) put_tlv(o, 137, t.hostname->substr(0, 255));
    if (t.three_way) {
        std::string v;
        put8(v, t.three_way->state);
        if (t.three_way->local_circuit) {
            put32(v, *t.three_way->local_circuit);
            if (t.three_way->neighbor) {
                v.append(reinterpret_cast<const char*>(t.three_way->neighbor->data()), 6);
                if (t.three_way->neighbor_circuit) put32(v, *t.three_way->neighbor_circuit);
            }
        }
        put_tlv(o, 240, v);
    }
    if (!t.lan_neighbors.empty()) {
        std::string v;
        for (const auto& m : t.lan_neighbors) v.append(reinterpret_cast<const char*>(m.data()), 6);
        put_tlv(o, 6, v, 6);
    }
    if (!t.ipv4_addresses.empty()) {
        std::string v;
        for (auto a : t.ipv4_addresses) put32(v, a);
        put_tlv(o, 132, v, 4);
    }
    if (!t.ipv6_addresses.empty()) {
        std::string v;
        for (const auto& a : t.ipv6_addresses) v.append(reinterpret_cast<const char*>(a.bytes.data()), 16);
        put_tlv(o, 232, v, 16);
    }
    if (!t.is_reach.empty()) {
        std::vector<std::string> entries;
        for (const auto& r : t.is_reach) {
            std::string e(reinterpret_cast<const char*>(r.system.data()), 6);
            put8(e, r.pseudonode);
            put24(e, r.metric);
            put8(e, 0);
            entries.push_back(e);
        }
        put_entries(o, 22, entries);
    }
    std::vector<std::string> v4, v6;
    for (const auto& r : t.ip_reach) {
        std::string e;
        put32(e, r.metric);
        if (r.prefix.addr.family == Family::v4) {
            put8(e, (r.down ? 0x80 : 0) | r.prefix.len);
            v4.push_back(e + prefix_bytes(r.prefix));
        } else {
            put8(e, r.down ? 0x80 : 0);
            put8(e, r.prefix.len);
            v6.push_back(e + prefix_bytes(r.prefix));
        }
    }
    put_entries(o, 135, v4);
    put_entries(o, 236, v6);
    if (!t.lsp_entries.empty()) {
        std::string v;
        for (const auto& e : t.lsp_entries) {
            put16(v, e.lifetime);
            put_lsp_id(v, e.id);
            put32(v, e.seq);
            put16(v, e.checksum);
        }
        put_tlv(o, 9, v, 16);
    }
    return o;
}

// Checks the authentication TLV of `d` (at auth_at, or npos when absent).
void check_auth(std::string_view d, std::size_t auth_at, bool lsp, const Auth& auth) {
    if (auth.kind == Auth::Kind::none) return;
    if (auth_at == std::string_view::npos) throw IsisError("authentication: none in the PDU, a key is configured");
    std::size_t len = u8(d, auth_at + 1);
    if (len < 1) throw IsisError("authentication: empty TLV");
    std::uint8_t kind = u8(d, auth_at + 2);
    std::string_view value = d.substr(auth_at + 3, len - 1);
    if (auth.kind == Auth::Kind::cleartext) {
        if (kind != kAuthCleartext) throw IsisError("authentication: not cleartext");
        if (!same_secret(value, auth.key)) throw IsisError("authentication: wrong password");
        return;
    }
    if (kind != kAuthHmacMd5 || value.size() != 16) throw IsisError("authentication: not HMAC-MD5");
    std::string copy(d);
    std::fill(copy.begin() + static_cast<std::ptrdiff_t>(auth_at + 3), copy.begin() + static_cast<std::ptrdiff_t>(auth_at + 19), 0);
    if (lsp) {
        set16(copy, 10, 0);  // the lifetime and the checksum change in flight (RFC 5304 2)
        set16(copy, 24, 0);
    }
    if (!same_secret(hmac("MD5", auth.key, {copy}), value)) throw IsisError("authentication: HMAC-MD5 digest wrong (a different key?)");
}

}  // namespace

PduType pdu_type(std::string_view d) {
    if (d.size() < 8) throw IsisError("PDU shorter than its common header");
    if (u8(d, 0) != kDiscriminator) throw IsisError("not IS-IS (discriminator " + std::to_string(u8(d, 0)) + ")");
    if (u8(d, 2) != 1 || u8(d, 5) != 1) throw IsisError("version not 1");
    if (u8(d, 3) != 0 && u8(d, 3) != 6) throw IsisError("system id length " + std::to_string(u8(d, 3)) + ", not 6");
    auto t = static_cast<PduType>(u8(d, 4) & 0x1f);
    if (header_length(t) == 0) throw IsisError("unknown PDU type " + std::to_string(u8(d, 4) & 0x1f));
    return t;
}

Pdu decode(std::string_view in, const Auth& auth) {
    PduType type = pdu_type(in);
    std::size_t hl = header_length(type);
    if (u8(in, 1) != hl) throw IsisError("header length " + std::to_string(u8(in, 1)) + " for PDU type " + std::to_string(int(type)));
    if (in.size() < hl) throw IsisError("truncated header");
    std::size_t length = u16(in, length_offset(type));
    if (length < hl || length > in.size()) throw IsisError("PDU length " + std::to_string(length) + " outside the frame");
    std::string_view d = in.substr(0, length);  // frames are padded to the Ethernet minimum

    Tlvs tlvs;
    std::size_t auth_at = std::string_view::npos;
    for (std::size_t at = hl; at < d.size();) {
        if (at + 2 > d.size()) throw IsisError("truncated TLV header");
        std::uint8_t t = u8(d, at);
        std::size_t n = u8(d, at + 1);
        if (at + 2 + n > d.size()) throw IsisError("TLV " + std::to_string(t) + " past the end of the PDU");
        if (t == kTlvAuth && auth_at == std::string_view::npos) auth_at = at;
        else parse_tlv(tlvs, t, d.substr(at + 2, n));
        at += 2 + n;
    }
    // IPv4 reachability before IPv6, as encode writes them (TLV 135, then
    // 236), so that decode(encode(decode(x))) == decode(x) whatever the
    // order on the wire.
    std::stable_partition(tlvs.ip_reach.begin(), tlvs.ip_reach.end(),
                          [](const IpReach& r) { return r.prefix.addr.family == Family::v4; });
    check_auth(d, auth_at, is_lsp(type), auth);

    switch (type) {
    case PduType::l1_lan_hello:
    case PduType::l2_lan_hello:
    case PduType::p2p_hello: {
        Hello h;
        h.type = type;
        h.circuit_type = u8(d, 8) & 0x03;
        std::memcpy(h.source.data(), d.data() + 9, 6);
        h.holding_time = u16(d, 15);
        if (type == PduType::p2p_hello) {
            h.local_circuit = u8(d, 19);
        } else {
            h.priority = u8(d, 19) & 0x7f;
            std::memcpy(h.lan_id.data(), d.data() + 20, 7);
        }
        h.tlvs = std::move(tlvs);
        return h;
    }
    case PduType::l1_lsp:
    case PduType::l2_lsp: {
        Lsp l;
        l.level = type == PduType::l1_lsp ? 1 : 2;
        l.lifetime = u16(d, 10);
        l.id = read_lsp_id(d, 12);
        l.seq = u32(d, 20);
        l.checksum = u16(d, 24);
        l.flags = u8(d, 26);
        // A purge (lifetime 0) may carry any checksum (ISO 10589 7.3.16.4 b).
        if (l.lifetime != 0 && iso_checksum(d.substr(kLspChecksumFrom), 24 - kLspChecksumFrom) != l.checksum)
            throw IsisError("LSP " + lsp_id_text(l.id) + ": checksum wrong");
        l.tlvs = std::move(tlvs);
        return l;
    }
    default: {
        Snp s;
        s.level = type == PduType::l1_csnp || type == PduType::l1_psnp ? 1 : 2;
        s.complete = type == PduType::l1_csnp || type == PduType::l2_csnp;
        std::memcpy(s.source.data(), d.data() + 10, 7);
        if (s.complete) {
            s.start = read_lsp_id(d, 17);
            s.end = read_lsp_id(d, 25);
        }
        s.tlvs = std::move(tlvs);
        return s;
    }
    }
}

std::string encode(const Pdu& pdu, const Auth& auth) {
    PduType type;
    std::string o;
    std::visit(
        [&](const auto& p) {
            using T = std::decay_t<decltype(p)>;
            if constexpr (std::is_same_v<T, Hello>) {
                type = p.type;
            } else if constexpr (std::is_same_v<T, Lsp>) {
                type = p.level == 1 ? PduType::l1_lsp : PduType::l2_lsp;
            } else {
                type = p.complete ? (p.level == 1 ? PduType::l1_csnp : PduType::l2_csnp)
                                  : (p.level == 1 ? PduType::l1_psnp : PduType::l2_psnp);
            }
            std::size_t hl = header_length(type);
            put8(o, kDiscriminator);
            put8(o, hl);
            put8(o, 1);
            put8(o, 0);
            put8(o, static_cast<std::uint8_t>(type));
            put8(o, 1);
            put8(o, 0);
            put8(o, 0);
            if constexpr (std::is_same_v<T, Hello>) {
                put8(o, p.circuit_type);
                o.append(reinterpret_cast<const char*>(p.source.data()), 6);
                put16(o, p.holding_time);
                put16(o, 0);  // length, below
                if (type == PduType::p2p_hello) {
                    put8(o, p.local_circuit);
                } else {
                    put8(o, p.priority & 0x7f);
                    o.append(reinterpret_cast<const char*>(p.lan_id.data()), 7);
                }
            } else if constexpr (std::is_same_v<T, Lsp>) {
                put16(o, 0);
                put16(o, 0);  // lifetime: zero while signing
                put_lsp_id(o, p.id);
                put32(o, p.seq);
                put16(o, 0);
                put8(o, p.flags);
            } else {
                put16(o, 0);
                o.append(reinterpret_cast<const char*>(p.source.data()), 7);
                if (p.complete) {
                    put_lsp_id(o, p.start);
                    put_lsp_id(o, p.end);
                }
            }
            std::size_t auth_at = std::string::npos;
            if (auth.kind == Auth::Kind::cleartext) {
                put8(o, kTlvAuth);
                put8(o, 1 + auth.key.size());
                put8(o, kAuthCleartext);
                o += auth.key;
            } else if (auth.kind == Auth::Kind::hmac_md5) {
                auth_at = o.size();
                put8(o, kTlvAuth);
                put8(o, 17);
                put8(o, kAuthHmacMd5);
                o.append(16, '\0');
            }
            o += encode_tlvs(p.tlvs);
            set16(o, length_offset(type), o.size());
            if (auth_at != std::string::npos) {
                std::string digest = hmac("MD5", auth.key, {o});
                std::memcpy(o.data() + auth_at + 3, digest.data(), 16);
            }
            if constexpr (std::is_same_v<T, Lsp>) {
                set16(o, 10, p.lifetime);
                set16(o, 24, iso_checksum(std::string_view(o).substr(kLspChecksumFrom), 24 - kLspChecksumFrom));
            }
        },
        pdu);
    return o;
}

LspEntry lsp_entry(std::string_view d) {
    if (d.size() < 27) return {};
    return {u16(d, 10), read_lsp_id(d, 12), u32(d, 20), u16(d, 24)};
}

std::string with_lifetime(std::string lsp, std::uint16_t lifetime) {
    if (lsp.size() >= 12) set16(lsp, 10, lifetime);
    return lsp;
}

std::string system_id_text(const SystemId& s) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02x%02x.%02x%02x.%02x%02x", s[0], s[1], s[2], s[3], s[4], s[5]);
    return buf;
}

std::string lsp_id_text(const LspId& id) {
    char buf[8];
    std::snprintf(buf, sizeof buf, ".%02x-%02x", id.pseudonode, id.fragment);
    return system_id_text(id.system) + buf;
}

namespace {

// The hex digits of a dotted NET or system id, dots removed.
std::string hex_digits(const std::string& text) {
    std::string hex;
    for (char c : text) {
        if (c == '.') continue;
        if (!std::isxdigit(static_cast<unsigned char>(c))) throw IsisError("'" + text + "': not hex digits and dots");
        hex += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (hex.size() % 2) throw IsisError("'" + text + "': an odd number of hex digits");
    return hex;
}

std::string hex_bytes(const std::string& hex) {
    std::string out;
    for (std::size_t i = 0; i < hex.size(); i += 2) out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    return out;
}

}  // namespace

SystemId parse_system_id(const std::string& text) {
    std::string bytes = hex_bytes(hex_digits(text));
    if (bytes.size() != 6 && (bytes.size() < 8 || bytes.size() > 20))
        throw IsisError("'" + text + "': want a system id (0000.0000.0001) or a NET (49.0001.0000.0000.0001.00)");
    if (bytes.size() != 6) {
        if (bytes.back() != 0) throw IsisError("'" + text + "': a NET ends with the selector 00");
        bytes = bytes.substr(bytes.size() - 7, 6);
    }
    SystemId s;
    std::memcpy(s.data(), bytes.data(), 6);
    return s;
}

std::string net_area(const std::string& net) {
    std::string bytes = hex_bytes(hex_digits(net));
    if (bytes.size() < 8 || bytes.size() > 20) throw IsisError("'" + net + "': not a NET (49.0001.0000.0000.0001.00)");
    return bytes.substr(0, bytes.size() - 7);
}

}  // namespace sr::prox::isis
