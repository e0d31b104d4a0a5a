// Fuzz target: sr-eventd's overlay input path, the Scribe messages that
// app.forward, app.deliver and app.receive hand it. Only sr::DecodeError may
// escape; anything else is a finding.
//
// Invariants beyond "does not crash": a message that decodes re-encodes to
// bytes that decode to an equal message; and a Scribe core fed the input
// through each of its three entry points throws nothing but DecodeError.
#include "core/error.hpp"
#include "event/scribe.hpp"
#include "event/scribe_wire.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    try {
        auto m = sr::event::wire::decode(bytes);
        if (!(sr::event::wire::decode(sr::event::wire::encode(m)) == m)) std::abort();
    } catch (const sr::DecodeError&) {
    }

    static const sr::event::NodeHandle self{sr::Id::hash("node", "self"), "127.0.0.1:1"};
    static const sr::event::NodeHandle peer{sr::Id::hash("node", "peer"), "127.0.0.1:2"};
    const std::int64_t now = 1'000'000, wall = 1'700'000'000'000'000;
    sr::event::Scribe core(self);
    std::vector<sr::event::Effect> out;
    core.subscribe("news", now, out);
    const sr::Id key = sr::event::topic_key("news");
    try {
        core.on_receive(bytes, peer, now, wall, out);
    } catch (const sr::DecodeError&) {
    }
    try {
        core.on_forward(key, bytes, peer, now, wall, out);
    } catch (const sr::DecodeError&) {
    }
    try {
        core.on_deliver(key, bytes, peer, now, wall, out);
    } catch (const sr::DecodeError&) {
    }
    core.tick(now + 10'000'000, wall + 10'000'000, out);
    return 0;
}
