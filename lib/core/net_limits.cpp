#include "core/net_limits.hpp"

#include <event2/buffer.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>

#include <cstdint>
#include <cstring>

namespace sr::net {

namespace {
constexpr std::size_t kUnlimited = std::size_t{1} << 20;
}

std::string limit_source(const sockaddr* sa) {
    char buf[INET6_ADDRSTRLEN] = {};
    if (sa->sa_family == AF_INET) {
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof buf);
        return buf;
    }
    if (sa->sa_family == AF_INET6) {
        in6_addr a = reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(&a)) {
            inet_ntop(AF_INET, a.s6_addr + 12, buf, sizeof buf);
            return buf;
        }
        std::memset(a.s6_addr + 8, 0, 8);
        inet_ntop(AF_INET6, &a, buf, sizeof buf);
        return std::string(buf) + "/64";
    }
    return "local";
}

std::size_t fd_limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return kUnlimited;
    return static_cast<std::size_t>(rl.rlim_cur);
}

std::size_t raise_fd_limit() {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < rl.rlim_max) {
        rlimit raised = rl;
        raised.rlim_cur = rl.rlim_max == RLIM_INFINITY ? kUnlimited : rl.rlim_max;
        (void)::setrlimit(RLIMIT_NOFILE, &raised);
    }
    return fd_limit();
}

void no_delay(int fd) {
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

namespace {

void uncork_when_drained(evbuffer* out, const evbuffer_cb_info* info, void* arg) {
    if (info->n_deleted == 0 || evbuffer_get_length(out) != 0) return;
    int fd = static_cast<int>(reinterpret_cast<std::intptr_t>(arg));
    int off = 0;
    setsockopt(fd, IPPROTO_TCP, TCP_CORK, &off, sizeof off);
    evbuffer_remove_cb(out, &uncork_when_drained, arg);
}

}  // namespace

void cork_until_drained(int fd, evbuffer* out) {
    int on = 1;
    if (fd < 0 || setsockopt(fd, IPPROTO_TCP, TCP_CORK, &on, sizeof on) != 0) return;
    // The descriptor is the callback's argument: nothing to free if the
    // connection goes first (the evbuffer drops its callbacks with it).
    evbuffer_add_cb(out, &uncork_when_drained, reinterpret_cast<void*>(static_cast<std::intptr_t>(fd)));
}

}  // namespace sr::net
