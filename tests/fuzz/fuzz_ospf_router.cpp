// sr-proxd's OSPF state machines (issue 12): a sequence of packets from a
// neighbour, each with its OSPF checksum fixed up so that the fuzzer gets
// past it, fed to a Router on a broadcast interface, with ticks between
// them. Nothing may crash; the database stays within its bound and every
// packet the router sends decodes.
//
// Input: chunks of [u16 length][u8 seconds to advance][length bytes].
#include "prox/ospf/router.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace ospf = sr::prox::ospf;

namespace {

// The LSA checksums of an LS Update, then the OSPF checksum (RFC 2328
// D.4.2) over the packet without its 8-byte authentication field, written
// in place where the lengths allow.
void fix_checksum(std::string& p) {
    if (p.size() < ospf::kHeaderSize) return;
    std::size_t length = std::min<std::size_t>(p.size(), (std::uint8_t(p[2]) << 8) | std::uint8_t(p[3]));
    if (length < ospf::kHeaderSize) return;
    if (p[1] == 4) {
        std::size_t at = ospf::kHeaderSize + 4;
        while (at + ospf::kLsaHeaderSize <= length) {
            std::size_t n = (std::uint8_t(p[at + 18]) << 8) | std::uint8_t(p[at + 19]);
            if (n < ospf::kLsaHeaderSize || at + n > length) break;
            std::uint16_t c = ospf::lsa_checksum(std::string_view(p).substr(at, n));
            p[at + 16] = static_cast<char>(c >> 8);
            p[at + 17] = static_cast<char>(c & 0xff);
            at += n;
        }
    }
    p[12] = p[13] = 0;
    std::string covered = p.substr(0, 16) + p.substr(24, length - 24);
    std::uint16_t c = ospf::ip_checksum(covered);
    p[12] = static_cast<char>(c >> 8);
    p[13] = static_cast<char>(c & 0xff);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    ospf::RouterConfig cfg;
    cfg.router_id = ospf::parse_dotted("1.1.1.1");
    cfg.max_lsas = 64;
    ospf::InterfaceConfig itf;
    itf.name = "e0";
    itf.address = ospf::parse_dotted("10.0.0.1");
    itf.mask = ospf::parse_dotted("255.255.255.0");
    cfg.interfaces.push_back(itf);
    ospf::Router r(cfg);
    std::int64_t now = 1'000'000'000;
    auto check = [&](const std::vector<ospf::Effect>& out) {
        for (const auto& e : out)
            if (const auto* s = std::get_if<ospf::Send>(&e)) ospf::decode(s->bytes, {});  // throws: a finding
        if (r.lsdb().size() > cfg.max_lsas) __builtin_trap();
    };
    check(r.start(now));
    std::size_t i = 0;
    while (i + 3 <= size) {
        std::size_t len = (std::size_t(data[i]) << 8 | data[i + 1]) % 4096;
        now += std::int64_t(data[i + 2]) * 100'000;
        i += 3;
        std::string packet(reinterpret_cast<const char*>(data + i), std::min(len, size - i));
        i += packet.size();
        fix_checksum(packet);
        check(r.receive(0, ospf::parse_dotted("10.0.0.9"), packet, now));
        if (r.next_wakeup() <= now) check(r.tick(now));
    }
    return 0;
}
