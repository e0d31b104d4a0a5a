#include "stream/udp_input.hpp"

#include "core/http_listen.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "prox/alto_http.hpp"

#include <event2/event.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netdb.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sr::stream {

namespace {

// Enough for several seconds of a 20 Mbit/s stream while the loop is busy
// answering; the kernel caps it at net.core.rmem_max without CAP_NET_ADMIN.
constexpr int kReceiveBuffer = 8 << 20;
// Datagrams read per wakeup, so one busy input cannot starve the HTTP side.
constexpr int kReadsPerWakeup = 256;

sockaddr_storage numeric(const std::string& host, std::uint16_t port, const std::string& what) {
    addrinfo hints{};
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* res = nullptr;
    if (getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &res) != 0 || !res)
        throw Error("config", what + ": not a numeric address: " + host);
    sockaddr_storage ss{};
    std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return ss;
}

bool is_multicast(const sockaddr_storage& ss) {
    if (ss.ss_family == AF_INET)
        return IN_MULTICAST(ntohl(reinterpret_cast<const sockaddr_in&>(ss).sin_addr.s_addr));
    return IN6_IS_ADDR_MULTICAST(&reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr);
}

bool same_host(const sockaddr_storage& a, const sockaddr_storage& b) {
    if (a.ss_family != b.ss_family) return false;
    if (a.ss_family == AF_INET)
        return reinterpret_cast<const sockaddr_in&>(a).sin_addr.s_addr ==
               reinterpret_cast<const sockaddr_in&>(b).sin_addr.s_addr;
    return std::memcmp(&reinterpret_cast<const sockaddr_in6&>(a).sin6_addr,
                       &reinterpret_cast<const sockaddr_in6&>(b).sin6_addr, sizeof(in6_addr)) == 0;
}

std::string host_text(const sockaddr_storage& ss) {
    char buf[INET6_ADDRSTRLEN] = "?";
    if (ss.ss_family == AF_INET)
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(ss).sin_addr, buf, sizeof buf);
    else
        inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr, buf, sizeof buf);
    return buf;
}

// Joins the group `group` on the socket (source-specific when `source`).
void join(int fd, const sockaddr_storage& group, const std::string& iface, const sockaddr_storage* source,
          const std::string& what) {
    int rc = 0;
    if (group.ss_family == AF_INET) {
        in_addr if_addr{};
        if (!iface.empty() && inet_pton(AF_INET, iface.c_str(), &if_addr) != 1)
            throw Error("config", what + ": iface= must be the interface's IPv4 address");
        const in_addr& g = reinterpret_cast<const sockaddr_in&>(group).sin_addr;
        if (source) {
            ip_mreq_source m{};
            m.imr_multiaddr = g;
            m.imr_interface = if_addr;
            m.imr_sourceaddr = reinterpret_cast<const sockaddr_in*>(source)->sin_addr;
            rc = setsockopt(fd, IPPROTO_IP, IP_ADD_SOURCE_MEMBERSHIP, &m, sizeof m);
        } else {
            ip_mreq m{};
            m.imr_multiaddr = g;
            m.imr_interface = if_addr;
            rc = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m);
        }
    } else {
        // IPv6 joins by interface index; iface= may name the interface.
        unsigned index = iface.empty() ? 0 : if_nametoindex(iface.c_str());
        if (!iface.empty() && index == 0) throw Error("config", what + ": iface= must name an interface for IPv6");
        if (source) {
            group_source_req r{};
            r.gsr_interface = index;
            std::memcpy(&r.gsr_group, &group, sizeof(sockaddr_in6));
            std::memcpy(&r.gsr_source, source, sizeof(sockaddr_in6));
            rc = setsockopt(fd, IPPROTO_IPV6, MCAST_JOIN_SOURCE_GROUP, &r, sizeof r);
        } else {
            ipv6_mreq m{};
            m.ipv6mr_multiaddr = reinterpret_cast<const sockaddr_in6&>(group).sin6_addr;
            m.ipv6mr_interface = index;
            rc = setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m);
        }
    }
    if (rc != 0) throw Error("config", what + ": cannot join the group: " + std::strerror(errno));
}

}  // namespace

UdpUrl parse_udp_url(const std::string& url) {
    const std::string scheme = "udp://";
    if (url.rfind(scheme, 0) != 0) throw Error("config", "live input must be udp://ADDR:PORT: " + url);
    std::string rest = url.substr(scheme.size());
    std::string query;
    if (auto q = rest.find('?'); q != std::string::npos) {
        query = rest.substr(q + 1);
        rest.resize(q);
    }
    if (!rest.empty() && rest[0] == '@') rest.erase(0, 1);
    UdpUrl u;
    try {
        auto [host, port] = parse_listen(rest);
        u.host = host;
        u.port = port;
    } catch (const Error& e) {
        throw Error("config", url + ": " + e.what());
    }
    if (u.port == 0) throw Error("config", url + ": give the port");
    std::size_t start = 0;
    while (start < query.size()) {
        auto amp = query.find('&', start);
        std::string kv = query.substr(start, amp == std::string::npos ? std::string::npos : amp - start);
        start = amp == std::string::npos ? query.size() : amp + 1;
        auto eq = kv.find('=');
        std::string key = kv.substr(0, eq), value = eq == std::string::npos ? "" : kv.substr(eq + 1);
        if (key == "iface" && !value.empty()) u.iface = value;
        else if (key == "source" && !value.empty()) u.source = value;
        else throw Error("config", url + ": unknown parameter " + kv + " (iface=, source=)");
    }
    return u;
}

UdpInput::UdpInput(Loop& loop, Channels& channels, LiveChannel& channel, const std::string& url)
    : channels_(channels), channel_(channel), url_(url) {
    UdpUrl u = parse_udp_url(url);
    // What the errors below name: the option as the operator wrote it.
    const std::string what = "--live " + channel.name() + "=" + url;
    sockaddr_storage bind_to = numeric(u.host, u.port, what);
    if (!u.source.empty()) {
        pinned_ = numeric(u.source, 0, what + " source=");
        if (pinned_->ss_family != bind_to.ss_family)
            throw Error("config", what + ": source= must be of the same family as the address");
    }
    fd_ = ::socket(bind_to.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw Error("config", what + ": socket: " + std::strerror(errno));
    int one = 1;
    // Several receivers of one multicast group on a host (another channel,
    // a monitoring probe) each get every datagram.
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    int size = kReceiveBuffer;
    if (setsockopt(fd_, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    socklen_t len = bind_to.ss_family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&bind_to), len) != 0) {
        int err = errno;
        ::close(fd_);
        throw Error("config", what + ": cannot bind: " + std::strerror(err));
    }
    try {
        if (is_multicast(bind_to)) join(fd_, bind_to, u.iface, pinned_ ? &*pinned_ : nullptr, what);
        else if (!u.iface.empty()) throw Error("config", what + ": iface= is for a multicast group");
    } catch (...) {
        ::close(fd_);
        throw;
    }
    ev_ = event_new(loop.base(), fd_, EV_READ | EV_PERSIST, &UdpInput::on_readable, this);
    event_add(ev_, nullptr);
    log::info("live: channel ", channel_.name(), " reads ", url);
}

UdpInput::~UdpInput() {
    if (ev_) event_free(ev_);
    if (fd_ >= 0) ::close(fd_);
}

void UdpInput::on_readable(int, short, void* self) { static_cast<UdpInput*>(self)->read_all(); }

bool UdpInput::accept_sender(const sockaddr_storage& from) {
    if (pinned_) return same_host(from, *pinned_);
    if (current_ && same_host(from, *current_)) return true;
    // A new sender takes the channel only when no one is feeding it.
    if (current_ && channel_.state() == LiveChannel::State::live) return false;
    log::info("live: channel ", channel_.name(), " now follows sender ", host_text(from));
    current_ = from;
    return true;
}

void UdpInput::read_all() {
    static char buf[65536];
    for (int i = 0; i < kReadsPerWakeup; ++i) {
        sockaddr_storage from{};
        socklen_t len = sizeof from;
        ssize_t n = ::recvfrom(fd_, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log::warn("live: ", url_, ": ", std::strerror(errno));
            return;
        }
        if (!accept_sender(from)) {
            if (log::worth_logging(++channels_.foreign_datagrams))
                log::warn("live: channel ", channel_.name(), ": datagrams from ", host_text(from),
                          " dropped (another sender is live); ", channels_.foreign_datagrams, " so far");
            continue;
        }
        channels_.input(channel_, std::string_view(buf, static_cast<std::size_t>(n)));
    }
}

}  // namespace sr::stream
