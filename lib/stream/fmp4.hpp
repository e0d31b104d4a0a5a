// Fragmented MP4 (CMAF) for HLS and DASH, packaged on request from the
// sample index (no decoding): libavformat's mp4 muxer writes into memory.
//
// One track per file, as CMAF has it: a rendition's video and its audio are
// separate tracks, each with an init segment (ftyp + moov with empty sample
// tables and mvex) and media segments (moof + mdat, one fragment each). The
// segments are the title's segments (media.hpp: the same keyframe cuts as
// the MPEG-TS ones); segment N of a track holds that track's samples of
// segment N. Every segment is muxed on its own, so its tfdt (the decode time
// of its first sample) is set from the index, not carried from the segment
// before: the file's decode times plus kTimestampOffset (as MPEG-TS, so that
// none is negative and both formats share one timeline), in the track's
// fMP4 timescale. Segments then continue each other exactly, whichever of
// them a player or a cache fetched first.
#pragma once

#include "stream/media.hpp"
#include "stream/mux.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace sr::stream {

// The timescale (ticks per second) of a track in its fMP4 files: the video's
// own MP4 timescale (libavformat's mp4 muxer is told to keep it), the audio's
// sample rate (which the muxer always uses).
std::int64_t fmp4_timescale(const Track& t);

// A time of the track (in its time base) on the fMP4 timeline: offset by
// kTimestampOffset and in fmp4_timescale() ticks.
std::int64_t fmp4_time(const Track& t, std::int64_t time);

// How many of the title's segments the track has: the segments from 0 on
// that hold some of its samples (audio may end before the video does).
std::size_t fmp4_segments(const MediaIndex& idx, std::size_t track);

// The track's init segment. Throws Error("bad_media") if libavformat cannot
// write it.
std::string fmp4_init(const MediaIndex& idx, std::size_t track);

// Media segment `n` of the track, its samples read from `fd` (the file the
// index was made from). Throws Error("not_found") for a segment the track
// does not have, Error("bad_media") if the file no longer holds the samples.
std::string fmp4_segment(const MediaIndex& idx, std::size_t track, std::size_t n, int fd);

// A one-track mp4 muxer writing into `sink`, its header (the init segment)
// written: shared with the live packager (live_fmp4.hpp). Errors name `what`.
mux::Output fmp4_open_track(const std::string& what, const Track& t, std::string& sink);

}  // namespace sr::stream
