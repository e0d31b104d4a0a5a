// Fuzz target: the native topology file parser (lib/prox/topology_file).
// Its documented failure is sr::Error with code "config" naming FILE:LINE;
// anything else escaping (std::invalid_argument from the model, a crash, a
// sanitizer report) is a finding.
//
// Invariants beyond "does not crash": a successful parse names every router
// referenced by its links and prefixes, and parsing the same text onto the
// result as a base only ever fails with a config error (duplicates), never
// with anything else.
#include "core/error.hpp"
#include "prox/topology_file.hpp"

#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        auto t = sr::prox::parse_topology(text, "fuzz.topo");
        for (sr::prox::RouterId r = 0; r < t.size(); ++r)
            for (auto& l : t.links(r))
                if (l.to >= t.size() || l.metric == 0) std::abort();
        for (auto& [p, r] : t.prefixes())
            if (r >= t.size()) std::abort();
        try {
            sr::prox::parse_topology(text, "again.topo", t);
        } catch (const sr::Error& e) {
            if (e.code != "config") std::abort();
        }
    } catch (const sr::Error& e) {
        if (e.code != "config") std::abort();
    }
    return 0;
}
