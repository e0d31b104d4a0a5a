// Internal to lib/prox/bgp: bounds-checked big-endian reading and writing,
// and the NLRI prefix encoding shared by the UPDATE and MP attributes.
#pragma once

#include "prox/big_endian.hpp"
#include "prox/bgp/wire.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace sr::prox::bgp::detail {

// Reads from a view; any read past the end throws BgpError(code, subcode).
class Reader {
  public:
    Reader(std::string_view d, std::uint8_t code, std::uint8_t subcode) : d_(d), code_(code), sub_(subcode) {}
    std::size_t left() const { return d_.size(); }
    bool empty() const { return d_.empty(); }
    std::uint8_t u8() {
        need(1);
        std::uint8_t v = static_cast<std::uint8_t>(d_[0]);
        d_.remove_prefix(1);
        return v;
    }
    std::uint16_t u16() {
        need(2);
        std::uint16_t v = static_cast<std::uint16_t>(b(0) << 8 | b(1));
        d_.remove_prefix(2);
        return v;
    }
    std::uint32_t u32() {
        need(4);
        std::uint32_t v = std::uint32_t(b(0)) << 24 | std::uint32_t(b(1)) << 16 | std::uint32_t(b(2)) << 8 | b(3);
        d_.remove_prefix(4);
        return v;
    }
    std::string_view take(std::size_t n) {
        need(n);
        auto v = d_.substr(0, n);
        d_.remove_prefix(n);
        return v;
    }
    std::string_view rest() {
        auto v = d_;
        d_ = {};
        return v;
    }

  private:
    std::uint8_t b(std::size_t i) const { return static_cast<std::uint8_t>(d_[i]); }
    void need(std::size_t n) const {
        if (d_.size() < n) throw BgpError(code_, sub_, "truncated field");
    }
    std::string_view d_;
    std::uint8_t code_, sub_;
};

using be::put16;
using be::put32;
using be::put8;

inline Family family_of(std::uint16_t afi) { return afi == kAfiIpv6 ? Family::v6 : Family::v4; }

// NLRI: a length octet, then ceil(len/8) octets. Throws BgpError(code,
// subcode) for a length beyond the family's or a truncated prefix.
inline void decode_prefixes(std::string_view d, Family f, std::vector<Prefix>& out, std::uint8_t code,
                            std::uint8_t subcode) {
    const int max = f == Family::v4 ? 32 : 128;
    while (!d.empty()) {
        int len = static_cast<std::uint8_t>(d[0]);
        if (len > max) throw BgpError(code, subcode, "NLRI prefix length " + std::to_string(len) + " too long");
        std::size_t n = (static_cast<std::size_t>(len) + 7) / 8;
        if (d.size() < 1 + n) throw BgpError(code, subcode, "NLRI prefix truncated");
        Address a;
        a.family = f;
        for (std::size_t i = 0; i < n; ++i) a.bytes[i] = static_cast<std::uint8_t>(d[1 + i]);
        out.emplace_back(a, len);
        d.remove_prefix(1 + n);
    }
}

inline void encode_prefix(std::string& o, const Prefix& p) {
    put8(o, p.len);
    for (std::size_t i = 0; i < (p.len + 7u) / 8; ++i) put8(o, p.addr.bytes[i]);
}

}  // namespace sr::prox::bgp::detail
