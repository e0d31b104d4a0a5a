#include "prox/mrt.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <istream>

#include "core/error.hpp"

namespace sr::prox {

namespace {

constexpr std::uint16_t kTableDumpV2 = 13;
enum : std::uint16_t {
    kPeerIndexTable = 1,
    kRibIpv4Unicast = 2,
    kRibIpv6Unicast = 4,
    kRibIpv4UnicastAddpath = 8,
    kRibIpv6UnicastAddpath = 10,
};

[[noreturn]] void fail(std::uint64_t at, const std::string& what) {
    throw sr::DecodeError("mrt: offset " + std::to_string(at) + ": " + what);
}

// Bounds-checked big-endian cursor that knows its stream offset.
struct Cursor {
    std::span<const std::uint8_t> data;
    std::uint64_t base;  // stream offset of data[0]
    std::size_t pos = 0;

    std::uint64_t at() const { return base + pos; }
    std::size_t left() const { return data.size() - pos; }
    void need(std::size_t n, const char* what) const {
        if (left() < n)
            fail(at(), std::string(what) + " needs " + std::to_string(n) + " bytes, " + std::to_string(left()) +
                           " left");
    }
    std::uint8_t u8(const char* what) {
        need(1, what);
        return data[pos++];
    }
    std::uint16_t u16(const char* what) {
        need(2, what);
        std::uint16_t v = static_cast<std::uint16_t>(data[pos] << 8 | data[pos + 1]);
        pos += 2;
        return v;
    }
    std::uint32_t u32(const char* what) {
        need(4, what);
        std::uint32_t v = std::uint32_t(data[pos]) << 24 | std::uint32_t(data[pos + 1]) << 16 |
                          std::uint32_t(data[pos + 2]) << 8 | data[pos + 3];
        pos += 4;
        return v;
    }
    Cursor sub(std::size_t n, const char* what) {
        need(n, what);
        Cursor c{data.subspan(pos, n), base + pos};
        pos += n;
        return c;
    }
    Address address(Family f, const char* what) {
        Address a;
        a.family = f;
        std::size_t n = f == Family::v4 ? 4 : 16;
        need(n, what);
        std::memcpy(a.bytes.data(), data.data() + pos, n);
        pos += n;
        return a;
    }
};

// MP_REACH_NLRI in an MRT RIB entry: abbreviated (nh length, nh) or full.
std::optional<Address> mp_next_hop(Cursor c) {
    std::uint64_t at = c.at();
    if (c.left() == 0) fail(at, "empty MP_REACH_NLRI");
    std::size_t nh_len;
    if (std::size_t(c.data[0]) + 1 == c.left()) {
        nh_len = c.u8("MP_REACH next-hop length");
    } else {
        c.u16("MP_REACH AFI");
        c.u8("MP_REACH SAFI");
        nh_len = c.u8("MP_REACH next-hop length");
        if (nh_len > c.left()) fail(c.at(), "MP_REACH next hop runs past the attribute");
    }
    switch (nh_len) {
        case 4: return c.address(Family::v4, "MP_REACH next hop");
        case 16:
        case 32: return c.address(Family::v6, "MP_REACH next hop");  // global; a link-local may follow
        default: fail(at, "MP_REACH next-hop length " + std::to_string(nh_len) + " (expected 4, 16 or 32)");
    }
}

}  // namespace

MrtDecoder::MrtDecoder(MrtCallback callback, std::size_t max_record)
    : callback_(std::move(callback)), max_record_(max_record) {}

void MrtDecoder::feed(std::span<const std::uint8_t> bytes) {
    buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
    for (;;) {
        std::size_t avail = buffer_.size() - start_;
        if (avail < 12) break;
        Cursor h{std::span(buffer_).subspan(start_, 12), consumed_};
        std::uint32_t ts = h.u32("timestamp");
        std::uint16_t type = h.u16("type");
        std::uint16_t subtype = h.u16("subtype");
        std::uint32_t len = h.u32("length");
        if (len > max_record_)
            fail(consumed_ + 8, "record length " + std::to_string(len) + " exceeds the limit of " +
                                    std::to_string(max_record_));
        if (avail < 12 + std::size_t(len)) break;
        record(ts, type, subtype, std::span(buffer_).subspan(start_ + 12, len), consumed_);
        start_ += 12 + len;
        consumed_ += 12 + len;
    }
    // Compact: drop consumed bytes once they dominate the buffer.
    if (start_ > 0 && start_ * 2 >= buffer_.size()) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
        start_ = 0;
    }
}

void MrtDecoder::finish() const {
    if (buffer_.size() > start_)
        fail(consumed_, "truncated record: " + std::to_string(buffer_.size() - start_) + " bytes at end of stream");
}

void MrtDecoder::record(std::uint32_t timestamp, std::uint16_t type, std::uint16_t subtype,
                        std::span<const std::uint8_t> body, std::uint64_t offset) {
    ++records_;
    std::uint64_t at = offset + 12;
    if (type != kTableDumpV2) {
        ++skipped_;
        return;
    }
    switch (subtype) {
        case kPeerIndexTable: peer_index_table(body, at); break;
        case kRibIpv4Unicast: rib(timestamp, Family::v4, false, body, at); break;
        case kRibIpv6Unicast: rib(timestamp, Family::v6, false, body, at); break;
        case kRibIpv4UnicastAddpath: rib(timestamp, Family::v4, true, body, at); break;
        case kRibIpv6UnicastAddpath: rib(timestamp, Family::v6, true, body, at); break;
        default: ++skipped_;
    }
}

void MrtDecoder::peer_index_table(std::span<const std::uint8_t> body, std::uint64_t at) {
    Cursor c{body, at};
    c.u32("collector BGP id");
    std::uint16_t view_len = c.u16("view name length");
    c.sub(view_len, "view name");
    std::uint16_t count = c.u16("peer count");
    std::vector<MrtPeer> peers;
    peers.reserve(count);
    for (std::uint16_t i = 0; i < count; ++i) {
        std::uint8_t ptype = c.u8("peer type");
        MrtPeer p;
        p.bgp_id = c.u32("peer BGP id");
        p.address = c.address(ptype & 1 ? Family::v6 : Family::v4, "peer address");
        p.asn = ptype & 2 ? c.u32("peer AS") : c.u16("peer AS");
        peers.push_back(p);
    }
    if (c.left()) fail(c.at(), "junk after the peer index table");
    peers_ = std::move(peers);
    have_peers_ = true;
}

void MrtDecoder::rib(std::uint32_t timestamp, Family family, bool addpath, std::span<const std::uint8_t> body,
                     std::uint64_t at) {
    Cursor c{body, at};
    MrtRoute r;
    r.timestamp = timestamp;
    r.sequence = c.u32("sequence number");
    std::uint64_t len_at = c.at();
    int len = c.u8("prefix length");
    int max = family == Family::v4 ? 32 : 128;
    if (len > max) fail(len_at, "prefix length " + std::to_string(len) + " > " + std::to_string(max));
    Address a;
    a.family = family;
    std::size_t nbytes = (len + 7) / 8;
    c.need(nbytes, "prefix");
    std::memcpy(a.bytes.data(), c.data.data() + c.pos, nbytes);
    c.pos += nbytes;
    r.prefix = Prefix(a, len);
    std::uint16_t entries = c.u16("entry count");
    for (std::uint16_t e = 0; e < entries; ++e) {
        std::uint64_t entry_at = c.at();
        r.peer_index = c.u16("peer index");
        if (!have_peers_) fail(entry_at, "RIB entry before any PEER_INDEX_TABLE");
        if (r.peer_index >= peers_.size())
            fail(entry_at, "peer index " + std::to_string(r.peer_index) + " outside a table of " +
                               std::to_string(peers_.size()) + " peers");
        r.peer = &peers_[r.peer_index];
        r.originated = c.u32("originated time");
        r.path_id = addpath ? c.u32("path identifier") : 0;
        std::uint16_t attr_len = c.u16("attribute length");
        Cursor attrs = c.sub(attr_len, "path attributes");
        r.next_hop.reset();
        r.origin.reset();
        r.local_pref.reset();
        r.med.reset();
        r.as_path_length = 0;
        as_path_.clear();
        std::optional<Address> next_hop, mp_next;
        while (attrs.left()) {
            std::uint64_t attr_at = attrs.at();
            std::uint8_t flags = attrs.u8("attribute flags");
            std::uint8_t type = attrs.u8("attribute type");
            std::size_t alen = flags & 0x10 ? attrs.u16("attribute length") : attrs.u8("attribute length");
            Cursor v = attrs.sub(alen, "attribute value");
            auto fixed = [&](std::size_t n, const char* name) {
                if (alen != n)
                    fail(attr_at, std::string(name) + " length " + std::to_string(alen) + " (expected " +
                                      std::to_string(n) + ")");
            };
            switch (type) {
                case 1: fixed(1, "ORIGIN"); r.origin = v.u8("ORIGIN"); break;
                case 2:
                    while (v.left()) {
                        std::uint8_t seg = v.u8("AS_PATH segment type");
                        std::uint8_t n = v.u8("AS_PATH segment length");
                        if (seg < 1 || seg > 4) fail(v.at() - 2, "AS_PATH segment type " + std::to_string(seg));
                        for (int i = 0; i < n; ++i) as_path_.push_back(v.u32("AS_PATH ASN"));
                        if (seg == 2) r.as_path_length += n;
                        else if (seg == 1 && n > 0) r.as_path_length += 1;
                    }
                    break;
                case 3: fixed(4, "NEXT_HOP"); next_hop = v.address(Family::v4, "NEXT_HOP"); break;
                case 4: fixed(4, "MULTI_EXIT_DISC"); r.med = v.u32("MULTI_EXIT_DISC"); break;
                case 5: fixed(4, "LOCAL_PREF"); r.local_pref = v.u32("LOCAL_PREF"); break;
                case 14: mp_next = mp_next_hop(v); break;
                default: break;
            }
        }
        if (family == Family::v6) r.next_hop = mp_next ? mp_next : next_hop;
        else r.next_hop = next_hop ? next_hop : mp_next;
        r.as_path = as_path_;
        ++routes_;
        if (callback_) callback_(r);
    }
    if (c.left()) fail(c.at(), "junk after the last RIB entry");
}

std::uint64_t read_mrt(std::istream& in, const MrtCallback& callback) {
    MrtDecoder d(callback);
    std::vector<std::uint8_t> chunk(64 * 1024);
    while (in) {
        in.read(reinterpret_cast<char*>(chunk.data()), static_cast<std::streamsize>(chunk.size()));
        auto got = static_cast<std::size_t>(in.gcount());
        if (got) d.feed(std::span(chunk.data(), got));
    }
    if (in.bad()) throw sr::Error("io", "mrt: read error at offset " + std::to_string(d.offset()));
    d.finish();
    return d.routes();
}

std::uint64_t read_mrt_file(const std::string& path, const MrtCallback& callback) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw sr::Error("io", path + ": cannot open: " + std::strerror(errno));
    try {
        return read_mrt(in, callback);
    } catch (const sr::DecodeError& e) {
        throw sr::DecodeError(path + ": " + e.what());
    }
}

}  // namespace sr::prox
