// The ISO 8473 (annex C) Fletcher checksum that OSPF puts in its LSAs
// (RFC 2328 12.1.7) and IS-IS in its LSPs (ISO 10589 7.3.11).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace sr::prox {

// The checksum of `data` to be stored at data[at] and data[at + 1] (those
// two bytes count as zero), so that the whole then sums to zero; neither
// byte is ever 0.
std::uint16_t iso_checksum(std::string_view data, std::size_t at);

}  // namespace sr::prox
