// lib/prox/isis/wire: PDUs captured from FRR decode, authenticate and say
// what FRR's own "show isis database detail" said; what we encode decodes
// back the same; tampering, wrong keys and malformed PDUs are refused.
#include "prox/isis/wire.hpp"
#include "prox/iso_checksum.hpp"

#include "isis_frr_capture.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace {

using namespace sr::prox::isis;
using sr::prox::Prefix;

const Auth kCircuitKey{Auth::Kind::hmac_md5, "isiskey"};
const Auth kAreaKey{Auth::Kind::hmac_md5, "areakey"};

bool is_hello(int type) { return type == 15 || type == 16 || type == 17; }
bool is_lsp(int type) { return type == 18 || type == 20; }
// FRR signs SNPs only with "authenticate snp": by default they carry no key.
const Auth& key_for(int type) {
    static const Auth none;
    return is_hello(type) ? kCircuitKey : is_lsp(type) ? kAreaKey : none;
}

SystemId sys(int n) { return SystemId{0, 0, 0, 0, 0, static_cast<std::uint8_t>(n)}; }

const Lsp* find_lsp(const std::vector<Pdu>& pdus, int system, int pseudonode) {
    for (const auto& p : pdus)
        if (const auto* l = std::get_if<Lsp>(&p))
            if (l->id.system == sys(system) && l->id.pseudonode == pseudonode) return l;
    return nullptr;
}

std::vector<Pdu> decoded() {
    std::vector<Pdu> out;
    for (const auto& c : isis_capture::pdus()) out.push_back(decode(c.bytes, key_for(c.type)));
    return out;
}

TEST(IsisWire, FrrPdusDecodeAuthenticateAndRoundTrip) {
    for (const auto& c : isis_capture::pdus()) {
        SCOPED_TRACE(c.what);
        Pdu p = decode(c.bytes, key_for(c.type));
        EXPECT_EQ(static_cast<int>(pdu_type(c.bytes)), c.type);
        // Ours may order the TLVs otherwise and leaves out those it does not
        // use, so an LSP's checksum differs; everything else is the same.
        auto same_but_checksum = [&](Pdu back) {
            if (auto* l = std::get_if<Lsp>(&back)) l->checksum = std::get<Lsp>(p).checksum;
            return back == p;
        };
        EXPECT_TRUE(same_but_checksum(decode(encode(p, key_for(c.type)), key_for(c.type))));
        EXPECT_TRUE(same_but_checksum(decode(encode(p, {}), {})));  // and without authentication
    }
}

TEST(IsisWire, FrrLspsSayWhatFrrShowed) {
    auto pdus = decoded();
    // rtr-b.00-00: two neighbours (the LAN's pseudonode b.02 and rtr-c), both at 20.
    const Lsp* b = find_lsp(pdus, 2, 0);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->tlvs.hostname, "rtr-b");
    EXPECT_FALSE(b->overload());
    EXPECT_EQ(b->tlvs.areas, std::vector<std::string>{std::string("\x49\x00\x01", 3)});
    std::vector<IsReach> want = {{sys(2), 2, 20}, {sys(3), 0, 20}};
    EXPECT_EQ(b->tlvs.is_reach, want);
    auto has = [&](const Lsp* l, const char* prefix, std::uint32_t metric) {
        return std::any_of(l->tlvs.ip_reach.begin(), l->tlvs.ip_reach.end(),
                           [&](const IpReach& r) { return r.prefix == *Prefix::parse(prefix) && r.metric == metric; });
    };
    EXPECT_TRUE(has(b, "10.50.2.0/24", 20));
    EXPECT_TRUE(has(b, "192.0.2.2/32", 10));
    // rtr-a announces an IPv6 loopback (TLV 236).
    const Lsp* a = find_lsp(pdus, 1, 0);
    ASSERT_NE(a, nullptr);
    EXPECT_TRUE(has(a, "2001:db8:50::1/128", 10));
    EXPECT_EQ(a->tlvs.ipv4_addresses, std::vector<std::uint32_t>{0xc0000201});
    // The LAN's pseudonode lists its two routers at metric 0.
    const Lsp* pn = find_lsp(pdus, 2, 2);
    ASSERT_NE(pn, nullptr);
    ASSERT_EQ(pn->tlvs.is_reach.size(), 2u);
    EXPECT_EQ(pn->tlvs.is_reach[0].metric, 0u);
}

TEST(IsisWire, FrrHellosAndSnps) {
    bool lan = false, p2p = false, csnp = false;
    for (const auto& c : isis_capture::pdus()) {
        Pdu p = decode(c.bytes, key_for(c.type));
        if (const auto* h = std::get_if<Hello>(&p)) {
            if (h->type == PduType::l2_lan_hello) {
                lan = true;
                EXPECT_EQ(h->lan_id[5], 2);  // rtr-b is the DIS
                EXPECT_EQ(h->lan_id[6], 2);
                EXPECT_EQ(h->priority, 64);
                EXPECT_EQ(h->tlvs.lan_neighbors.size(), 1u);
            } else if (h->type == PduType::p2p_hello) {
                p2p = true;
                ASSERT_TRUE(h->tlvs.three_way);
                EXPECT_EQ(h->tlvs.three_way->state, ThreeWay::up);
                EXPECT_TRUE(h->tlvs.three_way->neighbor);
            }
        }
        if (const auto* s = std::get_if<Snp>(&p); s && s->complete && c.what[0] == 'l') {
            csnp = true;
            EXPECT_GE(s->tlvs.lsp_entries.size(), 3u);
        }
    }
    EXPECT_TRUE(lan);
    EXPECT_TRUE(p2p);
    EXPECT_TRUE(csnp);
}

TEST(IsisWire, WrongKeysAndTamperingAreRefused) {
    for (const auto& c : isis_capture::pdus()) {
        if (key_for(c.type).kind == Auth::Kind::none) continue;
        SCOPED_TRACE(c.what);
        try {
            decode(c.bytes, Auth{Auth::Kind::hmac_md5, "not-the-key"});
            ADD_FAILURE() << "decoded with a wrong key";
        } catch (const IsisError& e) {
            EXPECT_NE(std::string(e.what()).find("authentication"), std::string::npos) << e.what();
        }
        EXPECT_THROW(decode(c.bytes, Auth{Auth::Kind::cleartext, "isiskey"}), IsisError);
    }
    for (const auto& c : isis_capture::pdus()) {
        if (c.type != 20) continue;
        std::string bad = c.bytes;
        bad[30] ^= 1;  // inside the TLVs
        EXPECT_THROW(decode(bad, kAreaKey), IsisError);
        EXPECT_THROW(decode(bad, {}), IsisError);  // the checksum, without a key
        break;
    }
}

TEST(IsisWire, OurLspWithOverloadAndHmacMd5) {
    Lsp l;
    l.id.system = sys(9);
    l.seq = 7;
    l.lifetime = 1199;
    l.flags = kIsTypeL2 | kLspOverload;
    l.tlvs.areas = {std::string("\x49\x00\x01", 3)};
    l.tlvs.protocols = {kNlpidIpv4, kNlpidIpv6};
    l.tlvs.hostname = "sr-proxd";
    for (int i = 0; i < 40; ++i) l.tlvs.is_reach.push_back({sys(i + 1), 0, kMaxWideMetric});  // > 255 bytes: two TLVs
    l.tlvs.ip_reach.push_back({*Prefix::parse("10.9.0.0/16"), 10, false});
    l.tlvs.ip_reach.push_back({*Prefix::parse("2001:db8::/32"), 10, true});
    std::string bytes = encode(l, kAreaKey);
    Lsp back = std::get<Lsp>(decode(bytes, kAreaKey));
    EXPECT_TRUE(back.overload());
    l.checksum = back.checksum;
    EXPECT_EQ(back, l);
    EXPECT_EQ(lsp_entry(bytes).seq, 7u);
    // The lifetime is outside the checksum and the digest: it may change in flight.
    EXPECT_NO_THROW(decode(with_lifetime(bytes, 600), kAreaKey));
}

// A router may send IPv6 reachability (236) before IPv4 (135); decoded, the
// IPv4 prefixes come first, as encode writes them, so a decoded LSP encodes
// and decodes to itself (a fuzzer found the order-dependent round trip).
TEST(IsisWire, ReachabilityDecodesInOneOrder) {
    Lsp l;
    l.id.system = sys(3);
    l.tlvs.ip_reach.push_back({*Prefix::parse("2001:db8::/32"), 10, false});
    l.tlvs.ip_reach.push_back({*Prefix::parse("10.9.0.0/16"), 20, false});
    std::string v6_first = encode(l, {});
    // encode writes 135 then 236: swap the two TLVs on the wire.
    std::size_t at135 = v6_first.find(std::string("\x87", 1), 27), at236 = v6_first.find(std::string("\xec", 1), 27);
    ASSERT_LT(at135, at236);
    std::string tlv135 = v6_first.substr(at135, at236 - at135), tlv236 = v6_first.substr(at236);
    std::string swapped = v6_first.substr(0, at135) + tlv236 + tlv135;
    std::uint16_t sum = sr::prox::iso_checksum(std::string_view(swapped).substr(12), 12);  // from the LSP ID; at byte 24
    swapped[24] = static_cast<char>(sum >> 8);
    swapped[25] = static_cast<char>(sum & 0xff);
    Lsp back = std::get<Lsp>(decode(swapped, {}));
    ASSERT_EQ(back.tlvs.ip_reach.size(), 2u);
    EXPECT_EQ(back.tlvs.ip_reach[0].prefix.str(), "10.9.0.0/16");
    EXPECT_EQ(back.tlvs.ip_reach[1].prefix.str(), "2001:db8::/32");
    Lsp again = std::get<Lsp>(decode(encode(back, {}), {}));
    again.checksum = back.checksum;
    EXPECT_EQ(again, back);
}

TEST(IsisWire, MalformedPdusAreRefused) {
    std::string good = encode(Hello{}, {});
    EXPECT_THROW(decode("", {}), IsisError);
    EXPECT_THROW(decode(good.substr(0, 10), {}), IsisError);
    std::string s = good;
    s[0] = 0x82;
    EXPECT_THROW(decode(s, {}), IsisError);
    s = good;
    s[1] = 27;  // a LAN header length on a point-to-point Hello
    EXPECT_THROW(decode(s, {}), IsisError);
    s = good;
    s[17] = 0x7f;  // a PDU length past the frame
    EXPECT_THROW(decode(s, {}), IsisError);
    s = good + std::string("\x87\x09\x00\x00\x00\x0a\x21\x0a", 8);  // TLV 135 cut inside its prefix
    s[18] = static_cast<char>(s.size());
    EXPECT_THROW(decode(s, {}), IsisError);
    s = good + std::string("\x01\x05\x09", 3);  // a TLV longer than what is left
    s[18] = static_cast<char>(s.size());
    EXPECT_THROW(decode(s, {}), IsisError);
}

TEST(IsisWire, SystemIdsAndNets) {
    EXPECT_EQ(parse_system_id("0000.0000.0001"), sys(1));
    EXPECT_EQ(parse_system_id("49.0001.0000.0000.0007.00"), sys(7));
    EXPECT_EQ(net_area("49.0001.0000.0000.0007.00"), std::string("\x49\x00\x01", 3));
    EXPECT_EQ(system_id_text(sys(10)), "0000.0000.000a");
    EXPECT_EQ(lsp_id_text(LspId{sys(2), 2, 0}), "0000.0000.0002.02-00");
    EXPECT_THROW(parse_system_id("49.0001.0000.0000.0007.01"), IsisError);
    EXPECT_THROW(parse_system_id("zz"), IsisError);
    EXPECT_THROW(parse_system_id("0000.0000"), IsisError);
}

}  // namespace
