// lib/prox: GraphML (Topology Zoo) reader. Snippets are embedded: the suite
// must not depend on ../shared/data.
#include "prox/graphml.hpp"
#include "prox/topology_file.hpp"

#include <gtest/gtest.h>

#include "core/error.hpp"

namespace {

using namespace sr::prox;

// Shaped like a Zoo file: keys declared on <graphml>, Latitude/Longitude/label
// on nodes, LinkLabel (no weight) on edges, a duplicate label, a multi-edge.
const char* zoo = R"(<?xml version="1.0" encoding="utf-8"?>
<graphml xmlns="http://graphml.graphdrawing.org/xmlns">
  <key attr.name="LinkLabel" attr.type="string" for="edge" id="d35" />
  <key attr.name="label" attr.type="string" for="node" id="d33" />
  <key attr.name="Longitude" attr.type="double" for="node" id="d32" />
  <key attr.name="Latitude" attr.type="double" for="node" id="d29" />
  <graph edgedefault="undirected">
    <node id="0"><data key="d29">40.71427</data><data key="d32">-74.00597</data><data key="d33">New York</data></node>
    <node id="1"><data key="d29">41.85003</data><data key="d32">-87.65005</data><data key="d33">Chicago</data></node>
    <node id="2"><data key="d33">None</data></node>
    <node id="3"><data key="d33">None</data></node>
    <node id="4"></node>
    <edge source="0" target="1"><data key="d35">OC-192c</data></edge>
    <edge source="1" target="0"><data key="d35">OC-48</data></edge>
    <edge source="1" target="2"></edge>
    <edge source="2" target="3"></edge>
    <edge source="3" target="3"></edge>
  </graph>
</graphml>)";

TEST(ProxGraphml, ZooShapedFile) {
    auto t = parse_graphml(zoo, "zoo.graphml");
    ASSERT_EQ(t.size(), 5u);
    EXPECT_EQ(t.name(0), "New York");
    EXPECT_EQ(t.name(1), "Chicago");
    EXPECT_EQ(t.name(2), "None#2");
    EXPECT_EQ(t.name(3), "None#3");
    EXPECT_EQ(t.name(4), "4");  // no label: the id
    EXPECT_EQ(t.link_count(), 3u);  // multi-edge collapsed, self-loop skipped
    // New York - Chicago great circle ~ 1145 km, rounded up.
    ASSERT_EQ(t.links(0).size(), 1u);
    EXPECT_GE(t.links(0)[0].metric, 1140u);
    EXPECT_LE(t.links(0)[0].metric, 1150u);
    // No coordinates on one side: metric 1.
    EXPECT_EQ(t.links(2)[0].metric, 1u);
}

TEST(ProxGraphml, GreatCircle) {
    EXPECT_NEAR(great_circle_km(0, 0, 0, 180), 20015.1, 0.5);
    EXPECT_NEAR(great_circle_km(51.5, -0.12, 51.5, -0.12), 0, 1e-9);
}

TEST(ProxGraphml, WeightAttribute) {
    const char* g = R"(<graphml><key id="w" for="edge" attr.name="weight"/><key id="c" for="edge" attr.name="cost"/>
      <graph><node id="a"/><node id="b"/><node id="c"/>
      <edge source="a" target="b"><data key="w">2.5</data><data key="c">40</data></edge>
      <edge source="b" target="c"><data key="c">7</data></edge></graph></graphml>)";
    auto t = parse_graphml(g, "w.graphml");
    EXPECT_EQ(t.links(0)[0].metric, 3u);  // 2.5 rounded up
    EXPECT_EQ(t.links(2)[0].metric, 1u);  // no weight, no coordinates
    auto c = parse_graphml(g, "w.graphml", {.weight_attr = "cost"});
    EXPECT_EQ(c.links(0)[0].metric, 40u);
    EXPECT_EQ(c.links(2)[0].metric, 7u);
}

std::string error_of(const char* xml) {
    try {
        parse_graphml(xml, "bad.graphml");
    } catch (const sr::Error& e) {
        EXPECT_EQ(e.code, "config");
        return e.what();
    }
    return "";
}

TEST(ProxGraphml, Errors) {
    EXPECT_NE(error_of("<graphml><graph><node id='a'></graph>").find("bad.graphml: XML error at byte"), std::string::npos);
    EXPECT_NE(error_of("<foo/>").find("no <graphml>"), std::string::npos);
    EXPECT_NE(error_of("<graphml/>").find("no <graph>"), std::string::npos);
    EXPECT_NE(error_of("<graphml><graph><node id='a'/><edge source='a' target='z'/></graph></graphml>")
                  .find("edge target 'z' is not a node"),
              std::string::npos);
    EXPECT_NE(error_of("<graphml><graph><node id='a'/><node id='a'/></graph></graphml>").find("duplicate node id 'a'"),
              std::string::npos);
    EXPECT_NE(error_of("<graphml><key id='w' for='edge' attr.name='weight'/><graph><node id='a'/><node id='b'/>"
                       "<edge source='a' target='b'><data key='w'>-1</data></edge></graph></graphml>")
                  .find("bad weight '-1'"),
              std::string::npos);
}

TEST(ProxGraphml, MergeWithNativeFile) {
    auto g = parse_graphml(zoo, "zoo.graphml");
    auto t = parse_topology("router \"New York\" 192.0.2.1\nprefix 10.0.0.0/8 Chicago\nprefix 10.1.0.0/16 None#3\n",
                            "zoo.topo", g);
    EXPECT_EQ(t.size(), 5u);
    EXPECT_EQ(t.prefixes().size(), 2u);
    EXPECT_EQ(t.prefixes()[1].second, 3u);
    EXPECT_EQ(t.router_of(*Address::parse("192.0.2.1")), 0u);
}

}  // namespace
