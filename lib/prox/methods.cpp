#include "prox/methods.hpp"

#include "core/error.hpp"

#include <algorithm>
#include <cmath>

namespace sr::prox {

using rpc::Call;
using rpc::Field;
using rpc::Type;

namespace {

Address address_param(const Value& v, const char* field) {
    auto a = v.is_string() ? Address::parse_endpoint(v.get<std::string>()) : std::nullopt;
    if (!a) throw Error("invalid_params", std::string(field) + ": not an IPv4 or IPv6 address: " + v.dump());
    return *a;
}

Value cost_value(std::optional<double> c) {
    if (!c) return nullptr;
    double whole = 0;
    if (std::modf(*c, &whole) == 0.0 && whole >= 0 && whole < 1.8e19) return static_cast<std::uint64_t>(whole);
    return *c;
}

Metric metric_param(const Value& p) {
    std::string m = p.value("metric", std::string("routingcost"));
    if (m == "routingcost") return Metric::routingcost;
    if (m == "hopcount") return Metric::hopcount;
    throw Error("invalid_params", "metric must be routingcost or hopcount");
}

const Field f_metric{"metric", Type::str, false, "routingcost (default) or hopcount"};

// Candidates in cost order, ties in input order, unplaceable ones last.
Value rank(const AltoModel& model, const Address& from, const Value& candidates, Metric m) {
    struct Row {
        std::string text;
        std::optional<double> cost;
    };
    std::vector<Row> rows;
    rows.reserve(candidates.size());
    for (const auto& c : candidates) {
        if (!c.is_string()) throw Error("invalid_params", "candidates: every candidate must be a string");
        auto a = Address::parse_endpoint(c.get<std::string>());  // ADDR:PORT kept whole in the answer
        rows.push_back({c.get<std::string>(), a ? model.endpoint_cost(from, *a, m) : std::nullopt});
    }
    std::stable_sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) {
        if (x.cost.has_value() != y.cost.has_value()) return x.cost.has_value();
        return x.cost && *x.cost < *y.cost;
    });
    Value out = Value::array();
    for (const auto& r : rows) out.push_back({{"address", r.text}, {"cost", cost_value(r.cost)}});
    return out;
}

}  // namespace

void add_methods(rpc::Registry& reg, Service& service) {
    reg.add_sync("prox.cost", "The topological cost from one address to another (cost null: no path or unknown).",
                 {{"from", Type::str, true, "an IPv4 or IPv6 address"},
                  {"to", Type::str, true, "an IPv4 or IPv6 address"},
                  f_metric},
                 false, [&service](const Value& p, Call&) {
                     auto model = service.model();
                     Address a = address_param(p["from"], "from"), b = address_param(p["to"], "to");
                     auto pa = model->pid_of(a), pb = model->pid_of(b);
                     return Value{{"from", p["from"]},
                                  {"to", p["to"]},
                                  {"cost", cost_value(model->endpoint_cost(a, b, metric_param(p)))},
                                  {"from_pid", pa ? Value(*pa) : Value()},
                                  {"to_pid", pb ? Value(*pb) : Value()}};
                 });
    reg.add_sync("prox.cost_batch", "prox.cost for many pairs: pairs [[from, to], ...] -> costs in the same order.",
                 {{"pairs", Type::array, true, "[[from, to], ...]"}, f_metric}, false,
                 [&service](const Value& p, Call&) {
                     auto model = service.model();
                     Metric m = metric_param(p);
                     Value costs = Value::array();
                     for (const auto& pair : p["pairs"]) {
                         if (!pair.is_array() || pair.size() != 2)
                             throw Error("invalid_params", "pairs: every pair must be [from, to]");
                         costs.push_back(cost_value(
                             model->endpoint_cost(address_param(pair[0], "from"), address_param(pair[1], "to"), m)));
                     }
                     return Value{{"costs", costs}};
                 });
    reg.add_sync("prox.rank",
                 "Candidates ordered by cost from an address, nearest first; ties keep their order; "
                 "candidates that cannot be placed come last with cost null.",
                 {{"from", Type::str, true, "the address to rank from"},
                  {"candidates", Type::array, true, "addresses, or endpoints ADDR:PORT / [V6]:PORT (strings, answered as given)"},
                  f_metric},
                 false, [&service](const Value& p, Call&) {
                     return Value{{"ranked", rank(*service.model(), address_param(p["from"], "from"), p["candidates"],
                                                  metric_param(p))}};
                 });
    reg.add_sync("prox.pid", "The PID (router or PoP) an address belongs to, by longest-prefix match.",
                 {{"address", Type::str, true, "an IPv4 or IPv6 address"}}, false, [&service](const Value& p, Call&) {
                     auto pid = service.model()->pid_of(address_param(p["address"], "address"));
                     return Value{{"address", p["address"]}, {"pid", pid ? Value(*pid) : Value()}};
                 });
    reg.add_sync("prox.pid_batch", "prox.pid for many addresses, answers in the same order.",
                 {{"addresses", Type::array, true, "addresses (strings)"}}, false, [&service](const Value& p, Call&) {
                     auto model = service.model();
                     Value pids = Value::array();
                     for (const auto& a : p["addresses"]) {
                         auto pid = model->pid_of(address_param(a, "addresses"));
                         pids.push_back(pid ? Value(*pid) : Value());
                     }
                     return Value{{"pids", pids}};
                 });
    reg.add_sync("prox.peers", "BGP peers: state, uptime, prefixes received, last error.", {}, false,
                 [&service](const Value&, Call&) { return service.peers(); });
    reg.add_sync("prox.igp",
                 "The live IGP: our router id, each adjacency (interface, neighbour, state) and the link-state "
                 "database by area and LSA type.",
                 {}, false, [&service](const Value&, Call&) { return service.igp(); });
    reg.add_sync("prox.summary", "Sizes of the topology and the routes, and the model's version.", {}, false,
                 [&service](const Value&, Call&) { return service.summary(); });
    reg.add_sync("prox.route", "Every known route whose prefix contains the given prefix or address, longest first.",
                 {{"prefix", Type::str, true, "a prefix (CIDR) or an address"}}, false,
                 [&service](const Value& p, Call&) {
                     auto q = Prefix::parse(p["prefix"].get<std::string>());
                     if (!q) throw Error("invalid_params", "prefix: not a prefix or an address");
                     return service.routes(*q);
                 });
    reg.add_sync("prox.refresh", "Asks BGP peers to send their routes again (ROUTE-REFRESH), all or one.",
                 {{"peer", Type::str, false, "the peer's address (default: every peer)"}}, true,
                 [&service](const Value& p, Call&) {
                     std::size_t asked = service.refresh(p.value("peer", std::string()));
                     if (asked == 0 && p.contains("peer")) throw Error("not_found", "no BGP peer " + p["peer"].get<std::string>());
                     return Value{{"asked", asked}};
                 });
    reg.add_sync("prox.map", "The network map: every PID with its prefixes.", {}, false,
                 [&service](const Value&, Call&) { return service.map(); });
}

}  // namespace sr::prox
