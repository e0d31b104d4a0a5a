// IS-IS PDU codec for sr-proxd's passive IS-IS (issue 12): ISO 10589 with
// wide metrics (RFC 5305), IPv6 (RFC 5308), dynamic hostnames (RFC 5301),
// the three-way point-to-point handshake (RFC 5303) and HMAC-MD5
// authentication (RFC 5304). Bytes in, structs out, and back; no sockets,
// no clock.
//
// WHAT IT DOES
//   decode() takes a PDU as it follows the LLC header (0xFE 0xFE 0x03) of
//   an 802.3 frame: the common header (discriminator 0x83, ID length 6),
//   then one of LAN Hello (levels 1, 2), point-to-point Hello, LSP, CSNP and
//   PSNP (levels 1, 2), and their TLVs. It checks the authentication TLV
//   (10) against the key given: cleartext, or HMAC-MD5 over the PDU with the
//   digest zeroed (and, for an LSP, its checksum and lifetime zeroed). An
//   LSP's Fletcher checksum (from the LSP ID on) is checked unless its
//   lifetime is 0 (a purge). encode() is its inverse and signs and
//   checksums as it goes.
//
// DATA STRUCTURES
//   Pdu is a variant of Hello, Lsp and Snp, each with the TLVs the topology
//   and the adjacencies use, decoded (Tlvs); others are skipped (an LSP
//   keeps its bytes for flooding anyway). System ids are 6 bytes, LSP ids
//   8 (system id, pseudonode, fragment). Every struct has ==.
//
// ERRORS
//   Every length is checked before it is used. A malformed PDU, or one
//   failing its checksum or authentication, throws IsisError (a
//   sr::DecodeError) saying why.
#pragma once

#include "core/error.hpp"
#include "prox/address.hpp"

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace sr::prox::isis {

struct IsisError : sr::DecodeError {
    using sr::DecodeError::DecodeError;
};

enum class PduType : std::uint8_t {
    l1_lan_hello = 15,
    l2_lan_hello = 16,
    p2p_hello = 17,
    l1_lsp = 18,
    l2_lsp = 20,
    l1_csnp = 24,
    l2_csnp = 25,
    l1_psnp = 26,
    l2_psnp = 27,
};

inline constexpr std::uint8_t kNlpidIpv4 = 0xcc, kNlpidIpv6 = 0x8e;
inline constexpr std::uint32_t kMaxWideMetric = 0xfffffe;  // RFC 5305: 0xffffff keeps a link out of SPF
// LSP flags (the byte after the checksum): overload and the IS type.
inline constexpr std::uint8_t kLspOverload = 0x04;
inline constexpr std::uint8_t kIsTypeL1 = 0x01, kIsTypeL2 = 0x03;

using SystemId = std::array<std::uint8_t, 6>;
using Mac = std::array<std::uint8_t, 6>;

struct LspId {
    SystemId system{};
    std::uint8_t pseudonode = 0;
    std::uint8_t fragment = 0;
    auto operator<=>(const LspId&) const = default;
};

struct LspEntry {  // TLV 9, and an LSP's header
    std::uint16_t lifetime = 0;
    LspId id;
    std::uint32_t seq = 0;
    std::uint16_t checksum = 0;
    bool operator==(const LspEntry&) const = default;
};

struct IsReach {  // TLV 22: a neighbour (a router, or a LAN's pseudonode)
    SystemId system{};
    std::uint8_t pseudonode = 0;
    std::uint32_t metric = 0;  // 24 bits
    bool operator==(const IsReach&) const = default;
};

struct IpReach {  // TLV 135 (IPv4) and 236 (IPv6)
    Prefix prefix;
    std::uint32_t metric = 0;
    bool down = false;  // the up/down bit: leaked from level 2 to 1
    bool operator==(const IpReach&) const = default;
};

struct ThreeWay {  // TLV 240 (RFC 5303)
    enum State : std::uint8_t { up = 0, initializing = 1, down = 2 };
    std::uint8_t state = down;
    std::optional<std::uint32_t> local_circuit;
    std::optional<SystemId> neighbor;
    std::optional<std::uint32_t> neighbor_circuit;
    bool operator==(const ThreeWay&) const = default;
};

struct Tlvs {
    std::vector<std::string> areas;       // 1
    std::vector<Mac> lan_neighbors;       // 6
    std::vector<LspEntry> lsp_entries;    // 9
    std::vector<IsReach> is_reach;        // 22
    std::vector<std::uint8_t> protocols;  // 129
    std::vector<std::uint32_t> ipv4_addresses;  // 132
    std::vector<IpReach> ip_reach;        // 135 and 236
    std::vector<Address> ipv6_addresses;  // 232
    std::optional<std::string> hostname;  // 137
    std::optional<ThreeWay> three_way;    // 240
    bool operator==(const Tlvs&) const = default;
};

struct Hello {
    PduType type = PduType::p2p_hello;
    std::uint8_t circuit_type = 2;  // 1: level 1, 2: level 2, 3: both
    SystemId source{};
    std::uint16_t holding_time = 30;
    std::uint8_t priority = 0;                  // LAN
    std::array<std::uint8_t, 7> lan_id{};       // LAN: the DIS's system id and pseudonode
    std::uint8_t local_circuit = 0;             // point-to-point
    Tlvs tlvs;
    bool operator==(const Hello&) const = default;
};

struct Lsp {
    int level = 2;
    std::uint16_t lifetime = 1200;  // remaining, seconds
    LspId id;
    std::uint32_t seq = 1;
    std::uint16_t checksum = 0;  // decoded; computed by encode
    std::uint8_t flags = kIsTypeL2;
    Tlvs tlvs;
    bool overload() const { return flags & kLspOverload; }
    LspEntry entry() const { return {lifetime, id, seq, checksum}; }
    bool operator==(const Lsp&) const = default;
};

struct Snp {
    int level = 2;
    bool complete = true;  // CSNP, else PSNP
    std::array<std::uint8_t, 7> source{};
    LspId start, end;      // CSNP: the range it describes
    Tlvs tlvs;             // lsp_entries
    bool operator==(const Snp&) const = default;
};

using Pdu = std::variant<Hello, Lsp, Snp>;

struct Auth {
    enum class Kind { none, cleartext, hmac_md5 };
    Kind kind = Kind::none;
    std::string key;
};

// A PDU (after the LLC header), its authentication checked against `auth`.
// Throws IsisError.
Pdu decode(std::string_view pdu, const Auth& auth);
// The PDU's bytes, authenticated as `auth` says; an LSP's checksum computed.
std::string encode(const Pdu& pdu, const Auth& auth);
PduType pdu_type(std::string_view pdu);  // throws IsisError for a short or foreign header

// An LSP's header from its bytes (as stored and flooded), without checks.
LspEntry lsp_entry(std::string_view lsp);
// The bytes of an LSP with another remaining lifetime (its checksum does
// not cover the lifetime).
std::string with_lifetime(std::string lsp, std::uint16_t lifetime);

std::string system_id_text(const SystemId& s);  // "0000.0000.0001"
std::string lsp_id_text(const LspId& id);       // "0000.0000.0001.00-00"
// "0000.0000.0001", or a NET "49.0001.0000.0000.0001.00" (area, system id,
// selector 00); throws IsisError.
SystemId parse_system_id(const std::string& text);
// The area address of a NET ("49.0001.0000.0000.0001.00" -> 49 00 01).
std::string net_area(const std::string& net);

}  // namespace sr::prox::isis
