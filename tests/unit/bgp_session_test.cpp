// The passive BGP session FSM driven with a fake clock and a scripted peer.
#include "prox/bgp/session.hpp"

#include <gtest/gtest.h>

using namespace sr::prox;
using namespace sr::prox::bgp;

namespace {

constexpr std::int64_t kSec = 1'000'000;

Prefix P(const char* s) { return *Prefix::parse(s); }
Address A(const char* s) { return *Address::parse(s); }

template <class T>
std::vector<T> all(const std::vector<Effect>& fx) {
    std::vector<T> out;
    for (const auto& e : fx)
        if (auto* t = std::get_if<T>(&e)) out.push_back(*t);
    return out;
}
template <class T>
T one(const std::vector<Effect>& fx) {
    auto v = all<T>(fx);
    EXPECT_EQ(v.size(), 1u);
    return v.empty() ? T{} : v[0];
}
// Messages the session sent, decoded.
std::vector<Message> sent(const std::vector<Effect>& fx, bool four = true) {
    std::vector<Message> out;
    for (const auto& s : all<Send>(fx)) out.push_back(decode(s.bytes, four));
    return out;
}
Notification sent_notification(const std::vector<Effect>& fx) {
    for (const auto& m : sent(fx))
        if (auto* n = std::get_if<Notification>(&m)) return *n;
    ADD_FAILURE() << "no NOTIFICATION sent";
    return {};
}

SessionConfig config() {
    SessionConfig c;
    c.local_as = 65000;
    c.router_id = 0x0a000001;
    c.peer_as = 65001;
    c.hold_time = 90;
    return c;
}

Open peer_open(std::uint32_t as = 65001, std::uint16_t hold = 30, bool four = true,
               std::vector<AfiSafi> fams = {kIpv4Unicast, kIpv6Unicast}) {
    Open o;
    o.my_as = as > 0xffff ? kAsTrans : static_cast<std::uint16_t>(as);
    o.hold_time = hold;
    o.bgp_id = 0x0a000002;
    o.capabilities = make_capabilities(fams, as);
    if (!four) std::erase_if(o.capabilities, [](const Capability& c) { return c.code == cap::four_octet_as; });
    // Things a real peer (bird2) announces too.
    o.capabilities.push_back({cap::graceful_restart, std::string("\x00\x78", 2)});
    o.capabilities.push_back({cap::enhanced_route_refresh, {}});
    return o;
}

std::vector<Effect> feed(Session& s, const Message& m, std::int64_t now, bool four = true) {
    return s.bytes_received(encode(m, four), now);
}

// Brings a session to Established at time t0; returns the effects of the
// last step.
std::vector<Effect> establish(Session& s, std::int64_t t0, Open o = peer_open(), bool four = true) {
    auto fx = s.tcp_connected(t0);
    EXPECT_EQ(s.state(), State::OpenSent);
    fx = feed(s, o, t0 + 1000, four);
    EXPECT_EQ(s.state(), State::OpenConfirm);
    fx = feed(s, Keepalive{}, t0 + 2000, four);
    EXPECT_EQ(s.state(), State::Established);
    return fx;
}

Update ipv4_update(std::vector<Prefix> nlri, const char* nh = "192.0.2.1") {
    Update u;
    u.nlri = std::move(nlri);
    u.attrs.origin = Origin::igp;
    u.attrs.as_path = AsPath{{SegmentType::as_sequence, {65001, 65010}}};
    u.attrs.next_hop = A(nh);
    u.attrs.med = 5;
    u.attrs.local_pref = 100;
    u.attrs.communities = {0xfde90001};
    return u;
}

}  // namespace

TEST(BgpSession, ConfigValidated) {
    auto c = config();
    c.router_id = 0;
    EXPECT_THROW(Session{c}, std::invalid_argument);
    c = config();
    c.hold_time = 2;
    EXPECT_THROW(Session{c}, std::invalid_argument);
}

TEST(BgpSession, Establishment) {
    Session s(config());
    EXPECT_EQ(s.state(), State::Idle);
    s.connecting(0);
    EXPECT_EQ(s.state(), State::Connect);
    auto fx = s.tcp_connected(0);
    auto m = sent(fx);
    ASSERT_EQ(m.size(), 1u);
    const auto& o = std::get<Open>(m[0]);
    EXPECT_EQ(o.my_as, 65000);
    EXPECT_EQ(o.hold_time, 90);
    EXPECT_EQ(o.bgp_id, 0x0a000001u);
    auto pc = parse_capabilities(o.capabilities);
    EXPECT_EQ(pc.as4, 65000u);
    EXPECT_TRUE(pc.route_refresh);
    EXPECT_EQ(pc.families, (std::vector<AfiSafi>{kIpv4Unicast, kIpv6Unicast}));
    EXPECT_FALSE(pc.add_path);
    EXPECT_EQ(s.next_wakeup(), 240 * kSec);  // large hold timer while waiting for OPEN

    fx = feed(s, peer_open(), 1000);
    m = sent(fx);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_TRUE(std::holds_alternative<Keepalive>(m[0]));
    EXPECT_EQ(s.state(), State::OpenConfirm);

    fx = feed(s, Keepalive{}, 2000);
    auto est = one<Established>(fx);
    EXPECT_EQ(est.peer_as, 65001u);
    EXPECT_EQ(est.peer_id, 0x0a000002u);
    EXPECT_EQ(est.hold_time, 30);  // min(90, 30)
    EXPECT_TRUE(est.four_octet_as);
    EXPECT_TRUE(est.route_refresh);
    EXPECT_EQ(est.families, (std::vector<AfiSafi>{kIpv4Unicast, kIpv6Unicast}));
    EXPECT_TRUE(s.peer_capabilities().graceful_restart);
    EXPECT_EQ(s.counters().established, 1u);
}

TEST(BgpSession, OpenWithAsTransWhenLocalAsIsLarge) {
    auto c = config();
    c.local_as = 4200000000u;
    Session s(c);
    auto o = std::get<Open>(sent(s.tcp_connected(0))[0]);
    EXPECT_EQ(o.my_as, kAsTrans);
    EXPECT_EQ(parse_capabilities(o.capabilities).as4, 4200000000u);
}

TEST(BgpSession, KeepalivesAndHoldTimer) {
    Session s(config());
    establish(s, 0);
    // OPEN accepted at 1000: keepalive every 10 s from there.
    EXPECT_EQ(s.next_wakeup(), 1000 + 10 * kSec);
    auto fx = s.tick(1000 + 10 * kSec);
    ASSERT_EQ(sent(fx).size(), 1u);
    EXPECT_TRUE(std::holds_alternative<Keepalive>(sent(fx)[0]));
    EXPECT_EQ(s.next_wakeup(), 1000 + 20 * kSec);
    // The peer's KEEPALIVE at 25 s moves the hold deadline to 55 s.
    feed(s, Keepalive{}, 25 * kSec);
    fx = s.tick(31 * kSec);  // keepalive at 20 s was due
    EXPECT_EQ(sent(fx).size(), 1u);
    fx = s.tick(41 * kSec);
    fx = s.tick(51 * kSec);
    EXPECT_EQ(s.state(), State::Established);
    EXPECT_TRUE(all<SessionDown>(fx).empty());
    // Nothing from the peer until 55 s: hold timer expires.
    fx = s.tick(55 * kSec);
    auto n = sent_notification(fx);
    EXPECT_EQ(n.code, 4);
    EXPECT_EQ(n.subcode, 0);
    EXPECT_EQ(all<CloseConnection>(fx).size(), 1u);
    auto d = one<SessionDown>(fx);
    EXPECT_NE(d.reason.find("hold timer"), std::string::npos);
    ASSERT_TRUE(d.sent);
    EXPECT_EQ(d.sent->code, 4);
    EXPECT_EQ(s.state(), State::Idle);
    EXPECT_EQ(s.next_wakeup(), INT64_MAX);
}

TEST(BgpSession, HoldTimeZeroDisablesTimers) {
    Session s(config());
    establish(s, 0, peer_open(65001, 0));
    EXPECT_EQ(s.negotiated().hold_time, 0);
    EXPECT_EQ(s.next_wakeup(), INT64_MAX);
    EXPECT_TRUE(s.tick(1000 * kSec).empty());
    EXPECT_EQ(s.state(), State::Established);
}

TEST(BgpSession, OpenSentTimesOutWithoutOpen) {
    Session s(config());
    s.tcp_connected(0);
    EXPECT_TRUE(s.tick(239 * kSec).empty());
    auto fx = s.tick(240 * kSec);
    EXPECT_EQ(sent_notification(fx).code, 4);
    EXPECT_EQ(s.state(), State::Idle);
}

TEST(BgpSession, NotificationReceived) {
    Session s(config());
    establish(s, 0);
    auto fx = feed(s, Notification{6, 2, std::string("\x05maint", 6)}, 5 * kSec);
    EXPECT_TRUE(all<Send>(fx).empty());
    EXPECT_EQ(all<CloseConnection>(fx).size(), 1u);
    auto d = one<SessionDown>(fx);
    ASSERT_TRUE(d.received);
    EXPECT_EQ(d.received->subcode, 2);
    EXPECT_NE(d.reason.find("maint"), std::string::npos);
    EXPECT_EQ(s.state(), State::Idle);
    // The host reconnects: a fresh session on the same object.
    establish(s, 10 * kSec);
    EXPECT_EQ(s.counters().established, 2u);
}

TEST(BgpSession, OpenErrors) {
    {  // bad peer AS 2/2
        Session s(config());
        s.tcp_connected(0);
        auto fx = feed(s, peer_open(65099), 1);
        auto n = sent_notification(fx);
        EXPECT_EQ(n.code, 2);
        EXPECT_EQ(n.subcode, 2);
        EXPECT_EQ(s.state(), State::Idle);
        EXPECT_EQ(all<SessionDown>(fx).size(), 1u);
    }
    {  // peer_as 0 in the config accepts any AS
        auto c = config();
        c.peer_as = 0;
        Session s(c);
        establish(s, 0, peer_open(4200000001u));
        EXPECT_EQ(s.negotiated().peer_as, 4200000001u);
    }
    {  // unacceptable hold time 2/6
        Session s(config());
        s.tcp_connected(0);
        auto fx = feed(s, peer_open(65001, 2), 1);
        auto n = sent_notification(fx);
        EXPECT_EQ(n.code, 2);
        EXPECT_EQ(n.subcode, 6);
    }
    {  // bad version 2/1, data = highest version supported
        Session s(config());
        s.tcp_connected(0);
        Open o = peer_open();
        o.version = 5;
        auto fx = feed(s, o, 1);
        auto n = sent_notification(fx);
        EXPECT_EQ(n.code, 2);
        EXPECT_EQ(n.subcode, 1);
        EXPECT_EQ(n.data, std::string("\x00\x04", 2));
    }
    {  // iBGP peer with our own identifier 2/3
        auto c = config();
        c.peer_as = 65000;
        Session s(c);
        s.tcp_connected(0);
        Open o = peer_open(65000);
        o.bgp_id = c.router_id;
        EXPECT_EQ(sent_notification(feed(s, o, 1)).subcode, 3);
    }
}

TEST(BgpSession, UnexpectedMessagesAreFsmErrors) {
    Session s(config());
    s.tcp_connected(0);
    auto fx = feed(s, Keepalive{}, 1);
    auto n = sent_notification(fx);
    EXPECT_EQ(n.code, 5);
    EXPECT_EQ(n.subcode, 1);
    s.tcp_connected(10);
    feed(s, peer_open(), 11);
    fx = feed(s, ipv4_update({P("10.0.0.0/8")}), 12);
    n = sent_notification(fx);
    EXPECT_EQ(n.code, 5);
    EXPECT_EQ(n.subcode, 2);
    establish(s, 20);
    fx = feed(s, peer_open(), 30);
    EXPECT_EQ(sent_notification(fx).subcode, 3);
}

TEST(BgpSession, HeaderErrorsFromTheStream) {
    Session s(config());
    establish(s, 0);
    std::string bad = encode_keepalive();
    bad[0] = 0;
    auto fx = s.bytes_received(bad, 1);
    auto n = sent_notification(fx);
    EXPECT_EQ(n.code, 1);
    EXPECT_EQ(n.subcode, 1);
    establish(s, 10);
    std::string t = encode_keepalive();
    t[18] = 7;
    n = sent_notification(s.bytes_received(t, 11));
    EXPECT_EQ(n.subcode, 3);
}

TEST(BgpSession, UpdatesWithdrawalsAndEndOfRib) {
    Session s(config());
    establish(s, 0);
    // Byte by byte, two UPDATEs in one stream.
    std::string stream = encode(ipv4_update({P("10.0.0.0/8"), P("10.1.0.0/16")})) +
                         encode(ipv4_update({P("172.16.0.0/12")}, "192.0.2.9"));
    std::vector<Effect> fx;
    for (char c : stream) {
        auto f = s.bytes_received(std::string_view(&c, 1), 100);
        fx.insert(fx.end(), f.begin(), f.end());
    }
    auto rc = all<RoutesChanged>(fx);
    ASSERT_EQ(rc.size(), 2u);
    ASSERT_EQ(rc[0].announced.size(), 1u);
    const auto& an = rc[0].announced[0];
    EXPECT_EQ(an.prefixes, (std::vector<Prefix>{P("10.0.0.0/8"), P("10.1.0.0/16")}));
    EXPECT_EQ(an.attrs.next_hop, A("192.0.2.1"));
    EXPECT_EQ(an.attrs.as_path, (std::vector<std::uint32_t>{65001, 65010}));
    EXPECT_EQ(an.attrs.path_length(), 2u);
    EXPECT_EQ(an.attrs.origin_as(), 65010u);
    EXPECT_EQ(an.attrs.med, 5u);
    EXPECT_FALSE(an.attrs.local_pref);  // eBGP: ignored
    EXPECT_EQ(an.attrs.communities, std::vector<std::uint32_t>{0xfde90001});
    EXPECT_EQ(rc[1].announced[0].attrs.next_hop, A("192.0.2.9"));

    // IPv6 via MP_REACH, then withdrawals of both families.
    Update v6;
    v6.attrs.origin = Origin::igp;
    v6.attrs.as_path = AsPath{{SegmentType::as_sequence, {65001}}};
    v6.attrs.mp_reach = MpReach{kIpv6Unicast, A("2001:db8::1"), A("fe80::1"), {P("2001:db8:100::/40")}};
    auto r6 = one<RoutesChanged>(feed(s, v6, 200));
    ASSERT_EQ(r6.announced.size(), 1u);
    EXPECT_EQ(r6.announced[0].attrs.next_hop, A("2001:db8::1"));
    EXPECT_EQ(r6.announced[0].attrs.next_hop_link_local, A("fe80::1"));

    Update wd;
    wd.withdrawn = {P("10.1.0.0/16")};
    wd.attrs.mp_unreach = MpUnreach{kIpv6Unicast, {P("2001:db8:100::/40")}};
    auto rw = one<RoutesChanged>(feed(s, wd, 300));
    EXPECT_TRUE(rw.announced.empty());
    EXPECT_EQ(rw.withdrawn, (std::vector<Prefix>{P("10.1.0.0/16"), P("2001:db8:100::/40")}));

    // End-of-RIB for both families.
    EXPECT_FALSE(s.end_of_rib(kIpv4Unicast));
    auto e4 = one<EndOfRib>(feed(s, Update{}, 400));
    EXPECT_EQ(e4.family, kIpv4Unicast);
    Update eor6;
    eor6.attrs.mp_unreach = MpUnreach{kIpv6Unicast, {}};
    auto e6 = one<EndOfRib>(feed(s, eor6, 401));
    EXPECT_EQ(e6.family, kIpv6Unicast);
    EXPECT_TRUE(s.end_of_rib(kIpv4Unicast));
    EXPECT_TRUE(s.end_of_rib(kIpv6Unicast));
    EXPECT_EQ(s.counters().prefixes_announced, 4u);
    EXPECT_EQ(s.counters().prefixes_withdrawn, 2u);
    // Updates count as traffic for the hold timer.
    EXPECT_EQ(s.next_wakeup(), 1000 + 10 * kSec);
    s.tick(1000 + 10 * kSec);
    s.tick(1000 + 20 * kSec);
    EXPECT_EQ(s.next_wakeup(), 401 + 30 * kSec);
    EXPECT_TRUE(all<SessionDown>(s.tick(400 + 30 * kSec)).empty());
    EXPECT_EQ(all<SessionDown>(s.tick(401 + 30 * kSec)).size(), 1u);
}

TEST(BgpSession, IbgpKeepsLocalPref) {
    auto c = config();
    c.peer_as = 65000;
    Session s(c);
    establish(s, 0, peer_open(65000));
    auto rc = one<RoutesChanged>(feed(s, ipv4_update({P("10.0.0.0/8")}), 10));
    EXPECT_EQ(rc.announced[0].attrs.local_pref, 100u);
}

TEST(BgpSession, FamiliesNotNegotiatedAreIgnored) {
    auto c = config();
    c.families = {kIpv4Unicast};
    Session s(c);
    establish(s, 0);
    EXPECT_EQ(s.negotiated().families, std::vector<AfiSafi>{kIpv4Unicast});
    Update v6;
    v6.attrs.origin = Origin::igp;
    v6.attrs.as_path = AsPath{};
    v6.attrs.mp_reach = MpReach{kIpv6Unicast, A("2001:db8::1"), std::nullopt, {P("2001:db8::/32")}};
    EXPECT_TRUE(all<RoutesChanged>(feed(s, v6, 10)).empty());
    EXPECT_EQ(s.counters().prefixes_ignored, 1u);
    // A peer without any MP capability speaks IPv4 unicast.
    Session t(config());
    Open o = peer_open();
    std::erase_if(o.capabilities, [](const Capability& c) { return c.code == cap::multiprotocol; });
    establish(t, 0, o);
    EXPECT_EQ(t.negotiated().families, std::vector<AfiSafi>{kIpv4Unicast});
}

TEST(BgpSession, TwoOctetPeerWithAs4Path) {
    auto c = config();
    c.local_as = 4200000000u;
    c.peer_as = 65001;
    Session s(c);
    establish(s, 0, peer_open(65001, 90, false), false);
    EXPECT_FALSE(s.negotiated().four_octet_as);
    Update u = ipv4_update({P("198.51.100.0/24")});
    u.attrs.as_path = AsPath{{SegmentType::as_sequence, {65001, kAsTrans, kAsTrans}}};
    u.attrs.as4_path = AsPath{{SegmentType::as_sequence, {4200000001u, 4200000002u}}};
    auto rc = one<RoutesChanged>(feed(s, u, 10, false));
    ASSERT_EQ(rc.announced.size(), 1u);
    EXPECT_EQ(rc.announced[0].attrs.as_path, (std::vector<std::uint32_t>{65001, 4200000001u, 4200000002u}));
    EXPECT_EQ(rc.announced[0].attrs.path_length(), 3u);
}

TEST(BgpSession, TreatAsWithdraw) {
    Session s(config());
    establish(s, 0);
    // UPDATE for 10/8 whose COMMUNITIES attribute has 3 octets.
    std::string body = std::string("\x00\x00\x00\x14", 4) + std::string("\x40\x01\x01\x00", 4) +
                       std::string("\x40\x02\x00", 3) + std::string("\x40\x03\x04\xc0\x00\x02\x01", 7) +
                       std::string("\xc0\x08\x03\x01\x02\x03", 6) + std::string("\x08\x0a", 2);
    std::string m(16, '\xff');
    m += std::string("\x00", 1) + static_cast<char>(19 + body.size()) + "\x02" + body;
    auto fx = s.bytes_received(m, 10);
    auto rc = one<RoutesChanged>(fx);
    EXPECT_TRUE(rc.announced.empty());
    EXPECT_EQ(rc.withdrawn, std::vector<Prefix>{P("10.0.0.0/8")});
    auto err = one<UpdateError>(fx);
    EXPECT_TRUE(err.treat_as_withdraw);
    EXPECT_NE(err.reason.find("COMMUNITIES"), std::string::npos);
    EXPECT_EQ(s.state(), State::Established);  // no session reset
    EXPECT_EQ(s.counters().treat_as_withdraw, 1u);
    // A broken NLRI field does reset it (3/10).
    std::string bad(16, '\xff');
    bad += std::string("\x00\x1d\x02\x00\x00\x00\x00\x21\x0a\x00\x00\x00\x00", 13);
    auto n = sent_notification(s.bytes_received(bad, 20));
    EXPECT_EQ(n.code, 3);
    EXPECT_EQ(n.subcode, 10);
    EXPECT_EQ(s.state(), State::Idle);
}

TEST(BgpSession, RouteRefresh) {
    Session s(config());
    EXPECT_TRUE(s.request_refresh(kIpv4Unicast).empty());  // not established
    establish(s, 0);
    auto m = sent(s.request_refresh(kIpv6Unicast));
    ASSERT_EQ(m.size(), 1u);
    EXPECT_EQ(std::get<RouteRefresh>(m[0]).family, kIpv6Unicast);
    EXPECT_TRUE(s.request_refresh(AfiSafi{1, 128}).empty());  // not negotiated
    // A ROUTE-REFRESH from the peer is accepted and ignored.
    EXPECT_TRUE(feed(s, RouteRefresh{kIpv4Unicast, 0}, 5).empty());
    EXPECT_EQ(s.state(), State::Established);
    // A peer without the capability gets none.
    Session t(config());
    Open o = peer_open();
    std::erase_if(o.capabilities, [](const Capability& c) { return c.code == cap::route_refresh; });
    establish(t, 0, o);
    EXPECT_TRUE(t.request_refresh(kIpv4Unicast).empty());
}

TEST(BgpSession, TcpClosedAndStop) {
    Session s(config());
    establish(s, 0);
    auto fx = s.tcp_closed(5);
    EXPECT_TRUE(all<Send>(fx).empty());
    EXPECT_EQ(all<SessionDown>(fx).size(), 1u);
    EXPECT_EQ(s.state(), State::Idle);
    EXPECT_TRUE(s.tcp_closed(6).empty());
    establish(s, 10);
    fx = s.stop("maintenance", 20);
    auto n = sent_notification(fx);
    EXPECT_EQ(n.code, 6);
    EXPECT_EQ(n.subcode, 2);
    EXPECT_EQ(n.data, std::string("\x0bmaintenance"));
    EXPECT_EQ(all<CloseConnection>(fx).size(), 1u);
    EXPECT_EQ(s.state(), State::Idle);
    // Bytes arriving after the session went down are ignored.
    EXPECT_TRUE(s.bytes_received(encode_keepalive(), 21).empty());
}

TEST(BgpSession, BackoffDoublesToTheCapWithJitter) {
    Backoff b;
    std::vector<std::int64_t> d;
    for (int i = 0; i < 10; ++i) d.push_back(b.next() / kSec);
    EXPECT_EQ(d, (std::vector<std::int64_t>{1, 2, 4, 8, 16, 32, 64, 120, 120, 120}));
    b.reset();
    EXPECT_EQ(b.next(), kSec);
    Backoff j([] { return 0.0; });
    EXPECT_EQ(j.next(), 750'000);
    EXPECT_EQ(j.next(), 1'500'000);
    Backoff k([] { return 0.999999; }, 2 * kSec, 10 * kSec);
    EXPECT_NEAR(static_cast<double>(k.next()), 2e6, 10);
}
