// Listening for HTTP: the address syntax every sr HTTP server takes
// ("ADDR:PORT", "[V6]:PORT", numeric only) and an evhttp bound to it.
// Shared by sr-proxd's ALTO server, sr-eventd's and sr-streamd's HTTP faces
// and every daemon's --metrics-listen.
#pragma once

#include "core/loop.hpp"

#include <cstdint>
#include <string>
#include <utility>

struct evhttp;

namespace sr {

// "ADDR:PORT" / "[ADDR]:PORT" -> (address text without brackets, port).
// Throws sr::Error("config").
std::pair<std::string, std::uint16_t> parse_listen(const std::string& listen);

// An evhttp bound to "ADDR:PORT" on the loop, with TCP_NODELAY on its socket
// (net::no_delay); port is the one bound (for port 0). Shared by every HTTP
// server of the toolkit. Throws Error(error_code, what + ": cannot listen on ...").
struct BoundHttp {
    evhttp* http = nullptr;
    std::string host;
    std::uint16_t port = 0;
};
BoundHttp bind_http(Loop& loop, const std::string& listen, const std::string& what,
                    const std::string& error_code = "config");

}  // namespace sr
