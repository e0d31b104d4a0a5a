#include "prox/bgp_peer.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "prox/parse_number.hpp"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>
#include <sstream>

namespace sr::prox {

namespace {

socklen_t to_sockaddr(const Address& a, std::uint16_t port, sockaddr_storage& ss) {
    std::memset(&ss, 0, sizeof ss);
    if (a.family == Family::v4) {
        auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        std::memcpy(&sin->sin_addr, a.bytes.data(), 4);
        return sizeof *sin;
    }
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    std::memcpy(&sin6->sin6_addr, a.bytes.data(), 16);
    return sizeof *sin6;
}

}  // namespace

PeerConfig parse_peer(const std::string& spec, std::uint16_t* hold_time) {
    std::istringstream in(spec);
    std::string addr, as, word;
    in >> addr >> as;
    auto bad = [&](const std::string& why) { return Error("config", "--bgp-peer '" + spec + "': " + why); };
    PeerConfig cfg;
    auto a = Address::parse(addr);
    if (!a) throw bad("'" + addr + "' is not an IP address");
    cfg.address = *a;
    if (as.empty() || !parse_number(as, cfg.peer_as)) throw bad("want ADDRESS AS [port=N] [local=ADDRESS] [hold=S]");
    while (in >> word) {
        auto eq = word.find('=');
        std::string key = word.substr(0, eq), value = eq == std::string::npos ? "" : word.substr(eq + 1);
        if (key == "port") {
            if (!parse_number(value, cfg.port) || cfg.port == 0) throw bad("bad port '" + value + "'");
        } else if (key == "local") {
            auto l = Address::parse(value);
            if (!l || l->family != cfg.address.family) throw bad("bad local address '" + value + "'");
            cfg.local_address = *l;
        } else if (key == "hold") {
            std::uint16_t h = 0;
            if (!parse_number(value, h) || (h != 0 && h < 3)) throw bad("hold time must be 0 or at least 3");
            if (hold_time) *hold_time = h;
        } else if (key == "name") {
            cfg.description = value;
        } else {
            throw bad("unknown setting '" + key + "'");
        }
    }
    return cfg;
}

BgpPeer::BgpPeer(Loop& loop, PeerConfig cfg, bgp::SessionConfig session, rpc::Counters& counters)
    : loop_(loop), cfg_(std::move(cfg)), counters_(counters), session_(std::move(session)),
      backoff_([] {
          static std::mt19937_64 rng{std::random_device{}()};
          return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
      }),
      session_timer_(loop, [this] { apply(session_.tick(Loop::now_us())); }),
      reconnect_timer_(loop, [this] { connect(); }) {}

BgpPeer::~BgpPeer() { close_socket(); }

void BgpPeer::start() { connect(); }

void BgpPeer::connect() {
    if (stopping_ || bev_) return;
    sockaddr_storage ss;
    socklen_t len = to_sockaddr(cfg_.address, cfg_.port, ss);
    int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return lost(std::string("socket: ") + std::strerror(errno));
    if (cfg_.local_address) {
        sockaddr_storage local;
        socklen_t llen = to_sockaddr(*cfg_.local_address, 0, local);
        if (::bind(fd, reinterpret_cast<sockaddr*>(&local), llen) != 0) {
            std::string why = std::string("bind ") + cfg_.local_address->str() + ": " + std::strerror(errno);
            ::close(fd);
            return lost(why);
        }
    }
    bev_ = bufferevent_socket_new(loop_.base(), fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(
        bev_,
        [](bufferevent* bev, void* arg) {
            auto* self = static_cast<BgpPeer*>(arg);
            evbuffer* in = bufferevent_get_input(bev);
            std::string data(evbuffer_get_length(in), '\0');
            evbuffer_remove(in, data.data(), data.size());
            self->apply(self->session_.bytes_received(data, Loop::now_us()));
        },
        nullptr,
        [](bufferevent* bev, short what, void* arg) {
            auto* self = static_cast<BgpPeer*>(arg);
            if (what & BEV_EVENT_CONNECTED) {
                int one = 1;
                setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                bufferevent_set_timeouts(bev, nullptr, nullptr);
                log::info("bgp ", self->cfg_.address.str(), ": connected");
                self->apply(self->session_.tcp_connected(Loop::now_us()));
                return;
            }
            std::string why = what & BEV_EVENT_EOF      ? "closed by the peer"
                              : what & BEV_EVENT_TIMEOUT ? "connect timed out"
                                                         : std::strerror(EVUTIL_SOCKET_ERROR());
            self->close_socket();
            self->apply(self->session_.tcp_closed(Loop::now_us()));
            if (!self->reconnect_timer_.armed()) self->lost(why);
        },
        this);
    timeval tv{10, 0};
    bufferevent_set_timeouts(bev_, &tv, nullptr);  // connect timeout; cleared once up
    bufferevent_enable(bev_, EV_READ | EV_WRITE);
    apply(session_.connecting(Loop::now_us()));
    if (bufferevent_socket_connect(bev_, reinterpret_cast<sockaddr*>(&ss), static_cast<int>(len)) != 0) {
        close_socket();
        apply(session_.tcp_closed(Loop::now_us()));
        if (!reconnect_timer_.armed()) lost("connect failed");
    }
}

void BgpPeer::apply(std::vector<bgp::Effect> effects) {
    std::int64_t now = Loop::now_us();
    bool changed = false;
    for (auto& e : effects) {
        if (auto* s = std::get_if<bgp::Send>(&e)) {
            if (bev_) bufferevent_write(bev_, s->bytes.data(), s->bytes.size());
        } else if (auto* c = std::get_if<bgp::CloseConnection>(&e)) {
            if (bev_) {
                evbuffer* out = bufferevent_get_output(bev_);
                evbuffer_unfreeze(out, 1);
                evbuffer_write(out, bufferevent_getfd(bev_));  // the NOTIFICATION, as far as it goes
            }
            close_socket();
            last_error_ = c->reason;
        } else if (auto* est = std::get_if<bgp::Established>(&e)) {
            established_at_ = now;
            backoff_.reset();
            last_error_.clear();
            ++counters_["bgp.sessions_established"];
            log::info("bgp ", cfg_.address.str(), ": established with AS ", est->peer_as, ", hold time ",
                      est->hold_time, " s");
        } else if (auto* d = std::get_if<bgp::SessionDown>(&e)) {
            ++counters_["bgp.sessions_lost"];
            std::size_t flushed = rib_.size();
            rib_.flush();
            changed = changed || flushed > 0;
            log::warn("bgp ", cfg_.address.str(), ": session down (", d->reason, "); ", flushed, " routes flushed");
            close_socket();
            lost(d->reason);
        } else if (auto* rc = std::get_if<bgp::RoutesChanged>(&e)) {
            auto counts = rib_.apply(*rc);
            counters_["bgp.prefixes_announced"] += counts.announced;
            counters_["bgp.prefixes_withdrawn"] += counts.withdrawn;
            changed = changed || counts.announced || counts.withdrawn;
        } else if (auto* eor = std::get_if<bgp::EndOfRib>(&e)) {
            changed = true;  // the initial table may be complete: time to rebuild
            log::info("bgp ", cfg_.address.str(), ": end of RIB (AFI ", eor->family.afi, "), ", rib_.size(),
                      " routes");
        } else if (auto* ue = std::get_if<bgp::UpdateError>(&e)) {
            ++counters_["bgp.update_errors"];
            log::warn("bgp ", cfg_.address.str(), ": ", ue->reason, ue->treat_as_withdraw ? " (treated as withdraw)" : "");
        }
    }
    arm_session_timer();
    if (changed && on_change) on_change();
}

void BgpPeer::arm_session_timer() {
    std::int64_t at = session_.next_wakeup();
    if (at == INT64_MAX) session_timer_.cancel();
    else session_timer_.arm_at(at);
}

void BgpPeer::close_socket() {
    if (!bev_) return;
    bufferevent_free(bev_);
    bev_ = nullptr;
}

void BgpPeer::lost(const std::string& why) {
    if (!why.empty()) last_error_ = why;
    if (stopping_ || reconnect_timer_.armed()) return;
    std::int64_t delay = backoff_.next();
    log::info("bgp ", cfg_.address.str(), ": ", last_error_, "; reconnecting in ", delay / 1000, " ms");
    reconnect_timer_.arm_in(delay);
}

void BgpPeer::stop(const std::string& reason) {
    stopping_ = true;
    reconnect_timer_.cancel();
    apply(session_.stop(reason, Loop::now_us()));
    close_socket();
}

void BgpPeer::refresh() {
    for (const auto& f : session_.config().families) apply(session_.request_refresh(f));
}

bool BgpPeer::loading() const {
    if (!established() || Loop::now_us() - established_at_ > kInitialLoadUs) return false;
    for (const auto& f : session_.negotiated().families)
        if (!session_.end_of_rib(f)) return true;
    return false;
}

Value BgpPeer::status() const {
    std::int64_t now = Loop::now_us();
    return {{"address", cfg_.address.str()},
            {"as", cfg_.peer_as},
            {"port", cfg_.port},
            {"name", cfg_.description},
            {"state", bgp::state_name(session_.state())},
            {"uptime_s", established() ? (now - established_at_) / 1'000'000 : 0},
            {"prefixes", rib_.size()},
            {"prefixes_v4", rib_.size(Family::v4)},
            {"prefixes_v6", rib_.size(Family::v6)},
            {"attribute_sets", rib_.attribute_sets()},
            {"last_error", last_error_.empty() ? Value() : Value(last_error_)}};
}

}  // namespace sr::prox
