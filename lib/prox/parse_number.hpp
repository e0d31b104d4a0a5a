// A whole string as a number, for the key=value settings of sr-proxd's
// peer and interface specifications: no sign games, no trailing junk.
#pragma once

#include <charconv>
#include <string_view>
#include <system_error>

namespace sr::prox {

template <typename T>
bool parse_number(std::string_view s, T& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && p == s.data() + s.size();
}

}  // namespace sr::prox
