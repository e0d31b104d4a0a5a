// Gateway mode; see alto_remote.hpp.
#include "prox/alto_remote.hpp"

#include "core/error.hpp"
#include "core/id.hpp"
#include "core/log.hpp"
#include "prox/alto.hpp"
#include "prox/alto_http.hpp"

#include <algorithm>
#include <cmath>

namespace sr::prox {

namespace {

[[noreturn]] void bad(const std::string& what) { throw DecodeError("alto: " + what); }

const Value& field(const Value& obj, const char* key, const std::string& where) {
    if (!obj.is_object()) bad(where + " is not an object");
    auto it = obj.find(key);
    if (it == obj.end()) bad(where + " has no \"" + key + "\"");
    return *it;
}

std::string vtag_of(const Value& meta, const char* key) {
    const Value& v = field(meta, key, "meta");
    const Value& tag = field(v.is_array() && !v.empty() ? v[0] : v, "tag", std::string("meta/") + key);
    if (!tag.is_string()) bad("vtag is not a string");
    return tag.get<std::string>();
}

}  // namespace

std::shared_ptr<const AltoMaps> AltoMaps::from_json(const Value& networkmap, const Value& routingcost,
                                                    const Value* hopcount) {
    auto m = std::make_shared<AltoMaps>();
    m->tag_ = vtag_of(field(networkmap, "meta", "network map"), "vtag");
    const Value& nm = field(networkmap, "network-map", "network map");
    if (!nm.is_object()) bad("network-map is not an object");
    for (auto& [pid, groups] : nm.items()) {
        if (!valid_pid_name(pid)) bad("bad PID name " + pid);
        if (!groups.is_object()) bad("PID " + pid + " is not an object");
        std::vector<Prefix> prefixes;
        for (auto& [type, list] : groups.items()) {
            if (type != "ipv4" && type != "ipv6") continue;  // unknown address types are ignored (§11.2.1.7)
            if (!list.is_array()) bad("PID " + pid + " " + type + " is not an array");
            for (auto& p : list) {
                auto prefix = p.is_string() ? Prefix::parse(p.get<std::string>()) : std::nullopt;
                if (!prefix || (prefix->addr.family == Family::v4) != (type == "ipv4"))
                    bad("bad " + type + " prefix in PID " + pid + ": " + p.dump());
                prefixes.push_back(*prefix);
            }
        }
        std::size_t i = m->pids_.size();
        m->index_[pid] = i;
        m->pids_.push_back(pid);
        for (auto& p : prefixes) m->lpm_.emplace_back(p, i);
        m->prefixes_.push_back(std::move(prefixes));
    }
    std::stable_sort(m->lpm_.begin(), m->lpm_.end(), [](auto& a, auto& b) { return a.first.len > b.first.len; });

    std::string costs_text;
    auto load = [&](const Value& cm, const char* metric, std::unordered_map<std::uint64_t, double>& out) {
        const Value& meta = field(cm, "meta", std::string(metric) + " cost map");
        const Value& type = field(meta, "cost-type", "cost map meta");
        if (field(type, "cost-mode", "cost-type") != "numerical" || field(type, "cost-metric", "cost-type") != metric)
            bad(std::string("not a numerical ") + metric + " cost map");
        if (vtag_of(meta, "dependent-vtags") != m->tag_) bad(std::string(metric) + " cost map is for another network map version");
        const Value& rows = field(cm, "cost-map", "cost map");
        if (!rows.is_object()) bad("cost-map is not an object");
        for (auto& [src, dsts] : rows.items()) {
            if (!dsts.is_object()) bad("cost-map row " + src + " is not an object");
            auto s = m->index_.find(src);
            for (auto& [dst, cost] : dsts.items()) {
                if (!cost.is_number() || !std::isfinite(cost.get<double>())) bad("cost " + src + "->" + dst + " is not a number");
                auto d = m->index_.find(dst);
                if (s == m->index_.end() || d == m->index_.end()) continue;  // PIDs not in the map
                out[s->second * m->pids_.size() + d->second] = cost.get<double>();
            }
        }
        costs_text += rows.dump() + "\n";
    };
    load(routingcost, "routingcost", m->routing_);
    if (hopcount) load(*hopcount, "hopcount", m->hops_);
    m->version_ = Id::hash("alto-maps", m->tag_ + "\n" + costs_text).hex();
    return m;
}

std::vector<Prefix> AltoMaps::prefixes(const std::string& pid) const {
    auto it = index_.find(pid);
    return it == index_.end() ? std::vector<Prefix>{} : prefixes_[it->second];
}

std::optional<double> AltoMaps::pid_cost(const std::string& from, const std::string& to, Metric m) const {
    auto s = index_.find(from), d = index_.find(to);
    if (s == index_.end() || d == index_.end()) return std::nullopt;
    auto& table = m == Metric::routingcost ? routing_ : hops_;
    auto it = table.find(s->second * pids_.size() + d->second);
    if (it == table.end()) return std::nullopt;
    return it->second;
}

std::optional<std::string> AltoMaps::pid_of(const Address& a) const {
    for (auto& [prefix, i] : lpm_)
        if (prefix.contains(a)) return pids_[i];
    return std::nullopt;
}

// ---- RemoteAltoModel ----------------------------------------------------------

std::string resolve_alto_uri(const std::string& base, const std::string& uri) {
    if (uri.find("://") != std::string::npos) return uri;
    auto scheme = base.find("://");
    auto path_start = base.find('/', scheme == std::string::npos ? 0 : scheme + 3);
    std::string origin = path_start == std::string::npos ? base : base.substr(0, path_start);
    if (!uri.empty() && uri.front() == '/') return origin + uri;
    if (path_start == std::string::npos) return origin + "/" + uri;
    std::string path = base.substr(path_start, base.find_first_of("?#", path_start) - path_start);
    return origin + path.substr(0, path.rfind('/') + 1) + uri;
}

struct RemoteAltoModel::Refresh {
    Done done;
    int stage = 0;  // 0 IRD, 1 network map, 2 routingcost, 3 hopcount
    std::string networkmap_url, routing_url, hopcount_url;
    Value networkmap, routing, hopcount;
};

RemoteAltoModel::RemoteAltoModel(Loop& loop, std::string directory_url, int timeout_s)
    : loop_(loop), directory_url_(std::move(directory_url)), timeout_s_(timeout_s) {}

RemoteAltoModel::~RemoteAltoModel() { *alive_ = false; }

void RemoteAltoModel::refresh(Done done) {
    if (busy_) {
        done(false, "refresh in progress");
        return;
    }
    busy_ = true;
    auto r = std::make_shared<Refresh>();
    r->done = std::move(done);
    step(std::move(r));
}

namespace {

// The IRD's choice of network map and numerical cost maps.
void pick_resources(const Value& ird, std::string& networkmap, std::string& routing, std::string& hopcount) {
    const Value& resources = field(ird, "resources", "IRD");
    const Value& meta = ird.value("meta", Value::object());
    const Value cost_types = meta.is_object() ? meta.value("cost-types", Value::object()) : Value::object();
    std::string nm_id = meta.is_object() ? meta.value("default-alto-network-map", "") : "";
    auto plain = [](const Value& e, std::string_view type) {
        return e.is_object() && e.value("media-type", "") == type && !e.contains("accepts") && e.value("uri", "") != "";
    };
    if (nm_id.empty() || !resources.contains(nm_id) || !plain(resources[nm_id], kAltoNetworkMap)) {
        nm_id.clear();
        for (auto& [id, e] : resources.items())
            if (plain(e, kAltoNetworkMap)) {
                nm_id = id;
                break;
            }
    }
    if (nm_id.empty()) bad("the directory offers no network map");
    networkmap = resources[nm_id]["uri"];
    for (auto& [id, e] : resources.items()) {
        if (!plain(e, kAltoCostMap)) continue;
        auto uses = e.value("uses", Value::array());
        if (uses.is_array() && !uses.empty() && std::find(uses.begin(), uses.end(), nm_id) == uses.end()) continue;
        auto caps = e.value("capabilities", Value::object());
        auto names = caps.is_object() ? caps.value("cost-type-names", Value::array()) : Value::array();
        if (!names.is_array() || names.size() != 1 || !names[0].is_string()) continue;
        auto type = cost_types.value(names[0].get<std::string>(), Value::object());
        if (!type.is_object() || type.value("cost-mode", "") != "numerical") continue;
        auto metric = type.value("cost-metric", "");
        if (metric == "routingcost" && routing.empty()) routing = e["uri"];
        if (metric == "hopcount" && hopcount.empty()) hopcount = e["uri"];
    }
    if (routing.empty()) bad("the directory offers no numerical routingcost map for " + nm_id);
}

}  // namespace

void RemoteAltoModel::step(std::shared_ptr<Refresh> r) {
    auto fail = [this, r](const std::string& error) {
        busy_ = false;
        log::warn("alto: refresh from ", directory_url_, " failed: ", error);
        r->done(false, error);
    };
    if (r->stage == 3 && r->hopcount_url.empty()) r->stage = 4;
    if (r->stage == 4) {
        try {
            auto maps = AltoMaps::from_json(r->networkmap, r->routing, r->hopcount_url.empty() ? nullptr : &r->hopcount);
            bool changed = !maps_ || maps_->version() != maps->version();
            if (changed) maps_ = std::move(maps);
            busy_ = false;
            r->done(changed, "");
        } catch (const DecodeError& e) {
            fail(e.what());
        }
        return;
    }
    static constexpr std::string_view kAccepts[] = {kAltoDirectory, kAltoNetworkMap, kAltoCostMap, kAltoCostMap};
    HttpFetch f;
    f.url = r->stage == 0 ? directory_url_
          : r->stage == 1 ? r->networkmap_url
          : r->stage == 2 ? r->routing_url
                          : r->hopcount_url;
    f.accept = std::string(kAccepts[r->stage]) + "," + std::string(kAltoError);
    f.timeout_s = timeout_s_;
    std::weak_ptr<bool> alive = alive_;
    http_fetch(loop_, f, [this, r, alive, fail, url = f.url](HttpResult res) {
        if (alive.expired()) return;  // the model is gone
        if (!res.error.empty()) return fail(url + ": " + res.error);
        if (res.status != 200) return fail(url + ": HTTP " + std::to_string(res.status));
        auto type = res.content_type.substr(0, res.content_type.find(';'));
        if (type != kAccepts[r->stage]) return fail(url + ": unexpected Content-Type " + res.content_type);
        Value doc = Value::parse(res.body, nullptr, false);
        if (doc.is_discarded()) return fail(url + ": invalid JSON");
        try {
            switch (r->stage) {
            case 0:
                pick_resources(doc, r->networkmap_url, r->routing_url, r->hopcount_url);
                r->networkmap_url = resolve_alto_uri(url, r->networkmap_url);
                r->routing_url = resolve_alto_uri(url, r->routing_url);
                if (!r->hopcount_url.empty()) r->hopcount_url = resolve_alto_uri(url, r->hopcount_url);
                break;
            case 1: r->networkmap = std::move(doc); break;
            case 2: r->routing = std::move(doc); break;
            default: r->hopcount = std::move(doc); break;
            }
        } catch (const std::exception& e) {  // DecodeError; json type errors in an odd IRD
            return fail(url + ": " + e.what());
        }
        ++r->stage;
        step(r);
    });
}

std::vector<std::string> RemoteAltoModel::pids() const { return maps_ ? maps_->pids() : std::vector<std::string>{}; }
std::vector<Prefix> RemoteAltoModel::prefixes(const std::string& pid) const {
    return maps_ ? maps_->prefixes(pid) : std::vector<Prefix>{};
}
std::optional<double> RemoteAltoModel::pid_cost(const std::string& from, const std::string& to, Metric m) const {
    return maps_ ? maps_->pid_cost(from, to, m) : std::nullopt;
}
std::optional<std::string> RemoteAltoModel::pid_of(const Address& a) const {
    return maps_ ? maps_->pid_of(a) : std::nullopt;
}
std::string RemoteAltoModel::version() const { return maps_ ? maps_->version() : "empty"; }

}  // namespace sr::prox
