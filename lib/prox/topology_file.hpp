// The native topology file: one statement a line; a '#' at the start of a
// word starts a comment (inside a word it is part of it: "None#3", the name
// the GraphML reader gives duplicate labels).
//
//   router NAME [ADDRESS ...]   a router/PoP and its own addresses (v4 or v6)
//   link NAME NAME METRIC       bidirectional; METRIC an integer 1..4294967295
//   prefix CIDR NAME            an IPv4/IPv6 prefix attached to a router
//
// A NAME is one word, or a double-quoted string for names with spaces (the
// Topology Zoo's "New York"); inside quotes \" and \\ escape. Statements may
// come in any order: links and prefixes may name a router declared further
// down. Parallel links keep the smallest metric.
//
// Errors throw sr::Error("config", "FILE:LINE: what"): an unknown statement,
// an unknown or duplicate router, a link from a router to itself, a bad
// metric, a bad address or CIDR, a prefix or address already given to
// another router, missing arguments and trailing junk. A CIDR with host bits
// set (10.1.2.3/8) is an ERROR, not silently normalised: in a hand-written
// file it is more often a typo than intent, and the message names the
// network address meant.
//
// Parsing builds a fresh value and returns it, so a failed parse leaves
// nothing half-applied: the daemon keeps its old topology on a bad reload.
//
// Merge (GraphML + native): parse_topology(text, file, base) starts from a
// copy of base (e.g. a GraphML topology). The file may then declare new
// routers, attach addresses to base routers by repeating `router NAME ADDR`,
// and attach prefixes/links to base routers. A router declared twice within
// the one file is still a duplicate.
#pragma once

#include <string>
#include <string_view>

#include "prox/topology.hpp"

namespace sr::prox {

Topology parse_topology(std::string_view text, std::string_view filename);
Topology parse_topology(std::string_view text, std::string_view filename, const Topology& base);

// Reads the file (I/O errors throw sr::Error("config", "FILE: ...")) and parses it.
Topology load_topology_file(const std::string& path);
Topology load_topology_file(const std::string& path, const Topology& base);

// Whole-file read shared by the loaders; throws sr::Error("config", ...).
std::string read_text_file(const std::string& path);

}  // namespace sr::prox
