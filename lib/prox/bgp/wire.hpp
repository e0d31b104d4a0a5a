// BGP-4 message codec for sr-proxd's passive BGP speaker (DESIGN §2, §7).
//
// WHAT IT DOES
//   The only code that knows BGP bytes. Frames a TCP byte stream into whole
//   messages (Framer), decodes them into plain structs (decode) and encodes
//   structs back into bytes (encode): OPEN with capabilities (RFC 4271,
//   RFC 5492; multiprotocol RFC 4760, route refresh RFC 2918, 4-octet AS
//   RFC 6793; any other capability is kept raw and ignored), UPDATE with the
//   path attributes of RFC 4271, RFC 1997, RFC 8092, RFC 4760 and RFC 6793,
//   NOTIFICATION, KEEPALIVE and ROUTE-REFRESH. Extended messages (RFC 8654),
//   add-path and extended next hop are not supported (never negotiated).
//
// DATA STRUCTURES
//   Message = variant<Open, Update, Notification, Keepalive, RouteRefresh>,
//   each a struct of values with ==, so decode(encode(m)) == m is testable.
//   Prefixes and addresses are sr::prox::Prefix / Address (prox/address.hpp).
//   An Update keeps what the wire says (AS_PATH and AS4_PATH separately);
//   effective_as_path() applies the RFC 6793 merge for a 2-octet peer.
//
// ERRORS
//   Every length is checked before it is used; nothing reads past the input.
//   A message the session must be reset for throws BgpError (a
//   sr::DecodeError) carrying the NOTIFICATION code, subcode and data to send:
//   header errors 1/x, OPEN errors 2/x, UPDATE errors that leave the NLRI
//   unknowable 3/x. Attribute errors follow RFC 7606 instead: the decoder
//   sets Update::treat_as_withdraw (the session withdraws every prefix the
//   UPDATE names) or discards just the attribute, and notes why in
//   Update::errors. See update.cpp for the per-attribute rules.
#pragma once

#include "core/error.hpp"
#include "prox/address.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace sr::prox::bgp {

inline constexpr std::size_t kHeaderSize = 19;
inline constexpr std::size_t kMaxMessageSize = 4096;
inline constexpr std::uint8_t kVersion = 4;
inline constexpr std::uint16_t kAsTrans = 23456;  // RFC 6793

enum class MessageType : std::uint8_t { open = 1, update = 2, notification = 3, keepalive = 4, route_refresh = 5 };

// NOTIFICATION error codes and subcodes (RFC 4271 §4.5, RFC 6608, RFC 4486).
namespace errc {
inline constexpr std::uint8_t header = 1, open = 2, update = 3, hold_timer_expired = 4, fsm = 5, cease = 6;
// header
inline constexpr std::uint8_t not_synchronized = 1, bad_message_length = 2, bad_message_type = 3;
// open
inline constexpr std::uint8_t unsupported_version = 1, bad_peer_as = 2, bad_bgp_id = 3,
                              unsupported_optional_parameter = 4, unacceptable_hold_time = 6;
// update
inline constexpr std::uint8_t malformed_attribute_list = 1, optional_attribute_error = 9,
                              invalid_network_field = 10;
// fsm
inline constexpr std::uint8_t unexpected_in_open_sent = 1, unexpected_in_open_confirm = 2,
                              unexpected_in_established = 3;
// cease
inline constexpr std::uint8_t administrative_shutdown = 2, administrative_reset = 4;
}  // namespace errc

// A decoding failure that resets the session: send NOTIFICATION(code,
// subcode, data), then close.
struct BgpError : sr::DecodeError {
    std::uint8_t code;
    std::uint8_t subcode;
    std::string data;
    BgpError(std::uint8_t code_, std::uint8_t subcode_, const std::string& what, std::string data_ = {})
        : sr::DecodeError(what), code(code_), subcode(subcode_), data(std::move(data_)) {}
};

// Address families (only unicast IPv4 and IPv6 are understood).
inline constexpr std::uint16_t kAfiIpv4 = 1, kAfiIpv6 = 2;
inline constexpr std::uint8_t kSafiUnicast = 1;
struct AfiSafi {
    std::uint16_t afi = kAfiIpv4;
    std::uint8_t safi = kSafiUnicast;
    auto operator<=>(const AfiSafi&) const = default;
};
inline constexpr AfiSafi kIpv4Unicast{kAfiIpv4, kSafiUnicast};
inline constexpr AfiSafi kIpv6Unicast{kAfiIpv6, kSafiUnicast};

// ---- OPEN -----------------------------------------------------------------------

namespace cap {
inline constexpr std::uint8_t multiprotocol = 1, route_refresh = 2, graceful_restart = 64, four_octet_as = 65,
                              add_path = 69, enhanced_route_refresh = 70;
}

struct Capability {
    std::uint8_t code = 0;
    std::string value;
    bool operator==(const Capability&) const = default;
};

struct Open {
    std::uint8_t version = kVersion;
    std::uint16_t my_as = 0;      // AS_TRANS when the speaker's AS needs 4 octets
    std::uint16_t hold_time = 0;  // seconds
    std::uint32_t bgp_id = 0;     // host order
    std::vector<Capability> capabilities;  // from every Capabilities optional parameter, in order
    bool operator==(const Open&) const = default;
};

// What an OPEN's capabilities announce, validated (throws BgpError 2/0 for a
// malformed multiprotocol or 4-octet-AS capability). Unknown ones are listed
// by code and otherwise ignored.
struct PeerCapabilities {
    bool multiprotocol = false;         // any MP capability present
    std::vector<AfiSafi> families;      // MP capabilities (any AFI/SAFI)
    std::optional<std::uint32_t> as4;   // the 4-octet AS
    bool route_refresh = false;
    bool enhanced_route_refresh = false;
    bool graceful_restart = false;
    bool add_path = false;
    std::vector<std::uint8_t> other;    // codes of capabilities not listed above
};
PeerCapabilities parse_capabilities(const std::vector<Capability>& caps);
// Capabilities a speaker with AS `local_as` advertises: MP for each family,
// route refresh, 4-octet AS.
std::vector<Capability> make_capabilities(const std::vector<AfiSafi>& families, std::uint32_t local_as);

// ---- UPDATE ---------------------------------------------------------------------

namespace attr {
inline constexpr std::uint8_t origin = 1, as_path = 2, next_hop = 3, med = 4, local_pref = 5,
                              atomic_aggregate = 6, aggregator = 7, communities = 8, mp_reach = 14,
                              mp_unreach = 15, as4_path = 17, as4_aggregator = 18, large_communities = 32;
inline constexpr std::uint8_t optional = 0x80, transitive = 0x40, partial = 0x20, extended = 0x10;
}  // namespace attr

enum class Origin : std::uint8_t { igp = 0, egp = 1, incomplete = 2 };
enum class SegmentType : std::uint8_t { as_set = 1, as_sequence = 2, confed_sequence = 3, confed_set = 4 };
struct AsSegment {
    SegmentType type = SegmentType::as_sequence;
    std::vector<std::uint32_t> asns;
    bool operator==(const AsSegment&) const = default;
};
using AsPath = std::vector<AsSegment>;

struct Aggregator {
    std::uint32_t as = 0;
    std::uint32_t address = 0;  // host order
    bool operator==(const Aggregator&) const = default;
};
struct LargeCommunity {
    std::uint32_t global = 0, local1 = 0, local2 = 0;
    auto operator<=>(const LargeCommunity&) const = default;
};
struct MpReach {
    AfiSafi family;
    Address next_hop;                   // v4 for AFI 1, global v6 for AFI 2
    std::optional<Address> link_local;  // the second half of a 32-octet IPv6 next hop
    std::vector<Prefix> nlri;
    bool operator==(const MpReach&) const = default;
};
struct MpUnreach {
    AfiSafi family;
    std::vector<Prefix> withdrawn;
    bool operator==(const MpUnreach&) const = default;
};
// An optional transitive attribute we do not interpret, kept as received.
struct RawAttribute {
    std::uint8_t flags = 0;
    std::uint8_t type = 0;
    std::string value;
    bool operator==(const RawAttribute&) const = default;
};

struct PathAttributes {
    std::optional<Origin> origin;
    std::optional<AsPath> as_path;  // ASNs widened to 32 bits when the session is 2-octet
    std::optional<Address> next_hop;
    std::optional<std::uint32_t> med;
    std::optional<std::uint32_t> local_pref;
    bool atomic_aggregate = false;
    std::optional<Aggregator> aggregator;
    std::vector<std::uint32_t> communities;  // empty = absent
    std::optional<MpReach> mp_reach;         // only unicast IPv4/IPv6 are kept
    std::optional<MpUnreach> mp_unreach;
    std::optional<AsPath> as4_path;
    std::optional<Aggregator> as4_aggregator;
    std::vector<LargeCommunity> large_communities;  // empty = absent
    std::vector<RawAttribute> other;
    bool operator==(const PathAttributes&) const = default;
};

struct Update {
    std::vector<Prefix> withdrawn;  // IPv4
    PathAttributes attrs;
    std::vector<Prefix> nlri;  // IPv4
    // Decoding outcome (RFC 7606), not encoded:
    bool treat_as_withdraw = false;
    std::vector<std::string> errors;  // one line per attribute error (withdrawn or discarded)
    bool operator==(const Update&) const = default;

    // The family this UPDATE is the End-of-RIB marker of (RFC 4724 §2).
    std::optional<AfiSafi> end_of_rib() const;
};

// The AS path to use: AS_PATH, merged with AS4_PATH per RFC 6793 §4.2.3 when
// the session is 2-octet (AS4_PATH is ignored on a 4-octet session, and when
// it is longer than AS_PATH).
AsPath effective_as_path(const PathAttributes& a, bool four_octet_session);
// RFC 4271 §9.1.2.2: each AS of a sequence counts 1, each AS_SET counts 1,
// confederation segments count 0.
std::uint32_t path_length(const AsPath& path);

// ---- NOTIFICATION, KEEPALIVE, ROUTE-REFRESH -------------------------------------

struct Notification {
    std::uint8_t code = 0;
    std::uint8_t subcode = 0;
    std::string data;
    bool operator==(const Notification&) const = default;
    std::string describe() const;  // "6/2 (cease: administrative shutdown) \"text\""
};
struct Keepalive {
    bool operator==(const Keepalive&) const = default;
};
struct RouteRefresh {
    AfiSafi family;
    std::uint8_t subtype = 0;  // RFC 7313 (0 = plain refresh request)
    bool operator==(const RouteRefresh&) const = default;
};

using Message = std::variant<Open, Update, Notification, Keepalive, RouteRefresh>;

// ---- codec ------------------------------------------------------------------------

// Decodes one whole message (header included, exactly its length). The
// AS_PATH octet width depends on the negotiated 4-octet-AS capability.
// Throws BgpError.
Message decode(std::string_view message, bool four_octet_as = true);
Open decode_open(std::string_view body);
Update decode_update(std::string_view body, bool four_octet_as);

// Encodes with the header. Throws std::length_error when the result would
// exceed 4096 octets.
std::string encode(const Message& m, bool four_octet_as = true);
std::string encode_keepalive();
std::string encode_notification(std::uint8_t code, std::uint8_t subcode, std::string_view data = {});

// Splits a byte stream into whole messages. next() returns a message once
// all of it has arrived; header errors throw BgpError 1/1 (marker) or 1/2
// (length outside 19..4096) as soon as the header is in, and the framer is
// unusable afterwards. Buffers at most one partial message beyond what was
// fed and not yet taken.
class Framer {
  public:
    void feed(std::string_view bytes);
    std::optional<std::string> next();
    std::size_t buffered() const { return buf_.size() - pos_; }
    void clear();

  private:
    std::string buf_;
    std::size_t pos_ = 0;
};

// Human-readable names for logs.
const char* message_name(MessageType t);
std::string afi_safi_name(AfiSafi f);

}  // namespace sr::prox::bgp
