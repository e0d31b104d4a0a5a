// sr-proxd's service: where the topology comes from and what answers.
//
// Sources (DESIGN §7): topology files (native, or one Topology Zoo GraphML
// with native files naming its routers' prefixes) or, instead, the live
// OSPF areas (ospf_host.hpp; the files then only name the routers), MRT RIB
// dumps, and the Adj-RIB-In of every BGP peer. Each change (a file reloaded
// on SIGHUP, an LSA, a route learned or withdrawn, a session lost and its
// routes flushed) arms a short rebuild timer; the rebuild makes a new CostModel from the current
// topology and the best external route of each prefix (highest LOCAL_PREF,
// then shortest AS path) on a worker thread, and swaps it in on the loop, so
// queries are answered by the current model meanwhile. A change is in the
// answers within the delay plus the rebuild's own time, well inside a second.
//
// Answers go through one AltoModel: LocalModel over the CostModel, or, in
// gateway mode (--upstream), the RemoteAltoModel polling another sr-proxd's
// ALTO maps. So prox.* methods, the ALTO server and sr-lookup rank give the
// same answers whichever way the topology was learned.
#pragma once

#include "core/loop.hpp"
#include "core/rpc.hpp"
#include "core/value.hpp"
#include "prox/alto_http.hpp"
#include "prox/alto_model.hpp"
#include "prox/alto_remote.hpp"
#include "prox/bgp_peer.hpp"
#include "prox/cost.hpp"
#include "prox/mrt.hpp"
#include "prox/isis_host.hpp"
#include "prox/ospf_host.hpp"
#include "prox/spf.hpp"
#include "prox/topology.hpp"

#include <map>
#include <unordered_map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

struct event;

namespace sr::prox {

struct ServiceConfig {
    std::vector<std::string> topology_files;  // native files, or one GraphML (recognised by content)
    std::string graphml_weight = "weight";
    std::vector<std::string> mrt_files;
    std::vector<PeerConfig> peers;
    // The live IGP: with interfaces, the routers, links and prefixes come
    // from the area and topology files only name routers.
    std::vector<OspfInterfaceSpec> ospf_interfaces;
    std::uint32_t ospf_router_id = 0;
    std::string igp_names_file;  // "ROUTER-ID NAME" lines (OSPF router ids or IS-IS system ids)
    IsisConfig isis;             // IS-IS when it has interfaces (not with OSPF)
    bgp::SessionConfig session;  // local AS, router id, hold time
    CostOptions cost;
    std::string alto_listen;    // empty: no ALTO server
    std::string alto_base_url;  // default http://ALTO_LISTEN
    std::string upstream;       // gateway mode: the gateway's ALTO directory URL
    std::int64_t upstream_poll_us = 30'000'000;
};

// The answers of a CostModel, shaped as an AltoModel.
class LocalModel : public AltoModel {
  public:
    LocalModel(std::shared_ptr<CostModel> model, std::string version);
    std::vector<std::string> pids() const override;
    std::vector<Prefix> prefixes(const std::string& pid) const override;
    std::optional<double> pid_cost(const std::string& from, const std::string& to, Metric m) const override;
    std::optional<std::string> pid_of(const Address& a) const override;
    std::optional<double> endpoint_cost(const Address& from, const Address& to, Metric m) const override;
    std::string version() const override { return version_; }
    CostModel& cost_model() const { return *model_; }

  private:
    const std::vector<std::uint32_t>& hops_from(RouterId r) const;
    std::shared_ptr<CostModel> model_;
    std::string version_;
    std::map<std::string, std::vector<Prefix>> prefixes_;  // by PID: the router's prefixes and addresses
    std::map<std::string, RouterId> router_of_pid_;
    std::unordered_map<std::string, std::string> pid_of_router_;  // router name -> its PID
    mutable std::map<RouterId, std::vector<std::uint32_t>> hops_;  // BFS trees for hopcount
    mutable SpfCache spf_;                                         // for PID-to-PID costs
};

class Service {
  public:
    Service(Loop& loop, ServiceConfig cfg, rpc::Counters& counters);
    ~Service();

    // Loads the files and starts peers, ALTO and the upstream poll. Throws
    // Error("config") naming a bad file.
    void start();
    // SIGHUP: files read again; a bad file keeps the running topology (throws).
    void reload(const ServiceConfig& fresh);
    void stop();
    // Parses every file of cfg as start() would (for -n). Throws Error("config").
    static void check(const ServiceConfig& cfg) { load_files(cfg); }

    // The current answers (never null after start).
    std::shared_ptr<const AltoModel> model() const { return model_; }
    bool gateway() const { return remote_ != nullptr; }

    Value peers() const;
    Value igp() const;
    Value summary() const;
    Value routes(const Prefix& query) const;  // every route whose prefix contains query, longest first
    Value map() const;
    // ROUTE-REFRESH to the peer at this address, or to all when empty; how many were asked.
    std::size_t refresh(const std::string& peer);

  private:
    struct Files {
        Topology topology;
        std::vector<ExternalRoute> mrt_routes;
        std::map<Prefix, std::string> mrt_route_peer;  // for prox.route
        std::map<std::uint32_t, std::string> igp_names;  // OSPF router id -> name
        std::map<isis::SystemId, std::string> isis_names;
    };
    static Files load_files(const ServiceConfig& cfg);
    struct Inputs;
    struct Built;
    void schedule_rebuild(std::int64_t delay_us);
    Inputs gather();
    static Built build(Inputs in);
    void install(Built b);
    void rebuild();  // at once, on the loop (start, reload)
    void start_rebuild();
    void finish_rebuild();
    void poll_upstream();

    Loop& loop_;
    ServiceConfig cfg_;
    rpc::Counters& counters_;
    Files files_;
    std::vector<std::unique_ptr<BgpPeer>> peers_;
    std::unique_ptr<OspfHost> ospf_;
    std::unique_ptr<IsisHost> isis_;
    std::shared_ptr<CostModel> cost_;
    std::shared_ptr<const AltoModel> model_;
    std::uint64_t version_ = 0;
    std::int64_t started_wall_s_ = Loop::wall_now_us() / 1'000'000;
    std::unique_ptr<RemoteAltoModel> remote_;
    std::unique_ptr<AltoHttpServer> alto_;
    // The ALTO server answers through this forwarder, so the model can be swapped under it.
    std::unique_ptr<AltoModel> alto_view_;
    Timer rebuild_timer_, upstream_timer_;
    std::int64_t rebuild_due_us_ = 0;
    std::int64_t last_rebuild_us_ = 0;
    std::int64_t last_rebuild_took_us_ = 0;
    std::int64_t last_gather_took_us_ = 0;
    std::thread worker_;
    std::unique_ptr<Built> built_;  // the worker's result, read after its signal
    int done_pipe_[2] = {-1, -1};
    event* done_event_ = nullptr;
    bool rebuild_again_ = false;
    std::uint64_t installed_number_ = 0;
};

}  // namespace sr::prox
