// Fuzz target: sr-dhtd's overlay input path. A frame payload from another
// node starts with its family byte: 'P' goes to the Pastry codec, 'D' to the
// DHT codec (whose records go through record_wire), as Node::on_frame does.
// Only sr::DecodeError may escape; anything else is a finding.
//
// Invariant beyond "does not crash": a message that decodes re-encodes to
// bytes that decode to an equal message (Pastry messages compare with ==;
// DHT messages by re-encoding once more).
#include "core/error.hpp"
#include "dht/dht_wire.hpp"
#include "dht/pastry_wire.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view payload(reinterpret_cast<const char*>(data), size);
    const std::int64_t now = 1'000'000'000;
    try {
        if (payload[0] == sr::dht::kFamilyPastry) {
            auto m = sr::pastry::decode(payload.substr(1));
            auto again = sr::pastry::decode(sr::pastry::encode(m));
            if (!(again == m)) std::abort();
        } else if (payload[0] == sr::dht::kFamilyDht) {
            auto m = sr::dht::decode_dht(payload.substr(1), now);
            std::string once = sr::dht::encode_dht(m, now);
            std::string twice = sr::dht::encode_dht(sr::dht::decode_dht(std::string_view(once).substr(1), now), now);
            if (once != twice) std::abort();
        }
    } catch (const sr::DecodeError&) {
    }
    return 0;
}
