// BGP message codec: known byte vectors built by hand from the RFC formats,
// round trips, truncations, header/OPEN errors and RFC 7606 handling.
#include "prox/bgp/wire.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace sr::prox;
using namespace sr::prox::bgp;

namespace {

std::string hex(std::string_view h) {
    std::string out;
    int hi = -1;
    for (char c : h) {
        int v;
        if (c >= '0' && c <= '9') v = c - '0';
        else if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
        else continue;  // spaces
        if (hi < 0) hi = v;
        else out.push_back(static_cast<char>(hi << 4 | v)), hi = -1;
    }
    return out;
}
const std::string kMarker = hex("ffffffffffffffffffffffffffffffff");

// A message with a correct header around `body`.
std::string msg(std::uint8_t type, const std::string& body) {
    std::string m = kMarker;
    std::size_t len = 19 + body.size();
    m.push_back(static_cast<char>(len >> 8));
    m.push_back(static_cast<char>(len & 0xff));
    m.push_back(static_cast<char>(type));
    return m + body;
}
Prefix P(const char* s) { return *Prefix::parse(s); }
Address A(const char* s) { return *Address::parse(s); }

template <class F>
BgpError expect_bgp_error(F&& f) {
    try {
        f();
    } catch (const BgpError& e) {
        return e;
    }
    ADD_FAILURE() << "no BgpError thrown";
    return BgpError(0, 0, "none");
}

// OPEN: version 4, AS 65001, hold 90, id 192.0.2.1; one Capabilities
// parameter: MP ipv4/unicast, MP ipv6/unicast, route refresh, AS4 65001.
const std::string kOpen = kMarker + hex("0033 01  04 fde9 005a c0000201 16  02 14"
                                        "01 04 0001 00 01  01 04 0002 00 01  02 00  41 04 0000fde9");

// UPDATE: ORIGIN IGP, AS_PATH seq {65001 65002} (4-octet), NEXT_HOP
// 192.0.2.1, MED 100, LOCAL_PREF 200, COMMUNITIES 65001:1; NLRI 10/8,
// 192.168.1/24.
const std::string kUpdate = kMarker + hex("004a 02  0000 002d"
                                          "40 01 01 00"
                                          "40 02 0a 02 02 0000fde9 0000fdea"
                                          "40 03 04 c0000201"
                                          "80 04 04 00000064"
                                          "40 05 04 000000c8"
                                          "c0 08 04 fde90001"
                                          "08 0a  18 c0a801");

// UPDATE with MP_REACH_NLRI for IPv6: next hop 2001:db8::1 + fe80::1,
// NLRI 2001:db8:100::/40; empty AS_PATH (iBGP-originated).
const std::string kUpdateV6 = kMarker + hex("004c 02  0000 0035"
                                            "40 01 01 00"
                                            "40 02 00"
                                            "80 0e 2b 0002 01 20"
                                            "20010db8000000000000000000000001"
                                            "fe800000000000000000000000000001"
                                            "00  28 20010db801");

}  // namespace

TEST(BgpWire, KeepaliveBytes) {
    EXPECT_EQ(encode_keepalive(), kMarker + hex("0013 04"));
    EXPECT_TRUE(std::holds_alternative<Keepalive>(decode(kMarker + hex("0013 04"))));
}

TEST(BgpWire, OpenKnownBytes) {
    Open o;
    o.my_as = 65001;
    o.hold_time = 90;
    o.bgp_id = 0xc0000201;
    o.capabilities = make_capabilities({kIpv4Unicast, kIpv6Unicast}, 65001);
    EXPECT_EQ(encode(o), kOpen);
    auto m = decode(kOpen);
    ASSERT_TRUE(std::holds_alternative<Open>(m));
    EXPECT_EQ(std::get<Open>(m), o);
    auto pc = parse_capabilities(o.capabilities);
    EXPECT_TRUE(pc.multiprotocol);
    EXPECT_EQ(pc.families, (std::vector<AfiSafi>{kIpv4Unicast, kIpv6Unicast}));
    EXPECT_EQ(pc.as4, 65001u);
    EXPECT_TRUE(pc.route_refresh);
}

TEST(BgpWire, OpenAsTransAndUnknownCapabilities) {
    // AS 4200000001 in the AS4 capability; graceful restart, add-path and
    // enhanced route refresh are parsed and ignored; an unknown one too.
    std::string body = hex("04 5ba0 00b4 0a000001 1a  02 18"
                           "41 04 fa56ea01  40 02 0078  45 04 0001 01 03  46 00  02 00  99 02 abcd");
    auto o = std::get<Open>(decode(msg(1, body)));
    EXPECT_EQ(o.my_as, kAsTrans);
    EXPECT_EQ(o.hold_time, 180);
    auto pc = parse_capabilities(o.capabilities);
    EXPECT_EQ(pc.as4, 4200000001u);
    EXPECT_TRUE(pc.graceful_restart);
    EXPECT_TRUE(pc.add_path);
    EXPECT_TRUE(pc.enhanced_route_refresh);
    EXPECT_TRUE(pc.route_refresh);
    EXPECT_FALSE(pc.multiprotocol);
    EXPECT_EQ(pc.other, std::vector<std::uint8_t>{0x99});
    EXPECT_EQ(decode(encode(o)), Message(o));
}

TEST(BgpWire, OpenSeveralParametersAndExtendedParameters) {
    // Two capability parameters of one capability each.
    std::string body = hex("04 fde9 005a c0000201 0c  02 02 02 00  02 06 01 04 0002 00 01");
    auto o = std::get<Open>(decode(msg(1, body)));
    ASSERT_EQ(o.capabilities.size(), 2u);
    EXPECT_EQ(parse_capabilities(o.capabilities).families, std::vector<AfiSafi>{kIpv6Unicast});
    // RFC 9072 extended optional parameters.
    std::string ext = hex("04 fde9 005a c0000201 ff ff 0005  02 0002 02 00");
    auto e = std::get<Open>(decode(msg(1, ext)));
    ASSERT_EQ(e.capabilities.size(), 1u);
    EXPECT_EQ(e.capabilities[0].code, cap::route_refresh);
    // Many capabilities that do not fit 255 octets round-trip (extended form).
    Open big = e;
    for (int i = 0; i < 40; ++i) big.capabilities.push_back({static_cast<std::uint8_t>(100 + i), std::string(8, 'x')});
    EXPECT_EQ(std::get<Open>(decode(encode(big))), big);
}

TEST(BgpWire, OpenErrors) {
    auto e = expect_bgp_error([] { decode(msg(1, hex("03 fde9 005a c0000201 00"))); });
    EXPECT_EQ(e.code, 2);
    EXPECT_EQ(e.subcode, 1);
    EXPECT_EQ(e.data, hex("0004"));
    e = expect_bgp_error([] { decode(msg(1, hex("04 fde9 0002 c0000201 00"))); });
    EXPECT_EQ(e.code, 2);
    EXPECT_EQ(e.subcode, 6);
    e = expect_bgp_error([] { decode(msg(1, hex("04 fde9 005a 00000000 00"))); });
    EXPECT_EQ(e.subcode, 3);
    e = expect_bgp_error([] { decode(msg(1, hex("04 fde9 005a c0000201 03 01 01 00"))); });
    EXPECT_EQ(e.subcode, 4);
    // Parameter length past the end, capability overrunning its parameter.
    e = expect_bgp_error([] { decode(msg(1, hex("04 fde9 005a c0000201 04 02 05 02 00"))); });
    EXPECT_EQ(e.code, 2);
    e = expect_bgp_error([] { decode(msg(1, hex("04 fde9 005a c0000201 04 02 02 01 04"))); });
    EXPECT_EQ(e.code, 2);
    // Malformed MP capability.
    e = expect_bgp_error([] { parse_capabilities({{cap::multiprotocol, hex("0001 00")}}); });
    EXPECT_EQ(e.code, 2);
    // Hold time 0 is fine.
    EXPECT_EQ(std::get<Open>(decode(msg(1, hex("04 fde9 0000 c0000201 00")))).hold_time, 0);
}

TEST(BgpWire, HeaderErrors) {
    std::string bad_marker = encode_keepalive();
    bad_marker[3] = 0;
    auto e = expect_bgp_error([&] { decode(bad_marker); });
    EXPECT_EQ(e.code, 1);
    EXPECT_EQ(e.subcode, 1);
    e = expect_bgp_error([] { decode(kMarker + hex("0012 04")); });
    EXPECT_EQ(e.subcode, 2);
    e = expect_bgp_error([] { decode(msg(4, "x")); });  // KEEPALIVE of 20 octets
    EXPECT_EQ(e.subcode, 2);
    EXPECT_EQ(e.data, hex("0014"));
    e = expect_bgp_error([] { decode(msg(1, hex("04 fde9"))); });  // OPEN below 29
    EXPECT_EQ(e.subcode, 2);
    e = expect_bgp_error([] { decode(msg(9, "")); });
    EXPECT_EQ(e.code, 1);
    EXPECT_EQ(e.subcode, 3);
    EXPECT_EQ(e.data, hex("09"));
}

TEST(BgpWire, FramerSplitsStream) {
    Framer f;
    std::string stream = kOpen + encode_keepalive() + kUpdate;
    std::vector<std::string> got;
    for (char c : stream) {
        f.feed(std::string_view(&c, 1));
        while (auto m = f.next()) got.push_back(*m);
    }
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0], kOpen);
    EXPECT_EQ(got[2], kUpdate);
    EXPECT_EQ(f.buffered(), 0u);
    f.feed(stream);
    int n = 0;
    while (f.next()) ++n;
    EXPECT_EQ(n, 3);
}

TEST(BgpWire, FramerHeaderErrors) {
    Framer f;
    f.feed(std::string(16, '\0') + hex("0013 04"));
    auto e = expect_bgp_error([&] { f.next(); });
    EXPECT_EQ(e.subcode, 1);
    Framer g;
    g.feed(kMarker + hex("1001 02"));  // 4097
    e = expect_bgp_error([&] { g.next(); });
    EXPECT_EQ(e.subcode, 2);
    EXPECT_EQ(e.data, hex("1001"));
    Framer h;
    h.feed(kMarker + hex("0010 04"));
    e = expect_bgp_error([&] { h.next(); });
    EXPECT_EQ(e.subcode, 2);
    Framer k;
    k.feed(kMarker.substr(0, 10));
    EXPECT_FALSE(k.next());
}

TEST(BgpWire, UpdateKnownBytes) {
    auto u = std::get<Update>(decode(kUpdate));
    EXPECT_FALSE(u.treat_as_withdraw);
    EXPECT_TRUE(u.errors.empty());
    EXPECT_EQ(u.nlri, (std::vector<Prefix>{P("10.0.0.0/8"), P("192.168.1.0/24")}));
    EXPECT_EQ(u.attrs.origin, Origin::igp);
    ASSERT_TRUE(u.attrs.as_path);
    ASSERT_EQ(u.attrs.as_path->size(), 1u);
    EXPECT_EQ((*u.attrs.as_path)[0].asns, (std::vector<std::uint32_t>{65001, 65002}));
    EXPECT_EQ(u.attrs.next_hop, A("192.0.2.1"));
    EXPECT_EQ(u.attrs.med, 100u);
    EXPECT_EQ(u.attrs.local_pref, 200u);
    EXPECT_EQ(u.attrs.communities, std::vector<std::uint32_t>{0xfde90001});
    EXPECT_EQ(encode(u), kUpdate);
    EXPECT_FALSE(u.end_of_rib());
}

TEST(BgpWire, UpdateMpReachIpv6) {
    auto u = std::get<Update>(decode(kUpdateV6));
    EXPECT_FALSE(u.treat_as_withdraw) << (u.errors.empty() ? "" : u.errors[0]);
    ASSERT_TRUE(u.attrs.mp_reach);
    EXPECT_EQ(u.attrs.mp_reach->family, kIpv6Unicast);
    EXPECT_EQ(u.attrs.mp_reach->next_hop, A("2001:db8::1"));
    EXPECT_EQ(u.attrs.mp_reach->link_local, A("fe80::1"));
    EXPECT_EQ(u.attrs.mp_reach->nlri, std::vector<Prefix>{P("2001:db8:100::/40")});
    EXPECT_TRUE(u.attrs.as_path && u.attrs.as_path->empty());
    EXPECT_EQ(encode(u), kUpdateV6);
}

TEST(BgpWire, UpdateRoundTripEverything) {
    Update u;
    u.withdrawn = {P("198.51.100.0/24"), P("0.0.0.0/0")};
    u.nlri = {P("203.0.113.128/25"), P("10.1.2.3/32")};
    auto& a = u.attrs;
    a.origin = Origin::incomplete;
    a.as_path = AsPath{{SegmentType::as_sequence, {1, 4200000000u, 3}}, {SegmentType::as_set, {7, 8}}};
    a.next_hop = A("192.0.2.254");
    a.med = 0;
    a.local_pref = 4294967295u;
    a.atomic_aggregate = true;
    a.aggregator = Aggregator{4200000000u, 0x0a000001};
    for (std::uint32_t i = 0; i < 100; ++i) a.communities.push_back(i);  // 400 octets: extended length
    a.mp_reach = MpReach{kIpv6Unicast, A("2001:db8::2"), std::nullopt, {P("2001:db8::/32"), P("::/0")}};
    a.mp_unreach = MpUnreach{kIpv6Unicast, {P("2001:db8:ffff::/48")}};
    a.large_communities = {{65001, 1, 2}, {4200000000u, 3, 4}};
    a.other = {{attr::optional | attr::transitive, 16, hex("0002fde900000064")}};
    for (bool four : {true}) EXPECT_EQ(std::get<Update>(decode(encode(u, four), four)), u);
    // 2-octet encoding of a path of small ASNs with AS4_PATH.
    Update v;
    v.nlri = {P("10.0.0.0/8")};
    v.attrs.origin = Origin::egp;
    v.attrs.next_hop = A("192.0.2.1");
    v.attrs.as_path = AsPath{{SegmentType::as_sequence, {65001, kAsTrans}}};
    v.attrs.as4_path = AsPath{{SegmentType::as_sequence, {4200000000u}}};
    v.attrs.aggregator = Aggregator{kAsTrans, 1};
    v.attrs.as4_aggregator = Aggregator{4200000000u, 1};
    EXPECT_EQ(std::get<Update>(decode(encode(v, false), false)), v);
}

TEST(BgpWire, NotificationAndRouteRefresh) {
    Notification n{6, 2, std::string("\x08going down", 11)};
    EXPECT_EQ(std::get<Notification>(decode(encode(n))), n);
    EXPECT_EQ(n.describe(), "6/2 (cease: administrative shutdown) \"going do\"");
    EXPECT_EQ(encode_notification(4, 0), kMarker + hex("0015 03 04 00"));
    RouteRefresh rr{kIpv6Unicast, 0};
    EXPECT_EQ(encode(rr), kMarker + hex("0017 05 0002 00 01"));
    EXPECT_EQ(std::get<RouteRefresh>(decode(encode(rr))), rr);
    auto e = expect_bgp_error([] { decode(msg(5, hex("0001 00"))); });
    EXPECT_EQ(e.subcode, 2);
}

TEST(BgpWire, EndOfRib) {
    auto v4 = std::get<Update>(decode(msg(2, hex("0000 0000"))));
    EXPECT_EQ(v4.end_of_rib(), kIpv4Unicast);
    auto v6 = std::get<Update>(decode(msg(2, hex("0000 0006 80 0f 03 0002 01"))));
    EXPECT_EQ(v6.end_of_rib(), kIpv6Unicast);
    auto wd = std::get<Update>(decode(msg(2, hex("0000 0008 80 0f 05 0002 01 08 20"))));
    EXPECT_FALSE(wd.end_of_rib());
}

// Every truncation of every sample, with the header's length made to agree,
// decodes or throws sr::DecodeError; the unmodified truncation (length
// disagreeing) always throws.
TEST(BgpWire, TruncationsNeverCrash) {
    for (const auto& full : {kOpen, kUpdate, kUpdateV6, encode_keepalive(), encode(RouteRefresh{}),
                             encode_notification(6, 2, "x")}) {
        for (std::size_t k = 0; k < full.size(); ++k) {
            std::string cut = full.substr(0, k);
            EXPECT_THROW(decode(cut), sr::DecodeError) << k;
            if (k >= 19) {
                cut[16] = static_cast<char>(k >> 8);
                cut[17] = static_cast<char>(k & 0xff);
                try {
                    decode(cut);
                } catch (const sr::DecodeError&) {
                }
            }
        }
    }
}

TEST(BgpWire, UpdateFieldErrorsResetSession) {
    auto e = expect_bgp_error([] { decode(msg(2, hex("0005 0000 08"))); });  // withdrawn overruns
    EXPECT_EQ(e.code, 3);
    EXPECT_EQ(e.subcode, 1);
    e = expect_bgp_error([] { decode(msg(2, hex("0000 0009 40 01 01 00"))); });  // attrs overrun
    EXPECT_EQ(e.subcode, 1);
    e = expect_bgp_error([&] {  // NLRI /33
        decode(msg(2, hex("0000 0004 40 01 01 00  21 0a000000 00")));
    });
    EXPECT_EQ(e.subcode, 10);
    e = expect_bgp_error([] { decode(msg(2, hex("0000 0000  18 0a00"))); });  // NLRI truncated
    EXPECT_EQ(e.subcode, 10);
    // Duplicate MP_UNREACH.
    e = expect_bgp_error([] { decode(msg(2, hex("0000 000c 80 0f 03 0002 01 80 0f 03 0002 01"))); });
    EXPECT_EQ(e.subcode, 1);
    // MP_REACH with an IPv6 next hop of 8 octets.
    e = expect_bgp_error([] { decode(msg(2, hex("0000 0010 80 0e 0d 0002 01 08 0000000000000000 00"))); });
    EXPECT_EQ(e.subcode, 9);
    // Attribute list broken and no NLRI anywhere: nothing to withdraw.
    e = expect_bgp_error([] { decode(msg(2, hex("0000 0004 40 01 05 00"))); });
    EXPECT_EQ(e.subcode, 1);
}

TEST(BgpWire, Rfc7606TreatAsWithdraw) {
    std::string good = kUpdate.substr(19);
    auto with_attr = [&](const std::string& extra) {
        // kUpdate's attributes plus `extra`, fixing the lengths.
        std::string attrs = good.substr(4, 0x2d) + extra;
        std::string b = hex("0000");
        b.push_back(static_cast<char>(attrs.size() >> 8));
        b.push_back(static_cast<char>(attrs.size() & 0xff));
        return std::get<Update>(decode(msg(2, b + attrs + hex("08 0a"))));
    };
    EXPECT_FALSE(with_attr("").treat_as_withdraw);
    // Bad ORIGIN value: treat-as-withdraw (origin is a duplicate here, so
    // test it on its own below). COMMUNITIES of 3 octets:
    auto u = std::get<Update>(decode(msg(2, hex("0000 000e 40 01 01 05 40 02 00 40 03 04 01020304 08 0a"))));
    EXPECT_TRUE(u.treat_as_withdraw);
    EXPECT_EQ(u.nlri, std::vector<Prefix>{P("10.0.0.0/8")});
    u = std::get<Update>(decode(msg(2, hex("0000 0014 40 01 01 00 40 02 00 40 03 04 01020304 c0 08 03 010203 08 0a"))));
    EXPECT_TRUE(u.treat_as_withdraw);
    // NEXT_HOP with the optional bit set (flags conflict).
    u = std::get<Update>(decode(msg(2, hex("0000 000e 40 01 01 00 40 02 00 c0 03 04 01020304 08 0a"))));
    EXPECT_TRUE(u.treat_as_withdraw);
    // Missing NEXT_HOP with IPv4 NLRI.
    u = std::get<Update>(decode(msg(2, hex("0000 0007 40 01 01 00 40 02 00 08 0a"))));
    EXPECT_TRUE(u.treat_as_withdraw);
    ASSERT_FALSE(u.errors.empty());
    EXPECT_NE(u.errors[0].find("NEXT_HOP"), std::string::npos);
    // Last attribute overruns the list while NLRI is known.
    u = std::get<Update>(decode(msg(2, hex("0000 0007 40 01 01 00 40 02 09 08 0a"))));
    EXPECT_TRUE(u.treat_as_withdraw);
    // Unrecognized well-known attribute.
    EXPECT_TRUE(with_attr(hex("40 63 01 00")).treat_as_withdraw);
    // Discarded, not withdrawn: malformed ATOMIC_AGGREGATE and AGGREGATOR,
    // duplicate MED.
    u = with_attr(hex("40 06 01 00  c0 07 03 000000  80 04 04 00000001"));
    EXPECT_FALSE(u.treat_as_withdraw);
    EXPECT_EQ(u.errors.size(), 3u);
    EXPECT_FALSE(u.attrs.atomic_aggregate);
    EXPECT_FALSE(u.attrs.aggregator);
    EXPECT_EQ(u.attrs.med, 100u);
    // Unknown optional transitive kept, unknown optional non-transitive dropped.
    u = with_attr(hex("c0 63 02 abcd  80 64 01 00  e0 65 00"));
    EXPECT_FALSE(u.treat_as_withdraw);
    ASSERT_EQ(u.attrs.other.size(), 2u);
    EXPECT_EQ(u.attrs.other[0].type, 0x63);
    EXPECT_EQ(u.attrs.other[0].value, hex("abcd"));
    EXPECT_EQ(u.attrs.other[1].flags, 0xe0);  // partial bit kept
    // A pure withdrawal needs no attributes.
    u = std::get<Update>(decode(msg(2, hex("0002 08 0a 0000"))));
    EXPECT_FALSE(u.treat_as_withdraw);
    EXPECT_EQ(u.withdrawn, std::vector<Prefix>{P("10.0.0.0/8")});
}

TEST(BgpWire, TwoOctetPeerAs4PathMerge) {
    // AS_PATH (2-octet) 65001 23456 23456, AS4_PATH 4200000001 4200000002.
    auto u = std::get<Update>(decode(msg(2, hex("0000 0023"
                                                 "40 01 01 00"
                                                 "40 02 08 02 03 fde9 5ba0 5ba0"
                                                 "40 03 04 c0000201"
                                                 "c0 11 0a 02 02 fa56ea01 fa56ea02"
                                                 "08 0a")),
                                             false));
    EXPECT_FALSE(u.treat_as_withdraw);
    auto p = effective_as_path(u.attrs, false);
    ASSERT_EQ(p.size(), 1u);
    EXPECT_EQ(p[0].asns, (std::vector<std::uint32_t>{65001, 4200000001u, 4200000002u}));
    EXPECT_EQ(path_length(p), 3u);
    // On a 4-octet session AS4_PATH is ignored.
    EXPECT_EQ(effective_as_path(u.attrs, true), *u.attrs.as_path);
    // AS4_PATH longer than AS_PATH: ignored.
    PathAttributes a;
    a.as_path = AsPath{{SegmentType::as_sequence, {23456}}};
    a.as4_path = AsPath{{SegmentType::as_sequence, {1, 2}}};
    EXPECT_EQ(effective_as_path(a, false), *a.as_path);
    // Sets count one hop; AS4_PATH with a set.
    a.as_path = AsPath{{SegmentType::as_sequence, {10, 23456}}, {SegmentType::as_set, {23456, 30}}};
    a.as4_path = AsPath{{SegmentType::as_sequence, {4200000000u}}, {SegmentType::as_set, {4200000001u, 30}}};
    auto m = effective_as_path(a, false);
    EXPECT_EQ(path_length(m), 3u);
    ASSERT_EQ(m.size(), 2u);
    EXPECT_EQ(m[0].asns, (std::vector<std::uint32_t>{10, 4200000000u}));
    EXPECT_EQ(m[1].type, SegmentType::as_set);
    // AS4_PATH with a confederation segment is discarded at decoding.
    auto c = std::get<Update>(decode(msg(2, hex("0000 001b"
                                                 "40 01 01 00"
                                                 "40 02 04 02 01 5ba0"
                                                 "40 03 04 c0000201"
                                                 "c0 11 06 03 01 fa56ea01"
                                                 "08 0a")),
                                     false));
    EXPECT_FALSE(c.treat_as_withdraw);
    EXPECT_FALSE(c.attrs.as4_path);
    EXPECT_EQ(c.errors.size(), 1u);
}
