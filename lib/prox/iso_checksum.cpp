#include "prox/iso_checksum.hpp"

namespace sr::prox {

std::uint16_t iso_checksum(std::string_view d, std::size_t at) {
    std::int64_t c0 = 0, c1 = 0;
    for (std::size_t i = 0; i < d.size(); ++i) {
        std::uint8_t byte = (i == at || i == at + 1) ? 0 : static_cast<std::uint8_t>(d[i]);
        c0 = (c0 + byte) % 255;
        c1 = (c1 + c0) % 255;
    }
    auto len = static_cast<std::int64_t>(d.size());
    std::int64_t x = (((len - static_cast<std::int64_t>(at) - 1) * c0 - c1) % 255 + 255) % 255;
    std::int64_t y = ((510 - c0 - x) % 255 + 255) % 255;
    if (x == 0) x = 255;
    if (y == 0) y = 255;
    return static_cast<std::uint16_t>(x << 8 | y);
}

}  // namespace sr::prox
