// Topological proximity for Pastry's neighbour selection, from sr-proxd.
//
// When sr-proxd runs beside sr-dhtd (its socket, proxd.sock, is in the same
// runtime directory), routing-table entries are chosen by the provider's
// topological cost between node addresses rather than by measured RTT (DESIGN
// §7). The Pastry core asks synchronously (Proximity::cost) and must not wait
// on I/O, so this answers from a cache: an address not in it yet gets
// nullopt (the core falls back to RTT) and is queued; queued addresses go
// to sr-proxd in one prox.cost_batch a moment later, and the answers fill
// the cache for the core's next decision. Addresses sr-proxd cannot place
// stay nullopt (RTT). The cache is dropped every refresh period so topology
// changes reach neighbour selection; without sr-proxd nothing changes.
#pragma once

#include "core/loop.hpp"
#include "core/rpc.hpp"
#include "dht/pastry.hpp"

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

namespace sr::dht {

class TopologyProximity : public pastry::Proximity {
  public:
    TopologyProximity(Loop& loop, std::string proxd_socket, std::string self_addr, rpc::Counters& counters);
    ~TopologyProximity() override;

    std::optional<double> cost(const pastry::NodeRef& peer) override;
    bool connected() const { return conn_ && !conn_->closed(); }

  private:
    void ask();
    bool ensure_connected();

    Loop& loop_;
    std::string socket_;
    std::string self_ip_;
    rpc::Counters& counters_;
    std::shared_ptr<rpc::Connection> conn_;
    std::int64_t next_connect_us_ = 0;
    std::unordered_map<std::string, std::optional<double>> cache_;  // peer IP -> cost
    std::set<std::string> wanted_;
    bool asking_ = false;
    Timer ask_timer_, refresh_timer_;
};

// "127.0.0.7:4100" -> "127.0.0.7", "[::1]:4100" -> "::1".
std::string host_of(const std::string& addr);

}  // namespace sr::dht
