// What a request to sr-streamd asks for: the URL paths and byte ranges it
// understands, parsed strictly (pure functions, fuzzed).
//
//   /vod/                    the index of titles (JSON)
//   /vod/NAME.mp4            the title's file (its highest rendition), with ranges
//   /vod/NAME/hls.m3u8       the HLS multivariant playlist (MPEG-TS)
//   /vod/NAME/REND/ts.m3u8   a rendition's media playlist
//   /vod/NAME/REND/N.ts      its segment N
//   /vod/NAME/cmaf.m3u8      the HLS multivariant playlist (fMP4, CMAF)
//   /vod/NAME/manifest.mpd   the MPEG-DASH manifest (static, the same fMP4)
//   /vod/NAME/REND/TRACK/cmaf.m3u8   one track's HLS media playlist (fMP4)
//   /vod/NAME/REND/TRACK/init.mp4    its init segment (ftyp + moov)
//   /vod/NAME/REND/TRACK/N.m4s       its media segment N (moof + mdat)
//   /live/                   the index of live channels (JSON)
//   /live/NAME/hls.m3u8      a live channel's HLS multivariant playlist
//   /live/NAME/ts.m3u8       its media playlist (the sliding window)
//   /live/NAME/N.ts          its segment N
//   /live/NAME/cmaf.m3u8     its HLS multivariant playlist of fMP4 tracks
//   /live/NAME/manifest.mpd  its MPEG-DASH manifest (dynamic)
//   /live/NAME/TRACK/cmaf.m3u8   one track's media playlist (fMP4)
//   /live/NAME/TRACK/init-E.mp4  its init segment for epoch E (live.hpp)
//   /live/NAME/TRACK/N.m4s       its media segment N
//
// NAME and REND are single path components (Catalog::valid_name); TRACK is
// `video` or `audio` (one track per fMP4, as CMAF wants); N is a decimal
// number without leading zeros. Anything else is not a route.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sr::stream {

struct Route {
    enum class Kind {
        index, progressive, hls_multivariant, hls_media_ts, ts_segment,
        cmaf_multivariant, dash_manifest, cmaf_media, cmaf_init, cmaf_segment,
        // The live ones last (StreamHttp hands every kind from live_index on to the channels).
        live_index, live_multivariant, live_media_ts, live_segment,
        live_cmaf_multivariant, live_dash_manifest, live_cmaf_media, live_cmaf_init, live_cmaf_segment
    };
    enum class Track { none, video, audio };
    Kind kind = Kind::index;
    std::string title;  // or the live channel
    std::string rendition;
    std::size_t segment = 0;  // or the epoch of live_cmaf_init
    Track track = Track::none;  // the cmaf_media, cmaf_init and cmaf_segment routes'
};

// The route of a request path (already percent-decoded, without the query).
std::optional<Route> parse_route(const std::string& path);

// A Range header against a body of `size` bytes (RFC 9110 14.2): one range
// "bytes=A-B", "bytes=A-" or "bytes=-N". Several ranges, or a form not
// understood, are ignored (the whole body is sent, as RFC 9110 allows).
struct ByteRange {
    std::uint64_t first = 0, last = 0;  // inclusive
};
struct RangeAnswer {
    enum class Kind { whole, partial, unsatisfiable };
    Kind kind = Kind::whole;
    ByteRange range;
};
RangeAnswer parse_range(const std::string& header, std::uint64_t size);

}  // namespace sr::stream
