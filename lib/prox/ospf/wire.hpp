// OSPFv2 packet and LSA codec for sr-proxd's passive OSPF router (issue 12;
// DESIGN §2, §7). The first piece of the live IGP: bytes in, structs out,
// and back; no sockets, no clock.
//
// WHAT IT DOES
//   decode() takes an IP payload (protocol 89), checks the header (version
//   2, length, the area's authentication: none and simple with the IP
//   checksum, cryptographic MD5 of RFC 2328 D.4.3 or HMAC-SHA of RFC 5709,
//   whose trailer follows the packet) and decodes the five packet types:
//   Hello, Database Description, LS Request, LS Update and LS Ack. encode()
//   is its inverse, signing as the area says. LSAs (RFC 2328 A.4) keep
//   their bytes, as flooding and the database need them as received; a
//   decoded LSA has its header and, for the types the topology uses (router,
//   network, summary, ASBR summary, AS-external), its body. The LSA
//   checksum is Fletcher's (ISO 8473 annex C) over all but the age.
//
// DATA STRUCTURES
//   Packet{router_id, area_id, body} with body a variant of the five
//   packet structs; every struct has ==, so decode(encode(p)) == p is
//   testable. Addresses and router ids are host-order uint32_t.
//
// ERRORS
//   Every length is checked before it is used; nothing reads past the
//   input. A packet that is malformed, or fails its checksum or
//   authentication, throws OspfError (a sr::DecodeError) saying why; the
//   caller drops it and counts it.
#pragma once

#include "core/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sr::prox::ospf {

struct OspfError : sr::DecodeError {
    using sr::DecodeError::DecodeError;
};

inline constexpr std::uint8_t kVersion = 2;
inline constexpr std::size_t kHeaderSize = 24;
inline constexpr std::size_t kLsaHeaderSize = 20;
inline constexpr std::uint16_t kMaxAge = 3600;            // seconds (RFC 2328 B)
inline constexpr std::int32_t kInitialSequence = static_cast<std::int32_t>(0x80000001u);
inline constexpr std::uint16_t kMaxMetric = 0xffff;       // RFC 6987: a link no one routes through

enum class PacketType : std::uint8_t { hello = 1, db_description = 2, ls_request = 3, ls_update = 4, ls_ack = 5 };
enum class LsaType : std::uint8_t { router = 1, network = 2, summary = 3, asbr_summary = 4, external = 5 };

// Options (RFC 2328 A.2): E, the area takes AS-external LSAs.
inline constexpr std::uint8_t kOptionE = 0x02;
// Database Description flags (A.3.3).
inline constexpr std::uint8_t kFlagMasterSlave = 0x01, kFlagMore = 0x02, kFlagInit = 0x04;
// Router-LSA link types (A.4.2).
enum class LinkType : std::uint8_t { point_to_point = 1, transit = 2, stub = 3, virtual_link = 4 };

// The area's authentication (RFC 2328 D, RFC 5709). For the cryptographic
// kinds, key_id names the key and sequence (in encode) is the
// non-decreasing cryptographic sequence number sent.
struct Auth {
    enum class Kind { none, simple, md5, hmac_sha1, hmac_sha256, hmac_sha384, hmac_sha512 };
    Kind kind = Kind::none;
    std::string key;  // simple: up to 8 bytes; md5: up to 16
    std::uint8_t key_id = 0;
};

struct LsaKey {
    std::uint8_t type = 0;
    std::uint32_t id = 0;          // Link State ID
    std::uint32_t adv_router = 0;
    bool operator==(const LsaKey&) const = default;
    auto operator<=>(const LsaKey&) const = default;
};

struct LsaHeader {
    std::uint16_t age = 0;
    std::uint8_t options = 0;
    std::uint8_t type = 0;
    std::uint32_t id = 0;
    std::uint32_t adv_router = 0;
    std::int32_t seq = kInitialSequence;
    std::uint16_t checksum = 0;
    std::uint16_t length = 0;
    LsaKey key() const { return {type, id, adv_router}; }
    bool operator==(const LsaHeader&) const = default;
};

struct RouterLink {
    std::uint32_t id = 0, data = 0;
    LinkType type = LinkType::point_to_point;
    std::uint16_t metric = 0;  // TOS 0; other TOS metrics are skipped (RFC 2328 keeps them for compatibility only)
    bool operator==(const RouterLink&) const = default;
};
struct RouterLsa {
    std::uint8_t flags = 0;  // V, E (ASBR), B (ABR)
    std::vector<RouterLink> links;
    bool operator==(const RouterLsa&) const = default;
};
struct NetworkLsa {
    std::uint32_t mask = 0;
    std::vector<std::uint32_t> routers;
    bool operator==(const NetworkLsa&) const = default;
};
struct SummaryLsa {  // types 3 and 4
    std::uint32_t mask = 0;
    std::uint32_t metric = 0;  // 24 bits
    bool operator==(const SummaryLsa&) const = default;
};
struct ExternalLsa {
    std::uint32_t mask = 0;
    bool type2 = false;  // the E bit: a type 2 metric
    std::uint32_t metric = 0;
    std::uint32_t forwarding = 0;
    std::uint32_t tag = 0;
    bool operator==(const ExternalLsa&) const = default;
};
struct OtherLsa {  // a type the topology does not use: its body as received
    std::string body;
    bool operator==(const OtherLsa&) const = default;
};

struct Lsa {
    LsaHeader header;
    std::variant<RouterLsa, NetworkLsa, SummaryLsa, ExternalLsa, OtherLsa> body;
    bool operator==(const Lsa&) const = default;
};

struct Hello {
    std::uint32_t mask = 0;
    std::uint16_t hello_interval = 10;
    std::uint8_t options = kOptionE;
    std::uint8_t priority = 0;
    std::uint32_t dead_interval = 40;
    std::uint32_t dr = 0, bdr = 0;
    std::vector<std::uint32_t> neighbors;
    bool operator==(const Hello&) const = default;
};
struct DbDescription {
    std::uint16_t mtu = 1500;
    std::uint8_t options = kOptionE;
    std::uint8_t flags = 0;
    std::uint32_t seq = 0;
    std::vector<LsaHeader> headers;
    bool operator==(const DbDescription&) const = default;
};
struct LsRequest {
    std::vector<LsaKey> keys;
    bool operator==(const LsRequest&) const = default;
};
struct LsUpdate {
    std::vector<std::string> lsas;  // whole LSAs as on the wire (decode_lsa reads one)
    bool operator==(const LsUpdate&) const = default;
};
struct LsAck {
    std::vector<LsaHeader> headers;
    bool operator==(const LsAck&) const = default;
};

struct Packet {
    using Body = std::variant<Hello, DbDescription, LsRequest, LsUpdate, LsAck>;
    std::uint32_t router_id = 0;
    std::uint32_t area_id = 0;
    Body body;
    std::uint32_t crypto_sequence = 0;  // decoded from a cryptographically authenticated packet
    bool operator==(const Packet&) const = default;
    PacketType type() const { return static_cast<PacketType>(body.index() + 1); }
};

// The bytes that authentication adds after a packet (0 for none and simple).
std::size_t auth_trailer_size(const Auth& auth);

// An IP payload (protocol 89) as a packet, its authentication checked
// against `auth`. Throws OspfError.
Packet decode(std::string_view payload, const Auth& auth);
// The packet as an IP payload, authenticated as `auth` says (sequence: the
// cryptographic sequence number, ignored otherwise).
std::string encode(const Packet& p, const Auth& auth, std::uint32_t sequence = 0);

// One LSA from its bytes: length and Fletcher checksum checked, body decoded
// for the types above. Throws OspfError.
Lsa decode_lsa(std::string_view bytes);
// The LSA's bytes, its length and checksum computed (header.length and
// header.checksum are ignored).
std::string encode_lsa(const Lsa& lsa);
LsaHeader decode_lsa_header(std::string_view bytes);  // the first 20 bytes; throws OspfError

// The checksums: the IP one's complement sum (RFC 1071), and the LSA's
// Fletcher checksum of bytes[2..] as placed at offset 16 (RFC 2328 12.1.7).
std::uint16_t ip_checksum(std::string_view bytes);
std::uint16_t lsa_checksum(std::string_view lsa);
bool lsa_checksum_ok(std::string_view lsa);

// A router id or address as dotted quad, and back (throws OspfError).
std::string dotted(std::uint32_t a);
std::uint32_t parse_dotted(const std::string& s);

}  // namespace sr::prox::ospf
