// MRT routing table dumps, TABLE_DUMP_V2 (RFC 6396, with the RFC 8050
// add-path subtypes): the RIB snapshots RIPE RIS / RouteViews / BIRD / GoBGP
// write, read to seed sr-proxd's external routes (cost.hpp) without a live
// BGP session.
//
// Sans-IO and streaming: MrtDecoder is fed bytes in any pieces (feed) and
// keeps at most one record buffered, so a multi-GB dump never sits in memory;
// read_mrt()/read_mrt_file() are thin loops reading 64 KiB at a time. A
// compressed dump is read through a pipe (bzcat rib.bz2 | ... reading
// /dev/stdin): we do not link a decompressor.
//
// Records: PEER_INDEX_TABLE (1) fills the peer list; RIB_IPV4_UNICAST (2),
// RIB_IPV6_UNICAST (4) and their ADDPATH forms (8, 10) yield one MrtRoute per
// RIB entry through the callback. Every other type and subtype (BGP4MP, the
// old TABLE_DUMP, multicast, RIB_GENERIC) is skipped and counted. Path
// attributes decoded: ORIGIN, AS_PATH (4-byte ASNs, as TABLE_DUMP_V2
// requires), NEXT_HOP, MED, LOCAL_PREF, and MP_REACH_NLRI's next hop (in MRT
// RIB entries the attribute is abbreviated to next-hop length + next hop; the
// full form with AFI/SAFI some writers emit is accepted too). Others are
// skipped. as_path_length follows BGP's decision process: each AS in an
// AS_SEQUENCE counts 1, an AS_SET counts 1, confederation segments 0.
//
// Strict bounds checks everywhere: a field running past its record or
// attribute, a record past the stream's end, a bad prefix length, a peer
// index outside the peer table, a record larger than max_record (16 MiB by
// default; real RIB records are KiB) all throw sr::DecodeError whose message
// starts "mrt: offset N:" with N the byte offset in the stream.
#pragma once

#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "prox/address.hpp"

namespace sr::prox {

struct MrtPeer {
    std::uint32_t bgp_id = 0;  // host order
    Address address;
    std::uint32_t asn = 0;
};

struct MrtRoute {
    Prefix prefix;
    std::uint16_t peer_index = 0;
    const MrtPeer* peer = nullptr;  // into the decoder's peer table
    std::uint32_t originated = 0;   // unix seconds
    std::uint32_t path_id = 0;      // RFC 8050 add-path id, 0 without
    std::uint32_t sequence = 0;     // the RIB record's sequence number
    std::uint32_t timestamp = 0;    // the MRT record header's time
    std::optional<Address> next_hop;
    std::uint32_t as_path_length = 0;
    std::span<const std::uint32_t> as_path;  // every ASN of every segment, in order
    std::optional<std::uint8_t> origin;
    std::optional<std::uint32_t> local_pref;
    std::optional<std::uint32_t> med;
};

using MrtCallback = std::function<void(const MrtRoute&)>;

class MrtDecoder {
public:
    static constexpr std::size_t kDefaultMaxRecord = 16u << 20;

    explicit MrtDecoder(MrtCallback callback, std::size_t max_record = kDefaultMaxRecord);

    // Feeds the next bytes of the stream; calls back for every complete RIB
    // entry. Throws sr::DecodeError on corruption (the decoder is then spent).
    void feed(std::span<const std::uint8_t> bytes);
    // End of stream: throws if a partial record is left.
    void finish() const;

    // Decodes one record's body (the header already split off). offset is
    // the record's position in the stream, for error messages.
    void record(std::uint32_t timestamp, std::uint16_t type, std::uint16_t subtype,
                std::span<const std::uint8_t> body, std::uint64_t offset);

    const std::vector<MrtPeer>& peers() const { return peers_; }
    std::uint64_t records() const { return records_; }
    std::uint64_t skipped() const { return skipped_; }  // records of other types
    std::uint64_t routes() const { return routes_; }
    std::uint64_t offset() const { return consumed_; }  // bytes fully decoded

private:
    void peer_index_table(std::span<const std::uint8_t> body, std::uint64_t at);
    void rib(std::uint32_t timestamp, Family family, bool addpath, std::span<const std::uint8_t> body,
             std::uint64_t at);

    MrtCallback callback_;
    std::size_t max_record_;
    std::vector<std::uint8_t> buffer_;
    std::size_t start_ = 0;      // first unconsumed byte in buffer_
    std::uint64_t consumed_ = 0;  // stream offset of buffer_[start_]
    std::vector<MrtPeer> peers_;
    bool have_peers_ = false;
    std::vector<std::uint32_t> as_path_;  // scratch
    std::uint64_t records_ = 0, skipped_ = 0, routes_ = 0;
};

// Streams a whole input through a decoder; returns the number of routes.
std::uint64_t read_mrt(std::istream& in, const MrtCallback& callback);
// Same over a file; I/O errors throw sr::Error("io", "PATH: ...").
std::uint64_t read_mrt_file(const std::string& path, const MrtCallback& callback);

}  // namespace sr::prox
