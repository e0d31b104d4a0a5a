// A live channel's input: whatever bytes an encoder, or anyone reaching the
// UDP port or holding the ingest token, sends. Input: the bytes, fed in
// pieces whose sizes the first byte picks; then every playlist, and the
// newest segment repackaged as fMP4 (which may refuse it: Error
// "bad_media"; anything else escaping, or a crash, is a finding).
#include "core/error.hpp"
#include "stream/live.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    std::size_t piece = 1 + data[0] * 7u;
    std::string_view in(reinterpret_cast<const char*>(data + 1), size - 1);
    sr::stream::LiveConfig cfg;
    cfg.segment_seconds = 1;
    cfg.window = 3;
    cfg.max_segment_bytes = 64 << 10;
    sr::stream::LiveChannel ch("fuzz", cfg);
    std::int64_t now = 0;
    for (std::size_t at = 0; at < in.size(); at += piece, now += 1000)
        ch.input(in.substr(at, piece), now, 1'700'000'000'000'000 + now);
    ch.tick(now + 60'000'000);  // a stall: the segment under way ends
    (void)ch.media_playlist();
    (void)ch.multivariant_playlist();
    if (ch.held_bytes() > 6 * 2 * cfg.max_segment_bytes) __builtin_trap();  // bounded, as live.hpp says
    try {
        (void)ch.cmaf_multivariant();
        (void)ch.cmaf_media(true);
        (void)ch.dash_manifest(1'700'000'100'000'000);
    } catch (const sr::Error& e) {
        if (e.code != "bad_media") throw;
    }
    return 0;
}
