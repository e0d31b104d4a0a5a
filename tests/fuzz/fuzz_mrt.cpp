// Fuzz target: the MRT TABLE_DUMP_V2 reader (lib/prox/mrt). Only
// sr::DecodeError may escape; anything else is a finding.
//
// The first input byte picks the piece size the stream is fed in (1..32, or
// whole), so the record reassembly across feed() calls is fuzzed too.
// Invariants: every route's prefix length fits its family, its peer pointer
// is the table entry its index names, its AS-path length never exceeds the
// number of ASNs, and the same stream fed whole yields the same number of
// routes when it decodes at all.
#include "core/error.hpp"
#include "prox/mrt.hpp"

#include <cstdint>
#include <cstdlib>
#include <span>

namespace {

std::uint64_t run(std::span<const std::uint8_t> data, std::size_t piece, bool& ok) {
    std::uint64_t n = 0;
    sr::prox::MrtDecoder* self = nullptr;
    sr::prox::MrtDecoder d(
        [&](const sr::prox::MrtRoute& r) {
            ++n;
            if (r.prefix.len > r.prefix.addr.max_len()) std::abort();
            if (!r.peer || r.peer != &self->peers()[r.peer_index]) std::abort();
            if (r.as_path_length > r.as_path.size()) std::abort();
        },
        1 << 16);
    self = &d;
    ok = true;
    try {
        if (piece == 0) {
            d.feed(data);
        } else {
            for (std::size_t i = 0; i < data.size(); i += piece)
                d.feed(data.subspan(i, std::min(piece, data.size() - i)));
        }
        d.finish();
    } catch (const sr::DecodeError&) {
        ok = false;
    }
    return n;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::size_t piece = data[0] % 33;
    std::span<const std::uint8_t> stream(data + 1, size - 1);
    bool ok_pieces = false, ok_whole = false;
    auto a = run(stream, piece, ok_pieces);
    auto b = run(stream, 0, ok_whole);
    if (ok_pieces != ok_whole) std::abort();
    if (ok_whole && a != b) std::abort();
    return 0;
}
