// GraphML topologies, as published by the Internet Topology Zoo, parsed with
// pugixml (DESIGN §10) into a Topology (topology.hpp).
//
// Keys: <key id=.. for="node|edge|all" attr.name=..> maps data keys to
// attribute names. Nodes become routers in document order:
//  - name = the node's "label" attribute, else its id. Labels are not unique
//    in the Zoo ("None", "?", two "New York"s): every node whose label is
//    shared by another node is named "LABEL#ID" (ID = the GraphML node id),
//    so names never depend on which duplicate came first. A name still
//    clashing gets further "#ID" suffixes.
//  - "Latitude"/"Longitude" (degrees) give its position when both parse.
// Edges become bidirectional links (the Zoo is undirected; a directed graph
// is read as undirected too). The metric is, in order:
//  1. the edge attribute named options.weight_attr (default "weight"; the
//     Zoo carries none, an operator's own export may) if present: a number
//     > 0, rounded up to an integer; anything else is an error;
//  2. else the great-circle distance between the two nodes in km (haversine,
//     R = 6371 km), rounded up, at least 1, when both have coordinates;
//  3. else 1.
// Self-loops are skipped; parallel edges (Zoo multigraphs) keep the smallest
// metric. Prefixes and addresses come from a native file naming the same
// routers, merged with parse_topology(text, file, graphml_topology).
//
// Errors throw sr::Error("config", "FILE: what") (XML syntax with its byte
// offset, no <graph>, an edge to an unknown node, a duplicate node id, a bad
// weight).
#pragma once

#include <string>
#include <string_view>

#include "prox/topology.hpp"

namespace sr::prox {

struct GraphmlOptions {
    std::string weight_attr = "weight";  // edge attribute holding the IGP metric
};

Topology parse_graphml(std::string_view xml, std::string_view filename, const GraphmlOptions& options = {});
Topology load_graphml(const std::string& path, const GraphmlOptions& options = {});

// Great-circle distance in km between two (lat, lon) points in degrees.
double great_circle_km(double lat1, double lon1, double lat2, double lon2);

}  // namespace sr::prox
