// BGP message header, OPEN, NOTIFICATION, KEEPALIVE, ROUTE-REFRESH and the
// stream framer. UPDATE lives in update.cpp.
#include "prox/bgp/bytes.hpp"
#include "prox/bgp/wire.hpp"

#include <algorithm>
#include <stdexcept>

namespace sr::prox::bgp {

using detail::put16;
using detail::put32;
using detail::put8;
using detail::Reader;

namespace {

std::string u16_data(std::uint32_t v) {
    std::string s;
    put16(s, v);
    return s;
}

bool marker_ok(std::string_view m) {
    for (std::size_t i = 0; i < 16; ++i)
        if (static_cast<std::uint8_t>(m[i]) != 0xff) return false;
    return true;
}

// Checks marker and length field of a header at the start of `m` (at least
// 19 octets); returns the length.
std::size_t check_header(std::string_view m) {
    if (!marker_ok(m)) throw BgpError(errc::header, errc::not_synchronized, "bad marker");
    std::size_t len = static_cast<std::uint8_t>(m[16]) << 8 | static_cast<std::uint8_t>(m[17]);
    if (len < kHeaderSize || len > kMaxMessageSize)
        throw BgpError(errc::header, errc::bad_message_length, "bad message length " + std::to_string(len),
                       std::string(m.substr(16, 2)));
    return len;
}

std::string with_header(MessageType t, std::string_view body) {
    std::size_t len = kHeaderSize + body.size();
    if (len > kMaxMessageSize) throw std::length_error("BGP message longer than 4096 octets");
    std::string out(16, '\xff');
    put16(out, static_cast<std::uint32_t>(len));
    put8(out, static_cast<std::uint8_t>(t));
    out.append(body);
    return out;
}

void decode_capabilities(std::string_view v, std::vector<Capability>& out) {
    Reader r(v, errc::open, 0);
    while (!r.empty()) {
        Capability c;
        c.code = r.u8();
        std::size_t n = r.u8();
        c.value = std::string(r.take(n));
        out.push_back(std::move(c));
    }
}

std::string encode_open_body(const Open& o) {
    std::string b;
    put8(b, o.version);
    put16(b, o.my_as);
    put16(b, o.hold_time);
    put32(b, o.bgp_id);
    // Pack the capabilities into parameters of at most 255 octets; fall
    // back to RFC 9072 extended parameters when that cannot fit in 255.
    std::vector<std::string> params(1);
    bool extended = false;
    for (const auto& c : o.capabilities) {
        if (c.value.size() > 255) throw std::length_error("capability value longer than 255 octets");
        std::string one;
        put8(one, c.code);
        put8(one, static_cast<std::uint32_t>(c.value.size()));
        one += c.value;
        if (one.size() > 255) extended = true;
        if (params.back().size() + one.size() > 255) params.emplace_back();
        params.back() += one;
    }
    if (params.back().empty()) params.pop_back();
    std::size_t total = 0;
    for (const auto& p : params) total += 2 + p.size();
    if (total > 255) extended = true;
    if (!extended) {
        put8(b, static_cast<std::uint32_t>(total));
        for (const auto& p : params) {
            put8(b, 2);
            put8(b, static_cast<std::uint32_t>(p.size()));
            b += p;
        }
    } else {
        std::string all;
        for (const auto& p : params) all += p;
        put8(b, 255);
        put8(b, 255);
        put16(b, static_cast<std::uint32_t>(3 + all.size()));
        put8(b, 2);
        put16(b, static_cast<std::uint32_t>(all.size()));
        b += all;
    }
    return b;
}

}  // namespace

// ---- OPEN ---------------------------------------------------------------------------

Open decode_open(std::string_view body) {
    Reader r(body, errc::header, errc::bad_message_length);
    Open o;
    o.version = r.u8();
    o.my_as = r.u16();
    o.hold_time = r.u16();
    o.bgp_id = r.u32();
    std::size_t optlen = r.u8();
    if (o.version != kVersion)
        throw BgpError(errc::open, errc::unsupported_version, "unsupported version " + std::to_string(o.version),
                       u16_data(kVersion));
    if (o.hold_time == 1 || o.hold_time == 2)
        throw BgpError(errc::open, errc::unacceptable_hold_time,
                       "unacceptable hold time " + std::to_string(o.hold_time));
    if (o.bgp_id == 0) throw BgpError(errc::open, errc::bad_bgp_id, "BGP identifier 0");
    std::string_view rest = r.rest();
    bool extended = optlen == 255 && !rest.empty() && static_cast<std::uint8_t>(rest[0]) == 255;  // RFC 9072
    Reader p(rest, errc::open, 0);
    if (extended) {
        p.u8();
        optlen = p.u16();
    }
    if (p.left() != optlen)
        throw BgpError(errc::open, 0, "optional parameters length " + std::to_string(optlen) + " but " +
                                          std::to_string(p.left()) + " octets follow");
    while (!p.empty()) {
        std::uint8_t type = p.u8();
        std::size_t n = extended ? p.u16() : p.u8();
        std::string_view v = p.take(n);
        if (type != 2)
            throw BgpError(errc::open, errc::unsupported_optional_parameter,
                           "unsupported optional parameter " + std::to_string(type));
        decode_capabilities(v, o.capabilities);
    }
    return o;
}

PeerCapabilities parse_capabilities(const std::vector<Capability>& caps) {
    PeerCapabilities pc;
    for (const auto& c : caps) {
        switch (c.code) {
            case cap::multiprotocol: {
                if (c.value.size() != 4) throw BgpError(errc::open, 0, "multiprotocol capability length");
                Reader r(c.value, errc::open, 0);
                AfiSafi f;
                f.afi = r.u16();
                r.u8();
                f.safi = r.u8();
                pc.multiprotocol = true;
                if (std::find(pc.families.begin(), pc.families.end(), f) == pc.families.end())
                    pc.families.push_back(f);
                break;
            }
            case cap::four_octet_as: {
                if (c.value.size() != 4) throw BgpError(errc::open, 0, "4-octet AS capability length");
                Reader r(c.value, errc::open, 0);
                pc.as4 = r.u32();
                break;
            }
            case cap::route_refresh: pc.route_refresh = true; break;
            case cap::enhanced_route_refresh: pc.enhanced_route_refresh = true; break;
            case cap::graceful_restart: pc.graceful_restart = true; break;
            case cap::add_path: pc.add_path = true; break;
            default: pc.other.push_back(c.code);
        }
    }
    return pc;
}

std::vector<Capability> make_capabilities(const std::vector<AfiSafi>& families, std::uint32_t local_as) {
    std::vector<Capability> caps;
    for (auto f : families) {
        Capability c{cap::multiprotocol, {}};
        put16(c.value, f.afi);
        put8(c.value, 0);
        put8(c.value, f.safi);
        caps.push_back(std::move(c));
    }
    caps.push_back({cap::route_refresh, {}});
    Capability as4{cap::four_octet_as, {}};
    put32(as4.value, local_as);
    caps.push_back(std::move(as4));
    return caps;
}

// ---- NOTIFICATION -----------------------------------------------------------------------

namespace {
const char* code_name(std::uint8_t c) {
    switch (c) {
        case 1: return "message header error";
        case 2: return "OPEN message error";
        case 3: return "UPDATE message error";
        case 4: return "hold timer expired";
        case 5: return "finite state machine error";
        case 6: return "cease";
        case 7: return "ROUTE-REFRESH message error";
        default: return "unknown error";
    }
}
const char* subcode_name(std::uint8_t c, std::uint8_t s) {
    static const char* const header[] = {"unspecific", "connection not synchronized", "bad message length",
                                         "bad message type"};
    static const char* const open[] = {"unspecific", "unsupported version number", "bad peer AS",
                                       "bad BGP identifier", "unsupported optional parameter", "deprecated",
                                       "unacceptable hold time", "unsupported capability"};
    static const char* const update[] = {"unspecific",
                                         "malformed attribute list",
                                         "unrecognized well-known attribute",
                                         "missing well-known attribute",
                                         "attribute flags error",
                                         "attribute length error",
                                         "invalid ORIGIN attribute",
                                         "deprecated",
                                         "invalid NEXT_HOP attribute",
                                         "optional attribute error",
                                         "invalid network field",
                                         "malformed AS_PATH"};
    static const char* const cease[] = {"unspecific",
                                        "maximum number of prefixes reached",
                                        "administrative shutdown",
                                        "peer de-configured",
                                        "administrative reset",
                                        "connection rejected",
                                        "other configuration change",
                                        "connection collision resolution",
                                        "out of resources",
                                        "hard reset"};
    auto pick = [s](const char* const* t, std::size_t n) { return s < n ? t[s] : "unknown"; };
    switch (c) {
        case 1: return pick(header, std::size(header));
        case 2: return pick(open, std::size(open));
        case 3: return pick(update, std::size(update));
        case 6: return pick(cease, std::size(cease));
        default: return s == 0 ? "unspecific" : "unknown";
    }
}
}  // namespace

std::string Notification::describe() const {
    std::string s = std::to_string(code) + "/" + std::to_string(subcode) + " (" + code_name(code) + ": " +
                    subcode_name(code, subcode) + ")";
    // RFC 8203/9003 shutdown communication: a length octet and UTF-8 text.
    if (code == errc::cease && (subcode == errc::administrative_shutdown || subcode == errc::administrative_reset) &&
        !data.empty() && static_cast<std::uint8_t>(data[0]) + 1u <= data.size()) {
        std::string text = data.substr(1, static_cast<std::uint8_t>(data[0]));
        for (char& ch : text)
            if (static_cast<unsigned char>(ch) < 0x20 || ch == 0x7f) ch = '?';
        s += " \"" + text + "\"";
    }
    return s;
}

std::string encode_keepalive() { return with_header(MessageType::keepalive, {}); }

std::string encode_notification(std::uint8_t code, std::uint8_t subcode, std::string_view data) {
    std::string b;
    put8(b, code);
    put8(b, subcode);
    b.append(data.substr(0, kMaxMessageSize - kHeaderSize - 2));
    return with_header(MessageType::notification, b);
}

// ---- whole messages --------------------------------------------------------------------

Message decode(std::string_view m, bool four_octet_as) {
    if (m.size() < kHeaderSize) throw BgpError(errc::header, errc::bad_message_length, "short message");
    std::size_t len = check_header(m);
    if (len != m.size())
        throw BgpError(errc::header, errc::bad_message_length, "length field disagrees with message size",
                       std::string(m.substr(16, 2)));
    auto type = static_cast<std::uint8_t>(m[18]);
    std::string_view body = m.substr(kHeaderSize);
    auto bad_length = [&] {
        return BgpError(errc::header, errc::bad_message_length,
                        std::string("bad length for ") + message_name(static_cast<MessageType>(type)),
                        std::string(m.substr(16, 2)));
    };
    switch (static_cast<MessageType>(type)) {
        case MessageType::open:
            if (len < 29) throw bad_length();
            return decode_open(body);
        case MessageType::update:
            if (len < 23) throw bad_length();
            return decode_update(body, four_octet_as);
        case MessageType::notification: {
            if (len < 21) throw bad_length();
            Notification n;
            n.code = static_cast<std::uint8_t>(body[0]);
            n.subcode = static_cast<std::uint8_t>(body[1]);
            n.data = std::string(body.substr(2));
            return n;
        }
        case MessageType::keepalive:
            if (len != kHeaderSize) throw bad_length();
            return Keepalive{};
        case MessageType::route_refresh: {
            if (len != 23) throw bad_length();
            Reader r(body, errc::header, errc::bad_message_length);
            RouteRefresh rr;
            rr.family.afi = r.u16();
            rr.subtype = r.u8();
            rr.family.safi = r.u8();
            return rr;
        }
    }
    std::string data(1, static_cast<char>(type));
    throw BgpError(errc::header, errc::bad_message_type, "bad message type " + std::to_string(type), data);
}

std::string encode_update_body(const Update& u, bool four_octet_as);  // update.cpp

std::string encode(const Message& msg, bool four_octet_as) {
    struct V {
        bool four;
        std::string operator()(const Open& o) const { return with_header(MessageType::open, encode_open_body(o)); }
        std::string operator()(const Update& u) const {
            return with_header(MessageType::update, encode_update_body(u, four));
        }
        std::string operator()(const Notification& n) const { return encode_notification(n.code, n.subcode, n.data); }
        std::string operator()(const Keepalive&) const { return encode_keepalive(); }
        std::string operator()(const RouteRefresh& r) const {
            std::string b;
            put16(b, r.family.afi);
            put8(b, r.subtype);
            put8(b, r.family.safi);
            return with_header(MessageType::route_refresh, b);
        }
    };
    return std::visit(V{four_octet_as}, msg);
}

// ---- framer -------------------------------------------------------------------------------

void Framer::feed(std::string_view bytes) {
    if (pos_ > 0 && pos_ >= buf_.size() / 2) {
        buf_.erase(0, pos_);
        pos_ = 0;
    }
    buf_.append(bytes);
}

std::optional<std::string> Framer::next() {
    std::string_view avail = std::string_view(buf_).substr(pos_);
    if (avail.size() < kHeaderSize) return std::nullopt;
    std::size_t len = check_header(avail);
    if (avail.size() < len) return std::nullopt;
    std::string m(avail.substr(0, len));
    pos_ += len;
    if (pos_ == buf_.size()) {
        buf_.clear();
        pos_ = 0;
    }
    return m;
}

void Framer::clear() {
    buf_.clear();
    pos_ = 0;
}

const char* message_name(MessageType t) {
    switch (t) {
        case MessageType::open: return "OPEN";
        case MessageType::update: return "UPDATE";
        case MessageType::notification: return "NOTIFICATION";
        case MessageType::keepalive: return "KEEPALIVE";
        case MessageType::route_refresh: return "ROUTE-REFRESH";
    }
    return "unknown";
}

std::string afi_safi_name(AfiSafi f) {
    if (f == kIpv4Unicast) return "ipv4-unicast";
    if (f == kIpv6Unicast) return "ipv6-unicast";
    return "afi" + std::to_string(f.afi) + "/safi" + std::to_string(f.safi);
}

}  // namespace sr::prox::bgp
