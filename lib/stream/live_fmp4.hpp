// A live segment (MPEG-TS, as the encoder sent it) repackaged as fMP4, one
// track per file as for the titles (fmp4.hpp): for live HLS over fMP4
// (cmaf.m3u8) and dynamic MPEG-DASH. libavformat demuxes the segment from
// memory and muxes each track (stream copy, nothing decoded); H.264 and AAC.
//
// Time: a live channel's decode times are MPEG-TS's 33-bit 90 kHz clock,
// which wraps every 26.5 hours. The channel gives each segment an unwrapped
// 64-bit decode time (LiveSegment::decode_start); every packet's time here
// is that plus its distance from the segment's first video decode time, so
// fragments continue each other across the wrap. The video's fMP4 timescale
// is 90 kHz, the audio's its sample rate.
//
// A segment is packaged on the first request that needs it (its playlists
// and the manifest need every held segment's exact track times, so the
// first of those packages them all) and kept with the segment: a few
// milliseconds, once, and only for channels someone watches as fMP4.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sr::stream {

struct LiveFragment {
    std::string init;   // ftyp + moov, from this segment's codec parameters
    std::string media;  // moof + mdat
    std::int64_t timescale = 0;
    std::int64_t start = 0;     // the first sample's decode time (tfdt), in timescale
    std::int64_t duration = 0;  // to the end of the last sample, in timescale
    std::int64_t earliest = 0;  // the earliest presentation time, in timescale
    int width = 0, height = 0;  // video
    int sample_rate = 0, channels = 0;  // audio
};

struct LiveFmp4 {
    std::optional<LiveFragment> video, audio;
};

// Throws Error("bad_media") naming `what` (the channel) when the segment
// cannot be demuxed or muxed, or has neither H.264 nor AAC.
LiveFmp4 package_live_fmp4(const std::string& ts, std::uint64_t first_dts, std::int64_t decode_start,
                           const std::string& what);

}  // namespace sr::stream
