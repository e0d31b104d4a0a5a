// Fuzz target: the GraphML reader (lib/prox/graphml). Its documented failure
// is sr::Error with code "config"; anything else escaping is a finding.
// Invariant: every link of a parsed topology has a metric >= 1 and joins two
// distinct known routers, and router names are unique (add_router would
// have thrown std::invalid_argument otherwise).
#include "core/error.hpp"
#include "prox/graphml.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view xml(reinterpret_cast<const char*>(data), size);
    try {
        auto t = sr::prox::parse_graphml(xml, "fuzz.graphml", {.weight_attr = "weight"});
        for (sr::prox::RouterId r = 0; r < t.size(); ++r)
            for (auto& l : t.links(r))
                if (l.to >= t.size() || l.to == r || l.metric == 0) std::abort();
    } catch (const sr::Error& e) {
        if (e.code != "config") std::abort();
    }
    return 0;
}
