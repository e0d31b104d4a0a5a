// Big-endian writing of the routing protocols' wire formats (BGP, OSPF, IS-IS):
// appended to a string, or set in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sr::prox::be {

inline void put8(std::string& o, std::uint32_t v) { o.push_back(static_cast<char>(v & 0xff)); }
inline void put16(std::string& o, std::uint32_t v) {
    put8(o, v >> 8);
    put8(o, v);
}
inline void put24(std::string& o, std::uint32_t v) {
    put8(o, v >> 16);
    put16(o, v);
}
inline void put32(std::string& o, std::uint32_t v) {
    put16(o, v >> 16);
    put16(o, v);
}
inline void set16(std::string& o, std::size_t at, std::uint32_t v) {
    o[at] = static_cast<char>((v >> 8) & 0xff);
    o[at + 1] = static_cast<char>(v & 0xff);
}

}  // namespace sr::prox::be
