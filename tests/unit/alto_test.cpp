// ALTO request handling (lib/prox/alto) against the examples of RFC 7285.
//
// The expected bodies below are the RFC's own examples (§11.2.1.7,
// §11.2.3.7, §11.3.2.7, §11.4.1.7, §11.5.1.7), taken from the RFC text and
// compared as JSON values; the model is set up so that it holds what the
// RFC's server holds (the examples come from servers with different costs
// and tags, so each test configures its own).
#include "prox/alto.hpp"

#include "alto_test_model.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <map>

using namespace sr::prox;
using json = nlohmann::json;
using sr::prox::alto_fixture::A;
using sr::prox::alto_fixture::P;
using sr::prox::alto_fixture::RfcModel;

namespace {

AltoConfig rfc_config() {
    AltoConfig c;
    c.base_url = "http://alto.example.com";
    c.networkmap_id = "my-default-network-map";
    return c;
}

AltoResponse get(const AltoModel& m, const std::string& path, const std::string& accept = "",
                 const AltoConfig& c = rfc_config()) {
    AltoRequest r;
    r.method = "GET";
    r.path = path;
    r.accept = accept;
    return handle_alto(m, c, r);
}

AltoResponse post(const AltoModel& m, const std::string& path, std::string_view type, const std::string& body,
                  std::optional<Address> client = std::nullopt) {
    AltoRequest r;
    r.method = "POST";
    r.path = path;
    r.content_type = std::string(type);
    r.body = body;
    r.client = client;
    return handle_alto(m, rfc_config(), r);
}

AltoResponse post_filter(const AltoModel& m, const json& body) {
    return post(m, "/costmap/filtered", kAltoCostMapFilter, body.dump());
}
AltoResponse post_ecs(const AltoModel& m, const json& body, std::optional<Address> client = std::nullopt) {
    return post(m, "/endpointcost/lookup", kAltoEndpointCostParams, body.dump(), client);
}

json body_of(const AltoResponse& r) { return json::parse(r.body); }

// Checks a 400 ALTO error and returns its meta.
json expect_alto_error(const AltoResponse& r, const std::string& code) {
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.content_type, kAltoError);
    auto meta = body_of(r).at("meta");
    EXPECT_EQ(meta.at("code"), code) << r.body;
    return meta;
}

const json kNumRouting = {{"cost-mode", "numerical"}, {"cost-metric", "routingcost"}};

}  // namespace

// ---- the RFC's examples ---------------------------------------------------

TEST(Alto, NetworkMapRfc11_2_1_7) {
    RfcModel m;
    auto r = get(m, "/networkmap", "application/alto-networkmap+json,application/alto-error+json");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "application/alto-networkmap+json");
    EXPECT_EQ(body_of(r), json::parse(R"({
         "meta" : {
           "vtag": {
             "resource-id": "my-default-network-map",
              "tag": "da65eca2eb7a10ce8b059740b0b2e3f8eb1d4785"
           }
         },
         "network-map" : {
           "PID1" : { "ipv4" : [ "192.0.2.0/24", "198.51.100.0/25" ] },
           "PID2" : { "ipv4" : [ "198.51.100.128/25" ] },
           "PID3" : { "ipv4" : [ "0.0.0.0/0" ], "ipv6" : [ "::/0" ] }
         }
       })"));
}

TEST(Alto, CostMapRfc11_2_3_7) {
    RfcModel m;
    m.ver = "3ee2cb7e8d63d9fab71b9b34cbf764436315542e";
    auto r = get(m, "/costmap/routingcost/num", "application/alto-costmap+json,application/alto-error+json");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "application/alto-costmap+json");
    EXPECT_EQ(body_of(r), json::parse(R"({
            "meta" : {
              "dependent-vtags" : [
                {"resource-id": "my-default-network-map",
                 "tag": "3ee2cb7e8d63d9fab71b9b34cbf764436315542e"
                }
              ],
              "cost-type" : {"cost-mode"  : "numerical",
                             "cost-metric": "routingcost"
              }
            },
            "cost-map" : {
              "PID1": { "PID1": 1,  "PID2": 5,  "PID3": 10 },
              "PID2": { "PID1": 5,  "PID2": 1,  "PID3": 15 },
              "PID3": { "PID1": 20, "PID2": 15  }
            }
          })"));
    // Integral costs are JSON integers, not 1.0.
    EXPECT_NE(r.body.find(R"("PID1":1,)"), std::string::npos) << r.body;
}

TEST(Alto, FilteredCostMapRfc11_3_2_7) {
    RfcModel m;  // the RFC's custom.alto.example.com has other costs
    m.ver = "75ed013b3cb58f896e839582504f622838ce670f";
    m.routing[{"PID1", "PID1"}] = 0;
    m.routing[{"PID1", "PID2"}] = 1;
    m.routing[{"PID1", "PID3"}] = 2;
    auto r = post(m, "/costmap/filtered", "application/alto-costmapfilter+json", R"({
         "cost-type" : {"cost-mode": "numerical",
                        "cost-metric": "routingcost"
         },
         "pids" : {
           "srcs" : [ "PID1" ],
           "dsts" : [ "PID1", "PID2", "PID3" ]
         }
       })");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "application/alto-costmap+json");
    EXPECT_EQ(body_of(r), json::parse(R"({
         "meta" : {
           "dependent-vtags" : [
             {"resource-id": "my-default-network-map",
              "tag": "75ed013b3cb58f896e839582504f622838ce670f"
             }
           ],
           "cost-type": {"cost-mode" : "numerical",
                         "cost-metric" : "routingcost"
           }
         },
         "cost-map" : {
              "PID1": { "PID1": 0,  "PID2": 1,  "PID3": 2 }
         }
       })"));
}

TEST(Alto, EndpointPropertyRfc11_4_1_7) {
    // The RFC's request names "my-default-networkmap.pid" but its answer and
    // IRD say "my-default-network-map": we use the latter throughout. Its
    // "priv:ietf-example-prop" is a property this server does not offer.
    RfcModel m;
    m.ver = "7915dc0290c2705481c491a2b4ffbec482b3cf62";
    auto r = post(m, "/endpointprop/lookup", "application/alto-endpointpropparams+json", R"({
    "properties" : [ "my-default-network-map.pid" ],
    "endpoints"  : [ "ipv4:192.0.2.34",
                     "ipv4:203.0.113.129" ]
  })");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "application/alto-endpointprop+json");
    EXPECT_EQ(body_of(r), json::parse(R"({
    "meta" : {
      "dependent-vtags" : [
        {"resource-id": "my-default-network-map",
         "tag": "7915dc0290c2705481c491a2b4ffbec482b3cf62"
        }
      ]
    },
    "endpoint-properties": {
      "ipv4:192.0.2.34"    : { "my-default-network-map.pid": "PID1" },
      "ipv4:203.0.113.129" : { "my-default-network-map.pid": "PID3" }
    }
  })"));

    auto bad = post(m, "/endpointprop/lookup", kAltoEndpointPropParams,
                    R"({"properties": ["my-default-network-map.pid", "priv:ietf-example-prop"],
                        "endpoints": ["ipv4:192.0.2.34"]})");
    auto meta = expect_alto_error(bad, "E_INVALID_FIELD_VALUE");
    EXPECT_EQ(meta["field"], "properties");
    EXPECT_EQ(meta["value"], "priv:ietf-example-prop");
}

TEST(Alto, EndpointCostRfc11_5_1_7) {
    // The RFC ranks two PID1 destinations apart, so its server has finer
    // costs than PID to PID: the model gives them per endpoint.
    RfcModel m;
    m.endpoint_routing[{"192.0.2.2", "192.0.2.89"}] = 2;
    m.endpoint_routing[{"192.0.2.2", "198.51.100.34"}] = 4;
    auto r = post(m, "/endpointcost/lookup", "application/alto-endpointcostparams+json", R"({
    "cost-type": {"cost-mode" : "ordinal",
                  "cost-metric" : "routingcost"},
    "endpoints" : {
      "srcs": [ "ipv4:192.0.2.2" ],
      "dsts": [
        "ipv4:192.0.2.89",
        "ipv4:198.51.100.34",
        "ipv4:203.0.113.45"
      ]
    }
  })");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, "application/alto-endpointcost+json");
    EXPECT_EQ(body_of(r), json::parse(R"({
    "meta" : {
      "cost-type": {"cost-mode" : "ordinal",
                    "cost-metric" : "routingcost"
      }
    },
    "endpoint-cost-map" : {
      "ipv4:192.0.2.2": {
        "ipv4:192.0.2.89"    : 1,
        "ipv4:198.51.100.34" : 2,
        "ipv4:203.0.113.45"  : 3
      }
    }
  })"));
}

TEST(Alto, FilteredNetworkMapRfc11_3_1_7) {
    // (The RFC's example answer lists /24 prefixes that contradict its own
    // network map; we answer from the map.)
    RfcModel m;
    auto r = post(m, "/networkmap/filtered", "application/alto-networkmapfilter+json", R"({"pids": ["PID1", "PID2"]})");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.content_type, kAltoNetworkMap);
    auto b = body_of(r);
    EXPECT_EQ(b["meta"]["vtag"]["tag"], m.ver);
    EXPECT_EQ(b["network-map"], json::parse(R"({"PID1": {"ipv4": ["192.0.2.0/24", "198.51.100.0/25"]},
                                               "PID2": {"ipv4": ["198.51.100.128/25"]}})"));
    auto v6 = post(m, "/networkmap/filtered", kAltoNetworkMapFilter, R"({"pids": [], "address-types": ["ipv6", "mac"]})");
    EXPECT_EQ(body_of(v6)["network-map"], json::parse(R"({"PID1": {}, "PID2": {}, "PID3": {"ipv6": ["::/0"]}})"));
}

// ---- the directory --------------------------------------------------------

TEST(Alto, DirectoryListsEveryResourceAndEachIsServed) {
    RfcModel m;
    AltoConfig c;
    c.base_url = "http://[2001:db8::1]:8080/alto";
    auto r = get(m, "/alto/directory", "application/alto-directory+json,application/alto-error+json", c);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "application/alto-directory+json");
    auto ird = body_of(r);
    EXPECT_EQ(ird["meta"]["default-alto-network-map"], "networkmap");
    EXPECT_EQ(ird["meta"]["cost-types"]["ord-routing"], json::parse(R"({"cost-mode":"ordinal","cost-metric":"routingcost"})"));
    auto& res = ird["resources"];
    for (auto id : {"networkmap", "filtered-networkmap", "costmap-routingcost-num", "costmap-routingcost-ord",
                    "costmap-hopcount-num", "filtered-costmap", "endpoint-property", "endpoint-cost"})
        EXPECT_TRUE(res.contains(id)) << id;
    EXPECT_EQ(res["networkmap"]["uri"], "http://[2001:db8::1]:8080/alto/networkmap");
    EXPECT_EQ(res["costmap-routingcost-ord"]["uses"], json::array({"networkmap"}));
    EXPECT_EQ(res["endpoint-property"]["capabilities"]["prop-types"], json::array({"networkmap.pid"}));
    EXPECT_FALSE(res["endpoint-cost"].contains("uses"));  // §11.5.1.5
    EXPECT_EQ(res["filtered-costmap"]["capabilities"]["cost-constraints"], true);

    // Every advertised cost type name is defined in meta, and every uri answers
    // (GET resources with 200, POST ones with an ALTO error for an empty object).
    for (auto& [id, entry] : res.items()) {
        for (auto& name : entry.value("capabilities", json::object()).value("cost-type-names", json::array()))
            EXPECT_TRUE(ird["meta"]["cost-types"].contains(name)) << name;
        std::string uri = entry["uri"];
        std::string path = uri.substr(std::string("http://[2001:db8::1]:8080").size());
        AltoRequest q;
        q.path = path;
        q.method = entry.contains("accepts") ? "POST" : "GET";
        q.content_type = entry.value("accepts", "");
        q.body = "{}";
        auto a = handle_alto(m, c, q);
        EXPECT_EQ(a.status, entry.contains("accepts") ? 400 : 200) << id;
        EXPECT_EQ(a.content_type, entry.contains("accepts") ? std::string(kAltoError) : std::string(entry["media-type"]))
            << id;
    }
    // Outside the base path nothing is served.
    EXPECT_EQ(get(m, "/directory", "", c).status, 404);
}

// ---- costs ----------------------------------------------------------------

TEST(Alto, OrdinalCostMapRanksAllEntriesDensely) {
    RfcModel m;  // costs 1 5 10 / 5 1 15 / 20 15 -> distinct 1 5 10 15 20
    auto r = get(m, "/costmap/routingcost/ord");
    ASSERT_EQ(r.status, 200);
    auto b = body_of(r);
    EXPECT_EQ(b["meta"]["cost-type"]["cost-mode"], "ordinal");
    EXPECT_EQ(b["cost-map"], json::parse(R"({"PID1": {"PID1": 1, "PID2": 2, "PID3": 3},
                                            "PID2": {"PID1": 2, "PID2": 1, "PID3": 4},
                                            "PID3": {"PID1": 5, "PID2": 4}})"));
    // Filtered ordinal: ranks are relative to the requested m*n entries only.
    auto f = post_filter(m, {{"cost-type", {{"cost-mode", "ordinal"}, {"cost-metric", "routingcost"}}},
                             {"pids", {{"srcs", {"PID3"}}, {"dsts", json::array()}}}});
    EXPECT_EQ(body_of(f)["cost-map"], json::parse(R"({"PID3": {"PID1": 2, "PID2": 1}})"));
}

TEST(Alto, HopcountMapAndFractionalCosts) {
    RfcModel m;
    m.hops[{"PID1", "PID2"}] = 2;
    m.hops[{"PID2", "PID1"}] = 2;
    m.routing[{"PID1", "PID2"}] = 2.5;
    auto h = body_of(get(m, "/costmap/hopcount/num"));
    EXPECT_EQ(h["meta"]["cost-type"]["cost-metric"], "hopcount");
    EXPECT_EQ(h["cost-map"], json::parse(R"({"PID1": {"PID2": 2}, "PID2": {"PID1": 2}})"));
    auto r = get(m, "/costmap/routingcost/num");
    EXPECT_NE(r.body.find(R"("PID2":2.5)"), std::string::npos) << r.body;
}

TEST(Alto, Constraints) {
    RfcModel m;
    auto r = post_filter(m, {{"cost-type", kNumRouting}, {"constraints", {"ge 3", "le 10"}}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body_of(r)["cost-map"], json::parse(R"({"PID1": {"PID2": 5, "PID3": 10}, "PID2": {"PID1": 5}})"));
    r = post_filter(m, {{"cost-type", kNumRouting}, {"constraints", {"eq 15"}}});
    EXPECT_EQ(body_of(r)["cost-map"], json::parse(R"({"PID2": {"PID3": 15}, "PID3": {"PID2": 15}})"));
    r = post_filter(m, {{"cost-type", kNumRouting}, {"constraints", {"gt 15", "lt 1.5e1"}}});
    EXPECT_EQ(body_of(r)["cost-map"], json::object());
    // Ordinal: constraints compare ranks, computed before filtering.
    r = post_filter(m, {{"cost-type", {{"cost-mode", "ordinal"}, {"cost-metric", "routingcost"}}},
                        {"constraints", {"le 2"}}});
    EXPECT_EQ(body_of(r)["cost-map"], json::parse(R"({"PID1": {"PID1": 1, "PID2": 2}, "PID2": {"PID1": 2, "PID2": 1}})"));
    // Endpoint cost takes them too.
    r = post_ecs(m, {{"cost-type", kNumRouting},
                     {"constraints", {"lt 10"}},
                     {"endpoints", {{"srcs", {"ipv4:192.0.2.1"}}, {"dsts", {"ipv4:198.51.100.200", "ipv4:8.8.8.8"}}}}});
    EXPECT_EQ(body_of(r)["endpoint-cost-map"], json::parse(R"({"ipv4:192.0.2.1": {"ipv4:198.51.100.200": 5}})"));
}

TEST(Alto, ConstraintParser) {
    auto c = parse_alto_constraint("le 10");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->op, AltoConstraint::Op::le);
    EXPECT_EQ(c->value, 10);
    EXPECT_TRUE(parse_alto_constraint("  ge\t-2.5 "));
    EXPECT_TRUE(parse_alto_constraint("eq +3"));
    for (auto bad : {"", "le", "le ", "10", "lte 5", "le 5 6", "le five", "LE 5", "le 1e999", "le nan", "le ++3"})
        EXPECT_FALSE(parse_alto_constraint(bad)) << bad;
    AltoConstraint k{AltoConstraint::Op::gt, 3};
    EXPECT_TRUE(k.admits(4));
    EXPECT_FALSE(k.admits(3));
}

TEST(Alto, UnknownPidsInFiltersAreIgnored) {
    RfcModel m;
    auto r = post_filter(m, {{"cost-type", kNumRouting}, {"pids", {{"srcs", {"PID1", "NOPE", "PID1"}}, {"dsts", {"PID2"}}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body_of(r)["cost-map"], json::parse(R"({"PID1": {"PID2": 5}})"));
    r = post_filter(m, {{"cost-type", kNumRouting}, {"pids", {{"srcs", {"NOPE"}}, {"dsts", json::array()}}}});
    EXPECT_EQ(body_of(r)["cost-map"], json::object());
    // Empty lists mean every PID; so does leaving "pids" out.
    auto all = body_of(post_filter(m, {{"cost-type", kNumRouting}, {"pids", {{"srcs", json::array()}, {"dsts", json::array()}}}}));
    EXPECT_EQ(all["cost-map"], body_of(get(m, "/costmap/routingcost/num"))["cost-map"]);
    EXPECT_EQ(body_of(post_filter(m, {{"cost-type", kNumRouting}}))["cost-map"], all["cost-map"]);
}

TEST(Alto, EndpointCostDefaultsToClientAddressAndCanonicalises) {
    RfcModel m;
    auto r = post_ecs(m, {{"cost-type", kNumRouting}, {"endpoints", {{"dsts", {"ipv4:198.51.100.129", "ipv6:2001:DB8:0::1"}}}}},
                      A("192.0.2.7"));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body_of(r)["endpoint-cost-map"],
              json::parse(R"({"ipv4:192.0.2.7": {"ipv4:198.51.100.129": 5, "ipv6:2001:db8::1": 10}})"));
    // Without a known client address an empty list cannot be filled.
    auto e = post_ecs(m, {{"cost-type", kNumRouting}, {"endpoints", {{"dsts", {"ipv4:198.51.100.129"}}}}});
    EXPECT_EQ(expect_alto_error(e, "E_INVALID_FIELD_VALUE")["field"], "endpoints/srcs");
    // An endpoint in no PID (no ::/0 here) has no cost and is left out.
    m.map[2].second = {P("0.0.0.0/0")};
    r = post_ecs(m, {{"cost-type", kNumRouting}, {"endpoints", {{"srcs", {"ipv4:192.0.2.1"}}, {"dsts", {"ipv6:2001:db8::1"}}}}});
    EXPECT_EQ(body_of(r)["endpoint-cost-map"], json::object());
    auto p = post(m, "/endpointprop/lookup", kAltoEndpointPropParams,
                  R"({"properties": ["my-default-network-map.pid"], "endpoints": ["ipv6:2001:db8::1"]})");
    EXPECT_EQ(body_of(p)["endpoint-properties"], json::parse(R"({"ipv6:2001:db8::1": {}})"));
}

TEST(Alto, UnknownFieldsAreIgnored) {
    RfcModel m;
    auto r = post_filter(m, {{"cost-type", {{"cost-mode", "numerical"}, {"cost-metric", "routingcost"}, {"description", "x"}}},
                             {"future", {1, 2}}});
    EXPECT_EQ(r.status, 200) << r.body;
}

// ---- errors ---------------------------------------------------------------

TEST(Alto, SyntaxErrors) {
    RfcModel m;
    auto meta = expect_alto_error(post(m, "/costmap/filtered", kAltoCostMapFilter, R"({"cost-type": )"), "E_SYNTAX");
    EXPECT_TRUE(meta.contains("syntax-error"));
    expect_alto_error(post(m, "/costmap/filtered", kAltoCostMapFilter, ""), "E_SYNTAX");
    expect_alto_error(post(m, "/costmap/filtered", kAltoCostMapFilter, "[1,2]"), "E_SYNTAX");
    expect_alto_error(post(m, "/endpointcost/lookup", kAltoEndpointCostParams, "{\"a\": \"\xff\"}"), "E_SYNTAX");
    // Found by fuzz_alto_request: a number too large for a double.
    expect_alto_error(post(m, "/endpointcost/lookup", kAltoEndpointCostParams, "5E30000.8"), "E_SYNTAX");
}

TEST(Alto, MissingFields) {
    RfcModel m;
    EXPECT_EQ(expect_alto_error(post_filter(m, json::object()), "E_MISSING_FIELD")["field"], "cost-type");
    EXPECT_EQ(expect_alto_error(post_filter(m, {{"cost-type", {{"cost-mode", "numerical"}}}}), "E_MISSING_FIELD")["field"],
              "cost-type/cost-metric");
    EXPECT_EQ(expect_alto_error(post_filter(m, {{"cost-type", {{"cost-metric", "hopcount"}}}}), "E_MISSING_FIELD")["field"],
              "cost-type/cost-mode");
    EXPECT_EQ(expect_alto_error(post_filter(m, {{"cost-type", kNumRouting}, {"pids", {{"dsts", json::array()}}}}),
                                "E_MISSING_FIELD")["field"],
              "pids/srcs");
    EXPECT_EQ(expect_alto_error(post_ecs(m, {{"cost-type", kNumRouting}}), "E_MISSING_FIELD")["field"], "endpoints");
    EXPECT_EQ(expect_alto_error(post(m, "/endpointprop/lookup", kAltoEndpointPropParams, R"({"endpoints": []})"),
                                "E_MISSING_FIELD")["field"],
              "properties");
    EXPECT_EQ(expect_alto_error(post(m, "/networkmap/filtered", kAltoNetworkMapFilter, "{}"), "E_MISSING_FIELD")["field"],
              "pids");
}

TEST(Alto, WrongFieldTypes) {
    RfcModel m;
    EXPECT_EQ(expect_alto_error(post_filter(m, {{"cost-type", "numerical"}}), "E_INVALID_FIELD_TYPE")["field"], "cost-type");
    EXPECT_EQ(expect_alto_error(post_filter(m, {{"cost-type", {{"cost-mode", "numerical"}, {"cost-metric", 5}}}}),
                                "E_INVALID_FIELD_TYPE")["field"],
              "cost-type/cost-metric");
    EXPECT_EQ(expect_alto_error(post_filter(m, {{"cost-type", kNumRouting}, {"constraints", "le 5"}}),
                                "E_INVALID_FIELD_TYPE")["field"],
              "constraints");
    EXPECT_EQ(expect_alto_error(post_filter(m, {{"cost-type", kNumRouting}, {"pids", {"PID1"}}}), "E_INVALID_FIELD_TYPE")["field"],
              "pids");
    EXPECT_EQ(expect_alto_error(post_filter(m, {{"cost-type", kNumRouting}, {"pids", {{"srcs", "PID1"}, {"dsts", json::array()}}}}),
                                "E_INVALID_FIELD_TYPE")["field"],
              "pids/srcs");
    EXPECT_EQ(expect_alto_error(post_ecs(m, {{"cost-type", kNumRouting}, {"endpoints", {"ipv4:192.0.2.1"}}}),
                                "E_INVALID_FIELD_TYPE")["field"],
              "endpoints");
}

TEST(Alto, InvalidFieldValues) {
    RfcModel m;
    auto meta = expect_alto_error(post_filter(m, {{"cost-type", {{"cost-mode", "numerical"}, {"cost-metric", "latency"}}}}),
                                  "E_INVALID_FIELD_VALUE");
    EXPECT_EQ(meta["field"], "cost-type/cost-metric");
    EXPECT_EQ(meta["value"], "latency");
    meta = expect_alto_error(post_filter(m, {{"cost-type", {{"cost-mode", "foo"}, {"cost-metric", "routingcost"}}}}),
                             "E_INVALID_FIELD_VALUE");
    EXPECT_EQ(meta["field"], "cost-type/cost-mode");
    EXPECT_EQ(meta["value"], "foo");
    meta = expect_alto_error(post_filter(m, {{"cost-type", kNumRouting}, {"constraints", {"le 5", "about 3"}}}),
                             "E_INVALID_FIELD_VALUE");
    EXPECT_EQ(meta["field"], "constraints");
    EXPECT_EQ(meta["value"], "about 3");
    // An array element of the wrong type is an invalid value, not type (§8.5.2).
    meta = expect_alto_error(post_filter(m, {{"cost-type", kNumRouting}, {"constraints", {5}}}), "E_INVALID_FIELD_VALUE");
    EXPECT_EQ(meta["value"], "5");
    meta = expect_alto_error(post_filter(m, {{"cost-type", kNumRouting}, {"pids", {{"srcs", {1.5}}, {"dsts", json::array()}}}}),
                             "E_INVALID_FIELD_VALUE");
    EXPECT_EQ(meta["field"], "pids/srcs");
    EXPECT_EQ(meta["value"], "1.5");
    meta = expect_alto_error(post_filter(m, {{"cost-type", kNumRouting}, {"pids", {{"srcs", {"bad pid!"}}, {"dsts", json::array()}}}}),
                             "E_INVALID_FIELD_VALUE");
    EXPECT_EQ(meta["value"], "bad pid!");
    for (auto addr : {"ipv4:300.1.2.3", "ipv4:2001:db8::1", "ipv6:192.0.2.1", "mac:00:11:22:33:44:55", "192.0.2.1",
                      "ipv4:192.0.2.0/24", "ipv4:"}) {
        meta = expect_alto_error(post_ecs(m, {{"cost-type", kNumRouting}, {"endpoints", {{"srcs", {"ipv4:192.0.2.1"}}, {"dsts", {addr}}}}}),
                                 "E_INVALID_FIELD_VALUE");
        EXPECT_EQ(meta["field"], "endpoints/dsts");
        EXPECT_EQ(meta["value"], addr);
    }
    meta = expect_alto_error(post(m, "/endpointprop/lookup", kAltoEndpointPropParams,
                                  R"({"properties": ["my-default-network-map.pid"], "endpoints": ["ipv4:1.2.3"]})"),
                             "E_INVALID_FIELD_VALUE");
    EXPECT_EQ(meta["field"], "endpoints");
    meta = expect_alto_error(post_ecs(m, {{"cost-type", kNumRouting}, {"endpoints", {{"srcs", json::array()}}}}),
                             "E_INVALID_FIELD_VALUE");
    EXPECT_EQ(meta["field"], "endpoints");
    EXPECT_FALSE(meta.contains("value"));
    // Too many pairs for one answer (500 x 501 > 250000).
    json many = json::array();
    for (int i = 0; i < 501; ++i) many.push_back("ipv4:10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
    json few(many.begin(), many.begin() + 500);
    meta = expect_alto_error(post_ecs(m, {{"cost-type", kNumRouting}, {"endpoints", {{"srcs", few}, {"dsts", many}}}}),
                             "E_INVALID_FIELD_VALUE");
    EXPECT_EQ(meta["field"], "endpoints");
    EXPECT_EQ(post_ecs(m, {{"cost-type", kNumRouting}, {"endpoints", {{"srcs", few}, {"dsts", few}}}}).status, 200);
}

TEST(Alto, HttpLevelErrors) {
    RfcModel m;
    EXPECT_EQ(get(m, "/nope").status, 404);
    EXPECT_EQ(get(m, "/networkmap/").status, 404);
    auto r = post(m, "/networkmap", "application/json", "{}");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.allow, "GET, HEAD");
    r = get(m, "/costmap/filtered");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.allow, "POST");
    AltoRequest put{"PUT", "/endpointcost/lookup", std::string(kAltoEndpointCostParams), "", "{}", {}};
    EXPECT_EQ(handle_alto(m, rfc_config(), put).status, 405);
    // Content-Type of a POST must be the resource's "accepts" (parameters allowed).
    EXPECT_EQ(post(m, "/costmap/filtered", "application/json", "{}").status, 415);
    EXPECT_EQ(post(m, "/costmap/filtered", "", "{}").status, 415);
    EXPECT_EQ(post(m, "/costmap/filtered", kAltoEndpointCostParams, "{}").status, 415);
    EXPECT_EQ(post(m, "/costmap/filtered", "Application/ALTO-CostMapFilter+JSON; charset=utf-8", "{}").status, 400);
    // HEAD is GET; the query string is not part of the resource.
    AltoRequest head{"HEAD", "/networkmap?x=1", "", "", "", {}};
    EXPECT_EQ(handle_alto(m, rfc_config(), head).status, 200);
}

TEST(Alto, AcceptHeader) {
    RfcModel m;
    EXPECT_EQ(get(m, "/networkmap", "text/html").status, 406);
    EXPECT_EQ(get(m, "/networkmap", "application/alto-error+json").status, 406);
    EXPECT_EQ(get(m, "/networkmap", "application/alto-costmap+json, application/alto-error+json").status, 406);
    EXPECT_EQ(get(m, "/networkmap", "application/alto-networkmap+json;q=0, */*;q=0").status, 406);
    for (auto ok : {"", "*/*", "application/*", "application/alto-networkmap+json", "text/html, application/*;q=0.5",
                    "APPLICATION/ALTO-NETWORKMAP+JSON", "application/alto-networkmap+json; q=0.1"})
        EXPECT_EQ(get(m, "/networkmap", ok).status, 200) << ok;
    EXPECT_TRUE(alto_accepts("application/alto-costmap+json,application/alto-error+json", kAltoError));
    EXPECT_FALSE(alto_accepts("application/alto-costmap+json", "application/alto-costmapfilter+json"));
    EXPECT_FALSE(alto_accepts("text/*", kAltoCostMap));
    // A POST whose Accept excludes the answer gets 406 before the body is read.
    AltoRequest r{"POST", "/endpointcost/lookup", std::string(kAltoEndpointCostParams), "text/plain", "not json", {}};
    EXPECT_EQ(handle_alto(m, rfc_config(), r).status, 406);
}

TEST(Alto, VtagsFollowTheModelVersion) {
    RfcModel m;
    m.ver = "v1";
    auto tag_of = [&](const std::string& path) {
        auto b = body_of(get(m, path));
        return b["meta"].contains("vtag") ? b["meta"]["vtag"] : b["meta"]["dependent-vtags"][0];
    };
    EXPECT_EQ(tag_of("/networkmap"), json::parse(R"({"resource-id": "my-default-network-map", "tag": "v1"})"));
    EXPECT_EQ(tag_of("/costmap/routingcost/ord"), tag_of("/networkmap"));
    m.ver = "v2";
    EXPECT_EQ(tag_of("/networkmap")["tag"], "v2");
    EXPECT_EQ(tag_of("/costmap/hopcount/num")["tag"], "v2");

    // A version that is no valid tag is hashed into one (§10.3).
    for (std::string v : {std::string("with space"), std::string(65, 'a'), std::string(""), std::string("caf\xc3\xa9")}) {
        auto t = alto_tag(v);
        EXPECT_EQ(t.size(), 32u) << v;
        EXPECT_TRUE(std::all_of(t.begin(), t.end(), [](char c) { return c >= 0x21 && c <= 0x7e; }));
    }
    EXPECT_NE(alto_tag("with space"), alto_tag("with  space"));
    EXPECT_EQ(alto_tag(std::string(64, '~')), std::string(64, '~'));
}

TEST(Alto, HelperFunctions) {
    EXPECT_EQ(alto_base_path("http://198.51.100.1:8080"), "");
    EXPECT_EQ(alto_base_path("http://198.51.100.1:8080/"), "");
    EXPECT_EQ(alto_base_path("http://[2001:db8::1]:8080/alto/"), "/alto");
    EXPECT_TRUE(valid_pid_name("PID-1:a@b_c"));
    EXPECT_FALSE(valid_pid_name(""));
    EXPECT_FALSE(valid_pid_name(std::string(65, 'a')));
    EXPECT_FALSE(valid_pid_name("a b"));
}

// §11.2.1.6: the network map covers every address. A map whose PIDs leave
// addresses out gets the default PID for them (0.0.0.0/0 and ::/0), which
// endpoint properties name and cost maps leave out (issue 13).
TEST(AltoNetworkMap, UncoveredAddressesAreInTheDefaultPid) {
    RfcModel m;
    m.map.pop_back();  // no PID3: what PID1 and PID2 do not hold is covered by no PID
    json nm = body_of(get(m, "/networkmap"))["network-map"];
    EXPECT_EQ(nm["default"], json::parse(R"({"ipv4": ["0.0.0.0/0"], "ipv6": ["::/0"]})"));
    auto r = post(m, "/endpointprop/lookup", kAltoEndpointPropParams,
                  R"({"properties": ["my-default-network-map.pid"], "endpoints": ["ipv4:203.0.113.9", "ipv4:192.0.2.1"]})");
    json props = body_of(r)["endpoint-properties"];
    EXPECT_EQ(props["ipv4:203.0.113.9"]["my-default-network-map.pid"], "default");
    EXPECT_EQ(props["ipv4:192.0.2.1"]["my-default-network-map.pid"], "PID1");
    json cm = body_of(get(m, "/costmap/routingcost/num"))["cost-map"];
    EXPECT_FALSE(cm.contains("default"));
    EXPECT_FALSE(cm["PID1"].contains("default"));
    // The RFC's own map covers everything with PID3: no default PID is added.
    EXPECT_FALSE(body_of(get(RfcModel{}, "/networkmap"))["network-map"].contains("default"));
}

TEST(AltoNetworkMap, AnyRouterNameGivesAValidStablePid) {
    EXPECT_EQ(pid_for_name("ams"), "ams");
    EXPECT_EQ(pid_for_name("r1-px.example@core:1"), "r1-px.example@core:1");
    std::string p = pid_for_name("New York 1");
    EXPECT_TRUE(valid_pid_name(p)) << p;
    EXPECT_EQ(p, "New_York_1.5e5751d4");  // as sr-proxd(8) shows it
    EXPECT_EQ(p, pid_for_name("New York 1"));    // the same every time
    EXPECT_NE(p, pid_for_name("New York_1"));    // two names, two PIDs
    EXPECT_NE(pid_for_name("a b"), pid_for_name("a\tb"));
    EXPECT_TRUE(valid_pid_name(pid_for_name(std::string(200, ' '))));
    EXPECT_TRUE(valid_pid_name(pid_for_name("")));
}
