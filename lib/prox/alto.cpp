// ALTO (RFC 7285) request handling; see alto.hpp for the design.
#include "prox/alto.hpp"

#include "core/id.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <set>
#include <utility>
#include <vector>

namespace sr::prox {

namespace {

using json = nlohmann::json;

// An ALTO-level error (HTTP 400), thrown while validating a request body.
struct BadRequest {
    std::string code;
    std::string field;
    std::optional<std::string> value;
    std::string syntax_error;
};

[[noreturn]] void missing(std::string field) { throw BadRequest{"E_MISSING_FIELD", std::move(field), {}, {}}; }
[[noreturn]] void bad_type(std::string field) { throw BadRequest{"E_INVALID_FIELD_TYPE", std::move(field), {}, {}}; }
[[noreturn]] void bad_value(std::string field, std::optional<std::string> value) {
    throw BadRequest{"E_INVALID_FIELD_VALUE", std::move(field), std::move(value), {}};
}

// Bodies never fail to serialise: strings from a parsed request are valid
// UTF-8, but a parser message may quote raw input bytes.
std::string to_body(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

// §8.5.2: "value" is the invalid value as a string.
std::string value_string(const json& v) { return v.is_string() ? v.get<std::string>() : to_body(v); }

AltoResponse ok(std::string_view type, const json& j) { return {200, std::string(type), to_body(j), {}}; }

AltoResponse alto_error(const BadRequest& e) {
    json meta = {{"code", e.code}};
    if (!e.field.empty()) meta["field"] = e.field;
    if (e.value) meta["value"] = *e.value;
    if (!e.syntax_error.empty()) meta["syntax-error"] = e.syntax_error;
    return {400, std::string(kAltoError), to_body(json{{"meta", meta}}), {}};
}

AltoResponse http_error(int status, std::string text, std::string allow = {}) {
    return {status, "text/plain", std::move(text) + "\n", std::move(allow)};
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

// "Application/Foo+JSON; charset=utf-8" -> "application/foo+json"
std::string media_type(std::string_view header) { return lower(trim(header.substr(0, header.find(';')))); }

// Integral costs as JSON integers (2^53 keeps them exact).
json cost_number(double c) {
    if (std::isfinite(c) && std::floor(c) == c && std::fabs(c) < 9007199254740992.0)
        return static_cast<std::int64_t>(c);
    return c;
}

struct CostType {
    Metric metric = Metric::routingcost;
    bool ordinal = false;
    json to_json() const {
        return {{"cost-mode", ordinal ? "ordinal" : "numerical"},
                {"cost-metric", metric == Metric::routingcost ? "routingcost" : "hopcount"}};
    }
};

const json& require(const json& obj, const char* key, const std::string& field) {
    auto it = obj.find(key);
    if (it == obj.end()) missing(field);
    return *it;
}

CostType parse_cost_type(const json& body) {
    const json& ct = require(body, "cost-type", "cost-type");
    if (!ct.is_object()) bad_type("cost-type");
    const json& metric = require(ct, "cost-metric", "cost-type/cost-metric");
    const json& mode = require(ct, "cost-mode", "cost-type/cost-mode");
    if (!metric.is_string()) bad_type("cost-type/cost-metric");
    if (!mode.is_string()) bad_type("cost-type/cost-mode");
    CostType t;
    auto m = metric.get<std::string>();
    if (m == "routingcost") t.metric = Metric::routingcost;
    else if (m == "hopcount") t.metric = Metric::hopcount;
    else bad_value("cost-type/cost-metric", m);
    auto mo = mode.get<std::string>();
    if (mo == "ordinal") t.ordinal = true;
    else if (mo != "numerical") bad_value("cost-type/cost-mode", mo);
    return t;
}

std::vector<AltoConstraint> parse_constraints(const json& body) {
    std::vector<AltoConstraint> out;
    auto it = body.find("constraints");
    if (it == body.end()) return out;
    if (!it->is_array()) bad_type("constraints");
    for (const auto& c : *it) {
        if (!c.is_string()) bad_value("constraints", value_string(c));
        auto parsed = parse_alto_constraint(c.get<std::string>());
        if (!parsed) bad_value("constraints", c.get<std::string>());
        out.push_back(*parsed);
    }
    return out;
}

// An array of strings; a non-string element is an invalid value (§8.5.2).
std::vector<std::string> string_array(const json& arr, const std::string& field) {
    if (!arr.is_array()) bad_type(field);
    std::vector<std::string> out;
    out.reserve(arr.size());
    for (const auto& e : arr) {
        if (!e.is_string()) bad_value(field, value_string(e));
        out.push_back(e.get<std::string>());
    }
    return out;
}

// PIDs of a filter list: empty = all; unknown names dropped; duplicates merged.
std::vector<std::string> select_pids(const json& arr, const std::string& field, const std::vector<std::string>& all) {
    auto names = string_array(arr, field);
    if (names.empty()) return all;
    std::set<std::string> known(all.begin(), all.end()), seen;
    std::vector<std::string> out;
    for (auto& n : names) {
        if (!valid_pid_name(n)) bad_value(field, n);
        if (known.count(n) && seen.insert(n).second) out.push_back(n);
    }
    return out;
}

// "ipv4:192.0.2.1" -> address; anything else is E_INVALID_FIELD_VALUE.
Address parse_typed(const std::string& text, const std::string& field) {
    auto colon = text.find(':');
    if (colon != std::string::npos) {
        auto type = std::string_view(text).substr(0, colon);
        auto a = Address::parse(std::string_view(text).substr(colon + 1));
        if (a && ((type == "ipv4" && a->family == Family::v4) || (type == "ipv6" && a->family == Family::v6)))
            return *a;
    }
    bad_value(field, text);
}

std::string typed(const Address& a) { return (a.family == Family::v4 ? "ipv4:" : "ipv6:") + a.str(); }

// Typed endpoints of a list, canonical and without duplicates.
std::vector<Address> endpoint_list(const json& arr, const std::string& field) {
    std::vector<Address> out;
    std::set<Address> seen;
    for (auto& s : string_array(arr, field)) {
        auto a = parse_typed(s, field);
        if (seen.insert(a).second) out.push_back(a);
    }
    return out;
}

// One cell of a cost map being built: indices into the src and dst lists.
struct Cell {
    std::size_t src, dst;
    double cost;
};

// §6.1.2.2 ordinal: dense 1-based rank of each cost among the cells.
void rank_cells(std::vector<Cell>& cells) {
    std::vector<double> values;
    values.reserve(cells.size());
    for (auto& c : cells) values.push_back(c.cost);
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    for (auto& c : cells)
        c.cost = static_cast<double>(std::lower_bound(values.begin(), values.end(), c.cost) - values.begin() + 1);
}

// Rank (when ordinal), filter by the constraints, and lay out as
// {src: {dst: cost}}; rows without cells are left out.
template <typename Key>
json cost_rows(std::vector<Cell> cells, bool ordinal, const std::vector<AltoConstraint>& constraints,
               const std::vector<Key>& srcs, const std::vector<Key>& dsts, std::string (*name)(const Key&)) {
    if (ordinal) rank_cells(cells);
    json rows = json::object();
    for (auto& c : cells) {
        bool pass = std::all_of(constraints.begin(), constraints.end(),
                                [&](const AltoConstraint& k) { return k.admits(c.cost); });
        if (pass) rows[name(srcs[c.src])][name(dsts[c.dst])] = cost_number(c.cost);
    }
    return rows;
}

std::string pid_key(const std::string& s) { return s; }
std::string address_key(const Address& a) { return typed(a); }

// The model as the server shows it: its PIDs and, unless one of them covers
// every address already, the default PID for the rest.
class CompleteMap : public AltoModel {
  public:
    explicit CompleteMap(const AltoModel& m) : m_(m), pids_(m.pids()) {
        bool covered = false;
        for (const auto& pid : pids_)
            for (const auto& p : m_.prefixes(pid)) covered = covered || p.len == 0;
        if (!covered && std::find(pids_.begin(), pids_.end(), kDefaultPid) == pids_.end())
            default_ = std::string(kDefaultPid);
        if (!default_.empty()) pids_.push_back(default_);
    }
    std::vector<std::string> pids() const override { return pids_; }
    std::vector<Prefix> prefixes(const std::string& pid) const override {
        if (!default_.empty() && pid == default_) return {*Prefix::parse("0.0.0.0/0"), *Prefix::parse("::/0")};
        return m_.prefixes(pid);
    }
    std::optional<double> pid_cost(const std::string& a, const std::string& b, Metric m) const override {
        if (!default_.empty() && (a == default_ || b == default_)) return std::nullopt;
        return m_.pid_cost(a, b, m);
    }
    std::optional<std::string> pid_of(const Address& a) const override {
        auto pid = m_.pid_of(a);
        if (!pid && !default_.empty()) return default_;
        return pid;
    }
    std::optional<double> endpoint_cost(const Address& a, const Address& b, Metric m) const override {
        return m_.endpoint_cost(a, b, m);
    }
    std::string version() const override { return m_.version(); }

  private:
    const AltoModel& m_;
    std::vector<std::string> pids_;
    std::string default_;  // empty: the model covers every address itself
};

struct Ctx {
    const AltoModel& model;
    const AltoConfig& config;
    const AltoRequest& request;

    json vtag() const { return {{"resource-id", config.networkmap_id}, {"tag", alto_tag(model.version())}}; }
    std::string uri(std::string_view path) const { return config.base_url + std::string(path); }
};

json pid_cost_map(const Ctx& ctx, CostType t, const std::vector<AltoConstraint>& constraints,
                  const std::vector<std::string>& srcs, const std::vector<std::string>& dsts) {
    std::vector<Cell> cells;
    for (std::size_t i = 0; i < srcs.size(); ++i)
        for (std::size_t j = 0; j < dsts.size(); ++j)
            if (auto c = ctx.model.pid_cost(srcs[i], dsts[j], t.metric); c && std::isfinite(*c))
                cells.push_back({i, j, *c});
    return {{"meta", {{"dependent-vtags", json::array({ctx.vtag()})}, {"cost-type", t.to_json()}}},
            {"cost-map", cost_rows(std::move(cells), t.ordinal, constraints, srcs, dsts, pid_key)}};
}

json network_map(const Ctx& ctx, const std::vector<std::string>& pids, bool v4, bool v6) {
    json map = json::object();
    for (auto& pid : pids) {
        json groups = json::object();
        for (auto& p : ctx.model.prefixes(pid)) {
            bool is4 = p.addr.family == Family::v4;
            if (is4 ? v4 : v6) groups[is4 ? "ipv4" : "ipv6"].push_back(p.str());
        }
        map[pid] = std::move(groups);
    }
    return {{"meta", {{"vtag", ctx.vtag()}}}, {"network-map", std::move(map)}};
}

// ---- the resources --------------------------------------------------------

const json kAllCostTypes = {"num-routing", "ord-routing", "num-hop", "ord-hop"};

AltoResponse get_directory(const Ctx& ctx, const json*) {
    const auto& nm = ctx.config.networkmap_id;
    auto costmap = [&](const char* path, const char* type_name) {
        return json{{"uri", ctx.uri(path)},
                    {"media-type", kAltoCostMap},
                    {"capabilities", {{"cost-type-names", {type_name}}}},
                    {"uses", {nm}}};
    };
    json resources = {
        {nm, {{"uri", ctx.uri("/networkmap")}, {"media-type", kAltoNetworkMap}}},
        {"filtered-networkmap",
         {{"uri", ctx.uri("/networkmap/filtered")},
          {"media-type", kAltoNetworkMap},
          {"accepts", kAltoNetworkMapFilter},
          {"uses", {nm}}}},
        {"costmap-routingcost-num", costmap("/costmap/routingcost/num", "num-routing")},
        {"costmap-routingcost-ord", costmap("/costmap/routingcost/ord", "ord-routing")},
        {"costmap-hopcount-num", costmap("/costmap/hopcount/num", "num-hop")},
        {"filtered-costmap",
         {{"uri", ctx.uri("/costmap/filtered")},
          {"media-type", kAltoCostMap},
          {"accepts", kAltoCostMapFilter},
          {"capabilities", {{"cost-constraints", true}, {"cost-type-names", kAllCostTypes}}},
          {"uses", {nm}}}},
        {"endpoint-property",
         {{"uri", ctx.uri("/endpointprop/lookup")},
          {"media-type", kAltoEndpointProp},
          {"accepts", kAltoEndpointPropParams},
          {"capabilities", {{"prop-types", {nm + ".pid"}}}}}},
        {"endpoint-cost",
         {{"uri", ctx.uri("/endpointcost/lookup")},
          {"media-type", kAltoEndpointCost},
          {"accepts", kAltoEndpointCostParams},
          {"capabilities", {{"cost-constraints", true}, {"cost-type-names", kAllCostTypes}}}}},
    };
    json cost_types = {
        {"num-routing", CostType{Metric::routingcost, false}.to_json()},
        {"ord-routing", CostType{Metric::routingcost, true}.to_json()},
        {"num-hop", CostType{Metric::hopcount, false}.to_json()},
        {"ord-hop", CostType{Metric::hopcount, true}.to_json()},
    };
    json meta = {{"cost-types", cost_types}, {"default-alto-network-map", nm}};
    return ok(kAltoDirectory, {{"meta", meta}, {"resources", resources}});
}

AltoResponse get_networkmap(const Ctx& ctx, const json*) {
    return ok(kAltoNetworkMap, network_map(ctx, ctx.model.pids(), true, true));
}

AltoResponse post_networkmap_filter(const Ctx& ctx, const json* body) {
    auto all = ctx.model.pids();
    auto pids = select_pids(require(*body, "pids", "pids"), "pids", all);
    bool v4 = true, v6 = true;
    if (auto it = body->find("address-types"); it != body->end()) {
        auto types = string_array(*it, "address-types");
        if (!types.empty()) {  // unknown types are ignored (§11.3.1.6)
            v4 = std::find(types.begin(), types.end(), "ipv4") != types.end();
            v6 = std::find(types.begin(), types.end(), "ipv6") != types.end();
        }
    }
    return ok(kAltoNetworkMap, network_map(ctx, pids, v4, v6));
}

AltoResponse full_costmap(const Ctx& ctx, CostType t) {
    auto pids = ctx.model.pids();
    return ok(kAltoCostMap, pid_cost_map(ctx, t, {}, pids, pids));
}
AltoResponse get_costmap_rc_num(const Ctx& ctx, const json*) { return full_costmap(ctx, {Metric::routingcost, false}); }
AltoResponse get_costmap_rc_ord(const Ctx& ctx, const json*) { return full_costmap(ctx, {Metric::routingcost, true}); }
AltoResponse get_costmap_hc_num(const Ctx& ctx, const json*) { return full_costmap(ctx, {Metric::hopcount, false}); }

AltoResponse post_costmap_filter(const Ctx& ctx, const json* body) {
    auto t = parse_cost_type(*body);
    auto constraints = parse_constraints(*body);
    auto all = ctx.model.pids();
    std::vector<std::string> srcs = all, dsts = all;
    if (auto it = body->find("pids"); it != body->end()) {
        if (!it->is_object()) bad_type("pids");
        srcs = select_pids(require(*it, "srcs", "pids/srcs"), "pids/srcs", all);
        dsts = select_pids(require(*it, "dsts", "pids/dsts"), "pids/dsts", all);
    }
    return ok(kAltoCostMap, pid_cost_map(ctx, t, constraints, srcs, dsts));
}

AltoResponse post_endpoint_prop(const Ctx& ctx, const json* body) {
    auto props = string_array(require(*body, "properties", "properties"), "properties");
    const auto& ep = require(*body, "endpoints", "endpoints");
    if (props.empty()) bad_value("properties", std::nullopt);
    const std::string pid_prop = ctx.config.networkmap_id + ".pid";
    for (auto& p : props)
        if (p != pid_prop) bad_value("properties", p);
    auto endpoints = endpoint_list(ep, "endpoints");
    if (endpoints.empty()) bad_value("endpoints", std::nullopt);
    json map = json::object();
    for (auto& a : endpoints) {
        json props_of = json::object();
        if (auto pid = ctx.model.pid_of(a)) props_of[pid_prop] = *pid;
        map[typed(a)] = std::move(props_of);
    }
    return ok(kAltoEndpointProp,
              {{"meta", {{"dependent-vtags", json::array({ctx.vtag()})}}}, {"endpoint-properties", std::move(map)}});
}

AltoResponse post_endpoint_cost(const Ctx& ctx, const json* body) {
    auto t = parse_cost_type(*body);
    auto constraints = parse_constraints(*body);
    const json& ep = require(*body, "endpoints", "endpoints");
    if (!ep.is_object()) bad_type("endpoints");
    std::vector<Address> srcs, dsts;
    if (auto it = ep.find("srcs"); it != ep.end()) srcs = endpoint_list(*it, "endpoints/srcs");
    if (auto it = ep.find("dsts"); it != ep.end()) dsts = endpoint_list(*it, "endpoints/dsts");
    if (srcs.empty() && dsts.empty()) bad_value("endpoints", std::nullopt);
    for (auto* list : {&srcs, &dsts}) {
        if (!list->empty()) continue;
        if (!ctx.request.client) bad_value(list == &srcs ? "endpoints/srcs" : "endpoints/dsts", std::nullopt);
        list->push_back(*ctx.request.client);
    }
    if (srcs.size() * dsts.size() > ctx.config.max_endpoint_pairs) bad_value("endpoints", std::nullopt);
    std::vector<Cell> cells;
    for (std::size_t i = 0; i < srcs.size(); ++i)
        for (std::size_t j = 0; j < dsts.size(); ++j)
            if (auto c = ctx.model.endpoint_cost(srcs[i], dsts[j], t.metric); c && std::isfinite(*c))
                cells.push_back({i, j, *c});
    return ok(kAltoEndpointCost,
              {{"meta", {{"cost-type", t.to_json()}}},
               {"endpoint-cost-map", cost_rows(std::move(cells), t.ordinal, constraints, srcs, dsts, address_key)}});
}

using Handler = AltoResponse (*)(const Ctx&, const json*);

struct Route {
    std::string_view path;
    bool post;                  // else GET (and HEAD)
    std::string_view media;     // of the response
    std::string_view accepts;   // request media type for POST
    Handler fn;
};

const Route kRoutes[] = {
    {"/directory", false, kAltoDirectory, {}, get_directory},
    {"/networkmap", false, kAltoNetworkMap, {}, get_networkmap},
    {"/networkmap/filtered", true, kAltoNetworkMap, kAltoNetworkMapFilter, post_networkmap_filter},
    {"/costmap/routingcost/num", false, kAltoCostMap, {}, get_costmap_rc_num},
    {"/costmap/routingcost/ord", false, kAltoCostMap, {}, get_costmap_rc_ord},
    {"/costmap/hopcount/num", false, kAltoCostMap, {}, get_costmap_hc_num},
    {"/costmap/filtered", true, kAltoCostMap, kAltoCostMapFilter, post_costmap_filter},
    {"/endpointprop/lookup", true, kAltoEndpointProp, kAltoEndpointPropParams, post_endpoint_prop},
    {"/endpointcost/lookup", true, kAltoEndpointCost, kAltoEndpointCostParams, post_endpoint_cost},
};

AltoResponse dispatch(const AltoModel& model, const AltoConfig& config, const AltoRequest& req) {
    std::string_view path = req.path;
    path = path.substr(0, path.find_first_of("?#"));
    auto base = alto_base_path(config.base_url);
    if (path.substr(0, base.size()) != base) return http_error(404, "no such resource");
    path.remove_prefix(base.size());

    const Route* route = nullptr;
    for (const auto& r : kRoutes)
        if (r.path == path) route = &r;
    if (!route) return http_error(404, "no such resource");

    bool is_post = req.method == "POST";
    bool is_get = req.method == "GET" || req.method == "HEAD";
    if (route->post ? !is_post : !is_get)
        return http_error(405, "method not allowed", route->post ? "POST" : "GET, HEAD");
    if (route->post && media_type(req.content_type) != route->accepts)
        return http_error(415, "expected Content-Type: " + std::string(route->accepts));
    if (!alto_accepts(req.accept, route->media))
        return http_error(406, "this resource is " + std::string(route->media));

    CompleteMap complete(model);
    Ctx ctx{complete, config, req};
    try {
        if (!route->post) return route->fn(ctx, nullptr);
        json body;
        try {
            body = json::parse(req.body);
        } catch (const json::exception& e) {  // parse_error; out_of_range for 1e99999
            throw BadRequest{"E_SYNTAX", {}, {}, e.what()};
        }
        if (!body.is_object()) throw BadRequest{"E_SYNTAX", {}, {}, "the request body is not a JSON object"};
        return route->fn(ctx, &body);
    } catch (const BadRequest& e) {
        return alto_error(e);
    }
}

bool pid_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == ':' || c == '@' || c == '_' || c == '.';
}

}  // namespace

AltoResponse handle_alto(const AltoModel& model, const AltoConfig& config, const AltoRequest& request) {
    try {
        return dispatch(model, config, request);
    } catch (const std::exception&) {
        return http_error(500, "internal error");
    }
}

std::string alto_tag(const std::string& version) {
    bool valid = !version.empty() && version.size() <= 64 &&
                 std::all_of(version.begin(), version.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
    return valid ? version : Id::hash("alto-vtag", version).hex();
}

bool alto_accepts(std::string_view accept, std::string_view type) {
    if (trim(accept).empty()) return true;
    std::string want = lower(type);
    std::string_view rest = accept;
    while (!rest.empty()) {
        auto comma = rest.find(',');
        auto item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        auto range = media_type(item);
        // q=0 means "not acceptable" (RFC 7231 §5.3.1).
        double q = 1;
        for (auto semi = item.find(';'); semi != std::string_view::npos;) {
            auto next = item.find(';', semi + 1);
            auto param = trim(item.substr(semi + 1, next == std::string_view::npos ? next : next - semi - 1));
            if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
                auto v = param.substr(2);
                double d = 1;
                auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), d);
                if (ec == std::errc() && p == v.data() + v.size()) q = d;
            }
            semi = next;
        }
        if (q <= 0) continue;
        if (range == "*/*" || range == "*" || range == want) return true;
        if (range.size() > 2 && range.ends_with("/*") &&
            want.compare(0, range.size() - 1, range, 0, range.size() - 1) == 0)
            return true;
    }
    return false;
}

std::string alto_base_path(std::string_view base_url) {
    auto scheme = base_url.find("://");
    auto from = scheme == std::string_view::npos ? 0 : scheme + 3;
    auto slash = base_url.find('/', from);
    if (slash == std::string_view::npos) return {};
    std::string path(base_url.substr(slash));
    while (!path.empty() && path.back() == '/') path.pop_back();
    return path;
}

bool AltoConstraint::admits(double cost) const {
    switch (op) {
    case Op::gt: return cost > value;
    case Op::ge: return cost >= value;
    case Op::lt: return cost < value;
    case Op::le: return cost <= value;
    case Op::eq: return cost == value;
    }
    return false;
}

std::optional<AltoConstraint> parse_alto_constraint(std::string_view text) {
    auto is_space = [](char c) { return c == ' ' || c == '\t'; };
    auto skip = [&](std::string_view s) {
        while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
        return s;
    };
    auto s = skip(text);
    std::size_t n = 0;
    while (n < s.size() && !is_space(s[n])) ++n;
    auto op_text = s.substr(0, n);
    auto rest = skip(s.substr(n));
    while (!rest.empty() && is_space(rest.back())) rest.remove_suffix(1);
    if (n == s.size() || rest.empty()) return std::nullopt;

    AltoConstraint c{};
    if (op_text == "gt") c.op = AltoConstraint::Op::gt;
    else if (op_text == "ge") c.op = AltoConstraint::Op::ge;
    else if (op_text == "lt") c.op = AltoConstraint::Op::lt;
    else if (op_text == "le") c.op = AltoConstraint::Op::le;
    else if (op_text == "eq") c.op = AltoConstraint::Op::eq;
    else return std::nullopt;
    if (rest.front() == '+') rest.remove_prefix(1);  // from_chars refuses a leading '+'
    if (rest.empty() || rest.front() == '+') return std::nullopt;
    auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), c.value);
    if (ec != std::errc() || p != rest.data() + rest.size() || !std::isfinite(c.value)) return std::nullopt;
    return c;
}

std::string pid_for_name(std::string_view name) {
    if (valid_pid_name(name)) return std::string(name);
    std::string pid;
    for (char c : name.substr(0, 55)) pid += pid_char(c) ? c : '_';
    return pid + "." + Id::hash("pid", name).hex().substr(0, 8);
}

bool valid_pid_name(std::string_view name) {
    return !name.empty() && name.size() <= 64 && std::all_of(name.begin(), name.end(), pid_char);
}

}  // namespace sr::prox
