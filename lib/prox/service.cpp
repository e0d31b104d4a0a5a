#include "prox/service.hpp"

#include "core/error.hpp"
#include "core/log.hpp"
#include "prox/bgp/rib.hpp"
#include "prox/graphml.hpp"
#include "prox/spf.hpp"
#include "prox/topology_file.hpp"

#include <event2/event.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <fstream>
#include <sstream>
#include <unordered_map>

namespace sr::prox {

namespace {

constexpr std::int64_t kRebuildDelayUs = 200'000;
// An IGP change is one event's LSAs, which arrive within milliseconds of
// each other; while an adjacency loads a whole database, rebuilds wait more.
constexpr std::int64_t kIgpRebuildDelayUs = 50'000;
constexpr std::int64_t kIgpLoadingRebuildDelayUs = 500'000;

// "ROUTER-ID NAME" lines, the id an OSPF router id or an IS-IS system id;
// '#' starts a comment. Throws Error("config").
void read_igp_names(const std::string& path, std::map<std::uint32_t, std::string>& names,
                    std::map<isis::SystemId, std::string>& systems) {
    std::istringstream in(read_text_file(path));
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
        std::istringstream words(line);
        std::string id, name, extra;
        if (!(words >> id)) continue;
        auto bad = [&] {
            return Error("config", path + ":" + std::to_string(n) +
                                       ": want ROUTER-ID NAME (an IPv4 router id or an IS-IS system id, one word)");
        };
        if (!(words >> name) || (words >> extra)) throw bad();
        if (auto a = Address::parse(id); a && a->family == Family::v4) {
            names[a->v4_value()] = name;
            continue;
        }
        try {
            systems[isis::parse_system_id(id)] = name;
        } catch (const isis::IsisError&) {
            throw bad();
        }
    }
}

// A route's preference among several for one prefix: higher LOCAL_PREF,
// then the shorter AS path (RFC 4271 §9.1.2.2, the first two steps).
struct Best {
    ExternalRoute route;
    std::uint32_t local_pref = 100;
    bool better_than(const Best& o) const {
        if (local_pref != o.local_pref) return local_pref > o.local_pref;
        return route.as_path_length < o.route.as_path_length;
    }
};
using BestMap = std::unordered_map<Prefix, Best, bgp::PrefixHash>;

void offer(BestMap& best, const Best& b) {
    auto [it, fresh] = best.try_emplace(b.route.prefix, b);
    if (!fresh && b.better_than(it->second)) it->second = b;
}

bool looks_like_xml(const std::string& text) {
    auto p = text.find_first_not_of(" \t\r\n\xef\xbb\xbf");
    return p != std::string::npos && text[p] == '<';
}

std::string join_path(const std::vector<std::uint32_t>& as_path) {
    std::string out;
    for (auto as : as_path) out += (out.empty() ? "" : " ") + std::to_string(as);
    return out;
}

// The ALTO server holds one AltoModel for its life; this one answers with
// whatever model the service has now.
class ModelView : public AltoModel {
  public:
    explicit ModelView(const Service& s) : s_(s) {}
    std::vector<std::string> pids() const override { return s_.model()->pids(); }
    std::vector<Prefix> prefixes(const std::string& pid) const override { return s_.model()->prefixes(pid); }
    std::optional<double> pid_cost(const std::string& a, const std::string& b, Metric m) const override {
        return s_.model()->pid_cost(a, b, m);
    }
    std::optional<std::string> pid_of(const Address& a) const override { return s_.model()->pid_of(a); }
    std::optional<double> endpoint_cost(const Address& a, const Address& b, Metric m) const override {
        return s_.model()->endpoint_cost(a, b, m);
    }
    std::string version() const override { return s_.model()->version(); }

  private:
    const Service& s_;
};

}  // namespace

// ---- LocalModel ------------------------------------------------------------

// PIDs are the routers' names made valid (pid_for_name); each PID holds the
// router's prefixes and its own addresses, as host prefixes (a BGP next hop
// or a router's loopback placed through the map as prox.pid places it).
LocalModel::LocalModel(std::shared_ptr<CostModel> model, std::string version)
    : model_(std::move(model)), version_(version) {
    const Topology& t = model_->topology();
    for (RouterId r = 0; r < t.size(); ++r) {
        std::string pid = pid_for_name(t.name(r));
        router_of_pid_[pid] = r;
        pid_of_router_[t.name(r)] = pid;
        prefixes_[pid];
    }
    for (const auto& [p, r] : t.prefixes()) prefixes_[pid_of_router_[t.name(r)]].push_back(p);
    for (const auto& [a, r] : t.addresses()) {
        auto& list = prefixes_[pid_of_router_[t.name(r)]];
        Prefix host(a, a.max_len());
        if (std::find(list.begin(), list.end(), host) == list.end()) list.push_back(host);
    }
}

std::vector<std::string> LocalModel::pids() const {
    std::vector<std::string> out;
    for (const auto& [pid, p] : prefixes_) out.push_back(pid);
    return out;
}

std::vector<Prefix> LocalModel::prefixes(const std::string& pid) const {
    auto it = prefixes_.find(pid);
    return it == prefixes_.end() ? std::vector<Prefix>{} : it->second;
}

const std::vector<std::uint32_t>& LocalModel::hops_from(RouterId source) const {
    auto it = hops_.find(source);
    if (it != hops_.end()) return it->second;
    const Topology& t = model_->topology();
    std::vector<std::uint32_t> hops(t.size(), UINT32_MAX);
    std::deque<RouterId> queue{source};
    hops[source] = 0;
    while (!queue.empty()) {
        RouterId r = queue.front();
        queue.pop_front();
        for (const auto& l : t.links(r))
            if (hops[l.to] == UINT32_MAX) {
                hops[l.to] = hops[r] + 1;
                queue.push_back(l.to);
            }
    }
    if (hops_.size() > 256) hops_.clear();
    return hops_.emplace(source, std::move(hops)).first->second;
}

std::optional<double> LocalModel::pid_cost(const std::string& from, const std::string& to, Metric m) const {
    const Topology& t = model_->topology();
    auto fa = router_of_pid_.find(from), fb = router_of_pid_.find(to);
    if (fa == router_of_pid_.end() || fb == router_of_pid_.end()) return std::nullopt;
    std::optional<RouterId> a = fa->second, b = fb->second;
    if (m == Metric::hopcount) {
        auto h = hops_from(*a)[*b];
        return h == UINT32_MAX ? std::nullopt : std::optional<double>(h);
    }
    auto c = spf_.cost(t, *a, *b);
    return c == kUnreachable ? std::nullopt : std::optional<double>(static_cast<double>(c));
}

std::optional<std::string> LocalModel::pid_of(const Address& a) const {
    auto pid = model_->pid(a);  // a router's name, or "ext:ROUTER:HOPS"
    if (!pid) return pid;
    // Names made PIDs once, in the constructor: this is every query's path.
    auto router_pid = [this](const std::string& name) {
        auto it = pid_of_router_.find(name);
        return it != pid_of_router_.end() ? it->second : pid_for_name(name);
    };
    if (pid->rfind("ext:", 0) != 0) return router_pid(*pid);
    auto colon = pid->rfind(':');
    return "ext:" + router_pid(pid->substr(4, colon - 4)) + pid->substr(colon);
}

std::optional<double> LocalModel::endpoint_cost(const Address& from, const Address& to, Metric m) const {
    if (m == Metric::hopcount) return AltoModel::endpoint_cost(from, to, m);
    auto c = model_->cost(from, to);  // with the per-AS-hop penalty of external destinations
    return c ? std::optional<double>(static_cast<double>(*c)) : std::nullopt;
}

// ---- Service -----------------------------------------------------------------

Service::Service(Loop& loop, ServiceConfig cfg, rpc::Counters& counters)
    : loop_(loop), cfg_(std::move(cfg)), counters_(counters), rebuild_timer_(loop, [this] { start_rebuild(); }),
      upstream_timer_(loop, [this] { poll_upstream(); }) {}

Service::~Service() {
    if (worker_.joinable()) worker_.join();
    if (done_event_) event_free(done_event_);
    for (int fd : done_pipe_)
        if (fd >= 0) ::close(fd);
}

Service::Files Service::load_files(const ServiceConfig& cfg) {
    Files f;
    std::vector<std::pair<std::string, std::string>> native;
    bool have_graphml = false;
    for (const auto& path : cfg.topology_files) {
        std::string text = read_text_file(path);
        if (!looks_like_xml(text)) {
            native.emplace_back(path, std::move(text));
            continue;
        }
        if (have_graphml) throw Error("config", path + ": only one GraphML topology can be loaded");
        f.topology = parse_graphml(text, path, GraphmlOptions{cfg.graphml_weight});
        have_graphml = true;
    }
    // Native files after the GraphML one, so they can attach prefixes to its routers.
    for (const auto& [path, text] : native) f.topology = parse_topology(text, path, f.topology);

    BestMap best;
    for (const auto& path : cfg.mrt_files) {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw Error("config", path + ": cannot open: " + std::strerror(errno));
        std::size_t routes = 0;
        MrtDecoder decoder([&](const MrtRoute& r) {
            if (!r.next_hop) return;
            ++routes;
            offer(best, Best{{r.prefix, *r.next_hop, r.as_path_length}, r.local_pref.value_or(100)});
            if (r.peer) f.mrt_route_peer[r.prefix] = path + " peer " + r.peer->address.str();
        });
        std::vector<std::uint8_t> buf(1 << 20);
        try {
            while (in) {
                in.read(reinterpret_cast<char*>(buf.data()), static_cast<std::streamsize>(buf.size()));
                decoder.feed(std::span<const std::uint8_t>(buf.data(), static_cast<std::size_t>(in.gcount())));
            }
            decoder.finish();
        } catch (const DecodeError& e) {
            throw Error("config", path + ": " + e.what());
        }
        log::info(path, ": ", routes, " routes from ", decoder.peers().size(), " peers");
    }
    for (auto& [p, b] : best) f.mrt_routes.push_back(b.route);
    // A router of the files whose address is a router id names it.
    for (const auto& [a, r] : f.topology.addresses())
        if (a.family == Family::v4) f.igp_names[a.v4_value()] = f.topology.name(r);
    if (!cfg.igp_names_file.empty()) read_igp_names(cfg.igp_names_file, f.igp_names, f.isis_names);
    return f;
}

void Service::start() {
    if (!cfg_.upstream.empty()) {
        remote_ = std::make_unique<RemoteAltoModel>(loop_, cfg_.upstream);
        model_ = std::shared_ptr<const AltoModel>(std::shared_ptr<void>{}, remote_.get());  // not owning
        log::info("gateway mode: answering from ", cfg_.upstream);
        poll_upstream();
    } else {
        files_ = load_files(cfg_);
        if (!cfg_.ospf_interfaces.empty()) {
            ospf_ = std::make_unique<OspfHost>(loop_, cfg_.ospf_router_id, cfg_.ospf_interfaces, counters_);
            ospf_->on_change = [this] {
                schedule_rebuild(ospf_->loading() ? kIgpLoadingRebuildDelayUs : kIgpRebuildDelayUs);
            };
            ospf_->start();  // throws Error("permission") without CAP_NET_RAW
        }
        if (!cfg_.isis.interfaces.empty()) {
            isis_ = std::make_unique<IsisHost>(loop_, cfg_.isis, counters_);
            isis_->on_change = [this] {
                schedule_rebuild(isis_->loading() ? kIgpLoadingRebuildDelayUs : kIgpRebuildDelayUs);
            };
            isis_->start();
        }
        rebuild();
        for (const auto& pc : cfg_.peers) {
            bgp::SessionConfig session = cfg_.session;
            session.peer_as = pc.peer_as;  // an OPEN from another AS is refused (2/2 Bad Peer AS)
            session.hold_time = pc.hold_time;
            auto peer = std::make_unique<BgpPeer>(loop_, pc, session, counters_);
            peer->on_change = [this] { schedule_rebuild(kRebuildDelayUs); };
            peers_.push_back(std::move(peer));
        }
        for (auto& p : peers_) p->start();
    }
    if (!cfg_.alto_listen.empty()) {
        alto_view_ = std::make_unique<ModelView>(*this);
        AltoHttpConfig http;
        http.listen = cfg_.alto_listen;
        http.alto.base_url = cfg_.alto_base_url.empty() ? "http://" + cfg_.alto_listen : cfg_.alto_base_url;
        alto_ = std::make_unique<AltoHttpServer>(loop_, *alto_view_, http);
        log::info("ALTO server on ", cfg_.alto_listen, ", directory ", http.alto.base_url, "/directory");
    }
}

void Service::reload(const ServiceConfig& fresh) {
    if (remote_) return;
    Files files = load_files(fresh);  // throws: the running topology stays
    files_ = std::move(files);
    cfg_.topology_files = fresh.topology_files;
    cfg_.mrt_files = fresh.mrt_files;
    cfg_.cost = fresh.cost;
    cfg_.igp_names_file = fresh.igp_names_file;
    log::info("reloaded: ", files_.topology.size(), " routers, ", files_.topology.link_count(), " links, ",
              files_.topology.prefixes().size(), " prefixes, ", files_.mrt_routes.size(), " MRT routes");
    rebuild();
}

void Service::stop() {
    if (worker_.joinable()) worker_.join();  // its result is never installed
    for (auto& p : peers_) p->stop("sr-proxd stopping");
    if (ospf_) ospf_->stop();
    if (isis_) isis_->stop();
    alto_.reset();
}

// While a peer sends its initial table, rebuilding after every burst would
// only slow the transfer (no UPDATE is read during a rebuild): wait for its
// End-of-RIB, or kInitialLoadUs at most. Any other change is in the answers
// `delay_us` later.
void Service::schedule_rebuild(std::int64_t delay_us) {
    std::int64_t now = Loop::now_us();
    bool loading = std::any_of(peers_.begin(), peers_.end(), [](const auto& p) { return p->loading(); });
    std::int64_t due = now + (loading ? BgpPeer::kInitialLoadUs : delay_us);
    if (rebuild_timer_.armed() && rebuild_due_us_ <= due) return;
    rebuild_due_us_ = due;
    rebuild_timer_.arm_at(due);
}

// What a model is built from, taken on the loop: copies, so that the
// worker reads nothing the loop changes.
struct Service::Inputs {
    Topology topology;                   // from the files, when not from the IGP
    std::vector<ospf::Lsdb> databases;   // the IGP's areas
    std::map<std::uint32_t, std::string> igp_names;
    std::uint32_t igp_self = 0;
    std::vector<isis::Lsdb> isis_levels;
    std::map<isis::SystemId, std::string> isis_names;
    isis::SystemId isis_self{};
    std::int64_t now_us = 0;
    std::vector<ExternalRoute> routes;
    CostOptions cost;
    std::uint64_t number = 0;  // of the model, increasing
    std::string version;
};

struct Service::Built {
    std::shared_ptr<CostModel> cost;
    std::shared_ptr<const AltoModel> model;
    std::size_t routes = 0;
    std::int64_t took_us = 0;
    std::uint64_t number = 0;
};

Service::Inputs Service::gather() {
    Inputs in;
    BestMap best;
    for (const auto& r : files_.mrt_routes) offer(best, Best{r, 100});
    for (const auto& peer : peers_)
        peer->rib().for_each([&](const Prefix& p, const bgp::Attributes& a) {
            offer(best, Best{{p, a.next_hop, a.path_length()}, a.local_pref.value_or(100)});
        });
    in.routes.reserve(best.size());
    for (auto& [p, b] : best) in.routes.push_back(b.route);
    if (ospf_) {
        for (const auto* db : ospf_->databases()) in.databases.push_back(*db);
        in.igp_names = files_.igp_names;
        in.igp_self = ospf_->router_id();
    } else if (isis_) {
        for (const auto* db : isis_->databases()) in.isis_levels.push_back(*db);
        in.isis_names = files_.isis_names;
        in.isis_self = isis_->system();
    } else {
        in.topology = files_.topology;
    }
    in.now_us = Loop::now_us();
    in.cost = cfg_.cost;
    // ALTO vtags must change with the content, across restarts too.
    in.number = ++version_;
    in.version = std::to_string(started_wall_s_) + "." + std::to_string(in.number);
    return in;
}

Service::Built Service::build(Inputs in) {
    std::int64_t started = Loop::now_us();
    Built b;
    if (!in.databases.empty()) {
        std::vector<const ospf::Lsdb*> areas;
        for (const auto& db : in.databases) areas.push_back(&db);
        const auto& names = in.igp_names;
        in.topology = ospf::build_topology(areas, in.now_us, in.igp_self, [&names](std::uint32_t id) {
            auto it = names.find(id);
            return it == names.end() ? std::string() : it->second;
        });
    }
    if (!in.isis_levels.empty()) {
        std::vector<const isis::Lsdb*> levels;
        for (const auto& db : in.isis_levels) levels.push_back(&db);
        const auto& names = in.isis_names;
        in.topology = isis::build_topology(levels, in.now_us, in.isis_self, [&names](const isis::SystemId& id) {
            auto it = names.find(id);
            return it == names.end() ? std::string() : it->second;
        });
    }
    b.routes = in.routes.size();
    b.number = in.number;
    b.cost = std::make_shared<CostModel>(std::move(in.topology), in.routes, in.cost);
    b.model = std::make_shared<LocalModel>(b.cost, in.version);
    b.took_us = Loop::now_us() - started;
    return b;
}

void Service::install(Built b) {
    // A worker's model made before a reload's (built at once) is stale.
    if (b.number < installed_number_) return;
    installed_number_ = b.number;
    cost_ = std::move(b.cost);
    model_ = std::move(b.model);
    last_rebuild_us_ = Loop::now_us();
    last_rebuild_took_us_ = b.took_us;
    ++counters_["prox.rebuilds"];
    log::debug("model ", model_->version(), ": ", b.routes, " external routes, built in ", b.took_us / 1000, " ms");
}

void Service::rebuild() { install(build(gather())); }

// A rebuild on a worker thread: the cost model of a full BGP table takes
// hundreds of milliseconds, and queries go on being answered by the current
// model meanwhile. The loop only takes the inputs (gather) and swaps the
// result in when the worker signals on the pipe. One at a time; a change
// during it makes another once it is done.
void Service::start_rebuild() {
    if (worker_.joinable()) {
        rebuild_again_ = true;
        return;
    }
    if (done_pipe_[0] < 0) {
        if (::pipe2(done_pipe_, O_CLOEXEC | O_NONBLOCK) != 0) {
            log::warn("rebuild: pipe: ", std::strerror(errno), "; rebuilding on the loop");
            rebuild();
            return;
        }
        done_event_ = event_new(loop_.base(), done_pipe_[0], EV_READ | EV_PERSIST,
                                [](int, short, void* self) { static_cast<Service*>(self)->finish_rebuild(); }, this);
        event_add(done_event_, nullptr);
    }
    std::int64_t started = Loop::now_us();
    auto inputs = std::make_shared<Inputs>(gather());
    last_gather_took_us_ = Loop::now_us() - started;
    worker_ = std::thread([this, inputs] {
        built_ = std::make_unique<Built>(build(std::move(*inputs)));
        char byte = 1;
        while (::write(done_pipe_[1], &byte, 1) < 0 && errno == EINTR) {
        }
    });
}

void Service::finish_rebuild() {
    char buf[16];
    while (::read(done_pipe_[0], buf, sizeof buf) > 0) {
    }
    if (!worker_.joinable()) return;
    worker_.join();
    install(std::move(*built_));
    built_.reset();
    if (rebuild_again_) {
        rebuild_again_ = false;
        start_rebuild();
    }
}

void Service::poll_upstream() {
    remote_->refresh([this](bool changed, const std::string& error) {
        if (!error.empty()) {
            ++counters_["prox.upstream_errors"];
            log::warn("upstream ", cfg_.upstream, ": ", error);
        } else if (changed) {
            ++counters_["prox.upstream_updates"];
            log::info("upstream maps changed: version ", remote_->version());
        }
        upstream_timer_.arm_in(cfg_.upstream_poll_us);
    });
}

// ---- introspection -------------------------------------------------------------

Value Service::peers() const {
    Value out = Value::array();
    for (const auto& p : peers_) out.push_back(p->status());
    return {{"peers", out}};
}

Value Service::igp() const {
    Value router_id;
    if (ospf_) router_id = ospf::dotted(ospf_->router_id());
    if (isis_) router_id = isis::system_id_text(isis_->system());
    return {{"router_id", router_id},
            {"adjacencies", ospf_ ? ospf_->adjacencies() : isis_ ? isis_->adjacencies() : Value::array()},
            {"lsdb", ospf_ ? ospf_->lsdb_summary() : isis_ ? isis_->lsdb_summary() : Value::array()}};
}

Value Service::summary() const {
    std::size_t established = 0;
    for (const auto& p : peers_) established += p->established();
    Value v{{"gateway", gateway()},
            {"version", model_ ? model_->version() : ""},
            {"peers", peers_.size()},
            {"peers_established", established}};
    if (ospf_) {
        std::size_t full = 0, lsas = 0;
        for (const auto& adj : ospf_->adjacencies()) full += adj["state"].get<std::string>() == "Full";
        for (const auto* db : ospf_->databases()) lsas += db->size();
        v.update({{"igp_adjacencies_full", full}, {"igp_lsas", lsas}});
    }
    if (isis_) {
        std::size_t up = 0, lsps = 0;
        for (const auto& adj : isis_->adjacencies()) up += adj["state"].get<std::string>() == "Up";
        for (const auto* db : isis_->databases()) lsps += db->size();
        v.update({{"igp_adjacencies_full", up}, {"igp_lsas", lsps}});
    }
    if (cost_ && !remote_) {
        const Topology& t = cost_->topology();
        v.update({{"routers", t.size()},
                  {"links", t.link_count()},
                  {"internal_prefixes", t.prefixes().size()},
                  {"external_prefixes", cost_->external_routes()},
                  {"unresolved_prefixes", cost_->unresolved_routes()},
                  {"mrt_routes", files_.mrt_routes.size()},
                  {"rebuild_ms", last_rebuild_took_us_ / 1000},
                  {"rebuild_loop_ms", last_gather_took_us_ / 1000},
                  {"rebuilt_s_ago", (Loop::now_us() - last_rebuild_us_) / 1'000'000}});
    } else if (remote_) {
        v.update({{"routers", remote_->pids().size()}, {"upstream", cfg_.upstream}, {"upstream_ready", remote_->ready()}});
    }
    return v;
}

Value Service::routes(const Prefix& query) const {
    Value out = Value::array();
    if (!cost_ || remote_) return {{"routes", out}};
    const Topology& t = cost_->topology();
    // The router a next hop leads to: its owner, else the router of the
    // internal prefix holding it (a loopback the IGP announces as a stub).
    auto router_name = [&](const Address& a) -> Value {
        if (auto r = t.router_of(a)) return t.name(*r);
        auto pid = model_->pid_of(a);
        return pid ? Value(*pid) : Value();
    };
    // An address of a router (a loopback, a BGP next hop) is a route of its own.
    if (query.len == query.addr.max_len())
        if (auto r = t.router_of(query.addr))
            out.push_back({{"prefix", query.str()}, {"router", t.name(*r)}, {"source", "router address"}});
    for (int len = query.len; len >= 0; --len) {
        Prefix p(query.addr, len);
        for (const auto& [tp, r] : t.prefixes())
            if (tp == p) out.push_back({{"prefix", p.str()}, {"router", t.name(r)}, {"source", "topology"}});
        for (const auto& peer : peers_)
            if (const auto* a = peer->rib().find(p))
                out.push_back({{"prefix", p.str()},
                               {"router", router_name(a->next_hop)},
                               {"source", "bgp " + peer->config().address.str()},
                               {"next_hop", a->next_hop.str()},
                               {"as_path", join_path(a->as_path)},
                               {"local_pref", a->local_pref ? Value(*a->local_pref) : Value()},
                               {"med", a->med ? Value(*a->med) : Value()}});
        if (auto it = files_.mrt_route_peer.find(p); it != files_.mrt_route_peer.end())
            out.push_back({{"prefix", p.str()}, {"source", "mrt " + it->second}});
    }
    return {{"routes", out}};
}

std::size_t Service::refresh(const std::string& peer) {
    std::size_t asked = 0;
    for (auto& p : peers_)
        if ((peer.empty() || p->config().address.str() == peer) && p->established()) {
            p->refresh();
            ++asked;
        }
    return asked;
}

Value Service::map() const {
    Value out = Value::array();
    for (const auto& pid : model_->pids()) {
        Value prefixes = Value::array();
        for (const auto& p : model_->prefixes(pid)) prefixes.push_back(p.str());
        out.push_back({{"pid", pid}, {"prefixes", prefixes}});
    }
    return {{"pids", out}};
}

}  // namespace sr::prox
