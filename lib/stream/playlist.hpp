// Playlists and manifests, made from sample indexes: pure functions, no I/O.
//
// URLs in them are relative, so one title reads the same behind any host
// name, port or cache: under /vod/NAME/,
//   hls.m3u8             the multivariant playlist (one variant per rendition)
//   REND/ts.m3u8         a rendition's media playlist of MPEG-TS segments
//   REND/N.ts            its segment N (from 0)
//   cmaf.m3u8            the multivariant playlist of fMP4 tracks: a variant
//                        per rendition's video, the audio as an EXT-X-MEDIA group
//   manifest.mpd         the same tracks for MPEG-DASH (static, isoff-live):
//                        an AdaptationSet of the renditions' video, one of audio
//   REND/TRACK/cmaf.m3u8 a track's media playlist, TRACK video or audio
//   REND/TRACK/init.mp4  its init segment; REND/TRACK/N.m4s its segment N
// where REND is the rendition's name (the file's name without .mp4). The
// audio of the fMP4 formats is the first (highest) rendition's: renditions
// differ in their video.
//
// A track's segment times on its fMP4 timeline (fmp4.hpp) are its
// segments' earliest presentation times; EXTINF and the DASH
// SegmentTimeline are made from them, so both say what the segments hold.
#pragma once

#include "stream/media.hpp"

#include <cstdint>
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
// The same for fMP4 (moof, trun entries): a few percent.
inline constexpr double kFmp4Overhead = 1.03;

std::string hls_multivariant_ts(const std::vector<Rendition>& renditions);
std::string hls_media_ts(const MediaIndex& index);

std::string hls_multivariant_cmaf(const std::vector<Rendition>& renditions);
std::string hls_media_cmaf(const MediaIndex& index, std::size_t track);
std::string dash_manifest(const std::vector<Rendition>& renditions);

// A name as one URL path component: percent-encoded but for RFC 3986's
// unreserved characters (so `$`, which DASH templates reserve, is too).
std::string url_component(const std::string& name);

// Text for an XML attribute value (& < > " escaped).
std::string xml_attr(const std::string& s);
// xs:duration of a number of seconds, to the millisecond ("PT4.000S").
std::string iso_duration(double seconds);

// The track's segment boundaries on its fMP4 timeline: the earliest
// presentation time of each of its fmp4_segments(), then the end of its
// last sample's presentation.
std::vector<std::int64_t> fmp4_boundaries(const MediaIndex& index, std::size_t track);

}  // namespace sr::stream
