// lib/prox: MRT TABLE_DUMP_V2 reader, on byte vectors built by hand.
#include "prox/mrt.hpp"

#include <gtest/gtest.h>

#include <sstream>

#include "core/error.hpp"

namespace {

using namespace sr::prox;
using Bytes = std::vector<std::uint8_t>;

void be16(Bytes& b, std::uint32_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}
void be32(Bytes& b, std::uint32_t v) {
    be16(b, v >> 16);
    be16(b, v & 0xffff);
}
void append(Bytes& b, const Bytes& more) { b.insert(b.end(), more.begin(), more.end()); }
void addr(Bytes& b, const char* text) {
    auto a = *Address::parse(text);
    b.insert(b.end(), a.bytes.begin(), a.bytes.begin() + (a.family == Family::v4 ? 4 : 16));
}

Bytes record(std::uint16_t type, std::uint16_t subtype, const Bytes& body, std::uint32_t ts = 1700000000) {
    Bytes b;
    be32(b, ts);
    be16(b, type);
    be16(b, subtype);
    be32(b, static_cast<std::uint32_t>(body.size()));
    append(b, body);
    return b;
}

struct Peer {
    const char* address;
    std::uint32_t asn;
    bool as4;
};

Bytes peer_table(const std::vector<Peer>& peers) {
    Bytes b;
    be32(b, 0xc0000201);
    be16(b, 4);
    append(b, {'v', 'i', 'e', 'w'});
    be16(b, static_cast<std::uint32_t>(peers.size()));
    for (auto& p : peers) {
        bool v6 = std::string(p.address).find(':') != std::string::npos;
        b.push_back(static_cast<std::uint8_t>((v6 ? 1 : 0) | (p.as4 ? 2 : 0)));
        be32(b, 0x0a000001);
        addr(b, p.address);
        if (p.as4) be32(b, p.asn);
        else be16(b, p.asn);
    }
    return record(13, 1, b);
}

Bytes attr(std::uint8_t type, const Bytes& value, bool extended = false) {
    Bytes b{static_cast<std::uint8_t>(0x40 | (extended ? 0x10 : 0)), type};
    if (extended) be16(b, static_cast<std::uint32_t>(value.size()));
    else b.push_back(static_cast<std::uint8_t>(value.size()));
    append(b, value);
    return b;
}

Bytes as_path(std::vector<std::pair<std::uint8_t, std::vector<std::uint32_t>>> segments) {
    Bytes v;
    for (auto& [type, asns] : segments) {
        v.push_back(type);
        v.push_back(static_cast<std::uint8_t>(asns.size()));
        for (auto a : asns) be32(v, a);
    }
    return attr(2, v);
}

Bytes u32attr(std::uint8_t type, std::uint32_t x) {
    Bytes v;
    be32(v, x);
    return attr(type, v);
}

struct Entry {
    std::uint16_t peer;
    Bytes attrs;
};

Bytes rib(std::uint16_t subtype, std::uint32_t seq, const char* prefix, const std::vector<Entry>& entries,
          bool addpath = false) {
    auto p = *Prefix::parse(prefix);
    Bytes b;
    be32(b, seq);
    b.push_back(p.len);
    b.insert(b.end(), p.addr.bytes.begin(), p.addr.bytes.begin() + (p.len + 7) / 8);
    be16(b, static_cast<std::uint32_t>(entries.size()));
    for (auto& e : entries) {
        be16(b, e.peer);
        be32(b, 1690000000);
        if (addpath) be32(b, 77);
        be16(b, static_cast<std::uint32_t>(e.attrs.size()));
        append(b, e.attrs);
    }
    return record(13, subtype, b);
}

Bytes v4_attrs(const char* nh, std::vector<std::uint32_t> path) {
    Bytes a = attr(1, {0});
    append(a, as_path({{2, path}}));
    Bytes h;
    addr(h, nh);
    append(a, attr(3, h));
    append(a, u32attr(4, 50));
    append(a, u32attr(5, 200));
    return a;
}

struct Seen {
    std::string prefix, peer, next_hop;
    std::uint32_t path_len;
    std::vector<std::uint32_t> path;
    std::optional<std::uint32_t> local_pref, med;
    std::uint32_t path_id;
};

std::vector<Seen> decode(const Bytes& stream, std::size_t piece = 0) {
    std::vector<Seen> out;
    MrtDecoder d([&](const MrtRoute& r) {
        out.push_back({r.prefix.str(), r.peer ? r.peer->address.str() : "", r.next_hop ? r.next_hop->str() : "-",
                       r.as_path_length, std::vector<std::uint32_t>(r.as_path.begin(), r.as_path.end()),
                       r.local_pref, r.med, r.path_id});
    });
    if (piece == 0) {
        d.feed(stream);
    } else {
        for (std::size_t i = 0; i < stream.size(); i += piece)
            d.feed(std::span(stream).subspan(i, std::min(piece, stream.size() - i)));
    }
    d.finish();
    return out;
}

Bytes sample() {
    Bytes s = peer_table({{"192.0.2.1", 64500, false}, {"2001:db8::1", 4200000000u, true}});
    append(s, record(16, 4, {1, 2, 3}));  // BGP4MP: skipped
    append(s, rib(2, 0, "203.0.113.0/24",
                  {{0, v4_attrs("192.0.2.1", {64500, 64501, 64502})}, {1, v4_attrs("192.0.2.9", {4200000000u})}}));
    Bytes v6 = attr(1, {0});
    append(v6, as_path({{2, {64500, 64510}}, {1, {1, 2, 3}}}));  // sequence of 2 + a set = 3
    Bytes mp{32};
    addr(mp, "2001:db8::1");
    addr(mp, "fe80::1");
    append(v6, attr(14, mp));
    append(s, rib(4, 1, "2001:db8:1000::/36", {{1, v6}}));
    return s;
}

TEST(ProxMrt, DecodesPeerTableAndRibs) {
    auto s = sample();
    auto routes = decode(s);
    ASSERT_EQ(routes.size(), 3u);
    EXPECT_EQ(routes[0].prefix, "203.0.113.0/24");
    EXPECT_EQ(routes[0].peer, "192.0.2.1");
    EXPECT_EQ(routes[0].next_hop, "192.0.2.1");
    EXPECT_EQ(routes[0].path_len, 3u);
    EXPECT_EQ(routes[0].path, (std::vector<std::uint32_t>{64500, 64501, 64502}));
    EXPECT_EQ(routes[0].local_pref, 200u);
    EXPECT_EQ(routes[0].med, 50u);
    EXPECT_EQ(routes[1].peer, "2001:db8::1");
    EXPECT_EQ(routes[1].next_hop, "192.0.2.9");
    EXPECT_EQ(routes[1].path, (std::vector<std::uint32_t>{4200000000u}));
    EXPECT_EQ(routes[2].prefix, "2001:db8:1000::/36");
    EXPECT_EQ(routes[2].next_hop, "2001:db8::1");
    EXPECT_EQ(routes[2].path_len, 3u);
    EXPECT_FALSE(routes[2].local_pref);
}

TEST(ProxMrt, ByteAtATimeGivesTheSameRoutes) {
    auto s = sample();
    auto whole = decode(s);
    for (std::size_t piece : {1u, 7u, 13u}) {
        auto parts = decode(s, piece);
        ASSERT_EQ(parts.size(), whole.size());
        for (std::size_t i = 0; i < whole.size(); ++i) EXPECT_EQ(parts[i].prefix, whole[i].prefix);
    }
}

TEST(ProxMrt, CountsAndAddpathAndFullMpReach) {
    Bytes s = peer_table({{"2001:db8::1", 65000, true}});
    Bytes full;  // AFI 2, SAFI 1, nh len 16, nh, reserved, no NLRI
    be16(full, 2);
    full.push_back(1);
    full.push_back(16);
    addr(full, "2001:db8::99");
    full.push_back(0);
    append(s, rib(10, 5, "2001:db8::/32", {{0, attr(14, full, true)}}, true));
    append(s, rib(3, 6, "224.0.0.0/4", {{0, {}}}));  // multicast: skipped
    std::vector<MrtRoute> got;
    MrtDecoder d([&](const MrtRoute& r) {
        EXPECT_EQ(r.next_hop->str(), "2001:db8::99");
        EXPECT_EQ(r.path_id, 77u);
        EXPECT_EQ(r.sequence, 5u);
        EXPECT_EQ(r.as_path_length, 0u);
        got.push_back(r);
    });
    d.feed(s);
    d.finish();
    EXPECT_EQ(got.size(), 1u);
    EXPECT_EQ(d.records(), 3u);
    EXPECT_EQ(d.skipped(), 1u);
    EXPECT_EQ(d.routes(), 1u);
    EXPECT_EQ(d.offset(), s.size());
}

std::string error_of(const Bytes& s) {
    try {
        decode(s);
    } catch (const sr::DecodeError& e) {
        return e.what();
    }
    return "";
}

TEST(ProxMrt, CorruptionThrowsWithOffset) {
    Bytes peers = peer_table({{"192.0.2.1", 64500, false}});
    const std::size_t rib_body = peers.size() + 12;  // offset of the RIB record's body
    // Truncated stream.
    auto s = sample();
    s.pop_back();
    EXPECT_NE(error_of(s).find("truncated record"), std::string::npos);
    // RIB before the peer table.
    EXPECT_NE(error_of(rib(2, 0, "10.0.0.0/8", {{0, {}}})).find("before any PEER_INDEX_TABLE"), std::string::npos);
    // Peer index out of range: offset of the entry = body + seq(4) + len(1) + prefix(1) + count(2).
    Bytes bad = peers;
    append(bad, rib(2, 0, "10.0.0.0/8", {{3, {}}}));
    EXPECT_EQ(error_of(bad), "mrt: offset " + std::to_string(rib_body + 8) + ": peer index 3 outside a table of 1 peers");
    // Prefix length 33.
    bad = peers;
    Bytes body;
    be32(body, 0);
    body.push_back(33);
    append(body, {10, 0, 0, 0, 0});
    be16(body, 0);
    append(bad, record(13, 2, body));
    EXPECT_EQ(error_of(bad), "mrt: offset " + std::to_string(rib_body + 4) + ": prefix length 33 > 32");
    // An attribute running past the entry's attribute block.
    bad = peers;
    Bytes a = attr(3, {1, 2, 3, 4});
    a[2] = 9;  // claims 9 bytes of value
    append(bad, rib(2, 0, "10.0.0.0/8", {{0, a}}));
    EXPECT_NE(error_of(bad).find("attribute value needs 9 bytes"), std::string::npos);
    // NEXT_HOP of the wrong length.
    bad = peers;
    append(bad, rib(2, 0, "10.0.0.0/8", {{0, attr(3, {1, 2, 3})}}));
    EXPECT_NE(error_of(bad).find("NEXT_HOP length 3 (expected 4)"), std::string::npos);
    // Bad AS_PATH segment type.
    bad = peers;
    append(bad, rib(2, 0, "10.0.0.0/8", {{0, as_path({{9, {1}}})}}));
    EXPECT_NE(error_of(bad).find("AS_PATH segment type 9"), std::string::npos);
    // AS_PATH segment shorter than its count.
    bad = peers;
    append(bad, rib(2, 0, "10.0.0.0/8", {{0, attr(2, {2, 2, 0, 0, 0, 1})}}));
    EXPECT_NE(error_of(bad).find("AS_PATH ASN needs 4 bytes"), std::string::npos);
    // Junk after the entries.
    bad = peers;
    Bytes r = rib(2, 0, "10.0.0.0/8", {});
    r.push_back(0);
    r[11] += 1;  // grow the record length to cover it
    append(bad, r);
    EXPECT_NE(error_of(bad).find("junk after the last RIB entry"), std::string::npos);
    // Peer table claiming more peers than it holds.
    Bytes pt;
    be32(pt, 1);
    be16(pt, 0);
    be16(pt, 2);
    pt.push_back(0);
    be32(pt, 1);
    addr(pt, "192.0.2.1");
    be16(pt, 1);
    EXPECT_NE(error_of(record(13, 1, pt)).find("peer type needs 1 bytes, 0 left"), std::string::npos);
}

TEST(ProxMrt, OversizedRecordIsRefusedBeforeBuffering) {
    Bytes h;
    be32(h, 0);
    be16(h, 13);
    be16(h, 2);
    be32(h, 0xfffffff0u);
    MrtDecoder d(nullptr);
    try {
        d.feed(h);
        FAIL();
    } catch (const sr::DecodeError& e) {
        EXPECT_NE(std::string(e.what()).find("mrt: offset 8: record length"), std::string::npos);
    }
}

TEST(ProxMrt, ReadsFromAStream) {
    auto s = sample();
    std::istringstream in(std::string(s.begin(), s.end()));
    std::size_t n = 0;
    EXPECT_EQ(read_mrt(in, [&](const MrtRoute&) { ++n; }), 3u);
    EXPECT_EQ(n, 3u);
    EXPECT_THROW(read_mrt_file("/nonexistent/rib.mrt", nullptr), sr::Error);
}

}  // namespace
