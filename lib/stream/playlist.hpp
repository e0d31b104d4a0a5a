// Playlists and manifests, made from sample indexes: pure functions, no I/O.
//
// URLs in them are relative, so one title reads the same behind any host
// name, port or cache: under /vod/NAME/,
//   hls.m3u8             the multivariant playlist (one variant per rendition)
//   REND/ts.m3u8         a rendition's media playlist of MPEG-TS segments
//   REND/N.ts            its segment N (from 0)
// where REND is the rendition's name (the file's name without .mp4).
#pragma once

#include "stream/media.hpp"

#include <string>
#include <vector>

namespace sr::stream {

struct Rendition {
    std::string name;
    const MediaIndex* index = nullptr;
};

// Container overhead on top of the samples' bytes, for the BANDWIDTH
// attributes (an estimate: MPEG-TS packet headers, PES headers, PAT/PMT).
inline constexpr double kTsOverhead = 1.12;

std::string hls_multivariant_ts(const std::vector<Rendition>& renditions);
std::string hls_media_ts(const MediaIndex& index);

}  // namespace sr::stream
