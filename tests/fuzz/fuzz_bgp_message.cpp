// Fuzz target: sr-proxd's BGP input path (lib/prox/bgp). The first input
// byte picks the mode, the rest is what a peer sends on the TCP connection:
//   bit 0  the session negotiated 4-octet AS numbers
//   bit 1  0: Framer + decode of every whole message, with the round-trip
//             invariant below
//          1: a Session brought to Established, fed the bytes in chunks
//             of 1..64 octets (sizes from the input), its RoutesChanged
//             applied to an AdjRibIn
// Only sr::DecodeError may escape decode (the session catches it itself);
// anything else is a finding.
//
// Invariant beyond "does not crash": a message that decodes cleanly (an
// UPDATE without attribute errors, any other message) re-encodes to bytes
// that decode to an equal message.
#include "core/error.hpp"
#include "prox/bgp/rib.hpp"
#include "prox/bgp/session.hpp"
#include "prox/bgp/wire.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

using namespace sr::prox::bgp;

namespace {

void decode_stream(std::string_view in, bool four) {
    Framer f;
    f.feed(in);
    try {
        while (auto m = f.next()) {
            Message msg;
            try {
                msg = decode(*m, four);
            } catch (const sr::DecodeError&) {
                continue;
            }
            if (auto* u = std::get_if<Update>(&msg); u && (u->treat_as_withdraw || !u->errors.empty())) continue;
            std::string again;
            try {
                again = encode(msg, four);
            } catch (const std::length_error&) {
                continue;  // re-packed OPEN parameters can grow; not a decoder bug
            }
            if (!(decode(again, four) == msg)) std::abort();
        }
    } catch (const sr::DecodeError&) {
        // header error from the framer: the stream is unusable from here
    }
}

void drive_session(std::string_view in, bool four) {
    SessionConfig cfg;
    cfg.local_as = 65000;
    cfg.router_id = 1;
    Session s(cfg);
    AdjRibIn rib;
    auto run = [&](const std::vector<Effect>& fx) {
        for (const auto& e : fx) {
            if (auto* rc = std::get_if<RoutesChanged>(&e)) rib.apply(*rc);
            if (std::holds_alternative<SessionDown>(e)) rib.flush();
        }
    };
    std::int64_t now = 0;
    run(s.tcp_connected(now));
    Open o;
    o.my_as = 65001;
    o.hold_time = 90;
    o.bgp_id = 2;
    o.capabilities = make_capabilities({kIpv4Unicast, kIpv6Unicast}, 65001);
    if (!four) o.capabilities.pop_back();  // the 4-octet AS capability is last
    run(s.bytes_received(encode(o), ++now));
    run(s.bytes_received(encode_keepalive(), ++now));
    if (s.state() != State::Established) std::abort();
    std::size_t chunk = in.empty() ? 1 : static_cast<std::uint8_t>(in[0]) % 64 + 1;
    while (!in.empty()) {
        std::size_t n = std::min(chunk, in.size());
        now += 1'000'000;
        run(s.bytes_received(in.substr(0, n), now));
        run(s.tick(now));
        in.remove_prefix(n);
        chunk = chunk % 64 + 1;
    }
    if (s.state() == State::Established) run(s.request_refresh(kIpv6Unicast));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    bool four = data[0] & 1;
    if (data[0] & 2)
        drive_session(in, four);
    else
        decode_stream(in, four);
    return 0;
}
