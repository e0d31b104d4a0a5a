// Fuzz target: the ALTO POST handlers (lib/prox/alto). The first input byte
// picks the resource (filtered cost map, endpoint cost, endpoint property,
// filtered network map) and whether the model is ordinal-friendly; the rest
// is the request body, handed to handle_alto() as evhttp would.
//
// Invariants checked beyond "does not crash" (handle_alto never throws):
//  - the status is 200 or 400;
//  - the body is JSON; a 200 has the resource's media type, a 400 is an
//    application/alto-error+json with one of the four RFC 7285 codes.
#include "../unit/alto_test_model.hpp"
#include "prox/alto.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

using namespace sr::prox;

namespace {

struct Target {
    const char* path;
    std::string_view type;
    std::string_view media;
};

const Target kTargets[] = {
    {"/costmap/filtered", kAltoCostMapFilter, kAltoCostMap},
    {"/endpointcost/lookup", kAltoEndpointCostParams, kAltoEndpointCost},
    {"/endpointprop/lookup", kAltoEndpointPropParams, kAltoEndpointProp},
    {"/networkmap/filtered", kAltoNetworkMapFilter, kAltoNetworkMap},
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    static alto_fixture::RfcModel model = [] {
        alto_fixture::RfcModel m;
        m.hops[{"PID1", "PID2"}] = 2;
        m.hops[{"PID2", "PID1"}] = 2.5;
        m.endpoint_routing[{"192.0.2.2", "192.0.2.89"}] = 2;
        return m;
    }();
    const Target& t = kTargets[data[0] % 4];
    AltoConfig config;
    config.networkmap_id = (data[0] & 4) ? "my-default-network-map" : "networkmap";
    AltoRequest r;
    r.method = "POST";
    r.path = t.path;
    r.content_type = std::string(t.type);
    r.accept = (data[0] & 8) ? "application/*" : "";
    r.body.assign(reinterpret_cast<const char*>(data + 1), size - 1);
    if (data[0] & 16) r.client = *Address::parse("192.0.2.2");

    AltoResponse resp = handle_alto(model, config, r);
    if (resp.status != 200 && resp.status != 400) std::abort();
    auto body = nlohmann::json::parse(resp.body, nullptr, false);
    if (body.is_discarded()) std::abort();
    if (resp.status == 200 && resp.content_type != t.media) std::abort();
    if (resp.status == 400) {
        if (resp.content_type != kAltoError) std::abort();
        const auto& code = body["meta"]["code"];
        if (code != "E_SYNTAX" && code != "E_MISSING_FIELD" && code != "E_INVALID_FIELD_TYPE" &&
            code != "E_INVALID_FIELD_VALUE")
            std::abort();
    }
    return 0;
}
