#include "dht/transport.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/net_limits.hpp"
#include "core/secret.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <deque>

namespace sr::dht {

namespace {
constexpr char magic[4] = {'S', 'R', 'O', '1'};
constexpr std::size_t nonce_size = 16;
constexpr std::size_t hello_size = sizeof magic + nonce_size;
constexpr std::size_t header_size = 5;
constexpr std::size_t mac_size = 32;
constexpr std::uint8_t flag_mac = 1;

void put_u32(char* p, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<char>(v >> (24 - 8 * i));
}
std::uint32_t get_u32(const unsigned char* p) {
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | p[3];
}

std::string address_of(const sockaddr* sa) {
    char host[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (sa->sa_family == AF_INET) {
        auto* sin = reinterpret_cast<const sockaddr_in*>(sa);
        evutil_inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
        port = ntohs(sin->sin_port);
        return std::string(host) + ":" + std::to_string(port);
    }
    auto* sin6 = reinterpret_cast<const sockaddr_in6*>(sa);
    evutil_inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
    port = ntohs(sin6->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
}

}  // namespace

struct Transport::Outbound {
    Transport* owner;
    std::string addr;
    bufferevent* bev = nullptr;
    bool have_hello = false;
    std::string nonce;
    std::uint64_t seq = 0;
    std::deque<std::string> waiting;  // frames queued before the hello
    std::size_t waiting_bytes = 0;
    std::int64_t last_used = 0;
    std::unique_ptr<Timer> idle;
};

struct Transport::Inbound {
    Transport* owner;
    bufferevent* bev = nullptr;
    std::string nonce;
    std::uint64_t seq = 0;
    std::string peer;
    std::string source;          // see net::limit_source
    bool authed = false;         // its first frame arrived whole (and its MAC was valid)
    bool counted_source = false; // counts against per_source_[source]
    std::unique_ptr<Timer> idle; // the handshake deadline, then the idle timeout
};

Transport::Transport(Loop& loop, TransportConfig cfg, rpc::Counters& counters)
    : loop_(loop), cfg_(std::move(cfg)), counters_(counters) {}

Transport::~Transport() { stop(); }

bool Transport::parse_address(const std::string& addr, sockaddr* out, int* out_len) {
    // Require an explicit port: evutil would otherwise accept "host" alone.
    auto colon = addr.rfind(':');
    if (colon == std::string::npos || colon + 1 == addr.size()) return false;
    if (addr.find(':') != colon && addr.front() != '[') return false;  // bare IPv6 needs brackets
    return evutil_parse_sockaddr_port(addr.c_str(), out, out_len) == 0;
}

void Transport::start() {
    sockaddr_storage ss{};
    int len = sizeof ss;
    if (!parse_address(cfg_.listen, reinterpret_cast<sockaddr*>(&ss), &len))
        throw Error("config", "bad --listen address '" + cfg_.listen + "' (want IP:PORT or [IPv6]:PORT)");
    listener_ = evconnlistener_new_bind(loop_.base(), &Transport::accept_cb, this,
                                        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE, 128,
                                        reinterpret_cast<sockaddr*>(&ss), len);
    if (!listener_) throw Error("config", "cannot listen on " + cfg_.listen + ": " + std::strerror(errno));
    fit_fd_limit();
    accept_guard_ = std::make_unique<rpc::AcceptGuard>(loop_, listener_, counters_["overlay.accept_errors"], "overlay");
    evconnlistener_set_error_cb(listener_, [](evconnlistener*, void* self) {
        static_cast<Transport*>(self)->accept_guard_->failed();
    });
    sockaddr_storage bound{};
    socklen_t blen = sizeof bound;
    getsockname(evconnlistener_get_fd(listener_), reinterpret_cast<sockaddr*>(&bound), &blen);
    local_ = address_of(reinterpret_cast<sockaddr*>(&bound));
    bind_from_.clear();
    if (ss.ss_family == AF_INET) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
        sin->sin_port = 0;
        if (sin->sin_addr.s_addr != htonl(INADDR_ANY)) bind_from_.assign(reinterpret_cast<char*>(sin), sizeof *sin);
    } else if (ss.ss_family == AF_INET6) {
        auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
        sin6->sin6_port = 0;
        if (!IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr))
            bind_from_.assign(reinterpret_cast<char*>(sin6), sizeof *sin6);
    }
}

// A socket for a connection to `to`, bound to the listen IP when it has
// one of the same family; -1 lets libevent make an unbound one.
int Transport::outbound_socket(const sockaddr* to) const {
    if (bind_from_.empty()) return -1;
    sockaddr_storage from{};
    std::memcpy(&from, bind_from_.data(), bind_from_.size());
    if (from.ss_family != to->sa_family) return -1;
    int fd = ::socket(to->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
#ifdef IP_BIND_ADDRESS_NO_PORT
    int one = 1;  // choose the port at connect, per destination: no ephemeral-port shortage
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
    if (::bind(fd, reinterpret_cast<sockaddr*>(&from), static_cast<socklen_t>(bind_from_.size())) != 0) {
        evutil_closesocket(fd);
        return -1;
    }
    return fd;
}

void Transport::stop() {
    accept_guard_.reset();  // its timer must not touch a freed listener
    if (listener_) {
        evconnlistener_free(listener_);
        listener_ = nullptr;
    }
    // Push out what is queued as far as the sockets take it right now.
    for (auto& [addr, out] : out_) {
        if (out->bev && out->have_hello) evbuffer_write(bufferevent_get_output(out->bev), bufferevent_getfd(out->bev));
        if (out->bev) bufferevent_free(out->bev);
    }
    out_.clear();
    for (auto& [p, in] : in_) bufferevent_free(in->bev);
    in_.clear();
    per_source_.clear();
    unauthenticated_ = connecting_ = 0;
}

// Connections are file descriptors: the limits must fit the process's
// limit, or a flood ends in EMFILE, which refuses established peers and
// local clients alike. The soft limit is raised to the hard one first.
void Transport::fit_fd_limit() {
    std::size_t fds = net::raise_fd_limit();
    // Kept for the control socket's connections (1,024 at most) and files.
    constexpr std::size_t reserve = 1024 + 64;
    std::size_t avail = fds > reserve ? fds - reserve : 0;
    if (cfg_.max_inbound + cfg_.max_outbound <= avail) return;
    cfg_.max_outbound = std::max<std::size_t>(16, std::min(cfg_.max_outbound, avail / 3));
    cfg_.max_inbound = std::max<std::size_t>(16, std::min(cfg_.max_inbound, avail - std::min(avail, cfg_.max_outbound)));
    cfg_.max_unauthenticated = std::min(cfg_.max_unauthenticated, std::max<std::size_t>(8, cfg_.max_inbound / 2));
    cfg_.max_connecting = std::min(cfg_.max_connecting, std::max<std::size_t>(8, cfg_.max_outbound / 2));
    log::warn("the file-descriptor limit (", fds, ") is low for the overlay: at most ", cfg_.max_inbound,
              " inbound (", cfg_.max_unauthenticated, " unauthenticated) and ", cfg_.max_outbound,
              " outbound connections; raise it (LimitNOFILE=, ulimit -n) to 8192 or more");
}

Transport::Stats Transport::stats() const {
    Stats s;
    s.inbound = in_.size();
    s.unauthenticated = unauthenticated_;
    s.outbound = out_.size();
    s.connecting = connecting_;
    return s;
}

void Transport::refuse(const char* counter, const std::string& what) {
    ++counters_["overlay.connections_refused"];
    std::uint64_t n = ++counters_[counter];
    if (log::worth_logging(n)) log::warn("overlay: refused ", what, " (", counter, " = ", n, ")");
}

std::string Transport::local_address() const { return local_; }

std::string Transport::mac(const std::string& nonce, std::uint64_t seq, const char* data, std::size_t len) const {
    char seqb[8];
    for (int i = 0; i < 8; ++i) seqb[i] = static_cast<char>(seq >> (56 - 8 * i));
    return hmac_sha256(*cfg_.key, {nonce, std::string_view(seqb, sizeof seqb), std::string_view(data, len)});
}

// ---- outbound ------------------------------------------------------------

void Transport::send(const std::string& addr, const std::string& payload) {
    if (payload.size() > cfg_.max_frame) {
        ++counters_["overlay.frames_too_large"];
        log::warn("not sending a ", payload.size(), "-byte overlay message to ", addr, ": over the frame limit");
        return;
    }
    auto it = out_.find(addr);
    if (it == out_.end()) {
        // A send to an address we have no connection to: bounded, so that
        // messages naming many addresses cannot make us open many connections.
        // The message is dropped like a lost one; the Pastry core's probes
        // time out and retry.
        if (connecting_ >= cfg_.max_connecting) {
            std::uint64_t n = ++counters_["overlay.connects_refused"];
            if (log::worth_logging(n))
                log::warn("overlay: not connecting to ", addr, ": ", connecting_, " connection attempts in flight (",
                          n, " refused)");
            return;
        }
        if (out_.size() >= cfg_.max_outbound && !make_room_outbound()) {
            std::uint64_t n = ++counters_["overlay.outbound_refused"];
            if (log::worth_logging(n))
                log::warn("overlay: not connecting to ", addr, ": ", out_.size(), " outbound connections busy (", n,
                          " refused)");
            return;
        }
        sockaddr_storage ss{};
        int len = sizeof ss;
        if (!parse_address(addr, reinterpret_cast<sockaddr*>(&ss), &len)) {
            ++counters_["overlay.bad_addresses"];
            if (on_unreachable) on_unreachable(addr, "not an IP:PORT address");
            return;
        }
        auto out = std::make_unique<Outbound>();
        out->owner = this;
        out->addr = addr;
        out->bev = bufferevent_socket_new(loop_.base(), outbound_socket(reinterpret_cast<sockaddr*>(&ss)),
                                          BEV_OPT_CLOSE_ON_FREE);
        auto read_cb = [](bufferevent* bev, void* arg) {
            auto* o = static_cast<Outbound*>(arg);
            evbuffer* in = bufferevent_get_input(bev);
            if (o->have_hello) {  // the acceptor never sends more than its hello
                evbuffer_drain(in, evbuffer_get_length(in));
                return;
            }
            if (evbuffer_get_length(in) < hello_size) return;
            unsigned char hello[hello_size];
            evbuffer_remove(in, hello, hello_size);
            if (std::memcmp(hello, magic, sizeof magic) != 0) {
                ++o->owner->counters_["overlay.bad_hello"];
                return o->owner->close_outbound(o->addr, true, "not an sr-dhtd overlay port (bad hello)");
            }
            o->nonce.assign(reinterpret_cast<char*>(hello) + sizeof magic, nonce_size);
            o->have_hello = true;
            --o->owner->connecting_;
            bufferevent_set_timeouts(bev, nullptr, nullptr);
            o->waiting.push_front(std::string());  // the introduction frame: authenticates us, small
            o->owner->flush_outbound(*o);
        };
        auto event_cb = [](bufferevent*, short what, void* arg) {
            auto* o = static_cast<Outbound*>(arg);
            if (what & BEV_EVENT_CONNECTED) {
                int one = 1;
                setsockopt(bufferevent_getfd(o->bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                return;
            }
            if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR | BEV_EVENT_TIMEOUT)) {
                ++o->owner->counters_[what & BEV_EVENT_EOF ? "overlay.closed_by_peer" : "overlay.connect_failures"];
                std::string why = what & BEV_EVENT_EOF       ? "connection closed by the peer (another overlay key?)"
                                  : what & BEV_EVENT_TIMEOUT ? "no answer to the connection in time"
                                                             : std::strerror(EVUTIL_SOCKET_ERROR());
                o->owner->close_outbound(o->addr, true, why);
            }
        };
        bufferevent_setcb(out->bev, read_cb, nullptr, event_cb, out.get());
        timeval tv{static_cast<time_t>(cfg_.connect_timeout_us / 1'000'000),
                   static_cast<suseconds_t>(cfg_.connect_timeout_us % 1'000'000)};
        bufferevent_set_timeouts(out->bev, &tv, nullptr);  // until the hello arrives
        bufferevent_enable(out->bev, EV_READ | EV_WRITE);
        Outbound* raw = out.get();
        ++connecting_;
        out->idle = std::make_unique<Timer>(loop_, [this, raw] {
            ++counters_["overlay.idle_closed"];
            close_outbound(raw->addr, false);
        });
        it = out_.emplace(addr, std::move(out)).first;
        if (bufferevent_socket_connect(raw->bev, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
            int err = errno;
            ++counters_["overlay.connect_failures"];
            close_outbound(addr, true, std::strerror(err));
            return;
        }
        ++counters_["overlay.connections_opened"];
    }
    Outbound& out = *it->second;
    out.idle->arm_in(cfg_.idle_timeout_us);
    out.last_used = Loop::now_us();
    if (out.waiting_bytes + payload.size() > cfg_.max_queue ||
        (out.have_hello && evbuffer_get_length(bufferevent_get_output(out.bev)) > cfg_.max_queue)) {
        ++counters_["overlay.dropped_queue_full"];
        return;
    }
    out.waiting.push_back(payload);
    out.waiting_bytes += payload.size();
    if (out.have_hello) flush_outbound(out);
}

void Transport::flush_outbound(Outbound& out) {
    evbuffer* buf = bufferevent_get_output(out.bev);
    while (!out.waiting.empty()) {
        const std::string& p = out.waiting.front();
        char header[header_size];
        put_u32(header, static_cast<std::uint32_t>(p.size()));
        header[4] = cfg_.key ? flag_mac : 0;
        evbuffer_add(buf, header, sizeof header);
        evbuffer_add(buf, p.data(), p.size());
        if (cfg_.key) {
            std::string m = mac(out.nonce, ++out.seq, p.data(), p.size());
            evbuffer_add(buf, m.data(), m.size());
        }
        ++counters_["overlay.frames_out"];
        out.waiting_bytes -= p.size();
        out.waiting.pop_front();
    }
}

void Transport::close_outbound(const std::string& addr, bool report, const std::string& why) {
    auto it = out_.find(addr);
    if (it == out_.end()) return;
    auto out = std::move(it->second);
    out_.erase(it);
    if (!out->have_hello) --connecting_;
    bufferevent_free(out->bev);
    if (report && on_unreachable) on_unreachable(addr, why.empty() ? "unreachable" : why);
}

bool Transport::make_room_outbound() {
    const Outbound* lru = nullptr;
    for (const auto& [addr, o] : out_)
        if (o->have_hello && o->waiting.empty() && evbuffer_get_length(bufferevent_get_output(o->bev)) == 0 &&
            (!lru || o->last_used < lru->last_used))
            lru = o.get();
    if (!lru) return false;
    ++counters_["overlay.outbound_evicted"];
    close_outbound(std::string(lru->addr), false);
    return true;
}

void Transport::drop_peer(const std::string& addr) { close_outbound(addr, false); }

void Transport::set_key(std::optional<std::string> key) {
    if (key == cfg_.key) return;
    cfg_.key = std::move(key);
    while (!out_.empty()) close_outbound(out_.begin()->first, false);
    while (!in_.empty()) close_inbound(in_.begin()->first);
}

// ---- inbound -------------------------------------------------------------

void Transport::accept_cb(evconnlistener*, int fd, sockaddr* sa, int, void* arg) {
    auto* self = static_cast<Transport*>(arg);
    std::string source = net::limit_source(sa);
    auto src = self->per_source_.find(source);
    if (self->in_.size() >= self->cfg_.max_inbound) {
        self->refuse("overlay.refused_total", "a connection from " + source + ": at the connection limit");
        evutil_closesocket(fd);
        return;
    }
    if (self->unauthenticated_ >= self->cfg_.max_unauthenticated) {
        self->refuse("overlay.refused_unauthenticated",
                     "a connection from " + source + ": too many unauthenticated connections");
        evutil_closesocket(fd);
        return;
    }
    if (src != self->per_source_.end() && src->second >= self->cfg_.max_per_source) {
        self->refuse("overlay.refused_per_source", "a connection from " + source + ": at its per-source limit");
        evutil_closesocket(fd);
        return;
    }
    auto in = std::make_unique<Inbound>();
    in->owner = self;
    in->peer = address_of(sa);
    in->source = source;
    ++self->per_source_[source];
    in->counted_source = true;
    ++self->unauthenticated_;
    in->nonce.resize(nonce_size);
    RAND_bytes(reinterpret_cast<unsigned char*>(in->nonce.data()), nonce_size);
    in->bev = bufferevent_socket_new(self->loop_.base(), fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(
        in->bev, [](bufferevent*, void* a) { static_cast<Inbound*>(a)->owner->read_inbound(*static_cast<Inbound*>(a)); },
        nullptr,
        [](bufferevent*, short what, void* a) {
            auto* i = static_cast<Inbound*>(a);
            if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) i->owner->close_inbound(i);
        },
        in.get());
    // Until authenticated, at most one small frame is read from the kernel.
    bufferevent_setwatermark(in->bev, EV_READ, 0, header_size + kPreAuthMaxFrame + mac_size);
    bufferevent_enable(in->bev, EV_READ | EV_WRITE);
    evbuffer* out = bufferevent_get_output(in->bev);
    evbuffer_add(out, magic, sizeof magic);
    evbuffer_add(out, in->nonce.data(), in->nonce.size());
    Inbound* raw = in.get();
    in->idle = std::make_unique<Timer>(self->loop_, [self, raw] {
        if (!raw->authed) {
            std::uint64_t n = ++self->counters_["overlay.handshake_timeouts"];
            if (log::worth_logging(n))
                log::warn("overlay: closed a connection from ", raw->peer, ": no authenticated frame within ",
                          self->cfg_.handshake_timeout_us / 1000, " ms (", n, " so far)");
        }
        self->close_inbound(raw);
    });
    in->idle->arm_in(self->cfg_.handshake_timeout_us);
    ++self->counters_["overlay.connections_accepted"];
    self->in_[raw] = std::move(in);
}

void Transport::read_inbound(Inbound& in) {
    evbuffer* buf = bufferevent_get_input(in.bev);
    if (in.authed) in.idle->arm_in(cfg_.idle_timeout_us);  // bytes alone do not extend the handshake
    for (;;) {
        std::size_t avail = evbuffer_get_length(buf);
        if (avail < header_size) return;
        unsigned char* h = evbuffer_pullup(buf, header_size);
        std::uint32_t len = get_u32(h);
        bool has_mac = h[4] & flag_mac;
        if (len > (in.authed ? cfg_.max_frame : kPreAuthMaxFrame)) {
            ++counters_["overlay.frames_too_large"];
            log::warn("overlay frame of ", len, " bytes from ", in.peer, ": over the limit",
                      in.authed ? "" : " before authentication", "; closing");
            return close_inbound(&in);
        }
        std::size_t total = header_size + len + (has_mac ? mac_size : 0);
        if (avail < total) return;
        evbuffer_drain(buf, header_size);
        std::string payload(len, '\0');
        evbuffer_remove(buf, payload.data(), len);
        std::string their_mac;
        if (has_mac) {
            their_mac.resize(mac_size);
            evbuffer_remove(buf, their_mac.data(), mac_size);
        }
        ++in.seq;
        if (cfg_.key) {
            if (!has_mac || CRYPTO_memcmp(their_mac.data(), mac(in.nonce, in.seq, payload.data(), len).data(),
                                          mac_size) != 0) {
                ++counters_["overlay.auth_failures"];
                log::warn("overlay frame from ", in.peer, " failed authentication; dropped, closing");
                return close_inbound(&in);
            }
        }
        if (!in.authed) authenticated(in);
        if (len == 0) continue;  // an introduction frame
        ++counters_["overlay.frames_in"];
        if (on_message) on_message(payload);
        if (in_.find(&in) == in_.end()) return;  // closed by the handler
    }
}

void Transport::authenticated(Inbound& in) {
    in.authed = true;
    --unauthenticated_;
    ++counters_["overlay.authenticated"];
    // In an open overlay anyone authenticates: the source keeps counting.
    if (cfg_.key) release_source(in);
    bufferevent_setwatermark(in.bev, EV_READ, 0, header_size + cfg_.max_frame + mac_size);
    in.idle->arm_in(cfg_.idle_timeout_us);
}

void Transport::release_source(Inbound& in) {
    if (!in.counted_source) return;
    in.counted_source = false;
    auto it = per_source_.find(in.source);
    if (it != per_source_.end() && --it->second == 0) per_source_.erase(it);
}

void Transport::close_inbound(Inbound* in) {
    auto it = in_.find(in);
    if (it == in_.end()) return;
    auto owned = std::move(it->second);
    in_.erase(it);
    if (!owned->authed) --unauthenticated_;
    release_source(*owned);
    bufferevent_free(owned->bev);
}

}  // namespace sr::dht
