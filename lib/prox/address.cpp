#include "prox/address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace sr::prox {

Address Address::v4(std::uint32_t host_order) {
    Address a;
    a.family = Family::v4;
    for (int i = 0; i < 4; ++i) a.bytes[i] = static_cast<std::uint8_t>(host_order >> (24 - 8 * i));
    return a;
}

std::optional<Address> Address::parse(std::string_view text) {
    if (text.empty() || text.size() > INET6_ADDRSTRLEN) return std::nullopt;
    char buf[INET6_ADDRSTRLEN + 1];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    Address a;
    if (text.find(':') != std::string_view::npos) {
        if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
        a.family = Family::v6;
    } else {
        if (inet_pton(AF_INET, buf, a.bytes.data()) != 1) return std::nullopt;
        a.family = Family::v4;
    }
    return a;
}

std::optional<Address> Address::parse_endpoint(std::string_view text) {
    if (auto a = parse(text)) return a;
    auto all_digits = [](std::string_view d) {
        return !d.empty() && d.size() <= 5 && d.find_first_not_of("0123456789") == std::string_view::npos;
    };
    if (!text.empty() && text.front() == '[') {  // [V6] or [V6]:PORT
        auto close = text.find(']');
        if (close == std::string_view::npos) return std::nullopt;
        std::string_view rest = text.substr(close + 1);
        if (!rest.empty() && !(rest.front() == ':' && all_digits(rest.substr(1)))) return std::nullopt;
        auto a = parse(text.substr(1, close - 1));
        return a && a->family == Family::v6 ? a : std::nullopt;
    }
    auto colon = text.rfind(':');  // V4:PORT (a bare IPv6 address parsed above)
    if (colon == std::string_view::npos || !all_digits(text.substr(colon + 1))) return std::nullopt;
    auto a = parse(text.substr(0, colon));
    return a && a->family == Family::v4 ? a : std::nullopt;
}

std::string Address::str() const {
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(family == Family::v4 ? AF_INET : AF_INET6, bytes.data(), buf, sizeof buf);
    return buf;
}

std::uint32_t Address::v4_value() const {
    return (std::uint32_t(bytes[0]) << 24) | (std::uint32_t(bytes[1]) << 16) | (std::uint32_t(bytes[2]) << 8) | bytes[3];
}

Prefix::Prefix(Address a, int l) : addr(a), len(static_cast<std::uint8_t>(l)) {
    for (int i = 0; i < 16; ++i) {
        int keep = l - 8 * i;  // bits of this byte inside the prefix
        if (keep >= 8) continue;
        addr.bytes[i] &= keep <= 0 ? 0 : static_cast<std::uint8_t>(0xff << (8 - keep));
    }
}

std::optional<Prefix> Prefix::parse(std::string_view text) {
    auto slash = text.find('/');
    auto a = Address::parse(text.substr(0, slash));
    if (!a) return std::nullopt;
    int len = a->max_len();
    if (slash != std::string_view::npos) {
        auto digits = text.substr(slash + 1);
        auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), len);
        if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty() || len < 0 ||
            len > a->max_len())
            return std::nullopt;
    }
    return Prefix(*a, len);
}

std::string Prefix::str() const { return addr.str() + "/" + std::to_string(len); }

bool Prefix::contains(const Address& a) const {
    if (a.family != addr.family) return false;
    return Prefix(a, len).addr == addr;
}

std::size_t AddressHash::operator()(const Address& a) const noexcept {
    std::uint64_t h = static_cast<std::uint64_t>(a.family);
    for (auto b : a.bytes) h = h * 1099511628211ULL ^ b;
    return h;
}

}  // namespace sr::prox
