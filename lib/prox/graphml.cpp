#include "prox/graphml.hpp"

#include <pugixml.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "core/error.hpp"
#include "prox/topology_file.hpp"

namespace sr::prox {

namespace {

[[noreturn]] void fail(std::string_view file, const std::string& what) {
    throw sr::Error("config", std::string(file) + ": " + what);
}

std::optional<double> number(const char* s) {
    if (!s) return std::nullopt;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') ++s;
    if (!*s) return std::nullopt;
    char* end = nullptr;
    double v = std::strtod(s, &end);
    while (end && (*end == ' ' || *end == '\t' || *end == '\n' || *end == '\r')) ++end;
    if (!end || *end || !std::isfinite(v)) return std::nullopt;
    return v;
}

struct Node {
    std::string id;
    std::string label;
    std::optional<double> lat, lon;
};

}  // namespace

double great_circle_km(double lat1, double lon1, double lat2, double lon2) {
    constexpr double r = 6371.0;
    constexpr double rad = M_PI / 180.0;
    double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
    double a = std::sin(dlat / 2) * std::sin(dlat / 2) +
               std::cos(lat1 * rad) * std::cos(lat2 * rad) * std::sin(dlon / 2) * std::sin(dlon / 2);
    a = std::min(1.0, std::max(0.0, a));
    return 2 * r * std::asin(std::sqrt(a));
}

Topology parse_graphml(std::string_view xml, std::string_view file, const GraphmlOptions& options) {
    pugi::xml_document doc;
    auto res = doc.load_buffer(xml.data(), xml.size(), pugi::parse_default, pugi::encoding_auto);
    if (!res) fail(file, std::string("XML error at byte ") + std::to_string(res.offset) + ": " + res.description());
    auto root = doc.child("graphml");
    if (!root) fail(file, "no <graphml> element");
    auto graph = root.child("graph");
    if (!graph) fail(file, "no <graph> element");

    // key id -> attribute name, per domain.
    std::unordered_map<std::string, std::string> node_keys, edge_keys;
    for (auto key : root.children("key")) {
        std::string id = key.attribute("id").as_string();
        std::string name = key.attribute("attr.name").as_string();
        std::string dom = key.attribute("for").as_string();
        if (name.empty()) name = id;
        if (dom == "node" || dom == "all") node_keys[id] = name;
        if (dom == "edge" || dom == "all") edge_keys[id] = name;
    }

    std::vector<Node> nodes;
    std::unordered_map<std::string, std::size_t> index;
    for (auto n : graph.children("node")) {
        Node node;
        node.id = n.attribute("id").as_string();
        if (node.id.empty()) fail(file, "a <node> without an id");
        if (!index.emplace(node.id, nodes.size()).second) fail(file, "duplicate node id '" + node.id + "'");
        for (auto d : n.children("data")) {
            auto it = node_keys.find(d.attribute("key").as_string());
            if (it == node_keys.end()) continue;
            if (it->second == "label") node.label = d.text().as_string();
            else if (it->second == "Latitude") node.lat = number(d.text().as_string());
            else if (it->second == "Longitude") node.lon = number(d.text().as_string());
        }
        if (node.label.empty()) node.label = node.id;
        nodes.push_back(std::move(node));
    }

    // Names: a shared label becomes LABEL#ID on every node carrying it.
    std::unordered_map<std::string, int> uses;
    for (auto& n : nodes) ++uses[n.label];
    std::unordered_set<std::string> taken;
    for (auto& n : nodes)
        if (uses[n.label] == 1) taken.insert(n.label);
    Topology t;
    for (auto& n : nodes) {
        std::string name = n.label;
        if (uses[n.label] > 1) {
            name += "#" + n.id;
            while (taken.count(name)) name += "#" + n.id;
            taken.insert(name);
        }
        t.add_router(std::move(name));
    }

    for (auto e : graph.children("edge")) {
        std::string s = e.attribute("source").as_string(), d = e.attribute("target").as_string();
        auto si = index.find(s), di = index.find(d);
        if (si == index.end()) fail(file, "edge source '" + s + "' is not a node");
        if (di == index.end()) fail(file, "edge target '" + d + "' is not a node");
        if (si->second == di->second) continue;
        std::uint32_t metric = 1;
        bool weighted = false;
        for (auto data : e.children("data")) {
            auto it = edge_keys.find(data.attribute("key").as_string());
            if (it == edge_keys.end() || it->second != options.weight_attr) continue;
            auto w = number(data.text().as_string());
            if (!w || *w <= 0 || *w > std::numeric_limits<std::uint32_t>::max())
                fail(file, "edge " + s + "-" + d + ": bad " + options.weight_attr + " '" + data.text().as_string() +
                               "' (a number > 0)");
            metric = static_cast<std::uint32_t>(std::ceil(*w));
            weighted = true;
        }
        const auto& a = nodes[si->second];
        const auto& b = nodes[di->second];
        if (!weighted && a.lat && a.lon && b.lat && b.lon) {
            double km = std::ceil(great_circle_km(*a.lat, *a.lon, *b.lat, *b.lon));
            metric = km < 1 ? 1 : static_cast<std::uint32_t>(std::min(km, 4294967295.0));
        }
        t.add_link(static_cast<RouterId>(si->second), static_cast<RouterId>(di->second), metric);
    }
    return t;
}

Topology load_graphml(const std::string& path, const GraphmlOptions& options) {
    return parse_graphml(read_text_file(path), path, options);
}

}  // namespace sr::prox
