// Byte encoding of pastry::Message (msgpack, DESIGN §10): the only place that
// knows how Pastry messages look on the overlay link.
//
// Every message is one msgpack array:
//   [version=1, kind, from, fields...]
// kind is the index in the Message variant; a NodeRef is [bin(16) id, str addr].
//   0 JoinRequest    [1, 0, from, joiner, hops, next_row, [entries]]
//   1 JoinReply      [1, 1, from, [leaves], [entries]]
//   2 Announce       [1, 2, from, nonce]
//   3 LeafSetRequest [1, 3, from]
//   4 LeafSetReply   [1, 4, from, [leaves]]
//   5 RowRequest     [1, 5, from, row]
//   6 RowReply       [1, 6, from, row, [entries]]
//   7 Ping           [1, 7, from, nonce, want_leaves]
//   8 Pong           [1, 8, from, nonce, [leaves]]
//   9 Departed       [1, 9, from]
// Integers are unsigned; want_leaves is a bool. Elements after the listed
// ones are ignored (a later version may append fields), up to 16 in all.
//
// decode() validates everything and throws sr::DecodeError on any
// malformation: wrong types, an id that is not exactly a 16-byte bin, an
// address that is empty or longer than kMaxAddrLen, lists longer than their
// bound, out-of-range numbers, trailing bytes, more than kMaxWireBytes.
// msgpack's own unpack limits stop oversized headers before allocation.
#pragma once

#include "dht/pastry.hpp"

#include <string>
#include <string_view>

namespace sr::pastry {
namespace wire {

inline constexpr unsigned kVersion = 1;
inline constexpr std::size_t kMaxWireBytes = 256 * 1024;  // = the transport's max frame
inline constexpr std::size_t kMaxLeaves = 128;             // |L| <= 128
inline constexpr std::size_t kMaxEntries = 4096 + 64;      // 128/b * 2^b rows (b <= 8) + path nodes
inline constexpr std::uint32_t kMaxRow = 127;              // 128/b rows, b >= 1
inline constexpr std::uint32_t kMaxHops = 255;

}  // namespace wire

std::string encode(const Message& m);
Message decode(std::string_view bytes);  // throws sr::DecodeError

}  // namespace sr::pastry
