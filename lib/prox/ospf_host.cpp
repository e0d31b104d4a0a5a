#include "prox/ospf_host.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/secret.hpp"
#include "prox/parse_number.hpp"

#include <event2/event.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <sstream>

namespace sr::prox {

namespace {

constexpr int kProtoOspf = 89;
constexpr int kReceiveBuffer = 4 << 20;  // a neighbour's whole database may arrive at once
constexpr int kReadsPerWakeup = 256;

// An area as a dotted quad or a number (FRR and BIRD accept both).
bool parse_area(const std::string& s, std::uint32_t& out) {
    if (parse_number(s, out)) return true;
    try {
        out = ospf::parse_dotted(s);
        return true;
    } catch (const ospf::OspfError&) {
        return false;
    }
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

OspfInterfaceSpec parse_ospf_interface(const std::string& spec) {
    std::istringstream in(spec);
    OspfInterfaceSpec s;
    in >> s.ifname;
    auto bad = [&](const std::string& why) { return Error("config", "--ospf-interface '" + spec + "': " + why); };
    if (s.ifname.empty() || s.ifname.find('=') != std::string::npos) throw bad("begin with the interface's name");
    if (s.ifname.size() >= IFNAMSIZ) throw bad("interface name longer than " + std::to_string(IFNAMSIZ - 1));
    ospf::InterfaceConfig& c = s.settings;
    c.name = s.ifname;
    std::string auth = "none", key_file;
    int key_id = -1;
    std::string word;
    while (in >> word) {
        auto eq = word.find('=');
        std::string key = word.substr(0, eq), value = eq == std::string::npos ? "" : word.substr(eq + 1);
        if (key == "area") {
            if (!parse_area(value, s.area)) throw bad("area must be a number or a dotted quad");
        } else if (key == "cost") {
            if (!parse_number(value, c.cost) || c.cost == 0) throw bad("cost must be 1 to 65535");
        } else if (key == "type") {
            if (value == "broadcast") c.type = ospf::InterfaceType::broadcast;
            else if (value == "p2p" || value == "point-to-point") c.type = ospf::InterfaceType::point_to_point;
            else throw bad("type must be broadcast or p2p");
        } else if (key == "hello") {
            if (!parse_number(value, c.hello_interval) || c.hello_interval == 0) throw bad("hello must be 1 to 65535 s");
        } else if (key == "dead") {
            if (!parse_number(value, c.dead_interval) || c.dead_interval == 0) throw bad("dead must be at least 1 s");
        } else if (key == "retransmit") {
            if (!parse_number(value, c.retransmit_interval) || c.retransmit_interval == 0 || c.retransmit_interval > 3600)
                throw bad("retransmit must be 1 to 3600 s");
        } else if (key == "auth") {
            auth = value;
        } else if (key == "key-id") {
            if (!parse_number(value, key_id) || key_id < 0 || key_id > 255) throw bad("key-id must be 0 to 255");
        } else if (key == "key-file") {
            key_file = value;
        } else {
            throw bad("unknown setting '" + key +
                      "' (area, cost, type, hello, dead, retransmit, auth, key-id, key-file)");
        }
    }
    using K = ospf::Auth::Kind;
    static const std::map<std::string, K> kinds = {{"none", K::none},
                                                   {"simple", K::simple},
                                                   {"md5", K::md5},
                                                   {"hmac-sha1", K::hmac_sha1},
                                                   {"hmac-sha256", K::hmac_sha256},
                                                   {"hmac-sha384", K::hmac_sha384},
                                                   {"hmac-sha512", K::hmac_sha512}};
    auto kind = kinds.find(auth);
    if (kind == kinds.end()) throw bad("auth must be none, simple, md5, hmac-sha1, hmac-sha256, hmac-sha384 or hmac-sha512");
    c.auth.kind = kind->second;
    if (c.auth.kind == K::none) {
        if (!key_file.empty() || key_id >= 0) throw bad("key-file and key-id need auth=");
        return s;
    }
    if (key_file.empty()) throw bad("auth=" + auth + " needs key-file=PATH");
    if (c.auth.kind == K::simple) {
        if (key_id >= 0) throw bad("key-id is for cryptographic authentication");
        c.auth.key = read_key_file(key_file, "OSPF key", 1, 8);
    } else {
        if (key_id < 0) throw bad("auth=" + auth + " needs key-id=N (the same on every router of the link)");
        c.auth.key_id = static_cast<std::uint8_t>(key_id);
        // MD5 keys are at most 16 bytes (RFC 2328 D.3); HMAC keys of any length.
        c.auth.key = read_key_file(key_file, "OSPF key", 1, c.auth.kind == K::md5 ? 16 : 4096);
    }
    return s;
}

// ---- the host ----------------------------------------------------------------

struct OspfHost::Socket {
    OspfHost* host = nullptr;
    std::size_t index = 0;  // into specs_
    Area* area = nullptr;
    std::size_t area_index = 0;  // the interface's number in its area's router
    int fd = -1;
    event* ev = nullptr;
    ~Socket() {
        if (ev) event_free(ev);
        if (fd >= 0) ::close(fd);
    }
};

struct OspfHost::Area {
    std::uint32_t id = 0;
    std::unique_ptr<ospf::Router> router;
    std::vector<Socket*> sockets;  // by the router's interface number
    std::unique_ptr<Timer> timer;
    std::uint64_t version = 0;     // of the database last reported
    std::map<std::string, std::uint64_t> drops;  // per kind, for logging at a bounded rate
};

OspfHost::OspfHost(Loop& loop, std::uint32_t router_id, std::vector<OspfInterfaceSpec> interfaces,
                   rpc::Counters& counters)
    : loop_(loop), router_id_(router_id), specs_(std::move(interfaces)), counters_(counters) {}

OspfHost::~OspfHost() = default;

void OspfHost::open(Socket& s) {
    OspfInterfaceSpec& spec = specs_[s.index];
    const std::string what = "--ospf-interface " + spec.ifname;
    unsigned ifindex = if_nametoindex(spec.ifname.c_str());
    if (ifindex == 0) throw Error("config", what + ": no such interface");
    // The interface's first IPv4 address is the one OSPF runs on.
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) throw Error("config", what + ": getifaddrs: " + errno_text());
    for (ifaddrs* a = list; a; a = a->ifa_next)
        if (a->ifa_addr && a->ifa_addr->sa_family == AF_INET && a->ifa_netmask && spec.ifname == a->ifa_name) {
            spec.settings.address = ntohl(reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr);
            spec.settings.mask = ntohl(reinterpret_cast<sockaddr_in*>(a->ifa_netmask)->sin_addr.s_addr);
            break;
        }
    freeifaddrs(list);
    if (spec.settings.address == 0) throw Error("config", what + ": the interface has no IPv4 address");

    s.fd = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kProtoOspf);
    if (s.fd < 0) {
        if (errno == EPERM || errno == EACCES)
            throw Error("permission", what + ": OSPF needs raw IP sockets (CAP_NET_RAW): run sr-proxd as root or "
                                             "give it the capability (systemd: AmbientCapabilities=CAP_NET_RAW)");
        throw Error("config", what + ": raw socket: " + errno_text());
    }
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, spec.ifname.c_str(), IFNAMSIZ - 1);
    if (ioctl(s.fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 576)
        spec.settings.mtu = static_cast<std::uint16_t>(std::min(ifr.ifr_mtu, 65535));
    if (setsockopt(s.fd, SOL_SOCKET, SO_BINDTODEVICE, spec.ifname.c_str(), static_cast<socklen_t>(spec.ifname.size())) != 0)
        throw Error(errno == EPERM ? "permission" : "config", what + ": SO_BINDTODEVICE: " + errno_text());
    ip_mreqn m{};
    m.imr_multiaddr.s_addr = htonl(ospf::kAllSpfRouters);
    m.imr_address.s_addr = htonl(spec.settings.address);
    m.imr_ifindex = static_cast<int>(ifindex);
    if (setsockopt(s.fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) != 0)
        throw Error("config", what + ": cannot join 224.0.0.5: " + errno_text());
    setsockopt(s.fd, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m);
    int zero = 0, one = 1, tos = IPTOS_PREC_INTERNETCONTROL, pmtu = IP_PMTUDISC_DONT, size = kReceiveBuffer;
    setsockopt(s.fd, IPPROTO_IP, IP_MULTICAST_LOOP, &zero, sizeof zero);
    setsockopt(s.fd, IPPROTO_IP, IP_MULTICAST_TTL, &one, sizeof one);
    setsockopt(s.fd, IPPROTO_IP, IP_TTL, &one, sizeof one);
    setsockopt(s.fd, IPPROTO_IP, IP_TOS, &tos, sizeof tos);
    setsockopt(s.fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);  // large LSAs go fragmented
    if (setsockopt(s.fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0)
        setsockopt(s.fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    s.ev = event_new(loop_.base(), s.fd, EV_READ | EV_PERSIST,
                     [](int, short, void* p) { auto* sock = static_cast<Socket*>(p); sock->host->on_readable(*sock); },
                     &s);
    event_add(s.ev, nullptr);
}

void OspfHost::start() {
    std::map<std::uint32_t, Area*> by_id;
    for (std::size_t i = 0; i < specs_.size(); ++i) {
        auto s = std::make_unique<Socket>();
        s->host = this;
        s->index = i;
        open(*s);
        Area*& a = by_id[specs_[i].area];
        if (!a) {
            areas_.push_back(std::make_unique<Area>());
            a = areas_.back().get();
            a->id = specs_[i].area;
        }
        s->area = a;
        s->area_index = a->sockets.size();
        a->sockets.push_back(s.get());
        sockets_.push_back(std::move(s));
    }
    for (auto& a : areas_) {
        ospf::RouterConfig rc;
        rc.router_id = router_id_;
        rc.area = a->id;
        rc.crypto_sequence_base = static_cast<std::uint32_t>(Loop::wall_now_us() / 1'000'000);
        for (auto* s : a->sockets) {
            const auto& spec = specs_[s->index];
            rc.interfaces.push_back(spec.settings);
            log::info("OSPF: area ", ospf::dotted(a->id), " on ", spec.ifname, " (", ospf::dotted(spec.settings.address),
                      ", ", spec.settings.type == ospf::InterfaceType::broadcast ? "broadcast" : "point-to-point",
                      ", MTU ", spec.settings.mtu, ") as router ", ospf::dotted(router_id_));
        }
        a->router = std::make_unique<ospf::Router>(std::move(rc));
        Area* area = a.get();
        a->timer = std::make_unique<Timer>(loop_, [this, area] { apply(*area, area->router->tick(Loop::now_us())); });
        apply(*a, a->router->start(Loop::now_us()));
    }
}

void OspfHost::stop() {
    // Nothing is sent: neighbours notice by their dead interval, and our
    // max-metric router-LSA carried no traffic.
    for (auto& a : areas_) a->timer->cancel();
    sockets_.clear();
}

void OspfHost::on_readable(Socket& s) {
    static char buf[65536];
    for (int i = 0; i < kReadsPerWakeup; ++i) {
        ssize_t n = ::recv(s.fd, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log::warn("OSPF: ", specs_[s.index].ifname, ": ", errno_text());
            return;
        }
        // A raw socket hands over the IP header too.
        if (n < 20) continue;
        std::size_t header = (static_cast<unsigned char>(buf[0]) & 0x0f) * 4u;
        if (header < 20 || static_cast<std::size_t>(n) < header) continue;
        std::uint32_t source;
        std::memcpy(&source, buf + 12, 4);
        ++counters_["prox.ospf_packets_in"];
        Area& a = *s.area;
        apply(a, a.router->receive(s.area_index, ntohl(source),
                                   std::string_view(buf + header, static_cast<std::size_t>(n) - header),
                                   Loop::now_us()));
    }
}

void OspfHost::apply(Area& a, std::vector<ospf::Effect> effects) {
    for (auto& e : effects) {
        if (auto* send = std::get_if<ospf::Send>(&e)) {
            Socket& s = *a.sockets.at(send->interface);
            sockaddr_in to{};
            to.sin_family = AF_INET;
            to.sin_addr.s_addr = htonl(send->destination);
            if (::sendto(s.fd, send->bytes.data(), send->bytes.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
                if (log::worth_logging(++counters_["prox.ospf_send_errors"]))
                    log::warn("OSPF: ", specs_[s.index].ifname, ": sending to ", ospf::dotted(send->destination), ": ",
                              errno_text());
            } else {
                ++counters_["prox.ospf_packets_out"];
            }
        } else if (auto* c = std::get_if<ospf::NeighborChanged>(&e)) {
            log::info("OSPF: ", specs_[a.sockets.at(c->interface)->index].ifname, ": neighbour ",
                      ospf::dotted(c->router_id), " (", ospf::dotted(c->address), ") ", ospf::state_name(c->from),
                      " -> ", ospf::state_name(c->to), ": ", c->reason);
            if (c->to == ospf::NeighborState::full) ++counters_["prox.ospf_adjacencies_up"];
            if (c->from == ospf::NeighborState::full) ++counters_["prox.ospf_adjacencies_down"];
        } else if (auto* d = std::get_if<ospf::Dropped>(&e)) {
            ++counters_["prox.ospf_dropped"];
            const std::string& ifname = specs_[a.sockets.at(d->interface)->index].ifname;
            // The first of each kind is logged, then at powers of two; the
            // kinds are bounded (a hostile sender picks the addresses in them).
            std::string kind = ifname + " " + ospf::dotted(d->source) + " " + d->reason.substr(0, d->reason.find(':'));
            if (a.drops.size() > 256) a.drops.clear();
            std::uint64_t n = ++a.drops[kind];
            if (log::worth_logging(n))
                log::warn("OSPF: ", ifname, ": packet from ", ospf::dotted(d->source), " dropped: ", d->reason,
                          n > 1 ? " (" + std::to_string(n) + " so far)" : "");
        }
    }
    if (a.router->lsdb().version() != a.version) {
        a.version = a.router->lsdb().version();
        if (on_change) on_change();
    }
    if (a.timer) a.timer->arm_at(a.router->next_wakeup());
}

std::vector<const ospf::Lsdb*> OspfHost::databases() const {
    std::vector<const ospf::Lsdb*> out;
    for (const auto& a : areas_) out.push_back(&a->router->lsdb());
    return out;
}

bool OspfHost::loading() const {
    for (const auto& a : areas_)
        for (const auto& itf : a->router->interfaces())
            for (const auto& [rid, n] : itf.neighbors)
                if (n.state == ospf::NeighborState::exchange || n.state == ospf::NeighborState::loading) return true;
    return false;
}

Value OspfHost::adjacencies() const {
    std::int64_t now = Loop::now_us();
    Value out = Value::array();
    for (const auto& a : areas_) {
        const auto& itfs = a->router->interfaces();
        for (std::size_t i = 0; i < itfs.size(); ++i) {
            const auto& itf = itfs[i];
            for (const auto& [rid, n] : itf.neighbors) {
                const char* role = n.address == itf.dr ? "DR" : n.address == itf.bdr ? "BDR" : itf.cfg.type == ospf::InterfaceType::point_to_point ? "p2p" : "DROther";
                out.push_back({{"protocol", "ospf"},
                               {"interface", itf.cfg.name},
                               {"area", ospf::dotted(a->id)},
                               {"neighbor", ospf::dotted(rid)},
                               {"address", ospf::dotted(n.address)},
                               {"state", ospf::state_name(n.state)},
                               {"role", role},
                               {"priority", n.priority},
                               {"uptime_s", n.state == ospf::NeighborState::full ? (now - n.full_since) / 1'000'000 : 0},
                               {"dead_in_s", (n.dead_at - now) / 1'000'000},
                               {"requests", n.requests.size()},
                               {"retransmissions", n.retransmit.size()}});
            }
        }
    }
    return out;
}

Value OspfHost::lsdb_summary() const {
    static const char* names[] = {"", "router", "network", "summary", "asbr-summary", "external"};
    std::int64_t now = Loop::now_us();
    Value out = Value::array();
    for (const auto& a : areas_) {
        const ospf::Lsdb& db = a->router->lsdb();
        std::map<std::uint8_t, std::pair<std::size_t, std::size_t>> by_type;  // count, at MaxAge
        for (const auto& [k, e] : db.entries()) {
            auto& [count, max_age] = by_type[k.type];
            ++count;
            max_age += db.age(e, now) >= ospf::kMaxAge;
        }
        for (const auto& [type, c] : by_type)
            out.push_back({{"protocol", "ospf"},
                           {"area", ospf::dotted(a->id)},
                           {"type", type < 6 ? names[type] : std::to_string(type)},
                           {"count", c.first},
                           {"max_age", c.second}});
    }
    return out;
}

}  // namespace sr::prox
