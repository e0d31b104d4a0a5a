#include "prox/isis_host.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/secret.hpp"
#include "prox/parse_number.hpp"

#include <event2/event.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

namespace sr::prox {

namespace {

constexpr std::size_t kLlc = 3;
constexpr int kReadsPerWakeup = 256;

bool parse_levels(const std::string& v, int& levels) {
    if (v == "1") levels = 1;
    else if (v == "2") levels = 2;
    else if (v == "1-2" || v == "3") levels = 3;
    else return false;
    return true;
}

isis::Auth read_auth(const std::string& kind, const std::string& key_file, const std::string& what) {
    isis::Auth a;
    if (kind == "none") {
        if (!key_file.empty()) throw Error("config", what + ": key-file= needs auth=cleartext or md5");
        return a;
    }
    if (kind == "cleartext") a.kind = isis::Auth::Kind::cleartext;
    else if (kind == "md5" || kind == "hmac-md5") a.kind = isis::Auth::Kind::hmac_md5;
    else throw Error("config", what + ": authentication must be none, cleartext or md5");
    if (key_file.empty()) throw Error("config", what + ": auth=" + kind + " needs key-file=PATH");
    // A cleartext password travels in a TLV of at most 254 bytes.
    a.key = read_key_file(key_file, "IS-IS key", 1, a.kind == isis::Auth::Kind::cleartext ? 254 : 4096);
    return a;
}

std::string errno_text() { return std::strerror(errno); }

std::string mac_text(const isis::Mac& m) {
    char buf[20];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    return buf;
}

}  // namespace

IsisInterfaceSpec parse_isis_interface(const std::string& spec) {
    std::istringstream in(spec);
    IsisInterfaceSpec s;
    in >> s.ifname;
    auto bad = [&](const std::string& why) { return Error("config", "--isis-interface '" + spec + "': " + why); };
    if (s.ifname.empty() || s.ifname.find('=') != std::string::npos) throw bad("begin with the interface's name");
    if (s.ifname.size() >= IFNAMSIZ) throw bad("interface name longer than " + std::to_string(IFNAMSIZ - 1));
    isis::CircuitConfig& c = s.settings;
    c.name = s.ifname;
    std::string auth = "none", key_file, word;
    while (in >> word) {
        auto eq = word.find('=');
        std::string key = word.substr(0, eq), value = eq == std::string::npos ? "" : word.substr(eq + 1);
        if (key == "level") {
            if (!parse_levels(value, c.levels)) throw bad("level must be 1, 2 or 1-2");
        } else if (key == "type") {
            if (value == "broadcast") c.point_to_point = false;
            else if (value == "p2p" || value == "point-to-point") c.point_to_point = true;
            else throw bad("type must be broadcast or p2p");
        } else if (key == "metric") {
            if (!parse_number(value, c.metric) || c.metric == 0 || c.metric > isis::kMaxWideMetric)
                throw bad("metric must be 1 to 16777214");
        } else if (key == "hello") {
            if (!parse_number(value, c.hello_interval) || c.hello_interval == 0 || c.hello_interval > 600)
                throw bad("hello must be 1 to 600 s");
        } else if (key == "auth") {
            auth = value;
        } else if (key == "key-file") {
            key_file = value;
        } else {
            throw bad("unknown setting '" + key + "' (level, type, metric, hello, auth, key-file)");
        }
    }
    c.hello_auth = read_auth(auth, key_file, "--isis-interface " + s.ifname);
    return s;
}

IsisLspAuthSpec parse_isis_lsp_auth(const std::string& spec) {
    std::istringstream in(spec);
    IsisLspAuthSpec s;
    std::string kind, key_file, word;
    in >> kind;
    auto bad = [&](const std::string& why) { return Error("config", "--isis-lsp-auth '" + spec + "': " + why); };
    while (in >> word) {
        auto eq = word.find('=');
        std::string key = word.substr(0, eq), value = eq == std::string::npos ? "" : word.substr(eq + 1);
        if (key == "key-file") key_file = value;
        else if (key == "level") {
            if (!parse_levels(value, s.levels)) throw bad("level must be 1, 2 or 1-2");
        } else if (key == "snp" && value.empty()) s.snp = true;
        else throw bad("unknown setting '" + key + "' (key-file, level, snp)");
    }
    s.auth = read_auth(kind, key_file, "--isis-lsp-auth");
    return s;
}

// ---- the host ----------------------------------------------------------------

struct IsisHost::Socket {
    IsisHost* host = nullptr;
    std::size_t index = 0;
    int fd = -1;
    int ifindex = 0;
    event* ev = nullptr;
    ~Socket() {
        if (ev) event_free(ev);
        if (fd >= 0) ::close(fd);
    }
};

IsisHost::IsisHost(Loop& loop, IsisConfig cfg, rpc::Counters& counters)
    : loop_(loop), cfg_(std::move(cfg)), counters_(counters) {}

IsisHost::~IsisHost() = default;

void IsisHost::open(Socket& s, std::size_t index) {
    IsisInterfaceSpec& spec = cfg_.interfaces[index];
    isis::CircuitConfig& c = spec.settings;
    const std::string what = "--isis-interface " + spec.ifname;
    s.ifindex = static_cast<int>(if_nametoindex(spec.ifname.c_str()));
    if (s.ifindex == 0) throw Error("config", what + ": no such interface");
    c.circuit_id = static_cast<std::uint32_t>(s.ifindex);
    s.fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (s.fd < 0) {
        if (errno == EPERM || errno == EACCES)
            throw Error("permission", what + ": IS-IS needs packet sockets (CAP_NET_RAW): run sr-proxd as root or "
                                             "give it the capability (systemd: AmbientCapabilities=CAP_NET_RAW)");
        throw Error("config", what + ": packet socket: " + errno_text());
    }
    // Only 802.3 frames (a length, not an EtherType) with the IS-IS LLC header.
    static sock_filter code[] = {
        {0x28, 0, 0, 12},      {0x25, 3, 0, 1500}, {0x28, 0, 0, 14},
        {0x15, 0, 1, 0xfefe},  {0x06, 0, 0, 0x40000}, {0x06, 0, 0, 0},
    };
    sock_fprog prog{static_cast<unsigned short>(sizeof code / sizeof code[0]), code};
    if (setsockopt(s.fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof prog) != 0)
        throw Error("config", what + ": BPF filter: " + errno_text());
    sockaddr_ll at{};
    at.sll_family = AF_PACKET;
    at.sll_protocol = htons(ETH_P_ALL);
    at.sll_ifindex = s.ifindex;
    if (::bind(s.fd, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0)
        throw Error("config", what + ": bind: " + errno_text());
    for (const auto& group : {isis::kAllL1Iss, isis::kAllL2Iss, isis::kAllIss}) {
        packet_mreq m{};
        m.mr_ifindex = s.ifindex;
        m.mr_type = PACKET_MR_MULTICAST;
        m.mr_alen = 6;
        std::memcpy(m.mr_address, group.data(), 6);
        if (setsockopt(s.fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &m, sizeof m) != 0)
            throw Error("config", what + ": cannot join " + mac_text(group) + ": " + errno_text());
    }
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, spec.ifname.c_str(), IFNAMSIZ - 1);
    if (ioctl(s.fd, SIOCGIFHWADDR, &ifr) != 0) throw Error("config", what + ": no MAC address: " + errno_text());
    std::memcpy(c.mac.data(), ifr.ifr_hwaddr.sa_data, 6);
    if (ioctl(s.fd, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 600)
        c.mtu = static_cast<std::uint16_t>(std::min(ifr.ifr_mtu, 9000) - static_cast<int>(kLlc));
    ifaddrs* list = nullptr;
    if (getifaddrs(&list) == 0) {
        for (ifaddrs* a = list; a; a = a->ifa_next) {
            if (!a->ifa_addr || spec.ifname != a->ifa_name) continue;
            if (a->ifa_addr->sa_family == AF_INET && a->ifa_netmask) {
                std::uint32_t addr = ntohl(reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr.s_addr);
                std::uint32_t mask = ntohl(reinterpret_cast<sockaddr_in*>(a->ifa_netmask)->sin_addr.s_addr);
                c.ipv4_addresses.push_back(addr);
                c.prefixes.push_back(Prefix(Address::v4(addr & mask), __builtin_popcount(mask)));
            } else if (a->ifa_addr->sa_family == AF_INET6) {
                Address v6;
                v6.family = Family::v6;
                std::memcpy(v6.bytes.data(), &reinterpret_cast<sockaddr_in6*>(a->ifa_addr)->sin6_addr, 16);
                if (v6.bytes[0] == 0xfe && (v6.bytes[1] & 0xc0) == 0x80) c.ipv6_link_local.push_back(v6);
            }
        }
        freeifaddrs(list);
    }
    s.ev = event_new(loop_.base(), s.fd, EV_READ | EV_PERSIST,
                     [](int, short, void* p) { auto* sock = static_cast<Socket*>(p); sock->host->on_readable(*sock); },
                     &s);
    event_add(s.ev, nullptr);
}

void IsisHost::start() {
    isis::RouterConfig rc;
    try {
        rc.system = isis::parse_system_id(cfg_.net);
        rc.area = isis::net_area(cfg_.net);
    } catch (const isis::IsisError& e) {
        throw Error("config", std::string("--isis-net: ") + e.what());
    }
    rc.hostname = cfg_.hostname;
    for (const auto& a : cfg_.lsp_auth) {
        for (int level : {1, 2})
            if (a.levels & (level == 1 ? 1 : 2)) rc.lsp_auth[static_cast<std::size_t>(level - 1)] = a.auth;
        rc.snp_auth = rc.snp_auth || a.snp;
    }
    for (std::size_t i = 0; i < cfg_.interfaces.size(); ++i) {
        auto s = std::make_unique<Socket>();
        s->host = this;
        s->index = i;
        open(*s, i);
        const auto& c = cfg_.interfaces[i].settings;
        rc.circuits.push_back(c);
        log::info("IS-IS: ", c.point_to_point ? "point-to-point" : "LAN", " circuit ", c.name, " (", mac_text(c.mac),
                  ", level ", c.levels == 3 ? "1-2" : std::to_string(c.levels), ", metric ", c.metric, ") as ",
                  isis::system_id_text(rc.system));
        sockets_.push_back(std::move(s));
    }
    router_ = std::make_unique<isis::Router>(std::move(rc));
    timer_ = std::make_unique<Timer>(loop_, [this] { apply(router_->tick(Loop::now_us())); });
    apply(router_->start(Loop::now_us()));
}

void IsisHost::stop() {
    if (timer_) timer_->cancel();
    sockets_.clear();
}

void IsisHost::on_readable(Socket& s) {
    static unsigned char buf[65536];
    for (int i = 0; i < kReadsPerWakeup; ++i) {
        sockaddr_ll from{};
        socklen_t len = sizeof from;
        ssize_t n = ::recvfrom(s.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log::warn("IS-IS: ", cfg_.interfaces[s.index].ifname, ": ", errno_text());
            return;
        }
        if (from.sll_pkttype == PACKET_OUTGOING) continue;  // ours, seen on the way out
        if (n < 14 + static_cast<ssize_t>(kLlc)) continue;
        std::size_t length = static_cast<std::size_t>(buf[12] << 8 | buf[13]);
        if (length < kLlc || 14 + length > static_cast<std::size_t>(n)) continue;
        isis::Mac source;
        std::memcpy(source.data(), buf + 6, 6);
        ++counters_["prox.isis_pdus_in"];
        apply(router_->receive(s.index, source,
                               std::string_view(reinterpret_cast<char*>(buf) + 14 + kLlc, length - kLlc),
                               Loop::now_us()));
    }
}

void IsisHost::apply(std::vector<isis::Effect> effects) {
    for (auto& e : effects) {
        if (auto* send = std::get_if<isis::Send>(&e)) {
            Socket& s = *sockets_.at(send->circuit);
            const isis::Mac& ours = cfg_.interfaces[s.index].settings.mac;
            std::string frame;
            frame.reserve(17 + send->pdu.size());
            frame.append(reinterpret_cast<const char*>(send->destination.data()), 6);
            frame.append(reinterpret_cast<const char*>(ours.data()), 6);
            std::size_t length = kLlc + send->pdu.size();
            frame.push_back(static_cast<char>(length >> 8));
            frame.push_back(static_cast<char>(length & 0xff));
            frame += "\xfe\xfe\x03";
            frame += send->pdu;
            if (frame.size() < 60) frame.resize(60, '\0');  // the Ethernet minimum
            sockaddr_ll to{};
            to.sll_family = AF_PACKET;
            to.sll_ifindex = s.ifindex;
            to.sll_halen = 6;
            std::memcpy(to.sll_addr, send->destination.data(), 6);
            if (::sendto(s.fd, frame.data(), frame.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof to) < 0) {
                if (log::worth_logging(++counters_["prox.isis_send_errors"]))
                    log::warn("IS-IS: ", cfg_.interfaces[s.index].ifname, ": sending: ", errno_text());
            } else {
                ++counters_["prox.isis_pdus_out"];
            }
        } else if (auto* c = std::get_if<isis::AdjacencyChanged>(&e)) {
            log::info("IS-IS: ", cfg_.interfaces.at(c->circuit).ifname, ": adjacency ", isis::system_id_text(c->system),
                      " level ", c->level == 3 ? "1-2" : std::to_string(c->level), " ", isis::state_name(c->from), " -> ",
                      isis::state_name(c->to), ": ", c->reason);
            if (c->to == isis::AdjacencyState::up) ++counters_["prox.isis_adjacencies_up"];
            if (c->from == isis::AdjacencyState::up) ++counters_["prox.isis_adjacencies_down"];
        } else if (auto* d = std::get_if<isis::Dropped>(&e)) {
            ++counters_["prox.isis_dropped"];
            const std::string& ifname = cfg_.interfaces.at(d->circuit).ifname;
            std::string kind = ifname + " " + mac_text(d->source) + " " + d->reason.substr(0, d->reason.find(':'));
            if (drops_.size() > 256) drops_.clear();
            std::uint64_t n = ++drops_[kind];
            if (log::worth_logging(n))
                log::warn("IS-IS: ", ifname, ": PDU from ", mac_text(d->source), " dropped: ", d->reason,
                          n > 1 ? " (" + std::to_string(n) + " so far)" : "");
        }
    }
    bool changed = false;
    for (int level : {1, 2}) {
        auto v = router_->lsdb(level).version();
        changed |= v != versions_[static_cast<std::size_t>(level - 1)];
        versions_[static_cast<std::size_t>(level - 1)] = v;
    }
    if (changed && on_change) on_change();
    if (timer_) timer_->arm_at(router_->next_wakeup());
}

std::vector<const isis::Lsdb*> IsisHost::databases() const {
    std::vector<const isis::Lsdb*> out;
    for (int level : {1, 2})
        if (router_->runs(level)) out.push_back(&router_->lsdb(level));
    return out;
}

isis::SystemId IsisHost::system() const { return router_->config().system; }

// The first seconds of an adjacency bring the neighbour's database: rebuilds wait for it.
bool IsisHost::loading() const {
    std::int64_t now = Loop::now_us();
    for (const auto& c : router_->circuits())
        for (const auto& a : c.adjacencies)
            if (a.state == isis::AdjacencyState::up && now - a.up_since < 2'000'000) return true;
    return false;
}

Value IsisHost::adjacencies() const {
    std::int64_t now = Loop::now_us();
    // Neighbours by their hostnames, as their LSPs give them.
    std::map<isis::SystemId, std::string> names;
    for (const auto* db : databases())
        for (const auto& [id, e] : db->all())
            if (e.lsp.tlvs.hostname) names[id.system] = *e.lsp.tlvs.hostname;
    Value out = Value::array();
    for (const auto& c : router_->circuits())
        for (const auto& a : c.adjacencies) {
            std::string role = c.cfg.point_to_point ? "p2p" : "LAN";
            if (!c.cfg.point_to_point && std::equal(a.system.begin(), a.system.end(), a.lan_id.begin())) role = "DIS";
            out.push_back({{"protocol", "isis"},
                           {"interface", c.cfg.name},
                           {"level", a.level == 3 ? "1-2" : std::to_string(a.level)},
                           {"neighbor", isis::system_id_text(a.system)},
                           {"hostname", names.count(a.system) ? Value(names[a.system]) : Value()},
                           {"address", mac_text(a.mac)},
                           {"state", isis::state_name(a.state)},
                           {"role", role},
                           {"priority", a.priority},
                           {"uptime_s", a.state == isis::AdjacencyState::up ? (now - a.up_since) / 1'000'000 : 0},
                           {"dead_in_s", (a.holding_until - now) / 1'000'000}});
        }
    return out;
}

Value IsisHost::lsdb_summary() const {
    std::int64_t now = Loop::now_us();
    Value out = Value::array();
    for (int level : {1, 2}) {
        if (!router_->runs(level)) continue;
        const isis::Lsdb& db = router_->lsdb(level);
        std::size_t routers = 0, pseudonodes = 0, purges = 0;
        for (const auto& [id, e] : db.all()) {
            if (db.lifetime(e, now) == 0) ++purges;
            else if (id.pseudonode) ++pseudonodes;
            else ++routers;
        }
        std::string l = std::to_string(level);
        out.push_back({{"protocol", "isis"}, {"level", l}, {"type", "router"}, {"count", routers}, {"max_age", 0}});
        out.push_back({{"protocol", "isis"}, {"level", l}, {"type", "pseudonode"}, {"count", pseudonodes}, {"max_age", 0}});
        out.push_back({{"protocol", "isis"}, {"level", l}, {"type", "purge"}, {"count", purges}, {"max_age", purges}});
    }
    return out;
}

}  // namespace sr::prox
