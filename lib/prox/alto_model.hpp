// What the ALTO server (alto.hpp) needs to know of the topology, so that it
// can be written and tested apart from how sr-proxd learns the topology:
// a network map of PIDs (one per router or PoP) with their prefixes, the
// cost between two PIDs for a metric, and which PID an address belongs to.
// sr-proxd implements it over its cost model; tests implement it by hand;
// gateway mode implements it over maps fetched from another ALTO server.
#pragma once

#include "prox/address.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sr::prox {

enum class Metric { routingcost, hopcount };

class AltoModel {
  public:
    virtual ~AltoModel() = default;
    // PID names in a stable order.
    virtual std::vector<std::string> pids() const = 0;
    // The prefixes of a PID (both families).
    virtual std::vector<Prefix> prefixes(const std::string& pid) const = 0;
    // Cost from one PID to another; nullopt when there is no path.
    virtual std::optional<double> pid_cost(const std::string& from, const std::string& to, Metric m) const = 0;
    // The PID an address belongs to (longest-prefix match); nullopt when none.
    virtual std::optional<std::string> pid_of(const Address& a) const = 0;
    // Cost between two endpoints; by default the cost between their PIDs.
    virtual std::optional<double> endpoint_cost(const Address& from, const Address& to, Metric m) const {
        auto a = pid_of(from), b = pid_of(to);
        if (!a || !b) return std::nullopt;
        return pid_cost(*a, *b, m);
    }
    // Changes whenever the network map or the costs change (ALTO vtags).
    virtual std::string version() const = 0;
};

}  // namespace sr::prox
