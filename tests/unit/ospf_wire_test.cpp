// lib/prox/ospf/wire: OSPFv2 packets and LSAs against bytes made elsewhere
// (Scapy's OSPF layer computed the checksums; the MD5 and HMAC-SHA256
// trailers were computed with Python's hashlib from RFC 2328 D.4.3 and
// RFC 5709 3.3; and a capture of two FRR routers forming an adjacency with
// MD5), round trips, and malformed input refused.
#include "ospf_frr_capture.hpp"
#include "prox/ospf/lsdb.hpp"
#include "prox/ospf/wire.hpp"

#include <gtest/gtest.h>

#include <string>

namespace {

using namespace sr::prox::ospf;

std::string unhex(const std::string& h) {
    std::string out;
    for (std::size_t i = 0; i + 1 < h.size(); i += 2) out.push_back(static_cast<char>(std::stoi(h.substr(i, 2), nullptr, 16)));
    return out;
}

const std::string kHelloNull =
    "020100340a00000900000001ca8700000000000000000000ffffff00000a0200000000280a0000010a0000020a0000010a000002";
const std::string kHelloSimple =
    "020100300a00000900000001d48c00017365637265740000ffffff00000a0200000000280a0000010a0000020a000001";
const std::string kHelloMd5 =
    "020100300a00000900000001000000020000011000000005ffffff00000a0200000000280a0000010a0000020a000001"
    "2adcd3a726dec5c776b9ac54d9fdbc41";
const std::string kHelloSha256 =
    "020100300a00000900000001000000020000032000000007ffffff00000a0200000000280a0000010a0000020a000001"
    "d2c0210c29e04d1cf665bc01583f87bcbf41afb8123d70786bf6c03ca317c675";
const std::string kRouterLsa =
    "000100010a0000010a0000018000000165d50030000000020a000002c0a801010100000ac0a80100ffffff000300000a";
const std::string kNetworkLsa = "00050002c0a801010a000001800000034f7d0020ffffff000a0000010a000002";
const std::string kExternalLsa = "00050005cb0071000a00000380000002a0cd0024ffffff00800000140000000000000007";
const std::string kSummaryLsa = "00050003ac1000000a00000480000001beb7001cffff00000000001e";

TEST(OspfWire, AHelloWithoutAuthentication) {
    Packet p = decode(unhex(kHelloNull), Auth{});
    EXPECT_EQ(p.router_id, parse_dotted("10.0.0.9"));
    EXPECT_EQ(p.area_id, 1u);
    ASSERT_EQ(p.type(), PacketType::hello);
    const auto& h = std::get<Hello>(p.body);
    EXPECT_EQ(h.mask, 0xffffff00u);
    EXPECT_EQ(h.hello_interval, 10);
    EXPECT_EQ(h.dead_interval, 40u);
    EXPECT_EQ(h.dr, parse_dotted("10.0.0.1"));
    EXPECT_EQ(h.bdr, parse_dotted("10.0.0.2"));
    ASSERT_EQ(h.neighbors.size(), 2u);
    EXPECT_EQ(encode(p, Auth{}), unhex(kHelloNull)) << "the checksum as Scapy computes it";
}

TEST(OspfWire, SimpleCryptographicMd5AndHmacSha256Authentication) {
    Auth simple{Auth::Kind::simple, "secret", 0};
    Packet p = decode(unhex(kHelloSimple), simple);
    EXPECT_EQ(encode(p, simple), unhex(kHelloSimple));
    EXPECT_THROW(decode(unhex(kHelloSimple), Auth{Auth::Kind::simple, "secreT", 0}), OspfError);
    EXPECT_THROW(decode(unhex(kHelloSimple), Auth{}), OspfError) << "a password where the area has none";

    Auth md5{Auth::Kind::md5, "md5key", 1};
    p = decode(unhex(kHelloMd5), md5);
    EXPECT_EQ(p.crypto_sequence, 5u);
    EXPECT_EQ(encode(p, md5, 5), unhex(kHelloMd5));
    EXPECT_THROW(decode(unhex(kHelloMd5), Auth{Auth::Kind::md5, "md5kez", 1}), OspfError) << "wrong key";
    EXPECT_THROW(decode(unhex(kHelloMd5), Auth{Auth::Kind::md5, "md5key", 2}), OspfError) << "wrong key id";
    std::string altered = unhex(kHelloMd5);
    altered[30] ^= 1;  // the hello interval
    EXPECT_THROW(decode(altered, md5), OspfError);

    Auth sha{Auth::Kind::hmac_sha256, "shakey", 3};
    p = decode(unhex(kHelloSha256), sha);
    EXPECT_EQ(p.crypto_sequence, 7u);
    EXPECT_EQ(encode(p, sha, 7), unhex(kHelloSha256));
    EXPECT_THROW(decode(unhex(kHelloSha256), Auth{Auth::Kind::hmac_sha1, "shakey", 3}), OspfError);
    // A key longer than the digest is hashed first (RFC 5709): still a round trip.
    Auth long_key{Auth::Kind::hmac_sha1, std::string(40, 'k'), 9};
    EXPECT_EQ(decode(encode(p, long_key, 8), long_key).crypto_sequence, 8u);
}

TEST(OspfWire, LsasAsScapyEncodesThem) {
    Lsa r = decode_lsa(unhex(kRouterLsa));
    EXPECT_EQ(r.header.type, 1);
    EXPECT_EQ(r.header.seq, kInitialSequence);
    const auto& rb = std::get<RouterLsa>(r.body);
    ASSERT_EQ(rb.links.size(), 2u);
    EXPECT_EQ(rb.links[0].type, LinkType::point_to_point);
    EXPECT_EQ(rb.links[0].id, parse_dotted("10.0.0.2"));
    EXPECT_EQ(rb.links[0].metric, 10);
    EXPECT_EQ(rb.links[1].type, LinkType::stub);
    EXPECT_EQ(encode_lsa(r), unhex(kRouterLsa)) << "Fletcher checksum and length";

    Lsa n = decode_lsa(unhex(kNetworkLsa));
    EXPECT_EQ(std::get<NetworkLsa>(n.body).routers.size(), 2u);
    EXPECT_EQ(encode_lsa(n), unhex(kNetworkLsa));
    Lsa e = decode_lsa(unhex(kExternalLsa));
    const auto& eb = std::get<ExternalLsa>(e.body);
    EXPECT_TRUE(eb.type2);
    EXPECT_EQ(eb.metric, 20u);
    EXPECT_EQ(eb.tag, 7u);
    EXPECT_EQ(encode_lsa(e), unhex(kExternalLsa));
    Lsa s = decode_lsa(unhex(kSummaryLsa));
    EXPECT_EQ(std::get<SummaryLsa>(s.body).metric, 30u);
    EXPECT_EQ(encode_lsa(s), unhex(kSummaryLsa));
}

TEST(OspfWire, TheAgeIsOutsideTheChecksumAndAnyOtherByteIsNot) {
    std::string lsa = unhex(kRouterLsa);
    lsa[1] = 100;  // aged in flight
    EXPECT_TRUE(lsa_checksum_ok(lsa));
    for (std::size_t i = 2; i < lsa.size(); ++i) {
        std::string bad = lsa;
        bad[i] ^= 0x10;
        EXPECT_FALSE(lsa_checksum_ok(bad)) << "byte " << i;
        EXPECT_THROW(decode_lsa(bad), OspfError) << "byte " << i;
    }
}

TEST(OspfWire, EveryPacketTypeRoundTrips) {
    Lsa ours;
    ours.header.type = 1;
    ours.header.id = ours.header.adv_router = parse_dotted("192.0.2.1");
    ours.body = RouterLsa{0, {RouterLink{parse_dotted("10.0.0.1"), parse_dotted("10.0.0.9"), LinkType::transit, kMaxMetric}}};
    std::string bytes = encode_lsa(ours);
    LsaHeader h = decode_lsa_header(bytes);
    std::vector<Packet> packets;
    packets.push_back({1, 0, DbDescription{1500, kOptionE, kFlagInit | kFlagMore | kFlagMasterSlave, 77, {h, h}}});
    packets.push_back({1, 0, LsRequest{{h.key(), LsaKey{2, 5, 6}}}});
    packets.push_back({1, 0, LsUpdate{{bytes, unhex(kNetworkLsa)}}});
    packets.push_back({1, 0, LsAck{{h}}});
    packets.push_back({1, 0, Hello{}});
    for (const auto& auth : {Auth{}, Auth{Auth::Kind::md5, "k", 1}, Auth{Auth::Kind::hmac_sha512, "k", 2}})
        for (const auto& p : packets) {
            Packet back = decode(encode(p, auth, 3), auth);
            back.crypto_sequence = 0;
            EXPECT_EQ(back, p) << "type " << static_cast<int>(p.type());
        }
    EXPECT_EQ(decode_lsa(std::get<LsUpdate>(decode(encode(packets[2], Auth{}), Auth{}).body).lsas[0]), decode_lsa(bytes));
}

TEST(OspfWire, MalformedPacketsAreRefusedWithAReason) {
    std::string good = unhex(kHelloNull);
    auto refused = [](std::string b) {
        try {
            decode(b, Auth{});
        } catch (const OspfError&) {
            return true;
        }
        return false;
    };
    EXPECT_TRUE(refused(""));
    EXPECT_TRUE(refused(good.substr(0, 23)));
    std::string v3 = good;
    v3[0] = 3;
    EXPECT_TRUE(refused(v3));
    std::string type9 = good;
    type9[1] = 9;
    EXPECT_TRUE(refused(type9));
    std::string longer = good;
    longer[3] = static_cast<char>(good.size() + 4);  // says more than there is
    EXPECT_TRUE(refused(longer));
    std::string bad_sum = good;
    bad_sum[12] ^= 1;
    EXPECT_TRUE(refused(bad_sum));
    // An LS Update counting more LSAs than it has, or an LSA longer than the packet.
    Packet u{1, 0, LsUpdate{{unhex(kNetworkLsa)}}};
    std::string upd = encode(u, Auth{});
    std::string more = upd;
    more[27] = 2;
    more[12] = more[13] = 0;
    std::string fixed = more;
    fixed[12] = static_cast<char>(ip_checksum(more) >> 8);
    fixed[13] = static_cast<char>(ip_checksum(more) & 0xff);
    EXPECT_TRUE(refused(fixed));
    // Every truncation of a valid packet is refused or decodes, never reads past the end.
    for (std::size_t n = 0; n < upd.size(); ++n) {
        try {
            decode(upd.substr(0, n), Auth{});
        } catch (const OspfError&) {
        }
    }
}

TEST(OspfWire, AnAdjacencyBetweenTwoFrrRoutersDecodesAndReencodesByteForByte) {
    Auth md5{Auth::Kind::md5, "md5key", 1};
    int seen[6] = {};
    Lsdb db;
    for (const char* hex : kFrrCapture) {
        std::string bytes = unhex(hex);
        Packet p = decode(bytes, md5);
        ++seen[static_cast<int>(p.type())];
        EXPECT_EQ(encode(p, md5, p.crypto_sequence), bytes) << hex;
        if (const auto* u = std::get_if<LsUpdate>(&p.body))
            for (const auto& l : u->lsas) {
                EXPECT_EQ(encode_lsa(decode_lsa(l)), l);
                db.install(l, 0);
            }
        EXPECT_THROW(decode(bytes, Auth{Auth::Kind::md5, "md5kez", 1}), OspfError);
    }
    for (int t = 1; t <= 5; ++t) EXPECT_GT(seen[t], 0) << "packet type " << t;
    // What they flooded: two routers on a LAN whose DR is 2.2.2.2, each with its loopback.
    sr::prox::Topology t = build_topology(db, 0, 0);
    ASSERT_EQ(t.size(), 2u);
    EXPECT_EQ(t.links(*t.find("1.1.1.1")).size(), 1u);
    EXPECT_EQ(t.links(*t.find("2.2.2.2")).size(), 1u);
    int attached = 0;
    for (const auto& [prefix, at] : t.prefixes())
        attached += (prefix.str() == "1.1.1.1/32" && at == *t.find("1.1.1.1")) +
                    (prefix.str() == "2.2.2.2/32" && at == *t.find("2.2.2.2")) +
                    (prefix.str() == "10.9.0.0/24" && at == *t.find("2.2.2.2"));
    EXPECT_EQ(attached, 3);
}

}  // namespace
