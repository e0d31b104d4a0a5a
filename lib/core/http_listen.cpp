#include "core/http_listen.hpp"

#include "core/error.hpp"
#include "core/net_limits.hpp"

#include <event2/http.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string_view>

namespace sr {

namespace {

bool numeric_address(const std::string& host) {
    unsigned char buf[sizeof(in6_addr)];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

std::pair<std::string, std::uint16_t> parse_listen(const std::string& listen) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos || colon == 0) throw Error("config", "listen address must be ADDR:PORT: " + listen);
    std::string host = listen.substr(0, colon);
    if (host.front() == '[') {
        if (host.back() != ']') throw Error("config", "bad IPv6 listen address: " + listen);
        host = host.substr(1, host.size() - 2);
    } else if (host.find(':') != std::string::npos) {
        throw Error("config", "write an IPv6 listen address as [ADDR]:PORT: " + listen);
    }
    unsigned port = 0;
    auto digits = std::string_view(listen).substr(colon + 1);
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (digits.empty() || ec != std::errc() || p != digits.data() + digits.size() || port > 65535)
        throw Error("config", "bad port in listen address: " + listen);
    if (!numeric_address(host)) throw Error("config", "listen address must be numeric: " + listen);
    return {host, static_cast<std::uint16_t>(port)};
}

BoundHttp bind_http(Loop& loop, const std::string& listen, const std::string& what, const std::string& error_code) {
    BoundHttp b;
    auto [host, port] = parse_listen(listen);
    b.host = host;
    b.http = evhttp_new(loop.base());
    if (!b.http) throw Error("internal", "evhttp_new failed");
    auto* bound = evhttp_bind_socket_with_handle(b.http, host.c_str(), port);
    if (!bound) {
        int err = errno;
        evhttp_free(b.http);
        throw Error(error_code, what + ": cannot listen on " + listen + ": " + std::strerror(err));
    }
    net::no_delay(evhttp_bound_socket_get_fd(bound));
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    getsockname(evhttp_bound_socket_get_fd(bound), reinterpret_cast<sockaddr*>(&ss), &len);
    b.port = ntohs(ss.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                                            : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
    return b;
}

}  // namespace sr
