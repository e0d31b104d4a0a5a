// A hand-built AltoModel holding the network map of RFC 7285 Figure 3
// (§11.2.1.7) and the cost map of §11.2.3.7, for the ALTO tests.
#pragma once

#include "prox/alto_model.hpp"

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sr::prox::alto_fixture {

inline Prefix P(const char* s) { return *Prefix::parse(s); }
inline Address A(const char* s) { return *Address::parse(s); }

// The network map of RFC 7285 Figure 3 / §11.2.1.7 with settable costs.
class RfcModel : public AltoModel {
  public:
    std::vector<std::pair<std::string, std::vector<Prefix>>> map{
        {"PID1", {P("192.0.2.0/24"), P("198.51.100.0/25")}},
        {"PID2", {P("198.51.100.128/25")}},
        {"PID3", {P("0.0.0.0/0"), P("::/0")}},
    };
    std::map<std::pair<std::string, std::string>, double> routing{
        {{"PID1", "PID1"}, 1}, {{"PID1", "PID2"}, 5},  {{"PID1", "PID3"}, 10}, {{"PID2", "PID1"}, 5},
        {{"PID2", "PID2"}, 1}, {{"PID2", "PID3"}, 15}, {{"PID3", "PID1"}, 20}, {{"PID3", "PID2"}, 15},
    };
    std::map<std::pair<std::string, std::string>, double> hops;
    // Endpoint-level routing costs (address text pairs) that override PID costs.
    std::map<std::pair<std::string, std::string>, double> endpoint_routing;
    std::string ver = "da65eca2eb7a10ce8b059740b0b2e3f8eb1d4785";

    std::vector<std::string> pids() const override {
        std::vector<std::string> out;
        for (auto& [pid, _] : map) out.push_back(pid);
        return out;
    }
    std::vector<Prefix> prefixes(const std::string& pid) const override {
        for (auto& [p, prefixes] : map)
            if (p == pid) return prefixes;
        return {};
    }
    std::optional<double> pid_cost(const std::string& from, const std::string& to, Metric m) const override {
        auto& table = m == Metric::routingcost ? routing : hops;
        auto it = table.find({from, to});
        if (it == table.end()) return std::nullopt;
        return it->second;
    }
    std::optional<std::string> pid_of(const Address& a) const override {
        std::optional<std::string> best;
        int best_len = -1;
        for (auto& [pid, prefixes] : map)
            for (auto& p : prefixes)
                if (p.contains(a) && p.len > best_len) best = pid, best_len = p.len;
        return best;
    }
    std::optional<double> endpoint_cost(const Address& from, const Address& to, Metric m) const override {
        if (m == Metric::routingcost)
            if (auto it = endpoint_routing.find({from.str(), to.str()}); it != endpoint_routing.end()) return it->second;
        return AltoModel::endpoint_cost(from, to, m);
    }
    std::string version() const override { return ver; }
};

}  // namespace sr::prox::alto_fixture
