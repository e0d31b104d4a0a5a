// The ALTO protocol (RFC 7285) as pure request -> response functions.
//
// handle_alto() takes one HTTP request (method, path, Content-Type, Accept,
// body, the client's address) and an AltoModel and returns (status,
// Content-Type, body, Allow). No I/O, no clock: alto_http.cpp binds it to
// evhttp, tests and the fuzzer call it directly.
//
// Resources (paths are relative to the base URL's path; the IRD's "uri"s are
// the base URL followed by them):
//
//   id                        method path                       media type
//   directory (the IRD)       GET    /directory                 alto-directory+json
//   networkmap (configurable) GET    /networkmap                alto-networkmap+json
//   filtered-networkmap       POST   /networkmap/filtered       alto-networkmap+json
//   costmap-routingcost-num   GET    /costmap/routingcost/num   alto-costmap+json
//   costmap-routingcost-ord   GET    /costmap/routingcost/ord   alto-costmap+json
//   costmap-hopcount-num      GET    /costmap/hopcount/num      alto-costmap+json
//   filtered-costmap          POST   /costmap/filtered          alto-costmap+json
//   endpoint-property         POST   /endpointprop/lookup       alto-endpointprop+json
//   endpoint-cost             POST   /endpointcost/lookup       alto-endpointcost+json
//
// The filtered cost map and the endpoint cost service take the four cost
// types {routingcost, hopcount} x {numerical, ordinal} and constraints.
// Each request builds its answer from the model afresh (maps are small: one
// PID per router or PoP); nothing is cached between requests.
//
// Version tags: the network map's tag is AltoModel::version() when that is
// already a valid tag (1..64 chars of U+0021..U+007E, RFC 7285 §10.3), else
// the 32 hex digits of its SHA-256 (first 128 bits). Cost maps, endpoint
// properties and filtered maps carry it in "dependent-vtags" (§11).
//
// Ordinal mode (§6.1.2.2, §6.2): an ordinal cost is a rank "relative to all
// other values in a cost map", and "the path cost of each communicating pair
// is relative to the m*n entries" requested. So we take the numerical costs
// of exactly the m*n pairs of the answer (all PIDs for a full map, the
// requested srcs x dsts for a filtered map or the endpoint cost service),
// sort the distinct values, and give each pair the 1-based dense rank of its
// cost: equal costs share a rank, lower is preferred, ranks are contiguous
// (the RFC allows but does not require gaps). Pairs without a cost are
// omitted and take no rank. Constraints then apply to the value returned,
// i.e. to the rank in ordinal mode (§11.3.2.4 warns they "may not have the
// intended effect" there), and filter pairs after ranking, so a rank does
// not depend on the constraints.
//
// Errors (§8.5): a request the server cannot parse or validate gets HTTP 400
// with application/alto-error+json, meta.code one of E_SYNTAX (with
// "syntax-error"), E_MISSING_FIELD ("field"), E_INVALID_FIELD_TYPE
// ("field"), E_INVALID_FIELD_VALUE ("field", "value" as a string). Field
// paths are written from the top down ("cost-type/cost-metric", as §8.5.2's
// E_MISSING_FIELD example; its E_INVALID_FIELD_VALUE example writes
// "cost-mode/cost-type", bottom-up, which we take for a slip). A bad array
// element (wrong type or bad value) is E_INVALID_FIELD_VALUE with the array's
// name, as §8.5.2 says. HTTP-level errors carry no ALTO error resource (no
// ALTO code fits them; §8.5 lets the server omit it): 404 unknown path, 405
// wrong method (with Allow), 415 wrong Content-Type on POST, 406 when the
// Accept header admits neither the response's media type nor a range
// covering it. Error responses are sent whatever Accept says (RFC 7231
// §6.5.6 allows it; ALTO clients list alto-error+json anyway).
//
// Other readings of the RFC, chosen on purpose:
//   - A PID in a filter that the map does not define is ignored (§11.3.1.6,
//     §11.3.2.6). When every PID of a non-empty srcs (or dsts) list is
//     unknown, the answer has no pairs: the client asked for specific PIDs,
//     and reading the emptied list as "all PIDs" would answer what it did not
//     ask. A syntactically invalid PID name (§10.1) is E_INVALID_FIELD_VALUE.
//   - An endpoint property the resource does not offer (anything but
//     "<networkmap-id>.pid") is E_INVALID_FIELD_VALUE: §11.4.1.3 says each
//     requested property MUST be one the capabilities list.
//   - Endpoint addresses in answers are written in canonical form
//     ("ipv6:2001:db8::1"), which §10.4 allows; duplicates are merged.
//   - Endpoint cost with srcs or dsts empty or absent uses the client's
//     address (§11.5.1.3); both empty is E_INVALID_FIELD_VALUE "endpoints".
//   - Costs that are integral are written as JSON integers.
//   - An endpoint cost request of more than max_endpoint_pairs pairs is
//     refused (E_INVALID_FIELD_VALUE "endpoints"); the RFC sets no limit.
#pragma once

#include "prox/address.hpp"
#include "prox/alto_model.hpp"

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace sr::prox {

struct AltoConfig {
    // Scheme, authority and an optional path prefix, no trailing slash:
    // "http://198.51.100.1:8080" or "http://[2001:db8::1]:8080/alto".
    std::string base_url = "http://127.0.0.1:8080";
    // Resource id of the one network map (and of its ".pid" property).
    std::string networkmap_id = "networkmap";
    // Endpoint cost answers are srcs x dsts: more pairs than this is
    // E_INVALID_FIELD_VALUE "endpoints" (a 1 MiB body could ask for 10^9).
    std::size_t max_endpoint_pairs = 250000;
};

struct AltoRequest {
    std::string method;        // "GET", "POST", ...
    std::string path;          // request target: "/networkmap", query ignored
    std::string content_type;  // may be empty
    std::string accept;        // may be empty (= accept anything)
    std::string body;
    std::optional<Address> client;  // the peer, for endpoint cost with no srcs/dsts
};

struct AltoResponse {
    int status = 200;
    std::string content_type;  // empty when there is no body
    std::string body;
    std::string allow;  // for 405
};

// Media types.
inline constexpr std::string_view kAltoDirectory = "application/alto-directory+json";
inline constexpr std::string_view kAltoNetworkMap = "application/alto-networkmap+json";
inline constexpr std::string_view kAltoNetworkMapFilter = "application/alto-networkmapfilter+json";
inline constexpr std::string_view kAltoCostMap = "application/alto-costmap+json";
inline constexpr std::string_view kAltoCostMapFilter = "application/alto-costmapfilter+json";
inline constexpr std::string_view kAltoEndpointProp = "application/alto-endpointprop+json";
inline constexpr std::string_view kAltoEndpointPropParams = "application/alto-endpointpropparams+json";
inline constexpr std::string_view kAltoEndpointCost = "application/alto-endpointcost+json";
inline constexpr std::string_view kAltoEndpointCostParams = "application/alto-endpointcostparams+json";
inline constexpr std::string_view kAltoError = "application/alto-error+json";

// Answers one request. Never throws for any input.
AltoResponse handle_alto(const AltoModel& model, const AltoConfig& config, const AltoRequest& request);

// The vtag "tag" for a model version (see above).
std::string alto_tag(const std::string& version);

// True when the Accept header value admits media type `type` (an empty
// header admits everything; q=0 excludes).
bool alto_accepts(std::string_view accept, std::string_view type);

// The path part of a base URL ("http://h:1/alto" -> "/alto", "http://h" -> "").
std::string alto_base_path(std::string_view base_url);

// One constraint of §11.3.2.3, "le 10": op and value. nullopt when malformed.
struct AltoConstraint {
    enum class Op { gt, ge, lt, le, eq } op;
    double value;
    bool admits(double cost) const;
};
std::optional<AltoConstraint> parse_alto_constraint(std::string_view text);

// §10.1 PID name (also resource ids): 1..64 of [A-Za-z0-9-:@_.].
bool valid_pid_name(std::string_view name);

// The PID of a router or PoP name, which may hold anything a topology file
// can quote: a valid name is its own PID; another has each byte outside the
// PID alphabet replaced by '_', is cut to 55 bytes and gets "." and 8 hex
// digits of the name's hash, so one router has one PID whatever else the
// map holds.
std::string pid_for_name(std::string_view name);

// The PID of every address no other PID covers (0.0.0.0/0 and ::/0): the
// network map then covers all of each family (§11.2.1.6, "a Network Map
// SHOULD cover all addresses"). It has no costs (cost maps omit its pairs).
inline constexpr std::string_view kDefaultPid = "default";

}  // namespace sr::prox
